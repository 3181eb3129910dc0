//! The rubric for the token-bucket kata: criteria and their checks, generic over
//! [`RateLimiter`].
//!
//! The checks see only the contract. Numbers (grants, waits, ready times) are compared with
//! [`Oracle`], an exact model of the bucket written for clarity rather than speed, so a solution
//! with a different design — a mutex or atomics, tokens or grains — gets full marks as long as
//! it behaves exactly like a token bucket.
//!
//! Use it from your own crate: `suite::<MyLimiter, MyKeyed, MyShared>()` gives the bound
//! checks; `lld_katas::conformance_tests!` turns them into `#[test]`s.
//!
//! Code map: this file holds the criteria and [`suite`]; `rules.rs` the contract's [`RULES`];
//! `model.rs` the exact [`Oracle`]; `describe.rs` how inputs and answers are written in failure
//! messages; `scenario.rs` the generators and replay drivers; `stage1.rs` … `stage5.rs` the checks
//! of one stage each (`stage5_failures.rs`: the store down, hanging or restarted).

mod describe;
mod model;
mod rules;
mod scenario;
mod stage1;
mod stage2;
mod stage3;
mod stage4;
mod stage5;
mod stage5_failures;

pub use describe::outcome;
use describe::*;
pub use model::Oracle;
pub use rules::RULES;
use scenario::*;
pub use stage1::*;
pub use stage2::*;
pub use stage3::*;
pub use stage4::*;
pub use stage5::*;
pub use stage5_failures::*;

use super::{
    AcquireError, Admission, BucketConfig, ConfigError, FailurePolicy, KeyedRateLimiter, Quotas,
    RateLimiter, Reservation, SharedConfigError, SharedError, SharedRateLimiter, StoreConfig,
};
use crate::clock::{Clock, HoldingClock, ManualClock, YieldingClock};
use crate::ensure;
use crate::grading::services::{RedisServer, SilentServer};
use crate::grading::stress::run_gated;
use crate::grading::{Check, Criterion, Failure, Rule, Transcript, check_property, unavailable};
use proptest::prelude::*;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Criteria
// ---------------------------------------------------------------------------------------------

