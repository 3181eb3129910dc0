//! Known-wrong token buckets. Each realistic mutant is one mistake candidates really make; the
//! rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic, hang or
//! abort, to prove the grader survives them.
//!
//! Most realistic mutants share one flawed-by-configuration bucket, [`Flawed`], whose [`Flaw`]
//! switches on exactly one bug; the float bucket has its own type because its state differs.

use super::conformance::{
    BOUNDED_MEMORY, BURST_EXACT, CANCEL_RETURNS_TOKENS, CLOCK_BACKWARDS, CONCURRENT_WINDOW_BOUND,
    DENIAL_NO_SIDE_EFFECTS, EVICTION_INVISIBLE, EXACT_RETRY_AFTER, EXCEEDS_CAPACITY, FIFO_ORDER,
    FRESH_CLOCK_READING, FROZEN_CLOCK_EXACT, INVALID_CONFIG, NO_QUEUE_JUMPING, PATH_INDEPENDENT,
    REFILL_CAPPED, SHARED_BASICS, SHARED_CLIENT_CLOCKS, SHARED_KEY_ISOLATION, SHARED_KEYS_EXPIRE,
    SHARED_STORE_DOWN, SHARED_STORE_HANGS, SHARED_STORE_RESTART, SHARED_WINDOW_BOUND,
    TENANT_ISOLATION, WINDOW_BOUND, ZERO_REQUEST, suite,
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

// ---------------------------------------------------------------------------------------------
// The configurable flawed bucket
// ---------------------------------------------------------------------------------------------

/// One bug, switched on by overriding one constant.
pub trait Flaw: Send + Sync + 'static {
    /// Never cap the level at capacity.
    const NO_CAP: bool = false;
    /// Admit when one token short (GCRA tolerance of b·T instead of (b−1)·T).
    const EXTRA_TOKEN: bool = false;
    /// Throw away the fraction of a token accrued at each refill.
    const DROP_REMAINDER: bool = false;
    /// Add `refill_tokens` only when a whole period has passed.
    const LUMP_REFILL: bool = false;
    /// Read state, release the lock, read the clock, then write state back.
    const SPLIT_LOCK: bool = false;
    /// Answer `n > capacity` with a wait.
    const EXCEEDS_AS_RETRY: bool = false;
    /// Take what is there on a denial.
    const CONSUME_ON_DENIAL: bool = false;
    /// Round `retry_after` down.
    const ROUND_DOWN: bool = false;
    /// `now - last` unchecked, and `last = now` even backwards.
    const UNCHECKED_CLOCK: bool = false;
    /// `elapsed * rate` in u64.
    const OVERFLOWING_REFILL: bool = false;
    /// Charge 0-token requests as 1.
    const ZERO_COSTS_ONE: bool = false;
    /// Accept any config.
    const NO_VALIDATION: bool = false;
    /// Reservations do not set tokens aside.
    const RETRYING_WAITER: bool = false;
    /// Dropping a waiting reservation keeps its tokens.
    const CANCEL_KEEPS: bool = false;
    /// Dropping any reservation refunds it.
    const CANCEL_ALWAYS_REFUNDS: bool = false;
    /// A cancellation's refund is not capped at capacity.
    const CANCEL_UNCAPPED: bool = false;
    /// A 0-token request goes through the level check, which a bucket in debt fails.
    const ZERO_BEHIND_QUEUE: bool = false;
    /// `ready_at` is computed in u64 nanoseconds, wrapping past 2^64.
    const DEADLINE_U64: bool = false;
    /// Read the clock before taking the lock.
    const CLOCK_BEFORE_LOCK: bool = false;
}

macro_rules! flaws {
    ($($name:ident => $knob:ident),+ $(,)?) => {$(
        #[doc = concat!("Switches on `", stringify!($knob), "`.")]
        pub struct $name;
        impl Flaw for $name {
            const $knob: bool = true;
        }
    )+};
}

