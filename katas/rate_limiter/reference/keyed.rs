//! [`KeyedTokenBucket`]: one bucket per tenant, in sharded tables (stage 4).

use super::limits::{Limits, narrow};
use crate::clock::Clock;
use crate::rate_limiter::{AcquireError, ConfigError, KeyedRateLimiter, Quotas};
use hashbrown::HashTable;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One token bucket per tenant, sharded, with invisible eviction (stage 4).
///
/// # Design
///
/// **Sharding, not one global lock.** Tenants are spread over [`SHARDS`] independently locked
/// hash maps by the hash of their key, so callers for different tenants rarely touch the same
/// lock; each critical section is one table lookup plus the same few integer operations as
/// [`TokenBucket`]. (A concurrent-map crate would do too; a fixed set of locked tables is the
/// smallest thing that scales and keeps the hot path easy to reason about.)
///
/// **One hash per request.** The key is hashed once (SipHash: tenant keys may be chosen by
/// whoever sends the requests) and that hash both picks the shard and finds the key in the
/// shard's `hashbrown::HashTable`; a `HashMap` per shard would hash the key a second time.
///
/// **Compact entries.** A tenant costs its key plus one `full_at` (the single number that
/// describes a [`TokenBucket`]); the clock, the tiers and their arithmetic (`Limits`) are stored
/// once, and a tenant's tier is looked up from its key. Under the shard's lock `full_at` needs no
/// atomic, and like the single bucket's it is kept in 64 bits while it fits (by the same rule,
/// `limits::narrow`): for every real quota and clock, always. The 64 bits are stored as 8 bytes,
/// which need no alignment, so an entry takes its key's: a `u32` tenant is a 12-byte entry (an
/// aligned `u64` would pad it to 16, and a 128-bit value kept as two `u64`s made it 24). With
/// hashbrown's control byte and its load factor, a million `u32` tenants cost about 27 bytes
/// each.
///
/// **Wide only where a tenant needs it.** A `full_at` that outgrows 64 bits (a tier of many
/// grains per ns on a clock far from its origin) moves, exactly, to a second table of the shard
/// holding 128-bit values; which table holds a tenant is the only marker needed. It stays there
/// until the sweep drops its full bucket (a take moves `full_at` to `max(full_at, g) + grains`,
/// so a live bucket's never shrinks), and the tenant's next bucket starts in 64 bits whenever
/// that fits. The hot path is one probe of the 64-bit table; only a tenant missing there looks
/// in the wide one, and only when that is not empty (it is empty, and allocates nothing, for
/// every real quota).
///
/// **Invisible eviction.** Once per refill horizon `F` (the longest time any tier takes to fill
/// from empty) one caller sweeps every shard and drops the buckets that are *full* — exactly the
/// ones a fresh bucket would replace without changing any answer. A bucket untouched for `F` is
/// always full, so after the sweep only tenants active within the last `2F` remain, and the sweep
/// costs O(1) amortised per call (it visits at most the buckets created since the last sweep).
///
/// [`TokenBucket`]: super::TokenBucket
pub struct KeyedTokenBucket<K> {
    clock: Arc<dyn Clock>,
    /// Tier 0 is the default; tenants with their own config point at later tiers.
    tiers: Vec<Limits>,
    tier_of: HashMap<K, u32>,
    hasher: RandomState,
    shards: Box<[Mutex<Shard<K>>]>,
    /// Refill horizon in ns: how often full buckets are swept out.
    sweep_every: u64,
    /// Clock reading (ns) at or after which the next sweep is due.
    next_sweep: AtomicU64,
}

/// Number of independently locked shards: enough that a few dozen threads rarely collide.
pub const SHARDS: usize = 64;

