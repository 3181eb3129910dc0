//! Stage 1 checks: one bucket on one thread — bounds, exact bursts and refill, retry_after, errors.

use super::*;

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
pub(super) fn expect_level<L: RateLimiter>(
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
pub(super) enum IdleKind {
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
