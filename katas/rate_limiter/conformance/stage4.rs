//! Stage 4 checks: many tenants, each with its own quota, in bounded memory.

use super::*;

/// Tenants 0 and 1 have tiers of their own; everyone else gets the default.
pub(super) fn tiered_quotas() -> impl Strategy<Value = Quotas<u32>> {
    (queue_config(), queue_config(), queue_config()).prop_map(|(default, a, b)| Quotas {
        default,
        tenants: [(0, a), (1, b)].into_iter().collect(),
    })
}

pub(super) fn describe_quotas(q: &Quotas<u32>) -> String {
    let mut tiers: Vec<_> = q.tenants.iter().collect();
    tiers.sort_by_key(|(t, _)| **t);
    let own: Vec<String> = tiers
        .iter()
        .map(|(t, c)| format!("tenant {t}: {}", describe(c)))
        .collect();
    format!("default: {}; {}", describe(&q.default), own.join("; "))
}

/// A keyed limiter on a manual clock, with one oracle per tenant that never evicts.
pub(super) struct Tenants<K> {
    pub(super) clock: ManualClock,
    pub(super) limiter: K,
    pub(super) quotas: Quotas<u32>,
    pub(super) oracles: std::collections::HashMap<u32, Oracle>,
    pub(super) log: Transcript,
}

impl<K: KeyedRateLimiter<u32>> Tenants<K> {
    pub(super) fn new(quotas: Quotas<u32>) -> Result<Self, Failure> {
        let clock = ManualClock::new();
        let log = Transcript::new(describe_quotas(&quotas));
        match K::new(quotas.clone(), Arc::new(clock.clone())) {
            Ok(limiter) => Ok(Self {
                clock,
                limiter,
                quotas,
                oracles: Default::default(),
                log,
            }),
            Err(e) => Err(Failure::new(
                log,
                "a limiter (the quotas are valid)",
                format!("new() returned Err({e:?})"),
            )),
        }
    }

    pub(super) fn advance(&mut self, by: u64) {
        self.clock.advance(Duration::from_nanos(by));
    }

    /// Calls try_acquire and compares it with the tenant's own oracle.
    pub(super) fn acquire(&mut self, tenant: u32, n: u64) -> Result<(), Failure> {
        let now = self.clock.now();
        let config = *self
            .quotas
            .tenants
            .get(&tenant)
            .unwrap_or(&self.quotas.default);
        let want = self
            .oracles
            .entry(tenant)
            .or_insert_with(|| Oracle::new(config, Duration::ZERO))
            .try_acquire(now, n);
        let got = self.limiter.try_acquire(&tenant, n);
        self.log.step(format!(
            "t={}: tenant {tenant}: try_acquire({n}) → {}",
            ns(now),
            outcome(&got)
        ));
        if got != want {
            return Err(Failure::new(
                &self.log,
                format!(
                    "{} (what tenant {tenant}'s own bucket answers)",
                    outcome(&want)
                ),
                outcome(&got),
            ));
        }
        Ok(())
    }
}

/// Each tenant's answers are those of its own lone bucket; also with one thread per tenant.
pub fn tenant_isolation<K: KeyedRateLimiter<u32>>() -> Result<(), Failure> {
    let ops = prop::collection::vec(
        (0u32..5, prop_oneof![Just(0u64), 0..=12u64], 0u64..=7),
        1..40,
    );
    check_property(
        &TENANT_ISOLATION,
        300,
        (tiered_quotas(), ops),
        |(quotas, ops)| {
            let mut t = Tenants::<K>::new(quotas)?;
            for (tenant, advance, n) in ops {
                t.advance(advance);
                t.acquire(tenant, n)?;
            }
            Ok(())
        },
    )?;
    // One thread per tenant, racing on a frozen clock: each gets exactly its own capacity.
    for round in 0..40u64 {
        let quotas = Quotas {
            default: config(6 + round % 5, 1, 1_000),
            tenants: [(0, config(3, 1, 1_000)), (1, config(9, 1, 1_000))]
                .into_iter()
                .collect(),
        };
        let manual = ManualClock::starting_at(Duration::from_nanos(1_000));
        let clock = Arc::new(YieldingClock::new(manual, round, 3));
        let limiter = K::new(quotas.clone(), clock).map_err(|e| {
            Failure::new(
                describe_quotas(&quotas),
                "a limiter",
                format!("new() returned {e:?}"),
            )
        })?;
        let granted = run_gated(THREADS, |i| {
            let tenant = i as u32;
            (0..20)
                .filter(|_| limiter.try_acquire(&tenant, 1).is_ok())
                .count() as u64
        });
        for (i, got) in granted.iter().enumerate() {
            let want = quotas
                .tenants
                .get(&(i as u32))
                .unwrap_or(&quotas.default)
                .capacity;
            if *got != want {
                return Err(Failure::new(
                    format!(
                        "{}; clock frozen; round {round}: {THREADS} threads released together, thread i calls try_acquire(1) 20 times for tenant i",
                        describe_quotas(&quotas)
                    ),
                    format!("tenant {i} granted exactly its capacity, {want}"),
                    format!("tenant {i} granted {got} (all tenants: {granted:?})"),
                ));
            }
        }
    }
    Ok(())
}