/// One shard's tenants, each with its bucket's `full_at`, in exactly one of two tables.
struct Shard<K> {
    /// Tenants whose `full_at` fits in 64 bits ([`narrow`]): for real quotas and clocks, all.
    narrow: HashTable<(K, Narrow)>,
    /// Tenants whose `full_at` does not.
    wide: HashTable<(K, u128)>,
}

/// A 64-bit `full_at`, as bytes so that it adds no alignment of its own to an entry.
#[derive(Clone, Copy)]
struct Narrow([u8; 8]);

impl Narrow {
    #[inline]
    fn new(full_at: u64) -> Self {
        Self(full_at.to_ne_bytes())
    }

    #[inline]
    fn get(self) -> u128 {
        u128::from(u64::from_ne_bytes(self.0))
    }
}

impl<K: Hash + Eq + Clone> Shard<K> {
    fn new() -> Self {
        Self {
            narrow: HashTable::new(),
            wide: HashTable::new(),
        }
    }

    /// Takes `grains` from `tenant`'s bucket (whose key hashes to `hash`) at grains-time `g`:
    /// `Err` holds the exact wait, and then nothing changes.
    #[inline]
    fn take(
        &mut self,
        hash: u64,
        tenant: &K,
        limits: &Limits,
        grains: u64,
        g: u128,
        hasher: &RandomState,
    ) -> Result<(), Duration> {
        let Ok(mut entry) = self.narrow.find_entry(hash, |(key, _)| key == tenant) else {
            return self.take_rare(hash, tenant, limits, grains, g, hasher);
        };
        let (_, full_at) = entry.get_mut();
        let taken = limits.take(full_at.get(), grains, g)?;
        match narrow(taken) {
            Some(taken) => *full_at = Narrow::new(taken),
            // Outgrown 64 bits: the tenant moves to the wide table, with its key.
            None => {
                let ((key, _), _) = entry.remove();
                self.wide
                    .insert_unique(hash, (key, taken), |(key, _)| hasher.hash_one(key));
            }
        }
        Ok(())
    }

    /// [`take`](Self::take) for a tenant that is not in the 64-bit table: one kept wide, or one
    /// without a bucket.
    fn take_rare(
        &mut self,
        hash: u64,
        tenant: &K,
        limits: &Limits,
        grains: u64,
        g: u128,
        hasher: &RandomState,
    ) -> Result<(), Duration> {
        if !self.wide.is_empty()
            && let Some((_, full_at)) = self.wide.find_mut(hash, |(key, _)| key == tenant)
        {
            *full_at = limits.take(*full_at, grains, g)?;
            return Ok(());
        }
        // A tenant's first request (or first after eviction) finds a full bucket, `full_at =
        // g`; only then is the key cloned.
        let full_at = limits.take(g, grains, g)?;
        let key = tenant.clone();
        match narrow(full_at) {
            Some(full_at) => {
                let entry = (key, Narrow::new(full_at));
                self.narrow
                    .insert_unique(hash, entry, |(key, _)| hasher.hash_one(key));
            }
            None => {
                self.wide
                    .insert_unique(hash, (key, full_at), |(key, _)| hasher.hash_one(key));
            }
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.narrow.len() + self.wide.len()
    }
}

impl<K: Hash + Eq + Clone> KeyedTokenBucket<K> {
    /// The shard of a key with hash `hash`. It is chosen by bits 32–37: the table inside uses
    /// the lowest bits for the bucket and the top seven for its tag, so those stay spread out
    /// among the keys of one shard.
    fn shard(&self, hash: u64) -> &Mutex<Shard<K>> {
        &self.shards[(hash >> 32) as usize % SHARDS]
    }

    fn limits(&self, tenant: &K) -> &Limits {
        let tier = self.tier_of.get(tenant).copied().unwrap_or(0);
        &self.tiers[tier as usize]
    }