/// Over any window the bucket grants no more than the burst plus what accrued.
pub const WINDOW_BOUND: Criterion = Criterion::new(
    "rate-limiter/stage1/window-bound",
    1,
    4,
    "never grants more than the burst plus what accrued",
    "over any window of length t, tokens granted ≤ capacity + floor(refill_tokens · t / refill_period); refill is continuous, not a lump at the end of each period",
    "refill one token every refill_period / refill_tokens, carrying fractions; never add a whole period's tokens at once",
);
/// A full bucket grants exactly its capacity at one instant.
pub const BURST_EXACT: Criterion = Criterion::new(
    "rate-limiter/stage1/burst-exact",
    1,
    3,
    "a full bucket grants exactly `capacity` at one instant",
    "a full bucket grants exactly `capacity` tokens at one instant, in any split, and then denies the next token (RateLimited)",
    "compare with >= against the tokens held, in exact integers; floats lose whole tokens above 2^53",
);
/// Reading the clock often does not change what the bucket holds.
pub const PATH_INDEPENDENT: Criterion = Criterion::new(
    "rate-limiter/stage1/path-independent",
    1,
    3,
    "how often time is read does not change the level",
    "tokens available at time T do not depend on how often the bucket was consulted before T: remainders of partial refills are kept, with no drift over 10^7 one-nanosecond steps",
    "when you add the whole tokens that accrued, keep the leftover fraction (don't set last = now), or count in exact sub-token units",
);
/// Refill stops at capacity, whatever the idle time.
pub const REFILL_CAPPED: Criterion = Criterion::new(
    "rate-limiter/stage1/refill-capped",
    1,
    3,
    "refill stops at capacity, even after huge idle times",
    "after any idle time — up to 2^63 ns — the bucket holds exactly `capacity` tokens: no more, and no overflow",
    "cap the level at capacity on every refill, and compute elapsed × rate in a type that cannot overflow (u128) or saturate",
);
/// `retry_after` is the exact wait.
pub const EXACT_RETRY_AFTER: Criterion = Criterion::new(
    "rate-limiter/stage1/exact-retry-after",
    1,
    4,
    "retry_after is the exact wait",
    "a denied request retried after exactly `retry_after` succeeds, and 1 ns earlier it does not",
    "round the wait up, not down: a token that is 2/3 accrued is not a token yet",
);
/// Denials change nothing; requests are all or nothing.
pub const DENIAL_NO_SIDE_EFFECTS: Criterion = Criterion::new(
    "rate-limiter/stage1/denial-no-side-effects",
    1,
    3,
    "a denial changes nothing; n tokens are all or nothing",
    "a denied request takes no tokens — not all, not some — so asking again at once gets the same answer and the same retry_after",
    "decide first, then subtract; never subtract what is available and then report a shortfall",
);
/// Asking for more than the capacity is a permanent error.
pub const EXCEEDS_CAPACITY: Criterion = Criterion::new(
    "rate-limiter/stage1/exceeds-capacity",
    1,
    2,
    "more than capacity is a permanent error, not a wait",
    "try_acquire(n) and reserve(n) with n > capacity return ExceedsCapacity { requested: n, capacity }, never RateLimited, and take nothing",
    "a request larger than the bucket can never succeed; telling the caller to retry makes it spin forever",
);
/// Invalid configurations are rejected with the right error.
pub const INVALID_CONFIG: Criterion = Criterion::new(
    "rate-limiter/stage1/invalid-config",
    1,
    2,
    "invalid configs are typed errors",
    "zero capacity, zero refill_tokens, zero refill_period and capacity × refill_period over u64::MAX ns are rejected with their ConfigError (checked in that order) — never accepted, never a panic",
    "validate in the constructor and return the first error in the documented order; check the multiplication with checked_mul",
);
/// A clock that goes backwards mints nothing.
pub const CLOCK_BACKWARDS: Criterion = Criterion::new(
    "rate-limiter/stage1/clock-backwards",
    1,
    3,
    "a clock that steps back mints no tokens",
    "when the clock steps backwards and then forwards again, no tokens are minted for time already accounted for, and nothing panics",
    "treat time going backwards as time standing still: elapsed = now.saturating_sub(last), and never move `last` backwards",
);
/// Zero tokens is always granted and takes nothing.
pub const ZERO_REQUEST: Criterion = Criterion::new(
    "rate-limiter/stage1/zero-request",
    1,
    1,
    "asking for 0 tokens always succeeds and takes nothing",
    "try_acquire(0) succeeds even on an empty bucket, and while reservations hold the bucket in debt, and takes nothing; reserve(0) is ready at once",
    "a request for nothing is trivially satisfiable: answer it before any level check (a bucket in debt has a negative level), and don't round it up to one token",
);
/// Concurrent callers on a frozen clock get exactly the capacity.
pub const FROZEN_CLOCK_EXACT: Criterion = Criterion::new(
    "rate-limiter/stage2/frozen-clock-exact",
    2,
    6,
    "many threads, frozen clock: exactly `capacity` granted",
    "with time frozen, threads racing on a full bucket are granted exactly `capacity` tokens in total, and the bucket is then empty: no over-admission, no lost update",
    "the read of the level, the decision and the write must be one atomic step: hold one lock across them, or compare-and-swap the whole state",
);
/// Concurrent callers with a moving clock respect the window bound.
pub const CONCURRENT_WINDOW_BOUND: Criterion = Criterion::new(
    "rate-limiter/stage2/concurrent-window-bound",
    2,
    6,
    "many threads, moving clock: the window bound holds",
    "while one thread advances the clock and others acquire, total grants never exceed capacity + floor(refill_tokens · elapsed / refill_period)",
    "a refill and a take must happen under the same lock (or in one compare-and-swap), including the write of the last-refill time",
);
/// A decision never rests on a clock reading older than the state it meets.
pub const FRESH_CLOCK_READING: Criterion = Criterion::new(
    "rate-limiter/stage2/fresh-clock-reading",
    2,
    4,
    "a refusal never rests on a stale clock reading",
    "while one call is held inside its clock read and another completes at a later time, the two answers are those of the calls made one after the other, each at a clock reading it took during the call — and a refusal is decided on a reading no older than every call ordered before it",
    "read the clock after loading the state (or under the lock), not before: a reading taken before another thread's grant is older than the state it meets, and refuses tokens that had accrued by then",
);
/// Reservations are served in arrival order.
pub const FIFO_ORDER: Criterion = Criterion::new(
    "rate-limiter/stage3/fifo-order",
    3,
    4,
    "reservations are served in arrival order",
    "each reservation's ready_at is the exact time its tokens exist after every earlier reservation is served — also for the largest configs and clock readings, where the queue owes more than 2^64 ns; a large request queued before small ones is ready first and is never starved by them",
    "set a reservation's tokens aside when it is made (the bucket may go into debt), so later callers queue behind it",
);
/// `try_acquire` does not jump the queue.
pub const NO_QUEUE_JUMPING: Criterion = Criterion::new(
    "rate-limiter/stage3/no-queue-jumping",
    3,
    4,
    "try_acquire does not jump the queue",
    "while reservations wait, try_acquire is granted only tokens nobody has reserved: its answers (and retry_after) are exactly those of a bucket that set the reserved tokens aside",
    "tokens promised to a waiting reservation are not available; a waiter that merely retries lets small requests overtake it forever",
);
/// A cancelled reservation gives its tokens back; a used one does not.
pub const CANCEL_RETURNS_TOKENS: Criterion = Criterion::new(
    "rate-limiter/stage3/cancel-returns-tokens",
    3,
    3,
    "dropping a waiting reservation gives its tokens back",
    "dropping a reservation before its ready_at returns its tokens to the bucket, never lifting it above capacity; dropping it at or after ready_at returns nothing",
    "implement Drop for your reservation: if the clock is still before ready_at, add its tokens back under the lock, capped at capacity",
);

