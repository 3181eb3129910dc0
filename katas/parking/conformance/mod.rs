//! The rubric for the parking kata: criteria and their checks, generic over [`ParkingLot`].
//!
//! The checks see only the contract. Spots, errors and receipts are compared with [`Model`], a
//! lot written to be obviously right rather than fast (it scans every spot), and fees with
//! [`oracle_fee`], which walks a stay hour by hour and day by day. A solution with any design —
//! free lists, ordered sets, bitsets, a mutex or something cleverer — gets full marks as long as
//! it behaves exactly like the model.
//!
//! Use it from your own crate: `lld_katas::parking::conformance::suite::<MyLot>()` gives the
//! bound checks; `lld_katas::conformance_tests!` turns them into `#[test]`s.

use super::{
    Board, Charging, ConfigError, DAY, EnterError, ExitError, HOUR, LevelSpots, LotConfig, Money,
    ParkingLot, Pricing, Receipt, SpotId, SpotKind, Tariff, Ticket, TicketId, VehicleKind,
};
use crate::clock::{Clock, HoldingClock, ManualClock, YieldingClock};
use crate::ensure;
use crate::grading::stress::{Interleaving, race_while_held, run_gated};
use crate::grading::{Check, Criterion, Failure, Rule, Transcript, check_property};
use parking_lot::Mutex;
use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

mod describe;
mod model;
mod scenario;
mod sequences;
mod stage1;
mod stage2;
mod stage3;
mod stage3_edges;
mod stage4;

pub use describe::*;
pub use model::*;
use scenario::*;
use sequences::*;
pub use stage1::*;
pub use stage2::*;
pub use stage3::*;
pub use stage3_edges::*;
pub use stage4::*;

// ---------------------------------------------------------------------------------------------
// Criteria
// ---------------------------------------------------------------------------------------------

