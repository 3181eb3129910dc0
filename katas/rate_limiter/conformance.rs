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

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

/// The exact token bucket, as plainly as it can be written: the suite's source of truth.
///
/// The level is kept as a fraction of a token with denominator `period` (in ns), so refill is
/// `elapsed × refill_tokens` with nothing rounded. A negative level is what reservations are
/// owed. Time never runs backwards inside the oracle.
#[derive(Debug, Clone)]
pub struct Oracle {
    config: BucketConfig,
    /// Level × period, i.e. in 1/period-ns fractions of a token.
    level: i128,
    /// Time (ns) up to which `level` is accounted.
    at: u128,
}

impl Oracle {
    /// A full bucket at time `at`.
    pub fn new(config: BucketConfig, at: Duration) -> Self {
        Self {
            config,
            level: Self::frac(config, config.capacity),
            at: at.as_nanos(),
        }
    }

    fn frac(config: BucketConfig, tokens: u64) -> i128 {
        i128::from(tokens) * config.refill_period.as_nanos() as i128
    }

    fn catch_up(&mut self, now: Duration) {
        let now = now.as_nanos();
        if now > self.at {
            let gained = (now - self.at).saturating_mul(u128::from(self.config.refill_tokens));
            let full = Self::frac(self.config, self.config.capacity);
            let room = u128::try_from(full - self.level).unwrap_or(0);
            self.level += gained.min(room) as i128;
            self.at = now;
        }
    }

    /// Time from `now` until the level reaches `needed`. Call after `catch_up(now)`, which
    /// leaves `at >= now` (`at > now` only if the clock stepped back).
    fn wait_until_level(&self, needed: i128, now: Duration) -> Duration {
        let missing = u128::try_from(needed - self.level).unwrap_or(0);
        let ready = self.at + missing.div_ceil(u128::from(self.config.refill_tokens));
        let wait = ready - now.as_nanos();
        Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))
    }

    /// What `try_acquire(tokens)` must answer at `now`.
    pub fn try_acquire(&mut self, now: Duration, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.config.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.config.capacity,
            });
        }
        if tokens == 0 {
            return Ok(());
        }
        self.catch_up(now);
        let need = Self::frac(self.config, tokens);
        if self.level >= need {
            self.level -= need;
            Ok(())
        } else {
            Err(AcquireError::RateLimited {
                retry_after: self.wait_until_level(need, now),
            })
        }
    }

    /// Whole tokens available at `now` (0 while in debt).
    pub fn available(&mut self, now: Duration) -> u64 {
        self.catch_up(now);
        let p = self.config.refill_period.as_nanos() as i128;
        u64::try_from(self.level.max(0) / p).unwrap_or(u64::MAX)
    }

    /// Reserves `tokens` at `now`; returns when they are ready — exactly, also when the queue
    /// owes more than 2^64 ns of refill.
    pub fn reserve(&mut self, now: Duration, tokens: u64) -> Duration {
        self.catch_up(now);
        self.level -= Self::frac(self.config, tokens);
        if tokens == 0 || self.level >= 0 {
            now
        } else {
            let missing = self.level.unsigned_abs();
            let ready = self.at + missing.div_ceil(u128::from(self.config.refill_tokens));
            let secs = u64::try_from(ready / 1_000_000_000).unwrap_or(u64::MAX);
            Duration::new(secs, (ready % 1_000_000_000) as u32)
        }
    }

    /// Cancels a reservation of `tokens` that would be ready at `ready_at`.
    pub fn cancel(&mut self, now: Duration, tokens: u64, ready_at: Duration) {
        self.catch_up(now);
        if now < ready_at {
            let full = Self::frac(self.config, self.config.capacity);
            self.level = (self.level + Self::frac(self.config, tokens)).min(full);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario plumbing
// ---------------------------------------------------------------------------------------------

fn ns(d: Duration) -> String {
    format!("{} ns", d.as_nanos())
}

fn describe(config: &BucketConfig) -> String {
    format!(
        "capacity {}, refill {} token{} / {}",
        config.capacity,
        config.refill_tokens,
        if config.refill_tokens == 1 { "" } else { "s" },
        ns(config.refill_period)
    )
}

/// How a result reads in a transcript.
pub fn outcome(r: &Result<(), AcquireError>) -> String {
    match r {
        Ok(()) => "granted".into(),
        Err(AcquireError::RateLimited { retry_after }) => {
            format!("denied, retry_after = {}", ns(*retry_after))
        }
        Err(AcquireError::ExceedsCapacity {
            requested,
            capacity,
        }) => format!("ExceedsCapacity {{ requested: {requested}, capacity: {capacity} }}"),
    }
}

/// One limiter on a manual clock, with a transcript of everything done to it.
struct Scenario<L> {
    clock: ManualClock,
    limiter: L,
    log: RefCell<Transcript>,
}

impl<L: RateLimiter> Scenario<L> {
    fn new(config: BucketConfig) -> Result<Self, Failure> {
        Self::starting_at(config, Duration::ZERO)
    }

    fn starting_at(config: BucketConfig, at: Duration) -> Result<Self, Failure> {
        let clock = ManualClock::starting_at(at);
        let log = Transcript::new(format!(
            "{}; clock starts at t={}",
            describe(&config),
            ns(at)
        ));
        match L::new(config, Arc::new(clock.clone())) {
            Ok(limiter) => Ok(Self {
                clock,
                limiter,
                log: RefCell::new(log),
            }),
            Err(e) => Err(Failure::new(
                log,
                "a full bucket (the config is valid)",
                format!("new() returned Err({e:?}): {e}"),
            )),
        }
    }

    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn set(&self, at: Duration) {
        self.clock.set(at);
    }

    fn note(&self, line: impl Into<String>) {
        self.log.borrow_mut().step(line);
    }

    fn acquire(&self, n: u64) -> Result<(), AcquireError> {
        let r = self.limiter.try_acquire(n);
        self.note(format!(
            "t={}: try_acquire({n}) → {}",
            ns(self.now()),
            outcome(&r)
        ));
        r
    }

    /// Takes single tokens until denied; returns how many were granted (at most `limit`).
    fn drain(&self, limit: u64) -> u64 {
        let mut granted = 0;
        while granted < limit && self.limiter.try_acquire(1).is_ok() {
            granted += 1;
        }
        self.note(format!(
            "t={}: try_acquire(1) until denied → {granted} granted",
            ns(self.now())
        ));
        granted
    }

    fn fail(&self, expected: impl fmt::Display, got: impl fmt::Display) -> Failure {
        Failure::new(&*self.log.borrow(), expected, got)
    }
}

fn config(capacity: u64, refill_tokens: u64, period_ns: u64) -> BucketConfig {
    BucketConfig::new(capacity, refill_tokens, Duration::from_nanos(period_ns))
}

/// Time for `tokens` tokens to accrue, rounded up.
fn accrual(config: &BucketConfig, tokens: u64) -> Duration {
    let grains = u128::from(tokens) * config.refill_period.as_nanos();
    let ns = grains.div_ceil(u128::from(config.refill_tokens));
    Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX))
}

/// Small configs where fractions matter: rates like 3 tokens / 10 ns.
fn small_config() -> impl Strategy<Value = BucketConfig> {
    (1u64..=8, 1u64..=5, 1u64..=12).prop_map(|(b, r, p)| config(b, r, p))
}

/// Configs from tiny to the largest allowed, edges mixed in.
fn any_config() -> impl Strategy<Value = BucketConfig> {
    prop_oneof![
        3 => small_config(),
        1 => Just(config(1, 1, 1)),
        1 => Just(config(3, 2, 3)),
        1 => Just(config(1, u64::MAX, 1)),
        1 => (1u64..=1_000, 1u64..=1_000_000, 1u64..=1_000_000_000).prop_map(|(b, r, p)| config(b, r, p)),
        1 => Just(config(1 << 60, 3, 15)),
        1 => Just(config((1 << 53) + 1, 1, 1)),
        1 => Just(config(u64::MAX, 1, 1)),
        1 => Just(config(u64::MAX / 1_000_000_000, 1_000_000_000, 1_000_000_000)),
    ]
}

/// A step of a random single-threaded scenario.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Move the clock forwards by this many ns.
    Advance(u64),
    /// try_acquire(n), where n is a fraction of capacity: `n = capacity * num / 8`, plus `plus`.
    Acquire { eighths: u8, plus: u8 },
    /// Take tokens one at a time until denied.
    Drain,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Advance(d) => write!(f, "advance {d} ns"),
            Step::Acquire { eighths, plus } => {
                write!(f, "acquire {eighths}/8 of capacity + {plus}")
            }
            Step::Drain => write!(f, "drain"),
        }
    }
}

fn step(max_advance: u64) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => prop_oneof![Just(0u64), Just(1), 0..=max_advance].prop_map(Step::Advance),
        3 => (0u8..=8, 0u8..=2).prop_map(|(eighths, plus)| Step::Acquire { eighths, plus }),
        1 => Just(Step::Drain),
    ]
}

fn request_size(capacity: u64, eighths: u8, plus: u8) -> u64 {
    let base = (u128::from(capacity) * u128::from(eighths) / 8) as u64;
    base.saturating_add(u64::from(plus)).min(capacity)
}

/// Runs `steps` on a scenario and on the oracle side by side; returns (time, tokens) grants.
fn replay<L: RateLimiter>(
    s: &Scenario<L>,
    oracle: &mut Oracle,
    config: &BucketConfig,
    steps: &[Step],
    drain_limit: u64,
) -> Vec<(u128, u64)> {
    let mut grants = Vec::new();
    for st in steps {
        match *st {
            Step::Advance(d) => {
                let to = s.now().saturating_add(Duration::from_nanos(d));
                s.set(to);
            }
            Step::Acquire { eighths, plus } => {
                let n = request_size(config.capacity, eighths, plus);
                let now = s.now();
                if s.acquire(n).is_ok() {
                    grants.push((now.as_nanos(), n));
                }
                let _ = oracle.try_acquire(now, n);
            }
            Step::Drain => {
                let now = s.now();
                let got = s.drain(drain_limit);
                if got > 0 {
                    grants.push((now.as_nanos(), got));
                }
                for _ in 0..got {
                    let _ = oracle.try_acquire(now, 1);
                }
            }
        }
    }
    grants
}

// ---------------------------------------------------------------------------------------------
// Stage 1
// ---------------------------------------------------------------------------------------------

/// Over any window of length t, grants ≤ capacity + floor(r·t/p).
pub fn window_bound<L: RateLimiter>() -> Result<(), Failure> {
    let strategy = (small_config(), prop::collection::vec(step(24), 1..40));
    check_property(&WINDOW_BOUND, 400, strategy, |(config, steps)| {
        let s = Scenario::<L>::new(config)?;
        let mut oracle = Oracle::new(config, Duration::ZERO);
        let grants = replay(&s, &mut oracle, &config, &steps, 64);
        // Every window that starts and ends on a grant.
        for i in 0..grants.len() {
            let mut total = 0u128;
            for j in i..grants.len() {
                total += u128::from(grants[j].1);
                let t = grants[j].0 - grants[i].0;
                let bound = u128::from(config.capacity)
                    + u128::from(config.refill_tokens) * t / config.refill_period.as_nanos();
                if total > bound {
                    return Err(s.fail(
                        format!(
                            "at most {bound} tokens granted between t={} ns and t={} ns (capacity {} + floor({} · {t} / {}))",
                            grants[i].0,
                            grants[j].0,
                            config.capacity,
                            config.refill_tokens,
                            config.refill_period.as_nanos()
                        ),
                        format!("{total} granted in that window"),
                    ));
                }
            }
        }
        Ok(())
    })
}

