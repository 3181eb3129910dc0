//! Cache benchmarks: hit ratios on Zipf traces and a scan trace, time per operation at 1, 2 and
//! 4 threads, and memory per entry — the references next to the `lru` crate (behind a mutex),
//! `moka` and `quick_cache`, in one run so the comparison is a ratio measured together.
//!
//! - **Hit ratio** (printed as a table before the timings): 10⁶ requests over 100,000 keys
//!   drawn from a Zipf distribution with exponent s = 0.9, 1.0 and 1.2, for cache sizes of
//!   0.5 %, 1 %, 5 % and 10 % of the keys. Every request is a `get`, and a miss is followed by a
//!   `put` of the key (a read-through cache). The scan trace is Zipf 1.0 at 1 % with a scan of
//!   50,000 fresh keys, each requested once, after every 100,000 Zipf requests; its hit ratio
//!   counts the Zipf requests only (a scan's keys cannot hit).
//! - **Time per operation** (`cache/ops/<peer>/<threads>`): each thread runs its own stretch of a
//!   Zipf 1.0 trace on a shared cache of 10,000 entries (10 % of the keys), 9 `get`s to 1 `put`;
//!   threads are released together by a barrier, and the figure is wall time divided by the
//!   operations of one thread. The references read the real clock (`SystemClock`) on every call,
//!   as they do in use.
//! - **Memory per entry**: bytes allocated (net of frees, counted by a [`stats_alloc`] global
//!   allocator) to build a cache of 100,000 entries and fill it, divided by 100,000.
//!
//! The Zipf sampler is a precomputed cumulative distribution searched by bisection with a
//! seeded SplitMix64 generator: exact, deterministic, and no dependency for a few lines.
//!
//! `cargo bench --no-default-features --bench cache` (add `-- hit-ratio` for the table alone).

use criterion::{BenchmarkId, Criterion};
use lld_katas::cache::{Cache, CacheConfig, reference};
use lld_katas::clock::{Clock, ManualClock, SystemClock};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Counts every allocation, for the memory-per-entry figures.
#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Distinct keys of every trace.
const KEYS: usize = 100_000;
/// Requests of a hit-ratio trace.
const TRACE: usize = 1_000_000;

/// A cache as the bench drives it.
trait Peer: Send + Sync + 'static {
    const NAME: &'static str;
    fn with_capacity(capacity: usize, clock: Arc<dyn Clock>) -> Self;
    fn get(&self, key: u64) -> Option<u64>;
    fn put(&self, key: u64, value: u64);
    /// Lets a cache with deferred bookkeeping catch up (before measuring memory).
    fn settle(&self) {}
}

macro_rules! ours {
    ($($ty:ty => $name:literal),+ $(,)?) => {
        $(
            impl Peer for $ty {
                const NAME: &'static str = $name;
                fn with_capacity(capacity: usize, clock: Arc<dyn Clock>) -> Self {
                    <$ty as Cache>::new(CacheConfig::with_capacity(capacity), clock)
                        .expect("a capacity above zero")
                }
                fn get(&self, key: u64) -> Option<u64> {
                    Cache::get(self, key)
                }
                fn put(&self, key: u64, value: u64) {
                    Cache::put(self, key, value);
                }
            }
        )+
    };
}

ours! {
    reference::LruCache => "reference-lru",
    reference::ShardedCache => "reference-sharded",
    reference::S3FifoCache => "reference-s3fifo",
}

#[cfg(feature = "exercise")]
ours! {
    lld_katas::cache::exercise::Lru => "exercise-lru",
    lld_katas::cache::exercise::Shared => "exercise-shared",
    lld_katas::cache::exercise::Smart => "exercise-smart",
}

/// The `lru` crate behind one mutex (it takes `&mut self`).
struct LruCrate(parking_lot::Mutex<lru::LruCache<u64, u64>>);

impl Peer for LruCrate {
    const NAME: &'static str = "lru-crate";
    fn with_capacity(capacity: usize, _: Arc<dyn Clock>) -> Self {
        let capacity = NonZeroUsize::new(capacity).expect("a capacity above zero");
        Self(parking_lot::Mutex::new(lru::LruCache::new(capacity)))
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.0.lock().get(&key).copied()
    }
    fn put(&self, key: u64, value: u64) {
        self.0.lock().put(key, value);
    }
}