/// Random gate sequences on a one-level lot behave exactly like the model.
pub const ENTRY_EXIT_MODEL: Criterion = Criterion::new(
    "parking/stage1/entry-exit-model",
    1,
    5,
    "entry and exit behave like the model, step by step",
    "over random sequences of enter / exit / lost ticket / advance clock / board, every ticket (spot, entry time, a never-reused id), every receipt (spot, stay, fee), every refusal (its error kind) and the board equal the model's",
    "keep one record per ticket, keyed by ticket id; free the spot on exit; a refused call must change nothing",
);
/// A lot admits exactly its capacity, and exactly one more per exit.
pub const CAPACITY: Criterion = Criterion::new(
    "parking/stage1/capacity",
    1,
    3,
    "a lot of n spots admits exactly n, and one more per exit",
    "a lot of n spots admits exactly n vehicles, refuses the next with LotFull, and after one exit admits exactly one more — into the spot just freed",
    "exit must give the spot back to the pool the entry gate allocates from",
);
/// Every refusal is the right typed error and changes nothing.
pub const TYPED_ERRORS: Criterion = Criterion::new(
    "parking/stage1/typed-errors",
    1,
    4,
    "every refusal is its own typed error and changes nothing",
    "invalid plates, a plate already inside, a full lot, an unknown ticket, a ticket used twice, a lost ticket for a plate not inside and a layout with no spot are refused with InvalidPlate, AlreadyInside, LotFull, UnknownTicket, TicketAlreadyUsed, NotInside and NoSpots (checked in the documented order), and the board is unchanged after each refusal",
    "validate before you mutate; remember which tickets were settled so a second exit is refused, not re-billed",
);
/// After every vehicle leaves, the whole lot is free again.
pub const NO_SPOT_LEAKS: Criterion = Criterion::new(
    "parking/stage1/no-spot-leaks",
    1,
    3,
    "after everyone leaves, every spot is free again",
    "after any sequence of entries and exits, once every ticket still inside has exited the board shows the whole lot free and a full lot's worth of new vehicles is admitted",
    "key parked vehicles by ticket id, not by plate: a second entry must never overwrite the first one's record and strand its spot",
);
/// Vehicles go only into spots they fit.
pub const FIT_RULES: Criterion = Criterion::new(
    "parking/stage2/fit-rules",
    2,
    4,
    "vehicles get only spots they fit",
    "a motorcycle gets a motorcycle, compact or large spot, a car (electric or not) only a compact or large spot, a van only a large one, and a charging request only an electric spot; a vehicle is refused with LotFull { kind } exactly when no free spot fits it",
    "write the fit rule once (vehicle kind → spot kinds, smallest first) and allocate only from those",
);
/// The spot given is exactly the documented one.
pub const ALLOCATION_ORDER: Criterion = Criterion::new(
    "parking/stage2/allocation-order",
    2,
    4,
    "the spot given is the smallest fitting kind, lowest level, lowest number",
    "over random sequences on lots with several levels and spot kinds, every vehicle gets the free spot the model names: smallest fitting spot kind, then lowest level, then lowest spot number",
    "search the fitting kinds smallest first, and within a kind the (level, number) pairs in order — an ordered set or bitmap per kind gives the lowest free spot cheaply",
);
/// The board always equals the truth.
pub const BOARD: Criterion = Criterion::new(
    "parking/stage2/board",
    2,
    3,
    "the board always shows the true free spots per level and kind",
    "after every step, the board's free count for each level and spot kind equals the number of spots of that level and kind that hold no vehicle",
    "update the counter of the spot actually used (its level and kind), not of the vehicle's kind; or derive the board from the free sets",
);
/// A charging request gets the lowest free electric spot, and only an electric spot.
pub const CHARGING_ALLOCATION: Criterion = Criterion::new(
    "parking/stage2/charging-allocation",
    2,
    4,
    "a charging request gets the lowest free electric spot, or NoChargerFree",
    "enter_charging for an electric car gets the free electric spot on the lowest level with the lowest number, never a spot without a charger; when every electric spot is taken it is refused with NoChargerFree even if other spots are free, and the refusal changes nothing",
    "give a charging request its own fit list — electric spots only — and do not fall back to the car's list when the chargers are all taken",
);
/// Vehicles that do not charge never take an electric spot.
pub const CHARGERS_KEPT: Criterion = Criterion::new(
    "parking/stage2/chargers-kept-for-charging",
    2,
    3,
    "a vehicle that does not charge never takes an electric spot",
    "enter never gives an electric spot to any vehicle — an electric car that does not ask to charge included — even when electric spots are the only free ones: the vehicle is refused with LotFull and the chargers stay free",
    "leave Electric out of every vehicle kind's fit list for enter; it is not an overflow for the compact and large spots",
);
/// Only electric cars may charge, and charging refusals come in the documented order.
pub const CHARGING_ERRORS: Criterion = Criterion::new(
    "parking/stage2/charging-errors",
    2,
    2,
    "only electric cars may charge; charging refusals are typed and change nothing",
    "enter_charging for a motorcycle, car or van is refused with NotElectric { kind }; the refusals come in the documented order (InvalidPlate, NotElectric, AlreadyInside, NoChargerFree), and after each one the board is unchanged and the plate is not inside",
    "check the vehicle kind right after the plate, before looking up the plate or a charger, and before changing anything",
);
/// Hourly billing rounds up to the started hour.
pub const HOURLY_ROUNDING: Criterion = Criterion::new(
    "parking/stage3/hourly-rounding",
    3,
    4,
    "hourly billing counts started hours",
    "with an hourly tariff the fee is rate × started hours: 0 ns bills 0 hours, 1 ns bills 1, exactly 2 h bills 2, 2 h + 1 ns bills 3, 1 h 59 min bills 2",
    "hours = ceil(stay / 1 h) in integer nanoseconds: (ns + HOUR_NS - 1) / HOUR_NS, not floor + 1 and not floor",
);
/// Composed tariffs give the exact fee.
pub const EXACT_FEES: Criterion = Criterion::new(
    "parking/stage3/exact-fees",
    3,
    5,
    "composed tariffs give the exact fee, to the cent",
    "for random compositions of hourly, tiered, grace, daily-maximum and per-vehicle pricing and random stays (whole hours, ±1 ns, day edges, multi-day), the fee equals the oracle's, to the minor unit",
    "keep money in integer minor units end to end; interpret the pricing tree recursively, each node exactly as documented",
);
/// The grace period's edge is free; one nanosecond more pays the whole stay.
pub const GRACE_EDGE: Criterion = Criterion::new(
    "parking/stage3/grace-edge",
    3,
    3,
    "a stay of exactly the grace period is free",
    "a stay of at most the grace period (the edge included) costs 0; a stay 1 ns longer pays the inner pricing on the whole stay",
    "compare with <=, and bill the whole stay once it is over the grace, not the part after it",
);
/// The daily maximum caps each day, not the stay.
pub const DAILY_CAP: Criterion = Criterion::new(
    "parking/stage3/daily-cap",
    3,
    4,
    "the daily maximum caps each 24-hour day, not the whole stay",
    "with a daily maximum, a stay pays days × min(day's fee, max) + min(remainder's fee, max): exactly 24 h is one day, 24 h + 1 ns starts a second, a three-day stay pays three capped days",
    "cut the stay into whole days from entry and a remainder, and cap each piece; capping the total makes a week cost one day",
);
/// A longer stay never costs less.
pub const MONOTONIC_FEE: Criterion = Criterion::new(
    "parking/stage3/monotonic-fee",
    3,
    3,
    "a longer stay never costs less",
    "for any tariff and vehicle, two vehicles entering together and leaving at d1 ≤ d2 pay fee(d1) ≤ fee(d2)",
    "price each started hour by the tier it falls in; pricing every hour of a long stay at the last (cheapest) tier makes a longer stay cheaper",
);
/// The tariff in force at entry is the one billed.
pub const TARIFF_AT_ENTRY: Criterion = Criterion::new(
    "parking/stage3/tariff-at-entry",
    3,
    3,
    "vehicles pay the tariff in force when they entered",
    "after set_tariff, vehicles already inside are billed (on exit and on a lost ticket) with the tariff in force at their entry; vehicles entering later pay the new one",
    "store the tariff (an Arc) on the ticket's record at entry, and bill from that",
);
/// A lost ticket pays the larger of the fee and the charge, and settles the ticket.
pub const LOST_TICKET: Criterion = Criterion::new(
    "parking/stage3/lost-ticket",
    3,
    2,
    "a lost ticket pays max(fee, lost-ticket charge) and settles the ticket",
    "exit_lost_ticket(plate) charges the larger of the stay's fee and the lost-ticket charge, frees the spot, and the ticket is then refused with TicketAlreadyUsed",
    "a lost ticket must not be a discount on a long stay: charge max(fee, lost_ticket)",
);
/// Charging is billed per started hour of charging time, capped by the session.
pub const CHARGING_FEE: Criterion = Criterion::new(
    "parking/stage3/charging-fee",
    3,
    4,
    "charging is billed per started hour of min(stay, session), on top of parking",
    "a vehicle that entered charging pays the parking fee plus per_hour × started hours of min(stay, session), from the tariff in force at its entry — on exit and on a lost ticket (the larger of that total and the lost-ticket charge); a vehicle that entered without charging pays no charging",
    "the charger stops at the end of its session: bill min(stay, session), not the whole stay; and add charging after the pricing tree — grace and daily maximum price parking only",
);
/// A stay over which the clock stepped back is zero.
pub const CLOCK_BACKWARDS: Criterion = Criterion::new(
    "parking/stage3/clock-backwards",
    3,
    2,
    "a stay is exit reading minus entry reading, zero if the clock went backwards",
    "when the clock reads earlier at exit than at entry the receipt's stay is 0 and the fee is the fee of a zero stay (on a lost ticket, the lost-ticket charge); when it stepped back but still reads later than entry, the stay is the difference of the two readings",
    "compute the stay with now.saturating_sub(entered_at): never the distance between the readings, never a subtraction that panics",
);
/// Fees saturate instead of wrapping, and any stay the clock can measure is priced.
pub const SATURATING_FEES: Criterion = Criterion::new(
    "parking/stage3/saturating-fees",
    3,
    2,
    "fees saturate at u64::MAX, and the longest stay is priced exactly",
    "a fee whose exact value exceeds u64::MAX minor units — huge rates, tiers, daily maxima, parking plus charging, a lost ticket — is u64::MAX, never a wrapped or panicking sum; and a stay as long as the clock's whole range (u64::MAX ns) bills exactly its started hours",
    "use saturating_mul / saturating_add for money, and count started hours in u128 (or with div_ceil on the nanoseconds) rather than (ns + HOUR - 1) / HOUR in u64",
);
/// Per-vehicle pricing follows the vehicle, not the spot it was given.
pub const PRICED_BY_VEHICLE: Criterion = Criterion::new(
    "parking/stage3/priced-by-vehicle",
    3,
    3,
    "per-vehicle pricing follows the vehicle's kind, not the spot's",
    "with per-vehicle pricing, a motorcycle in a compact or large spot pays the motorcycle price, a car or an electric car in a large spot pays the car price — on exit and on a lost ticket",
    "bill from the vehicle kind stored at entry; the spot kind says where it parked, not what it is",
);
/// Gates racing for the last spots admit exactly the free spots.
pub const LAST_SPOTS_RACE: Criterion = Criterion::new(
    "parking/stage4/last-spots-race",
    4,
    5,
    "gates racing for the last spots admit exactly that many",
    "on a frozen clock, gate threads released together and racing for the last k spots admit exactly k vehicles, into k different spots, and refuse every other one with LotFull",
    "find the free spot and take it under one lock (or one compare-and-swap); checking, releasing the lock, then taking lets two gates take one spot",
);
/// Concurrent entries and exits: one vehicle per spot, one exit per ticket.
pub const GATES_CHURN: Criterion = Criterion::new(
    "parking/stage4/gates-churn",
    4,
    4,
    "concurrent gates: one vehicle per spot, one exit per ticket",
    "with gate threads entering and exiting at once, no spot ever holds two vehicles, every ticket exits exactly once (when two gates present the same ticket together, one succeeds and the other gets TicketAlreadyUsed), and afterwards every spot is free",
    "decide whether a ticket is still open and settle it in one critical section",
);
/// Two gates presenting one plate at once admit it once.
pub const SAME_PLATE_RACE: Criterion = Criterion::new(
    "parking/stage4/same-plate-race",
    4,
    3,
    "two gates admit one plate once",
    "when two gates admit the same plate at once — one of them held inside the clock reading while the other runs — exactly one gets a ticket, the other AlreadyInside, and one spot is taken",
    "check the plate and record it as inside in the same critical section as taking the spot",
);
/// An exit and a lost-ticket settlement of one car: one succeeds.
pub const EXIT_VERSUS_LOST: Criterion = Criterion::new(
    "parking/stage4/exit-versus-lost-ticket",
    4,
    3,
    "an exit and a lost-ticket settlement of one car settle it once",
    "when one gate exits a car by its ticket while another settles the same car as a lost ticket — one of them held inside the clock reading while the other runs — exactly one succeeds; the other gets TicketAlreadyUsed or NotInside, and the spot is freed once",
    "decide that the stay is open and close it in one critical section, whichever door it leaves by",
);

