//! Known-wrong token buckets. Each realistic mutant is one mistake candidates really make; the
//! rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic, hang or
//! abort, to prove the grader survives them.
//!
//! Most realistic mutants share one flawed-by-configuration bucket, [`Flawed`], whose [`Flaw`]
//! switches on exactly one bug; the float bucket has its own type because its state differs.
//!
//! Code map: this file holds [`catalogue`]; `flawed.rs` the configurable bucket, `float.rs` the
//! floating-point bucket, `keyed.rs` the flawed keyed limiters, `shared.rs` the flawed Redis
//! limiters, `misbehaving.rs` the hostile ones.

mod flawed;
mod float;
mod keyed;
mod misbehaving;
mod shared;

pub use flawed::*;
pub use float::*;
pub use keyed::*;
pub use misbehaving::*;
pub use shared::*;

use super::conformance::{
    BOUNDED_MEMORY, BURST_EXACT, CANCEL_RETURNS_TOKENS, CLOCK_BACKWARDS, CONCURRENT_WINDOW_BOUND,
    DENIAL_NO_SIDE_EFFECTS, EVICTION_INVISIBLE, EXACT_RETRY_AFTER, EXCEEDS_CAPACITY, FIFO_ORDER,
    FRESH_CLOCK_READING, FROZEN_CLOCK_EXACT, INVALID_CONFIG, KEYED_CONFIG_ERRORS, NO_QUEUE_JUMPING,
    PATH_INDEPENDENT, REFILL_CAPPED, SHARED_BASICS, SHARED_CLIENT_CLOCKS, SHARED_KEY_ISOLATION,
    SHARED_KEYS_EXPIRE, SHARED_STORE_DOWN, SHARED_STORE_HANGS, SHARED_STORE_RESTART,
    SHARED_WINDOW_BOUND, TENANT_ISOLATION, TENANTS_IN_PARALLEL, WINDOW_BOUND, ZERO_REQUEST, suite,
};
use super::{
    AcquireError, Admission, BucketConfig, ConfigError, FailurePolicy, KeyedRateLimiter, Quotas,
    RateLimiter, SharedConfigError, SharedError, SharedRateLimiter, StoreConfig, reference,
};
use crate::clock::Clock;
use crate::grading::Mutant;
use crate::grading::hostile::{self, Misbehaviour};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// The reference keyed limiter, for mutants whose bug is elsewhere.
type RefKeyed = reference::KeyedTokenBucket<u32>;
/// The reference shared limiter, for mutants whose bug is elsewhere.
type RefShared = reference::RedisTokenBucket;
/// The reference single bucket, for mutants whose bug is elsewhere.
type RefBucket = reference::TokenBucket;

