//! The model answer: an exact, integer token bucket behind one short mutex.
//!
//! # Design
//!
//! **Exact units.** Tokens refill at `r` per period `p`, which is rarely a whole number of
//! nanoseconds per token. Instead of fractions we count *grains*: one token is `p` grains (`p`
//! in ns) and the bucket gains `r` grains every nanosecond. Every quantity is then an integer,
//! refill needs no division, and remainders of partial refills are kept by construction — the
//! bucket's level at time `T` does not depend on how often it was read before `T`.
//!
//! **One lock, held briefly.** The state is two numbers (grains, time of last refill) that
//! must change together, so they live behind one `parking_lot::Mutex`. The critical section is
//! a handful of integer operations and never waits, so a mutex is as fast as a compare-and-swap
//! loop here, and it also gives stage 3 (queueing) for free.
//!
//! **A queue as debt.** A reservation takes its grains immediately, even when that drives the
//! level below zero: the negative level is the debt owed to the queue. FIFO order follows —
//! each reservation is ready when the debt up to and including it is repaid — and `try_acquire`
//! cannot jump the queue, because it needs a positive level. Cancelling gives the grains back.
//!
//! **Time that goes backwards** is treated as time standing still: the last refill time only
//! ever moves forwards, so a clock that steps back never mints tokens.

use super::{
    AcquireError, Admission, BucketConfig, ConfigError, FailurePolicy, KeyedRateLimiter, Quotas,
    RateLimiter, SharedConfigError, SharedError, SharedRateLimiter, StoreConfig,
};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A token bucket, exact to the nanosecond, safe to share between threads.
pub struct TokenBucket {
    clock: Arc<dyn Clock>,
    limits: Limits,
    state: Mutex<State>,
}

/// A validated config in grains: the arithmetic every bucket of one tier shares.
#[derive(Debug, Clone, Copy)]
struct Limits {
    capacity: u64,
    /// Grains per token: the refill period in ns.
    grains_per_token: u64,
    /// Grains gained per ns: the refill tokens per period.
    grains_per_ns: u64,
    /// Full bucket, in grains (`capacity × grains_per_token`, checked to fit in a `u64`).
    max_grains: u64,
}

impl Limits {
    fn new(config: BucketConfig) -> Result<Self, ConfigError> {
        let BucketConfig {
            capacity,
            refill_tokens,
            refill_period,
        } = config;
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity);
        }
        if refill_tokens == 0 {
            return Err(ConfigError::ZeroRefillTokens);
        }
        if refill_period.is_zero() {
            return Err(ConfigError::ZeroRefillPeriod);
        }
        let too_large = ConfigError::TooLarge {
            capacity,
            refill_period,
        };
        let grains_per_token =
            u64::try_from(refill_period.as_nanos()).map_err(|_| too_large.clone())?;
        let max_grains = capacity.checked_mul(grains_per_token).ok_or(too_large)?;
        Ok(Self {
            capacity,
            grains_per_token,
            grains_per_ns: refill_tokens,
            max_grains,
        })
    }

    fn check_capacity(&self, tokens: u64) -> Result<(), AcquireError> {
        if tokens > self.capacity {
            return Err(AcquireError::ExceedsCapacity {
                requested: tokens,
                capacity: self.capacity,
            });
        }
        Ok(())
    }

    /// Time from `now` until a bucket accounted up to `refilled_at` gains `deficit` grains.
    fn wait_for(&self, deficit: i128, refilled_at: u64, now: u64) -> Duration {
        debug_assert!(deficit > 0);
        // Round *up*: a token that is 2/3 accrued is not a token yet.
        let wait = div_ceil(deficit, self.grains_per_ns);
        // If the clock stepped back, the tokens accrue from `refilled_at`, not from `now`.
        let wait = wait + i128::from(refilled_at.saturating_sub(now));
        nanos_to_duration(wait)
    }

    /// Nanoseconds an empty bucket takes to fill (rounded up).
    fn fill_time(&self) -> u64 {
        self.max_grains.div_ceil(self.grains_per_ns)
    }
}

/// The level of one bucket.
struct State {
    /// Grains in the bucket; negative while reservations are owed tokens.
    grains: i128,
    /// Clock reading (ns) up to which `grains` is accounted. Never moves backwards.
    refilled_at: u64,
}