/// Every criterion, in rubric order.
pub const CRITERIA: &[Criterion] = &[
    ENTRY_EXIT_MODEL,
    CAPACITY,
    TYPED_ERRORS,
    NO_SPOT_LEAKS,
    FIT_RULES,
    ALLOCATION_ORDER,
    BOARD,
    CHARGING_ALLOCATION,
    CHARGERS_KEPT,
    CHARGING_ERRORS,
    HOURLY_ROUNDING,
    EXACT_FEES,
    GRACE_EDGE,
    DAILY_CAP,
    MONOTONIC_FEE,
    TARIFF_AT_ENTRY,
    LOST_TICKET,
    CHARGING_FEE,
    CLOCK_BACKWARDS,
    SATURATING_FEES,
    PRICED_BY_VEHICLE,
    LAST_SPOTS_RACE,
    GATES_CHURN,
    SAME_PLATE_RACE,
    EXIT_VERSUS_LOST,
];

/// Every criterion bound to the implementation `P`.
pub fn suite<P: ParkingLot + 'static>() -> Vec<Check> {
    vec![
        Check::new(&ENTRY_EXIT_MODEL, entry_exit_model::<P>),
        Check::new(&CAPACITY, capacity::<P>),
        Check::new(&TYPED_ERRORS, typed_errors::<P>),
        Check::new(&NO_SPOT_LEAKS, no_spot_leaks::<P>),
        Check::new(&FIT_RULES, fit_rules::<P>),
        Check::new(&ALLOCATION_ORDER, allocation_order::<P>),
        Check::new(&BOARD, board::<P>),
        Check::new(&CHARGING_ALLOCATION, charging_allocation::<P>),
        Check::new(&CHARGERS_KEPT, chargers_kept::<P>),
        Check::new(&CHARGING_ERRORS, charging_errors::<P>),
        Check::new(&HOURLY_ROUNDING, hourly_rounding::<P>),
        Check::new(&EXACT_FEES, exact_fees::<P>),
        Check::new(&GRACE_EDGE, grace_edge::<P>),
        Check::new(&DAILY_CAP, daily_cap::<P>),
        Check::new(&MONOTONIC_FEE, monotonic_fee::<P>),
        Check::new(&TARIFF_AT_ENTRY, tariff_at_entry::<P>),
        Check::new(&LOST_TICKET, lost_ticket::<P>),
        Check::new(&CHARGING_FEE, charging_fee::<P>),
        Check::new(&CLOCK_BACKWARDS, clock_backwards::<P>),
        Check::new(&SATURATING_FEES, saturating_fees::<P>),
        Check::new(&PRICED_BY_VEHICLE, priced_by_vehicle::<P>),
        Check::new(&LAST_SPOTS_RACE, last_spots_race::<P>),
        Check::new(&GATES_CHURN, gates_churn::<P>),
        Check::new(&SAME_PLATE_RACE, same_plate_race::<P>),
        Check::new(&EXIT_VERSUS_LOST, exit_versus_lost_ticket::<P>),
    ]
}

