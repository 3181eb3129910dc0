//! `try_acquire` on one shared token bucket: the reference solution against the `governor`
//! crate, and against the candidate's `exercise.rs` with `--features exercise`.
//!
//! # Layout
//!
//! One criterion group per case, holding every peer, so each comparison is a ratio measured in
//! one run:
//!
//! - `allowed`: before every request the fake clock moves on by one token's worth of refill, so
//!   tokens accrue exactly as fast as they are taken and every request is granted.
//! - `denied`: the clock is frozen and the bucket drained, so every request is refused (with the
//!   wait until it would be granted).
//!
//! Each peer is measured as `<case>/<peer>/<threads>`: `single` is a plain loop on the bench
//! thread; `threads-1`, `threads-2` and `threads-4` are that many threads hammering the same
//! bucket, released together by a barrier. Their time runs from the first thread's release to
//! the last thread's finish and is divided by the thread count, so every figure is the time per
//! operation (the inverse of the aggregate throughput).
//!
//! # Same quota, same clock work
//!
//! Both peers hold at most [`BURST`] tokens and regain one every [`TICK`] (1000 per second), and
//! each request asks for one token. Neither reads wall time: the reference runs on
//! [`ManualClock`], governor on its [`FakeRelativeClock`]. Both are an `Arc<AtomicU64>` of
//! nanoseconds, moved with a compare-and-swap loop and read with one atomic load, so driving the
//! clock costs both peers the same. A refusal yields the wait in both: the reference's
//! `retry_after`, and for governor `NotUntil::wait_time_from(now)`.
//!
//! The third peer, `governor-dyn-clock`, is governor again, reading a [`ManualClock`] through
//! an `Arc<dyn Clock>` — the clock interface the kata's contract gives every solution — instead
//! of its inlined fake clock: the difference between the two governors is what that interface
//! costs, apart from any algorithm.
//!
//! # Contended: peers interleaved
//!
//! Before the groups, the bench prints a *duel* for each case at 2 threads: rounds that measure
//! the reference and both governors back to back, in rotating order, and the median of the
//! per-round ratios. Two threads fighting over one cache line swing between ~20 ns and ~150 ns
//! per operation from one stretch of samples to the next, whatever the peer, so the criterion
//! groups' `threads-2` figures of two peers can come from different regimes; the peers of one
//! duel round share theirs (see [`report_duel`]).
//!
//! # Stage 4: many tenants
//!
//! - `keyed-disjoint`: every thread asks for tokens of tenants of its own ([`TENANTS_PER_THREAD`]
//!   each, in turn), so correct threads never need to wait for each other.
//! - `keyed-hot`: every thread asks for the same tenant's tokens.
//!
//! Peers: the reference [`KeyedTokenBucket`](reference::KeyedTokenBucket) (sharded locks),
//! [`GlobalLock`] (one mutex around one map: correct, but every call queues on the same lock),
//! and governor's keyed limiter (a `DashMap` of GCRA cells). The clock stands still and the burst
//! is [`u32::MAX`], so every request is granted: the groups measure the path to a tenant's bucket.
//! Every tenant is touched once before measuring, so no insertion is timed.
//!
//! Before the groups, the bench prints the memory a tenant costs (`keyed-memory`): the bytes
//! allocated (net of frees, counted by a [`stats_alloc`] global allocator) to create a limiter
//! and give [`MEMORY_TENANTS`] tenants one request each, divided by that number, for the
//! reference and governor's keyed limiter in the same run.
//!
//! # Stage 5: one limit for a fleet
//!
//! - `shared`: decisions through a private local Redis server, started by the bench (skipped,
//!   with a note, where `redis-server` is not installed): the reference's shared limiter one
//!   round trip per decision, pipelined in batches, and the in-process reference bucket on the
//!   same quota, at 1, 2 and 4 threads sharing one client. The ratios are the price of going
//!   distributed and what pipelining wins back.
//!
//! Run with `cargo bench --bench rate_limiter` (add `--features exercise` to include the
//! candidate's solution, once it no longer panics with `todo!()`). Criterion's filters also pick
//! the reports printed outside its groups: `cargo bench --bench rate_limiter -- keyed` prints
//! the memory per tenant and runs both keyed groups, `-- duel` prints only the duels.

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, measurement::WallTime};
use governor::Quota;
use governor::clock::FakeRelativeClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use lld_katas::clock::{Clock, ManualClock, SystemClock};
use lld_katas::grading::services::RedisServer;
use lld_katas::rate_limiter::{
    AcquireError, Admission, BucketConfig, FailurePolicy, KeyedRateLimiter, Quotas, RateLimiter,
    SharedRateLimiter, StoreConfig, reference,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::collections::HashMap;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Counts every allocation, for the memory-per-tenant figures.
#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Most tokens either bucket holds.
const BURST: u32 = 1000;
/// Time to regain one token.
const TICK: Duration = Duration::from_millis(1);

/// Who shares the bucket: `None` is a plain loop on the bench thread, `Some(n)` is `n` threads.
const LAYOUTS: [(&str, Option<u32>); 4] = [
    ("single", None),
    ("threads-1", Some(1)),
    ("threads-2", Some(2)),
    ("threads-4", Some(4)),
];

/// A token bucket under test, with the fake clock that drives it.
trait Peer: Sync {
    /// A full bucket, at the bench quota, on a fresh fake clock.
    fn new() -> Self;
    /// Moves the fake clock on by one token's worth of refill.
    fn tick(&self);
    /// Asks for one token; a refusal carries the wait until it would be granted.
    ///
    /// Every peer's is `#[inline(never)]`: a request costs one call, as it does a server that
    /// makes one decision per request. Inlined into the bench's loop, a peer's work could be
    /// partly hoisted out of it, and how much depends on where the code lands: governor's
    /// denial measured 2.7 ns in one loop and 5.5 ns in another of the same binary.
    fn acquire(&self) -> Result<(), Duration>;
}

/// A solution to the kata: anything implementing the crate's [`RateLimiter`] contract.
struct Kata<L> {
    bucket: L,
    clock: ManualClock,
}

impl<L: RateLimiter> Peer for Kata<L> {
    fn new() -> Self {
        let config = BucketConfig::new(u64::from(BURST), 1, TICK);
        let clock = ManualClock::new();
        let bucket = L::new(config, Arc::new(clock.clone())).expect("the bench quota is valid");
        Self { bucket, clock }
    }

    fn tick(&self) {
        self.clock.advance(TICK);
    }

    #[inline(never)] // see `Peer::acquire`
    fn acquire(&self) -> Result<(), Duration> {
        match self.bucket.try_acquire(1) {
            Ok(()) => Ok(()),
            Err(AcquireError::RateLimited { retry_after }) => Err(retry_after),
            Err(e @ AcquireError::ExceedsCapacity { .. }) => unreachable!("{e}"),
        }
    }
}

/// A clock governor can run on, which the bench can move on by one [`TICK`].
trait GovernorClock: governor::clock::Clock<Instant = Nanos> + Clone {
    /// A clock at its origin.
    fn fresh() -> Self;
    fn tick(&self);
}

impl GovernorClock for FakeRelativeClock {
    fn fresh() -> Self {
        FakeRelativeClock::default()
    }

    fn tick(&self) {
        self.advance(TICK);
    }
}

/// governor's clock interface over the crate's: a [`ManualClock`] the limiter reads through an
/// `Arc<dyn Clock>`, as the kata's contract hands a clock to every solution.
#[derive(Clone)]
struct DynClock {
    reading: Arc<dyn Clock>,
    manual: ManualClock,
}

impl governor::clock::Clock for DynClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.reading.now_nanos())
    }
}

