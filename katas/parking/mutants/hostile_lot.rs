//! A lot whose every method misbehaves, to prove the grader survives it.

use super::*;

/// A lot whose every method misbehaves as `M` says.
pub struct Hostile<M> {
    misbehaviour: PhantomData<M>,
}

impl<M: Misbehaviour> ParkingLot for Hostile<M> {
    fn new(_: LotConfig, _: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        M::act()
    }

    fn enter(&self, _: &str, _: VehicleKind) -> Result<Ticket, EnterError> {
        let _ = self.misbehaviour;
        M::act()
    }

    fn enter_charging(&self, _: &str, _: VehicleKind) -> Result<Ticket, EnterError> {
        M::act()
    }

    fn exit(&self, _: TicketId) -> Result<Receipt, ExitError> {
        M::act()
    }

    fn exit_lost_ticket(&self, _: &str) -> Result<Receipt, ExitError> {
        M::act()
    }

    fn set_tariff(&self, _: Tariff) {
        M::act()
    }

    fn board(&self) -> Board {
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