    /// Drops every full bucket, if a sweep is due and no other caller claimed it.
    fn sweep_if_due(&self, now: u64) {
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        let next = now.saturating_add(self.sweep_every);
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return; // another caller is sweeping
        }
        // Keep a bucket unless it is full now.
        let keep = |tenant: &K, full_at: u128| full_at > self.limits(tenant).grains_time(now);
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            shard
                .narrow
                .retain(|(tenant, full_at)| keep(tenant, full_at.get()));
            shard
                .wide
                .retain(|(tenant, full_at)| keep(tenant, *full_at));
        }
    }
}

impl<K> KeyedRateLimiter<K> for KeyedTokenBucket<K>
where
    K: Hash + Eq + Clone + Send + Sync,
{
    fn new(quotas: Quotas<K>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let mut tiers = vec![Limits::new(quotas.default)?];
        let mut tier_of = HashMap::with_capacity(quotas.tenants.len());
        for (tenant, config) in quotas.tenants {
            tier_of.insert(tenant, u32::try_from(tiers.len()).unwrap_or(u32::MAX));
            tiers.push(Limits::new(config)?);
        }
        let sweep_every = tiers
            .iter()
            .map(Limits::fill_time)
            .max()
            .unwrap_or(1)
            .max(1);
        let now = clock.now_nanos();
        Ok(Self {
            clock,
            tiers,
            tier_of,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::new())).collect(),
            sweep_every,
            next_sweep: AtomicU64::new(now.saturating_add(sweep_every)),
        })
    }

    fn try_acquire(&self, tenant: &K, tokens: u64) -> Result<(), AcquireError> {
        let limits = self.limits(tenant);
        let grains = limits.grains_for(tokens)?;
        if grains == 0 {
            return Ok(());
        }
        let limited = |retry_after| AcquireError::RateLimited { retry_after };
        let hash = self.hasher.hash_one(tenant);
        let mut shard = self.shard(hash).lock();
        // Read the clock under the lock: a reading from before waiting for it could be older
        // than a grant made meanwhile, and would refuse tokens that have accrued since.
        let now = self.clock.now_nanos();
        let g = limits.grains_time(now);
        let decision = shard.take(hash, tenant, limits, grains, g, &self.hasher);
        // The sweep takes every shard's lock in turn: never while holding one.
        drop(shard);
        self.sweep_if_due(now);
        decision.map_err(limited)
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

#[cfg(test)]
mod tests {
    //! Where [`KeyedTokenBucket`] keeps each tenant's `full_at` — 64 bits, or 128 where a tenant
    //! needs it — which the conformance suite only reaches through its largest clock readings.
    //! The answers are compared with a lone [`TokenBucket`] of the same config on the same
    //! clock: the keyed limiter must answer exactly as it does.

    use super::*;
    use crate::clock::ManualClock;
    use crate::rate_limiter::reference::TokenBucket;
    use crate::rate_limiter::{BucketConfig, RateLimiter};
    use std::time::Duration;

    /// 2 tokens, 3 per 10 ns: 3 grains per ns, so a clock past 2^63 ns is past 2^64 grains.
    const FAST: BucketConfig = BucketConfig::new(2, 3, Duration::from_nanos(10));
    /// The tenant on [`FAST`]; every other tenant has 4 tokens, one per ns.
    const WIDE_TENANT: u32 = 7;

    fn limiter(clock: &ManualClock) -> KeyedTokenBucket<u32> {
        let quotas = Quotas {
            default: BucketConfig::new(4, 1, Duration::from_nanos(1)),
            tenants: [(WIDE_TENANT, FAST)].into_iter().collect(),
        };
        KeyedTokenBucket::new(quotas, Arc::new(clock.clone())).expect("valid quotas")
    }

    /// Tenants in the 64-bit tables and in the wide ones.
    fn tables(limiter: &KeyedTokenBucket<u32>) -> (usize, usize) {
        limiter.shards.iter().fold((0, 0), |(narrow, wide), shard| {
            let shard = shard.lock();
            (narrow + shard.narrow.len(), wide + shard.wide.len())
        })
    }

    /// `tenant` asks the limiter and `lone` for `tokens`: the answers must be the same.
    fn same_answer(limiter: &KeyedTokenBucket<u32>, lone: &TokenBucket, tenant: u32, tokens: u64) {
        assert_eq!(
            KeyedRateLimiter::try_acquire(limiter, &tenant, tokens),
            lone.try_acquire(tokens),
            "tenant {tenant}: try_acquire({tokens})"
        );
    }

    #[test]
    fn entries_are_the_key_and_eight_unaligned_bytes() {
        assert_eq!(std::mem::size_of::<(u32, Narrow)>(), 12);
        assert_eq!(std::mem::size_of::<(u64, Narrow)>(), 16);
        assert_eq!(std::mem::size_of::<(u16, Narrow)>(), 10);
    }

    #[test]
    fn tenants_stay_narrow_for_usual_quotas_and_clocks() {
        let clock = ManualClock::new();
        let limiter = limiter(&clock);
        clock.advance(Duration::from_secs(100 * 365 * 24 * 3600)); // a century
        for tenant in 0..100 {
            limiter.try_acquire(&tenant, 1).expect("a full bucket");
        }
        assert_eq!(tables(&limiter), (100, 0));
    }

    #[test]
    fn a_tenant_outgrowing_64_bits_moves_to_the_wide_table_and_stays_exact() {
        let clock = ManualClock::new();
        let limiter = limiter(&clock);
        let lone = TokenBucket::new(FAST, Arc::new(clock.clone())).expect("valid config");
        same_answer(&limiter, &lone, WIDE_TENANT, 2);
        assert_eq!(tables(&limiter), (1, 0));
        clock.advance(Duration::from_nanos(1 << 63));
        same_answer(&limiter, &lone, WIDE_TENANT, 2); // refilled to the cap: 2^64 grains past
        limiter.try_acquire(&1, 1).expect("a full bucket");
        assert_eq!(
            tables(&limiter),
            (1, 1),
            "only the tenant that needs 128 bits is wide"
        );
        // Wide, the tenant answers exactly as a lone bucket: empty, a token per 3⅓ ns, rounded
        // up — also through the sweeps, which must keep its bucket until it is full.
        for step in [0, 3, 1, 0, 2, 5, 1, 7, 0] {
            clock.advance(Duration::from_nanos(step));
            same_answer(&limiter, &lone, WIDE_TENANT, 1);
            assert_eq!(limiter.len(), tables(&limiter).0 + tables(&limiter).1);
        }
        assert_eq!(tables(&limiter).1, 1, "a bucket that is not full stays");
    }

    #[test]
    fn a_full_wide_bucket_is_swept_and_the_next_one_starts_narrow() {
        let clock = ManualClock::new();
        let limiter = limiter(&clock);
        clock.advance(Duration::from_nanos(1 << 63));
        limiter.try_acquire(&WIDE_TENANT, 2).expect("a full bucket");
        assert_eq!(tables(&limiter), (0, 1));
        // Full again 7 ns later (20 grains at 3 per ns); the sweep after that drops it.
        clock.advance(Duration::from_nanos(7));
        limiter.try_acquire(&1, 1).expect("a full bucket");
        assert_eq!(tables(&limiter), (1, 0), "the full wide bucket is swept");
        // The clock goes back to where 64 bits hold the tenant's state: a fresh bucket there.
        clock.set(Duration::from_nanos(1_000));
        let lone = TokenBucket::new(FAST, Arc::new(clock.clone())).expect("valid config");
        for step in [0, 0, 0, 3, 1, 4] {
            clock.advance(Duration::from_nanos(step));
            same_answer(&limiter, &lone, WIDE_TENANT, 1);
        }
        assert_eq!(tables(&limiter).1, 0, "back in 64 bits");
        assert!(tables(&limiter).0 >= 1);
    }
}