/// Tenants never affect each other, and each gets its own tier's quota.
pub const TENANT_ISOLATION: Criterion = Criterion::new(
    "rate-limiter/stage4/tenant-isolation",
    4,
    5,
    "tenants never affect each other",
    "every tenant's answers (retry_after included) are exactly those of a lone bucket with that tenant's own config, whatever other tenants do — also with one thread per tenant racing",
    "give every tenant its own bucket, keyed by the tenant, not by its tier; look the config up per tenant",
);
/// Eviction never changes an answer.
pub const EVICTION_INVISIBLE: Criterion = Criterion::new(
    "rate-limiter/stage4/eviction-invisible",
    4,
    4,
    "eviction never changes an answer",
    "a schedule with idle gaps around the refill time gets exactly the answers of a limiter that never evicts: a bucket is dropped only when it is full, indistinguishable from a fresh one",
    "evict by level, not by last access: a throttled tenant that went quiet for a moment must not come back to a full bucket",
);
/// Memory is bounded by recently active tenants.
pub const BOUNDED_MEMORY: Criterion = Criterion::new(
    "rate-limiter/stage4/bounded-memory",
    4,
    3,
    "memory is bounded by the recently active tenants",
    "after every call, len() ≤ the number of distinct tenants that called within the last 2 × the longest refill time",
    "sweep out full buckets periodically (say once per refill time); a bucket untouched for a whole refill time is always full",
);
/// A keyed limiter's config errors come in the documented order.
pub const KEYED_CONFIG_ERRORS: Criterion = Criterion::new(
    "rate-limiter/stage4/keyed-config-errors",
    4,
    1,
    "every tenant's config is validated up front",
    "new() returns the default config's ConfigError first, then that of a tenant's own config; a limiter is never built with a config a lone bucket would reject",
    "validate quotas.default and every entry of quotas.tenants in new(), not lazily on a tenant's first call",
);
/// Tenants do not queue behind one lock.
pub const TENANTS_IN_PARALLEL: Criterion = Criterion::new(
    "rate-limiter/stage4/tenants-in-parallel",
    4,
    2,
    "tenants do not wait for each other's locks",
    "while one tenant's call is held inside the clock, calls for other tenants (from other threads) complete: no lock held across a decision is shared by all tenants",
    "shard the map (a lock per shard, or a concurrent map) and decide under the tenant's own shard or bucket lock, never under one lock for the whole map",
);

