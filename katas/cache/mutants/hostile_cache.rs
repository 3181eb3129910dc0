//! A cache whose every method misbehaves, to prove the grader survives it.

use super::*;

/// A cache whose every method misbehaves as `M` says.
pub struct Hostile<M> {
    misbehaviour: PhantomData<M>,
}

impl<M: Misbehaviour> Cache for Hostile<M> {
    fn new(_: CacheConfig, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn get(&self, _: Key) -> Option<Value> {
        let _ = self.misbehaviour;
        M::act()
    }

    fn put(&self, _: Key, _: Value) {
        M::act()
    }

    fn put_with_ttl(&self, _: Key, _: Value, _: Duration) -> Result<(), PutError> {
        M::act()
    }

    fn remove(&self, _: Key) -> Option<Value> {
        M::act()
    }

    fn contains(&self, _: Key) -> bool {
        M::act()
    }

    fn len(&self) -> usize {
        M::act()
    }
}

impl<M: Misbehaviour> crate::cache::LoadingCache for Hostile<M> {
    fn new(_: CacheConfig, _: Duration, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn get_or_load(
        &self,
        _: Key,
        _: crate::cache::Loader<'_>,
    ) -> Result<Value, crate::cache::GetError> {
        M::act()
    }
}

/// This kata's suite bound to an implementation that misbehaves as `M` in every method.
pub(super) struct HostileSuite;

impl hostile::HostileSuite for HostileSuite {
    fn suite<M: Misbehaviour>() -> Vec<crate::grading::Check> {
        suite::<Hostile<M>, Hostile<M>, Hostile<M>, Hostile<M>>()
    }
}