struct Moka(moka::sync::Cache<u64, u64>);

impl Peer for Moka {
    const NAME: &'static str = "moka";
    fn with_capacity(capacity: usize, _: Arc<dyn Clock>) -> Self {
        Self(moka::sync::Cache::new(capacity as u64))
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.0.get(&key)
    }
    fn put(&self, key: u64, value: u64) {
        self.0.insert(key, value);
    }
    fn settle(&self) {
        self.0.run_pending_tasks();
    }
}

struct QuickCache(quick_cache::sync::Cache<u64, u64>);

impl Peer for QuickCache {
    const NAME: &'static str = "quick_cache";
    fn with_capacity(capacity: usize, _: Arc<dyn Clock>) -> Self {
        Self(quick_cache::sync::Cache::new(capacity))
    }
    fn get(&self, key: u64) -> Option<u64> {
        self.0.get(&key)
    }
    fn put(&self, key: u64, value: u64) {
        self.0.insert(key, value);
    }
}

/// SplitMix64: a tiny seeded generator, enough for sampling traces.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `len` requests over `KEYS` keys, rank r drawn with probability ∝ 1 / r^s. Ranks are spread
/// over the key space by an odd multiplier, so a sharded cache sees no pattern in hot keys.
fn zipf_trace(s: f64, len: usize, seed: u64) -> Vec<u64> {
    let mut cdf = Vec::with_capacity(KEYS);
    let mut total = 0.0;
    for rank in 1..=KEYS {
        total += 1.0 / (rank as f64).powf(s);
        cdf.push(total);
    }
    let mut rng = SplitMix(seed);
    (0..len)
        .map(|_| {
            let u = rng.unit() * total;
            let rank = cdf.partition_point(|&c| c < u) as u64;
            rank.wrapping_mul(0x2545_F491_4F6C_DD1D)
        })
        .collect()
}

/// Hit ratio of a read-through cache of `capacity` on `trace`; requests with `counted` false
/// are served but not counted.
fn hit_ratio<P: Peer>(capacity: usize, trace: &[(u64, bool)]) -> f64 {
    let cache = P::with_capacity(capacity, Arc::new(ManualClock::new()));
    let (mut hits, mut counted) = (0u64, 0u64);
    for &(key, count) in trace {
        let hit = cache.get(key).is_some();
        if !hit {
            cache.put(key, key);
        }
        if count {
            counted += 1;
            hits += u64::from(hit);
        }
    }
    hits as f64 / counted as f64
}

fn hit_row(label: &str, capacity: usize, trace: &[(u64, bool)]) {
    let ratios = [
        hit_ratio::<reference::LruCache>(capacity, trace),
        hit_ratio::<reference::S3FifoCache>(capacity, trace),
        hit_ratio::<LruCrate>(capacity, trace),
        hit_ratio::<Moka>(capacity, trace),
        hit_ratio::<QuickCache>(capacity, trace),
    ];
    let cells: Vec<String> = ratios
        .iter()
        .map(|r| format!("{:5.1} %", 100.0 * r))
        .collect();
    println!("| {label} | {} |", cells.join(" | "));
}

fn report_hit_ratios() {
    println!("hit ratio, {TRACE} requests over {KEYS} keys (read-through: a miss is put)");
    println!("| trace | reference LRU | reference S3-FIFO | lru | moka | quick_cache |");
    println!("|---|---|---|---|---|---|");
    for s in [0.9, 1.0, 1.2] {
        let trace: Vec<(u64, bool)> = zipf_trace(s, TRACE, 7)
            .into_iter()
            .map(|k| (k, true))
            .collect();
        for permille in [5usize, 10, 50, 100] {
            let capacity = KEYS * permille / 1_000;
            let label = format!("Zipf {s:.1}, cache {:.1} % of keys", permille as f64 / 10.0);
            hit_row(&label, capacity, &trace);
        }
    }
    // Zipf 1.0 at 1 %, with a scan of fresh keys after every 100,000 requests.
    let zipf = zipf_trace(1.0, TRACE, 11);
    let mut trace = Vec::with_capacity(TRACE + TRACE / 2);
    let mut fresh = u64::MAX;
    for (i, &k) in zipf.iter().enumerate() {
        if i > 0 && i % 100_000 == 0 {
            for _ in 0..50_000 {
                trace.push((fresh, false));
                fresh -= 1;
            }
        }
        trace.push((k, true));
    }
    hit_row("Zipf 1.0 at 1 % with periodic scans", KEYS / 100, &trace);
}