/// A fleet of clients on one key stays within one bucket's bound.
pub const SHARED_WINDOW_BOUND: Criterion = Criterion::new(
    "rate-limiter/stage5/shared-window-bound",
    5,
    5,
    "a fleet of clients shares one bucket per key",
    "4 clients × 2 threads hammering one key are granted, together, at most capacity + what accrued on the store's clock during the run — no lost updates between clients",
    "decide on the server in one atomic step (a Lua script or a Redis function doing read, refill and take); GET-then-SET from the client lets two clients spend the same tokens",
);
/// Keys are separate buckets, shared by every client.
pub const SHARED_KEY_ISOLATION: Criterion = Criterion::new(
    "rate-limiter/stage5/key-isolation",
    5,
    3,
    "each key is its own bucket, the same for every client",
    "draining one key through two clients leaves another key (and the same key under another prefix) untouched, and both clients see the drained key as drained",
    "build the Redis key from the prefix and the caller's key; every client must compute the same key for the same tenant",
);
/// Client clocks never mint tokens.
pub const SHARED_CLIENT_CLOCKS: Criterion = Criterion::new(
    "rate-limiter/stage5/client-clocks-ignored",
    5,
    4,
    "clients' own clocks never mint tokens",
    "clients whose clocks are hours or years apart, jumping forwards and backwards, get together no more than one bucket allows on the store's clock",
    "read time on the server (redis.call('TIME') inside the script), never from the client: fifty servers have fifty clocks",
);
/// The store forgets keys whose buckets would be full.
pub const SHARED_KEYS_EXPIRE: Criterion = Criterion::new(
    "rate-limiter/stage5/keys-expire",
    5,
    3,
    "keys in Redis expire when their bucket would be full, not before",
    "every key the limiter writes starts with the configured prefix and expires no later than its bucket would be full again (fill time + 1 s of slack), and no sooner: a key drained one token at a time lives until the whole bucket has refilled",
    "set a TTL (PEXPIRE) on every write, from what the bucket lacks after the take (not from the tokens just taken): a full bucket and a missing key mean the same, so the key can go once the bucket would be full, and not before",
);
/// A store that refuses gets the failure policy, and is used again once it is up.
pub const SHARED_STORE_DOWN: Criterion = Criterion::new(
    "rate-limiter/stage5/store-down-policy",
    5,
    4,
    "Redis down → the configured policy, then recovery",
    "while nothing listens at the store's address, a fail-open client lets every request through uncounted (Admission::FailedOpen) and a fail-closed client refuses with SharedError::Unavailable, without panicking; once the store is up, both are granted by it",
    "map every connection error to the configured policy; connect lazily (per call, or reconnect on failure) so a client built while Redis was down works when it comes back",
);
/// A store that hangs costs about the timeout.
pub const SHARED_STORE_HANGS: Criterion = Criterion::new(
    "rate-limiter/stage5/store-timeout",
    5,
    3,
    "a hung Redis costs a caller the timeout, not forever",
    "when the store accepts connections but never answers, try_acquire returns the policy's answer within about the configured timeout (allowed: 12 ×)",
    "connect with a timeout and set read and write timeouts on the connection; a socket without them waits forever",
);
/// A restart of the store is survived, within the documented bound.
pub const SHARED_STORE_RESTART: Criterion = Criterion::new(
    "rate-limiter/stage5/survives-restart",
    5,
    3,
    "a Redis restart is survived, within the documented bound",
    "after the store restarts (losing its data), the next calls are answered by the store again — no errors — and a key grants at most `capacity` tokens more than before",
    "replace a connection that died with the old server, and reload the script when the new one answers NOSCRIPT (EVALSHA alone fails forever after a restart)",
);
/// Burst, denial with a wait, and the local errors.
pub const SHARED_BASICS: Criterion = Criterion::new(
    "rate-limiter/stage5/basics",
    5,
    3,
    "shared bucket basics: burst, wait, errors",
    "a full shared bucket grants exactly capacity, then denies with 0 < retry_after ≤ one token's time; 0 tokens is granted; tokens > capacity is ExceedsCapacity; invalid configs are the right SharedConfigError",
    "answer tokens > capacity before asking the store (no wait can make it succeed, so it is not RateLimited), and validate the config in connect, in the documented order, without contacting the store",
);

