//! Stage 3 checks: the shared cache `S` — the single-threaded rules it keeps, threads on
//! their own keys, and puts that race (held inside their clock reading, so a window between a
//! check and an act is hit on every run, on any number of CPUs).

use super::*;
use crate::clock::{HoldingClock, YieldingClock};
use crate::ensure;
use crate::grading::check_property;
use crate::grading::stress::{Interleaving, race_while_held, run_gated};
use proptest::prelude::*;

/// How long the second of two racing calls may take before the check decides it waits for the
/// first. It only chooses which correct interleaving is seen, never the verdict.
const PATIENCE: Duration = Duration::from_millis(200);

/// Rounds of each race: a round whose first call reads no clock ends the check early.
const ROUNDS: u64 = 3;

/// A capacity at which a correct shared cache evicts nothing while it holds fewer than 100
/// entries (the contract: nothing is evicted below capacity / 16 live entries).
const ROOMY: usize = 1_600;

/// The rules of stages 1 and 2, on one thread, except the exact recency order.
pub fn shared_basics<S: Cache>() -> Result<(), Failure> {
    refuses_zero_capacity::<S>()?;
    super::zero_ttl::<S>()?;
    super::ttl_boundary_at::<S>(ROOMY)?;
    super::ttl_saturates::<S>()?;
    for capacity in [1usize, 2, 3, 17, 100] {
        let (cache, _clock) = build_manual::<S>(capacity)?;
        let setup = format!("a shared cache of capacity {capacity}");
        let mut t = Transcript::new(setup);
        for k in 0..(3 * capacity as u64 + 5) {
            let key = k.wrapping_mul(0x2545_F491_4F6C_DD1D);
            cache.put(key, k);
            cache.put(key, k + 1);
            t.step(format!("put({key}, {k}); put({key}, {})", k + 1));
            let (got, len) = (cache.get(key), cache.len());
            ensure!(
                got == Some(k + 1) && len <= capacity,
                &t,
                format!("get({key}) → Some({}), len() ≤ {capacity}", k + 1),
                "get({key}) → {got:?}, len() → {len}"
            );
            if k % 3 == 0 {
                let removed = cache.remove(key);
                let after = (cache.get(key), cache.contains(key));
                ensure!(
                    removed == Some(k + 1) && after == (None, false),
                    &t,
                    format!(
                        "remove({key}) → Some({}), then get → None, contains → false",
                        k + 1
                    ),
                    "remove({key}) → {removed:?}, then get → {:?}, contains → {}",
                    after.0,
                    after.1
                );
                t.step(format!("remove({key}) → Some({})", k + 1));
            }
        }
    }
    Ok(())
}