/// A full bucket grants exactly `capacity` at one instant, in any split.
pub fn burst_exact<L: RateLimiter>() -> Result<(), Failure> {
    let strategy = (any_config(), 0u8..=8, prop::bool::ANY);
    check_property(
        &BURST_EXACT,
        200,
        strategy,
        |(config, eighths, one_by_one)| {
            let b = config.capacity;
            let s = Scenario::<L>::new(config)?;
            let granted = if one_by_one && b <= 64 {
                s.drain(b + 2)
            } else {
                // Two requests that add up to exactly the capacity.
                let first = (u128::from(b) * u128::from(eighths) / 8) as u64;
                let mut granted = 0;
                for n in [first, b - first] {
                    match s.acquire(n) {
                        Ok(()) => granted += n,
                        Err(_) => {
                            return Err(s.fail(
                                format!(
                                    "both parts of the burst ({first} + {}) granted",
                                    b - first
                                ),
                                "a part of the burst was denied",
                            ));
                        }
                    }
                }
                granted
            };
            if granted != b {
                return Err(s.fail(
                    format!("exactly {b} tokens granted"),
                    format!("{granted} granted"),
                ));
            }
            let next = s.acquire(1);
            if !matches!(next, Err(AcquireError::RateLimited { .. })) {
                return Err(s.fail(
                    "the next token denied with RateLimited: the burst is spent",
                    outcome(&next),
                ));
            }
            Ok(())
        },
    )
}

/// The level at T does not depend on how often the bucket was read before T.
pub fn path_independent<L: RateLimiter>() -> Result<(), Failure> {
    // Part 1: 10^7 one-nanosecond steps, each reading the bucket, must add up exactly.
    let config = config(4_000_000, 3, 10);
    let steps: u64 = 10_000_000;
    let s = Scenario::<L>::new(config)?;
    s.acquire(config.capacity).ok();
    for t in 1..=steps {
        s.clock.set(Duration::from_nanos(t));
        // Too large to be granted before the end: a read with no side effect.
        let _ = s.limiter.try_acquire(config.capacity);
    }
    s.note(format!(
        "t=1 ns … t={steps} ns: try_acquire({}) at every nanosecond (denied; reads the bucket)",
        config.capacity
    ));
    let expected_tokens = steps * config.refill_tokens / config.refill_period.as_nanos() as u64;
    if let Err(e) = s.acquire(expected_tokens) {
        return Err(s.fail(
            format!("try_acquire({expected_tokens}) granted: 3 tokens per 10 ns over 10^7 ns, read at every ns, is exactly {expected_tokens}"),
            format!("{} — partial refills were lost or drifted", outcome(&Err(e))),
        ));
    }
    let mut oracle = Oracle::new(config, Duration::ZERO);
    oracle.try_acquire(Duration::ZERO, config.capacity).ok();
    let at = Duration::from_nanos(steps);
    oracle.try_acquire(at, expected_tokens).ok();
    expect_level(&s, &mut oracle, 0, true)?;

    // Part 2: random ways of walking to the same instant leave the same level.
    let strategy = (
        small_config(),
        prop::collection::vec(prop_oneof![Just(1u64), 1..=13u64], 1..60),
    );
    check_property(&PATH_INDEPENDENT, 300, strategy, |(config, hops)| {
        let s = Scenario::<L>::new(config)?;
        let mut oracle = Oracle::new(config, Duration::ZERO);
        s.drain(config.capacity + 1);
        oracle.try_acquire(Duration::ZERO, config.capacity).ok();
        let mut t = 0u64;
        for hop in &hops {
            t += hop;
            s.set(Duration::from_nanos(t));
            // A read that takes nothing unless the bucket is full again; the oracle mirrors it.
            let _ = s.limiter.try_acquire(config.capacity);
            let _ = oracle.try_acquire(Duration::from_nanos(t), config.capacity);
        }
        s.note(format!(
            "reads at t = {} ns (each try_acquire({}), denied unless full)",
            hops.iter()
                .scan(0, |acc, h| {
                    *acc += h;
                    Some(acc.to_string())
                })
                .collect::<Vec<_>>()
                .join(", "),
            config.capacity
        ));
        let level = oracle.available(Duration::from_nanos(t));
        expect_level(&s, &mut oracle, level, true)
    })
}

/// Checks that the limiter holds exactly `level` whole tokens.
///
/// With `exact_fraction`, it also checks the fraction of a token held, by behaviour: the next
/// token must be denied 1 ns before the oracle says it exists and granted when it does (this
/// moves the clock). Without it only the whole-token level is checked, so that a bug elsewhere
/// is charged to its own criterion and not to every criterion that probes levels.
fn expect_level<L: RateLimiter>(
    s: &Scenario<L>,
    oracle: &mut Oracle,
    level: u64,
    exact_fraction: bool,
) -> Result<(), Failure> {
    let now = s.now();
    if level > 0 {
        let got = s.acquire(level);
        let _ = oracle.try_acquire(now, level);
        if got.is_err() {
            return Err(s.fail(
                format!("try_acquire({level}) granted: the bucket holds {level} whole token(s)"),
                outcome(&got),
            ));
        }
    }
    let expected = oracle.clone().try_acquire(now, 1);
    let got = s.acquire(1);
    let same = got.is_ok() == expected.is_ok()
        && !matches!(got, Err(AcquireError::ExceedsCapacity { .. }));
    if !same {
        let want = if expected.is_ok() {
            "granted"
        } else {
            "denied (RateLimited)"
        };
        return Err(s.fail(
            format!("try_acquire(1) → {want}: exactly {level} whole token(s) were there"),
            outcome(&got),
        ));
    }
    if let (true, Err(AcquireError::RateLimited { retry_after })) = (exact_fraction, expected) {
        let next = now + retry_after;
        let before = next - Duration::from_nanos(1);
        s.set(before);
        let early = s.acquire(1);
        s.set(next);
        let on_time = s.acquire(1);
        if early.is_ok() || on_time.is_err() {
            return Err(s.fail(
                format!(
                    "the next token exists from t={} on: denied at t={}, granted at t={}",
                    ns(next),
                    ns(before),
                    ns(next)
                ),
                format!(
                    "{} at t={}, {} at t={}: the fraction of a token held is wrong",
                    outcome(&early),
                    ns(before),
                    outcome(&on_time),
                    ns(next)
                ),
            ));
        }
    }
    Ok(())
}

/// After any idle time the bucket holds exactly `capacity`.
pub fn refill_capped<L: RateLimiter>() -> Result<(), Failure> {
    let idle = prop_oneof![
        Just(IdleKind::ExactFill),
        Just(IdleKind::FillPlusOne),
        Just(IdleKind::Times(10)),
        Just(IdleKind::Ns(1 << 40)),
        Just(IdleKind::Ns(1 << 63)),
        Just(IdleKind::Ns(u64::MAX / 2 + 12_345)),
        (1u64..1_000_000).prop_map(IdleKind::Ns),
    ];
    let configs = prop_oneof![
        3 => any_config(),
        1 => (1u64..=16, prop_oneof![Just(2u64), Just(4), Just(1 << 32), Just(u64::MAX - 1)], 1u64..=16)
            .prop_map(|(b, r, p)| config(b, r, p)),
    ];
    check_property(&REFILL_CAPPED, 300, (configs, idle), |(config, idle)| {
        let s = Scenario::<L>::new(config)?;
        let b = config.capacity;
        if s.acquire(b).is_err() {
            return Err(s.fail(format!("the full bucket grants {b}"), "denied"));
        }
        let fill = accrual(&config, b);
        let wait = match idle {
            IdleKind::ExactFill => fill,
            IdleKind::FillPlusOne => fill + Duration::from_nanos(1),
            IdleKind::Times(k) => fill.saturating_mul(k),
            IdleKind::Ns(n) => Duration::from_nanos(n),
        };
        let wait = wait.min(Duration::from_nanos(u64::MAX / 2 + 1));
        s.set(wait);
        s.note(format!("idle until t={}", ns(wait)));
        let mut oracle = Oracle::new(config, Duration::ZERO);
        oracle.try_acquire(Duration::ZERO, b).ok();
        let level = oracle.available(wait);
        expect_level(&s, &mut oracle, level, false)
    })
}

#[derive(Debug, Clone, Copy)]
enum IdleKind {
    ExactFill,
    FillPlusOne,
    Times(u32),
    Ns(u64),
}

/// A denied request succeeds after exactly `retry_after`, not 1 ns earlier.
pub fn exact_retry_after<L: RateLimiter>() -> Result<(), Failure> {
    let strategy = (
        prop_oneof![3 => small_config(), 1 => any_config()],
        prop::collection::vec(step(30), 0..12),
        0u8..=8,
        0u8..=2,
    );
    check_property(
        &EXACT_RETRY_AFTER,
        400,
        strategy,
        |(config, steps, eighths, plus)| {
            let s = Scenario::<L>::new(config)?;
            let mut oracle = Oracle::new(config, Duration::ZERO);
            replay(&s, &mut oracle, &config, &steps, 64);
            // Empty the bucket so the next request must wait.
            let now = s.now();
            let left = oracle.available(now);
            if left > 0 && s.acquire(left).is_ok() {
                oracle.try_acquire(now, left).ok();
            }
            let n = request_size(config.capacity, eighths, plus).max(1);
            let expected = oracle.clone().try_acquire(now, n);
            let Err(AcquireError::RateLimited { retry_after: want }) = expected else {
                return Ok(()); // not a denial in the model: nothing to check here
            };
            let got = s.acquire(n);
            let Err(AcquireError::RateLimited { retry_after }) = got else {
                return Err(s.fail(format!("denied, retry_after = {}", ns(want)), outcome(&got)));
            };
            if retry_after.is_zero() {
                return Err(s.fail("a positive retry_after", "retry_after = 0 ns"));
            }
            // Retry 1 ns early: must still be denied.
            s.set(now + retry_after - Duration::from_nanos(1));
            let early = s.acquire(n);
            if early.is_ok() {
                return Err(s.fail(
                    format!(
                        "try_acquire({n}) at t={} denied: retry_after was {}, the exact wait is {}",
                        ns(now + retry_after - Duration::from_nanos(1)),
                        ns(retry_after),
                        ns(want)
                    ),
                    "granted 1 ns before retry_after: retry_after is too long",
                ));
            }
            s.set(now + retry_after);
            let on_time = s.acquire(n);
            if on_time.is_err() {
                return Err(s.fail(
                format!(
                    "try_acquire({n}) at t={} granted (now + retry_after); the exact wait is {}",
                    ns(now + retry_after),
                    ns(want)
                ),
                format!("{}: retry_after was too short", outcome(&on_time)),
            ));
            }
            Ok(())
        },
    )
}

/// Denials take nothing; requests are all or nothing.
pub fn denial_no_side_effects<L: RateLimiter>() -> Result<(), Failure> {
    let strategy = (
        prop_oneof![3 => small_config(), 1 => any_config()],
        prop::collection::vec(step(30), 0..12),
        0u8..=8,
        0u8..=2,
    );
    check_property(
        &DENIAL_NO_SIDE_EFFECTS,
        400,
        strategy,
        |(config, steps, eighths, plus)| {
            let s = Scenario::<L>::new(config)?;
            let mut oracle = Oracle::new(config, Duration::ZERO);
            replay(&s, &mut oracle, &config, &steps, 64);
            let now = s.now();
            let n = request_size(config.capacity, eighths, plus).max(1);
            let expected = oracle.clone().try_acquire(now, n);
            if expected.is_ok() {
                return Ok(());
            }
            let first = s.acquire(n);
            let second = s.acquire(n);
            if first != second {
                return Err(s.fail(
                    "the same denial twice: a denied request takes nothing",
                    format!("first {}, then {}", outcome(&first), outcome(&second)),
                ));
            }
            // Everything that was there is still there.
            let level = oracle.available(now);
            expect_level(&s, &mut oracle, level, false)
        },
    )
}

/// n > capacity is ExceedsCapacity, never RateLimited, and takes nothing.
pub fn exceeds_capacity<L: RateLimiter>() -> Result<(), Failure> {
    let strategy = (
        any_config(),
        prop_oneof![Just(1u64), 2..=1_000u64, Just(u64::MAX)],
        prop::bool::ANY,
    );
    check_property(
        &EXCEEDS_CAPACITY,
        200,
        strategy,
        |(config, over, drained)| {
            let b = config.capacity;
            if b == u64::MAX {
                return Ok(());
            }
            let n = b.saturating_add(over);
            let s = Scenario::<L>::new(config)?;
            if drained && b <= 64 {
                s.drain(b + 1);
            }
            let want = Err(AcquireError::ExceedsCapacity {
                requested: n,
                capacity: b,
            });
            let got = s.acquire(n);
            if got != want {
                return Err(s.fail(outcome(&want), outcome(&got)));
            }
            let reserved = s.limiter.reserve(n).map(|r| r.ready_at());
            s.note(format!(
                "t={}: reserve({n}) → {}",
                ns(s.now()),
                match &reserved {
                    Ok(at) => format!("ready at {}", ns(*at)),
                    Err(e) => outcome(&Err(*e)),
                }
            ));
            if reserved.map(|_| ()) != want {
                return Err(s.fail(
                    format!("reserve({n}) → {}", outcome(&want)),
                    "something else",
                ));
            }
            if !(drained && b <= 64) && s.acquire(b).is_err() {
                return Err(s.fail(
                    format!("the full bucket still grants {b}: the rejected requests took nothing"),
                    "denied",
                ));
            }
            Ok(())
        },
    )
}