flaws! {
    UncappedRefill => NO_CAP,
    BurstOffByOne => EXTRA_TOKEN,
    RemainderDropped => DROP_REMAINDER,
    LumpRefill => LUMP_REFILL,
    LoadCheckStore => SPLIT_LOCK,
    ExceedsAsRetry => EXCEEDS_AS_RETRY,
    ConsumeOnDenial => CONSUME_ON_DENIAL,
    RetryRoundedDown => ROUND_DOWN,
    UncheckedClock => UNCHECKED_CLOCK,
    RefillOverflow => OVERFLOWING_REFILL,
    ZeroCostsOne => ZERO_COSTS_ONE,
    NoValidation => NO_VALIDATION,
    RetryingWaiter => RETRYING_WAITER,
    CancelKeepsTokens => CANCEL_KEEPS,
    CancelAlwaysRefunds => CANCEL_ALWAYS_REFUNDS,
    CancelUncapped => CANCEL_UNCAPPED,
    ZeroBehindQueue => ZERO_BEHIND_QUEUE,
    DeadlineU64 => DEADLINE_U64,
    ClockBeforeLock => CLOCK_BEFORE_LOCK,
}

/// A token bucket that counts whole tokens plus the fraction accrued toward the next one, with
/// one [`Flaw`] switched on.
pub struct Flawed<F> {
    clock: Arc<dyn Clock>,
    capacity: u64,
    rate: u64,
    period_ns: u64,
    state: Mutex<Tally>,
    flaw: PhantomData<F>,
}

#[derive(Clone, Copy)]
struct Tally {
    /// Whole tokens; negative while reservations are owed.
    tokens: i128,
    /// Sub-token progress toward the next token, in 1/period_ns units (< period_ns).
    partial: u128,
    /// Last clock reading accounted for, ns.
    last: u64,
}

impl<F: Flaw> Flawed<F> {
    fn now(&self) -> u64 {
        u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX)
    }

    fn refill(&self, t: &mut Tally, now: u64) {
        let elapsed = if F::UNCHECKED_CLOCK {
            // The bug: no check that the clock moved forwards.
            let e = now.wrapping_sub(t.last);
            t.last = now;
            e
        } else {
            let e = now.saturating_sub(t.last);
            t.last = t.last.max(now);
            e
        };
        if F::LUMP_REFILL {
            let periods = elapsed / self.period_ns;
            // Only whole periods count; the clock position of the rest is kept.
            t.last = t.last - elapsed + periods * self.period_ns;
            t.tokens += i128::from(periods) * i128::from(self.rate);
        } else {
            let gained = if F::OVERFLOWING_REFILL {
                u128::from(elapsed.wrapping_mul(self.rate))
            } else {
                u128::from(elapsed) * u128::from(self.rate)
            };
            let grains = t.partial.saturating_add(gained);
            let whole = grains / u128::from(self.period_ns);
            t.tokens = t
                .tokens
                .saturating_add(i128::try_from(whole).unwrap_or(i128::MAX));
            t.partial = if F::DROP_REMAINDER {
                0
            } else {
                grains % u128::from(self.period_ns)
            };
        }
        if !F::NO_CAP && t.tokens >= i128::from(self.capacity) {
            t.tokens = i128::from(self.capacity);
            t.partial = 0;
        }
    }

    /// ns until the level rises by `deficit` whole tokens (minus the partial already there).
    fn wait(&self, t: &Tally, deficit: i128) -> u128 {
        let grains = u128::try_from(deficit).unwrap_or(0) * u128::from(self.period_ns);
        let grains = grains.saturating_sub(t.partial);
        let rate = u128::from(self.rate);
        if F::ROUND_DOWN {
            grains / rate
        } else {
            grains.div_ceil(rate)
        }
    }

    /// Runs `f` on the refilled state, under one lock (or, with SPLIT_LOCK, racily).
    fn with_state<T>(&self, f: impl FnOnce(&mut Tally, u64) -> T) -> T {
        if F::SPLIT_LOCK {
            let mut copy = *self.state.lock();
            let now = self.now();
            self.refill(&mut copy, now);
            let out = f(&mut copy, now);
            *self.state.lock() = copy;
            out
        } else if F::CLOCK_BEFORE_LOCK {
            // The bug: by the time the lock is ours, another thread may have granted on a
            // later reading, and this one is older than the state it meets.
            let now = self.now();
            let mut t = self.state.lock();
            self.refill(&mut t, now);
            f(&mut t, now)
        } else {
            let mut t = self.state.lock();
            let now = self.now();
            self.refill(&mut t, now);
            f(&mut t, now)
        }
    }
}

