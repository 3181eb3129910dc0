//! Flawed keyed limiters (stage 4).

use super::*;

/// A keyed-limiter bug.
pub trait KeyedFlaw: Send + Sync + 'static {
    /// One bucket per tier instead of per tenant.
    const PER_TIER: bool = false;
    /// Evict buckets idle for a quarter of the refill horizon, full or not.
    const EVICT_IDLE: bool = false;
    /// Validate only the default config in `new()`.
    const TENANT_CONFIGS_UNCHECKED: bool = false;
}

/// Tenants' own configs go unchecked until used.
pub struct TenantConfigsUnchecked;
impl KeyedFlaw for TenantConfigsUnchecked {
    const TENANT_CONFIGS_UNCHECKED: bool = true;
}

/// Buckets keyed by tier.
pub struct SharedPerTier;
impl KeyedFlaw for SharedPerTier {
    const PER_TIER: bool = true;
}

/// Eviction by last access.
pub struct EvictByLastAccess;
impl KeyedFlaw for EvictByLastAccess {
    const EVICT_IDLE: bool = true;
}

/// No eviction at all.
pub struct NeverEvicts;
impl KeyedFlaw for NeverEvicts {}

#[derive(PartialEq, Eq, Hash)]
pub(super) enum Slot {
    Tenant(u32),
    Tier(BucketConfig),
}

/// A keyed limiter made of whole buckets `B` (the reference's unless a mutant swaps in a
/// flawed one) in one map, with one [`KeyedFlaw`].
pub struct FlawedKeyed<F, B = reference::TokenBucket> {
    clock: Arc<dyn Clock>,
    quotas: Quotas<u32>,
    idle_limit: u64,
    buckets: Mutex<HashMap<Slot, (B, u64)>>,
    flaw: PhantomData<F>,
}

impl<F: KeyedFlaw, B: RateLimiter> KeyedRateLimiter<u32> for FlawedKeyed<F, B> {
    fn new(quotas: Quotas<u32>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let own = quotas
            .tenants
            .values()
            .filter(|_| !F::TENANT_CONFIGS_UNCHECKED);
        for config in std::iter::once(&quotas.default).chain(own) {
            reference::TokenBucket::new(*config, clock.clone())?;
        }
        let idle_limit = u64::try_from(quotas.longest_refill().as_nanos() / 4).unwrap_or(u64::MAX);
        Ok(Self {
            clock,
            quotas,
            idle_limit,
            buckets: Mutex::new(HashMap::new()),
            flaw: PhantomData,
        })
    }

    fn try_acquire(&self, tenant: &u32, tokens: u64) -> Result<(), AcquireError> {
        let config = *self
            .quotas
            .tenants
            .get(tenant)
            .unwrap_or(&self.quotas.default);
        let slot = if F::PER_TIER {
            Slot::Tier(config)
        } else {
            Slot::Tenant(*tenant)
        };
        let now = u64::try_from(self.clock.now().as_nanos()).unwrap_or(u64::MAX);
        let mut buckets = self.buckets.lock();
        if F::EVICT_IDLE {
            buckets.retain(|_, (_, last)| now.saturating_sub(*last) <= self.idle_limit);
        }
        let (bucket, last) = buckets.entry(slot).or_insert_with(|| {
            let bucket = B::new(config, self.clock.clone());
            (bucket.expect("every config was validated in new()"), now)
        });
        *last = now;
        bucket.try_acquire(tokens)
    }

    fn len(&self) -> usize {
        self.buckets.lock().len()
    }
}

/// The reference keyed limiter behind one mutex: correct answers, but every tenant's call
/// decides — and reads the clock — under the same lock.
pub struct GlobalLockKeyed(Mutex<reference::KeyedTokenBucket<u32>>);

impl KeyedRateLimiter<u32> for GlobalLockKeyed {
    fn new(quotas: Quotas<u32>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        reference::KeyedTokenBucket::new(quotas, clock).map(|k| Self(Mutex::new(k)))
    }

    fn try_acquire(&self, tenant: &u32, tokens: u64) -> Result<(), AcquireError> {
        self.0.lock().try_acquire(tenant, tokens)
    }

    fn len(&self) -> usize {
        self.0.lock().len()
    }
}
