//! Stage 4 checks: the bulkhead, step by step against the model, and under contention.

use super::super::{Bulkhead, BulkheadConfig, BulkheadConfigError, Entry, Shed, Waiter};
use super::BH_MODEL;
use super::bulkhead_model::{BulkheadModel, ModelEntry};
use crate::clock::{Clock, ManualClock, YieldingClock};
use crate::grading::stress::run_gated;
use crate::grading::{Failure, Transcript, check_property};
use proptest::prelude::*;
use std::sync::{Arc, Barrier};
use std::time::Duration;

/// One step of a bulkhead scenario, on one thread, with a manual clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkheadStep {
    /// `enter(now + n ns)`; a slot is held, a waiter kept.
    Enter(u64),
    /// Drop held slot `i` (modulo how many are held).
    Release(usize),
    /// Poll waiter `i`.
    Poll(usize),
    /// Drop waiter `i` (it leaves the queue).
    Leave(usize),
    /// Advance the clock.
    Advance(u64),
    /// Set the clock to waiter `i`'s deadline plus `offset` ns, if that is later.
    ToDeadline(usize, i8),
}

/// Parses `e<n>` enter with deadline now + n, `r<i>` release slot i, `p<i>` poll waiter i,
/// `l<i>` waiter i leaves, `w<n>` advance, `T<i>` / `T<i>-1` to waiter i's deadline.
pub fn parse_bulkhead(script: &str) -> Vec<BulkheadStep> {
    script
        .split_whitespace()
        .map(|t| {
            let num = |s: &str| s.parse::<u64>().unwrap_or(0);
            match &t[..1] {
                "e" => BulkheadStep::Enter(num(&t[1..])),
                "r" => BulkheadStep::Release(num(&t[1..]) as usize),
                "p" => BulkheadStep::Poll(num(&t[1..]) as usize),
                "l" => BulkheadStep::Leave(num(&t[1..]) as usize),
                "w" => BulkheadStep::Advance(num(&t[1..])),
                "T" => {
                    let (i, off) = t[1..]
                        .split_once('-')
                        .map_or((&t[1..], 0), |(i, _)| (i, -1));
                    BulkheadStep::ToDeadline(num(i) as usize, off)
                }
                _ => panic!("bad step {t}"),
            }
        })
        .collect()
}

fn shown(r: &Result<&str, Shed>) -> String {
    match r {
        Ok(s) => (*s).to_string(),
        Err(Shed::Full) => "Shed::Full".to_string(),
        Err(Shed::Expired) => "Shed::Expired".to_string(),
    }
}