impl<F: Flaw> RateLimiter for Flawed<F> {
    type Reservation<'a> = FlawedReservation<'a, F>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let period_ns = u64::try_from(config.refill_period.as_nanos()).unwrap_or(u64::MAX);
        if !F::NO_VALIDATION {
            if config.capacity == 0 {
                return Err(ConfigError::ZeroCapacity);
            }
            if config.refill_tokens == 0 {
                return Err(ConfigError::ZeroRefillTokens);
            }
            if period_ns == 0 {
                return Err(ConfigError::ZeroRefillPeriod);
            }
            if config.refill_period.as_nanos() > u128::from(u64::MAX)
                || config.capacity.checked_mul(period_ns).is_none()
            {
                return Err(ConfigError::TooLarge {
                    capacity: config.capacity,
                    refill_period: config.refill_period,
                });
            }
        }
        let last = u64::try_from(clock.now().as_nanos()).unwrap_or(u64::MAX);
        Ok(Self {
            clock,
            capacity: config.capacity,
            rate: config.refill_tokens.max(1),
            period_ns: period_ns.max(1),
            state: Mutex::new(Tally {
                tokens: i128::from(config.capacity),
                partial: 0,
                last,
            }),
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.capacity && !F::EXCEEDS_AS_RETRY {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let tokens = if F::ZERO_COSTS_ONE {
            tokens.max(1)
        } else {
            tokens
        };
        if tokens == 0 && !F::ZERO_BEHIND_QUEUE {
            return Ok(());
        }
        let want = i128::from(tokens);
        self.with_state(|t, now| {
            let allowance = if F::EXTRA_TOKEN {
                t.tokens + 1
            } else {
                t.tokens
            };
            if allowance >= want {
                t.tokens -= want;
                return Ok(());
            }
            let deficit = want - t.tokens;
            let wait = self.wait(t, deficit) + u128::from(t.last.saturating_sub(now));
            let wait = u64::try_from(wait).unwrap_or(u64::MAX);
            if F::CONSUME_ON_DENIAL && t.tokens > 0 {
                t.tokens = 0;
            }
            Err(AcquireError::RateLimited {
                retry_after: Duration::from_nanos(wait),
            })
        })
    }

    fn reserve(&self, tokens: u64) -> Result<FlawedReservation<'_, F>, AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let ready_at = self.with_state(|t, now| {
            if tokens == 0 {
                return u128::from(now);
            }
            let after = t.tokens - i128::from(tokens);
            if !F::RETRYING_WAITER {
                t.tokens = after;
            }
            if after >= 0 {
                u128::from(now)
            } else if F::DEADLINE_U64 {
                // The bug: 64-bit nanoseconds wrap once the queue owes more than 2^64 ns.
                u128::from(t.last.wrapping_add(self.wait(t, -after) as u64))
            } else {
                u128::from(t.last) + self.wait(t, -after)
            }
        });
        Ok(FlawedReservation {
            bucket: self,
            tokens,
            ready_at: nanos_to_duration(ready_at),
        })
    }
}

/// A reservation in a [`Flawed`] bucket.
pub struct FlawedReservation<'a, F: Flaw> {
    bucket: &'a Flawed<F>,
    tokens: u64,
    ready_at: Duration,
}

impl<F: Flaw> super::Reservation for FlawedReservation<'_, F> {
    fn ready_at(&self) -> Duration {
        self.ready_at
    }
    fn tokens(&self) -> u64 {
        self.tokens
    }
}

impl<F: Flaw> Drop for FlawedReservation<'_, F> {
    fn drop(&mut self) {
        if F::CANCEL_KEEPS || F::RETRYING_WAITER {
            return;
        }
        let b = self.bucket;
        let (ready_at, tokens) = (self.ready_at, self.tokens);
        b.with_state(|t, now| {
            if F::CANCEL_ALWAYS_REFUNDS || Duration::from_nanos(now) < ready_at {
                t.tokens += i128::from(tokens);
                if !F::CANCEL_UNCAPPED && t.tokens >= i128::from(b.capacity) {
                    t.tokens = i128::from(b.capacity);
                    t.partial = 0;
                }
            }
        });
    }
}

/// `ns` nanoseconds as a `Duration`, saturating at `Duration::MAX`.
fn nanos_to_duration(ns: u128) -> Duration {
    let secs = u64::try_from(ns / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(secs, (ns % 1_000_000_000) as u32)
}

// ---------------------------------------------------------------------------------------------
// Flawed keyed limiters (stage 4)
// ---------------------------------------------------------------------------------------------

/// A keyed-limiter bug.
pub trait KeyedFlaw: Send + Sync + 'static {
    /// One bucket per tier instead of per tenant.
    const PER_TIER: bool = false;
    /// Evict buckets idle for a quarter of the refill horizon, full or not.
    const EVICT_IDLE: bool = false;
}