impl State {
    fn full(limits: &Limits, now: u64) -> Self {
        Self {
            grains: i128::from(limits.max_grains),
            refilled_at: now,
        }
    }

    /// Brings the bucket up to `now`, capped at a full bucket.
    fn refill(&mut self, now: u64, limits: &Limits) {
        // A clock that went backwards gives elapsed = 0: time stands still, nothing is minted.
        let elapsed = now.saturating_sub(self.refilled_at);
        self.refilled_at = self.refilled_at.max(now);
        // u64 × u64 always fits in u128; the cap keeps the sum far inside i128.
        let gained = u128::from(elapsed) * u128::from(limits.grains_per_ns);
        let headroom = i128::from(limits.max_grains) - self.grains;
        if headroom > 0 {
            // Compare in u128 so a huge `gained` (2^63 ns idle × a big rate) cannot overflow.
            let headroom = headroom as u128;
            self.grains += gained.min(headroom) as i128;
        }
    }

    fn is_full(&self, limits: &Limits) -> bool {
        self.grains >= i128::from(limits.max_grains)
    }

    /// Takes `tokens` (already checked against capacity, non-zero) from a refilled bucket.
    fn take(&mut self, tokens: u64, limits: &Limits, now: u64) -> Result<(), AcquireError> {
        // tokens ≤ capacity, so this cannot overflow (capacity × grains_per_token fits).
        let needed = i128::from(tokens * limits.grains_per_token);
        if self.grains >= needed {
            self.grains -= needed;
            Ok(())
        } else {
            let deficit = needed - self.grains;
            let retry_after = limits.wait_for(deficit, self.refilled_at, now);
            Err(AcquireError::RateLimited { retry_after })
        }
    }
}

fn now_ns(clock: &dyn Clock) -> u64 {
    // ~584 years of nanoseconds fit in a u64; saturate beyond.
    u64::try_from(clock.now().as_nanos()).unwrap_or(u64::MAX)
}

impl TokenBucket {
    /// Locks the state and refills it to the current clock reading.
    fn refilled(&self) -> (parking_lot::MutexGuard<'_, State>, u64) {
        // Read the clock before taking the lock: the critical section stays a few integer ops.
        let now = now_ns(self.clock.as_ref());
        let mut state = self.state.lock();
        state.refill(now, &self.limits);
        (state, now)
    }
}

// The two helpers below take a 64-bit path whenever the numbers fit (a deficit of less than
// 2^64 grains, a wait under 584 years), so almost always: a 64-bit division is one instruction,
// while an `i128` division is a call into a software routine — about a quarter of the time of a
// denied `try_acquire` before this shortcut.

/// `n / d` rounded up, for `n > 0`.
fn div_ceil(n: i128, d: u64) -> i128 {
    match u64::try_from(n) {
        Ok(n) => i128::from(n.div_ceil(d)),
        Err(_) => (n + i128::from(d) - 1) / i128::from(d),
    }
}

fn nanos_to_duration(ns: i128) -> Duration {
    const NANOS_PER_SEC: i128 = 1_000_000_000;
    if let Ok(ns) = u64::try_from(ns) {
        return Duration::from_nanos(ns);
    }
    let secs = u64::try_from(ns / NANOS_PER_SEC).unwrap_or(u64::MAX);
    Duration::new(secs, (ns % NANOS_PER_SEC) as u32)
}

impl RateLimiter for TokenBucket {
    type Reservation<'a> = Reservation<'a>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let limits = Limits::new(config)?;
        let state = State::full(&limits, now_ns(clock.as_ref()));
        Ok(Self {
            clock,
            limits,
            state: Mutex::new(state),
        })
    }

    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        self.limits.check_capacity(tokens)?;
        if tokens == 0 {
            return Ok(());
        }
        let (mut state, now) = self.refilled();
        state.take(tokens, &self.limits, now)
    }

    fn reserve(&self, tokens: u64) -> Result<Reservation<'_>, AcquireError> {
        self.limits.check_capacity(tokens)?;
        let grains = tokens * self.limits.grains_per_token;
        let (mut state, now) = self.refilled();
        // Take the grains now, into debt if need be: the debt is the queue.
        state.grains -= i128::from(grains);
        let ready_at = if tokens == 0 || state.grains >= 0 {
            now
        } else {
            let wait = self.limits.wait_for(-state.grains, state.refilled_at, now);
            now.saturating_add(u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX))
        };
        Ok(Reservation {
            bucket: self,
            tokens,
            grains,
            ready_at: Duration::from_nanos(ready_at),
        })
    }
}

