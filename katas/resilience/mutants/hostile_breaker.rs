//! A breaker whose every method misbehaves, to prove the grader survives it.

use super::super::{
    BreakerConfig, BreakerState, Bulkhead, BulkheadConfig, BulkheadConfigError, CircuitBreaker,
    ConfigError, Entry, Permit, Rejected, Shed, Waiter,
};
use super::suite;
use crate::clock::Clock;
use crate::grading::hostile::{self, Misbehaviour};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// A breaker whose every method misbehaves as `M` says.
pub struct Hostile<M> {
    misbehaviour: PhantomData<M>,
}

/// Its permit, which misbehaves too.
pub struct HostilePermit<M>(PhantomData<M>);

impl<M: Misbehaviour> Permit for HostilePermit<M> {
    fn success(self) {
        M::act()
    }

    fn failure(self) {
        M::act()
    }
}

impl<M: Misbehaviour> CircuitBreaker for Hostile<M> {
    type Permit<'a> = HostilePermit<M>;

    fn new(_: BreakerConfig, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn try_acquire(&self) -> Result<HostilePermit<M>, Rejected> {
        let _ = self.misbehaviour;
        M::act()
    }

    fn state(&self) -> BreakerState {
        M::act()
    }
}

impl<M: Misbehaviour> Waiter for HostilePermit<M> {
    type Slot = HostilePermit<M>;

    fn poll(self) -> Result<Entry<Self, Self>, Shed> {
        M::act()
    }
}

impl<M: Misbehaviour> Bulkhead for Hostile<M> {
    type Slot<'a> = HostilePermit<M>;
    type Waiter<'a> = HostilePermit<M>;

    fn new(_: BulkheadConfig, _: Arc<dyn Clock>) -> Result<Self, BulkheadConfigError> {
        M::act()
    }

    fn enter(&self, _: Duration) -> Result<Entry<HostilePermit<M>, HostilePermit<M>>, Shed> {
        M::act()
    }

    fn in_flight(&self) -> u32 {
        M::act()
    }

    fn queued(&self) -> u32 {
        M::act()
    }
}

/// This kata's suite bound to an implementation that misbehaves as `M` in every method.
pub(super) struct HostileSuite;

impl hostile::HostileSuite for HostileSuite {
    fn suite<M: Misbehaviour>() -> Vec<crate::grading::Check> {
        suite::<Hostile<M>, Hostile<M>>()
    }
}