/// Buckets keyed by tier.
pub struct SharedPerTier;
impl KeyedFlaw for SharedPerTier {
    const PER_TIER: bool = true;
}

/// Eviction by last access.
pub struct EvictByLastAccess;
impl KeyedFlaw for EvictByLastAccess {
    const EVICT_IDLE: bool = true;
}

/// No eviction at all.
pub struct NeverEvicts;
impl KeyedFlaw for NeverEvicts {}

#[derive(PartialEq, Eq, Hash)]
enum Slot {
    Tenant(u32),
    Tier(BucketConfig),
}

/// A keyed limiter made of whole reference buckets in one map, with one [`KeyedFlaw`].
pub struct FlawedKeyed<F> {
    clock: Arc<dyn Clock>,
    quotas: Quotas<u32>,
    idle_limit: u64,
    buckets: Mutex<HashMap<Slot, (reference::TokenBucket, u64)>>,
    flaw: PhantomData<F>,
}

impl<F: KeyedFlaw> KeyedRateLimiter<u32> for FlawedKeyed<F> {
    fn new(quotas: Quotas<u32>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        for config in std::iter::once(&quotas.default).chain(quotas.tenants.values()) {
            reference::TokenBucket::new(*config, clock.clone())?;
        }
        let idle_limit = u64::try_from(quotas.longest_refill().as_nanos() / 4).unwrap_or(u64::MAX);
        Ok(Self {
            clock,
            quotas,
            idle_limit,
            buckets: Mutex::new(HashMap::new()),
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, tenant: &u32, tokens: u64) -> Result<(), AcquireError> {
        let config = *self
            .quotas
            .tenants
            .get(tenant)
            .unwrap_or(&self.quotas.default);
        let slot = if F::PER_TIER {
            Slot::Tier(config)
        } else {
            Slot::Tenant(*tenant)
        };
        let now = u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX);
        let mut buckets = self.buckets.lock();
        if F::EVICT_IDLE {
            buckets.retain(|_, (_, last)| now.saturating_sub(*last) <= self.idle_limit);
        }
        let (bucket, last) = buckets.entry(slot).or_insert_with(|| {
            let bucket = reference::TokenBucket::new(config, self.clock.clone());
            (bucket.expect("every config was validated in new()"), now)
        });
        *last = now;
        bucket.try_acquire(tokens)
    }

    fn len(&self) -> usize {
        self.buckets.lock().len()
    }
}

// ---------------------------------------------------------------------------------------------
// Floating-point tokens
// ---------------------------------------------------------------------------------------------

/// Tokens as `f64`, refilled by `elapsed × rate_per_ns`: drifts, and loses whole tokens above 2^53.
pub struct FloatBucket {
    clock: Arc<dyn Clock>,
    capacity: u64,
    per_ns: f64,
    state: Mutex<(f64, u64)>,
}

impl FloatBucket {
    fn refilled(&self) -> parking_lot::MutexGuard<'_, (f64, u64)> {
        let now = u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX);
        let mut s = self.state.lock();
        let elapsed = now.saturating_sub(s.1) as f64;
        s.0 = (s.0 + elapsed * self.per_ns).min(self.capacity as f64);
        s.1 = s.1.max(now);
        s
    }

    fn wait(&self, missing: f64) -> Duration {
        Duration::from_nanos((missing / self.per_ns).ceil() as u64)
    }
}

impl RateLimiter for FloatBucket {
    type Reservation<'a> = FloatReservation<'a>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        // Validation is right; the arithmetic is not.
        let probe = reference::TokenBucket::new(config, clock.clone())?;
        drop(probe);
        Ok(Self {
            capacity: config.capacity,
            per_ns: config.refill_tokens as f64 / config.refill_period.as_nanos() as f64,
            state: Mutex::new((
                config.capacity as f64,
                u64::try_from(clock.now().as_nanos()).unwrap_or(u64::MAX),
            )),
            clock,
        })
    }

    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let mut s = self.refilled();
        let want = tokens as f64;
        if s.0 >= want {
            s.0 -= want;
            Ok(())
        } else {
            Err(AcquireError::RateLimited {
                retry_after: self.wait(want - s.0),
            })
        }
    }

    fn reserve(&self, tokens: u64) -> Result<FloatReservation<'_>, AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        let mut s = self.refilled();
        s.0 -= tokens as f64;
        let wait = if s.0 >= 0.0 {
            Duration::ZERO
        } else {
            self.wait(-s.0)
        };
        Ok(FloatReservation {
            bucket: self,
            tokens,
            ready_at: Duration::from_nanos(s.1) + wait,
        })
    }
}

