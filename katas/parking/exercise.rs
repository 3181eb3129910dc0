//! Your solution. Fill in every `todo!()`; keep the signatures.
//!
//! Run the suite against this file with
//! `cargo test --features exercise --test parking` (add `stage1`, `stage2`, … to run one
//! stage), and grade it with `cargo run --release -- grade parking`.
//!
//! The contract — what each method must do, exactly — is documented on the trait and types in
//! `parking/mod.rs` (`cargo doc --open`, module `parking`), and the prompt is in
//! `parking/PROMPT.md`. Add any fields, types and helpers you need.

use super::{
    Board, ConfigError, EnterError, ExitError, LotConfig, ParkingLot, Receipt, Tariff, Ticket,
    TicketId, VehicleKind,
};
use crate::clock::Clock;
use std::sync::Arc;

/// Your parking lot.
pub struct Lot {
    // Your state goes here.
}

impl ParkingLot for Lot {
    fn new(config: LotConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let _ = clock;
        todo!(
            "build an empty lot with {} level(s) (a layout with no spot at all is \
             ConfigError::NoSpots) that reads time only from `clock`",
            config.levels.len()
        )
    }

    fn enter(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        todo!(
            "admit {kind:?} {plate:?}: InvalidPlate, AlreadyInside, LotFull (in that order), else \
             the smallest fitting spot kind (never an electric one), lowest level, lowest number, \
             and a ticket with a unique id stamped with the clock; a refusal changes nothing"
        )
    }

    fn enter_charging(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        todo!(
            "admit {kind:?} {plate:?} to charge: InvalidPlate, NotElectric (only an ElectricCar \
             charges), AlreadyInside, NoChargerFree (in that order), else the free electric spot \
             on the lowest level with the lowest number — never another kind of spot — and a \
             ticket whose exit also bills charging"
        )
    }

    fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError> {
        todo!(
            "settle {ticket:?}: free its spot and charge the stay (plus charging, if it entered \
             charging) with the tariff in force at entry; UnknownTicket if never issued, \
             TicketAlreadyUsed if already settled"
        )
    }

    fn exit_lost_ticket(&self, plate: &str) -> Result<Receipt, ExitError> {
        todo!(
            "find {plate:?} inside (else NotInside), free its spot, void its ticket, and charge \
             the larger of the stay's fee and the lost-ticket charge"
        )
    }

    fn set_tariff(&self, tariff: Tariff) {
        todo!("bill {tariff:?} to vehicles entering from now on; those inside keep theirs")
    }

    fn board(&self) -> Board {
        todo!("free spots per level and spot kind, right now")
    }
}

/// This solution's conformance suite: every criterion of the rubric, bound to the types above.
/// `cargo test` and `kata grade` run it; leave it as it is.
pub fn suite() -> Vec<crate::grading::Check> {
    super::conformance::suite::<Lot>()
}
