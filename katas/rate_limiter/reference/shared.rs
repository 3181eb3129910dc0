//! [`RedisTokenBucket`]: one bucket per key, kept on a Redis server and shared by a fleet
//! (stage 5).

use super::limits::Limits;
use crate::clock::Clock;
use crate::rate_limiter::{
    AcquireError, Admission, BucketConfig, FailurePolicy, SharedConfigError, SharedError,
    SharedRateLimiter, StoreConfig,
};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

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
///
/// [`TokenBucket`]: super::TokenBucket
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
        if let Err(e) = self.limits.grains_for(tokens) {
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
            // Only reached for 0 < tokens ≤ capacity (see `answer_locally`), so this fits.
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
