//! Stage 2 checks: one bucket shared by many threads.

use super::*;

pub(super) const THREADS: usize = 4;

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