/// Tokens set aside in a [`TokenBucket`]'s queue; dropping it before `ready_at` gives them back.
pub struct Reservation<'a> {
    bucket: &'a TokenBucket,
    tokens: u64,
    grains: u64,
    ready_at: Duration,
}

impl super::Reservation for Reservation<'_> {
    fn ready_at(&self) -> Duration {
        self.ready_at
    }

    fn tokens(&self) -> u64 {
        self.tokens
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let bucket = self.bucket;
        let (mut state, now) = bucket.refilled();
        if Duration::from_nanos(now) < self.ready_at {
            // Cancelled while still waiting: repay the grains, never beyond a full bucket.
            state.grains =
                (state.grains + i128::from(self.grains)).min(i128::from(bucket.limits.max_grains));
        }
    }
}

/// One token bucket per tenant, sharded, with invisible eviction (stage 4).
///
/// # Design
///
/// **Sharding, not one global lock.** Tenants are spread over [`SHARDS`] independently locked
/// hash maps by the hash of their key, so callers for different tenants rarely touch the same
/// lock; each critical section is one map lookup plus the same few integer operations as
/// [`TokenBucket`]. (A concurrent-map crate would do too; a fixed set of `Mutex<HashMap>`s is the
/// smallest thing that scales and keeps the hot path easy to reason about.)
///
/// **Compact entries.** A tenant costs its key plus a `State` and a tier index; the clock and
/// the per-tier arithmetic (`Limits`) are stored once.
///
/// **Invisible eviction.** Once per refill horizon `F` (the longest time any tier takes to fill
/// from empty) one caller sweeps every shard and drops the buckets that are *full* — exactly the
/// ones a fresh bucket would replace without changing any answer. A bucket untouched for `F` is
/// always full, so after the sweep only tenants active within the last `2F` remain, and the sweep
/// costs O(1) amortised per call (it visits at most the buckets created since the last sweep).
pub struct KeyedTokenBucket<K> {
    clock: Arc<dyn Clock>,
    /// Tier 0 is the default; tenants with their own config point at later tiers.
    tiers: Vec<Limits>,
    tier_of: HashMap<K, u32>,
    hasher: RandomState,
    shards: Box<[Mutex<HashMap<K, Tenant>>]>,
    /// Refill horizon in ns: how often full buckets are swept out.
    sweep_every: u64,
    /// Clock reading (ns) at or after which the next sweep is due.
    next_sweep: AtomicU64,
}

/// Number of independently locked shards: enough that a few dozen threads rarely collide.
pub const SHARDS: usize = 64;

struct Tenant {
    state: State,
    tier: u32,
}

impl<K: Hash + Eq> KeyedTokenBucket<K> {
    fn shard(&self, tenant: &K) -> &Mutex<HashMap<K, Tenant>> {
        let index = self.hasher.hash_one(tenant) as usize % self.shards.len();
        &self.shards[index]
    }

    /// Drops every full bucket, if a sweep is due and no other caller claimed it.
    fn sweep_if_due(&self, now: u64) {
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        let next = now.saturating_add(self.sweep_every);
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return; // another caller is sweeping
        }
        for shard in self.shards.iter() {
            shard.lock().retain(|_, t| {
                let limits = &self.tiers[t.tier as usize];
                t.state.refill(now, limits);
                !t.state.is_full(limits)
            });
        }
    }
}