impl GovernorClock for DynClock {
    fn fresh() -> Self {
        let manual = ManualClock::new();
        Self {
            reading: Arc::new(manual.clone()),
            manual,
        }
    }

    fn tick(&self) {
        self.manual.advance(TICK);
    }
}

/// The peer crate: a direct (unkeyed) `governor` limiter, on its own inlined fake clock
/// (`Governor<FakeRelativeClock>`, "governor") or on the contract's clock interface
/// (`Governor<DynClock>`, "governor-dyn-clock": what that interface alone costs its algorithm).
struct Governor<C: GovernorClock> {
    limiter: governor::RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<Nanos>>,
    clock: C,
}

impl<C: GovernorClock + Sync> Peer for Governor<C> {
    fn new() -> Self {
        let burst = NonZeroU32::new(BURST).expect("the burst is not zero");
        let quota = Quota::with_period(TICK)
            .expect("the period is not zero")
            .allow_burst(burst);
        let clock = C::fresh();
        let limiter = governor::RateLimiter::direct_with_clock(quota, clock.clone());
        Self { limiter, clock }
    }

    fn tick(&self) {
        self.clock.tick();
    }

    #[inline(never)] // see `Peer::acquire`
    fn acquire(&self) -> Result<(), Duration> {
        // `check` refuses with "not until <instant>"; turning that into a wait, as
        // `try_acquire`'s `retry_after` is, costs one more clock load.
        self.limiter
            .check()
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The `allowed` operation: time moves on by one token, then one token is taken.
fn allowed<P: Peer>(peer: &P) {
    peer.tick();
    let _ = black_box(peer.acquire());
}

/// The `denied` operation: one token is asked of a drained bucket whose clock stands still.
fn denied<P: Peer>(peer: &P) {
    let _ = black_box(peer.acquire());
}

/// Runs `work(thread, iters)` on each of `threads` threads released together by a barrier.
///
/// Returns the wall time from the first release to the last finish divided by `threads`: the
/// time per operation, times `iters`, which is what `iter_custom` expects.
fn spread(threads: u32, iters: u64, work: impl Fn(u32, u64) + Sync) -> Duration {
    let barrier = Barrier::new(threads as usize);
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, work) = (&barrier, &work);
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    work(t, iters);
                    (start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a bench thread panicked"))
            .collect()
    });
    let first_start = spans.iter().map(|&(start, _)| start).min();
    let last_end = spans.iter().map(|&(_, end)| end).max();
    let wall = last_end.expect("at least one thread") - first_start.expect("at least one thread");
    wall / threads
}

