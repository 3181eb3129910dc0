//! Hostile mutants: the grader must survive them.

use super::*;

impl<K: Hash + Eq + Clone + Send + Sync, M: Misbehaviour> KeyedRateLimiter<K> for Hostile<M> {
    fn new(_: Quotas<K>, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn try_acquire(&self, _: &K, _: u64) -> Result<(), AcquireError> {
        M::act()
    }

    fn len(&self) -> usize {
        M::act()
    }
}

/// A limiter whose every method misbehaves as `M` says.
pub struct Hostile<M> {
    inner: reference::TokenBucket,
    misbehaviour: PhantomData<M>,
}

impl<M: Misbehaviour> RateLimiter for Hostile<M> {
    type Reservation<'a> = reference::Reservation<'a>;

    fn new(_: BucketConfig, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn try_acquire(&self, _: u64) -> Result<(), AcquireError> {
        let _ = &self.inner;
        let _ = self.misbehaviour;
        M::act()
    }

    fn reserve(&self, _: u64) -> Result<reference::Reservation<'_>, AcquireError> {
        M::act()
    }
}

impl<M: Misbehaviour> SharedRateLimiter for Hostile<M> {
    fn connect(
        _: BucketConfig,
        _: StoreConfig,
        _: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        M::act()
    }

    fn try_acquire(&self, _: &str, _: u64) -> Result<Admission, SharedError> {
        M::act()
    }
}

/// This kata's suite bound to an implementation that misbehaves as `M` in every method.
pub(super) struct HostileSuite;

impl hostile::HostileSuite for HostileSuite {
    fn suite<M: Misbehaviour>() -> Vec<crate::grading::Check> {
        suite::<Hostile<M>, Hostile<M>, Hostile<M>>()
    }
}