/// Idle gaps around the refill time change no answer.
pub fn eviction_invisible<K: KeyedRateLimiter<u32>>() -> Result<(), Failure> {
    let gaps = prop_oneof![
        Just((0u64, 1u64)), // in quarters of the refill time, plus ns
        Just((1, 0)),
        Just((2, 0)),
        Just((4, 0)),
        Just((4, 1)),
        Just((8, 0)),
        Just((12, 0)),
        (0u64..6, 0u64..3),
    ];
    let ops = prop::collection::vec((0u32..4, gaps, 0u64..=7), 1..40);
    check_property(
        &EVICTION_INVISIBLE,
        300,
        (tiered_quotas(), ops),
        |(quotas, ops)| {
            let horizon = quotas.longest_refill().as_nanos() as u64;
            let mut t = Tenants::<K>::new(quotas)?;
            for (tenant, (quarters, extra), n) in ops {
                let gap = horizon * quarters / 4 + extra;
                if gap > 0 {
                    t.log
                        .step(format!("advance {gap} ns (refill horizon {horizon} ns)"));
                }
                t.advance(gap);
                t.acquire(tenant, n)?;
            }
            Ok(())
        },
    )
}

/// After every call, len() ≤ tenants active in the last 2 × the longest refill time.
pub fn bounded_memory<K: KeyedRateLimiter<u32>>() -> Result<(), Failure> {
    // Many tenants once, then silence, then one call.
    {
        let quotas = Quotas::uniform(config(4, 1, 10));
        let horizon = quotas.longest_refill().as_nanos() as u64;
        let mut t = Tenants::<K>::new(quotas)?;
        for tenant in 0..1_000 {
            t.limiter.try_acquire(&tenant, 1).ok();
        }
        t.log.step("t=0 ns: tenants 0…999 each try_acquire(1)");
        t.advance(2 * horizon + 1);
        let got = t.limiter.try_acquire(&7, 1);
        t.log.step(format!(
            "t={} ns: tenant 7: try_acquire(1) → {}",
            2 * horizon + 1,
            outcome(&got)
        ));
        let len = t.limiter.len();
        if len > 1 {
            return Err(Failure::new(
                &t.log,
                format!("len() ≤ 1: only tenant 7 called within the last 2 × {horizon} ns"),
                format!("len() = {len}"),
            ));
        }
    }
    let gaps = prop_oneof![Just(0u64), Just(1), Just(2), Just(4), Just(8), Just(12)];
    let ops = prop::collection::vec((0u32..30, gaps), 1..80);
    check_property(
        &BOUNDED_MEMORY,
        200,
        (tiered_quotas(), ops),
        |(quotas, ops)| {
            let horizon = quotas.longest_refill().as_nanos() as u64;
            let mut t = Tenants::<K>::new(quotas)?;
            let mut last_call: std::collections::HashMap<u32, u64> = Default::default();
            for (tenant, quarters) in ops {
                t.advance(horizon * quarters / 4);
                let now = t.clock.now().as_nanos() as u64;
                // Only memory is judged here; answers are other criteria's business.
                let got = t.limiter.try_acquire(&tenant, 1);
                t.log.step(format!(
                    "t={now} ns: tenant {tenant}: try_acquire(1) → {}",
                    outcome(&got)
                ));
                last_call.insert(tenant, now);
                let active = last_call
                    .values()
                    .filter(|at| now - **at <= 2 * horizon)
                    .count();
                let len = t.limiter.len();
                if len > active {
                    return Err(Failure::new(
                        &t.log,
                        format!(
                            "len() ≤ {active}: the tenants that called within the last 2 × {horizon} ns"
                        ),
                        format!("len() = {len}"),
                    ));
                }
            }
            Ok(())
        },
    )
}
