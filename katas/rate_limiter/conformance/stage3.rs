//! Stage 3 checks: reservations — FIFO waiting, no queue jumping, cancellation.

use super::*;

/// A step of a random stage-3 scenario.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum QStep {
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

pub(super) fn qsteps(capacity: u64) -> impl Strategy<Value = Vec<QStep>> {
    let step = prop_oneof![
        3 => prop_oneof![Just(1u64), 0..=20u64].prop_map(QStep::Advance),
        3 => (1..=capacity).prop_map(QStep::Acquire),
        3 => prop_oneof![Just(capacity), 1..=capacity].prop_map(QStep::Reserve),
        2 => (0usize..8).prop_map(QStep::Cancel),
    ];
    prop::collection::vec(step, 1..30)
}

pub(super) fn queue_config() -> impl Strategy<Value = BucketConfig> {
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
pub(super) fn run_queue_model<L: RateLimiter>(
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