/// Invalid configs are rejected with their error, in the documented order.
pub fn invalid_config<L: RateLimiter>() -> Result<(), Failure> {
    let too_large = |b: u64, p: Duration| ConfigError::TooLarge {
        capacity: b,
        refill_period: p,
    };
    let secs = Duration::from_secs;
    let cases: Vec<(BucketConfig, Option<ConfigError>)> = vec![
        (config(0, 1, 1), Some(ConfigError::ZeroCapacity)),
        (config(0, 0, 0), Some(ConfigError::ZeroCapacity)),
        (config(1, 0, 1), Some(ConfigError::ZeroRefillTokens)),
        (config(1, 0, 0), Some(ConfigError::ZeroRefillTokens)),
        (config(1, 1, 0), Some(ConfigError::ZeroRefillPeriod)),
        (
            BucketConfig::new(5, 1, Duration::from_nanos(0)),
            Some(ConfigError::ZeroRefillPeriod),
        ),
        (
            config(u64::MAX, 1, 2),
            Some(too_large(u64::MAX, Duration::from_nanos(2))),
        ),
        (
            BucketConfig::new(1 << 32, 1, secs(5)),
            Some(too_large(1 << 32, secs(5))),
        ),
        (
            BucketConfig::new(1, 1, Duration::MAX),
            Some(too_large(1, Duration::MAX)),
        ),
        (
            BucketConfig::new(1, 1, secs(600 * 365 * 24 * 3600)),
            Some(too_large(1, secs(600 * 365 * 24 * 3600))),
        ),
        // The largest valid ones.
        (config(u64::MAX, 1, 1), None),
        (config(1, u64::MAX, u64::MAX), None),
        (config(u64::MAX / 3, u64::MAX, 3), None),
    ];
    for (config, want) in cases {
        let log = Transcript::new(format!(
            "BucketConfig {{ capacity: {}, refill_tokens: {}, refill_period: {:?} }}",
            config.capacity, config.refill_tokens, config.refill_period
        ));
        let got = L::new(config, Arc::new(ManualClock::new())).map(|_| ());
        let got_text = match &got {
            Ok(()) => "Ok (accepted)".to_string(),
            Err(e) => format!("Err({e:?})"),
        };
        match (&want, &got) {
            (Some(w), Err(g)) if w == g => {}
            (None, Ok(())) => {}
            (Some(w), _) => return Err(Failure::new(log, format!("Err({w:?}): {w}"), got_text)),
            (None, Err(_)) => return Err(Failure::new(log, "Ok: this config is valid", got_text)),
        }
    }
    Ok(())
}

/// A clock that steps backwards mints nothing and panics nowhere.
pub fn clock_backwards<L: RateLimiter>() -> Result<(), Failure> {
    let strategy = (
        small_config(),
        1u64..1_000,
        prop_oneof![Just(1u64), 1..100u64, Just(1_000), Just(u64::MAX)],
        prop::collection::vec((0u64..40, prop::bool::ANY), 0..8),
    );
    check_property(
        &CLOCK_BACKWARDS,
        300,
        strategy,
        |(config, start, back, wiggles)| {
            let start = Duration::from_nanos(start.max(1) * 1_000);
            let s = Scenario::<L>::starting_at(config, start)?;
            let mut oracle = Oracle::new(config, start);
            s.drain(config.capacity + 1);
            oracle.try_acquire(start, config.capacity).ok();
            // Back, then wander (but never past `start`), then back to exactly `start`.
            let behind = start.saturating_sub(Duration::from_nanos(back));
            s.set(behind);
            s.note(format!("clock steps back to t={}", ns(behind)));
            let _ = s.acquire(1);
            for (d, up) in &wiggles {
                let t = if *up {
                    (s.now() + Duration::from_nanos(*d)).min(start)
                } else {
                    s.now().saturating_sub(Duration::from_nanos(*d))
                };
                s.set(t);
                let _ = s.acquire(1);
            }
            s.set(start);
            let at_start = s.acquire(1);
            if at_start.is_ok() {
                return Err(s.fail(
                    format!(
                        "try_acquire(1) at t={} denied: the bucket was emptied at this very time",
                        ns(start)
                    ),
                    "granted: a token was minted for time already accounted for",
                ));
            }
            // And time still works afterwards.
            let later = start + accrual(&config, 1);
            s.set(later);
            let level = oracle.available(later);
            expect_level(&s, &mut oracle, level, false)
        },
    )
}