/// Every mutant of this kata.
pub fn catalogue() -> Vec<Mutant> {
    let realistic = Mutant::realistic;
    let mut mutants = vec![
        realistic(
            "uncapped-refill",
            "refill is not capped at capacity: a long idle period banks an unlimited burst",
            &[REFILL_CAPPED.id],
            suite::<Flawed<UncappedRefill>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/refill-capped"]),
        realistic(
            "burst-off-by-one",
            "the admission test allows one token of tolerance too many, so a full bucket grants capacity + 1",
            &[BURST_EXACT.id, WINDOW_BOUND.id],
            suite::<Flawed<BurstOffByOne>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/starts-full", "rate-limiter/window-bound"]),
        realistic(
            "remainder-dropped",
            "partial refills are truncated to whole tokens and `last = now` throws the fraction away",
            &[PATH_INDEPENDENT.id, EXACT_RETRY_AFTER.id],
            suite::<Flawed<RemainderDropped>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/fractions-carried"]),
        realistic(
            "lump-refill",
            "refill adds a whole period's tokens at the end of each period instead of one token every period / rate",
            &[WINDOW_BOUND.id],
            suite::<Flawed<LumpRefill>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/window-bound"]),
        realistic(
            "load-check-store-race",
            "reads the state under one lock, decides, and writes it back under another: two threads can spend the same token",
            &[FROZEN_CLOCK_EXACT.id, CONCURRENT_WINDOW_BOUND.id],
            suite::<Flawed<LoadCheckStore>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/atomic-decision"]),
        realistic(
            "bucket-per-tier",
            "buckets are keyed by the tenant's tier instead of the tenant: tenants of one tier drain each other",
            &[TENANT_ISOLATION.id],
            suite::<reference::TokenBucket, FlawedKeyed<SharedPerTier>, RefShared>,
        )
        .breaking(&["rate-limiter/tenant-isolation"]),
        realistic(
            "evict-by-last-access",
            "evicts tenants idle for a quarter of the refill time, full or not: a throttled tenant that pauses comes back to a full bucket",
            &[EVICTION_INVISIBLE.id],
            suite::<reference::TokenBucket, FlawedKeyed<EvictByLastAccess>, RefShared>,
        )
        .breaking(&["rate-limiter/eviction-invisible"]),
        realistic(
            "unbounded-map",
            "never evicts: memory grows with every tenant ever seen",
            &[BOUNDED_MEMORY.id],
            suite::<reference::TokenBucket, FlawedKeyed<NeverEvicts>, RefShared>,
        )
        .breaking(&["rate-limiter/bounded-memory"]),
        realistic(
            "exceeds-as-retry",
            "a request larger than the capacity is told to retry later instead of being rejected for good",
            &[EXCEEDS_CAPACITY.id],
            suite::<Flawed<ExceedsAsRetry>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/exceeds-capacity"]),
        realistic(
            "consume-on-denial",
            "a denied request still takes the tokens that were there (partial consumption)",
            &[DENIAL_NO_SIDE_EFFECTS.id],
            suite::<Flawed<ConsumeOnDenial>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/denial-changes-nothing"]),
        realistic(
            "float-tokens",
            "tokens are an f64: refills drift over many small steps and large buckets lose whole tokens",
            &[BURST_EXACT.id, PATH_INDEPENDENT.id],
            suite::<FloatBucket, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/starts-full", "rate-limiter/fractions-carried"]),
        realistic(
            "retry-rounded-down",
            "retry_after is rounded down, so retrying on time is still denied",
            &[EXACT_RETRY_AFTER.id],
            suite::<Flawed<RetryRoundedDown>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/retry-after-exact"]),
        realistic(
            "unchecked-clock-subtraction",
            "computes now - last without checking that the clock moved forwards (wraps or panics) and sets last = now",
            &[CLOCK_BACKWARDS.id],
            suite::<Flawed<UncheckedClock>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/clock-backwards"]),
        realistic(
            "refill-overflow",
            "computes elapsed × rate in u64, which overflows after a long idle period",
            &[REFILL_CAPPED.id],
            suite::<Flawed<RefillOverflow>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/idle-no-overflow"]),
        realistic(
            "zero-costs-one",
            "a request for 0 tokens is charged as 1, so it fails on an empty bucket",
            &[ZERO_REQUEST.id],
            suite::<Flawed<ZeroCostsOne>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/zero-request"]),
        realistic(
            "no-config-validation",
            "accepts any configuration, including zero capacity, rate and period",
            &[INVALID_CONFIG.id],
            suite::<Flawed<NoValidation>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/config-errors"]),
        realistic(
            "retrying-waiter",
            "a reservation does not set its tokens aside; it just computes when they would be there, so small requests jump ahead of it",
            &[FIFO_ORDER.id, NO_QUEUE_JUMPING.id],
            suite::<Flawed<RetryingWaiter>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/fifo-reservations", "rate-limiter/no-queue-jumping"]),
        realistic(
            "cancel-keeps-tokens",
            "dropping a waiting reservation does not give its tokens back",
            &[CANCEL_RETURNS_TOKENS.id],
            suite::<Flawed<CancelKeepsTokens>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/cancel-refunds"]),
        realistic(
            "cancel-always-refunds",
            "dropping a reservation gives its tokens back even after they were used, minting tokens",
            &[CANCEL_RETURNS_TOKENS.id],
            suite::<Flawed<CancelAlwaysRefunds>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/ready-is-spent"]),
        realistic(
            "client-side-read-modify-write",
            "reads the bucket from Redis, decides in the client and writes it back (no script): clients overwrite each other's updates",
            &[SHARED_WINDOW_BOUND.id],
            suite::<RefBucket, RefKeyed, NaiveRedis<ClientSideUpdate>>,
        )
        .breaking(&["rate-limiter/shared-atomic"]),
        realistic(
            "client-clock",
            "refills by the client's own clock instead of the server's, so a client whose clock runs ahead mints tokens",
            &[SHARED_CLIENT_CLOCKS.id],
            suite::<RefBucket, RefKeyed, NaiveRedis<ClientClock>>,
        )
        .breaking(&["rate-limiter/shared-store-clock"]),
        realistic(
            "no-key-expiry",
            "never sets a TTL on bucket keys: Redis keeps a key for every tenant ever seen",
            &[SHARED_KEYS_EXPIRE.id],
            suite::<RefBucket, RefKeyed, NaiveRedis<NoExpiry>>,
        )
        .breaking(&["rate-limiter/shared-keys-expire"]),
        realistic(
            "script-never-reloaded",
            "loads the script once and calls it by hash forever: after a Redis restart every call fails with NOSCRIPT",
            &[SHARED_STORE_RESTART.id],
            suite::<RefBucket, RefKeyed, NaiveRedis<NeverReloaded>>,
        )
        .breaking(&["rate-limiter/shared-restart"]),
        realistic(
            "tenant-left-out-of-key",
            "builds the Redis key from the prefix alone, so every tenant shares one bucket",
            &[SHARED_KEY_ISOLATION.id],
            suite::<RefBucket, RefKeyed, Misconfigured<KeyIgnored>>,
        )
        .breaking(&["rate-limiter/shared-key-namespace"]),
        realistic(
            "always-fails-closed",
            "ignores the configured fail-open policy: an unreachable Redis refuses every request",
            &[SHARED_STORE_DOWN.id],
            suite::<RefBucket, RefKeyed, Misconfigured<FailOpenIgnored>>,
        )
        .breaking(&["rate-limiter/shared-failure-policy"]),
        realistic(
            "no-store-timeout",
            "sets no timeout on the Redis connection: a Redis that hangs hangs every caller",
            &[SHARED_STORE_HANGS.id],
            suite::<RefBucket, RefKeyed, Misconfigured<NoTimeout>>,
        )
        .breaking(&["rate-limiter/shared-timeout"]),
        realistic(
            "shared-exceeds-as-retry",
            "a request larger than the capacity is sent to Redis and told to retry later instead of being rejected for good",
            &[SHARED_BASICS.id],
            suite::<RefBucket, RefKeyed, Misconfigured<OversizeWaits>>,
        )
        .breaking(&["rate-limiter/shared-local-answers"]),
        realistic(
            "clock-read-before-lock",
            "reads the clock before taking the lock: a thread preempted in between decides on a reading older than the grants made meanwhile, and refuses tokens that had accrued",
            &[FRESH_CLOCK_READING.id],
            suite::<Flawed<ClockBeforeLock>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/clock-after-state"]),
        realistic(
            "keyed-refill-overflow",
            "each tenant's bucket computes elapsed × rate in u64 (buckets kept in one map that is never swept): a tenant of a large tier idle long enough comes back to a wrapped, nearly empty bucket",
            &[TENANT_ISOLATION.id],
            suite::<RefBucket, FlawedKeyed<NeverEvicts, Flawed<RefillOverflow>>, RefShared>,
        )
        .breaking(&["rate-limiter/keyed-largest-values"]),
        realistic(
            "tenant-configs-unchecked",
            "new() validates only the default config; a tenant's own invalid config is accepted",
            &[KEYED_CONFIG_ERRORS.id],
            suite::<RefBucket, FlawedKeyed<TenantConfigsUnchecked>, RefShared>,
        )
        .breaking(&["rate-limiter/keyed-config-errors"]),
        realistic(
            "one-lock-for-all-tenants",
            "every tenant's call decides under one mutex around the whole keyed limiter: tenants queue behind each other",
            &[TENANTS_IN_PARALLEL.id],
            suite::<RefBucket, GlobalLockKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/tenants-in-parallel"]),
        realistic(
            "shared-retry-after-zero",
            "a shared denial reports retry_after zero — the client keeps only the store's yes or no — so callers retry at once",
            &[SHARED_BASICS.id],
            suite::<RefBucket, RefKeyed, Misconfigured<RetryUnknown>>,
        )
        .breaking(&["rate-limiter/shared-retry-after"]),
        realistic(
            "connect-checks-store-first",
            "connect checks the URL, prefix and timeout before the bucket config, so a config with two defects reports the wrong one",
            &[SHARED_BASICS.id],
            suite::<RefBucket, RefKeyed, Misconfigured<StoreCheckedFirst>>,
        )
        .breaking(&["rate-limiter/shared-connect-order"]),
        realistic(
            "cancel-refund-uncapped",
            "a cancelled reservation's tokens are added back without the cap (and a refill with no time elapsed is skipped), so right after the refund the bucket holds more than its capacity",
            &[CANCEL_RETURNS_TOKENS.id],
            suite::<Flawed<CancelUncapped>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/cancel-refund-capped"]),
        realistic(
            "zero-denied-behind-queue",
            "try_acquire(0) goes through the level check, which fails while reservations hold the bucket in debt",
            &[ZERO_REQUEST.id],
            suite::<Flawed<ZeroBehindQueue>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/zero-while-queued"]),
        realistic(
            "queue-debt-overflow",
            "ready_at is computed in 64-bit nanoseconds, which wrap once the queue owes more than 2^64 ns of refill",
            &[FIFO_ORDER.id],
            suite::<Flawed<DeadlineU64>, RefKeyed, RefShared>,
        )
        .breaking(&["rate-limiter/largest-values-exact"]),
        realistic(
            "ttl-of-the-take",
            "a key expires after the time the tokens just taken need to refill, not the time the bucket needs to be full: a drained key vanishes early and comes back full",
            &[SHARED_KEYS_EXPIRE.id],
            suite::<RefBucket, RefKeyed, NaiveRedis<TtlOfTake>>,
        )
        .breaking(&["rate-limiter/shared-keys-live-until-full"]),
    ];
    mutants.extend(hostile::mutants::<HostileSuite>());
    mutants
}
