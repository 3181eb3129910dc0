//! Stage 1 checks: the exact LRU cache — the model, capacity, eviction order, recency rules.

use super::*;
use crate::ensure;
use crate::grading::check_property;
use proptest::prelude::*;

/// Keys of the sequences: a few, so calls collide, hit and miss; `u64::MAX` among them.
fn key() -> impl Strategy<Value = Key> {
    prop_oneof![8 => 0u64..7, 1 => Just(u64::MAX)]
}

/// Values: unrelated to keys, with the extremes.
fn value() -> impl Strategy<Value = u64> {
    prop_oneof![6 => 100u64..1_000, 1 => Just(0), 1 => Just(u64::MAX)]
}

/// Capacities: the edges 1 and 2 often, a few more.
fn capacity() -> impl Strategy<Value = usize> {
    prop_oneof![2 => Just(1usize), 2 => Just(2usize), 3 => 3usize..=6]
}

fn stage1_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (key(), value()).prop_map(|(k, v)| Op::Put(k, v)),
        4 => key().prop_map(Op::Get),
        1 => key().prop_map(Op::Remove),
        1 => key().prop_map(Op::Contains),
        1 => Just(Op::Len),
    ]
}

/// Every key the sequences use.
pub(super) const PROBE: &[Key] = &[0, 1, 2, 3, 4, 5, 6, u64::MAX];

/// Random sequences equal the model.
pub fn model<C: Cache>() -> Result<(), Failure> {
    check_property(
        &MODEL,
        300,
        (capacity(), prop::collection::vec(stage1_op(), 1..40)),
        |(capacity, ops)| replay::<C>(capacity, &ops, PROBE),
    )
}

/// Capacity 0 is refused; capacity 1 builds.
pub fn zero_capacity<C: Cache>() -> Result<(), Failure> {
    refuses_zero_capacity::<C>()?;
    build_manual::<C>(1)?;
    Ok(())
}

/// n distinct keys fit in capacity n; the (n+1)-th evicts exactly the first.
pub fn capacity_exact<C: Cache>() -> Result<(), Failure> {
    for n in [1usize, 2, 3, 7, 64, 1000] {
        let (cache, _clock) = build_manual::<C>(n)?;
        // Spread keys: a solution hashing or bucketing keys sees no pattern.
        let keys: Vec<Key> = (0..=n as u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x55)
            .collect();
        let setup = format!("a cache of capacity {n}; put {n} distinct keys, each once");
        for &k in &keys[..n] {
            cache.put(k, k ^ 1);
        }
        let held = present(&cache, &keys[..n]).len();
        ensure!(
            held == n && cache.len() == n,
            &setup,
            format!("all {n} keys present, len() = {n}"),
            "{held} of them present, len() = {}",
            cache.len()
        );
        cache.put(keys[n], 7);
        let gone: Vec<Key> = keys[..=n]
            .iter()
            .copied()
            .filter(|&k| !cache.contains(k))
            .collect();
        ensure!(
            gone == [keys[0]] && cache.len() == n,
            format!("{setup}\nput one more new key {}", keys[n]),
            format!("exactly the first key {} evicted, len() = {n}", keys[0]),
            "evicted {}, len() = {}",
            describe::keys(&gone),
            cache.len()
        );
    }
    Ok(())
}

/// After reading a full cache's keys in a random order, new keys evict in exactly that order.
pub fn eviction_order<C: Cache>() -> Result<(), Failure> {
    let strategy = (2usize..=6).prop_flat_map(|n| {
        (
            Just(n),
            Just((0..n as u64).collect::<Vec<_>>()).prop_shuffle(),
            prop::collection::vec(0..n as u64, 0..8),
        )
    });
    check_property(&EVICTION_ORDER, 200, strategy, |(n, order, extra)| {
        let mut ops: Vec<Op> = (0..n as u64).map(|k| Op::Put(k, 100 + k)).collect();
        ops.extend(order.iter().map(|&k| Op::Get(k)));
        ops.extend(extra.iter().map(|&k| Op::Get(k)));
        ops.extend((0..n as u64).map(|i| Op::Put(50 + i, 500 + i)));
        let probe: Vec<Key> = (0..n as u64).chain(50..50 + n as u64).collect();
        // Probe after every new key: the victim of each eviction is checked, not only the end.
        for cut in n + order.len() + extra.len() + 1..=ops.len() {
            replay::<C>(n, &ops[..cut], &probe)?;
        }
        Ok(())
    })
}

/// A put of a present key: same size, new value, most recent.
pub fn put_existing<C: Cache>() -> Result<(), Failure> {
    for n in [1usize, 2, 3, 5] {
        for again in 0..n as u64 {
            let mut ops: Vec<Op> = (0..n as u64).map(|k| Op::Put(k, 100 + k)).collect();
            ops.push(Op::Put(again, 900));
            ops.push(Op::Len);
            ops.push(Op::Put(77, 777));
            ops.push(Op::Len);
            let probe: Vec<Key> = (0..n as u64).chain([77]).collect();
            replay::<C>(n, &ops, &probe)?;
            ops.push(Op::Get(again));
            replay::<C>(n, &ops, &probe)?;
        }
    }
    // The same key put many times in a row takes one slot.
    let mut ops = vec![Op::Put(1, 1), Op::Put(2, 2)];
    ops.extend((0..5).map(|i| Op::Put(2, 10 + i)));
    ops.extend([Op::Len, Op::Get(1), Op::Get(2)]);
    replay::<C>(2, &ops, &[1, 2])
}

/// contains, len and a miss leave the order alone.
pub fn peek_no_touch<C: Cache>() -> Result<(), Failure> {
    for n in [2usize, 3, 4] {
        let fill: Vec<Op> = (0..n as u64).map(|k| Op::Put(k, 100 + k)).collect();
        for peek in [Op::Contains(0), Op::Len, Op::Get(99)] {
            let mut ops = fill.clone();
            ops.extend([peek, peek, Op::Put(50, 500), Op::Contains(0)]);
            let probe: Vec<Key> = (0..n as u64).chain([50, 99]).collect();
            replay::<C>(n, &ops, &probe)?;
        }
    }
    Ok(())
}

/// remove returns the value and frees the slot.
pub fn remove_frees<C: Cache>() -> Result<(), Failure> {
    for n in [1usize, 2, 3] {
        for victim in 0..n as u64 {
            let mut ops: Vec<Op> = (0..n as u64).map(|k| Op::Put(k, 100 + k)).collect();
            ops.extend([
                Op::Remove(victim),
                Op::Remove(victim),
                Op::Contains(victim),
                Op::Len,
                Op::Put(50, 500),
                Op::Len,
                Op::Remove(98),
                Op::Len,
            ]);
            let probe: Vec<Key> = (0..n as u64).chain([50, 98]).collect();
            replay::<C>(n, &ops, &probe)?;
        }
    }
    Ok(())
}
