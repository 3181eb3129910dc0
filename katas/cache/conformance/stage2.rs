//! Stage 2 checks: expiry on the injected clock — the exact boundary, saturation, the zero
//! time-to-live, expired entries absent and reclaimed, expiry set by put and not by get.

use super::*;
use crate::ensure;
use crate::grading::check_property;
use proptest::prelude::*;

fn ns(d: u64) -> Duration {
    Duration::from_nanos(d)
}

/// Alive at inserted + ttl − 1 ns, gone at inserted + ttl.
pub fn ttl_boundary<C: Cache>() -> Result<(), Failure> {
    ttl_boundary_at::<C>(4)
}

/// [`ttl_boundary`] on a cache of `capacity` (a shared cache gets room enough that the
/// contract forbids it to evict either entry).
pub fn ttl_boundary_at<C: Cache>(capacity: usize) -> Result<(), Failure> {
    const HOUR: u64 = 3_600_000_000_000;
    for inserted in [0u64, 1, ORIGIN_NS, 86_400_000_000_123] {
        for ttl in [1u64, 2, 3, 1_000_000_000, HOUR + 1] {
            for probe_with_get in [true, false] {
                let clock = Arc::new(ManualClock::starting_at(ns(inserted)));
                let cache = build::<C>(capacity, clock.clone())?;
                cache.put(1, 11);
                let setup = format!(
                    "a cache of capacity {capacity}, clock at {inserted} ns; put(1, 11); put_with_ttl(7, 70, {ttl} ns)"
                );
                cache
                    .put_with_ttl(7, 70, ns(ttl))
                    .map_err(|e| Failure::new(&setup, "accepted", format!("Err({e:?})")))?;
                let last = inserted + ttl - 1;
                clock.set(ns(last));
                let (alive, how) = if probe_with_get {
                    (cache.get(7) == Some(70), "get(7) → Some(70)")
                } else {
                    (cache.contains(7), "contains(7) → true")
                };
                ensure!(
                    alive,
                    format!("{setup}\nclock at {last} ns (inserted + ttl − 1 ns)"),
                    how,
                    "the entry is gone one nanosecond early"
                );
                clock.set(ns(inserted + ttl));
                let input = format!(
                    "{setup}\nclock at {} ns (exactly inserted + ttl)",
                    inserted + ttl
                );
                let (got, len, contains) = (cache.get(7), cache.len(), cache.contains(7));
                ensure!(
                    got.is_none() && len == 1 && !contains,
                    input,
                    "get(7) → None, contains(7) → false, len() → 1",
                    "get(7) → {got:?}, contains(7) → {contains}, len() → {len}"
                );
            }
        }
    }
    Ok(())
}

/// A deadline past the end of time never expires.
pub fn ttl_saturates<C: Cache>() -> Result<(), Failure> {
    for ttl in [Duration::MAX, ns(u64::MAX - 5), ns(u64::MAX)] {
        let start = 10_000_000_000u64;
        let clock = Arc::new(ManualClock::starting_at(ns(start)));
        let cache = build::<C>(2, clock.clone())?;
        let setup =
            format!("a cache of capacity 2, clock at {start} ns; put_with_ttl(3, 30, {ttl:?})");
        cache
            .put_with_ttl(3, 30, ttl)
            .map_err(|e| Failure::new(&setup, "accepted", format!("Err({e:?})")))?;
        let now = cache.get(3);
        ensure!(
            now == Some(30),
            &setup,
            "get(3) → Some(30) at once",
            "{now:?}"
        );
        clock.set(ns(u64::MAX - 1));
        let late = (cache.contains(3), cache.len());
        ensure!(
            late == (true, 1),
            format!("{setup}\nclock at u64::MAX − 1 ns"),
            "contains(3) → true, len() → 1 (the deadline does not fit: it never expires)",
            "contains(3) → {}, len() → {}",
            late.0,
            late.1
        );
    }
    Ok(())
}

/// A zero ttl is refused and changes nothing.
pub fn zero_ttl<C: Cache>() -> Result<(), Failure> {
    let (cache, clock) = build_manual::<C>(2)?;
    cache.put_with_ttl(1, 10, ns(5)).map_err(|e| {
        Failure::new(
            "put_with_ttl(1, 10, 5 ns)",
            "accepted",
            format!("Err({e:?})"),
        )
    })?;
    let setup = "a cache of capacity 2; put_with_ttl(1, 10, 5 ns)";
    let present = cache.put_with_ttl(1, 99, Duration::ZERO);
    ensure!(
        present == Err(PutError::ZeroTtl),
        format!("{setup}\nput_with_ttl(1, 99, 0 ns)"),
        "Err(PutError::ZeroTtl)",
        "{present:?}"
    );
    let absent = cache.put_with_ttl(2, 20, Duration::ZERO);
    ensure!(
        absent == Err(PutError::ZeroTtl),
        format!("{setup}\nput_with_ttl(2, 20, 0 ns)"),
        "Err(PutError::ZeroTtl)",
        "{absent:?}"
    );
    let after = (cache.contains(2), cache.len(), cache.get(1));
    ensure!(
        after == (false, 1, Some(10)),
        format!(
            "{setup}\nput_with_ttl(1, 99, 0 ns) → refused\nput_with_ttl(2, 20, 0 ns) → refused"
        ),
        "contains(2) → false, len() → 1, get(1) → Some(10): the refusals changed nothing",
        "contains(2) → {}, len() → {}, get(1) → {:?}",
        after.0,
        after.1,
        after.2
    );
    clock.advance(ns(5));
    let expired = cache.contains(1);
    ensure!(
        !expired,
        format!("{setup}\nput_with_ttl(1, 99, 0 ns) → refused\nclock advances 5 ns"),
        "contains(1) → false: key 1 kept its expiry",
        "contains(1) → true"
    );
    Ok(())
}

