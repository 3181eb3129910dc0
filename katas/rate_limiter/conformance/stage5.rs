//! Stage 5 checks: one limit for a fleet of clients, shared through Redis.

use super::*;

// These checks run against a real `redis-server` that each check starts for itself on a free
// loopback port (see `grading::services`), and report `unavailable` when none can be started.
// The store's clock is real, so bounds are measured on it: the checks read the server's `TIME`
// before and after a run and allow exactly what a single bucket would have allowed in between.

/// A private Redis server for one check; without one the check ends as `unavailable`.
pub(super) fn redis_server() -> RedisServer {
    RedisServer::start().unwrap_or_else(|reason| unavailable(reason))
}

/// The check's own connection to the server, to read its clock and look at what a solution
/// left in it.
pub(super) struct Inspector(redis::Connection);

impl Inspector {
    pub(super) fn new(server: &RedisServer) -> Self {
        redis::Client::open(server.url())
            .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
            .map(Self)
            .unwrap_or_else(|e| unavailable(format!("cannot talk to the test's own Redis: {e}")))
    }

    /// The server's clock, in µs.
    pub(super) fn time_us(&mut self) -> u64 {
        let (secs, micros): (u64, u64) = redis::cmd("TIME")
            .query(&mut self.0)
            .unwrap_or_else(|e| unavailable(format!("TIME failed on the test's own Redis: {e}")));
        secs * 1_000_000 + micros
    }

    /// Every key, with its remaining time to live in ms (-1: none).
    pub(super) fn keys_with_ttl(&mut self) -> Vec<(String, i64)> {
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
pub(super) fn healthy_store(url: String, prefix: &str) -> StoreConfig {
    StoreConfig {
        url,
        prefix: prefix.to_string(),
        timeout: Duration::from_secs(5),
        on_failure: FailurePolicy::Closed,
    }
}

pub(super) fn connect<S: SharedRateLimiter>(
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
pub(super) fn shared_outcome(r: &Result<Admission, SharedError>) -> String {
    match r {
        Ok(Admission::Counted) => "granted".into(),
        Ok(Admission::FailedOpen { reason }) => format!("let through uncounted ({reason})"),
        Err(SharedError::Limited(e)) => outcome(&Err(*e)),
        Err(SharedError::Unavailable { reason }) => format!("unavailable ({reason})"),
    }
}

/// Most tokens one bucket may grant between two readings of the server clock (µs), inclusive.
pub(super) fn shared_bound(bucket: &BucketConfig, from_us: u64, to_us: u64) -> u64 {
    let elapsed_ns = u128::from(to_us.saturating_sub(from_us) + 1) * 1_000;
    let accrued = elapsed_ns * u128::from(bucket.refill_tokens) / bucket.refill_period.as_nanos();
    bucket.capacity + u64::try_from(accrued).unwrap_or(u64::MAX)
}

/// Tallies of a concurrent run against a shared limiter.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) granted: u64,
    pub(super) denied: u64,
    pub(super) other: Vec<String>,
}

impl Tally {
    pub(super) fn add(&mut self, r: &Result<Admission, SharedError>) {
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

    pub(super) fn merge(tallies: Vec<Tally>) -> Tally {
        tallies.into_iter().fold(Tally::default(), |mut a, t| {
            a.granted += t.granted;
            a.denied += t.denied;
            a.other.extend(t.other);
            a
        })
    }
}

pub(super) const SHARED_CLIENTS: usize = 4;
pub(super) const SHARED_THREADS_PER_CLIENT: usize = 2;

/// Runs `attempts` × `try_acquire(key, 1)` on every thread of every client, all released at
/// once, and tallies the answers.
pub(super) fn hammer<S: SharedRateLimiter>(clients: &[S], key: &str, attempts: usize) -> Tally {
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
        // Two defects at once: the first in the documented order wins.
        (
            "capacity 0 and url \"localhost:6379\"",
            config(0, 1, 1_000),
            StoreConfig {
                url: "localhost:6379".into(),
                ..good.clone()
            },
            SharedConfigError::Bucket(ConfigError::ZeroCapacity),
        ),
        (
            "capacity 2^40 × period 2^20 ns and prefix \"\"",
            config(1 << 40, 1, 1 << 20),
            StoreConfig {
                prefix: String::new(),
                ..good.clone()
            },
            SharedConfigError::TooLargeForStore {
                capacity: 1 << 40,
                refill_period: Duration::from_nanos(1 << 20),
            },
        ),
        (
            "url \"localhost:6379\" and prefix \"\"",
            bucket,
            StoreConfig {
                url: "localhost:6379".into(),
                prefix: String::new(),
                ..good.clone()
            },
            SharedConfigError::InvalidUrl {
                url: String::new(),
                reason: String::new(),
            },
        ),
        (
            "prefix \"\" and timeout 0",
            bucket,
            StoreConfig {
                prefix: String::new(),
                timeout: Duration::ZERO,
                ..good.clone()
            },
            SharedConfigError::EmptyPrefix,
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