/// Four threads, each on its own keys, each equal to its own model.
pub fn threads_model<S: Cache>() -> Result<(), Failure> {
    const THREADS: usize = 4;
    let op = (0u64..6, 0u64..4, 100u64..1_000).prop_map(|(kind, k, v)| match kind {
        0 | 1 => Op::Put(k, v),
        2 | 3 => Op::Get(k),
        4 => Op::Remove(k),
        _ => Op::Contains(k),
    });
    let strategy = prop::collection::vec(prop::collection::vec(op, 1..60), THREADS);
    check_property(&THREADS_MODEL, 40, strategy, |plans| {
        let manual = ManualClock::starting_at(Duration::from_nanos(ORIGIN_NS));
        let seed = plans.iter().flatten().count() as u64;
        let clock: Arc<dyn Clock> = Arc::new(YieldingClock::new(manual, seed, 3));
        let cache = build::<S>(ROOMY, clock)?;
        // Thread t owns keys t * 1000 + 0..4: disjoint, so each thread's model is exact.
        let own = |t: usize, k: Key| t as u64 * 1_000 + k;
        let results = run_gated(THREADS, |t| {
            let mut model = Model::new(ROOMY);
            for (i, &op) in plans[t].iter().enumerate() {
                let op = match op {
                    Op::Put(k, v) => Op::Put(own(t, k), v),
                    Op::Get(k) => Op::Get(own(t, k)),
                    Op::Remove(k) => Op::Remove(own(t, k)),
                    Op::Contains(k) => Op::Contains(own(t, k)),
                    other => other,
                };
                let got = match op {
                    Op::Put(k, v) => {
                        cache.put(k, v);
                        Answer::Done
                    }
                    Op::Get(k) => Answer::Value(cache.get(k)),
                    Op::Remove(k) => Answer::Value(cache.remove(k)),
                    Op::Contains(k) => Answer::Contains(cache.contains(k)),
                    _ => Answer::Done,
                };
                let want = model_answer(&mut model, 0, op);
                if got != want {
                    return Err(format!(
                        "thread {t}, call {} of its own: {op} → {got}, its own calls say {want}",
                        i + 1
                    ));
                }
            }
            Ok(model.keys(0))
        });
        let input = format!(
            "a shared cache of capacity {ROOMY}; {THREADS} threads released together, thread t calling put / get / remove / contains on keys t·1000 + 0..4 only"
        );
        let mut want: Vec<Key> = Vec::new();
        for r in results {
            match r {
                Ok(keys) => want.extend(keys),
                Err(e) => {
                    return Err(Failure::new(
                        &input,
                        "every answer equal to the thread's own sequence of calls",
                        e,
                    ));
                }
            }
        }
        want.sort_unstable();
        let probe: Vec<Key> = (0..THREADS)
            .flat_map(|t| (0..4).map(move |k| own(t, k)))
            .collect();
        let got = present(&cache, &probe);
        let len = cache.len();
        ensure!(
            got == want && len == want.len(),
            &input,
            format!(
                "afterwards present: {}, len() → {}",
                describe::keys(&want),
                want.len()
            ),
            "present: {}, len() → {len}",
            describe::keys(&got)
        );
        Ok(())
    })
}

/// A held clock, an `S` of `capacity` on it, and the puts done before the race.
fn held_cache<S: Cache>(
    capacity: usize,
    before: &[(Key, u64)],
) -> Result<(S, Arc<HoldingClock<ManualClock>>), Failure> {
    let clock = Arc::new(HoldingClock::new(ManualClock::starting_at(
        Duration::from_nanos(ORIGIN_NS),
    )));
    let cache = build::<S>(capacity, clock.clone())?;
    for &(k, v) in before {
        cache.put(k, v);
    }
    clock.arm(Duration::from_secs(2));
    Ok((cache, clock))
}

/// A put completing while another is held is not lost.
pub fn racing_puts_kept<S: Cache>() -> Result<(), Failure> {
    for round in 0..ROUNDS {
        let (a, b) = (10 + 2 * round, 11 + 2 * round);
        let (cache, clock) = held_cache::<S>(ROOMY, &[(1, 1)])?;
        let ((), (), how) = race_while_held(
            &clock,
            || cache.put(a, 100 + a),
            || cache.put(b, 100 + b),
            PATIENCE,
        );
        let got = (cache.get(a), cache.get(b), cache.get(1), cache.len());
        let want = (Some(100 + a), Some(100 + b), Some(1), 3);
        ensure!(
            got == want,
            format!(
                "a shared cache of capacity {ROOMY}; put(1, 1); thread A calls put({a}, {}) and is held inside clock.now() while thread B calls put({b}, {}) ({})",
                100 + a,
                100 + b,
                how.describe()
            ),
            format!(
                "get({a}) → Some({}), get({b}) → Some({}), get(1) → Some(1), len() → 3",
                100 + a,
                100 + b
            ),
            "get({a}) → {:?}, get({b}) → {:?}, get(1) → {:?}, len() → {}",
            got.0,
            got.1,
            got.2,
            got.3
        );
        if how == Interleaving::FirstNotHeld {
            break;
        }
    }
    Ok(())
}

/// Two racing puts of new keys into a cache one short of full keep the capacity.
pub fn capacity_race<S: Cache>() -> Result<(), Failure> {
    for capacity in [2usize, 3, 4] {
        for round in 0..ROUNDS {
            let before: Vec<(Key, u64)> = (0..capacity as u64 - 1).map(|k| (k, k)).collect();
            let (a, b) = (50 + 2 * round, 51 + 2 * round);
            let (cache, clock) = held_cache::<S>(capacity, &before)?;
            let ((), (), how) =
                race_while_held(&clock, || cache.put(a, a), || cache.put(b, b), PATIENCE);
            let len = cache.len();
            ensure!(
                len <= capacity,
                format!(
                    "a shared cache of capacity {capacity} holding {} entries; thread A calls put({a}, {a}) and is held inside clock.now() while thread B calls put({b}, {b}) ({})",
                    capacity - 1,
                    how.describe()
                ),
                format!("len() ≤ {capacity}"),
                "len() → {len}"
            );
            if how == Interleaving::FirstNotHeld {
                break;
            }
        }
    }
    Ok(())
}