/// A reservation in a [`FloatBucket`].
pub struct FloatReservation<'a> {
    bucket: &'a FloatBucket,
    tokens: u64,
    ready_at: Duration,
}

impl super::Reservation for FloatReservation<'_> {
    fn ready_at(&self) -> Duration {
        self.ready_at
    }
    fn tokens(&self) -> u64 {
        self.tokens
    }
}

impl Drop for FloatReservation<'_> {
    fn drop(&mut self) {
        let mut s = self.bucket.refilled();
        if Duration::from_nanos(s.1) < self.ready_at {
            s.0 = (s.0 + self.tokens as f64).min(self.bucket.capacity as f64);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile mutants
// ---------------------------------------------------------------------------------------------

impl<K: Hash + Eq + Clone + Send + Sync, M: Misbehaviour> KeyedRateLimiter<K> for Hostile<M> {
    fn new(_: Quotas<K>, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn try_acquire(&self, _: &K, _: u64) -> Result<(), AcquireError> {
        M::act()
    }

    fn len(&self) -> usize {
        M::act()
    }
}

/// A limiter whose every method misbehaves as `M` says.
pub struct Hostile<M> {
    inner: reference::TokenBucket,
    misbehaviour: PhantomData<M>,
}

impl<M: Misbehaviour> RateLimiter for Hostile<M> {
    type Reservation<'a> = reference::Reservation<'a>;

    fn new(_: BucketConfig, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn try_acquire(&self, _: u64) -> Result<(), AcquireError> {
        let _ = &self.inner;
        let _ = self.misbehaviour;
        M::act()
    }

    fn reserve(&self, _: u64) -> Result<reference::Reservation<'_>, AcquireError> {
        M::act()
    }
}

impl<M: Misbehaviour> SharedRateLimiter for Hostile<M> {
    fn connect(
        _: BucketConfig,
        _: StoreConfig,
        _: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        M::act()
    }

    fn try_acquire(&self, _: &str, _: u64) -> Result<Admission, SharedError> {
        M::act()
    }
}

// ---------------------------------------------------------------------------------------------
// Shared (Redis) mutants
// ---------------------------------------------------------------------------------------------

/// One bug of a hand-rolled Redis client, switched on by overriding one constant.
pub trait RedisFlaw: Send + Sync + 'static {
    /// Read the bucket, decide in the client, write it back: no script.
    const CLIENT_SIDE_UPDATE: bool = false;
    /// Read time from the client's clock instead of the server's (implies a client-side update).
    const CLIENT_CLOCK: bool = false;
    /// Never set a TTL on the bucket's key.
    const NO_EXPIRY: bool = false;
    /// Call the script by hash without ever loading it again.
    const NEVER_RELOADED: bool = false;
    /// Expire a key after the time the tokens just taken need to come back, forgetting what
    /// the bucket already lacked.
    const TTL_OF_TAKE: bool = false;
}

macro_rules! redis_flaws {
    ($($name:ident => $knob:ident),+ $(,)?) => {$(
        #[doc = concat!("Switches on `", stringify!($knob), "`.")]
        pub struct $name;
        impl RedisFlaw for $name {
            const $knob: bool = true;
        }
    )+};
}

redis_flaws! {
    ClientSideUpdate => CLIENT_SIDE_UPDATE,
    ClientClock => CLIENT_CLOCK,
    NoExpiry => NO_EXPIRY,
    NeverReloaded => NEVER_RELOADED,
    TtlOfTake => TTL_OF_TAKE,
}

/// A Redis-backed bucket written the way a first attempt often is, with one [`RedisFlaw`].
///
/// Without the client-side flaws it runs the reference's script (minus the expiry, for
/// [`NoExpiry`]), so each mutant differs from a correct solution in exactly one way.
pub struct NaiveRedis<F> {
    bucket: BucketConfig,
    prefix: String,
    timeout: Duration,
    on_failure: FailurePolicy,
    clock: Arc<dyn Clock>,
    client: redis::Client,
    script: redis::Script,
    /// Whether the script was loaded, for [`NeverReloaded`].
    loaded: std::sync::atomic::AtomicBool,
    idle: Mutex<Vec<redis::Connection>>,
    flaw: PhantomData<F>,
}

impl<F: RedisFlaw> NaiveRedis<F> {
    fn grains(&self) -> (u64, u64, u64) {
        let per_token = self.bucket.refill_period.as_nanos() as u64;
        let per_ns = self.bucket.refill_tokens;
        let max = self.bucket.capacity * per_token;
        (max, per_ns, per_token)
    }

    /// One decision: `Ok(None)` granted, `Ok(Some(grains short))` denied.
    fn decide(
        &self,
        conn: &mut redis::Connection,
        key: &str,
        tokens: u64,
    ) -> redis::RedisResult<Option<u64>> {
        let (max, per_ns, per_token) = self.grains();
        let cost = tokens * per_token;
        let fill_ns = max.div_ceil(per_ns);
        if !(F::CLIENT_SIDE_UPDATE || F::CLIENT_CLOCK) {
            let mut call = redis::cmd("EVALSHA");
            call.arg(self.script.get_hash())
                .arg(1)
                .arg(key)
                .arg(max)
                .arg(per_ns)
                .arg(cost)
                .arg(fill_ns);
            if !self.loaded.swap(true, std::sync::atomic::Ordering::Relaxed) {
                self.script.load(conn)?;
            }
            let reply: (u8, u64) = match call.query(conn) {
                Err(e)
                    if !F::NEVER_RELOADED
                        && e.kind()
                            == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    self.script.load(conn)?;
                    call.query(conn)?
                }
                other => other?,
            };
            return Ok((reply.0 == 0).then_some(reply.1));
        }
        // The bug: three round trips with other clients free to act in between.
        let now_us: u64 = if F::CLIENT_CLOCK {
            self.clock.now().as_micros() as u64
        } else {
            let (s, us): (u64, u64) = redis::cmd("TIME").query(conn)?;
            s * 1_000_000 + us
        };
        let (grains, at): (Option<u64>, Option<u64>) = redis::cmd("HMGET")
            .arg(key)
            .arg("grains")
            .arg("at")
            .query(conn)?;
        let (mut grains, mut at) = (grains.unwrap_or(max), at.unwrap_or(now_us));
        if now_us > at {
            let elapsed_ns = u128::from(now_us - at) * 1_000;
            grains =
                (u128::from(grains) + elapsed_ns * u128::from(per_ns)).min(u128::from(max)) as u64;
            at = now_us;
        }
        if grains < cost {
            return Ok(Some(cost - grains));
        }
        grains -= cost;
        let full_in_ms = (max - grains).div_ceil(per_ns).div_ceil(1_000_000) + 1;
        redis::pipe()
            .cmd("HSET")
            .arg(key)
            .arg("grains")
            .arg(grains)
            .arg("at")
            .arg(at)
            .ignore()
            .cmd("PEXPIRE")
            .arg(key)
            .arg(full_in_ms)
            .ignore()
            .query::<()>(conn)?;
        Ok(None)
    }
}

impl<F: RedisFlaw> SharedRateLimiter for NaiveRedis<F> {
    fn connect(
        bucket: BucketConfig,
        store: StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        // Validation is not what these mutants get wrong: borrow the reference's.
        reference::RedisTokenBucket::connect(bucket, store.clone(), clock.clone())?;
        let client =
            redis::Client::open(store.url.as_str()).map_err(|e| SharedConfigError::InvalidUrl {
                url: store.url.clone(),
                reason: e.to_string(),
            })?;
        let source = if F::NO_EXPIRY {
            let expiry = "redis.call('PEXPIRE', KEYS[1], full_in_ms)";
            assert!(
                reference::BUCKET_SCRIPT.contains(expiry),
                "the reference script sets a TTL"
            );
            reference::BUCKET_SCRIPT.replace(expiry, "")
        } else if F::TTL_OF_TAKE {
            let until_full = "math.ceil((max_grains - grains) / per_ns";
            assert!(
                reference::BUCKET_SCRIPT.contains(until_full),
                "the reference script expires a key when its bucket is full"
            );
            reference::BUCKET_SCRIPT.replace(until_full, "math.ceil(cost / per_ns")
        } else {
            reference::BUCKET_SCRIPT.to_string()
        };
        Ok(Self {
            bucket,
            prefix: store.prefix,
            timeout: store.timeout,
            on_failure: store.on_failure,
            clock,
            client,
            script: redis::Script::new(&source),
            loaded: std::sync::atomic::AtomicBool::new(false),
            idle: Mutex::new(Vec::new()),
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError> {
        if tokens > self.bucket.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.bucket.capacity,
            }
            .into());
        }
        if tokens == 0 {
            return Ok(Admission::Counted);
        }
        let key = format!("{}{key}", self.prefix);
        // A pooled connection first, then one fresh one: the same recovery as the reference.
        let mut last = None;
        for attempt in 0..2 {
            let conn = match (attempt, self.idle.lock().pop()) {
                (0, Some(conn)) => Ok(conn),
                _ => self.client.get_connection_with_timeout(self.timeout),
            };
            let mut conn = match conn {
                Ok(c) => c,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let _ = conn.set_read_timeout(Some(self.timeout));
            let _ = conn.set_write_timeout(Some(self.timeout));
            match self.decide(&mut conn, &key, tokens) {
                Ok(short) => {
                    self.idle.lock().push(conn);
                    return match short {
                        None => Ok(Admission::Counted),
                        Some(grains) => {
                            let ns = grains.div_ceil(self.bucket.refill_tokens);
                            Err(AcquireError::RateLimited {
                                retry_after: Duration::from_micros(ns.div_ceil(1_000)),
                            }
                            .into())
                        }
                    };
                }
                Err(e) => last = Some(e),
            }
        }
        let reason = last.map_or_else(String::new, |e| e.to_string());
        match self.on_failure {
            FailurePolicy::Open => Ok(Admission::FailedOpen { reason }),
            FailurePolicy::Closed => Err(SharedError::Unavailable { reason }),
        }
    }
}

/// One bug in how a correct Redis bucket is used, switched on by overriding one constant.
pub trait UsageFlaw: Send + Sync + 'static {
    /// Leave the tenant out of the Redis key.
    const KEY_IGNORED: bool = false;
    /// Fail closed whatever the policy says.
    const FAIL_OPEN_IGNORED: bool = false;
    /// No timeout on the connection.
    const NO_TIMEOUT: bool = false;
    /// Send `n > capacity` to the store, which says "wait".
    const OVERSIZE_WAITS: bool = false;
}

macro_rules! usage_flaws {
    ($($name:ident => $knob:ident),+ $(,)?) => {$(
        #[doc = concat!("Switches on `", stringify!($knob), "`.")]
        pub struct $name;
        impl UsageFlaw for $name {
            const $knob: bool = true;
        }
    )+};
}

usage_flaws! {
    KeyIgnored => KEY_IGNORED,
    FailOpenIgnored => FAIL_OPEN_IGNORED,
    NoTimeout => NO_TIMEOUT,
    OversizeWaits => OVERSIZE_WAITS,
}

/// The reference shared bucket, misused in one way.
pub struct Misconfigured<F> {
    inner: reference::RedisTokenBucket,
    capacity: u64,
    refill_period: Duration,
    flaw: PhantomData<F>,
}

impl<F: UsageFlaw> SharedRateLimiter for Misconfigured<F> {
    fn connect(
        bucket: BucketConfig,
        mut store: StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        if F::FAIL_OPEN_IGNORED {
            store.on_failure = FailurePolicy::Closed;
        }
        if F::NO_TIMEOUT && store.timeout >= Duration::from_millis(1) {
            // As good as none: the socket's own defaults wait for hours.
            store.timeout = Duration::from_secs(24 * 3_600);
        }
        let inner = reference::RedisTokenBucket::connect(bucket, store, clock)?;
        Ok(Self {
            inner,
            capacity: bucket.capacity,
            refill_period: bucket.refill_period,
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError> {
        if F::OVERSIZE_WAITS && tokens > self.capacity {
            return Err(AcquireError::RateLimited {
                retry_after: self.refill_period,
            }
            .into());
        }
        let key = if F::KEY_IGNORED { "" } else { key };
        self.inner.try_acquire(key, tokens)
    }
}

/// This kata's suite bound to an implementation that misbehaves as `M` in every method.
struct HostileSuite;

impl hostile::HostileSuite for HostileSuite {
    fn suite<M: Misbehaviour>() -> Vec<crate::grading::Check> {
        suite::<Hostile<M>, Hostile<M>, Hostile<M>>()
    }
}