/// Runs `op` on `peer` `iters` times on each of `threads` threads (see [`spread`]).
fn run_threads<P: Peer>(threads: u32, iters: u64, peer: &P, op: impl Fn(&P) + Sync) -> Duration {
    spread(threads, iters, |_, n| {
        for _ in 0..n {
            op(peer);
        }
    })
}

/// What the bucket is doing while it is measured.
#[derive(Clone, Copy)]
enum Case {
    /// Tokens accrue as fast as they are taken: every request is granted.
    Allowed,
    /// Frozen clock, drained bucket: every request is refused.
    Denied,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::Allowed => "allowed",
            Case::Denied => "denied",
        }
    }

    /// Puts a fresh, full bucket in this case's state, and checks it is there.
    fn prepare<P: Peer>(self, peer: &P, name: &str) {
        if let Case::Denied = self {
            while peer.acquire().is_ok() {}
        }
        self.check(peer, name);
    }

    /// Checks that requests are still granted (`Allowed`) or refused (`Denied`).
    fn check<P: Peer>(self, peer: &P, name: &str) {
        let case = self.name();
        match self {
            Case::Allowed => {
                peer.tick();
                assert!(peer.acquire().is_ok(), "{name}: {case} was refused");
            }
            Case::Denied => assert!(peer.acquire().is_err(), "{name}: {case} was granted"),
        }
    }
}