/// Expired entries are never returned, whichever read comes first.
pub fn expired_absent<C: Cache>() -> Result<(), Failure> {
    for first in 0..3 {
        for past in [0u64, 1, 1_000] {
            let (cache, clock) = build_manual::<C>(3)?;
            cache.put(1, 10);
            cache.put_with_ttl(2, 20, ns(4)).map_err(|e| {
                Failure::new(
                    "put_with_ttl(2, 20, 4 ns)",
                    "accepted",
                    format!("Err({e:?})"),
                )
            })?;
            clock.advance(ns(4 + past));
            let mut t = Transcript::new(format!(
                "a cache of capacity 3; put(1, 10); put_with_ttl(2, 20, 4 ns); clock advances {} ns",
                4 + past
            ));
            for i in 0..3 {
                match (first + i) % 3 {
                    0 => {
                        let got = cache.get(2);
                        ensure!(got.is_none(), &t, "get(2) → None", "get(2) → {got:?}");
                        t.step("get(2) → None");
                    }
                    1 => {
                        let got = cache.contains(2);
                        ensure!(!got, &t, "contains(2) → false", "contains(2) → true");
                        t.step("contains(2) → false");
                    }
                    _ => {
                        let got = cache.remove(2);
                        ensure!(got.is_none(), &t, "remove(2) → None", "remove(2) → {got:?}");
                        t.step("remove(2) → None");
                    }
                }
            }
        }
    }
    Ok(())
}

/// Expired entries leave len() at once and never cost a live entry its place.
pub fn expired_reclaimed<C: Cache>() -> Result<(), Failure> {
    // The most recent entry expires; the next put must take its room, not the oldest's.
    for n in [2usize, 3, 5] {
        let mut ops: Vec<Op> = (0..n as u64 - 1).map(|k| Op::Put(k, 100 + k)).collect();
        ops.extend([
            Op::PutTtl(9, 900, 5),
            Op::Advance(5),
            Op::Len,
            Op::Put(50, 500),
            Op::Len,
        ]);
        let probe: Vec<Key> = (0..n as u64).chain([9, 50]).collect();
        replay::<C>(n, &ops, &probe)?;
    }
    // Every entry expires: len() drops to zero without any call touching them, and a full
    // cache's worth of new keys all stay.
    let mut ops: Vec<Op> = (0..4).map(|k| Op::PutTtl(k, 100 + k, 3 + k)).collect();
    ops.extend([
        Op::Advance(2),
        Op::Len,
        Op::Advance(1),
        Op::Len,
        Op::Advance(10),
        Op::Len,
    ]);
    ops.extend((20..24).map(|k| Op::Put(k, k)));
    ops.push(Op::Len);
    let probe: Vec<Key> = (0..4).chain(20..24).collect();
    replay::<C>(4, &ops, &probe)
}

/// A put replaces the expiry; a get does not extend it.
pub fn expiry_set_by_put<C: Cache>() -> Result<(), Failure> {
    let scenarios: [&[Op]; 5] = [
        // A plain put of a key with a ttl: it never expires.
        &[
            Op::PutTtl(1, 10, 5),
            Op::Put(1, 11),
            Op::Advance(1_000),
            Op::Get(1),
            Op::Len,
        ],
        // A later ttl replaces an earlier one…
        &[
            Op::PutTtl(1, 10, 5),
            Op::Advance(1),
            Op::PutTtl(1, 12, 100),
            Op::Advance(10),
            Op::Get(1),
        ],
        // …and an earlier one a later one.
        &[
            Op::PutTtl(1, 10, 100),
            Op::PutTtl(1, 13, 3),
            Op::Advance(3),
            Op::Contains(1),
            Op::Len,
        ],
        // A key without expiry gets one.
        &[
            Op::Put(1, 10),
            Op::PutTtl(1, 14, 2),
            Op::Advance(2),
            Op::Get(1),
        ],
        // Reading a key does not push its deadline back.
        &[
            Op::PutTtl(1, 10, 10),
            Op::Advance(4),
            Op::Get(1),
            Op::Advance(4),
            Op::Get(1),
            Op::Advance(2),
            Op::Get(1),
            Op::Len,
        ],
    ];
    for ops in scenarios {
        replay::<C>(2, ops, &[1])?;
    }
    Ok(())
}

fn stage2_op() -> impl Strategy<Value = Op> {
    let key = 0u64..5;
    let value = prop_oneof![100u64..1_000, Just(u64::MAX)];
    prop_oneof![
        3 => (key.clone(), value.clone()).prop_map(|(k, v)| Op::Put(k, v)),
        4 => (key.clone(), value, 1u64..=6).prop_map(|(k, v, t)| Op::PutTtl(k, v, t)),
        4 => key.clone().prop_map(Op::Get),
        1 => key.clone().prop_map(Op::Remove),
        2 => key.prop_map(Op::Contains),
        2 => Just(Op::Len),
        3 => prop_oneof![Just(1u64), Just(1u64), 0u64..=4].prop_map(Op::Advance),
    ]
}

/// Random sequences with expiry equal the model.
pub fn model_with_expiry<C: Cache>() -> Result<(), Failure> {
    check_property(
        &MODEL_WITH_EXPIRY,
        300,
        (
            prop_oneof![Just(1usize), Just(2usize), 3usize..=5],
            prop::collection::vec(stage2_op(), 1..40),
        ),
        |(capacity, ops)| replay::<C>(capacity, &ops, &[0, 1, 2, 3, 4]),
    )
}