/// Runs `steps` on a bulkhead of these limits and on the model, comparing every answer and
/// `in_flight()` / `queued()` after every step.
pub fn run_bulkhead<H: Bulkhead>(
    config: BulkheadConfig,
    steps: &[BulkheadStep],
) -> Result<(), Failure> {
    let clock = ManualClock::new();
    let bulkhead = H::new(config, Arc::new(clock.clone())).map_err(|e| {
        Failure::new(
            format!("{config:?}"),
            "a bulkhead (the limits are valid)",
            format!("{e:?}"),
        )
    })?;
    let mut model = BulkheadModel::new(config.max_concurrent, config.max_queued);
    let mut t = Transcript::new(format!(
        "bulkhead of {} slot(s), at most {} waiting; clock at 0",
        config.max_concurrent, config.max_queued
    ));
    let mut slots: Vec<H::Slot<'_>> = Vec::new();
    let mut waiters: Vec<(H::Waiter<'_>, u64, Duration)> = Vec::new();
    for step in steps {
        let now = clock.now();
        let mut line = format!("t={now:?}: ");
        let mut compare: Option<(String, String)> = None;
        match *step {
            BulkheadStep::Enter(n) => {
                let deadline = now.saturating_add(Duration::from_nanos(n));
                line.push_str(&format!("enter(deadline {deadline:?})"));
                let got = bulkhead.enter(deadline);
                let want = model.enter(deadline, now);
                let got_s = shown(
                    &got.as_ref()
                        .map(|e| match e {
                            Entry::Slot(_) => "slot",
                            Entry::Queued(_) => "queued",
                        })
                        .map_err(|e| *e),
                );
                let want_s = shown(&want.map(|e| match e {
                    ModelEntry::Slot => "slot",
                    ModelEntry::Queued(_) => "queued",
                }));
                match (got, want) {
                    (Ok(Entry::Slot(s)), Ok(ModelEntry::Slot)) => slots.push(s),
                    (Ok(Entry::Queued(w)), Ok(ModelEntry::Queued(id))) => {
                        waiters.push((w, id, deadline))
                    }
                    _ => {}
                }
                compare = Some((want_s, got_s));
            }
            BulkheadStep::Release(i) if !slots.is_empty() => {
                line.push_str(&format!("drop slot #{i}"));
                drop(slots.remove(i % slots.len()));
                model.release(now);
            }
            BulkheadStep::Poll(i) if !waiters.is_empty() => {
                let at = i % waiters.len();
                line.push_str(&format!("poll waiter #{i}"));
                let (w, id, deadline) = waiters.remove(at);
                let got = w.poll();
                let want = model.poll(id, deadline, now);
                let got_s = shown(
                    &got.as_ref()
                        .map(|e| match e {
                            Entry::Slot(_) => "slot",
                            Entry::Queued(_) => "queued",
                        })
                        .map_err(|e| *e),
                );
                let want_s = shown(&want.map(|s| if s { "slot" } else { "queued" }));
                match got {
                    Ok(Entry::Slot(s)) => slots.push(s),
                    Ok(Entry::Queued(w)) => waiters.insert(at, (w, id, deadline)),
                    Err(_) => {}
                }
                compare = Some((want_s, got_s));
            }
            BulkheadStep::Leave(i) if !waiters.is_empty() => {
                line.push_str(&format!("drop waiter #{i}"));
                let (w, id, _) = waiters.remove(i % waiters.len());
                drop(w);
                model.drop_waiter(id, now);
            }
            BulkheadStep::Advance(n) => {
                line.push_str(&format!("advance {n} ns"));
                clock.advance(Duration::from_nanos(n));
            }
            BulkheadStep::ToDeadline(i, off) if !waiters.is_empty() => {
                let deadline = waiters[i % waiters.len()].2;
                let target = if off < 0 {
                    deadline.saturating_sub(Duration::from_nanos(1))
                } else {
                    deadline
                };
                line.push_str(&format!("clock to waiter #{i}'s deadline {off:+} ns"));
                if target > now {
                    clock.set(target);
                }
            }
            _ => line.push_str("(nothing held: skipped)"),
        }
        if let Some((want, got)) = compare {
            line.push_str(&format!(" → {got}"));
            if want != got {
                t.step(line);
                return Err(Failure::new(t, want, got));
            }
        }
        let now = clock.now();
        let (got_f, got_q) = (bulkhead.in_flight(), bulkhead.queued());
        let (want_f, want_q) = (model.in_flight(), model.queued(now));
        line.push_str(&format!("; in_flight {got_f}, queued {got_q} at t={now:?}"));
        t.step(line);
        if (got_f, got_q) != (want_f, want_q) {
            return Err(Failure::new(
                t,
                format!("in_flight {want_f}, queued {want_q}"),
                format!("in_flight {got_f}, queued {got_q}"),
            ));
        }
    }
    Ok(())
}

fn table<H: Bulkhead>(rows: &[(u32, u32, &str)]) -> Result<(), Failure> {
    for &(c, q, script) in rows {
        let config = BulkheadConfig {
            max_concurrent: c,
            max_queued: q,
        };
        run_bulkhead::<H>(config, &parse_bulkhead(script))?;
    }
    Ok(())
}

fn bulkhead_step() -> impl Strategy<Value = BulkheadStep> {
    prop_oneof![
        5 => prop::sample::select(vec![0u64, 1, 5, 20, 100]).prop_map(BulkheadStep::Enter),
        3 => (0usize..4).prop_map(BulkheadStep::Release),
        3 => (0usize..4).prop_map(BulkheadStep::Poll),
        1 => (0usize..4).prop_map(BulkheadStep::Leave),
        1 => (0u64..30).prop_map(BulkheadStep::Advance),
        2 => (0usize..4, -1i8..=0).prop_map(|(i, o)| BulkheadStep::ToDeadline(i, o)),
    ]
}

/// Random sequences behave exactly like the model.
pub fn bulkhead_model<H: Bulkhead>() -> Result<(), Failure> {
    check_property(
        &BH_MODEL,
        200,
        (
            1u32..=3,
            prop_oneof![Just(0u32), 1u32..=3],
            prop::collection::vec(bulkhead_step(), 1..50),
        ),
        |(c, q, steps)| {
            run_bulkhead::<H>(
                BulkheadConfig {
                    max_concurrent: c,
                    max_queued: q,
                },
                &steps,
            )
        },
    )
}

/// C in flight, Q waiting, the rest shed at once; C = 0 refused.
pub fn bulkhead_limits<H: Bulkhead>() -> Result<(), Failure> {
    let zero = BulkheadConfig {
        max_concurrent: 0,
        max_queued: 3,
    };
    let got = H::new(zero, Arc::new(ManualClock::new())).map(|_| ());
    if got != Err(BulkheadConfigError::NoSlots) {
        return Err(Failure::new(
            format!("new({zero:?})"),
            "Err(NoSlots)",
            format!("{got:?}"),
        ));
    }
    table::<H>(&[
        (1, 0, "e10 e10 e10 r0 e10"),
        (2, 1, "e10 e10 e10 e10 e10"),
        (2, 2, "e10 e10 e10 e10 e10 e10 r0 e10 e10"),
        (3, 1, "e10 e10 e10 e10 e10 l0 e10 e10"),
    ])
}

/// Slots pass to waiters in arrival order.
pub fn bulkhead_fifo<H: Bulkhead>() -> Result<(), Failure> {
    table::<H>(&[
        (1, 3, "e100 e100 e100 e100 r0 p2 p1 p0 r0 p0 p1 r0 p0"),
        (2, 3, "e100 e100 e100 e100 e100 r1 p2 p1 p0 r0 p0 p1"),
        (1, 3, "e100 e5 e100 e100 w6 r0 p2 p1 p0"),
    ])
}

/// A waiter gives up exactly at its deadline and leaves the queue.
pub fn bulkhead_deadline<H: Bulkhead>() -> Result<(), Failure> {
    table::<H>(&[
        (1, 1, "e100 e10 T0-1 p0 e50 T0 e50 p0 p1"),
        (1, 1, "e100 e0"),
        (1, 2, "e100 e10 e20 T0 r0 p0 p1"),
        (1, 1, "e100 e10 T0-1 r0 w1 p0"),
    ])
}

/// A released slot always goes to the next waiter; nobody overtakes it.
pub fn bulkhead_handoff<H: Bulkhead>() -> Result<(), Failure> {
    table::<H>(&[
        (1, 2, "e100 e100 e100 r0 e100 p0 r0 p0"),
        (1, 1, "e100 e100 r0 e100 p0"),
        (2, 2, "e100 e100 e100 e100 r0 r0 p0 p1"),
        (1, 2, "e100 e100 e100 r0 l0 p0"),
    ])
}

/// Threads released together never get C + 1 slots.
pub fn bulkhead_race<H: Bulkhead>() -> Result<(), Failure> {
    const THREADS: usize = 6;
    for slots in 1u32..=3 {
        let config = BulkheadConfig {
            max_concurrent: slots,
            max_queued: 0,
        };
        for round in 0..60u64 {
            let manual = ManualClock::new();
            let clock = Arc::new(YieldingClock::new(manual.clone(), round, 1));
            let bulkhead = H::new(config, clock)
                .map_err(|e| Failure::new(format!("{config:?}"), "a bulkhead", format!("{e:?}")))?;
            let all_asked = Barrier::new(THREADS);
            let granted: usize = run_gated(THREADS, |_| {
                let entry = bulkhead.enter(Duration::from_nanos(100));
                all_asked.wait();
                usize::from(matches!(entry, Ok(Entry::Slot(_))))
            })
            .into_iter()
            .sum();
            if granted != slots as usize {
                let mut t = Transcript::new(format!("bulkhead of {slots} slot(s), none waiting"));
                t.step(format!(
                    "{THREADS} threads released together each call enter once and hold what they get (round {round}, clock yields on every read)"
                ));
                return Err(Failure::new(
                    t,
                    format!("exactly {slots} slot(s)"),
                    format!("{granted}"),
                ));
            }
        }
    }
    Ok(())
}