/// Bytes allocated (net of frees) per entry of a full cache of 100,000 entries.
fn bytes_per_entry<P: Peer>() -> f64 {
    const N: usize = 100_000;
    let region = Region::new(ALLOCATOR);
    let cache = P::with_capacity(N, Arc::new(ManualClock::new()));
    for k in 0..N as u64 {
        cache.put(k.wrapping_mul(0x2545_F491_4F6C_DD1D), k);
    }
    cache.settle();
    let change = region.change();
    let bytes = change.bytes_allocated as f64 - change.bytes_deallocated as f64;
    drop(black_box(cache));
    bytes / N as f64
}

fn report_memory() {
    println!("memory per entry, 100,000 u64 → u64 entries (net bytes allocated / entries)");
    for (name, bytes) in [
        ("reference-lru", bytes_per_entry::<reference::LruCache>()),
        (
            "reference-sharded",
            bytes_per_entry::<reference::ShardedCache>(),
        ),
        (
            "reference-s3fifo",
            bytes_per_entry::<reference::S3FifoCache>(),
        ),
        ("lru-crate", bytes_per_entry::<LruCrate>()),
        ("moka", bytes_per_entry::<Moka>()),
        ("quick_cache", bytes_per_entry::<QuickCache>()),
    ] {
        println!("  {name:>18}: {bytes:6.1} bytes/entry");
    }
}

/// Runs `iters` operations of the 90 %-read mix on each of `threads` threads sharing `cache`;
/// returns wall time divided by `threads`' share (time per operation × `iters`).
fn run_ops<P: Peer>(cache: &P, trace: &[u64], threads: usize, iters: u64) -> Duration {
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let barrier = &barrier;
                s.spawn(move || {
                    let stretch = trace.len() / threads;
                    let mine = &trace[t * stretch..(t + 1) * stretch];
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters as usize {
                        let key = mine[i % mine.len()];
                        if i % 10 == 9 {
                            cache.put(key, i as u64);
                        } else {
                            black_box(cache.get(key));
                        }
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a bench thread panicked"))
            .collect()
    });
    let first = spans.iter().map(|s| s.0).min().expect("a thread");
    let last = spans.iter().map(|s| s.1).max().expect("a thread");
    last - first
}

fn bench_peer<P: Peer>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    trace: &[u64],
) {
    let cache = P::with_capacity(KEYS / 10, Arc::new(SystemClock::new()));
    for &k in &trace[..KEYS] {
        cache.put(k, k);
    }
    for threads in [1usize, 2, 4] {
        group.bench_with_input(
            BenchmarkId::new(P::NAME, threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| run_ops(&cache, trace, threads, iters));
            },
        );
    }
}

fn bench_ops(c: &mut Criterion) {
    let trace = zipf_trace(1.0, TRACE, 3);
    let mut group = c.benchmark_group("cache/ops");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    bench_peer::<reference::LruCache>(&mut group, &trace);
    bench_peer::<reference::ShardedCache>(&mut group, &trace);
    bench_peer::<reference::S3FifoCache>(&mut group, &trace);
    #[cfg(feature = "exercise")]
    {
        bench_peer::<lld_katas::cache::exercise::Lru>(&mut group, &trace);
        bench_peer::<lld_katas::cache::exercise::Shared>(&mut group, &trace);
        bench_peer::<lld_katas::cache::exercise::Smart>(&mut group, &trace);
    }
    bench_peer::<LruCrate>(&mut group, &trace);
    bench_peer::<Moka>(&mut group, &trace);
    bench_peer::<QuickCache>(&mut group, &trace);
    group.finish();
}

/// Whether the command line's filter (if any) selects `name`.
fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

fn main() {
    if selected("hit-ratio") {
        report_hit_ratios();
    }
    if selected("memory") {
        report_memory();
    }
    let mut criterion = Criterion::default().configure_from_args();
    if selected("cache/ops") {
        bench_ops(&mut criterion);
    }
    criterion.final_summary();
}