/// Every criterion of this kata, in rubric order.
pub const CRITERIA: &[Criterion] = &[
    WINDOW_BOUND,
    BURST_EXACT,
    PATH_INDEPENDENT,
    REFILL_CAPPED,
    EXACT_RETRY_AFTER,
    DENIAL_NO_SIDE_EFFECTS,
    EXCEEDS_CAPACITY,
    INVALID_CONFIG,
    CLOCK_BACKWARDS,
    ZERO_REQUEST,
    FROZEN_CLOCK_EXACT,
    CONCURRENT_WINDOW_BOUND,
    FRESH_CLOCK_READING,
    FIFO_ORDER,
    NO_QUEUE_JUMPING,
    CANCEL_RETURNS_TOKENS,
    TENANT_ISOLATION,
    EVICTION_INVISIBLE,
    BOUNDED_MEMORY,
    KEYED_CONFIG_ERRORS,
    TENANTS_IN_PARALLEL,
    SHARED_WINDOW_BOUND,
    SHARED_KEY_ISOLATION,
    SHARED_CLIENT_CLOCKS,
    SHARED_KEYS_EXPIRE,
    SHARED_STORE_DOWN,
    SHARED_STORE_HANGS,
    SHARED_STORE_RESTART,
    SHARED_BASICS,
];

/// Every check, bound to the implementations `L` (one bucket, stages 1–3), `K` (keyed by
/// `u32` tenants, stage 4) and `S` (shared through Redis, stage 5).
pub fn suite<L, K, S>() -> Vec<Check>
where
    L: RateLimiter + 'static,
    K: KeyedRateLimiter<u32> + 'static,
    S: SharedRateLimiter + 'static,
{
    vec![
        Check::new(&WINDOW_BOUND, window_bound::<L>),
        Check::new(&BURST_EXACT, burst_exact::<L>),
        Check::new(&PATH_INDEPENDENT, path_independent::<L>),
        Check::new(&REFILL_CAPPED, refill_capped::<L>),
        Check::new(&EXACT_RETRY_AFTER, exact_retry_after::<L>),
        Check::new(&DENIAL_NO_SIDE_EFFECTS, denial_no_side_effects::<L>),
        Check::new(&EXCEEDS_CAPACITY, exceeds_capacity::<L>),
        Check::new(&INVALID_CONFIG, invalid_config::<L>),
        Check::new(&CLOCK_BACKWARDS, clock_backwards::<L>),
        Check::new(&ZERO_REQUEST, zero_request::<L>),
        Check::new(&FROZEN_CLOCK_EXACT, frozen_clock_exact::<L>),
        Check::new(&CONCURRENT_WINDOW_BOUND, concurrent_window_bound::<L>),
        Check::new(&FRESH_CLOCK_READING, fresh_clock_reading::<L>),
        Check::new(&FIFO_ORDER, fifo_order::<L>),
        Check::new(&NO_QUEUE_JUMPING, no_queue_jumping::<L>),
        Check::new(&CANCEL_RETURNS_TOKENS, cancel_returns_tokens::<L>),
        Check::new(&TENANT_ISOLATION, tenant_isolation::<K>),
        Check::new(&EVICTION_INVISIBLE, eviction_invisible::<K>),
        Check::new(&BOUNDED_MEMORY, bounded_memory::<K>),
        Check::new(&KEYED_CONFIG_ERRORS, keyed_config_errors::<K>),
        Check::new(&TENANTS_IN_PARALLEL, tenants_in_parallel::<K>),
        Check::new(&SHARED_WINDOW_BOUND, shared_window_bound::<S>),
        Check::new(&SHARED_KEY_ISOLATION, shared_key_isolation::<S>),
        Check::new(&SHARED_CLIENT_CLOCKS, shared_client_clocks::<S>),
        Check::new(&SHARED_KEYS_EXPIRE, shared_keys_expire::<S>),
        Check::new(&SHARED_STORE_DOWN, shared_store_down::<S>),
        Check::new(&SHARED_STORE_HANGS, shared_store_hangs::<S>),
        Check::new(&SHARED_STORE_RESTART, shared_store_restart::<S>),
        Check::new(&SHARED_BASICS, shared_basics::<S>),
    ]
}