/// Benches one peer, on a fresh bucket, in one case and one thread layout.
fn bench_peer<P: Peer>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    case: Case,
    (layout, threads): (&str, Option<u32>),
) {
    let peer = P::new();
    case.prepare(&peer, name);
    let id = BenchmarkId::new(name, layout);
    match case {
        Case::Allowed => measure(group, id, threads, &peer, allowed::<P>),
        Case::Denied => measure(group, id, threads, &peer, denied::<P>),
    }
    case.check(&peer, name);
}

/// Measures `op` on `peer`, on the bench thread or on `threads` threads.
fn measure<P: Peer>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    threads: Option<u32>,
    peer: &P,
    op: impl Fn(&P) + Sync + Copy,
) {
    match threads {
        None => group.bench_function(id, |b| b.iter(|| op(peer))),
        Some(n) => group.bench_function(id, |b| {
            b.iter_custom(|iters| run_threads(n, iters, peer, op))
        }),
    };
}

/// One group per case, holding every peer; peers at the same thread count run back to back.
fn bench_case(c: &mut Criterion, case: Case) {
    let mut group = c.benchmark_group(case.name());
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for layout in LAYOUTS {
        bench_peer::<Kata<reference::TokenBucket>>(&mut group, "reference", case, layout);
        bench_peer::<Governor<FakeRelativeClock>>(&mut group, "governor", case, layout);
        bench_peer::<Governor<DynClock>>(&mut group, "governor-dyn-clock", case, layout);
        #[cfg(feature = "exercise")]
        bench_peer::<Kata<lld_katas::rate_limiter::exercise::TokenBucket>>(
            &mut group, "exercise", case, layout,
        );
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// Contended rounds, peers interleaved
// ---------------------------------------------------------------------------------------------

/// Rounds of each contended duel.
const DUEL_ROUNDS: usize = 61;

/// One round of a duel: a fresh bucket of peer `P` in `case`, hammered by `threads` threads.
/// Returns the time per operation in ns.
fn duel_round<P: Peer>(case: Case, threads: u32) -> f64 {
    // A few milliseconds per round: long enough that starting the threads does not count.
    let requests = match case {
        Case::Allowed => 20_000,
        Case::Denied => 500_000,
    };
    let peer = P::new();
    case.prepare(&peer, "duel");
    let wall = match case {
        Case::Allowed => run_threads(threads, requests, &peer, allowed::<P>),
        Case::Denied => run_threads(threads, requests, &peer, denied::<P>),
    };
    case.check(&peer, "duel");
    wall.as_secs_f64() * 1e9 / requests as f64
}

/// The `q`-quantile of `values` (sorted in place), by nearest rank.
fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * q).round() as usize]
}

