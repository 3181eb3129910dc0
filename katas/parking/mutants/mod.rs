//! Known-wrong parking lots. Each realistic mutant is one mistake candidates really make; the
//! rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic, hang or
//! abort, to prove the grader survives them.
//!
//! Every realistic mutant is one [`Flawed`] lot — a plain scan-every-spot lot behind one mutex —
//! with exactly one [`Flaw`] switched on.

use super::conformance::{
    ALLOCATION_ORDER, BOARD, CAPACITY, CHARGERS_KEPT, CHARGING_ALLOCATION, CHARGING_ERRORS,
    CHARGING_FEE, CLOCK_BACKWARDS, DAILY_CAP, ENTRY_EXIT_MODEL, EXACT_FEES, EXIT_VERSUS_LOST,
    FIT_RULES, GATES_CHURN, GRACE_EDGE, HOURLY_ROUNDING, LAST_SPOTS_RACE, LOST_TICKET,
    MONOTONIC_FEE, NO_SPOT_LEAKS, PRICED_BY_VEHICLE, SAME_PLATE_RACE, SATURATING_FEES,
    TARIFF_AT_ENTRY, TYPED_ERRORS, fits, suite,
};
use super::reference::valid_plate;
use super::{
    Board, Charging, ConfigError, DAY, EnterError, ExitError, HOUR, LevelSpots, LotConfig, Money,
    ParkingLot, Pricing, Receipt, SpotId, SpotKind, Tariff, Ticket, TicketId, VehicleKind,
};
use crate::clock::Clock;
use crate::grading::Mutant;
use crate::grading::hostile::{self, Misbehaviour};
use parking_lot::Mutex;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

mod flawed;
mod hostile_lot;

pub use flawed::*;
pub use hostile_lot::*;

