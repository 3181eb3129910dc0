//! Stage 5 checks: the scan-resistant cache `P` — a one-off scan does not flush a hot working
//! set, and the rules the contract keeps for it still hold.

use super::*;
use crate::ensure;
use crate::grading::check_property;
use proptest::prelude::*;

/// After a hot set is used and a scan of fresh keys passes, at least half the hot set stays.
pub fn scan_resistant<P: Cache>() -> Result<(), Failure> {
    for capacity in [20usize, 64, 100, 1_000] {
        for scan_factor in [1usize, 3, 10] {
            let (cache, _clock) = build_manual::<P>(capacity)?;
            let hot: Vec<Key> = (0..(capacity / 4) as u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
                .collect();
            for &h in &hot {
                cache.put(h, h ^ 0xFF);
                cache.get(h);
                cache.get(h);
            }
            let scan = capacity * scan_factor;
            // Fresh keys: even, so never a hot key.
            for i in 0..scan as u64 {
                cache.put(i << 1, i);
            }
            let kept = present(&cache, &hot).len();
            ensure!(
                2 * kept >= hot.len(),
                format!(
                    "a cache of capacity {capacity}; {} hot keys, each put then read twice with get; then a scan: {scan} fresh keys, each put once and never read",
                    hot.len()
                ),
                format!(
                    "at least {} of the {} hot keys still present",
                    hot.len().div_ceil(2),
                    hot.len()
                ),
                "{kept} present"
            );
        }
    }
    Ok(())
}

fn loose_op() -> impl Strategy<Value = Op> {
    let key = 0u64..8;
    prop_oneof![
        4 => (key.clone(), 100u64..1_000).prop_map(|(k, v)| Op::Put(k, v)),
        2 => (key.clone(), 100u64..1_000, 1u64..=4).prop_map(|(k, v, t)| Op::PutTtl(k, v, t)),
        4 => key.clone().prop_map(Op::Get),
        1 => key.clone().prop_map(Op::Remove),
        1 => key.prop_map(Op::Contains),
        1 => Just(Op::Len),
        2 => (0u64..=3).prop_map(Op::Advance),
    ]
}

/// The rules kept for the scan-resistant cache: capacity, latest values, removal, expiry, a
/// key present right after its put — whatever it chooses to evict.
pub fn smart_basics<P: Cache>() -> Result<(), Failure> {
    refuses_zero_capacity::<P>()?;
    super::zero_ttl::<P>()?;
    super::ttl_saturates::<P>()?;
    let strategy = (1usize..=4, prop::collection::vec(loose_op(), 1..50));
    check_property(&SMART_BASICS, 200, strategy, |(capacity, ops)| {
        let (cache, clock) = build_manual::<P>(capacity)?;
        // The latest value put of each key and its deadline, unless removed since.
        let mut latest: std::collections::HashMap<Key, (u64, Option<u64>)> = Default::default();
        let mut t = Transcript::new(format!(
            "a cache of capacity {capacity}, clock at {ORIGIN_NS} ns"
        ));
        for op in ops {
            let got = apply(&cache, &clock, op)
                .map_err(|e| Failure::new(&t, format!("{op} → accepted"), format!("Err({e:?})")))?;
            let now = clock.now_nanos();
            latest.retain(|_, (_, d)| d.is_none_or(|d| now < d));
            t.step(format!("{op} → {got}"));
            match (op, got) {
                (Op::Put(k, v), _) => {
                    latest.insert(k, (v, None));
                    let there = cache.contains(k);
                    ensure!(
                        there,
                        &t,
                        format!("contains({k}) → true right after its put"),
                        "false"
                    );
                }
                (Op::PutTtl(k, v, ttl), _) => {
                    latest.insert(k, (v, now.checked_add(ttl)));
                    let there = cache.contains(k);
                    ensure!(
                        there,
                        &t,
                        format!("contains({k}) → true right after its put"),
                        "false"
                    );
                }
                (Op::Get(k), Answer::Value(Some(v))) => {
                    let want = latest.get(&k).map(|e| e.0);
                    ensure!(
                        want == Some(v),
                        &t,
                        format!("get({k}) → None or the latest live value put ({want:?})"),
                        "Some({v})"
                    );
                }
                (Op::Remove(k), Answer::Value(v)) => {
                    let want = latest.remove(&k).map(|e| e.0);
                    ensure!(
                        v.is_none() || v == want,
                        &t,
                        format!("remove({k}) → None or the latest live value put ({want:?})"),
                        "{v:?}"
                    );
                    let after = cache.contains(k);
                    ensure!(
                        !after,
                        &t,
                        format!("contains({k}) → false after remove"),
                        "true"
                    );
                }
                (Op::Contains(k), Answer::Contains(true)) => {
                    ensure!(
                        latest.contains_key(&k),
                        &t,
                        format!("contains({k}) → false: it was removed, expired or never put"),
                        "true"
                    );
                }
                _ => {}
            }
            let len = cache.len();
            ensure!(
                len <= capacity,
                &t,
                format!("len() ≤ {capacity}"),
                "len() → {len}"
            );
        }
        Ok(())
    })
}