/// The contract's rules, each with the criteria that drive a solution into it. The contract
/// docs (`parking/mod.rs`) name each rule next to the statement it comes from.
pub const RULES: &[Rule] = &[
    Rule::new(
        "parking/fit",
        "A motorcycle fits a motorcycle, compact or large spot; a car (electric or not) a compact or large spot; a van only a large spot.",
        &[FIT_RULES.id, ALLOCATION_ORDER.id],
    ),
    Rule::new(
        "parking/chargers-kept",
        "enter never gives an electric spot to any vehicle, an electric car included, even when it is the only free spot.",
        &[CHARGERS_KEPT.id],
    ),
    Rule::new(
        "parking/charging-electric-spot-only",
        "enter_charging admits into an electric spot and nothing else.",
        &[CHARGING_ALLOCATION.id, FIT_RULES.id],
    ),
    Rule::new(
        "parking/no-charger-free",
        "When every charger is taken, enter_charging is refused with NoChargerFree, however many other spots are free.",
        &[CHARGING_ALLOCATION.id],
    ),
    Rule::new(
        "parking/allocation-order",
        "Among the free spots a vehicle fits: the smallest spot kind, then the lowest level, then the lowest number; a charging request gets the lowest free electric spot by level, then number.",
        &[ALLOCATION_ORDER.id, CHARGING_ALLOCATION.id, CAPACITY.id],
    ),
    Rule::new(
        "parking/only-electric-charges",
        "enter_charging from a vehicle that is not an electric car is refused with NotElectric.",
        &[CHARGING_ERRORS.id],
    ),
    Rule::new(
        "parking/enter-error-order",
        "enter checks InvalidPlate, then AlreadyInside, then LotFull.",
        &[TYPED_ERRORS.id],
    ),
    Rule::new(
        "parking/charging-error-order",
        "enter_charging checks InvalidPlate, then NotElectric, then AlreadyInside, then NoChargerFree.",
        &[CHARGING_ERRORS.id],
    ),
    Rule::new(
        "parking/already-inside",
        "A plate that is parked and has not left is refused with AlreadyInside.",
        &[TYPED_ERRORS.id, NO_SPOT_LEAKS.id, ENTRY_EXIT_MODEL.id],
    ),
    Rule::new(
        "parking/refusal-changes-nothing",
        "A call that returns an error changes nothing: the board, the vehicles inside and the tickets are as before.",
        &[CHARGING_ERRORS.id, CHARGING_ALLOCATION.id, TYPED_ERRORS.id],
    ),
    Rule::new(
        "parking/no-spots",
        "A layout with no spot at all is refused with NoSpots.",
        &[TYPED_ERRORS.id],
    ),
    Rule::new(
        "parking/unknown-ticket",
        "A ticket the lot never issued is refused with UnknownTicket.",
        &[TYPED_ERRORS.id, ENTRY_EXIT_MODEL.id],
    ),
    Rule::new(
        "parking/ticket-used-once",
        "A ticket already settled, by exit or as a lost ticket, is refused with TicketAlreadyUsed.",
        &[TYPED_ERRORS.id, GATES_CHURN.id],
    ),
    Rule::new(
        "parking/unique-ticket-ids",
        "A ticket id is unique among every ticket the lot has issued.",
        &[ENTRY_EXIT_MODEL.id],
    ),
    Rule::new(
        "parking/exit-frees-spot",
        "Exit frees the ticket's spot for the next vehicle.",
        &[CAPACITY.id, NO_SPOT_LEAKS.id, ENTRY_EXIT_MODEL.id],
    ),
    Rule::new(
        "parking/board",
        "The board shows the free spots per level and spot kind.",
        &[BOARD.id],
    ),
    Rule::new(
        "parking/started-hours",
        "started_hours(d) is d divided by one hour, rounded up: 0 ns is 0 hours, exactly 2 h is 2, 2 h + 1 ns is 3.",
        &[HOURLY_ROUNDING.id, EXACT_FEES.id],
    ),
    Rule::new(
        "parking/integer-money",
        "Money is a whole number of minor units, never a float.",
        &[EXACT_FEES.id],
    ),
    Rule::new(
        "parking/tiers",
        "Started hour k costs the per_hour of the tier it falls in; hours after the last tier cost then_per_hour.",
        &[EXACT_FEES.id, MONOTONIC_FEE.id],
    ),
    Rule::new(
        "parking/grace-inclusive",
        "A stay of at most the grace period, the edge included, is free.",
        &[GRACE_EDGE.id],
    ),
    Rule::new(
        "parking/grace-whole-stay",
        "A stay longer than the grace period pays the inner pricing on the whole stay.",
        &[GRACE_EDGE.id, EXACT_FEES.id],
    ),
    Rule::new(
        "parking/daily-max-per-day",
        "A daily maximum caps each whole 24-hour day from entry and the remainder on its own, not the stay.",
        &[DAILY_CAP.id, EXACT_FEES.id],
    ),
    Rule::new(
        "parking/tariff-at-entry",
        "A stay, its charging and its lost-ticket charge are billed with the tariff in force when the vehicle entered.",
        &[TARIFF_AT_ENTRY.id, CHARGING_FEE.id],
    ),
    Rule::new(
        "parking/lost-ticket-max",
        "A lost ticket pays the larger of the stay's fee (charging included) and the lost-ticket charge.",
        &[LOST_TICKET.id, CHARGING_FEE.id],
    ),
    Rule::new(
        "parking/lost-ticket-settles",
        "A lost-ticket settlement frees the spot and counts the ticket as used; a plate not inside is refused with NotInside.",
        &[LOST_TICKET.id, TYPED_ERRORS.id],
    ),
    Rule::new(
        "parking/charging-session",
        "Charging costs per_hour for each started hour of min(stay, session).",
        &[CHARGING_FEE.id],
    ),
    Rule::new(
        "parking/charging-only-when-charging",
        "Charging is billed only to a vehicle that entered with enter_charging.",
        &[CHARGING_FEE.id],
    ),
    Rule::new(
        "parking/charging-outside-pricing",
        "Grace, tiers and the daily maximum price parking, not charging: charging is added on top.",
        &[CHARGING_FEE.id],
    ),
    Rule::new(
        "parking/stay-clock-backwards",
        "A stay is the clock reading at exit minus the reading at entry, zero if the clock went backwards.",
        &[CLOCK_BACKWARDS.id],
    ),
    Rule::new(
        "parking/fees-saturate",
        "Fees saturate at u64::MAX minor units: parking, charging on top and a lost ticket included.",
        &[SATURATING_FEES.id],
    ),
    Rule::new(
        "parking/stay-any-length",
        "Any stay the clock can measure, up to its whole range, is priced by its started hours.",
        &[SATURATING_FEES.id],
    ),
    Rule::new(
        "parking/plate-format",
        "A plate is 1 to 10 characters, each an ASCII uppercase letter, a digit or '-'; anything else is InvalidPlate.",
        &[TYPED_ERRORS.id, ENTRY_EXIT_MODEL.id, CHARGING_ERRORS.id],
    ),
    Rule::new(
        "parking/per-vehicle-kind",
        "Per-vehicle pricing prices a stay by the vehicle's kind, an electric car as a car, whatever spot it was given.",
        &[PRICED_BY_VEHICLE.id, EXACT_FEES.id],
    ),
    Rule::new(
        "parking/gates-one-spot-each",
        "Gates sharing one lot never give one spot to two vehicles, and admit exactly as many vehicles as there are free spots.",
        &[LAST_SPOTS_RACE.id, GATES_CHURN.id],
    ),
    Rule::new(
        "parking/one-plate-across-gates",
        "Two gates admitting the same plate at once admit it once: the other is refused with AlreadyInside.",
        &[SAME_PLATE_RACE.id],
    ),
    Rule::new(
        "parking/settled-once-across-gates",
        "An exit and a lost-ticket settlement of the same car at once settle it once: the other is refused (TicketAlreadyUsed or NotInside) and the spot is freed once.",
        &[EXIT_VERSUS_LOST.id],
    ),
];