/// The reference against governor with several threads on one bucket, in rounds that alternate
/// between the peers, and the ratio taken within each round.
///
/// Two threads on two cores fighting over one cache line do not settle into one speed: the
/// criterion groups show the same peer at ~20 ns per operation for a stretch of samples (the
/// line stays with one core for long runs) and at ~150 ns for the next (it moves on nearly
/// every operation), whichever the peer. Criterion measures one peer after the other, so two
/// peers can be caught in different regimes and their ratio means little. Here each round
/// measures every peer back to back, in rotating order, so the peers of one round share the
/// machine's mood; the median of the per-round ratios is the comparison.
fn report_duel(case: Case, threads: u32) {
    /// One peer in a duel: its name and its round.
    type Duelist = (&'static str, fn(Case, u32) -> f64);
    let peers: [Duelist; 3] = [
        ("reference", duel_round::<Kata<reference::TokenBucket>>),
        ("governor", duel_round::<Governor<FakeRelativeClock>>),
        ("governor-dyn-clock", duel_round::<Governor<DynClock>>),
    ];
    let mut times = vec![Vec::with_capacity(DUEL_ROUNDS); peers.len()];
    for round in 0..DUEL_ROUNDS {
        for k in 0..peers.len() {
            let i = (round + k) % peers.len();
            times[i].push((peers[i].1)(case, threads));
        }
    }
    // Per-round ratios of the reference (peer 0) to each other peer, before sorting the times.
    let mut ratios: Vec<Vec<f64>> = (1..peers.len())
        .map(|other| {
            (0..DUEL_ROUNDS)
                .map(|r| times[0][r] / times[other][r])
                .collect()
        })
        .collect();
    let medians: Vec<String> = peers
        .iter()
        .zip(&mut times)
        .map(|((name, _), t)| format!("{name} {:.1}", quantile(t, 0.5)))
        .collect();
    let ratios: Vec<String> = peers[1..]
        .iter()
        .zip(&mut ratios)
        .map(|((name, _), r)| {
            let (median, low, high) = (quantile(r, 0.5), quantile(r, 0.25), quantile(r, 0.75));
            format!("÷ {name} {median:.2}× (quartiles {low:.2}–{high:.2})")
        })
        .collect();
    println!(
        "duel {}/threads-{threads}, {DUEL_ROUNDS} interleaved rounds: median ns/op {}; \
         reference per round {}",
        case.name(),
        medians.join(", "),
        ratios.join(", "),
    );
}

// ---------------------------------------------------------------------------------------------
// Stage 4: many tenants
// ---------------------------------------------------------------------------------------------

/// Tenants each thread cycles through in `keyed-disjoint`.
const TENANTS_PER_THREAD: u32 = 1024;
/// Tenants created for the memory figures.
const MEMORY_TENANTS: u32 = 1_000_000;

/// The stage-4 quota: a burst no bench run can drain, one token back per [`TICK`].
fn keyed_config() -> BucketConfig {
    BucketConfig::new(u64::from(u32::MAX), 1, TICK)
}

/// A keyed limiter under test, on a fake clock that stands still.
trait KeyedPeer: Sync {
    /// A limiter with no tenants yet, at the stage-4 quota.
    fn new() -> Self;
    /// Asks for one of `tenant`'s tokens; true when granted.
    fn acquire(&self, tenant: u32) -> bool;
}

impl KeyedPeer for reference::KeyedTokenBucket<u32> {
    fn new() -> Self {
        let quotas = Quotas::uniform(keyed_config());
        KeyedRateLimiter::new(quotas, Arc::new(ManualClock::new())).expect("a valid quota")
    }

    fn acquire(&self, tenant: u32) -> bool {
        self.try_acquire(&tenant, 1).is_ok()
    }
}

/// A correct keyed limiter with one global lock: one mutex around one map of reference buckets.
///
/// It passes every criterion (eviction aside, which the bench never triggers), but every call,
/// whatever the tenant, queues on the same lock: the baseline that sharding has to beat.
struct GlobalLock {
    buckets: Mutex<HashMap<u32, reference::TokenBucket>>,
    clock: Arc<dyn Clock>,
}

impl KeyedPeer for GlobalLock {
    fn new() -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            clock: Arc::new(ManualClock::new()),
        }
    }

    fn acquire(&self, tenant: u32) -> bool {
        let mut buckets = self.buckets.lock().expect("no bench thread panics");
        let bucket = buckets.entry(tenant).or_insert_with(|| {
            RateLimiter::new(keyed_config(), self.clock.clone()).expect("a valid quota")
        });
        bucket.try_acquire(1).is_ok()
    }
}

/// governor's keyed limiter, backed by a `DashMap`.
type GovernorKeyed = governor::RateLimiter<
    u32,
    DefaultKeyedStateStore<u32>,
    FakeRelativeClock,
    NoOpMiddleware<Nanos>,
>;

impl KeyedPeer for GovernorKeyed {
    fn new() -> Self {
        let quota = Quota::with_period(TICK)
            .expect("the period is not zero")
            .allow_burst(NonZeroU32::MAX);
        governor::RateLimiter::dashmap_with_clock(quota, FakeRelativeClock::default())
    }