impl<K> KeyedRateLimiter<K> for KeyedTokenBucket<K>
where
    K: Hash + Eq + Clone + Send + Sync,
{
    fn new(quotas: Quotas<K>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let mut tiers = vec![Limits::new(quotas.default)?];
        let mut tier_of = HashMap::with_capacity(quotas.tenants.len());
        for (tenant, config) in quotas.tenants {
            tier_of.insert(tenant, u32::try_from(tiers.len()).unwrap_or(u32::MAX));
            tiers.push(Limits::new(config)?);
        }
        let sweep_every = tiers
            .iter()
            .map(Limits::fill_time)
            .max()
            .unwrap_or(1)
            .max(1);
        let now = now_ns(clock.as_ref());
        Ok(Self {
            clock,
            tiers,
            tier_of,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            sweep_every,
            next_sweep: AtomicU64::new(now.saturating_add(sweep_every)),
        })
    }

    fn try_acquire(&self, tenant: &K, tokens: u64) -> Result<(), AcquireError> {
        let tier = self.tier_of.get(tenant).copied().unwrap_or(0);
        let limits = &self.tiers[tier as usize];
        limits.check_capacity(tokens)?;
        if tokens == 0 {
            return Ok(());
        }
        let now = now_ns(self.clock.as_ref());
        self.sweep_if_due(now);
        let mut shard = self.shard(tenant).lock();
        let entry = match shard.get_mut(tenant) {
            Some(entry) => entry,
            // Clone the key only for a tenant's first request (or first after eviction).
            None => shard.entry(tenant.clone()).or_insert(Tenant {
                state: State::full(limits, now),
                tier,
            }),
        };
        entry.state.refill(now, limits);
        entry.state.take(tokens, limits, now)
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

// ---------------------------------------------------------------------------------------------
// Stage 5: one limit for a fleet, kept on Redis
// ---------------------------------------------------------------------------------------------

/// The bucket update, run atomically on the Redis server.
///
/// The same grains model as [`TokenBucket`], with the state in a hash
/// `{grains, at}` (`at` in µs of the server clock). Redis runs a script without interleaving
/// any other command, so read, refill and take are one atomic step for every client at once.
///
/// Lua numbers are doubles: every value here is an integer below 2^53 (the client rejects
/// configs where that could fail), so the arithmetic is exact. Numbers are written back with
/// `%d`, because Lua's default formatting would round a 16-digit timestamp.
///
/// `KEYS[1]`: the bucket. `ARGV`: full bucket in grains, grains gained per ns, grains to take,
/// ns for an empty bucket to fill. Returns `{1, 0}` when granted, `{0, missing grains}` when not.
pub const BUCKET_SCRIPT: &str = r"
local max_grains = tonumber(ARGV[1])
local per_ns = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local fill_ns = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local grains, at = max_grains, now
local state = redis.call('HMGET', KEYS[1], 'grains', 'at')
if state[1] then
  grains, at = tonumber(state[1]), tonumber(state[2])
  -- A server clock that steps back is time standing still: `at` never moves backwards.
  if now > at then
    local elapsed_ns = (now - at) * 1000
    if elapsed_ns >= fill_ns then
      grains = max_grains
    else
      grains = math.min(max_grains, grains + elapsed_ns * per_ns)
    end
    at = now
  end
end
if grains < cost then
  -- Denied: nothing is written, so a denial has no side effects.
  return {0, cost - grains}
end
grains = grains - cost
redis.call('HSET', KEYS[1], 'grains', string.format('%d', grains), 'at', string.format('%d', at))
-- Once the bucket would be full again the key is worth nothing: let Redis forget it then.
local full_in_ms = math.ceil((max_grains - grains) / per_ns / 1000000) + 1
redis.call('PEXPIRE', KEYS[1], full_in_ms)
return {1, 0}
";

/// Largest integer a double holds exactly: the bound on every number in [`BUCKET_SCRIPT`].
const EXACT_IN_DOUBLES: u64 = 1 << 53;

/// A token bucket per key, shared by every client of one Redis server (stage 5).
///
/// # Design
///
/// **The server decides.** Each decision is one call of [`BUCKET_SCRIPT`], which reads the
/// server's clock (`TIME`), refills, takes and writes back in one atomic step. Client clocks
/// never enter the arithmetic, so fifty servers with fifty different clocks share one limit;
/// and there is no read-modify-write from the client for two clients to interleave.
///
/// **Bounded memory on the server.** Every write sets the key to expire when its bucket would
/// be full again: a missing key *is* a full bucket, so expiry is invisible, and idle tenants
/// cost the server nothing.
///
/// **Failure is a policy, with a deadline.** One decision may spend at most
/// [`StoreConfig::timeout`] waiting for the server, in total: connect, send and read share one
/// budget (real time, enforced by socket timeouts — this is I/O, not the bucket's logic). When
/// the budget runs out or the server refuses, [`StoreConfig::on_failure`] answers.
///
/// **Connections are pooled and replaced.** A connection serves one request at a time, so idle
/// ones wait in a small pool and each thread takes its own. A pooled connection may have died
/// (the server restarted); its first failure is taken as staleness and the request is retried
/// once on a fresh connection, within the same budget. Scripts are sent by hash (`EVALSHA`) and
/// reloaded when a restarted server no longer knows them.
///
/// **Restarts.** Without persistence a restarted server has lost every bucket; a lost bucket
/// comes back full, so a key can grant at most `capacity` extra tokens per restart.
pub struct RedisTokenBucket {
    limits: Limits,
    prefix: String,
    timeout: Duration,
    on_failure: FailurePolicy,
    client: redis::Client,
    script: redis::Script,
    /// Idle connections, most recently used last.
    idle: Mutex<Vec<redis::Connection>>,
}

/// What the store said about one request.
enum Decision {
    Granted,
    /// Denied; the bucket is this many grains short.
    Short(u64),
}

impl RedisTokenBucket {
    /// Runs [`BUCKET_SCRIPT`] for each request on one connection, pipelined: one round trip for
    /// the whole batch. Answers are in request order; each is what [`SharedRateLimiter::try_acquire`]
    /// would have answered (the failure policy applies to the batch as a whole).
    pub fn try_acquire_batch(
        &self,
        requests: &[(&str, u64)],
    ) -> Vec<Result<Admission, SharedError>> {
        // Requests that need no round trip are answered locally, as in `try_acquire`.
        let mut answers: Vec<Option<Result<Admission, SharedError>>> = requests
            .iter()
            .map(|&(_, tokens)| self.answer_locally(tokens))
            .collect();
        let remote: Vec<(usize, String, u64)> = requests
            .iter()
            .enumerate()
            .filter(|(i, _)| answers[*i].is_none())
            .map(|(i, &(key, tokens))| (i, self.key(key), tokens))
            .collect();
        if !remote.is_empty() {
            let mut pipe = redis::pipe();
            for (_, key, tokens) in &remote {
                pipe.add_command(self.invocation(key, *tokens));
            }
            let outcome = self.with_connection(|conn| {
                self.with_script(conn, |conn| pipe.query::<Vec<(u8, u64)>>(conn))
            });
            match outcome {
                Ok(replies) => {
                    for ((i, _, _), reply) in remote.iter().zip(replies) {
                        answers[*i] = Some(self.admission(Decision::from(reply)));
                    }
                }
                Err(reason) => {
                    for (i, _, _) in &remote {
                        answers[*i] = Some(self.on_store_failure(reason.clone()));
                    }
                }
            }
        }
        answers
            .into_iter()
            .map(|a| a.expect("every request is answered"))
            .collect()
    }

    /// The answer for requests that never need the store: `tokens == 0` and `tokens > capacity`.
    fn answer_locally(&self, tokens: u64) -> Option<Result<Admission, SharedError>> {
        if let Err(e) = self.limits.check_capacity(tokens) {
            return Some(Err(e.into()));
        }
        (tokens == 0).then_some(Ok(Admission::Counted))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The `EVALSHA` command for one request.
    fn invocation(&self, key: &str, tokens: u64) -> redis::Cmd {
        let limits = &self.limits;
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(self.script.get_hash())
            .arg(1)
            .arg(key)
            .arg(limits.max_grains)
            .arg(limits.grains_per_ns)
            .arg(tokens * limits.grains_per_token)
            .arg(limits.fill_time());
        cmd
    }

    /// One request, as one script call.
    fn decide(&self, key: &str, tokens: u64) -> Result<Decision, String> {
        let call = self.invocation(&self.key(key), tokens);
        self.with_connection(|conn| {
            self.with_script(conn, |conn| call.query::<(u8, u64)>(conn))
                .map(Decision::from)
        })
    }

    /// Runs `calls` (which invoke the script by hash); when the server does not know the script
    /// — first use, or it restarted — loads it and runs `calls` again.
    fn with_script<T>(
        &self,
        conn: &mut redis::Connection,
        calls: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        match calls(conn) {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.script.load(conn)?;
                calls(conn)
            }
            answer => answer,
        }
    }

    /// Runs `op` on a connection within the decision's time budget: first on a pooled one,
    /// and once more on a fresh one if the pooled connection turns out to be dead.
    fn with_connection<T>(
        &self,
        op: impl Fn(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let deadline = std::time::Instant::now() + self.timeout;
        let remaining = || {
            deadline
                .checked_duration_since(std::time::Instant::now())
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("no answer within {:?}", self.timeout))
        };
        let pooled = self.idle.lock().pop();
        if let Some(mut conn) = pooled {
            let budget = remaining()?;
            match set_timeouts(&conn, budget).and_then(|()| op(&mut conn)) {
                Ok(v) => {
                    self.idle.lock().push(conn);
                    return Ok(v);
                }
                // A dead connection (the server restarted, or closed it): retry on a new one.
                Err(e) if is_connection_failure(&e) && !e.is_timeout() => {}
                Err(e) => {
                    // The connection is fine but the request failed (a server-side error), or
                    // the time is up: either way the connection can serve the next request
                    // only if it is not half-way through a reply — drop it when timed out.
                    if !e.is_timeout() {
                        self.idle.lock().push(conn);
                    }
                    return Err(describe(&e));
                }
            }
        }
        let budget = remaining()?;
        let mut conn = self
            .client
            .get_connection_with_timeout(budget)
            .map_err(|e| describe(&e))?;
        let budget = remaining()?;
        let v = set_timeouts(&conn, budget)
            .and_then(|()| op(&mut conn))
            .map_err(|e| describe(&e))?;
        self.idle.lock().push(conn);
        Ok(v)
    }

    fn admission(&self, decision: Decision) -> Result<Admission, SharedError> {
        match decision {
            Decision::Granted => Ok(Admission::Counted),
            Decision::Short(grains) => {
                // Round up to the ns, then to the server clock's µs: earlier, the server
                // cannot yet see the tokens.
                let ns = grains.div_ceil(self.limits.grains_per_ns);
                let retry_after = Duration::from_micros(ns.div_ceil(1_000));
                Err(AcquireError::RateLimited { retry_after }.into())
            }
        }
    }

    fn on_store_failure(&self, reason: String) -> Result<Admission, SharedError> {
        match self.on_failure {
            FailurePolicy::Open => Ok(Admission::FailedOpen { reason }),
            FailurePolicy::Closed => Err(SharedError::Unavailable { reason }),
        }
    }
}

impl From<(u8, u64)> for Decision {
    fn from((granted, short): (u8, u64)) -> Self {
        if granted == 1 {
            Decision::Granted
        } else {
            Decision::Short(short)
        }
    }
}

fn set_timeouts(conn: &redis::Connection, budget: Duration) -> redis::RedisResult<()> {
    conn.set_read_timeout(Some(budget))?;
    conn.set_write_timeout(Some(budget))
}

/// True when the connection itself failed (as opposed to the server answering with an error).
fn is_connection_failure(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

fn describe(e: &redis::RedisError) -> String {
    if e.is_timeout() {
        format!("the store did not answer in time ({e})")
    } else if e.is_connection_refusal() {
        format!("the store refused the connection ({e})")
    } else {
        format!("the store failed ({e})")
    }
}

impl SharedRateLimiter for RedisTokenBucket {
    fn connect(
        bucket: BucketConfig,
        store: StoreConfig,
        _clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        // The clock is deliberately unused: every client reads the one server clock instead.
        let limits = Limits::new(bucket)?;
        if limits
            .max_grains
            .checked_add(limits.grains_per_ns)
            .is_none_or(|n| n > EXACT_IN_DOUBLES)
        {
            return Err(SharedConfigError::TooLargeForStore {
                capacity: bucket.capacity,
                refill_period: bucket.refill_period,
            });
        }
        let client =
            redis::Client::open(store.url.as_str()).map_err(|e| SharedConfigError::InvalidUrl {
                url: store.url.clone(),
                reason: e.to_string(),
            })?;
        if store.prefix.is_empty() {
            return Err(SharedConfigError::EmptyPrefix);
        }
        if store.timeout < Duration::from_millis(1) {
            return Err(SharedConfigError::TimeoutTooShort(store.timeout));
        }
        Ok(Self {
            limits,
            prefix: store.prefix,
            timeout: store.timeout,
            on_failure: store.on_failure,
            client,
            script: redis::Script::new(BUCKET_SCRIPT),
            idle: Mutex::new(Vec::new()),
        })
    }

    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError> {
        if let Some(answer) = self.answer_locally(tokens) {
            return answer;
        }
        match self.decide(key, tokens) {
            Ok(decision) => self.admission(decision),
            Err(reason) => self.on_store_failure(reason),
        }
    }
}