/// Two racing puts of one new key leave one entry.
pub fn one_entry_per_key<S: Cache>() -> Result<(), Failure> {
    for capacity in [1usize, 4, ROOMY] {
        for round in 0..ROUNDS {
            let key = 70 + round;
            let (cache, clock) = held_cache::<S>(capacity, &[])?;
            let ((), (), how) =
                race_while_held(&clock, || cache.put(key, 1), || cache.put(key, 2), PATIENCE);
            let input = format!(
                "an empty shared cache of capacity {capacity}; thread A calls put({key}, 1) and is held inside clock.now() while thread B calls put({key}, 2) ({})",
                how.describe()
            );
            let (len, got) = (cache.len(), cache.get(key));
            ensure!(
                len == 1 && matches!(got, Some(1 | 2)),
                &input,
                format!("len() → 1, get({key}) → Some(1) or Some(2)"),
                "len() → {len}, get({key}) → {got:?}"
            );
            let removed = cache.remove(key);
            let after = cache.len();
            ensure!(
                removed == got && after == 0,
                format!("{input}\nget({key}) → {got:?}"),
                format!("remove({key}) → {got:?}, then len() → 0"),
                "remove({key}) → {removed:?}, then len() → {after}"
            );
            if how == Interleaving::FirstNotHeld {
                break;
            }
        }
    }
    Ok(())
}

/// A call held inside its clock reading does not stop the calls on every other key.
///
/// Key 0's `put_with_ttl` must read the clock (its deadline counts from that reading); it is
/// held there while 64 other keys are put and read, each from a thread of its own. One lock
/// around the whole cache, held while the clock is read, lets none of them finish; a sharded
/// or lock-free design lets some finish. The patience is long enough for a runnable thread to
/// make one call on any machine, so it never decides the verdict for a correct design.
pub fn keys_in_parallel<S: Cache>() -> Result<(), Failure> {
    const OTHERS: u64 = 64;
    let patience = Duration::from_millis(300);
    let manual = ManualClock::starting_at(Duration::from_nanos(ORIGIN_NS));
    let clock = Arc::new(HoldingClock::new(manual));
    let cache = build::<S>(ROOMY, clock.clone())?;
    // Every key is present before the race: the hot path is a key already cached.
    for key in 0..=OTHERS {
        cache.put(key, key);
    }
    clock.arm(Duration::from_secs(10));
    let (done, wait_for_done) = std::sync::mpsc::channel::<u64>();
    let cache = &cache;
    let verdict = std::thread::scope(|s| {
        let held = s.spawn(|| cache.put_with_ttl(0, 1, Duration::from_secs(60)));
        let verdict = if clock.wait_for_hold(Duration::from_secs(5)) {
            let others: Vec<_> = (1..=OTHERS)
                .map(|key| {
                    let done = done.clone();
                    s.spawn(move || {
                        cache.put(key, key + 1);
                        let _ = cache.get(key);
                        let _ = done.send(key);
                    })
                })
                .collect();
            let first = wait_for_done.recv_timeout(patience).ok();
            clock.release();
            for t in others {
                t.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            }
            Some(first)
        } else {
            // The put read no clock to be held in: nothing to judge.
            clock.release();
            None
        };
        let _ = held.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        verdict
    });
    ensure!(
        !matches!(verdict, Some(None)),
        format!(
            "a shared cache of capacity {ROOMY}; put(k, k) for k = 0..={OTHERS}; then put_with_ttl(0, 1, 60 s) is held inside clock.now() (after its reading) while keys 1..={OTHERS} each get put(k, k + 1) and get(k) from a thread of their own"
        ),
        "some other key's calls complete while key 0's put is held",
        "none completed within {patience:?}: every key waited for a lock key 0's put holds"
    );
    Ok(())
}