    fn acquire(&self, tenant: u32) -> bool {
        self.check_key(&tenant).is_ok()
    }
}

/// Which tenants the threads ask for.
#[derive(Clone, Copy)]
enum Tenants {
    /// Thread `t` cycles through tenants `t × TENANTS_PER_THREAD ..` of its own.
    Disjoint,
    /// Every thread asks for tenant 0.
    Hot,
}

impl Tenants {
    fn group(self) -> &'static str {
        match self {
            Tenants::Disjoint => "keyed-disjoint",
            Tenants::Hot => "keyed-hot",
        }
    }

    /// The tenant thread `thread` asks for on its `i`-th request.
    fn tenant(self, thread: u32, i: u64) -> u32 {
        match self {
            Tenants::Disjoint => {
                thread * TENANTS_PER_THREAD + (i % u64::from(TENANTS_PER_THREAD)) as u32
            }
            Tenants::Hot => 0,
        }
    }
}

/// Runs `iters` requests on each of `threads` threads (see [`spread`]).
fn run_keyed<P: KeyedPeer>(threads: u32, iters: u64, peer: &P, tenants: Tenants) -> Duration {
    spread(threads, iters, |t, n| {
        for i in 0..n {
            black_box(peer.acquire(tenants.tenant(t, i)));
        }
    })
}

/// Benches one keyed peer, on a fresh limiter whose tenants all exist already.
fn bench_keyed_peer<P: KeyedPeer>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    tenants: Tenants,
    threads: u32,
) {
    let peer = P::new();
    for t in 0..threads {
        for i in 0..u64::from(TENANTS_PER_THREAD) {
            assert!(peer.acquire(tenants.tenant(t, i)), "{name}: refused");
        }
    }
    let id = BenchmarkId::new(name, format!("threads-{threads}"));
    group.bench_function(id, |b| {
        b.iter_custom(|iters| run_keyed(threads, iters, &peer, tenants))
    });
    assert!(peer.acquire(tenants.tenant(0, 0)), "{name}: refused");
}

/// One group per tenant layout, holding every peer at 1, 2 and 4 threads.
fn bench_keyed(c: &mut Criterion, tenants: Tenants) {
    let mut group = c.benchmark_group(tenants.group());
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    for threads in [1, 2, 4] {
        bench_keyed_peer::<reference::KeyedTokenBucket<u32>>(
            &mut group,
            "reference",
            tenants,
            threads,
        );
        bench_keyed_peer::<GlobalLock>(&mut group, "global-lock", tenants, threads);
        bench_keyed_peer::<GovernorKeyed>(&mut group, "governor", tenants, threads);
    }
    group.finish();
}

/// Bytes allocated (net of frees) per tenant, after `MEMORY_TENANTS` tenants made one request.
fn bytes_per_tenant<P: KeyedPeer>() -> f64 {
    let region = Region::new(ALLOCATOR);
    let peer = P::new();
    for tenant in 0..MEMORY_TENANTS {
        assert!(peer.acquire(tenant), "refused");
    }
    let change = region.change();
    let bytes = change.bytes_allocated as f64 - change.bytes_deallocated as f64;
    drop(black_box(peer));
    bytes / f64::from(MEMORY_TENANTS)
}

/// Prints the memory per tenant of the reference and of governor's keyed limiter, side by side.
fn report_memory() {
    let reference = bytes_per_tenant::<reference::KeyedTokenBucket<u32>>();
    let governor = bytes_per_tenant::<GovernorKeyed>();
    println!(
        "keyed memory, {MEMORY_TENANTS} tenants (u32 keys): reference {reference:.1} bytes/tenant, \
         governor {governor:.1} bytes/tenant ({:.2}×)",
        reference / governor
    );
}

// ---------------------------------------------------------------------------------------------
// Stage 5: the cost of going distributed
// ---------------------------------------------------------------------------------------------

/// Requests per pipelined batch in `shared/redis-pipelined-*`.
const BATCH: usize = 32;