/// Every mutant of this kata.
pub fn catalogue() -> Vec<Mutant> {
    vec![
        Mutant::realistic(
            "plate-checked-apart",
            "checks the plate under the lock, releases it to read the clock, then allocates without looking at the plate again: two gates admit one plate",
            &[SAME_PLATE_RACE.id],
            suite::<Flawed<PlateCheckedApart>>,
        )
        .breaking(&["parking/one-plate-across-gates"]),
        Mutant::realistic(
            "exit-checked-apart",
            "finds the ticket open under the lock, releases it to read the clock for the fee, then settles without looking again: an exit and a lost-ticket settlement of one car both succeed",
            &[EXIT_VERSUS_LOST.id],
            suite::<Flawed<ExitCheckedApart>>,
        )
        .breaking(&["parking/settled-once-across-gates"]),
        Mutant::realistic(
            "check-then-act",
            "finds a free spot under the lock, releases it to read the clock, then takes the spot without looking again: two gates get the last spot",
            &[LAST_SPOTS_RACE.id, GATES_CHURN.id],
            suite::<Flawed<CheckThenAct>>,
        )
        .breaking(&["parking/gates-one-spot-each"]),
        Mutant::realistic(
            "floor-plus-one-hours",
            "bills floor(hours) + 1, so exactly 2 h bills 3 hours (and 0 ns bills one)",
            &[HOURLY_ROUNDING.id, EXACT_FEES.id],
            suite::<Flawed<FloorPlusOne>>,
        )
        .breaking(&["parking/started-hours"]),
        Mutant::realistic(
            "truncated-hours",
            "bills whole hours rounded down, so 1 h 59 min bills 1 hour",
            &[HOURLY_ROUNDING.id, EXACT_FEES.id],
            suite::<Flawed<TruncatedHours>>,
        )
        .breaking(&["parking/started-hours"]),
        Mutant::realistic(
            "float-money",
            "computes fees in f64 currency units and converts back with `as`, so 1 hour at 0.29 is billed 0.28",
            &[EXACT_FEES.id],
            suite::<Flawed<FloatMoney>>,
        )
        .breaking(&["parking/integer-money"]),
        Mutant::realistic(
            "tickets-keyed-by-plate",
            "keeps parked vehicles in a map keyed by plate: the same plate entering again overwrites the first record, whose spot is never freed",
            &[TYPED_ERRORS.id, NO_SPOT_LEAKS.id, ENTRY_EXIT_MODEL.id],
            suite::<Flawed<KeyedByPlate>>,
        )
        .breaking(&["parking/already-inside"]),
        Mutant::realistic(
            "spot-not-freed",
            "exit settles the ticket and updates the board but never returns the spot to the free pool",
            &[ENTRY_EXIT_MODEL.id, CAPACITY.id, NO_SPOT_LEAKS.id],
            suite::<Flawed<SpotNotFreed>>,
        )
        .breaking(&["parking/exit-frees-spot"]),
        Mutant::realistic(
            "double-exit-accepted",
            "does not remember settled tickets: a ticket presented again exits again, freeing its spot a second time",
            &[TYPED_ERRORS.id, GATES_CHURN.id],
            suite::<Flawed<DoubleExit>>,
        )
        .breaking(&["parking/ticket-used-once"]),
        Mutant::realistic(
            "van-in-compact",
            "the fit rule lets a van (or truck) into a compact spot",
            &[FIT_RULES.id, ALLOCATION_ORDER.id],
            suite::<Flawed<VanInCompact>>,
        )
        .breaking(&["parking/fit"]),
        Mutant::realistic(
            "board-counts-vehicle-kind",
            "on exit the board credits the spot kind the vehicle usually takes, not the spot it actually used, so the counts drift",
            &[BOARD.id],
            suite::<Flawed<BoardByVehicle>>,
        )
        .breaking(&["parking/board"]),
        Mutant::realistic(
            "tier-by-total",
            "prices every hour of a stay at the tier its last hour falls in, so a longer stay can cost less",
            &[MONOTONIC_FEE.id, EXACT_FEES.id],
            suite::<Flawed<TierByTotal>>,
        )
        .breaking(&["parking/tiers"]),
        Mutant::realistic(
            "daily-cap-per-stay",
            "applies the daily maximum once to the whole stay, so a week costs one day",
            &[DAILY_CAP.id, EXACT_FEES.id],
            suite::<Flawed<CapPerStay>>,
        )
        .breaking(&["parking/daily-max-per-day"]),
        Mutant::realistic(
            "tariff-at-exit",
            "bills the tariff in force at exit, re-pricing vehicles that entered under an older one",
            &[TARIFF_AT_ENTRY.id],
            suite::<Flawed<TariffAtExit>>,
        )
        .breaking(&["parking/tariff-at-entry"]),
        Mutant::realistic(
            "lost-ticket-flat",
            "charges only the lost-ticket charge, a discount for anyone who stayed longer",
            &[LOST_TICKET.id],
            suite::<Flawed<LostFlat>>,
        )
        .breaking(&["parking/lost-ticket-max"]),
        Mutant::realistic(
            "grace-exclusive",
            "the grace period ends one nanosecond early: a stay of exactly the grace period pays",
            &[GRACE_EDGE.id],
            suite::<Flawed<GraceExclusive>>,
        )
        .breaking(&["parking/grace-inclusive"]),
        Mutant::realistic(
            "charging-by-car-fit",
            "allocates a charging request with the car's fit list and the chargers after it, so an electric car that asked to charge is parked in a compact spot without a charger",
            &[CHARGING_ALLOCATION.id, FIT_RULES.id],
            suite::<Flawed<ChargingByCarFit>>,
        )
        .breaking(&["parking/charging-electric-spot-only"]),
        Mutant::realistic(
            "charger-fallback",
            "when every charger is taken, parks a charging request in an ordinary spot instead of refusing it with NoChargerFree",
            &[CHARGING_ALLOCATION.id],
            suite::<Flawed<ChargerFallback>>,
        )
        .breaking(&["parking/no-charger-free"]),
        Mutant::realistic(
            "electric-spot-as-overflow",
            "lets a vehicle that does not charge take an electric spot when nothing else it fits is free, so an arriving electric car finds the chargers taken",
            &[CHARGERS_KEPT.id],
            suite::<Flawed<ElectricOverflow>>,
        )
        .breaking(&["parking/chargers-kept"]),
        Mutant::realistic(
            "any-vehicle-charges",
            "never checks that a charging request comes from an electric car: a petrol car or a van asking to charge gets a charger",
            &[CHARGING_ERRORS.id],
            suite::<Flawed<AnyVehicleCharges>>,
        )
        .breaking(&["parking/only-electric-charges"]),
        Mutant::realistic(
            "charging-whole-stay",
            "bills charging on the whole stay instead of on the charging session, so a car left plugged in all day pays for a day of charging",
            &[CHARGING_FEE.id],
            suite::<Flawed<ChargingWholeStay>>,
        )
        .breaking(&["parking/charging-session"]),
        Mutant::realistic(
            "level-before-kind",
            "searches the lot level by level and takes the first fitting spot on the lowest level, so a motorcycle takes a large spot on level 0 while a motorcycle spot is free on level 1",
            &[ALLOCATION_ORDER.id],
            suite::<Flawed<LevelFirst>>,
        )
        .breaking(&["parking/allocation-order"]),
        Mutant::realistic(
            "full-before-inside",
            "looks for a free spot before looking up the plate, so a vehicle already inside is told the lot is full (or that no charger is free)",
            &[TYPED_ERRORS.id, CHARGING_ERRORS.id],
            suite::<Flawed<FullBeforeInside>>,
        )
        .breaking(&["parking/enter-error-order", "parking/charging-error-order"]),
        Mutant::realistic(
            "refusal-keeps-plate",
            "registers the plate as inside before looking for a spot and leaves it registered when the lot is full or no charger is free, so the refused driver is later told it is already inside",
            &[CHARGING_ERRORS.id, CHARGING_ALLOCATION.id],
            suite::<Flawed<RefusalKeepsPlate>>,
        )
        .breaking(&["parking/refusal-changes-nothing"]),
        Mutant::realistic(
            "no-levels-only",
            "refuses a layout only when it has no level, so levels that all have zero spots build a lot that can admit nobody",
            &[TYPED_ERRORS.id],
            suite::<Flawed<NoLevelsOnly>>,
        )
        .breaking(&["parking/no-spots"]),
        Mutant::realistic(
            "unknown-as-used",
            "answers TicketAlreadyUsed for any ticket it has no open record of, never issued ones included",
            &[TYPED_ERRORS.id, ENTRY_EXIT_MODEL.id],
            suite::<Flawed<UnknownAsUsed>>,
        )
        .breaking(&["parking/unknown-ticket"]),
        Mutant::realistic(
            "ticket-id-is-spot",
            "uses the spot's index as the ticket id, so the next vehicle in that spot gets the id of a ticket already settled",
            &[ENTRY_EXIT_MODEL.id],
            suite::<Flawed<IdIsSpot>>,
        )
        .breaking(&["parking/unique-ticket-ids"]),
        Mutant::realistic(
            "lost-ticket-stays-open",
            "a lost-ticket settlement frees the spot but leaves the ticket open, so the ticket found later exits again",
            &[LOST_TICKET.id, TYPED_ERRORS.id],
            suite::<Flawed<LostStaysOpen>>,
        )
        .breaking(&["parking/lost-ticket-settles"]),
        Mutant::realistic(
            "grace-deducted",
            "past the grace period bills only the time after it, a discount the contract does not give",
            &[GRACE_EDGE.id],
            suite::<Flawed<GraceDeducted>>,
        )
        .breaking(&["parking/grace-whole-stay"]),
        Mutant::realistic(
            "charging-by-vehicle-kind",
            "bills charging to every electric car, deciding on the vehicle's kind rather than on whether it entered with enter_charging",
            &[CHARGING_FEE.id],
            suite::<Flawed<ChargingByKind>>,
        )
        .breaking(&["parking/charging-only-when-charging"]),
        Mutant::realistic(
            "charging-under-grace",
            "adds charging inside the pricing tree, so a stay within the grace period charges for free",
            &[CHARGING_FEE.id],
            suite::<Flawed<ChargingUnderGrace>>,
        )
        .breaking(&["parking/charging-outside-pricing"]),
        Mutant::realistic(
            "stay-as-distance",
            "measures a stay as the distance between the two clock readings, so an exit after the clock stepped back bills the time it stepped back",
            &[CLOCK_BACKWARDS.id],
            suite::<Flawed<StayAsDistance>>,
        )
        .breaking(&["parking/stay-clock-backwards"]),
        Mutant::realistic(
            "plate-nine-max",
            "accepts plates of fewer than 10 characters, so the longest valid plate is refused as invalid",
            &[TYPED_ERRORS.id, ENTRY_EXIT_MODEL.id],
            suite::<Flawed<PlateNineMax>>,
        )
        .breaking(&["parking/plate-format"]),
        Mutant::realistic(
            "wrapping-fees",
            "multiplies and adds money with wrapping arithmetic, so a fee past u64::MAX wraps to a small one",
            &[SATURATING_FEES.id],
            suite::<Flawed<WrappingFees>>,
        )
        .breaking(&["parking/fees-saturate"]),
        Mutant::realistic(
            "hours-overflow",
            "counts started hours as (ns + HOUR - 1) / HOUR in u64, which wraps for a stay near the clock's range and bills it nothing",
            &[SATURATING_FEES.id],
            suite::<Flawed<HoursOverflow>>,
        )
        .breaking(&["parking/stay-any-length"]),
        Mutant::realistic(
            "priced-by-spot-kind",
            "chooses the per-vehicle price from the kind of spot the vehicle was given, so a motorcycle in a compact spot pays the car rate",
            &[PRICED_BY_VEHICLE.id],
            suite::<Flawed<PricedBySpot>>,
        )
        .breaking(&["parking/per-vehicle-kind"]),
        Mutant::realistic(
            "lost-ticket-drops-charging",
            "on a lost ticket compares only the parking fee with the lost-ticket charge and forgets the charging",
            &[CHARGING_FEE.id],
            suite::<Flawed<LostDropsCharging>>,
        )
        .breaking(&["parking/lost-ticket-max"]),
    ]
    .into_iter()
    .chain(hostile::mutants::<HostileSuite>())
    .collect()
}
