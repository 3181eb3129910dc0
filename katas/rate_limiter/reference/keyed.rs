//! [`KeyedTokenBucket`]: one bucket per tenant, in sharded tables (stage 4).

use super::limits::Limits;
use crate::clock::Clock;
use crate::rate_limiter::{AcquireError, ConfigError, KeyedRateLimiter, Quotas};
use hashbrown::HashTable;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
/// atomic: it is kept as two `u64` halves so that an entry stays 8-byte aligned (a `u128` would
/// pad a `u32` key to 16 bytes).
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

/// One shard's tenants: each key with its bucket's `full_at`.
type Shard<K> = HashTable<(K, FullAt)>;

/// Number of independently locked shards: enough that a few dozen threads rarely collide.
pub const SHARDS: usize = 64;

/// A tenant's `full_at` (see [`super::TokenBucket`]), as two halves with 8-byte alignment.
#[derive(Clone, Copy)]
struct FullAt {
    high: u64,
    low: u64,
}

impl From<u128> for FullAt {
    fn from(full_at: u128) -> Self {
        Self {
            high: (full_at >> 64) as u64,
            low: full_at as u64,
        }
    }
}

impl From<FullAt> for u128 {
    fn from(full_at: FullAt) -> Self {
        (u128::from(full_at.high) << 64) | u128::from(full_at.low)
    }
}

impl<K: Hash + Eq> KeyedTokenBucket<K> {
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
        for shard in self.shards.iter() {
            shard.lock().retain(|(tenant, full_at)| {
                // Keep the bucket unless it is full now.
                u128::from(*full_at) > self.limits(tenant).grains_time(now)
            });
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
            shards: (0..SHARDS).map(|_| Mutex::new(HashTable::new())).collect(),
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
        let decision = match shard.find_mut(hash, |(key, _)| key == tenant) {
            Some((_, full_at)) => limits
                .take((*full_at).into(), grains, g)
                .map(|taken| *full_at = taken.into()),
            // A tenant's first request (or first after eviction) finds a full bucket, `full_at =
            // g`; only then is the key cloned.
            None => limits.take(g, grains, g).map(|full_at| {
                let entry = (tenant.clone(), full_at.into());
                shard.insert_unique(hash, entry, |(key, _)| self.hasher.hash_one(key));
            }),
        };
        // The sweep takes every shard's lock in turn: never while holding one.
        drop(shard);
        self.sweep_if_due(now);
        decision.map_err(limited)
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}
