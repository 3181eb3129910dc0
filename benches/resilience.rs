//! What a circuit breaker costs a call that succeeds: the overhead per protected call on a
//! closed breaker, at 1, 2 and 4 threads sharing one breaker, side by side with no breaker at
//! all and with the `failsafe` crate's breaker on a comparable policy (a failure rate over a
//! window, with a minimum number of calls), and (with `--features exercise`) the candidate's.
//!
//! - `resilience/closed-success/<impl>/<threads>`: each thread makes its share of calls whose
//!   body is one `black_box`, through `call`. Time is wall time per call over every thread's
//!   calls (so lower is better, and 4 threads on 2 cores show contention, not parallelism).
//!   Our breakers read a real clock (`SystemClock`) twice per call, as in production.
//!
//! - `resilience/bulkhead/<impl>/<threads>`: each thread enters and drops its slot at once, on
//!   one bulkhead of 2 slots and 64 places; a queued thread polls (yielding) until its slot is
//!   passed to it. Next to a std `Mutex<u32>` + `Condvar` semaphore of 2 permits.
//!
//! `cargo bench --no-default-features --bench resilience`; shorter runs with
//! `-- --warm-up-time 1 --measurement-time 2`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use failsafe::CircuitBreaker as _;
use lld_katas::clock::SystemClock;
use lld_katas::resilience::{
    BreakerConfig, Bulkhead, BulkheadConfig, CircuitBreaker, Entry, Waiter, Window, call, reference,
};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

const THREADS: [usize; 3] = [1, 2, 4];

fn policy() -> BreakerConfig {
    BreakerConfig {
        window: Window::Count { calls: 100 },
        minimum_calls: 20,
        failure_rate_pct: 50,
        slow: None,
        open_wait: Duration::from_secs(30),
        half_open_probes: 3,
    }
}

/// Runs `op` `iters` times in all, split over `threads` threads released by a barrier; wall
/// time per op.
fn threaded(iters: u64, threads: usize, op: &(dyn Fn() + Sync)) -> Duration {
    let per_thread = iters.div_ceil(threads as u64);
    let barrier = Barrier::new(threads + 1);
    let start = std::thread::scope(|s| {
        for _ in 0..threads {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for _ in 0..per_thread {
                    op();
                }
            });
        }
        barrier.wait();
        Instant::now()
    });
    start
        .elapsed()
        .mul_f64(iters as f64 / (per_thread * threads as u64) as f64)
}

#[inline(never)]
fn body() -> Result<u64, ()> {
    Ok(black_box(1))
}

fn ours<B: CircuitBreaker + 'static>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("resilience/closed-success");
    for threads in THREADS {
        let breaker = B::new(policy(), Arc::new(SystemClock::new())).expect("valid policy");
        group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
            b.iter_custom(|iters| {
                threaded(iters, threads, &|| {
                    let _ = black_box(call(&breaker, body));
                })
            });
        });
    }
    group.finish();
}

fn peers(c: &mut Criterion) {
    let mut group = c.benchmark_group("resilience/closed-success");
    for threads in THREADS {
        group.bench_with_input(
            BenchmarkId::new("no-breaker", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    threaded(iters, threads, &|| {
                        let _ = black_box(body());
                    })
                });
            },
        );
        // failsafe's closest policy: a success rate over a time window, with a minimum number
        // of requests, and a constant wait when it opens.
        let backoff = failsafe::backoff::constant(Duration::from_secs(30));
        let policy = failsafe::failure_policy::success_rate_over_time_window(
            0.5,
            20,
            Duration::from_secs(10),
            backoff,
        );
        let breaker = failsafe::Config::new().failure_policy(policy).build();
        group.bench_with_input(
            BenchmarkId::new("failsafe", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    threaded(iters, threads, &|| {
                        let _ = black_box(breaker.call(body));
                    })
                });
            },
        );
    }
    group.finish();
}

/// Enters, then drops the slot at once; a waiter polls until its slot comes.
fn enter_and_release<H: Bulkhead>(bulkhead: &H) {
    let mut entry = bulkhead.enter(Duration::MAX);
    loop {
        match entry {
            Ok(Entry::Slot(slot)) => {
                drop(black_box(slot));
                return;
            }
            Ok(Entry::Queued(waiter)) => {
                std::thread::yield_now();
                entry = waiter.poll();
            }
            Err(_) => return,
        }
    }
}

fn bulkheads<H: Bulkhead + 'static>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("resilience/bulkhead");
    let config = BulkheadConfig {
        max_concurrent: 2,
        max_queued: 64,
    };
    for threads in THREADS {
        let bulkhead = H::new(config, Arc::new(SystemClock::new())).expect("valid limits");
        group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
            b.iter_custom(|iters| threaded(iters, threads, &|| enter_and_release(&bulkhead)));
        });
    }
    group.finish();
}

/// The textbook semaphore: a count under a mutex, a condvar to wait on.
fn condvar_baseline(c: &mut Criterion) {
    let mut group = c.benchmark_group("resilience/bulkhead");
    for threads in THREADS {
        let permits = (Mutex::new(2u32), Condvar::new());
        group.bench_with_input(
            BenchmarkId::new("mutex-condvar", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    threaded(iters, threads, &|| {
                        let (count, freed) = &permits;
                        let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
                        while *n == 0 {
                            n = freed.wait(n).unwrap_or_else(|e| e.into_inner());
                        }
                        *n -= 1;
                        drop(n);
                        black_box(());
                        *count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                        freed.notify_one();
                    })
                });
            },
        );
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    peers(c);
    condvar_baseline(c);
    bulkheads::<reference::Bulkhead>(c, "reference");
    #[cfg(feature = "exercise")]
    bulkheads::<lld_katas::resilience::exercise::Pool>(c, "exercise");
    ours::<reference::Breaker>(c, "reference");
    #[cfg(feature = "exercise")]
    ours::<lld_katas::resilience::exercise::Breaker>(c, "exercise");
}

criterion_group!(resilience, benches);
criterion_main!(resilience);