/// Decisions per second through a private local Redis (`shared` group): the reference's shared
/// limiter one round trip per decision (`redis`), pipelined in batches of [`BATCH`]
/// (`redis-pipelined-32`), and the in-process reference bucket on the same quota
/// (`in-process`), at 1, 2 and 4 threads sharing one client. Each thread asks for its own key,
/// and the quota (a million tokens, one more every ns) never runs dry, so every decision is a
/// grant and the figures are the price of the decision itself.
fn bench_shared(c: &mut Criterion) {
    let server = match RedisServer::start() {
        Ok(server) => server,
        Err(reason) => {
            eprintln!("shared: skipped, no Redis server: {reason}");
            return;
        }
    };
    let bucket = BucketConfig::new(1_000_000, 1, Duration::from_nanos(1));
    let store = StoreConfig {
        url: server.url(),
        prefix: "bench:".into(),
        timeout: Duration::from_secs(5),
        on_failure: FailurePolicy::Closed,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let shared = reference::RedisTokenBucket::connect(bucket, store, Arc::clone(&clock))
        .expect("the bench quota is valid");
    let local = reference::TokenBucket::new(bucket, clock).expect("the bench quota is valid");
    let keys: Vec<String> = (0..4).map(|t| format!("tenant-{t}")).collect();
    let mut group = c.benchmark_group("shared");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));
    for threads in [1u32, 2, 4] {
        let id = |name: &str| BenchmarkId::new(name, format!("threads-{threads}"));
        group.bench_function(id("in-process"), |b| {
            b.iter_custom(|iters| {
                spread(threads, iters, |_, n| {
                    for _ in 0..n {
                        black_box(local.try_acquire(1)).expect("the quota never runs dry");
                    }
                })
            })
        });
        group.bench_function(id("redis"), |b| {
            b.iter_custom(|iters| {
                spread(threads, iters, |t, n| {
                    for _ in 0..n {
                        let answer = shared.try_acquire(&keys[t as usize], 1);
                        assert_eq!(answer, Ok(Admission::Counted), "the quota never runs dry");
                    }
                })
            })
        });
        group.bench_function(id(&format!("redis-pipelined-{BATCH}")), |b| {
            b.iter_custom(|iters| {
                spread(threads, iters, |t, n| {
                    let batch = vec![(keys[t as usize].as_str(), 1); BATCH];
                    let mut left = n as usize;
                    while left > 0 {
                        let size = left.min(BATCH);
                        for answer in shared.try_acquire_batch(&batch[..size]) {
                            assert_eq!(answer, Ok(Admission::Counted), "the quota never runs dry");
                        }
                        left -= size;
                    }
                })
            })
        });
    }
    group.finish();
}

/// Whether the command line's filters select `name`: criterion filters its own groups, and
/// this does the same for the reports printed outside them (`keyed-memory`, `duel-allowed`,
/// `duel-denied`) and for the Redis server `shared` starts. A filter selects every name that
/// contains it (`keyed` selects the memory report and both keyed groups); no filter, all.
fn selected(name: &str) -> bool {
    /// Criterion's options that take a value, which is not a filter.
    const VALUED: [&str; 16] = [
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--color",
        "--profile-time",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
        "--format",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, arg)| {
            !arg.starts_with('-') && (*i == 0 || !VALUED.contains(&args[i - 1].as_str()))
        })
        .map(|(_, arg)| arg)
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    if selected("keyed-memory") {
        report_memory();
    }
    for case in [Case::Allowed, Case::Denied] {
        if selected(&format!("duel-{}", case.name())) {
            report_duel(case, 2);
        }
    }
    for case in [Case::Allowed, Case::Denied] {
        bench_case(&mut criterion, case);
    }
    for tenants in [Tenants::Disjoint, Tenants::Hot] {
        bench_keyed(&mut criterion, tenants);
    }
    if selected("shared") {
        bench_shared(&mut criterion);
    }
    criterion.final_summary();
}