/// try_acquire(0) always succeeds and takes nothing; reserve(0) is ready at once.
pub fn zero_request<L: RateLimiter>() -> Result<(), Failure> {
    let strategy = (
        prop_oneof![3 => small_config(), 1 => any_config()],
        prop::bool::ANY,
    );
    check_property(&ZERO_REQUEST, 100, strategy, |(config, drained)| {
        let s = Scenario::<L>::new(config)?;
        s.set(Duration::from_nanos(5));
        let mut oracle = Oracle::new(config, Duration::from_nanos(5));
        if drained || config.capacity > 64 {
            s.acquire(config.capacity).ok();
            oracle.try_acquire(s.now(), config.capacity).ok();
        }
        let got = s.acquire(0);
        if got.is_err() {
            return Err(s.fail("try_acquire(0) granted", outcome(&got)));
        }
        let at = s.limiter.reserve(0).map(|r| r.ready_at());
        s.note(format!("t=5 ns: reserve(0) → {at:?}"));
        if at != Ok(s.now()) {
            return Err(s.fail(
                "reserve(0) ready at once (ready_at = 5 ns)",
                format!("{at:?}"),
            ));
        }
        let level = oracle.available(s.now());
        expect_level(&s, &mut oracle, level, false)
    })?;
    // While a reservation waits, the bucket is in debt: 0 tokens still take nothing from anyone.
    let strategy = (
        prop_oneof![3 => queue_config(), 1 => any_config()],
        prop_oneof![Just(1u64), Just(u64::MAX), 1..=u64::MAX],
    );
    check_property(&ZERO_REQUEST, 100, strategy, |(config, size)| {
        let s = Scenario::<L>::new(config)?;
        let mut oracle = Oracle::new(config, Duration::ZERO);
        let b = config.capacity;
        s.acquire(b).ok();
        oracle.try_acquire(Duration::ZERO, b).ok();
        let n = 1 + (size - 1) % b;
        let waiting = s
            .limiter
            .reserve(n)
            .map_err(|e| s.fail(format!("reserve({n}) accepted"), outcome(&Err(e))))?;
        let ready = waiting.ready_at();
        s.note(format!("t=0 ns: reserve({n}) → ready at {}", ns(ready)));
        oracle.reserve(Duration::ZERO, n);
        let got = s.acquire(0);
        if got.is_err() {
            return Err(s.fail(
                "try_acquire(0) granted while a reservation waits: it takes nothing from anyone",
                outcome(&got),
            ));
        }
        let at = s.limiter.reserve(0).map(|r| r.ready_at());
        s.note(format!("t=0 ns: reserve(0) → {at:?}"));
        if at != Ok(Duration::ZERO) {
            return Err(s.fail(
                "reserve(0) ready at once (ready_at = 0 ns), even behind a waiting reservation",
                format!("{at:?}"),
            ));
        }
        // Nothing was taken: the reservation is still ready when it said.
        let expected = oracle.clone().try_acquire(Duration::ZERO, 1);
        let next = s.acquire(1);
        if next != expected {
            return Err(s.fail(
                format!("{}: the 0-token calls took nothing", outcome(&expected)),
                outcome(&next),
            ));
        }
        s.set(ready);
        drop(waiting);
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Stage 2
// ---------------------------------------------------------------------------------------------

const THREADS: usize = 4;

/// Threads racing on a frozen clock get exactly `capacity`, and leave an empty bucket.
///
/// Time is read through a [`YieldingClock`], which preempts a thread that reads the clock
/// between loading and storing its state, so a load–check–store race is caught on every run,
/// even on one CPU.
pub fn frozen_clock_exact<L: RateLimiter>() -> Result<(), Failure> {
    const ROUNDS: u64 = 150;
    for round in 0..ROUNDS {
        let capacity = 24 + round % 17;
        let config = config(capacity, 1, 1_000);
        let manual = ManualClock::starting_at(Duration::from_nanos(1_000));
        let clock = Arc::new(YieldingClock::new(manual, round, 3));
        let limiter = L::new(config, clock).map_err(|e| {
            Failure::new(
                describe(&config),
                "a full bucket",
                format!("new() returned {e:?}"),
            )
        })?;
        let sizes = [1u64, 1, 2, 3];
        let granted: Vec<u64> = run_gated(THREADS, |i| {
            let n = sizes[i % sizes.len()];
            let mut got = 0;
            for _ in 0..capacity {
                if limiter.try_acquire(n).is_ok() {
                    got += n;
                }
            }
            got
        });
        let total: u64 = granted.iter().sum();
        // What is left, taken one token at a time on this thread.
        let mut left = 0;
        while left <= capacity && limiter.try_acquire(1).is_ok() {
            left += 1;
        }
        if total + left != capacity || total > capacity {
            let input = format!(
                "{}; clock frozen; round {round} of {ROUNDS}: {THREADS} threads released together; \
                 thread i calls try_acquire({{1, 1, 2, 3}}[i]) {capacity} times; then try_acquire(1) until denied",
                describe(&config)
            );
            return Err(Failure::new(
                input,
                format!("granted + left = {capacity} exactly (granted ≤ {capacity})"),
                format!(
                    "threads were granted {total} tokens ({granted:?}), and {left} were left: {}",
                    if total > capacity {
                        "over-admission"
                    } else {
                        "tokens lost to a lost update"
                    }
                ),
            ));
        }
    }
    Ok(())
}

/// With the clock moving, concurrent grants respect the window bound.
///
/// The threads move the clock themselves (1–4 ns before every other call) rather than leaving
/// it to a separate driver thread: that way time advances *between* their calls on any
/// scheduler, even on one CPU or a loaded machine, and the check takes a bounded number of steps.
pub fn concurrent_window_bound<L: RateLimiter>() -> Result<(), Failure> {
    const ROUNDS: u64 = 40;
    const CALLS: u64 = 150;
    for round in 0..ROUNDS {
        let config = config(8 + round % 5, 3, 10);
        let manual = ManualClock::starting_at(Duration::from_nanos(10));
        let clock = Arc::new(YieldingClock::new(manual.clone(), round ^ 0xA5, 3));
        let limiter = L::new(config, clock).map_err(|e| {
            Failure::new(
                describe(&config),
                "a full bucket",
                format!("new() returned {e:?}"),
            )
        })?;
        let granted: u64 = run_gated(THREADS, |i| {
            let mut got = 0;
            for k in 0..CALLS {
                if k % 2 == 0 {
                    manual.advance(Duration::from_nanos(1 + (k * 7 + i as u64 + round) % 4));
                }
                if limiter.try_acquire(1).is_ok() {
                    got += 1;
                }
            }
            got
        })
        .iter()
        .sum();
        let elapsed = manual.now().as_nanos() - 10;
        let bound = u128::from(config.capacity)
            + u128::from(config.refill_tokens) * elapsed / config.refill_period.as_nanos();
        let total = u128::from(granted);
        if total > bound {
            return Err(Failure::new(
                format!(
                    "{}; round {round} of {ROUNDS}: {THREADS} threads each call try_acquire(1) {CALLS} times, \
                     moving the clock forward 1–4 ns before every other call ({elapsed} ns in all)",
                    describe(&config)
                ),
                format!("at most {bound} tokens granted (capacity + floor(3 · {elapsed} / 10))"),
                format!("{total} granted: over-admission"),
            ));
        }
    }
    Ok(())
}

/// Two calls, one held inside its clock read while the other completes: the answers are those
/// of the two calls one after the other, each at a reading it took, and no refusal rests on a
/// reading older than a call before it.
///
/// Thread A reads the clock and is held there (by a [`HoldingClock`]); the clock moves on and
/// thread B calls. A design that reads the clock before taking its lock (or loading its state)
/// lets B complete and then decides A on the old reading, against B's newer state: it refuses
/// tokens that existed at that reading, and no order of the two calls explains the answers.
/// A design that reads the clock under its lock makes B wait for A: after a bounded wait A is
/// let go and the order is simply A first. A compare-and-swap design lets B complete, fails its
/// swap and decides again. The waits choose the interleaving, never the verdict.
pub fn fresh_clock_reading<L: RateLimiter>() -> Result<(), Failure> {
    // (capacity, refill tokens, period ns, A's request, B's request, ns the clock moves on
    // while A is held). A's and B's requests together exceed the capacity, so the order they
    // are decided in shows in the answers.
    const ROUNDS: [(u64, u64, u64, u64, u64, u64); 4] = [
        (1, 1, 10, 1, 1, 5),
        (4, 1, 10, 4, 4, 15),
        (3, 2, 3, 2, 3, 1),
        (5, 1, 1_000, 3, 3, 500),
    ];
    // How long B may take to read the clock before it counts as waiting for A's lock, and to
    // finish once it has read: generous bounds, which only pick the interleaving.
    let b_reads = Duration::from_millis(250);
    let b_finishes = Duration::from_secs(2);
    let start = Duration::from_nanos(1_000);
    for (round, &(b, r, p, na, nb, d)) in ROUNDS.iter().enumerate() {
        let config = config(b, r, p);
        let manual = ManualClock::starting_at(start);
        let clock = Arc::new(HoldingClock::new(manual.clone()));
        let limiter = L::new(config, clock.clone()).map_err(|e| {
            Failure::new(
                describe(&config),
                "a full bucket",
                format!("new() returned {e:?}"),
            )
        })?;
        clock.arm(Duration::from_secs(10));
        let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
        let (done, wait_for_done) = std::sync::mpsc::channel::<()>();
        let limiter = &limiter;
        let ((a_id, got_a), (b_id, got_b), interleaving) = std::thread::scope(|s| {
            let a = s.spawn(|| (std::thread::current().id(), limiter.try_acquire(na)));
            let b = s.spawn(move || {
                let _ = wait_for_go.recv();
                let got = limiter.try_acquire(nb);
                let _ = done.send(());
                (std::thread::current().id(), got)
            });
            let held = clock.wait_for_hold(Duration::from_secs(5));
            manual.advance(Duration::from_nanos(d));
            let _ = go.send(());
            let interleaving = if !held {
                "A read no clock to be held in"
            } else if !clock.wait_for_readings(2, b_reads) {
                "B waited for A (it had not read the clock yet when A was let go)"
            } else if wait_for_done.recv_timeout(b_finishes).is_ok() {
                "B completed while A was held"
            } else {
                "B read the clock but did not complete while A was held"
            };
            clock.release();
            let a = a.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            let b = b.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (a, b, interleaving)
        });
        let readings = clock.readings();
        let of = |id, fallback: Duration| {
            let mut times: Vec<Duration> = readings
                .iter()
                .filter(|(t, _)| *t == id)
                .map(|(_, at)| *at)
                .collect();
            if times.is_empty() {
                times.push(fallback);
            }
            times
        };
        let times_a = of(a_id, start);
        let times_b = of(b_id, start + Duration::from_nanos(d));
        let calls = [("A", na, got_a), ("B", nb, got_b)];
        let mut explanations = Vec::new();
        let mut explained = false;
        for &ta in &times_a {
            for &tb in &times_b {
                for order in [[0usize, 1], [1, 0]] {
                    let times = [ta, tb];
                    let mut oracle = Oracle::new(config, start);
                    let mut latest = Duration::ZERO;
                    let mut fits = true;
                    let mut story = Vec::new();
                    for i in order {
                        let (name, n, got) = calls[i];
                        let want = oracle.try_acquire(times[i], n);
                        story.push(format!("{name} at t={} → {}", ns(times[i]), outcome(&want)));
                        // A refusal must rest on a reading no older than what came before.
                        let stale_refusal = want.is_err() && times[i] < latest;
                        fits &= want == got && !stale_refusal;
                        latest = latest.max(times[i]);
                    }
                    explained |= fits;
                    explanations.push(story.join(", then "));
                }
            }
        }
        if !explained {
            explanations.sort();
            explanations.dedup();
            let show = |ts: &[Duration]| ts.iter().map(|t| ns(*t)).collect::<Vec<_>>().join(", ");
            return Err(Failure::new(
                format!(
                    "{}; clock at t={}; round {} of {}: thread A calls try_acquire({na}) and is held inside its clock read; \
                     the clock moves on {d} ns; thread B calls try_acquire({nb}); then A is let go ({interleaving})",
                    describe(&config),
                    ns(start),
                    round + 1,
                    ROUNDS.len()
                ),
                format!(
                    "the answers of the two calls one after the other, each at a reading it took, a refusal never on a reading older than a call before it: {}",
                    explanations.join("; or ")
                ),
                format!(
                    "A → {} (it read the clock at {}), B → {} (it read {}): A was refused on a reading older than B's grant",
                    outcome(&got_a),
                    show(&times_a),
                    outcome(&got_b),
                    show(&times_b)
                ),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Stage 3
// ---------------------------------------------------------------------------------------------

/// A step of a random stage-3 scenario.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QStep {
    Advance(u64),
    Acquire(u64),
    Reserve(u64),
    /// Drop the pending reservation at this index (modulo the count), if any.
    Cancel(usize),
}

impl fmt::Debug for QStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QStep::Advance(d) => write!(f, "advance {d} ns"),
            QStep::Acquire(n) => write!(f, "try_acquire({n})"),
            QStep::Reserve(n) => write!(f, "reserve({n})"),
            QStep::Cancel(i) => write!(f, "drop reservation #{i}"),
        }
    }
}

fn qsteps(capacity: u64) -> impl Strategy<Value = Vec<QStep>> {
    let step = prop_oneof![
        3 => prop_oneof![Just(1u64), 0..=20u64].prop_map(QStep::Advance),
        3 => (1..=capacity).prop_map(QStep::Acquire),
        3 => prop_oneof![Just(capacity), 1..=capacity].prop_map(QStep::Reserve),
        2 => (0usize..8).prop_map(QStep::Cancel),
    ];
    prop::collection::vec(step, 1..30)
}

fn queue_config() -> impl Strategy<Value = BucketConfig> {
    (1u64..=6, 1u64..=4, 1u64..=9).prop_map(|(b, r, p)| config(b, r, p))
}

/// Ready times are exact and in arrival order; big before small, never starved.
pub fn fifo_order<L: RateLimiter>() -> Result<(), Failure> {
    // The classic: a big request queued before a stream of small ones is served first.
    {
        let config = config(10, 1, 10);
        let s = Scenario::<L>::new(config)?;
        s.acquire(10).ok();
        let big = s
            .limiter
            .reserve(10)
            .map_err(|e| s.fail("reserve(10) accepted", outcome(&Err(e))))?;
        let big_at = big.ready_at();
        s.note(format!("t=0 ns: reserve(10) → ready at {}", ns(big_at)));
        if big_at != Duration::from_nanos(100) {
            return Err(s.fail("ready at 100 ns (10 tokens at 1 token / 10 ns)", ns(big_at)));
        }
        let mut smalls = Vec::new();
        for k in 1..=20u64 {
            let now = Duration::from_nanos(k * 5);
            s.clock.set(now);
            let small = s
                .limiter
                .reserve(1)
                .map_err(|e| s.fail("reserve(1) accepted", outcome(&Err(e))))?;
            let at = small.ready_at();
            s.note(format!("t={}: reserve(1) → ready at {}", ns(now), ns(at)));
            let want = Duration::from_nanos(100 + 10 * k);
            if at != want {
                return Err(s.fail(
                    format!(
                        "ready at {} — after the big request and every earlier small one",
                        ns(want)
                    ),
                    format!("ready at {}", ns(at)),
                ));
            }
            smalls.push(small);
        }
        // Everyone is served: drop the reservations once they are all ready.
        s.clock.set(Duration::from_nanos(300));
        drop(smalls);
        drop(big);
    }
    // The largest configs and clock readings the contract accepts: a queue may owe more than
    // 2^64 ns (or grains) of refill, and ready_at is still exact.
    for config in [
        config(u64::MAX, 1, 1),
        config(u64::MAX / 3, u64::MAX, 3),
        config(1 << 60, 3, 15),
        config(u64::MAX / 1_000_000_000, 1_000_000_000, 1_000_000_000),
    ] {
        for start in [0, u64::MAX / 2, u64::MAX - 1_000_000] {
            let start = Duration::from_nanos(start);
            let s = Scenario::<L>::starting_at(config, start)?;
            let mut oracle = Oracle::new(config, start);
            let mut held = Vec::new();
            for n in [config.capacity, config.capacity, config.capacity, 1] {
                let want = oracle.reserve(start, n);
                let r = s
                    .limiter
                    .reserve(n)
                    .map_err(|e| s.fail(format!("reserve({n}) accepted"), outcome(&Err(e))))?;
                let at = r.ready_at();
                s.note(format!("t={}: reserve({n}) → ready at {at:?}", ns(start)));
                if at != want {
                    return Err(s.fail(
                        format!(
                            "ready at {want:?}: the exact time its tokens exist, with no overflow"
                        ),
                        format!("ready at {at:?}"),
                    ));
                }
                held.push(r);
            }
            // The scenario ends here: dropping the queue may cancel it, which nobody observes.
            drop(held);
        }
    }
    // Random queues: every ready_at is exact and never earlier than an earlier arrival's.
    let strategy = queue_config().prop_flat_map(|c| {
        let reqs =
            prop::collection::vec((prop_oneof![Just(0u64), 0..=15u64], 1..=c.capacity), 1..15);
        (Just(c), reqs)
    });
    check_property(&FIFO_ORDER, 300, strategy, |(config, reqs)| {
        let s = Scenario::<L>::new(config)?;
        let mut oracle = Oracle::new(config, Duration::ZERO);
        let mut held = Vec::new();
        let mut previous = Duration::ZERO;
        for (advance, n) in reqs {
            let now = s.now() + Duration::from_nanos(advance);
            s.set(now);
            let want = oracle.reserve(now, n);
            let r = match s.limiter.reserve(n) {
                Ok(r) => r,
                Err(e) => return Err(s.fail(format!("reserve({n}) accepted"), outcome(&Err(e)))),
            };
            let at = r.ready_at();
            s.note(format!("t={}: reserve({n}) → ready at {}", ns(now), ns(at)));
            if at != want || at < previous {
                return Err(s.fail(
                    format!(
                        "ready at {} (after everything reserved before it)",
                        ns(want)
                    ),
                    format!("ready at {}", ns(at)),
                ));
            }
            previous = at;
            held.push(r);
        }
        // Serve everyone: drop the reservations once they are all ready.
        s.clock.set(previous);
        drop(held);
        Ok(())
    })
}

/// try_acquire answers exactly as if reserved tokens were set aside.
pub fn no_queue_jumping<L: RateLimiter>() -> Result<(), Failure> {
    // The plain case first: a waiting reservation owns the next tokens.
    {
        let config = config(5, 1, 4);
        let s = Scenario::<L>::new(config)?;
        s.acquire(5).ok();
        let r = s
            .limiter
            .reserve(5)
            .map_err(|e| s.fail("reserve(5) accepted", outcome(&Err(e))))?;
        s.note(format!(
            "t=0 ns: reserve(5) → ready at {}",
            ns(r.ready_at())
        ));
        for t in [1u64, 4, 10, 19, 20, 23] {
            s.set(Duration::from_nanos(t));
            let got = s.acquire(1);
            let want = Duration::from_nanos(24 - t);
            if got != Err(AcquireError::RateLimited { retry_after: want }) {
                return Err(s.fail(
                    format!(
                        "denied, retry_after = {}: the first 5 tokens (ready at 20 ns) belong to the reservation, the next accrues at 24 ns",
                        ns(want)
                    ),
                    outcome(&got),
                ));
            }
        }
        s.set(Duration::from_nanos(24));
        let got = s.acquire(1);
        if got.is_err() {
            return Err(s.fail(
                "granted at 24 ns: the first token after the reservation's five",
                outcome(&got),
            ));
        }
        drop(r);
    }
    check_property(
        &NO_QUEUE_JUMPING,
        300,
        queue_config().prop_flat_map(|c| (Just(c), qsteps(c.capacity))),
        |(config, steps)| run_queue_model::<L>(config, &steps, false),
    )
}

/// Replays a stage-3 scenario against the oracle. With `cancels_only`, checks only what a
/// cancellation changes; otherwise every try_acquire answer must match exactly.
fn run_queue_model<L: RateLimiter>(
    config: BucketConfig,
    steps: &[QStep],
    cancels_only: bool,
) -> Result<(), Failure> {
    let s = Scenario::<L>::new(config)?;
    let mut oracle = Oracle::new(config, Duration::ZERO);
    let mut pending: Vec<(L::Reservation<'_>, u64, Duration)> = Vec::new();
    let limiter = &s.limiter;
    let clock = s.clock.clone();
    let mut log = s.log.borrow_mut();
    for st in steps {
        let now = clock.now();
        match *st {
            QStep::Advance(d) => clock.set(now + Duration::from_nanos(d)),
            QStep::Acquire(n) => {
                let want = oracle.try_acquire(now, n);
                let got = limiter.try_acquire(n);
                log.step(format!(
                    "t={}: try_acquire({n}) → {}",
                    ns(now),
                    outcome(&got)
                ));
                if got != want && !(cancels_only && got.is_ok() == want.is_ok()) {
                    return Err(Failure::new(&*log, outcome(&want), outcome(&got)));
                }
                if cancels_only && got != want {
                    // Same decision, different wait: not this criterion's business.
                    continue;
                }
            }
            QStep::Reserve(n) => {
                let want = oracle.reserve(now, n);
                let r = match limiter.reserve(n) {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(Failure::new(
                            &*log,
                            format!("reserve({n}) accepted"),
                            outcome(&Err(e)),
                        ));
                    }
                };
                log.step(format!(
                    "t={}: reserve({n}) → ready at {}",
                    ns(now),
                    ns(r.ready_at())
                ));
                pending.push((r, n, want));
            }
            QStep::Cancel(i) => {
                if pending.is_empty() {
                    continue;
                }
                let (r, n, promised) = pending.remove(i % pending.len());
                // A solution may bring ready_at earlier after cancellations ahead of it, never
                // later; whether this drop is a cancellation follows its own answer.
                let at = r.ready_at();
                log.step(format!(
                    "t={}: drop reservation({n}, ready at {})",
                    ns(now),
                    ns(at)
                ));
                if at > promised {
                    return Err(Failure::new(
                        &*log,
                        format!(
                            "ready_at no later than the {} promised when reserved",
                            ns(promised)
                        ),
                        format!("ready_at moved later, to {}", ns(at)),
                    ));
                }
                drop(r);
                oracle.cancel(now, n, at);
            }
        }
    }
    // Serve everyone left: their holders proceed once ready, which returns nothing.
    if let Some(last) = pending.iter().map(|(r, ..)| r.ready_at()).max() {
        clock.set(last.max(clock.now()));
    }
    drop(pending);
    Ok(())
}

/// Dropping a waiting reservation returns its tokens; dropping a ready one returns nothing.
pub fn cancel_returns_tokens<L: RateLimiter>() -> Result<(), Failure> {
    // Cancel before ready: the tokens come back.
    {
        let config = config(10, 1, 1);
        let s = Scenario::<L>::new(config)?;
        s.acquire(10).ok();
        let r = s
            .limiter
            .reserve(4)
            .map_err(|e| s.fail("reserve(4) accepted", outcome(&Err(e))))?;
        s.note(format!(
            "t=0 ns: reserve(4) → ready at {}",
            ns(r.ready_at())
        ));
        s.set(Duration::from_nanos(1));
        drop(r);
        s.note("t=1 ns: drop the reservation (cancel)");
        s.set(Duration::from_nanos(4));
        let got = s.acquire(4);
        if got.is_err() {
            return Err(s.fail(
                "granted: the cancelled reservation's 4 tokens were given back",
                outcome(&got),
            ));
        }
    }
    // Drop at or after ready: nothing comes back.
    {
        let config = config(10, 1, 1);
        let s = Scenario::<L>::new(config)?;
        s.acquire(10).ok();
        let r = s
            .limiter
            .reserve(4)
            .map_err(|e| s.fail("reserve(4) accepted", outcome(&Err(e))))?;
        s.note(format!(
            "t=0 ns: reserve(4) → ready at {}",
            ns(r.ready_at())
        ));
        s.set(Duration::from_nanos(4));
        drop(r);
        s.note("t=4 ns: drop the reservation (it was ready: its tokens were used)");
        let got = s.acquire(1);
        if got
            != Err(AcquireError::RateLimited {
                retry_after: Duration::from_nanos(1),
            })
        {
            return Err(s.fail(
                "denied, retry_after = 1 ns: the used reservation's tokens do not come back",
                outcome(&got),
            ));
        }
    }
    // A refund never lifts the level above capacity. A cancellation ahead moves the queue up, so
    // the second reservation's tokens exist before the ready_at it was given; a solution that
    // keeps that ready_at (the contract allows it) treats a drop in between as a cancellation,
    // and its refund must stop at capacity. One that brings ready_at earlier sees a used
    // reservation instead: the oracle follows the solution's own ready_at either way.
    {
        let config = config(4, 1, 10);
        let s = Scenario::<L>::new(config)?;
        let mut oracle = Oracle::new(config, Duration::ZERO);
        s.acquire(4).ok();
        oracle.try_acquire(Duration::ZERO, 4).ok();
        let first = s
            .limiter
            .reserve(4)
            .map_err(|e| s.fail("reserve(4) accepted", outcome(&Err(e))))?;
        let first_at = oracle.reserve(Duration::ZERO, 4);
        let second = s
            .limiter
            .reserve(4)
            .map_err(|e| s.fail("reserve(4) accepted", outcome(&Err(e))))?;
        oracle.reserve(Duration::ZERO, 4);
        s.note(format!(
            "t=0 ns: reserve(4) → ready at {}; reserve(4) → ready at {}",
            ns(first.ready_at()),
            ns(second.ready_at())
        ));
        drop(first);
        oracle.cancel(Duration::ZERO, 4, first_at);
        s.note("t=0 ns: drop the first reservation (cancel)");
        let now = Duration::from_nanos(60);
        s.set(now);
        let at = second.ready_at();
        drop(second);
        oracle.cancel(now, 4, at);
        s.note(format!(
            "t=60 ns: drop the second reservation (its ready_at now reads {})",
            ns(at)
        ));
        let level = oracle.available(now);
        let got = s.acquire(level);
        let over = s.acquire(1);
        let want_over = oracle.clone().try_acquire(now, level + 1).map(|_| ());
        if got.is_err() || over.is_ok() != want_over.is_ok() {
            return Err(s.fail(
                format!(
                    "exactly {level} token(s) held: try_acquire({level}) granted, then try_acquire(1) denied — a refund stops at capacity"
                ),
                format!(
                    "try_acquire({level}) → {}, then try_acquire(1) → {}",
                    outcome(&got),
                    outcome(&over)
                ),
            ));
        }
    }
    // Random queues with cancellations.
    check_property(
        &CANCEL_RETURNS_TOKENS,
        300,
        queue_config().prop_flat_map(|c| (Just(c), qsteps(c.capacity))),
        |(config, steps)| run_queue_model::<L>(config, &steps, true),
    )
}

// ---------------------------------------------------------------------------------------------
// Stage 4
// ---------------------------------------------------------------------------------------------

/// Tenants 0 and 1 have tiers of their own; everyone else gets the default.
fn tiered_quotas() -> impl Strategy<Value = Quotas<u32>> {
    (queue_config(), queue_config(), queue_config()).prop_map(|(default, a, b)| Quotas {
        default,
        tenants: [(0, a), (1, b)].into_iter().collect(),
    })
}

fn describe_quotas(q: &Quotas<u32>) -> String {
    let mut tiers: Vec<_> = q.tenants.iter().collect();
    tiers.sort_by_key(|(t, _)| **t);
    let own: Vec<String> = tiers
        .iter()
        .map(|(t, c)| format!("tenant {t}: {}", describe(c)))
        .collect();
    format!("default: {}; {}", describe(&q.default), own.join("; "))
}

/// A keyed limiter on a manual clock, with one oracle per tenant that never evicts.
struct Tenants<K> {
    clock: ManualClock,
    limiter: K,
    quotas: Quotas<u32>,
    oracles: std::collections::HashMap<u32, Oracle>,
    log: Transcript,
}

impl<K: KeyedRateLimiter<u32>> Tenants<K> {
    fn new(quotas: Quotas<u32>) -> Result<Self, Failure> {
        let clock = ManualClock::new();
        let log = Transcript::new(describe_quotas(&quotas));
        match K::new(quotas.clone(), Arc::new(clock.clone())) {
            Ok(limiter) => Ok(Self {
                clock,
                limiter,
                quotas,
                oracles: Default::default(),
                log,
            }),
            Err(e) => Err(Failure::new(
                log,
                "a limiter (the quotas are valid)",
                format!("new() returned Err({e:?})"),
            )),
        }
    }

    fn advance(&mut self, by: u64) {
        self.clock.advance(Duration::from_nanos(by));
    }

    /// Calls try_acquire and compares it with the tenant's own oracle.
    fn acquire(&mut self, tenant: u32, n: u64) -> Result<(), Failure> {
        let now = self.clock.now();
        let config = *self
            .quotas
            .tenants
            .get(&tenant)
            .unwrap_or(&self.quotas.default);
        let want = self
            .oracles
            .entry(tenant)
            .or_insert_with(|| Oracle::new(config, Duration::ZERO))
            .try_acquire(now, n);
        let got = self.limiter.try_acquire(&tenant, n);
        self.log.step(format!(
            "t={}: tenant {tenant}: try_acquire({n}) → {}",
            ns(now),
            outcome(&got)
        ));
        if got != want {
            return Err(Failure::new(
                &self.log,
                format!(
                    "{} (what tenant {tenant}'s own bucket answers)",
                    outcome(&want)
                ),
                outcome(&got),
            ));
        }
        Ok(())
    }
}

/// Each tenant's answers are those of its own lone bucket; also with one thread per tenant.
pub fn tenant_isolation<K: KeyedRateLimiter<u32>>() -> Result<(), Failure> {
    let ops = prop::collection::vec(
        (0u32..5, prop_oneof![Just(0u64), 0..=12u64], 0u64..=7),
        1..40,
    );
    check_property(
        &TENANT_ISOLATION,
        300,
        (tiered_quotas(), ops),
        |(quotas, ops)| {
            let mut t = Tenants::<K>::new(quotas)?;
            for (tenant, advance, n) in ops {
                t.advance(advance);
                t.acquire(tenant, n)?;
            }
            Ok(())
        },
    )?;
    // One thread per tenant, racing on a frozen clock: each gets exactly its own capacity.
    for round in 0..40u64 {
        let quotas = Quotas {
            default: config(6 + round % 5, 1, 1_000),
            tenants: [(0, config(3, 1, 1_000)), (1, config(9, 1, 1_000))]
                .into_iter()
                .collect(),
        };
        let manual = ManualClock::starting_at(Duration::from_nanos(1_000));
        let clock = Arc::new(YieldingClock::new(manual, round, 3));
        let limiter = K::new(quotas.clone(), clock).map_err(|e| {
            Failure::new(
                describe_quotas(&quotas),
                "a limiter",
                format!("new() returned {e:?}"),
            )
        })?;
        let granted = run_gated(THREADS, |i| {
            let tenant = i as u32;
            (0..20)
                .filter(|_| limiter.try_acquire(&tenant, 1).is_ok())
                .count() as u64
        });
        for (i, got) in granted.iter().enumerate() {
            let want = quotas
                .tenants
                .get(&(i as u32))
                .unwrap_or(&quotas.default)
                .capacity;
            if *got != want {
                return Err(Failure::new(
                    format!(
                        "{}; clock frozen; round {round}: {THREADS} threads released together, thread i calls try_acquire(1) 20 times for tenant i",
                        describe_quotas(&quotas)
                    ),
                    format!("tenant {i} granted exactly its capacity, {want}"),
                    format!("tenant {i} granted {got} (all tenants: {granted:?})"),
                ));
            }
        }
    }
    Ok(())
}

/// Idle gaps around the refill time change no answer.
pub fn eviction_invisible<K: KeyedRateLimiter<u32>>() -> Result<(), Failure> {
    let gaps = prop_oneof![
        Just((0u64, 1u64)), // in quarters of the refill time, plus ns
        Just((1, 0)),
        Just((2, 0)),
        Just((4, 0)),
        Just((4, 1)),
        Just((8, 0)),
        Just((12, 0)),
        (0u64..6, 0u64..3),
    ];
    let ops = prop::collection::vec((0u32..4, gaps, 0u64..=7), 1..40);
    check_property(
        &EVICTION_INVISIBLE,
        300,
        (tiered_quotas(), ops),
        |(quotas, ops)| {
            let horizon = quotas.longest_refill().as_nanos() as u64;
            let mut t = Tenants::<K>::new(quotas)?;
            for (tenant, (quarters, extra), n) in ops {
                let gap = horizon * quarters / 4 + extra;
                if gap > 0 {
                    t.log
                        .step(format!("advance {gap} ns (refill horizon {horizon} ns)"));
                }
                t.advance(gap);
                t.acquire(tenant, n)?;
            }
            Ok(())
        },
    )
}

/// After every call, len() ≤ tenants active in the last 2 × the longest refill time.
pub fn bounded_memory<K: KeyedRateLimiter<u32>>() -> Result<(), Failure> {
    // Many tenants once, then silence, then one call.
    {
        let quotas = Quotas::uniform(config(4, 1, 10));
        let horizon = quotas.longest_refill().as_nanos() as u64;
        let mut t = Tenants::<K>::new(quotas)?;
        for tenant in 0..1_000 {
            t.limiter.try_acquire(&tenant, 1).ok();
        }
        t.log.step("t=0 ns: tenants 0…999 each try_acquire(1)");
        t.advance(2 * horizon + 1);
        let got = t.limiter.try_acquire(&7, 1);
        t.log.step(format!(
            "t={} ns: tenant 7: try_acquire(1) → {}",
            2 * horizon + 1,
            outcome(&got)
        ));
        let len = t.limiter.len();
        if len > 1 {
            return Err(Failure::new(
                &t.log,
                format!("len() ≤ 1: only tenant 7 called within the last 2 × {horizon} ns"),
                format!("len() = {len}"),
            ));
        }
    }
    let gaps = prop_oneof![Just(0u64), Just(1), Just(2), Just(4), Just(8), Just(12)];
    let ops = prop::collection::vec((0u32..30, gaps), 1..80);
    check_property(
        &BOUNDED_MEMORY,
        200,
        (tiered_quotas(), ops),
        |(quotas, ops)| {
            let horizon = quotas.longest_refill().as_nanos() as u64;
            let mut t = Tenants::<K>::new(quotas)?;
            let mut last_call: std::collections::HashMap<u32, u64> = Default::default();
            for (tenant, quarters) in ops {
                t.advance(horizon * quarters / 4);
                let now = t.clock.now().as_nanos() as u64;
                // Only memory is judged here; answers are other criteria's business.
                let got = t.limiter.try_acquire(&tenant, 1);
                t.log.step(format!(
                    "t={now} ns: tenant {tenant}: try_acquire(1) → {}",
                    outcome(&got)
                ));
                last_call.insert(tenant, now);
                let active = last_call
                    .values()
                    .filter(|at| now - **at <= 2 * horizon)
                    .count();
                let len = t.limiter.len();
                if len > active {
                    return Err(Failure::new(
                        &t.log,
                        format!(
                            "len() ≤ {active}: the tenants that called within the last 2 × {horizon} ns"
                        ),
                        format!("len() = {len}"),
                    ));
                }
            }
            Ok(())
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Stage 5: one limit for a fleet, on Redis
// ---------------------------------------------------------------------------------------------
//
// These checks run against a real `redis-server` that each check starts for itself on a free
// loopback port (see `grading::services`), and report `unavailable` when none can be started.
// The store's clock is real, so bounds are measured on it: the checks read the server's `TIME`
// before and after a run and allow exactly what a single bucket would have allowed in between.

/// A private Redis server for one check; without one the check ends as `unavailable`.
fn redis_server() -> RedisServer {
    RedisServer::start().unwrap_or_else(|reason| unavailable(reason))
}

/// The check's own connection to the server, to read its clock and look at what a solution
/// left in it.
struct Inspector(redis::Connection);

impl Inspector {
    fn new(server: &RedisServer) -> Self {
        redis::Client::open(server.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
            .map(Self)
            .unwrap_or_else(|e| unavailable(format!("cannot talk to the test's own Redis: {e}")))
    }

    /// The server's clock, in µs.
    fn time_us(&mut self) -> u64 {
        let (secs, micros): (u64, u64) = redis::cmd("TIME")
            .query(&mut self.0)
            .unwrap_or_else(|e| unavailable(format!("TIME failed on the test's own Redis: {e}")));
        secs * 1_000_000 + micros
    }

    /// Every key, with its remaining time to live in ms (-1: none).
    fn keys_with_ttl(&mut self) -> Vec<(String, i64)> {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query(&mut self.0)
            .unwrap_or_else(|e| unavailable(format!("KEYS failed on the test's own Redis: {e}")));
        let mut out: Vec<(String, i64)> = keys
            .into_iter()
            .map(|k| {
                let ttl: i64 = redis::cmd("PTTL").arg(&k).query(&mut self.0).unwrap_or(-2);
                (k, ttl)
            })
            .collect();
        out.sort();
        out
    }
}

/// Store settings for a check: fail closed with a generous timeout, so a loaded machine never
/// turns a healthy run into a failure.
fn healthy_store(url: String, prefix: &str) -> StoreConfig {
    StoreConfig {
        url,
        prefix: prefix.to_string(),
        timeout: Duration::from_secs(5),
        on_failure: FailurePolicy::Closed,
    }
}

fn connect<S: SharedRateLimiter>(
    bucket: BucketConfig,
    store: StoreConfig,
    clock: Arc<dyn Clock>,
) -> Result<S, Failure> {
    let setup = format!(
        "{}; store {} prefix {:?}",
        describe(&bucket),
        store.url,
        store.prefix
    );
    S::connect(bucket, store, clock)
        .map_err(|e| Failure::new(setup, "a client (the config is valid)", format!("{e:?}")))
}

/// One answer of a shared limiter, in a transcript's words.
fn shared_outcome(r: &Result<Admission, SharedError>) -> String {
    match r {
        Ok(Admission::Counted) => "granted".into(),
        Ok(Admission::FailedOpen { reason }) => format!("let through uncounted ({reason})"),
        Err(SharedError::Limited(e)) => outcome(&Err(*e)),
        Err(SharedError::Unavailable { reason }) => format!("unavailable ({reason})"),
    }
}

/// Most tokens one bucket may grant between two readings of the server clock (µs), inclusive.
fn shared_bound(bucket: &BucketConfig, from_us: u64, to_us: u64) -> u64 {
    let elapsed_ns = u128::from(to_us.saturating_sub(from_us) + 1) * 1_000;
    let accrued = elapsed_ns * u128::from(bucket.refill_tokens) / bucket.refill_period.as_nanos();
    bucket.capacity + u64::try_from(accrued).unwrap_or(u64::MAX)
}

/// Tallies of a concurrent run against a shared limiter.
#[derive(Debug, Default)]
struct Tally {
    granted: u64,
    denied: u64,
    other: Vec<String>,
}

impl Tally {
    fn add(&mut self, r: &Result<Admission, SharedError>) {
        match r {
            Ok(Admission::Counted) => self.granted += 1,
            Err(SharedError::Limited(AcquireError::RateLimited { .. })) => self.denied += 1,
            other => {
                if self.other.len() < 3 {
                    self.other.push(shared_outcome(other));
                }
            }
        }
    }

    fn merge(tallies: Vec<Tally>) -> Tally {
        tallies.into_iter().fold(Tally::default(), |mut a, t| {
            a.granted += t.granted;
            a.denied += t.denied;
            a.other.extend(t.other);
            a
        })
    }
}

const SHARED_CLIENTS: usize = 4;
const SHARED_THREADS_PER_CLIENT: usize = 2;

/// Runs `attempts` × `try_acquire(key, 1)` on every thread of every client, all released at
/// once, and tallies the answers.
fn hammer<S: SharedRateLimiter>(clients: &[S], key: &str, attempts: usize) -> Tally {
    let threads = clients.len() * SHARED_THREADS_PER_CLIENT;
    let tallies = run_gated(threads, |i| {
        let client = &clients[i / SHARED_THREADS_PER_CLIENT];
        let mut tally = Tally::default();
        for _ in 0..attempts {
            tally.add(&client.try_acquire(key, 1));
        }
        tally
    });
    Tally::merge(tallies)
}

/// 4 clients × 2 threads on one key never exceed the window bound together.
pub fn shared_window_bound<S: SharedRateLimiter>() -> Result<(), Failure> {
    let server = redis_server();
    let mut inspector = Inspector::new(&server);
    // Slow refill: over a run of a few hundred ms almost nothing accrues, so the bound is
    // essentially the burst, and every extra grant is a lost update.
    let bucket = config(30, 1, 1_000_000_000_000);
    let clients: Vec<S> = (0..SHARED_CLIENTS)
        .map(|_| {
            connect(
                bucket,
                healthy_store(server.url(), "window:"),
                Arc::new(ManualClock::new()),
            )
        })
        .collect::<Result<_, _>>()?;
    const ROUNDS: usize = 3;
    for round in 0..ROUNDS {
        let key = format!("api-{round}");
        let from = inspector.time_us();
        let tally = hammer(&clients, &key, 20);
        let to = inspector.time_us();
        let bound = shared_bound(&bucket, from, to);
        let input = format!(
            "{}; {SHARED_CLIENTS} clients × {SHARED_THREADS_PER_CLIENT} threads released together, each thread calls try_acquire({key:?}, 1) 20 times; run {} µs on the server clock",
            describe(&bucket),
            to - from
        );
        ensure!(
            tally.other.is_empty(),
            &input,
            "every answer granted or rate limited (the store is healthy)",
            "{:?}",
            tally.other
        );
        ensure!(
            tally.granted <= bound,
            &input,
            format!("at most {bound} grants in total (the burst plus what accrued)"),
            "{} grants: clients overwrote each other's updates",
            tally.granted
        );
        ensure!(
            tally.granted >= bucket.capacity,
            &input,
            format!("the full burst of {} granted", bucket.capacity),
            "only {} granted",
            tally.granted
        );
    }
    Ok(())
}

/// Keys are separate buckets, and one key is one bucket for every client.
pub fn shared_key_isolation<S: SharedRateLimiter>() -> Result<(), Failure> {
    let server = redis_server();
    let bucket = config(5, 1, 1_000_000_000_000);
    let a: S = connect(
        bucket,
        healthy_store(server.url(), "iso:"),
        Arc::new(ManualClock::new()),
    )?;
    let b: S = connect(
        bucket,
        healthy_store(server.url(), "iso:"),
        Arc::new(ManualClock::new()),
    )?;
    let mut log = Transcript::new(format!(
        "{}; clients A and B on one store, same prefix",
        describe(&bucket)
    ));
    let expect = |log: &mut Transcript,
                  who: &str,
                  client: &S,
                  key: &str,
                  want_granted: bool|
     -> Result<(), Failure> {
        let got = client.try_acquire(key, 1);
        log.step(format!(
            "{who}: try_acquire({key:?}, 1) → {}",
            shared_outcome(&got)
        ));
        let granted = matches!(got, Ok(Admission::Counted));
        let denied = matches!(
            got,
            Err(SharedError::Limited(AcquireError::RateLimited { .. }))
        );
        if (want_granted && !granted) || (!want_granted && !denied) {
            return Err(Failure::new(
                &*log,
                if want_granted {
                    "granted"
                } else {
                    "rate limited"
                },
                shared_outcome(&got),
            ));
        }
        Ok(())
    };
    // A drains "alpha" (half through B: one key is one bucket for both clients).
    for i in 0..bucket.capacity {
        let who = if i % 2 == 0 { ("A", &a) } else { ("B", &b) };
        expect(&mut log, who.0, who.1, "alpha", true)?;
    }
    expect(&mut log, "A", &a, "alpha", false)?;
    expect(&mut log, "B", &b, "alpha", false)?;
    // "beta" is untouched by all of that.
    for _ in 0..bucket.capacity {
        expect(&mut log, "B", &b, "beta", true)?;
    }
    expect(&mut log, "A", &a, "beta", false)?;
    // Another prefix is another namespace.
    let c: S = connect(
        bucket,
        healthy_store(server.url(), "other:"),
        Arc::new(ManualClock::new()),
    )?;
    log.step("client C: same store, prefix \"other:\"");
    expect(&mut log, "C", &c, "alpha", true)?;
    Ok(())
}

/// Client clocks, however wrong, never mint tokens.
pub fn shared_client_clocks<S: SharedRateLimiter>() -> Result<(), Failure> {
    let server = redis_server();
    let mut inspector = Inspector::new(&server);
    let bucket = config(8, 1, 1_000_000_000_000);
    let hour = Duration::from_secs(3_600);
    let clocks = [
        ManualClock::new(),
        ManualClock::starting_at(hour),
        ManualClock::starting_at(Duration::from_secs(86_400 * 365 * 50)),
        ManualClock::starting_at(hour * 2),
    ];
    let clients: Vec<S> = clocks
        .iter()
        .map(|c| {
            connect(
                bucket,
                healthy_store(server.url(), "skew:"),
                Arc::new(c.clone()),
            )
        })
        .collect::<Result<_, _>>()?;
    let mut log = Transcript::new(format!(
        "{}; 4 clients whose clocks read 0, 1 h, 50 years and 2 h; each call moves client 1's clock 1 h on and client 3's 1 h back",
        describe(&bucket)
    ));
    let from = inspector.time_us();
    let mut granted = 0;
    for round in 0..3 {
        for (i, client) in clients.iter().enumerate() {
            for _ in 0..bucket.capacity {
                clocks[1].advance(hour);
                clocks[3].rewind(hour);
                let got = client.try_acquire("shared", 1);
                if matches!(got, Ok(Admission::Counted)) {
                    granted += 1;
                }
                if let Err(SharedError::Unavailable { .. }) | Ok(Admission::FailedOpen { .. }) = got
                {
                    log.step(format!(
                        "round {round}, client {i}: try_acquire(\"shared\", 1) → {}",
                        shared_outcome(&got)
                    ));
                    return Err(Failure::new(
                        &log,
                        "granted or rate limited (the store is healthy)",
                        shared_outcome(&got),
                    ));
                }
            }
            log.step(format!(
                "round {round}, client {i}: {} × try_acquire(\"shared\", 1) → {granted} granted so far",
                bucket.capacity
            ));
        }
    }
    let to = inspector.time_us();
    let bound = shared_bound(&bucket, from, to);
    ensure!(
        granted <= bound,
        &log,
        format!(
            "at most {bound} grants: the server's clock moved {} µs",
            to - from
        ),
        "{granted} grants: a client's own clock decided how much had refilled"
    );
    Ok(())
}

/// Every key a solution writes expires once its bucket would be full again.
pub fn shared_keys_expire<S: SharedRateLimiter>() -> Result<(), Failure> {
    let server = redis_server();
    let mut inspector = Inspector::new(&server);
    // Fills from empty in 4 s: no key needs to live longer than that (plus a second of slack
    // for rounding and scheduling).
    let bucket = config(4, 1, 1_000_000_000);
    let fill_ms: i64 = 4_000;
    let client: S = connect(
        bucket,
        healthy_store(server.url(), "exp:"),
        Arc::new(ManualClock::new()),
    )?;
    let mut log = Transcript::new(format!("{}; prefix \"exp:\"", describe(&bucket)));
    for tenant in 0..20 {
        let n = 1 + tenant % bucket.capacity;
        let got = client.try_acquire(&format!("tenant-{tenant}"), n);
        log.step(format!(
            "try_acquire(\"tenant-{tenant}\", {n}) → {}",
            shared_outcome(&got)
        ));
    }
    let keys = inspector.keys_with_ttl();
    ensure!(
        !keys.is_empty(),
        &log,
        "the buckets kept in Redis",
        "no key at all in Redis: where is the state?"
    );
    for (key, ttl) in &keys {
        ensure!(
            key.starts_with("exp:"),
            &log,
            "every key starts with the configured prefix \"exp:\"",
            "key {key:?} in Redis"
        );
        ensure!(
            *ttl > 0 && *ttl <= fill_ms + 1_000,
            &log,
            format!(
                "every key expires within the time its bucket takes to fill (≤ {fill_ms} ms + 1 s)"
            ),
            "key {key:?} has {}",
            if *ttl < 0 {
                "no expiry: Redis keeps it forever".to_string()
            } else {
                format!("a TTL of {ttl} ms")
            }
        );
    }
    // And not sooner: a key drained one token at a time must stay until the whole bucket has
    // refilled, or it would come back full early (a missing key is a full bucket).
    let client: S = connect(
        bucket,
        healthy_store(server.url(), "drain:"),
        Arc::new(ManualClock::new()),
    )?;
    let from = inspector.time_us();
    for _ in 0..bucket.capacity {
        let got = client.try_acquire("tenant", 1);
        log.step(format!(
            "prefix \"drain:\": try_acquire(\"tenant\", 1) → {}",
            shared_outcome(&got)
        ));
        ensure!(
            matches!(got, Ok(Admission::Counted)),
            &log,
            "granted (a full bucket of 4)",
            "{}",
            shared_outcome(&got)
        );
    }
    let longest = inspector
        .keys_with_ttl()
        .into_iter()
        .filter(|(key, _)| key.starts_with("drain:"))
        .map(|(_, ttl)| ttl)
        .max();
    let to = inspector.time_us();
    let elapsed_ms = i64::try_from((to - from).div_ceil(1_000)).unwrap_or(i64::MAX);
    let at_least = fill_ms - elapsed_ms - 2;
    ensure!(
        longest.is_some_and(|ttl| ttl >= at_least),
        &log,
        format!(
            "the drained bucket's key kept until it would be full again: a TTL of at least {at_least} ms ({fill_ms} ms to refill 4 tokens, {elapsed_ms} ms of it already passed)"
        ),
        "{}",
        match longest {
            None =>
                "no key under \"drain:\" in Redis: the drained bucket was forgotten".to_string(),
            Some(ttl) => format!(
                "the longest TTL under \"drain:\" is {ttl} ms: the key vanishes while the bucket is still short, and comes back full"
            ),
        }
    );
    Ok(())
}

/// A store that refuses connections gets the configured policy; a client built while the
/// store was down works once it is up.
pub fn shared_store_down<S: SharedRateLimiter>() -> Result<(), Failure> {
    let port = crate::grading::services::free_port()
        .unwrap_or_else(|e| unavailable(format!("no free loopback port: {e}")));
    let url = format!("redis://127.0.0.1:{port}/");
    let bucket = config(3, 1, 1_000_000_000_000);
    let store = |policy| StoreConfig {
        url: url.clone(),
        prefix: "down:".into(),
        timeout: Duration::from_secs(2),
        on_failure: policy,
    };
    let mut log = Transcript::new(format!(
        "{}; nothing listens on port {port}; one client fails open, one fails closed",
        describe(&bucket)
    ));
    let open: S = connect(
        bucket,
        store(FailurePolicy::Open),
        Arc::new(ManualClock::new()),
    )?;
    let closed: S = connect(
        bucket,
        store(FailurePolicy::Closed),
        Arc::new(ManualClock::new()),
    )?;
    for _ in 0..bucket.capacity + 2 {
        let got = open.try_acquire("k", 1);
        log.step(format!(
            "fail-open client: try_acquire(\"k\", 1) → {}",
            shared_outcome(&got)
        ));
        ensure!(
            matches!(got, Ok(Admission::FailedOpen { .. })),
            &log,
            "let through uncounted (Admission::FailedOpen), every time",
            "{}",
            shared_outcome(&got)
        );
        let got = closed.try_acquire("k", 1);
        log.step(format!(
            "fail-closed client: try_acquire(\"k\", 1) → {}",
            shared_outcome(&got)
        ));
        ensure!(
            matches!(got, Err(SharedError::Unavailable { .. })),
            &log,
            "refused with SharedError::Unavailable, every time",
            "{}",
            shared_outcome(&got)
        );
    }
    // The store comes up where the clients expect it.
    let _server = RedisServer::start_on(port).unwrap_or_else(|reason| unavailable(reason));
    log.step(format!("redis-server starts on port {port}"));
    for (name, client) in [("fail-open", &open), ("fail-closed", &closed)] {
        let got = client.try_acquire("k", 1);
        log.step(format!(
            "{name} client: try_acquire(\"k\", 1) → {}",
            shared_outcome(&got)
        ));
        ensure!(
            matches!(got, Ok(Admission::Counted)),
            &log,
            "granted by the store, now that it is up",
            "{}",
            shared_outcome(&got)
        );
    }
    Ok(())
}

/// A store that accepts connections and never answers costs a caller about the timeout, not
/// forever.
pub fn shared_store_hangs<S: SharedRateLimiter + 'static>() -> Result<(), Failure> {
    let silent = SilentServer::start()
        .unwrap_or_else(|e| unavailable(format!("cannot listen on loopback: {e}")));
    let bucket = config(3, 1, 1_000_000_000_000);
    let timeout = Duration::from_millis(50);
    // Twelve times the timeout: generous for a loaded machine, and still far from "forever".
    let patience = timeout * 12;
    let input = format!(
        "{}; the store at port {} accepts connections and never answers; timeout {timeout:?}; one client fails open, one fails closed; each calls try_acquire(\"k\", 1)",
        describe(&bucket),
        silent.port()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    for policy in [FailurePolicy::Open, FailurePolicy::Closed] {
        let store = StoreConfig {
            url: silent.url(),
            prefix: "hang:".into(),
            timeout,
            on_failure: policy,
        };
        let client: S = connect(bucket, store, Arc::new(ManualClock::new()))?;
        let tx = tx.clone();
        // A thread per client, so a client that hangs can be abandoned: closing the silent
        // server at the end of this check releases it.
        std::thread::spawn(move || {
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                client.try_acquire("k", 1)
            }));
            let _ = tx.send((
                policy,
                got.map_err(|p| crate::grading::panic_message(p.as_ref())),
            ));
        });
    }
    drop(tx);
    let started = std::time::Instant::now();
    let mut answered = 0;
    while answered < 2 {
        let left = patience.saturating_sub(started.elapsed());
        let Ok((policy, got)) = rx.recv_timeout(left) else {
            return Err(Failure::new(
                &input,
                format!("both clients answer within about {timeout:?} (allowed {patience:?})"),
                format!(
                    "{} of 2 clients still waiting after {patience:?}: no timeout on the store call?",
                    2 - answered
                ),
            ));
        };
        answered += 1;
        let got = match got {
            Ok(got) => got,
            Err(panic) => return Err(Failure::panicked(&input, panic)),
        };
        let (ok, want) = match policy {
            FailurePolicy::Open => (
                matches!(got, Ok(Admission::FailedOpen { .. })),
                "fail-open client: let through uncounted (Admission::FailedOpen)",
            ),
            FailurePolicy::Closed => (
                matches!(got, Err(SharedError::Unavailable { .. })),
                "fail-closed client: SharedError::Unavailable",
            ),
        };
        ensure!(ok, &input, want, "{}", shared_outcome(&got));
    }
    Ok(())
}

/// After the store restarts, decisions are the store's again at once, and a key regains at
/// most its capacity from the lost state.
pub fn shared_store_restart<S: SharedRateLimiter>() -> Result<(), Failure> {
    let mut server = redis_server();
    let bucket = config(4, 1, 1_000_000_000_000);
    let client: S = connect(
        bucket,
        healthy_store(server.url(), "restart:"),
        Arc::new(ManualClock::new()),
    )?;
    let mut log = Transcript::new(format!("{}; fail closed", describe(&bucket)));
    let drain = |log: &mut Transcript, phase: &str| -> Result<u64, Failure> {
        let mut granted = 0;
        for _ in 0..2 * bucket.capacity {
            let got = client.try_acquire("k", 1);
            match got {
                Ok(Admission::Counted) => granted += 1,
                Err(SharedError::Limited(AcquireError::RateLimited { .. })) => {}
                _ => {
                    log.step(format!(
                        "{phase}: try_acquire(\"k\", 1) → {}",
                        shared_outcome(&got)
                    ));
                    return Err(Failure::new(
                        &*log,
                        "granted or rate limited: the store is up",
                        shared_outcome(&got),
                    ));
                }
            }
        }
        log.step(format!(
            "{phase}: {} × try_acquire(\"k\", 1) → {granted} granted",
            2 * bucket.capacity
        ));
        Ok(granted)
    };
    drain(&mut log, "before the restart")?;
    server.restart().unwrap_or_else(|reason| {
        unavailable(format!("could not restart the test's Redis: {reason}"))
    });
    log.step("redis-server restarts (its data is lost)");
    let granted = drain(&mut log, "after the restart")?;
    ensure!(
        granted <= bucket.capacity,
        &log,
        format!(
            "at most {} grants after the restart (a lost bucket comes back full)",
            bucket.capacity
        ),
        "{granted} grants"
    );
    Ok(())
}

/// Burst, denial with a wait, and the errors that never need the store.
pub fn shared_basics<S: SharedRateLimiter>() -> Result<(), Failure> {
    let server = redis_server();
    // One token per 10 s: the wait after draining is just under 10 s.
    let bucket = config(5, 1, 10_000_000_000);
    let client: S = connect(
        bucket,
        healthy_store(server.url(), "basic:"),
        Arc::new(ManualClock::new()),
    )?;
    let mut log = Transcript::new(describe(&bucket));
    let call = |log: &mut Transcript, tokens: u64| {
        let got = client.try_acquire("k", tokens);
        log.step(format!(
            "try_acquire(\"k\", {tokens}) → {}",
            shared_outcome(&got)
        ));
        got
    };
    for n in [2, 3] {
        let got = call(&mut log, n);
        ensure!(
            matches!(got, Ok(Admission::Counted)),
            &log,
            "granted (the bucket starts full)",
            "{}",
            shared_outcome(&got)
        );
    }
    let got = call(&mut log, 1);
    let period = bucket.refill_period;
    ensure!(
        matches!(got, Err(SharedError::Limited(AcquireError::RateLimited { retry_after })) if retry_after > Duration::ZERO && retry_after <= period),
        &log,
        format!("RateLimited with 0 < retry_after ≤ {period:?} (the time one token takes)"),
        "{}",
        shared_outcome(&got)
    );
    let got = call(&mut log, 0);
    ensure!(
        matches!(got, Ok(Admission::Counted)),
        &log,
        "granted: 0 tokens take nothing",
        "{}",
        shared_outcome(&got)
    );
    let got = call(&mut log, 6);
    ensure!(
        got == Err(SharedError::Limited(AcquireError::ExceedsCapacity {
            requested: 6,
            capacity: 5
        })),
        &log,
        "ExceedsCapacity { requested: 6, capacity: 5 }: it can never succeed",
        "{}",
        shared_outcome(&got)
    );
    // Configs are checked before anything is sent anywhere.
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new());
    let good = healthy_store(server.url(), "basic:");
    let cases: Vec<(&str, BucketConfig, StoreConfig, SharedConfigError)> = vec![
        (
            "capacity 0",
            config(0, 1, 1_000),
            good.clone(),
            SharedConfigError::Bucket(ConfigError::ZeroCapacity),
        ),
        (
            "capacity 2^40 × period 2^20 ns",
            config(1 << 40, 1, 1 << 20),
            good.clone(),
            SharedConfigError::TooLargeForStore {
                capacity: 1 << 40,
                refill_period: Duration::from_nanos(1 << 20),
            },
        ),
        (
            "url \"localhost:6379\"",
            bucket,
            StoreConfig {
                url: "localhost:6379".into(),
                ..good.clone()
            },
            SharedConfigError::InvalidUrl {
                url: String::new(),
                reason: String::new(),
            },
        ),
        (
            "prefix \"\"",
            bucket,
            StoreConfig {
                prefix: String::new(),
                ..good.clone()
            },
            SharedConfigError::EmptyPrefix,
        ),
        (
            "timeout 0",
            bucket,
            StoreConfig {
                timeout: Duration::ZERO,
                ..good.clone()
            },
            SharedConfigError::TimeoutTooShort(Duration::ZERO),
        ),
    ];
    for (what, bucket, store, want) in cases {
        let got = S::connect(bucket, store, clock.clone()).err();
        let same = match (&got, &want) {
            (Some(SharedConfigError::InvalidUrl { .. }), SharedConfigError::InvalidUrl { .. }) => {
                true
            }
            (Some(g), w) => g == w,
            (None, _) => false,
        };
        ensure!(
            same,
            format!("connect with {what}"),
            format!("Err({want:?})"),
            "{got:?}"
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/// The contract's rules (each named in the contract's docs next to its statement), each with
/// the criteria that drive a solution into it. The mutant catalogue says which rule each mutant
/// breaks.
pub const RULES: &[Rule] = &[
    Rule::new(
        "rate-limiter/window-bound",
        "over any window of length t a bucket grants at most capacity + floor(refill_tokens · t / refill_period) tokens; refill is continuous, never a lump per period",
        &[WINDOW_BOUND.id],
    ),
    Rule::new(
        "rate-limiter/starts-full",
        "a bucket starts full and holds at most `capacity` tokens: a full bucket grants exactly `capacity` at one instant",
        &[BURST_EXACT.id],
    ),
    Rule::new(
        "rate-limiter/fractions-carried",
        "fractions of a token are carried forward exactly: the level at T does not depend on how often the bucket was read before T",
        &[PATH_INDEPENDENT.id, EXACT_RETRY_AFTER.id],
    ),
    Rule::new(
        "rate-limiter/refill-capped",
        "refill stops at `capacity`, whatever the idle time",
        &[REFILL_CAPPED.id],
    ),
    Rule::new(
        "rate-limiter/idle-no-overflow",
        "any idle time a u64 clock can show (up to 2^63 ns and beyond) refills without overflow",
        &[REFILL_CAPPED.id],
    ),
    Rule::new(
        "rate-limiter/retry-after-exact",
        "retry_after is the exact wait, rounded up to the ns: retrying after it succeeds, 1 ns earlier does not",
        &[EXACT_RETRY_AFTER.id],
    ),
    Rule::new(
        "rate-limiter/denial-changes-nothing",
        "a request is all or nothing: a denial takes no tokens",
        &[DENIAL_NO_SIDE_EFFECTS.id],
    ),
    Rule::new(
        "rate-limiter/exceeds-capacity",
        "tokens > capacity is ExceedsCapacity { requested, capacity } for try_acquire and reserve, whatever the bucket holds, never RateLimited",
        &[EXCEEDS_CAPACITY.id],
    ),
    Rule::new(
        "rate-limiter/config-errors",
        "new() rejects an invalid config with the first ConfigError in declaration order (ZeroCapacity, ZeroRefillTokens, ZeroRefillPeriod, TooLarge) and accepts every other",
        &[INVALID_CONFIG.id],
    ),
    Rule::new(
        "rate-limiter/clock-backwards",
        "a clock that steps back mints no tokens and panics nowhere",
        &[CLOCK_BACKWARDS.id],
    ),
    Rule::new(
        "rate-limiter/zero-request",
        "try_acquire(0) always succeeds and takes nothing, even from an empty bucket; reserve(0) is ready at once",
        &[ZERO_REQUEST.id],
    ),
    Rule::new(
        "rate-limiter/zero-while-queued",
        "try_acquire(0) succeeds and reserve(0) is ready at once even while reservations wait: they take nothing from anyone",
        &[ZERO_REQUEST.id],
    ),
    Rule::new(
        "rate-limiter/atomic-decision",
        "many threads share one bucket: reading the level, deciding and writing it back are one atomic step, so no token is spent twice and none is lost",
        &[FROZEN_CLOCK_EXACT.id, CONCURRENT_WINDOW_BOUND.id],
    ),
    Rule::new(
        "rate-limiter/clock-after-state",
        "each call decides at a clock reading taken during the call, and a refusal never rests on a reading older than the state it meets",
        &[FRESH_CLOCK_READING.id],
    ),
    Rule::new(
        "rate-limiter/fifo-reservations",
        "reserve sets its tokens aside behind every earlier reservation, in arrival order, and ready_at is the exact time they exist",
        &[FIFO_ORDER.id],
    ),
    Rule::new(
        "rate-limiter/largest-values-exact",
        "every config new() accepts (capacity × refill_period up to u64::MAX ns, refill_tokens up to u64::MAX) and every clock reading works without overflow, also when a queue owes more than 2^64 ns",
        &[FIFO_ORDER.id],
    ),
    Rule::new(
        "rate-limiter/no-queue-jumping",
        "while reservations wait, try_acquire gets only tokens nobody has reserved",
        &[NO_QUEUE_JUMPING.id],
    ),
    Rule::new(
        "rate-limiter/cancel-refunds",
        "dropping a reservation before ready_at gives its tokens back to the bucket",
        &[CANCEL_RETURNS_TOKENS.id],
    ),
    Rule::new(
        "rate-limiter/ready-is-spent",
        "at or after ready_at the tokens belong to the holder: dropping the reservation then gives nothing back",
        &[CANCEL_RETURNS_TOKENS.id],
    ),
    Rule::new(
        "rate-limiter/tenant-isolation",
        "each tenant has a bucket of its own with its own config: its answers are those of a lone bucket, whatever other tenants do",
        &[TENANT_ISOLATION.id],
    ),
    Rule::new(
        "rate-limiter/eviction-invisible",
        "a tenant's bucket may be dropped only when it is full, so no answer changes because of eviction",
        &[EVICTION_INVISIBLE.id],
    ),
    Rule::new(
        "rate-limiter/bounded-memory",
        "after every call len() is at most the tenants that called within the last 2 × longest_refill",
        &[BOUNDED_MEMORY.id],
    ),
    Rule::new(
        "rate-limiter/shared-atomic",
        "a shared key is one bucket for the whole fleet, updated in one atomic step on the store: together clients never exceed one bucket's window bound",
        &[SHARED_WINDOW_BOUND.id],
    ),
    Rule::new(
        "rate-limiter/shared-key-namespace",
        "clients with the same url, prefix and config share a key's bucket; other keys and other prefixes are separate buckets",
        &[SHARED_KEY_ISOLATION.id],
    ),
    Rule::new(
        "rate-limiter/shared-store-clock",
        "the store's clock decides: a client's own clock never mints tokens",
        &[SHARED_CLIENT_CLOCKS.id],
    ),
    Rule::new(
        "rate-limiter/shared-keys-expire",
        "every key written starts with the prefix and is gone from the store once its bucket would be full again",
        &[SHARED_KEYS_EXPIRE.id],
    ),
    Rule::new(
        "rate-limiter/shared-keys-live-until-full",
        "a key stays in the store until its bucket would be full again, not shorter: a missing key is a full bucket",
        &[SHARED_KEYS_EXPIRE.id],
    ),
    Rule::new(
        "rate-limiter/shared-failure-policy",
        "a store that cannot be reached gets on_failure's answer (FailedOpen or Unavailable), never a panic, and a client works again once the store is up",
        &[SHARED_STORE_DOWN.id],
    ),
    Rule::new(
        "rate-limiter/shared-timeout",
        "a store that hangs never blocks a caller much longer than the timeout",
        &[SHARED_STORE_HANGS.id],
    ),
    Rule::new(
        "rate-limiter/shared-restart",
        "a restart of the store is survived without help, granting at most `capacity` extra tokens per key",
        &[SHARED_STORE_RESTART.id],
    ),
    Rule::new(
        "rate-limiter/shared-local-answers",
        "tokens == 0 is granted and tokens > capacity is ExceedsCapacity without asking the store; connect validates the config in the documented order",
        &[SHARED_BASICS.id],
    ),
];
