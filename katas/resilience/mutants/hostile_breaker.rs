//! A breaker whose every method misbehaves, to prove the grader survives it.

use super::super::{BreakerConfig, BreakerState, CircuitBreaker, ConfigError, Permit, Rejected};
use super::suite;
use crate::clock::Clock;
use crate::grading::hostile::{self, Misbehaviour};
use std::marker::PhantomData;
use std::sync::Arc;

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

/// This kata's suite bound to an implementation that misbehaves as `M` in every method.
pub(super) struct HostileSuite;

impl hostile::HostileSuite for HostileSuite {
    fn suite<M: Misbehaviour>() -> Vec<crate::grading::Check> {
        suite::<Hostile<M>>()
    }
}
