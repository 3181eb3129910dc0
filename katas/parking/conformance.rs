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
use crate::clock::{Clock, ManualClock, YieldingClock};
use crate::grading::stress::run_gated;
use crate::grading::{Check, Criterion, Failure, Rule, Transcript, check_property};
use parking_lot::Mutex;
use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

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
/// Two gates admitting one plate at once admit it once.
pub const SAME_PLATE_RACE: Criterion = Criterion::new(
    "parking/stage4/same-plate-race",
    4,
    3,
    "two gates admitting the same plate at once admit it once",
    "two gate threads calling enter with the same plate at the same time, plate after plate: exactly one gets a ticket and the other gets AlreadyInside",
    "check that the plate is not inside and register it in one critical section (or one map entry / compare-and-swap); checking, releasing the lock, then registering lets both gates in",
);
/// An exit and a lost-ticket settlement of one car at once settle it once.
pub const EXIT_LOST_RACE: Criterion = Criterion::new(
    "parking/stage4/exit-lost-race",
    4,
    3,
    "an exit and a lost ticket for the same car at once settle it once",
    "one gate thread calling exit(ticket) while another calls exit_lost_ticket(plate) for the same car: exactly one gets a receipt and the other TicketAlreadyUsed or NotInside",
    "decide that the stay is still open and close it in one critical section, whichever gate settles it",
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
    EXIT_LOST_RACE,
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
        Check::new(&EXIT_LOST_RACE, exit_lost_race::<P>),
    ]
}

// ---------------------------------------------------------------------------------------------
// The oracle and the model
// ---------------------------------------------------------------------------------------------

/// The exact fee, computed as plainly as possible: hour by hour, day by day.
pub fn oracle_fee(pricing: &Pricing, kind: VehicleKind, stay: Duration) -> u64 {
    match pricing {
        Pricing::Free => 0,
        Pricing::Hourly { per_hour } => each_started_hour(stay, |_| per_hour.0),
        Pricing::Tiered {
            tiers,
            then_per_hour,
        } => each_started_hour(stay, |hour| {
            // Hour `hour` (from 1) falls in the first tier whose range reaches it.
            let mut last_hour_of_tier = 0u64;
            for tier in tiers {
                last_hour_of_tier = last_hour_of_tier.saturating_add(tier.hours);
                if hour <= last_hour_of_tier {
                    return tier.per_hour.0;
                }
            }
            then_per_hour.0
        }),
        Pricing::Grace { grace, then } => {
            if stay <= *grace {
                0
            } else {
                oracle_fee(then, kind, stay)
            }
        }
        Pricing::DailyMax { max, within } => {
            let mut left = stay;
            let mut fee = 0;
            while left > DAY {
                fee = oracle_fee(within, kind, DAY).min(max.0).saturating_add(fee);
                left -= DAY;
            }
            fee.saturating_add(oracle_fee(within, kind, left).min(max.0))
        }
        Pricing::PerVehicle {
            motorcycle,
            car,
            van,
        } => match kind {
            VehicleKind::Motorcycle => oracle_fee(motorcycle, kind, stay),
            VehicleKind::Car | VehicleKind::ElectricCar => oracle_fee(car, kind, stay),
            VehicleKind::Van => oracle_fee(van, kind, stay),
        },
    }
}

/// The exact charging fee: `per_hour` for every hour the charger has started, the charger
/// running from entry until the stay or the session ends, whichever is first.
pub fn oracle_charging(charging: &Charging, stay: Duration) -> u64 {
    let charged = if stay < charging.session {
        stay
    } else {
        charging.session
    };
    each_started_hour(charged, |_| charging.per_hour.0)
}

/// Sums `price(k)` over every hour `k` (from 1) that the stay has started, saturating at
/// `u64::MAX` as fees do.
fn each_started_hour(stay: Duration, price: impl Fn(u64) -> u64) -> u64 {
    let mut fee = 0u64;
    let mut hour = 0;
    // Hour k has started once more than k - 1 whole hours have passed.
    while HOUR * hour < stay {
        hour += 1;
        fee = fee.saturating_add(price(u64::from(hour)));
    }
    fee
}

/// Whether a vehicle of kind `v` that does not charge fits a spot of kind `s`. No vehicle fits
/// an electric spot this way: those are for charging requests only.
pub fn fits(v: VehicleKind, s: SpotKind) -> bool {
    match s {
        SpotKind::Electric => false,
        SpotKind::Motorcycle => v == VehicleKind::Motorcycle,
        SpotKind::Compact => v != VehicleKind::Van,
        SpotKind::Large => true,
    }
}

fn plate_is_valid(plate: &str) -> bool {
    !plate.is_empty()
        && plate.chars().count() <= 10
        && plate
            .chars()
            .all(|c| matches!(c, 'A'..='Z' | '0'..='9' | '-'))
}

/// A parking lot written to be obviously right: a list of every spot, scanned on every entry.
#[derive(Debug, Clone)]
pub struct Model {
    layout: Vec<LevelSpots>,
    /// Every spot, and the index of the ticket parked in it.
    spots: Vec<(SpotId, Option<usize>)>,
    tickets: Vec<ModelTicket>,
    tariff: Tariff,
}

#[derive(Debug, Clone)]
struct ModelTicket {
    plate: String,
    kind: VehicleKind,
    charging: bool,
    spot: usize,
    entered_at: Duration,
    tariff: Tariff,
    open: bool,
}

impl Model {
    /// An empty lot.
    pub fn new(config: &LotConfig) -> Self {
        let mut spots = Vec::new();
        for (level, counts) in config.levels.iter().enumerate() {
            for kind in SpotKind::ALL {
                for number in 0..counts.get(kind) {
                    spots.push((
                        SpotId {
                            level,
                            kind,
                            number,
                        },
                        None,
                    ));
                }
            }
        }
        Self {
            layout: config.levels.clone(),
            spots,
            tickets: Vec::new(),
            tariff: config.tariff.clone(),
        }
    }

    /// Admits a vehicle that does not charge; on success returns the ticket's index and its
    /// spot.
    pub fn enter(
        &mut self,
        plate: &str,
        kind: VehicleKind,
        now: Duration,
    ) -> Result<(usize, SpotId), EnterError> {
        self.admit(plate, kind, now, false)
    }

    /// Admits a vehicle that wants to charge; on success returns the ticket's index and its
    /// spot.
    pub fn enter_charging(
        &mut self,
        plate: &str,
        kind: VehicleKind,
        now: Duration,
    ) -> Result<(usize, SpotId), EnterError> {
        self.admit(plate, kind, now, true)
    }

    fn admit(
        &mut self,
        plate: &str,
        kind: VehicleKind,
        now: Duration,
        charging: bool,
    ) -> Result<(usize, SpotId), EnterError> {
        if !plate_is_valid(plate) {
            return Err(EnterError::InvalidPlate {
                plate: plate.into(),
            });
        }
        if charging && kind != VehicleKind::ElectricCar {
            return Err(EnterError::NotElectric { kind });
        }
        if self.tickets.iter().any(|t| t.open && t.plate == plate) {
            return Err(EnterError::AlreadyInside {
                plate: plate.into(),
            });
        }
        let takes = |spot: SpotKind| {
            if charging {
                spot == SpotKind::Electric
            } else {
                fits(kind, spot)
            }
        };
        let best = (0..self.spots.len())
            .filter(|&i| self.spots[i].1.is_none() && takes(self.spots[i].0.kind))
            .min_by_key(|&i| {
                let s = self.spots[i].0;
                (s.kind, s.level, s.number)
            })
            .ok_or(if charging {
                EnterError::NoChargerFree
            } else {
                EnterError::LotFull { kind }
            })?;
        let index = self.tickets.len();
        self.spots[best].1 = Some(index);
        self.tickets.push(ModelTicket {
            plate: plate.into(),
            kind,
            charging,
            spot: best,
            entered_at: now,
            tariff: self.tariff.clone(),
            open: true,
        });
        Ok((index, self.spots[best].0))
    }

    /// Settles ticket `index` (whose id is `id`).
    pub fn exit(
        &mut self,
        index: usize,
        id: TicketId,
        now: Duration,
        lost: bool,
    ) -> Result<Receipt, ExitError> {
        let t = &mut self.tickets[index];
        if !t.open {
            return Err(ExitError::TicketAlreadyUsed(id));
        }
        t.open = false;
        self.spots[t.spot].1 = None;
        let stay = now.saturating_sub(t.entered_at);
        let mut fee = oracle_fee(&t.tariff.pricing, t.kind, stay);
        if t.charging {
            fee = fee.saturating_add(oracle_charging(&t.tariff.charging, stay));
        }
        if lost {
            fee = fee.max(t.tariff.lost_ticket.0);
        }
        Ok(Receipt {
            ticket: id,
            spot: self.spots[t.spot].0,
            stay,
            fee: Money(fee),
        })
    }

    /// The open ticket of `plate`, if any.
    pub fn inside(&self, plate: &str) -> Option<usize> {
        self.tickets.iter().position(|t| t.open && t.plate == plate)
    }

    /// Changes the tariff for later entries.
    pub fn set_tariff(&mut self, tariff: Tariff) {
        self.tariff = tariff;
    }

    /// Free spots per level and kind.
    pub fn board(&self) -> Board {
        let mut free = vec![LevelSpots::default(); self.layout.len()];
        for (spot, occupant) in &self.spots {
            if occupant.is_none() {
                *free[spot.level].get_mut(spot.kind) += 1;
            }
        }
        Board { free }
    }
}

// ---------------------------------------------------------------------------------------------
// How things are written in failures
// ---------------------------------------------------------------------------------------------

/// A duration as `1d02h03m04s+5ns` (days only when there are some, nanoseconds likewise).
///
/// ```
/// use lld_katas::parking::{conformance::dur, DAY, HOUR};
/// use std::time::Duration;
/// assert_eq!(dur(2 * HOUR + Duration::from_nanos(1)), "2h00m00s+1ns");
/// assert_eq!(dur(DAY + 3 * HOUR), "1d03h00m00s");
/// ```
pub fn dur(d: Duration) -> String {
    let secs = d.as_secs();
    let mut out = String::new();
    if secs >= 86_400 {
        let _ = write!(out, "{}d", secs / 86_400);
    }
    let rest = secs % 86_400;
    let width = if secs >= 86_400 { 2 } else { 1 };
    let _ = write!(
        out,
        "{:0width$}h{:02}m{:02}s",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    );
    if d.subsec_nanos() > 0 {
        let _ = write!(out, "+{}ns", d.subsec_nanos());
    }
    out
}

/// A pricing in words.
pub fn describe_pricing(p: &Pricing) -> String {
    match p {
        Pricing::Free => "free".into(),
        Pricing::Hourly { per_hour } => format!("{per_hour} per started hour"),
        Pricing::Tiered {
            tiers,
            then_per_hour,
        } => {
            let tiers: Vec<String> = tiers
                .iter()
                .map(|t| format!("{} h at {}", t.hours, t.per_hour))
                .collect();
            format!(
                "tiers [{}] then {then_per_hour} per started hour",
                tiers.join(", ")
            )
        }
        Pricing::Grace { grace, then } => {
            format!(
                "free up to {}, else ({})",
                dur(*grace),
                describe_pricing(then)
            )
        }
        Pricing::DailyMax { max, within } => {
            format!(
                "({}) capped at {max} per 24 h day",
                describe_pricing(within)
            )
        }
        Pricing::PerVehicle {
            motorcycle,
            car,
            van,
        } => format!(
            "motorcycle: ({}); car: ({}); van: ({})",
            describe_pricing(motorcycle),
            describe_pricing(car),
            describe_pricing(van)
        ),
    }
}

fn describe_tariff(t: &Tariff) -> String {
    let charging = if t.charging == Charging::FREE {
        String::new()
    } else {
        format!(
            "; charging {} per started hour, session {}",
            t.charging.per_hour,
            dur(t.charging.session)
        )
    };
    format!(
        "tariff {}; lost ticket {}{charging}",
        describe_pricing(&t.pricing),
        t.lost_ticket
    )
}

fn describe_layout(levels: &[LevelSpots]) -> String {
    let levels: Vec<String> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "level {i}: {} motorcycle, {} compact, {} large, {} electric",
                l.motorcycle, l.compact, l.large, l.electric
            )
        })
        .collect();
    levels.join("; ")
}

fn describe_config(c: &LotConfig) -> String {
    format!(
        "{}; {}",
        describe_layout(&c.levels),
        describe_tariff(&c.tariff)
    )
}

fn describe_board(b: &Board) -> String {
    let levels: Vec<String> = b
        .free
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "L{i} {}/{}/{}/{}",
                l.motorcycle, l.compact, l.large, l.electric
            )
        })
        .collect();
    format!(
        "free (motorcycle/compact/large/electric) {}",
        levels.join(", ")
    )
}

/// A gate's answer at the entry, in words.
pub fn entered(r: &Result<Ticket, EnterError>) -> String {
    match r {
        Ok(t) => format!("ticket #{} for {} at {}", t.id.0, t.spot, dur(t.entered_at)),
        Err(e) => format!("Err({e:?})"),
    }
}

/// A gate's answer at the exit, in words.
pub fn exited(r: &Result<Receipt, ExitError>) -> String {
    match r {
        Ok(r) => format!(
            "receipt for ticket #{}: {} freed, stay {}, fee {}",
            r.ticket.0,
            r.spot,
            dur(r.stay),
            r.fee
        ),
        Err(e) => format!("Err({e:?})"),
    }
}

// ---------------------------------------------------------------------------------------------
// A lot under test, with a transcript
// ---------------------------------------------------------------------------------------------

/// Where every scenario's clock starts: not the origin, so entry times must come from the clock.
const OPENING: Duration = Duration::from_secs(7 * 3_600);

/// One lot on a manual clock, with a transcript of everything done to it.
struct Scenario<P> {
    clock: ManualClock,
    lot: P,
    log: RefCell<Transcript>,
}

impl<P: ParkingLot> Scenario<P> {
    fn new(config: LotConfig) -> Result<Self, Failure> {
        let clock = ManualClock::starting_at(OPENING);
        let log = Transcript::new(format!(
            "{}; clock starts at {}",
            describe_config(&config),
            dur(OPENING)
        ));
        match P::new(config, Arc::new(clock.clone())) {
            Ok(lot) => Ok(Self {
                clock,
                lot,
                log: RefCell::new(log),
            }),
            Err(e) => Err(Failure::new(
                log,
                "an empty lot (the layout has spots)",
                format!("new() returned Err({e:?})"),
            )),
        }
    }

    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.note(format!("advance {} → t={}", dur(by), dur(self.now())));
    }

    fn set_clock(&self, at: Duration) {
        self.clock.set(at);
        self.note(format!("clock set to t={}", dur(self.now())));
    }

    fn note(&self, line: impl Into<String>) {
        self.log.borrow_mut().step(line);
    }

    fn enter(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        let r = self.lot.enter(plate, kind);
        self.note(format!("enter({plate:?}, {kind:?}) → {}", entered(&r)));
        r
    }

    fn enter_charging(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        let r = self.lot.enter_charging(plate, kind);
        self.note(format!(
            "enter_charging({plate:?}, {kind:?}) → {}",
            entered(&r)
        ));
        r
    }

    fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError> {
        let r = self.lot.exit(ticket);
        self.note(format!("exit(#{}) → {}", ticket.0, exited(&r)));
        r
    }

    fn lost(&self, plate: &str) -> Result<Receipt, ExitError> {
        let r = self.lot.exit_lost_ticket(plate);
        self.note(format!("exit_lost_ticket({plate:?}) → {}", exited(&r)));
        r
    }

    fn set_tariff(&self, tariff: Tariff) {
        self.note(format!("set_tariff: {}", describe_tariff(&tariff)));
        self.lot.set_tariff(tariff);
    }

    fn board(&self) -> Board {
        let b = self.lot.board();
        self.note(format!("board() → {}", describe_board(&b)));
        b
    }

    fn fail(&self, expected: impl fmt::Display, got: impl fmt::Display) -> Failure {
        Failure::new(&*self.log.borrow(), expected, got)
    }

    /// Fails unless `got` is exactly `want`.
    fn expect_entry(
        &self,
        got: &Result<Ticket, EnterError>,
        want: &Result<Ticket, EnterError>,
    ) -> Result<(), Failure> {
        if got != want {
            return Err(self.fail(entered(want), entered(got)));
        }
        Ok(())
    }

    fn expect_exit(
        &self,
        got: &Result<Receipt, ExitError>,
        want: &Result<Receipt, ExitError>,
    ) -> Result<(), Failure> {
        if got != want {
            return Err(self.fail(exited(want), exited(got)));
        }
        Ok(())
    }

    fn expect_board(&self, want: &Board) -> Result<(), Failure> {
        let got = self.board();
        if got != *want {
            return Err(self.fail(describe_board(want), describe_board(&got)));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Random gate sequences
// ---------------------------------------------------------------------------------------------

/// Plates the sequences use: valid ones first, then invalid ones.
const PLATES: &[&str] = &[
    "AB-123",
    "CD-456",
    "EF-789",
    "GHJKLMN-10",
    "JK-22",
    "LM-333",
    "NP-4",
    "QR-5",
    "",
    "ab-123",
    "ABCDEFGHIJK",
    "AB 12",
];
const VALID_PLATES: usize = 8;

/// A step of a random gate sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A vehicle arrives (plate index into [`PLATES`]).
    Enter(usize, VehicleKind),
    /// A vehicle arrives and asks to charge.
    EnterCharging(usize, VehicleKind),
    /// The ticket issued n-th (modulo the tickets issued so far) is presented at the exit.
    Exit(usize),
    /// A ticket never issued is presented.
    ExitUnknown,
    /// The driver of this plate lost the ticket.
    Lost(usize),
    /// Time passes.
    Advance(Duration),
    /// Someone reads the board.
    Board,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Enter(p, k) => write!(f, "enter({:?}, {k:?})", PLATES[*p]),
            Step::EnterCharging(p, k) => write!(f, "enter_charging({:?}, {k:?})", PLATES[*p]),
            Step::Exit(i) => write!(f, "exit(ticket issued #{i})"),
            Step::ExitUnknown => write!(f, "exit(a ticket never issued)"),
            Step::Lost(p) => write!(f, "exit_lost_ticket({:?})", PLATES[*p]),
            Step::Advance(d) => write!(f, "advance {}", dur(*d)),
            Step::Board => write!(f, "board()"),
        }
    }
}

/// Random gate sequences over `plates` valid plates and vehicles of `kinds`; with `charging`
/// weight above 0, some arrivals ask to charge (mostly electric cars, sometimes not).
fn steps(
    kinds: &'static [VehicleKind],
    plates: usize,
    charging: u32,
) -> impl Strategy<Value = Vec<Step>> {
    let valid = 0..plates.min(VALID_PLATES);
    let plate = prop_oneof![6 => valid.clone(), 1 => VALID_PLATES..PLATES.len()];
    let kind = prop::sample::select(kinds);
    let advance = prop_oneof![
        Just(Duration::from_nanos(1)),
        Just(Duration::from_secs(59 * 60)),
        Just(HOUR),
        (0u64..4 * 3_600).prop_map(Duration::from_secs),
    ];
    let mut options: Vec<(u32, BoxedStrategy<Step>)> = vec![
        (
            6,
            (plate.clone(), kind)
                .prop_map(|(p, k)| Step::Enter(p, k))
                .boxed(),
        ),
        (4, (0usize..16).prop_map(Step::Exit).boxed()),
        (1, Just(Step::ExitUnknown).boxed()),
        (1, valid.prop_map(Step::Lost).boxed()),
        (2, advance.prop_map(Step::Advance).boxed()),
        (2, Just(Step::Board).boxed()),
    ];
    if charging > 0 {
        let charger = prop_oneof![
            4 => Just(VehicleKind::ElectricCar),
            1 => prop::sample::select(&VehicleKind::ALL[..]),
        ];
        let charge = (plate, charger).prop_map(|(p, k)| Step::EnterCharging(p, k));
        options.push((charging, charge.boxed()));
    }
    prop::collection::vec(prop::strategy::Union::new_weighted(options), 1..40)
}

/// A one-level lot of 1–4 compact spots, free parking: the stage-1 lot.
fn stage1_lot() -> impl Strategy<Value = LotConfig> {
    (1usize..=4).prop_map(|n| LotConfig::compact(n, Tariff::free()))
}

/// 1–3 levels of 0–2 spots of each kind (at least one spot in all), free parking.
fn stage2_lot() -> impl Strategy<Value = LotConfig> {
    let level = (0usize..=2, 0usize..=2, 0usize..=2, 0usize..=2);
    prop::collection::vec(level, 1..=3).prop_map(|levels| {
        let mut levels: Vec<LevelSpots> = levels
            .into_iter()
            .map(|(m, c, l, e)| LevelSpots::new(m, c, l).with_electric(e))
            .collect();
        if levels.iter().all(|l| l.total() == 0) {
            levels[0].compact = 1;
        }
        LotConfig::new(levels, Tariff::free())
    })
}

const CARS: &[VehicleKind] = &[VehicleKind::Car];
const ALL_KINDS: &[VehicleKind] = &VehicleKind::ALL;

/// A ticket id that `issued` does not contain.
fn never_issued(issued: &[TicketId]) -> TicketId {
    let mut id = 1_000_000_007;
    while issued.contains(&TicketId(id)) {
        id += 1;
    }
    TicketId(id)
}

/// Replays `steps` on the lot and on the model side by side; every answer must match.
fn run_model<P: ParkingLot>(
    config: LotConfig,
    steps: &[Step],
    compare_board: bool,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(config.clone())?;
    let mut model = Model::new(&config);
    // The id the lot gave to the model's ticket i.
    let mut ids: Vec<TicketId> = Vec::new();
    for step in steps {
        let now = s.now();
        match *step {
            Step::Enter(p, kind) | Step::EnterCharging(p, kind) => {
                let plate = PLATES[p];
                let (want, got) = if matches!(step, Step::EnterCharging(..)) {
                    (
                        model.enter_charging(plate, kind, now),
                        s.enter_charging(plate, kind),
                    )
                } else {
                    (model.enter(plate, kind, now), s.enter(plate, kind))
                };
                if let (Ok((_, spot)), Ok(t)) = (&want, &got) {
                    if ids.contains(&t.id) {
                        return Err(s.fail(
                            "a new ticket id",
                            format!("ticket #{} was already issued", t.id.0),
                        ));
                    }
                    let want = Ok(Ticket {
                        id: t.id,
                        spot: *spot,
                        entered_at: now,
                    });
                    s.expect_entry(&got, &want)?;
                    ids.push(t.id);
                } else {
                    let want = want.map(|(_, spot)| Ticket {
                        id: TicketId(0),
                        spot,
                        entered_at: now,
                    });
                    s.expect_entry(&got, &want)?;
                }
            }
            Step::Exit(i) => {
                if ids.is_empty() {
                    continue;
                }
                let i = i % ids.len();
                let want = model.exit(i, ids[i], now, false);
                let got = s.exit(ids[i]);
                s.expect_exit(&got, &want)?;
            }
            Step::ExitUnknown => {
                let id = never_issued(&ids);
                let got = s.exit(id);
                s.expect_exit(&got, &Err(ExitError::UnknownTicket(id)))?;
            }
            Step::Lost(p) => {
                let plate = PLATES[p];
                let want = match model.inside(plate) {
                    Some(i) => model.exit(i, ids[i], now, true),
                    None => Err(ExitError::NotInside {
                        plate: plate.into(),
                    }),
                };
                let got = s.lost(plate);
                s.expect_exit(&got, &want)?;
            }
            Step::Advance(d) => s.advance(d),
            Step::Board => {
                if compare_board {
                    s.expect_board(&model.board())?;
                }
            }
        }
    }
    if compare_board {
        s.expect_board(&model.board())?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Stage 1
// ---------------------------------------------------------------------------------------------

/// Random sequences on a one-level lot match the model in every answer.
pub fn entry_exit_model<P: ParkingLot>() -> Result<(), Failure> {
    check_property(
        &ENTRY_EXIT_MODEL,
        300,
        (stage1_lot(), steps(CARS, 5, 0)),
        |(config, steps)| run_model::<P>(config, &steps, true),
    )
}

/// Exactly n admitted; the next refused; one exit lets exactly one more in, into that spot.
pub fn capacity<P: ParkingLot>() -> Result<(), Failure> {
    check_property(
        &CAPACITY,
        60,
        (1usize..=12, any::<prop::sample::Index>()),
        |(n, leaver)| {
            let s = Scenario::<P>::new(LotConfig::compact(n, Tariff::free()))?;
            let mut tickets = Vec::new();
            for i in 0..n {
                let got = s.enter(&format!("CAR-{i}"), VehicleKind::Car);
                match got {
                    Ok(t) => tickets.push(t),
                    Err(_) => {
                        return Err(s.fail(
                            format!("admitted: car {} of a lot of {n}", i + 1),
                            entered(&got),
                        ));
                    }
                }
            }
            let full = Err(EnterError::LotFull {
                kind: VehicleKind::Car,
            });
            let got = s.enter("ONE-MORE", VehicleKind::Car);
            if got != full {
                return Err(s.fail(entered(&full), entered(&got)));
            }
            let leaving = &tickets[leaver.index(n)];
            if let Err(e) = s.exit(leaving.id) {
                return Err(s.fail("a receipt", format!("Err({e:?})")));
            }
            let got = s.enter("LATE-1", VehicleKind::Car);
            match &got {
                Ok(t) if t.spot == leaving.spot => {}
                _ => {
                    return Err(s.fail(
                        format!("a ticket for {}, the spot just freed", leaving.spot),
                        entered(&got),
                    ));
                }
            }
            let got = s.enter("LATE-2", VehicleKind::Car);
            if got != full {
                return Err(s.fail(entered(&full), entered(&got)));
            }
            Ok(())
        },
    )
}

/// Each refusal has its own error kind, in the documented order, and changes nothing.
pub fn typed_errors<P: ParkingLot>() -> Result<(), Failure> {
    for levels in [vec![], vec![LevelSpots::default(); 3]] {
        let config = LotConfig::new(levels, Tariff::free());
        let got = P::new(config.clone(), Arc::new(ManualClock::new())).err();
        if got != Some(ConfigError::NoSpots) {
            return Err(Failure::new(
                format!("new(): {}", describe_config(&config)),
                "Err(NoSpots)",
                match got {
                    None => "a lot".to_string(),
                    Some(e) => format!("Err({e:?})"),
                },
            ));
        }
    }
    let s = Scenario::<P>::new(LotConfig::compact(2, Tariff::new(Pricing::hourly(100), 0)))?;
    let car = VehicleKind::Car;
    let unchanged = |s: &Scenario<P>, free: usize| {
        s.expect_board(&Board {
            free: vec![LevelSpots::new(0, free, 0)],
        })
    };
    let invalid = |plate: &str| {
        Err(EnterError::InvalidPlate {
            plate: plate.into(),
        })
    };
    for plate in ["", "ab-1", "AB 1", "ABCDEFGHIJK", "ÄB-1", "AB_1"] {
        s.expect_entry(&s.enter(plate, car), &invalid(plate))?;
    }
    unchanged(&s, 2)?;
    // The longest plate, 10 characters, is valid; every character of the alphabet is.
    for plate in ["ABCDEFG-10", "HIJKLMNOPQ", "RSTUVWXYZ9", "0123456789"] {
        let got = s.enter(plate, car);
        let Ok(t) = got else {
            return Err(s.fail(
                format!(
                    "a ticket: {plate:?} is a valid plate of {} characters",
                    plate.len()
                ),
                entered(&got),
            ));
        };
        if let Err(e) = s.exit(t.id) {
            return Err(s.fail("a receipt", format!("Err({e:?})")));
        }
    }
    let first = s.enter("AB-1", car);
    let Ok(first) = first else {
        return Err(s.fail("a ticket", entered(&first)));
    };
    let inside = |plate: &str| {
        Err(EnterError::AlreadyInside {
            plate: plate.into(),
        })
    };
    s.expect_entry(&s.enter("AB-1", car), &inside("AB-1"))?;
    s.expect_entry(&s.enter("AB-1", VehicleKind::Motorcycle), &inside("AB-1"))?;
    unchanged(&s, 1)?;
    let second = s.enter("CD-2", car);
    let Ok(second) = second else {
        return Err(s.fail("a ticket", entered(&second)));
    };
    let full = Err(EnterError::LotFull { kind: car });
    s.expect_entry(&s.enter("EF-3", car), &full)?;
    // Precedence: an invalid plate, then a plate inside, before a full lot.
    s.expect_entry(&s.enter("AB-1", car), &inside("AB-1"))?;
    s.expect_entry(&s.enter("e", car), &invalid("e"))?;
    unchanged(&s, 0)?;
    let unknown = never_issued(&[first.id, second.id]);
    s.expect_exit(&s.exit(unknown), &Err(ExitError::UnknownTicket(unknown)))?;
    s.advance(HOUR);
    let got = s.exit(first.id);
    if got.is_err() {
        return Err(s.fail("a receipt", exited(&got)));
    }
    s.advance(HOUR);
    let used = Err(ExitError::TicketAlreadyUsed(first.id));
    s.expect_exit(&s.exit(first.id), &used)?;
    s.expect_exit(&s.exit(first.id), &used)?;
    unchanged(&s, 1)?;
    // The same car may come back after leaving, and gets the spot it left.
    let again = s.enter("AB-1", car);
    if again.as_ref().map(|t| t.spot) != Ok(first.spot) {
        return Err(s.fail(format!("a ticket for {}", first.spot), entered(&again)));
    }
    let not_inside = Err(ExitError::NotInside {
        plate: "ZZ-9".into(),
    });
    s.expect_exit(&s.lost("ZZ-9"), &not_inside)?;
    unchanged(&s, 0)?;
    let got = s.lost("CD-2");
    if got.is_err() {
        return Err(s.fail("a receipt for the lost ticket", exited(&got)));
    }
    s.expect_exit(
        &s.exit(second.id),
        &Err(ExitError::TicketAlreadyUsed(second.id)),
    )?;
    s.expect_exit(
        &s.lost("CD-2"),
        &Err(ExitError::NotInside {
            plate: "CD-2".into(),
        }),
    )?;
    unchanged(&s, 1)
}

/// Runs `steps`, then exits everyone still inside, then checks the whole lot is free.
fn drains_clean<P: ParkingLot>(config: LotConfig, steps: &[Step]) -> Result<(), Failure> {
    let capacity: usize = config.levels.iter().map(LevelSpots::total).sum();
    let layout = Board {
        free: config.levels.clone(),
    };
    let s = Scenario::<P>::new(config)?;
    let mut issued: Vec<TicketId> = Vec::new();
    let mut open: Vec<TicketId> = Vec::new();
    for step in steps {
        match *step {
            Step::Enter(p, kind) => {
                if let Ok(t) = s.enter(PLATES[p], kind) {
                    issued.push(t.id);
                    open.push(t.id);
                }
            }
            Step::Exit(i) if !issued.is_empty() => {
                if let Ok(r) = s.exit(issued[i % issued.len()]) {
                    open.retain(|&id| id != r.ticket);
                }
            }
            Step::Lost(p) => {
                if let Ok(r) = s.lost(PLATES[p]) {
                    open.retain(|&id| id != r.ticket);
                }
            }
            Step::Advance(d) => s.advance(d),
            _ => {}
        }
    }
    s.note("every ticket still inside exits:");
    for id in open {
        let _ = s.exit(id);
    }
    s.expect_board(&layout)?;
    for i in 0..capacity {
        let got = s.enter(&format!("FILL-{i}"), VehicleKind::Motorcycle);
        if got.is_err() {
            return Err(s.fail(
                format!(
                    "motorcycle {} of {capacity} admitted: the lot is empty again",
                    i + 1
                ),
                entered(&got),
            ));
        }
    }
    Ok(())
}

/// After any sequence, once everyone still inside exits, the whole lot is free.
pub fn no_spot_leaks<P: ParkingLot>() -> Result<(), Failure> {
    // The classic leak: the same plate entering twice, then both of its tickets presented.
    let twice = [
        Step::Enter(0, VehicleKind::Car),
        Step::Enter(0, VehicleKind::Car),
        Step::Exit(0),
        Step::Exit(1),
    ];
    drains_clean::<P>(LotConfig::compact(2, Tariff::free()), &twice)?;
    check_property(
        &NO_SPOT_LEAKS,
        200,
        (stage1_lot(), steps(CARS, 5, 0)),
        |(config, steps)| drains_clean::<P>(config, &steps),
    )
}

// ---------------------------------------------------------------------------------------------
// Stage 2
// ---------------------------------------------------------------------------------------------

/// Replays `steps`, tracking the spots the lot itself says are taken, and calls `check` after
/// every step with the lot's tickets still inside.
fn replay_tracked<P: ParkingLot>(
    config: LotConfig,
    steps: &[Step],
    mut check: impl FnMut(
        &Scenario<P>,
        &Step,
        &Result<Ticket, EnterError>,
        &[Ticket],
    ) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(config)?;
    let mut issued: Vec<TicketId> = Vec::new();
    let mut inside: Vec<Ticket> = Vec::new();
    for step in steps {
        let mut entry = Err(EnterError::LotFull {
            kind: VehicleKind::Car,
        });
        match *step {
            Step::Enter(p, kind) => {
                entry = s.enter(PLATES[p], kind);
                if let Ok(t) = &entry {
                    issued.push(t.id);
                }
            }
            Step::EnterCharging(p, kind) => {
                entry = s.enter_charging(PLATES[p], kind);
                if let Ok(t) = &entry {
                    issued.push(t.id);
                }
            }
            Step::Exit(i) if !issued.is_empty() => {
                if let Ok(r) = s.exit(issued[i % issued.len()]) {
                    inside.retain(|t| t.id != r.ticket);
                }
            }
            Step::Lost(p) => {
                if let Ok(r) = s.lost(PLATES[p]) {
                    inside.retain(|t| t.id != r.ticket);
                }
            }
            Step::Advance(d) => s.advance(d),
            _ => {}
        }
        check(&s, step, &entry, &inside)?;
        if let Ok(t) = entry {
            inside.push(t);
        }
    }
    Ok(())
}

/// The truth: the layout minus the spots held by `inside`.
fn true_board(layout: &[LevelSpots], inside: &[Ticket]) -> Board {
    let mut free = layout.to_vec();
    for t in inside {
        if let Some(level) = free.get_mut(t.spot.level) {
            let n = level.get_mut(t.spot.kind);
            *n = n.saturating_sub(1);
        }
    }
    Board { free }
}

/// Vehicles get only spots they fit, and LotFull exactly when nothing fitting is free.
pub fn fit_rules<P: ParkingLot>() -> Result<(), Failure> {
    let check = |layout: Vec<LevelSpots>| {
        move |s: &Scenario<P>,
              step: &Step,
              entry: &Result<Ticket, EnterError>,
              inside: &[Ticket]| {
            let (kind, charging) = match *step {
                Step::Enter(_, kind) => (kind, false),
                Step::EnterCharging(_, kind) => (kind, true),
                _ => return Ok(()),
            };
            if charging {
                return match entry {
                    Ok(t) if t.spot.kind != SpotKind::Electric => Err(s.fail(
                        "a charging request only in an electric spot",
                        format!("it was given {}", t.spot),
                    )),
                    _ => Ok(()),
                };
            }
            let free = true_board(&layout, inside);
            let fitting_free: usize = free
                .free
                .iter()
                .map(|l| {
                    SpotKind::ALL
                        .iter()
                        .filter(|&&sk| fits(kind, sk))
                        .map(|&sk| l.get(sk))
                        .sum::<usize>()
                })
                .sum();
            match entry {
                Ok(t) => {
                    let exists = layout
                        .get(t.spot.level)
                        .is_some_and(|l| t.spot.number < l.get(t.spot.kind));
                    if !fits(kind, t.spot.kind) || !exists {
                        return Err(s.fail(
                            format!("a {kind:?} only in a spot it fits ({})", fit_words(kind)),
                            format!("it was given {}", t.spot),
                        ));
                    }
                }
                Err(EnterError::LotFull { .. }) if fitting_free > 0 => {
                    return Err(s.fail(
                        format!("a ticket: {fitting_free} free spot(s) fit a {kind:?}"),
                        entered(entry),
                    ));
                }
                Err(_) => {}
            }
            Ok(())
        }
    };
    // The rule, spot kind by spot kind: one lot with one spot of each kind.
    let one_each = LotConfig::new(vec![LevelSpots::new(1, 1, 1)], Tariff::free());
    let scripted = [
        Step::Enter(0, VehicleKind::Van),
        Step::Enter(1, VehicleKind::Van),
        Step::Enter(2, VehicleKind::Car),
        Step::Enter(3, VehicleKind::Car),
        Step::Enter(4, VehicleKind::Motorcycle),
        Step::Exit(0),
        Step::Enter(5, VehicleKind::Car),
        Step::Enter(6, VehicleKind::Van),
    ];
    replay_tracked::<P>(one_each.clone(), &scripted, check(one_each.levels))?;
    let compact_only = LotConfig::new(vec![LevelSpots::new(0, 2, 0)], Tariff::free());
    let vans = [
        Step::Enter(0, VehicleKind::Van),
        Step::Enter(1, VehicleKind::Van),
    ];
    replay_tracked::<P>(compact_only.clone(), &vans, check(compact_only.levels))?;
    check_property(
        &FIT_RULES,
        200,
        (stage2_lot(), steps(ALL_KINDS, 8, 3)),
        |(config, steps)| {
            let layout = config.levels.clone();
            replay_tracked::<P>(config, &steps, check(layout))
        },
    )
}

fn fit_words(kind: VehicleKind) -> &'static str {
    match kind {
        VehicleKind::Motorcycle => "motorcycle, compact or large",
        VehicleKind::Car | VehicleKind::ElectricCar => "compact or large",
        VehicleKind::Van => "large only",
    }
}

/// Every vehicle gets exactly the spot the documented order names.
pub fn allocation_order<P: ParkingLot>() -> Result<(), Failure> {
    check_property(
        &ALLOCATION_ORDER,
        300,
        (stage2_lot(), steps(ALL_KINDS, 8, 3)),
        |(config, steps)| run_model::<P>(config, &steps, false),
    )
}

/// The board equals the truth after every step.
pub fn board<P: ParkingLot>() -> Result<(), Failure> {
    let check = |layout: Vec<LevelSpots>| {
        move |s: &Scenario<P>, _: &Step, entry: &Result<Ticket, EnterError>, inside: &[Ticket]| {
            let mut inside = inside.to_vec();
            inside.extend(entry.clone());
            s.expect_board(&true_board(&layout, &inside))
        }
    };
    // A motorcycle in a compact spot, then a car in a large one, leaving again.
    let config = LotConfig::new(
        vec![LevelSpots::new(0, 1, 0), LevelSpots::new(1, 0, 1)],
        Tariff::free(),
    );
    let scripted = [
        Step::Enter(0, VehicleKind::Motorcycle),
        Step::Enter(1, VehicleKind::Motorcycle),
        Step::Enter(2, VehicleKind::Car),
        Step::Exit(0),
        Step::Exit(2),
        Step::Lost(1),
    ];
    replay_tracked::<P>(config.clone(), &scripted, check(config.levels))?;
    check_property(
        &BOARD,
        200,
        (stage2_lot(), steps(ALL_KINDS, 8, 3)),
        |(config, steps)| {
            let layout = config.levels.clone();
            replay_tracked::<P>(config, &steps, check(layout))
        },
    )
}

/// The ticket expected for `spot` at `now` (its id is not compared).
fn ticket_at(spot: SpotId, now: Duration) -> Result<Ticket, EnterError> {
    Ok(Ticket {
        id: TicketId(0),
        spot,
        entered_at: now,
    })
}

/// Fails unless `got` is a ticket for `spot` (any id) or exactly the refusal `want`.
fn expect_spot<P: ParkingLot>(
    s: &Scenario<P>,
    got: &Result<Ticket, EnterError>,
    want: Result<SpotId, EnterError>,
) -> Result<(), Failure> {
    let want = want.and_then(|spot| ticket_at(spot, s.now()));
    let same = match (got, &want) {
        (Ok(g), Ok(w)) => g.spot == w.spot && g.entered_at == w.entered_at,
        (g, w) => g == w,
    };
    if !same {
        let want = match &want {
            Ok(t) => format!("a ticket for {} at {}", t.spot, dur(t.entered_at)),
            Err(e) => format!("Err({e:?})"),
        };
        return Err(s.fail(want, entered(got)));
    }
    Ok(())
}

fn electric(level: usize, number: usize) -> SpotId {
    SpotId {
        level,
        kind: SpotKind::Electric,
        number,
    }
}

/// Charging requests get the lowest free electric spot, and NoChargerFree when none is free.
pub fn charging_allocation<P: ParkingLot>() -> Result<(), Failure> {
    let ev = VehicleKind::ElectricCar;
    // Chargers on two levels, ordinary spots free all along.
    let config = LotConfig::new(
        vec![
            LevelSpots::new(0, 1, 0).with_electric(1),
            LevelSpots::new(1, 1, 1).with_electric(2),
        ],
        Tariff::free(),
    );
    let s = Scenario::<P>::new(config)?;
    let first = s.enter_charging("EV-1", ev);
    expect_spot(&s, &first, Ok(electric(0, 0)))?;
    let second = s.enter_charging("EV-2", ev);
    expect_spot(&s, &second, Ok(electric(1, 0)))?;
    expect_spot(&s, &s.enter_charging("EV-3", ev), Ok(electric(1, 1)))?;
    // Every charger taken: refused, although compact, large and motorcycle spots are free.
    expect_spot(
        &s,
        &s.enter_charging("EV-4", ev),
        Err(EnterError::NoChargerFree),
    )?;
    s.expect_board(&Board {
        free: vec![LevelSpots::new(0, 1, 0), LevelSpots::new(1, 1, 1)],
    })?;
    // The refused car was not let in: it can try again once a charger is free, and gets the
    // lowest free one.
    let Ok(second) = second else {
        return Err(s.fail("a ticket", entered(&second)));
    };
    if let Err(e) = s.exit(second.id) {
        return Err(s.fail("a receipt", format!("Err({e:?})")));
    }
    expect_spot(&s, &s.enter_charging("EV-4", ev), Ok(electric(1, 0)))?;
    if first.is_err() {
        return Err(s.fail("a ticket", entered(&first)));
    }
    if let Err(e) = s.lost("EV-1") {
        return Err(s.fail("a receipt", format!("Err({e:?})")));
    }
    expect_spot(&s, &s.enter_charging("EV-5", ev), Ok(electric(0, 0)))?;
    // A lot with no charger at all.
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(1, 1, 1)],
        Tariff::free(),
    ))?;
    expect_spot(
        &s,
        &s.enter_charging("EV-1", ev),
        Err(EnterError::NoChargerFree),
    )?;
    s.expect_board(&Board {
        free: vec![LevelSpots::new(1, 1, 1)],
    })?;
    // Random sequences, charging requests among them, against the model.
    check_property(
        &CHARGING_ALLOCATION,
        200,
        (stage2_lot(), steps(ALL_KINDS, 8, 8)),
        |(config, steps)| run_model::<P>(config, &steps, true),
    )
}

/// Vehicles that do not charge never take an electric spot, even when nothing else is free.
pub fn chargers_kept<P: ParkingLot>() -> Result<(), Failure> {
    let config = LotConfig::new(
        vec![
            LevelSpots::new(0, 1, 0).with_electric(2),
            LevelSpots::new(0, 0, 0).with_electric(1),
        ],
        Tariff::free(),
    );
    let s = Scenario::<P>::new(config)?;
    expect_spot(
        &s,
        &s.enter("CAR-1", VehicleKind::Car),
        Ok(SpotId {
            level: 0,
            kind: SpotKind::Compact,
            number: 0,
        }),
    )?;
    // Only chargers are free now: nobody who does not charge gets one.
    for (plate, kind) in [
        ("EV-1", VehicleKind::ElectricCar),
        ("MOTO-1", VehicleKind::Motorcycle),
        ("CAR-2", VehicleKind::Car),
        ("VAN-1", VehicleKind::Van),
    ] {
        expect_spot(&s, &s.enter(plate, kind), Err(EnterError::LotFull { kind }))?;
    }
    s.expect_board(&Board {
        free: vec![
            LevelSpots::new(0, 0, 0).with_electric(2),
            LevelSpots::new(0, 0, 0).with_electric(1),
        ],
    })?;
    // The chargers were free all along.
    expect_spot(
        &s,
        &s.enter_charging("EV-1", VehicleKind::ElectricCar),
        Ok(electric(0, 0)),
    )?;
    // Random sequences on lots with more chargers than other spots: every `enter` is checked.
    let lot = prop::collection::vec((0usize..=1, 0usize..=1, 0usize..=1, 1usize..=3), 1..=2)
        .prop_map(|levels| {
            let levels = levels
                .into_iter()
                .map(|(m, c, l, e)| LevelSpots::new(m, c, l).with_electric(e))
                .collect();
            LotConfig::new(levels, Tariff::free())
        });
    let check =
        |s: &Scenario<P>, step: &Step, entry: &Result<Ticket, EnterError>, _: &[Ticket]| match (
            step, entry,
        ) {
            (Step::Enter(_, kind), Ok(t)) if t.spot.kind == SpotKind::Electric => Err(s.fail(
                format!("no electric spot for a {kind:?} that does not charge"),
                format!("it was given {}", t.spot),
            )),
            _ => Ok(()),
        };
    check_property(
        &CHARGERS_KEPT,
        200,
        (lot, steps(ALL_KINDS, 8, 1)),
        |(config, steps)| replay_tracked::<P>(config, &steps, check),
    )
}

/// Only electric cars charge; refusals in the documented order, changing nothing.
pub fn charging_errors<P: ParkingLot>() -> Result<(), Failure> {
    let ev = VehicleKind::ElectricCar;
    let layout = || vec![LevelSpots::new(0, 2, 0).with_electric(1)];
    let s = Scenario::<P>::new(LotConfig::new(
        layout(),
        Tariff::new(Pricing::hourly(100), 0).with_charging(50, HOUR),
    ))?;
    let board = |compact: usize, electric: usize| Board {
        free: vec![LevelSpots::new(0, compact, 0).with_electric(electric)],
    };
    for kind in [VehicleKind::Motorcycle, VehicleKind::Car, VehicleKind::Van] {
        let got = s.enter_charging("PETROL-1", kind);
        expect_spot(&s, &got, Err(EnterError::NotElectric { kind }))?;
    }
    s.expect_board(&board(2, 1))?;
    // The refused plates are not inside: they park normally.
    let petrol = s.enter("PETROL-1", VehicleKind::Car);
    if petrol.is_err() {
        return Err(s.fail("a ticket: the refused car never got in", entered(&petrol)));
    }
    let invalid = |plate: &str| {
        Err(EnterError::InvalidPlate {
            plate: plate.into(),
        })
    };
    // An invalid plate is refused first, whatever the kind.
    for (plate, kind) in [("", ev), ("ev-1", ev), ("AB 1", VehicleKind::Van)] {
        expect_spot(&s, &s.enter_charging(plate, kind), invalid(plate))?;
    }
    // NotElectric before AlreadyInside.
    expect_spot(
        &s,
        &s.enter_charging("PETROL-1", VehicleKind::Car),
        Err(EnterError::NotElectric {
            kind: VehicleKind::Car,
        }),
    )?;
    let inside = |plate: &str| {
        Err(EnterError::AlreadyInside {
            plate: plate.into(),
        })
    };
    expect_spot(&s, &s.enter_charging("PETROL-1", ev), inside("PETROL-1"))?;
    expect_spot(&s, &s.enter_charging("EV-1", ev), Ok(electric(0, 0)))?;
    s.expect_board(&board(1, 0))?;
    // Chargers full: AlreadyInside, NotElectric and InvalidPlate still come before NoChargerFree.
    expect_spot(&s, &s.enter_charging("EV-1", ev), inside("EV-1"))?;
    expect_spot(
        &s,
        &s.enter_charging("VAN-1", VehicleKind::Van),
        Err(EnterError::NotElectric {
            kind: VehicleKind::Van,
        }),
    )?;
    expect_spot(&s, &s.enter_charging("e", ev), invalid("e"))?;
    expect_spot(
        &s,
        &s.enter_charging("EV-2", ev),
        Err(EnterError::NoChargerFree),
    )?;
    s.expect_board(&board(1, 0))?;
    // The car refused a charger is not inside: it may park without charging.
    let parked = s.enter("EV-2", ev);
    if parked.is_err() {
        return Err(s.fail(
            "a ticket for a compact spot: the refused car never got in",
            entered(&parked),
        ));
    }
    s.expect_board(&board(0, 0))
}

// ---------------------------------------------------------------------------------------------
// Stage 3
// ---------------------------------------------------------------------------------------------

const MINUTE: Duration = Duration::from_secs(60);
const NS: Duration = Duration::from_nanos(1);

/// A lot with one spot of each kind, under `tariff`.
fn pricing_lot(tariff: Tariff) -> LotConfig {
    LotConfig::new(vec![LevelSpots::new(1, 1, 1)], tariff)
}

/// One vehicle stays `stay` under `tariff`; its receipt must carry the oracle's fee.
fn expect_fee<P: ParkingLot>(
    tariff: &Tariff,
    kind: VehicleKind,
    stay: Duration,
    why: &str,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(pricing_lot(tariff.clone()))?;
    let ticket = s.enter("FEE-1", kind);
    let Ok(ticket) = ticket else {
        return Err(s.fail("a ticket", entered(&ticket)));
    };
    s.advance(stay);
    let want = Ok(Receipt {
        ticket: ticket.id,
        spot: ticket.spot,
        stay,
        fee: Money(oracle_fee(&tariff.pricing, kind, stay)),
    });
    let got = s.exit(ticket.id);
    if got != want {
        return Err(s.fail(format!("{} — {why}", exited(&want)), exited(&got)));
    }
    Ok(())
}

/// Prices in minor units, odd cents included: 0.29 is where float money shows.
fn rate() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        24 => prop_oneof![
            Just(1u64),
            Just(29),
            Just(99),
            Just(250),
            Just(333),
            1u64..=5_000
        ],
        // Two started hours of this overflow: the fee saturates.
        1 => Just(u64::MAX / 2 + 1),
    ]
}

/// Stays with the edges mixed in: whole hours, ±1 ns, day edges, several days.
fn stay() -> impl Strategy<Value = Duration> + Clone {
    let edges = vec![
        Duration::ZERO,
        NS,
        HOUR - NS,
        HOUR,
        HOUR + NS,
        HOUR + 59 * MINUTE,
        2 * HOUR - NS,
        2 * HOUR,
        2 * HOUR + NS,
        2 * HOUR + Duration::from_secs(1),
        DAY - NS,
        DAY,
        DAY + NS,
        DAY + HOUR,
        2 * DAY,
        3 * DAY + 5 * HOUR,
        3 * DAY + NS,
    ];
    prop_oneof![
        2 => prop::sample::select(edges),
        2 => (0u32..=80, 0usize..3).prop_map(|(h, edge)| {
            let whole = HOUR * h;
            [whole, whole + NS, whole.saturating_sub(NS)][edge]
        }),
        1 => (0u64..10 * 86_400_000_000_000).prop_map(Duration::from_nanos),
    ]
}

/// Hourly or tiered pricing.
fn leaf_pricing() -> impl Strategy<Value = Pricing> + Clone {
    prop_oneof![
        rate().prop_map(Pricing::hourly),
        (prop::collection::vec((0u64..=3, rate()), 0..=3), rate())
            .prop_map(|(tiers, then)| Pricing::tiered(&tiers, then)),
    ]
}

/// Random compositions: a leaf or one per vehicle kind, maybe capped per day, maybe with a
/// grace period, wrapped in either order.
fn pricing() -> impl Strategy<Value = Pricing> {
    let core = prop_oneof![
        3 => leaf_pricing(),
        1 => (leaf_pricing(), leaf_pricing(), leaf_pricing())
            .prop_map(|(m, c, v)| Pricing::per_vehicle(m, c, v)),
    ];
    let grace = prop::option::of(prop_oneof![
        Just(Duration::ZERO),
        Just(15 * MINUTE),
        Just(HOUR),
        (1u64..7_200).prop_map(Duration::from_secs),
    ]);
    let cap = prop::option::of(prop_oneof![Just(1u64), rate(), 500u64..=20_000]);
    (core, grace, cap, any::<bool>()).prop_map(|(core, grace, cap, grace_outside)| {
        let capped = |p: Pricing| match cap {
            Some(max) => p.with_daily_max(max),
            None => p,
        };
        let graced = |p: Pricing| match grace {
            Some(g) => p.with_grace(g),
            None => p,
        };
        if grace_outside {
            graced(capped(core))
        } else {
            capped(graced(core))
        }
    })
}

fn kind() -> impl Strategy<Value = VehicleKind> {
    prop::sample::select(ALL_KINDS)
}

/// Hourly fees count started hours, at every boundary.
pub fn hourly_rounding<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(250), 0);
    for (stay, why) in [
        (Duration::ZERO, "a stay of 0 ns has started no hour"),
        (NS, "1 ns has started the first hour"),
        (HOUR - NS, "59m59.999999999s is 1 started hour"),
        (HOUR, "exactly 1 h is 1 hour"),
        (HOUR + NS, "1 h + 1 ns has started a second hour"),
        (HOUR + 59 * MINUTE, "1h59m is 2 started hours, not 1"),
        (2 * HOUR, "exactly 2 h is 2 hours, not 3"),
        (2 * HOUR + NS, "2 h + 1 ns has started a third hour"),
        (
            2 * HOUR + Duration::from_secs(1),
            "2h00m01s is 3 started hours",
        ),
    ] {
        expect_fee::<P>(&tariff, VehicleKind::Car, stay, why)?;
    }
    check_property(
        &HOURLY_ROUNDING,
        200,
        (rate(), kind(), stay()),
        |(rate, kind, stay)| {
            let tariff = Tariff::new(Pricing::hourly(rate), 0);
            expect_fee::<P>(&tariff, kind, stay, "rate × started hours")
        },
    )
}

/// Composed tariffs give the oracle's fee exactly.
pub fn exact_fees<P: ParkingLot>() -> Result<(), Failure> {
    let tiers = Pricing::tiered(&[(1, 300), (2, 200)], 100);
    let examples = [
        (
            Pricing::hourly(29),
            VehicleKind::Car,
            HOUR,
            "one hour at 0.29 is 0.29, not 0.28",
        ),
        (
            tiers.clone(),
            VehicleKind::Car,
            4 * HOUR,
            "3.00 + 2 × 2.00 + 1.00",
        ),
        (
            Pricing::per_vehicle(
                Pricing::hourly(50),
                Pricing::hourly(200),
                Pricing::hourly(400),
            ),
            VehicleKind::Van,
            3 * HOUR,
            "3 hours at the van rate",
        ),
        (
            tiers.with_daily_max(700).with_grace(15 * MINUTE),
            VehicleKind::Car,
            DAY + 3 * HOUR + NS,
            "one capped day (7.00) + 4 started hours (8.00, capped to 7.00)",
        ),
    ];
    for (pricing, kind, stay, why) in examples {
        expect_fee::<P>(&Tariff::new(pricing, 0), kind, stay, why)?;
    }
    check_property(
        &EXACT_FEES,
        300,
        (pricing(), kind(), stay()),
        |(pricing, kind, stay)| {
            expect_fee::<P>(&Tariff::new(pricing, 0), kind, stay, "the oracle's fee")
        },
    )
}

/// A stay of exactly the grace period is free; 1 ns more pays the whole stay.
pub fn grace_edge<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(300).with_grace(15 * MINUTE), 0);
    for (stay, why) in [
        (15 * MINUTE - NS, "inside the grace period: free"),
        (15 * MINUTE, "exactly the grace period: still free"),
        (
            15 * MINUTE + NS,
            "1 ns over the grace: the whole stay pays (1 started hour)",
        ),
        (
            HOUR + NS,
            "the whole stay pays, not the stay minus the grace: 2 started hours",
        ),
    ] {
        expect_fee::<P>(&tariff, VehicleKind::Car, stay, why)?;
    }
    let grace = prop_oneof![
        Just(Duration::ZERO),
        Just(HOUR),
        Just(2 * HOUR),
        (1u64..3 * 3_600).prop_map(Duration::from_secs),
    ];
    let offset = prop_oneof![Just(0i8), Just(-1), Just(1), Just(2)];
    check_property(
        &GRACE_EDGE,
        200,
        (grace, offset, leaf_pricing(), kind()),
        |(grace, offset, inner, kind)| {
            let stay = match offset {
                -1 => grace.saturating_sub(NS),
                0 => grace,
                1 => grace + NS,
                _ => grace + HOUR,
            };
            let tariff = Tariff::new(inner.with_grace(grace), 0);
            expect_fee::<P>(&tariff, kind, stay, "free up to and including the grace")
        },
    )
}

/// The daily maximum caps each 24-hour piece of a stay.
pub fn daily_cap<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(300).with_daily_max(2_000), 0);
    for (stay, why) in [
        (6 * HOUR, "6 hours: 18.00, under the cap"),
        (23 * HOUR + 59 * MINUTE, "one day's worth: capped at 20.00"),
        (DAY, "exactly 24 h is one day: 20.00"),
        (DAY + NS, "24 h + 1 ns: one capped day + 1 started hour"),
        (2 * DAY + 7 * HOUR, "two capped days + 7 hours (capped)"),
        (3 * DAY, "three days pay three maxima, not one"),
        (7 * DAY + NS, "a week and 1 ns: seven maxima + 1 hour"),
    ] {
        expect_fee::<P>(&tariff, VehicleKind::Car, stay, why)?;
    }
    let days = (0u32..10, 0usize..4).prop_map(|(d, edge)| {
        let whole = DAY * d;
        [
            whole,
            whole + NS,
            whole.saturating_sub(NS),
            whole + 5 * HOUR,
        ][edge]
    });
    let cap = prop_oneof![Just(1u64), rate(), 500u64..=20_000];
    check_property(
        &DAILY_CAP,
        200,
        (leaf_pricing(), cap, kind(), prop_oneof![days, stay()]),
        |(inner, cap, kind, stay)| {
            let tariff = Tariff::new(inner.with_daily_max(cap), 0);
            expect_fee::<P>(&tariff, kind, stay, "each day capped on its own")
        },
    )
}

/// Two vehicles entering together: the one that stays longer never pays less.
fn longer_pays_more<P: ParkingLot>(
    pricing: Pricing,
    kind: VehicleKind,
    short: Duration,
    extra: Duration,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(2, 2, 2)],
        Tariff::new(pricing, 0),
    ))?;
    let a = s.enter("SHORT-1", kind);
    let b = s.enter("LONG-1", kind);
    let (Ok(a), Ok(b)) = (a.clone(), b.clone()) else {
        return Err(s.fail("two tickets", format!("{}; {}", entered(&a), entered(&b))));
    };
    s.advance(short);
    let first = s.exit(a.id);
    s.advance(extra);
    let second = s.exit(b.id);
    let (Ok(first), Ok(second)) = (&first, &second) else {
        return Err(s.fail(
            "two receipts",
            format!("{}; {}", exited(&first), exited(&second)),
        ));
    };
    if second.fee < first.fee {
        return Err(s.fail(
            format!(
                "the stay of {} pays at least the {} that the stay of {} paid",
                dur(second.stay),
                first.fee,
                dur(first.stay)
            ),
            format!("it paid {}", second.fee),
        ));
    }
    Ok(())
}

/// The fee never decreases as the stay gets longer.
pub fn monotonic_fee<P: ParkingLot>() -> Result<(), Failure> {
    let cheaper_later = Pricing::tiered(&[(1, 500), (2, 300)], 100);
    for (short, extra) in [(3 * HOUR, HOUR), (HOUR, 2 * HOUR), (3 * HOUR, NS)] {
        longer_pays_more::<P>(cheaper_later.clone(), VehicleKind::Car, short, extra)?;
    }
    let extra = prop_oneof![
        Just(NS),
        Just(HOUR),
        Just(DAY),
        (1u64..3 * 86_400).prop_map(Duration::from_secs),
    ];
    check_property(
        &MONOTONIC_FEE,
        300,
        (pricing(), kind(), stay(), extra),
        |(pricing, kind, short, extra)| longer_pays_more::<P>(pricing, kind, short, extra),
    )
}

/// Vehicles inside keep the tariff they entered under.
fn entry_tariff_billed<P: ParkingLot>(
    before: Tariff,
    after: Tariff,
    stay: Duration,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(0, 4, 0)],
        before.clone(),
    ))?;
    let car = VehicleKind::Car;
    let early = [s.enter("EARLY-1", car), s.enter("EARLY-2", car)];
    s.set_tariff(after.clone());
    let late = [s.enter("LATE-1", car), s.enter("LATE-2", car)];
    s.advance(stay);
    for (tickets, tariff, when) in [(&early, &before, "before"), (&late, &after, "after")] {
        let [Ok(by_ticket), Ok(lost)] = tickets else {
            return Err(s.fail("a ticket for every car", "a refusal"));
        };
        let fee = oracle_fee(&tariff.pricing, car, stay);
        let want = Ok(Receipt {
            ticket: by_ticket.id,
            spot: by_ticket.spot,
            stay,
            fee: Money(fee),
        });
        let got = s.exit(by_ticket.id);
        if got != want {
            return Err(s.fail(
                format!(
                    "{} — the tariff in force at entry ({when} the change)",
                    exited(&want)
                ),
                exited(&got),
            ));
        }
        let plate = if when == "before" {
            "EARLY-2"
        } else {
            "LATE-2"
        };
        let want = Ok(Receipt {
            ticket: lost.id,
            spot: lost.spot,
            stay,
            fee: Money(fee.max(tariff.lost_ticket.0)),
        });
        let got = s.lost(plate);
        if got != want {
            return Err(s.fail(
                format!(
                    "{} — the lost-ticket charge in force at entry ({when} the change)",
                    exited(&want)
                ),
                exited(&got),
            ));
        }
    }
    Ok(())
}

/// After set_tariff, vehicles already inside are billed with their entry tariff.
pub fn tariff_at_entry<P: ParkingLot>() -> Result<(), Failure> {
    entry_tariff_billed::<P>(
        Tariff::new(Pricing::hourly(100), 1_000),
        Tariff::new(Pricing::hourly(300), 5_000),
        2 * HOUR + 30 * MINUTE,
    )?;
    let tariff = || (pricing(), 0u64..=10_000).prop_map(|(p, lost)| Tariff::new(p, lost));
    check_property(
        &TARIFF_AT_ENTRY,
        100,
        (tariff(), tariff(), stay()),
        |(before, after, stay)| entry_tariff_billed::<P>(before, after, stay),
    )
}

/// A lost ticket pays the larger of fee and charge, frees the spot, and voids the ticket.
fn lost_ticket_settles<P: ParkingLot>(
    tariff: Tariff,
    kind: VehicleKind,
    stay: Duration,
) -> Result<(), Failure> {
    let config = pricing_lot(tariff.clone());
    let layout = Board {
        free: config.levels.clone(),
    };
    let s = Scenario::<P>::new(config)?;
    let ticket = s.enter("LOST-1", kind);
    let Ok(ticket) = ticket else {
        return Err(s.fail("a ticket", entered(&ticket)));
    };
    s.advance(stay);
    let fee = oracle_fee(&tariff.pricing, kind, stay);
    let want = Ok(Receipt {
        ticket: ticket.id,
        spot: ticket.spot,
        stay,
        fee: Money(fee.max(tariff.lost_ticket.0)),
    });
    let got = s.lost("LOST-1");
    if got != want {
        return Err(s.fail(
            format!(
                "{} — the larger of the fee ({}) and the lost-ticket charge ({})",
                exited(&want),
                Money(fee),
                tariff.lost_ticket
            ),
            exited(&got),
        ));
    }
    s.expect_board(&layout)?;
    s.expect_exit(
        &s.exit(ticket.id),
        &Err(ExitError::TicketAlreadyUsed(ticket.id)),
    )?;
    let again = s.enter("LOST-1", kind);
    if again.is_err() {
        return Err(s.fail("a new ticket: the vehicle left", entered(&again)));
    }
    Ok(())
}

/// exit_lost_ticket charges max(fee, lost-ticket charge) and settles the ticket.
pub fn lost_ticket<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(300), 2_000);
    lost_ticket_settles::<P>(tariff.clone(), VehicleKind::Car, 30 * MINUTE)?;
    lost_ticket_settles::<P>(tariff, VehicleKind::Car, 3 * DAY)?;
    check_property(
        &LOST_TICKET,
        150,
        (pricing(), 0u64..=10_000, kind(), stay()),
        |(pricing, lost, kind, stay)| {
            lost_ticket_settles::<P>(Tariff::new(pricing, lost), kind, stay)
        },
    )
}

/// An electric car stays `stay`, charging or not, and leaves by ticket or as a lost ticket;
/// the receipt must carry parking plus (when charging) the oracle's charging fee.
fn expect_charged<P: ParkingLot>(
    tariff: &Tariff,
    charging: bool,
    lost: bool,
    stay: Duration,
    why: &str,
) -> Result<(), Failure> {
    let config = LotConfig::new(
        vec![LevelSpots::new(0, 1, 0).with_electric(1)],
        tariff.clone(),
    );
    let s = Scenario::<P>::new(config)?;
    let kind = VehicleKind::ElectricCar;
    let ticket = if charging {
        s.enter_charging("EV-1", kind)
    } else {
        s.enter("EV-1", kind)
    };
    let Ok(ticket) = ticket else {
        return Err(s.fail("a ticket", entered(&ticket)));
    };
    s.advance(stay);
    let parking = oracle_fee(&tariff.pricing, kind, stay);
    let charged = if charging {
        oracle_charging(&tariff.charging, stay)
    } else {
        0
    };
    let mut fee = parking.saturating_add(charged);
    if lost {
        fee = fee.max(tariff.lost_ticket.0);
    }
    let want = Ok(Receipt {
        ticket: ticket.id,
        spot: ticket.spot,
        stay,
        fee: Money(fee),
    });
    let got = if lost {
        s.lost("EV-1")
    } else {
        s.exit(ticket.id)
    };
    if got != want {
        return Err(s.fail(
            format!(
                "{} — parking {} + charging {}{}: {why}",
                exited(&want),
                Money(parking),
                Money(charged),
                if lost {
                    ", or the lost-ticket charge"
                } else {
                    ""
                }
            ),
            exited(&got),
        ));
    }
    Ok(())
}

/// Charging is billed per started hour of min(stay, session), on top of parking.
pub fn charging_fee<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(200).with_grace(15 * MINUTE), 1_000)
        .with_charging(150, 3 * HOUR);
    for (charging, lost, stay, why) in [
        (true, false, Duration::ZERO, "no time, no charging"),
        (
            true,
            false,
            10 * MINUTE,
            "parking is free inside the grace; the started hour of charging is not",
        ),
        (true, false, 3 * HOUR, "3 hours of parking + 3 of charging"),
        (
            true,
            false,
            3 * HOUR + NS,
            "the session ends at 3 h: 4 started hours of parking, 3 of charging",
        ),
        (
            true,
            false,
            10 * HOUR,
            "parked 10 hours, charged for the 3-hour session",
        ),
        (
            false,
            false,
            10 * HOUR,
            "entered without charging: parking only",
        ),
        (
            true,
            true,
            2 * HOUR,
            "lost ticket: the larger of parking + charging and the charge",
        ),
        (
            true,
            true,
            DAY,
            "lost ticket after a day: parking + the session's charging",
        ),
    ] {
        expect_charged::<P>(&tariff, charging, lost, stay, why)?;
    }
    // Charging comes from the tariff in force at entry.
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(0, 0, 0).with_electric(2)],
        Tariff::new(Pricing::Free, 0).with_charging(100, DAY),
    ))?;
    let early = s.enter_charging("EV-1", VehicleKind::ElectricCar);
    s.set_tariff(Tariff::new(Pricing::Free, 0).with_charging(400, DAY));
    let late = s.enter_charging("EV-2", VehicleKind::ElectricCar);
    s.advance(2 * HOUR);
    for (ticket, fee, when) in [(&early, 200, "before"), (&late, 800, "after")] {
        let Ok(ticket) = ticket else {
            return Err(s.fail("a ticket", entered(ticket)));
        };
        let want = Ok(Receipt {
            ticket: ticket.id,
            spot: ticket.spot,
            stay: 2 * HOUR,
            fee: Money(fee),
        });
        let got = s.exit(ticket.id);
        if got != want {
            return Err(s.fail(
                format!(
                    "{} — the charging rate in force at entry ({when} the change)",
                    exited(&want)
                ),
                exited(&got),
            ));
        }
    }
    let session = prop_oneof![
        Just(Duration::ZERO),
        Just(HOUR),
        Just(4 * HOUR),
        Just(DAY),
        (1u64..30 * 3_600).prop_map(Duration::from_secs),
    ];
    let tariff = (pricing(), 0u64..=10_000, rate(), session)
        .prop_map(|(p, lost, rate, session)| Tariff::new(p, lost).with_charging(rate, session));
    check_property(
        &CHARGING_FEE,
        200,
        (tariff, any::<bool>(), prop::bool::weighted(0.25), stay()),
        |(tariff, charging, lost, stay)| {
            expect_charged::<P>(&tariff, charging, lost, stay, "the oracle's fee")
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Stage 3: edges of the clock and of the money
// ---------------------------------------------------------------------------------------------

/// One vehicle's visit: how it enters, when, and how and when it leaves.
#[derive(Debug, Clone)]
struct Visit {
    kind: VehicleKind,
    charging: bool,
    lost: bool,
    enter_at: Duration,
    leave_at: Duration,
}

/// Plays `visit` on a fresh lot; the ticket's spot and the receipt must be the model's.
fn settle_once<P: ParkingLot>(config: LotConfig, visit: &Visit, why: &str) -> Result<(), Failure> {
    const PLATE: &str = "VISIT-1";
    let s = Scenario::<P>::new(config.clone())?;
    let mut model = Model::new(&config);
    s.set_clock(visit.enter_at);
    let now = s.now();
    let (want, got) = if visit.charging {
        (
            model.enter_charging(PLATE, visit.kind, now),
            s.enter_charging(PLATE, visit.kind),
        )
    } else {
        (
            model.enter(PLATE, visit.kind, now),
            s.enter(PLATE, visit.kind),
        )
    };
    let (index, ticket) = match (want, &got) {
        (Ok((index, spot)), Ok(t)) if t.spot == spot => (index, t.clone()),
        (want, _) => {
            let want = want.map(|(_, spot)| Ticket {
                id: TicketId(0),
                spot,
                entered_at: now,
            });
            return Err(s.fail(entered(&want), entered(&got)));
        }
    };
    s.set_clock(visit.leave_at);
    let want = model.exit(index, ticket.id, s.now(), visit.lost);
    let got = if visit.lost {
        s.lost(PLATE)
    } else {
        s.exit(ticket.id)
    };
    if got != want {
        return Err(s.fail(format!("{} — {why}", exited(&want)), exited(&got)));
    }
    Ok(())
}

/// A lot with one spot of each kind, a charger included, under `tariff`.
fn visit_lot(tariff: Tariff) -> LotConfig {
    LotConfig::new(vec![LevelSpots::new(1, 1, 1).with_electric(1)], tariff)
}

/// A visit; only an electric car asks to charge (other kinds would be refused NotElectric).
fn visit(
    kind: VehicleKind,
    charging: bool,
    lost: bool,
    enter_at: Duration,
    leave_at: Duration,
) -> Visit {
    Visit {
        kind,
        charging: charging && kind == VehicleKind::ElectricCar,
        lost,
        enter_at,
        leave_at,
    }
}

/// Exit at a reading earlier than entry bills a zero stay.
pub fn clock_backwards<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(250), 700).with_charging(90, 4 * HOUR);
    let ev = VehicleKind::ElectricCar;
    let at = |h: u32| OPENING + HOUR * h;
    for (v, why) in [
        (
            visit(VehicleKind::Car, false, false, at(3), at(3) - NS),
            "1 ns earlier: a zero stay, nothing to pay",
        ),
        (
            visit(VehicleKind::Car, false, false, at(3), at(1)),
            "2 h earlier: a zero stay, not 2 hours",
        ),
        (
            visit(VehicleKind::Van, false, false, at(3), Duration::ZERO),
            "back to the origin: a zero stay",
        ),
        (
            visit(ev, true, false, at(5), at(2)),
            "charging over a zero stay costs nothing",
        ),
        (
            visit(VehicleKind::Car, false, true, at(4), at(1)),
            "lost ticket over a zero stay: the lost-ticket charge",
        ),
        (
            visit(VehicleKind::Car, false, false, at(1), at(3)),
            "an ordinary stay of 2 hours",
        ),
    ] {
        settle_once::<P>(visit_lot(tariff.clone()), &v, why)?;
    }
    // The clock steps back during the stay but still reads later than entry at exit.
    let s = Scenario::<P>::new(pricing_lot(Tariff::new(Pricing::hourly(100), 0)))?;
    let t = s.enter("BACK-1", VehicleKind::Car);
    let Ok(t) = t else {
        return Err(s.fail("a ticket", entered(&t)));
    };
    s.advance(5 * HOUR);
    s.clock.rewind(3 * HOUR);
    s.note(format!("clock steps back 3h → t={}", dur(s.now())));
    let want = Ok(Receipt {
        ticket: t.id,
        spot: t.spot,
        stay: 2 * HOUR,
        fee: Money(200),
    });
    s.expect_exit(&s.exit(t.id), &want)?;
    let tariff = (pricing(), 0u64..=10_000, rate(), stay())
        .prop_map(|(p, lost, rate, session)| Tariff::new(p, lost).with_charging(rate, session));
    let entry = prop_oneof![Just(OPENING), Just(DAY), stay().prop_map(|d| OPENING + d)];
    check_property(
        &CLOCK_BACKWARDS,
        200,
        (
            tariff,
            kind(),
            any::<bool>(),
            prop::bool::weighted(0.25),
            entry,
            stay(),
        ),
        |(tariff, kind, charging, lost, enter_at, back)| {
            let v = visit(
                kind,
                charging,
                lost,
                enter_at,
                enter_at.saturating_sub(back + NS),
            );
            settle_once::<P>(
                visit_lot(tariff),
                &v,
                "exit reads earlier than entry: a zero stay",
            )
        },
    )
}

/// Rates near `u64::MAX`, where sums and products overflow.
fn huge_rate() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        Just(u64::MAX),
        Just(u64::MAX / 2 + 1),
        Just(u64::MAX / 3),
        (u64::MAX / 64..=u64::MAX),
    ]
}

/// Fees saturate at `u64::MAX`; a stay spanning the clock's range is priced exactly.
pub fn saturating_fees<P: ParkingLot>() -> Result<(), Failure> {
    const MAX: u64 = u64::MAX;
    const HALF: u64 = MAX / 2 + 1;
    let car = VehicleKind::Car;
    let ev = VehicleKind::ElectricCar;
    let end = Duration::from_nanos(u64::MAX);
    let from = |enter_at: Duration, stay: Duration| (enter_at, enter_at + stay);
    for (pricing, lost, charging, v, why) in [
        (
            Pricing::hourly(HALF),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 2 * HOUR)),
            "2 hours at more than half of u64::MAX: saturates",
        ),
        (
            Pricing::hourly(MAX),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, NS)),
            "1 started hour at u64::MAX",
        ),
        (
            Pricing::hourly(MAX),
            0,
            Charging::FREE,
            (VehicleKind::Van, false, false, from(OPENING, 3 * HOUR)),
            "3 hours at u64::MAX: saturates",
        ),
        (
            Pricing::tiered(&[(1, HALF)], HALF),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 2 * HOUR)),
            "the tier and the hour after it: saturates",
        ),
        (
            Pricing::tiered(&[(MAX, 1), (MAX, 7)], 9),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 5 * HOUR)),
            "tiers whose ends overflow: 5 hours in the first tier",
        ),
        (
            Pricing::hourly(HALF).with_daily_max(MAX),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 2 * DAY + HOUR)),
            "two capped days of u64::MAX and more: saturates",
        ),
        (
            Pricing::hourly(HALF),
            0,
            Charging {
                per_hour: Money(HALF),
                session: DAY,
            },
            (ev, true, false, from(OPENING, HOUR)),
            "parking + charging overflow: saturates",
        ),
        (
            Pricing::hourly(HALF),
            5,
            Charging {
                per_hour: Money(HALF),
                session: DAY,
            },
            (ev, true, true, from(OPENING, HOUR)),
            "lost ticket: the larger of a saturated fee and the charge",
        ),
        (
            Pricing::hourly(1),
            0,
            Charging::FREE,
            (car, false, false, (Duration::ZERO, end)),
            "a stay of u64::MAX ns: every started hour at 0.01",
        ),
        (
            Pricing::hourly(7).with_daily_max(100),
            0,
            Charging::FREE,
            (car, false, false, (Duration::ZERO, end)),
            "a stay of u64::MAX ns under a daily maximum",
        ),
        (
            Pricing::Free,
            0,
            Charging {
                per_hour: Money(3),
                session: end,
            },
            (ev, true, false, (Duration::ZERO, end)),
            "charging for the whole range of the clock",
        ),
    ] {
        let tariff = Tariff {
            pricing,
            lost_ticket: Money(lost),
            charging,
        };
        let (kind, charging, lost, (enter_at, leave_at)) = v;
        let v = visit(kind, charging, lost, enter_at, leave_at);
        settle_once::<P>(visit_lot(tariff), &v, why)?;
    }
    let leaf = prop_oneof![
        huge_rate().prop_map(Pricing::hourly),
        (
            prop::collection::vec((prop_oneof![0u64..=3, Just(u64::MAX)], huge_rate()), 0..=3),
            huge_rate()
        )
            .prop_map(|(tiers, then)| Pricing::tiered(&tiers, then)),
    ];
    let pricing = (leaf, prop::option::of(huge_rate())).prop_map(|(p, cap)| match cap {
        Some(max) => p.with_daily_max(max),
        None => p,
    });
    let charging = prop_oneof![Just(0u64), huge_rate()];
    let tariff = (
        pricing,
        prop_oneof![Just(0u64), huge_rate()],
        charging,
        stay(),
    )
        .prop_map(|(p, lost, rate, session)| Tariff::new(p, lost).with_charging(rate, session));
    check_property(
        &SATURATING_FEES,
        150,
        (
            tariff,
            kind(),
            any::<bool>(),
            prop::bool::weighted(0.25),
            stay(),
        ),
        |(tariff, kind, charging, lost, stay)| {
            let v = visit(kind, charging, lost, OPENING, OPENING + stay);
            settle_once::<P>(
                visit_lot(tariff),
                &v,
                "the exact fee, saturated at u64::MAX",
            )
        },
    )
}

/// Per-vehicle pricing follows the vehicle's kind, whatever spot it was given.
pub fn priced_by_vehicle<P: ParkingLot>() -> Result<(), Failure> {
    let per_kind = Pricing::per_vehicle(
        Pricing::hourly(50),
        Pricing::hourly(200),
        Pricing::hourly(400),
    );
    let large_only = || vec![LevelSpots::new(0, 0, 2)];
    let no_motorcycle_spot = || vec![LevelSpots::new(0, 1, 1)];
    for (levels, kind, lost, why) in [
        (
            large_only(),
            VehicleKind::Motorcycle,
            false,
            "a motorcycle in a large spot pays the motorcycle rate",
        ),
        (
            no_motorcycle_spot(),
            VehicleKind::Motorcycle,
            false,
            "a motorcycle in a compact spot pays the motorcycle rate",
        ),
        (
            large_only(),
            VehicleKind::Car,
            false,
            "a car in a large spot pays the car rate",
        ),
        (
            large_only(),
            VehicleKind::ElectricCar,
            true,
            "an electric car in a large spot pays the car rate",
        ),
    ] {
        let config = LotConfig::new(levels, Tariff::new(per_kind.clone(), 0));
        let v = visit(kind, false, lost, OPENING, OPENING + 2 * HOUR);
        settle_once::<P>(config, &v, why)?;
    }
    let layout = prop_oneof![
        Just(LevelSpots::new(0, 0, 1)),
        Just(LevelSpots::new(0, 1, 1)),
        Just(LevelSpots::new(1, 1, 1)),
        Just(LevelSpots::new(0, 1, 0).with_electric(1)),
    ];
    let leaf = || prop_oneof![leaf_pricing(), Just(Pricing::Free)];
    let pricing = (leaf(), leaf(), leaf()).prop_map(|(m, c, v)| Pricing::per_vehicle(m, c, v));
    check_property(
        &PRICED_BY_VEHICLE,
        200,
        (
            layout,
            pricing,
            0u64..=2_000,
            kind(),
            prop::bool::weighted(0.25),
            stay(),
        ),
        |(level, pricing, lost, kind, lost_ticket, stay)| {
            // A van fits only a large spot: give it one.
            let level = if kind == VehicleKind::Van {
                LevelSpots { large: 1, ..level }
            } else {
                level
            };
            let config = LotConfig::new(vec![level], Tariff::new(pricing, lost));
            let v = visit(kind, false, lost_ticket, OPENING, OPENING + stay);
            settle_once::<P>(config, &v, "the vehicle's own rate, whatever its spot")
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Stage 4
// ---------------------------------------------------------------------------------------------

const GATES: usize = 4;

/// Builds a lot on a frozen clock whose reads yield, to widen race windows.
fn racing_lot<P: ParkingLot>(config: &LotConfig, seed: u64) -> Result<P, Failure> {
    let frozen = ManualClock::starting_at(OPENING);
    let clock = Arc::new(YieldingClock::new(frozen, seed, 2));
    P::new(config.clone(), clock).map_err(|e| {
        Failure::new(
            describe_config(config),
            "an empty lot",
            format!("new() returned Err({e:?})"),
        )
    })
}

/// Gates racing for the last spots admit exactly that many, into different spots.
pub fn last_spots_race<P: ParkingLot>() -> Result<(), Failure> {
    const ROUNDS: usize = 150;
    const PER_GATE: usize = 3;
    for round in 0..ROUNDS {
        let spots = 6 + round % 7;
        let last = 1 + round % 5;
        let config = LotConfig::compact(spots, Tariff::free());
        let lot = racing_lot::<P>(&config, round as u64)?;
        let mut tickets = Vec::new();
        for i in 0..spots - last {
            match lot.enter(&format!("EARLY-{i}"), VehicleKind::Car) {
                Ok(t) => tickets.push(t),
                Err(e) => {
                    return Err(Failure::new(
                        describe_config(&config),
                        format!("car {} admitted before the race", i + 1),
                        format!("Err({e:?})"),
                    ));
                }
            }
        }
        let results = run_gated(GATES, |gate| {
            (0..PER_GATE)
                .map(|k| lot.enter(&format!("GATE{gate}-{k}"), VehicleKind::Car))
                .collect::<Vec<_>>()
        });
        let input = format!(
            "{}; clock frozen; {} cars enter one by one; then round {round} of {ROUNDS}: {GATES} gate threads released together, each entering {PER_GATE} cars, race for the last {last} spot(s)",
            describe_config(&config),
            spots - last,
        );
        let mut admitted = 0;
        for r in results.iter().flatten() {
            match r {
                Ok(t) => {
                    admitted += 1;
                    tickets.push(t.clone());
                }
                Err(EnterError::LotFull { .. }) => {}
                Err(e) => {
                    return Err(Failure::new(
                        input,
                        "each car admitted or refused with LotFull",
                        format!("a car was refused with {e:?}"),
                    ));
                }
            }
        }
        let distinct: HashSet<SpotId> = tickets.iter().map(|t| t.spot).collect();
        let free = lot.board().total();
        if admitted != last || distinct.len() != tickets.len() || free != 0 {
            let mut shared: HashMap<SpotId, usize> = HashMap::new();
            for t in &tickets {
                *shared.entry(t.spot).or_default() += 1;
            }
            shared.retain(|_, n| *n > 1);
            return Err(Failure::new(
                input,
                format!(
                    "exactly {last} car(s) admitted, every ticket a different spot, the board at 0 free"
                ),
                format!(
                    "{admitted} admitted in the race; spots given twice: {:?}; board shows {free} free",
                    shared.keys().map(ToString::to_string).collect::<Vec<_>>()
                ),
            ));
        }
    }
    Ok(())
}

/// Concurrent entries and exits keep one vehicle per spot and one exit per ticket.
pub fn gates_churn<P: ParkingLot>() -> Result<(), Failure> {
    const ROUNDS: usize = 40;
    const ITERATIONS: usize = 8;
    let kinds = [VehicleKind::Car, VehicleKind::Motorcycle, VehicleKind::Van];
    for round in 0..ROUNDS {
        let config = LotConfig::new(
            vec![
                LevelSpots::new(1, 2, 1),
                LevelSpots::new(0, 1 + round % 3, 1),
            ],
            Tariff::new(Pricing::hourly(100), 500),
        );
        let layout = Board {
            free: config.levels.clone(),
        };
        let lot = racing_lot::<P>(&config, round as u64 ^ 0x5EED)?;
        let input = format!(
            "{}; clock frozen; round {round} of {ROUNDS}: {GATES} gate threads released together; gate g enters {ITERATIONS} vehicles of kind {{Car, Motorcycle, Van, Car}}[g], exits every other one at once and presents its ticket a second time, and keeps the rest; then {GATES} gates all present every kept ticket together",
            describe_config(&config)
        );
        let occupied = Mutex::new(HashSet::new());
        let problems = Mutex::new(Vec::<String>::new());
        let kept: Vec<Vec<Ticket>> = run_gated(GATES, |gate| {
            let kind = kinds[gate % kinds.len()];
            let mut kept = Vec::new();
            for k in 0..ITERATIONS {
                let Ok(t) = lot.enter(&format!("G{gate}-{k}"), kind) else {
                    continue;
                };
                if !occupied.lock().insert(t.spot) {
                    problems
                        .lock()
                        .push(format!("{} was given to a second vehicle", t.spot));
                }
                if k % 2 == 1 {
                    kept.push(t);
                    continue;
                }
                occupied.lock().remove(&t.spot);
                let first = lot.exit(t.id);
                let second = lot.exit(t.id);
                if first.is_err() || second != Err(ExitError::TicketAlreadyUsed(t.id)) {
                    problems.lock().push(format!(
                        "ticket #{} presented twice: {}, then {}",
                        t.id.0,
                        exited(&first),
                        exited(&second)
                    ));
                }
            }
            kept
        });
        let kept: Vec<Ticket> = kept.into_iter().flatten().collect();
        let settled: Vec<Vec<bool>> = run_gated(GATES, |gate| {
            (0..kept.len())
                .map(|i| {
                    let t = &kept[(i + gate) % kept.len()];
                    match lot.exit(t.id) {
                        Ok(_) => true,
                        Err(ExitError::TicketAlreadyUsed(_)) => false,
                        Err(e) => {
                            problems
                                .lock()
                                .push(format!("ticket #{} was refused with {e:?}", t.id.0));
                            false
                        }
                    }
                })
                .collect()
        });
        for (i, t) in kept.iter().enumerate() {
            let exits = (0..GATES)
                .filter(|&g| settled[g][(i + kept.len() - g) % kept.len()])
                .count();
            if exits != 1 {
                problems.lock().push(format!(
                    "ticket #{} presented at {GATES} gates at once exited {exits} times",
                    t.id.0
                ));
            }
        }
        let board = lot.board();
        if board != layout {
            problems.lock().push(format!(
                "after everyone left the board shows {}",
                describe_board(&board)
            ));
        }
        let problems = problems.into_inner();
        if !problems.is_empty() {
            return Err(Failure::new(
                input,
                "no spot given twice at once, every ticket exits exactly once, and the lot ends empty",
                problems.join("; "),
            ));
        }
    }
    Ok(())
}

/// How many vehicles one racing lot holds: each lot is a block of items both gates race over.
const RACE_BLOCK: usize = 64;
/// The most items two gates race over before a lot is declared race-free. On one CPU a race
/// window with no clock read in it is only hit when the scheduler preempts a gate inside it,
/// so the budget is large; a solution that loses a race stops at the first one.
const RACE_ITEMS: usize = 1 << 20;

/// The lots of a race, created on first use and dropped once both gates are past them.
struct RaceLots<P> {
    blocks: Mutex<std::collections::VecDeque<(usize, Arc<RaceLot<P>>)>>,
    make: Box<dyn Fn(usize) -> Result<RaceLot<P>, Failure> + Send + Sync>,
}

/// One lot of a race, the tickets its setup issued, and how many gates won each item.
struct RaceLot<P> {
    lot: P,
    tickets: Vec<Ticket>,
    wins: Vec<AtomicUsize>,
}

impl<P: ParkingLot> RaceLots<P> {
    fn get(&self, block: usize, done: usize) -> Result<Arc<RaceLot<P>>, Failure> {
        let mut blocks = self.blocks.lock();
        while blocks.front().is_some_and(|(b, _)| *b < done) {
            blocks.pop_front();
        }
        if let Some((_, lot)) = blocks.iter().find(|(b, _)| *b == block) {
            return Ok(Arc::clone(lot));
        }
        let lot = Arc::new((self.make)(block)?);
        blocks.push_back((block, Arc::clone(&lot)));
        Ok(lot)
    }
}

/// Two gate threads go through the same items in order, each calling `act(gate, lot, item)`
/// on every one; an item may be won (an `Ok`) by one gate only. Stops at the first item won
/// twice or after [`RACE_ITEMS`] items.
fn race_items<P: ParkingLot + 'static>(
    make: impl Fn(usize) -> Result<RaceLot<P>, Failure> + Send + Sync + 'static,
    act: impl Fn(usize, &RaceLot<P>, usize) -> Result<bool, String> + Sync,
) -> Result<Option<(usize, String)>, Failure> {
    let lots = RaceLots {
        blocks: Mutex::new(std::collections::VecDeque::new()),
        make: Box::new(make),
    };
    let progress = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let stop = AtomicBool::new(false);
    let found = Mutex::new(None::<(usize, String)>);
    let failed = Mutex::new(None::<Failure>);
    run_gated(2, |gate| {
        let mut item = 0;
        while item < RACE_ITEMS && !stop.load(Ordering::Relaxed) {
            let block = item / RACE_BLOCK;
            let done = progress
                .iter()
                .map(|p| p.load(Ordering::Relaxed))
                .min()
                .unwrap_or(0)
                / RACE_BLOCK;
            let lot = match lots.get(block, done) {
                Ok(lot) => lot,
                Err(f) => {
                    *failed.lock() = Some(f);
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
            };
            for k in 0..RACE_BLOCK {
                match act(gate, &lot, k) {
                    Ok(false) => {}
                    Ok(true) => {
                        if lot.wins[k].fetch_add(1, Ordering::SeqCst) == 1 {
                            found.lock().get_or_insert((item + k, String::new()));
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    Err(e) => {
                        found.lock().get_or_insert((item + k, e));
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            }
            item += RACE_BLOCK;
            progress[gate].store(item, Ordering::Relaxed);
        }
    });
    if let Some(f) = failed.into_inner() {
        return Err(f);
    }
    Ok(found.into_inner())
}

/// A lot on a frozen clock, for a race.
fn race_lot<P: ParkingLot>(config: &LotConfig) -> Result<P, Failure> {
    P::new(config.clone(), Arc::new(ManualClock::starting_at(OPENING))).map_err(|e| {
        Failure::new(
            describe_config(config),
            "an empty lot",
            format!("new() returned Err({e:?})"),
        )
    })
}

fn no_wins() -> Vec<AtomicUsize> {
    (0..RACE_BLOCK).map(|_| AtomicUsize::new(0)).collect()
}

/// Two gates admitting the same plate at once: one is admitted, the other is AlreadyInside.
pub fn same_plate_race<P: ParkingLot + 'static>() -> Result<(), Failure> {
    let plates: Vec<String> = (0..RACE_BLOCK).map(|i| format!("SAME-{i}")).collect();
    let config = LotConfig::compact(2 * RACE_BLOCK, Tariff::free());
    let input = format!(
        "{}; clock frozen; 2 gate threads released together go through the same plates in order, lot after fresh lot ({RACE_BLOCK} plates a lot, up to {RACE_ITEMS} in all); both call enter(plate, Car) for each plate",
        describe_config(&config)
    );
    let make = move |_| {
        Ok(RaceLot {
            lot: race_lot::<P>(&config)?,
            tickets: Vec::new(),
            wins: no_wins(),
        })
    };
    let act = |_, l: &RaceLot<P>, k: usize| match l.lot.enter(&plates[k], VehicleKind::Car) {
        Ok(_) => Ok(true),
        Err(EnterError::AlreadyInside { .. }) => Ok(false),
        Err(e) => Err(format!(
            "enter({:?}, Car) was refused with {e:?}",
            plates[k]
        )),
    };
    match race_items(make, act)? {
        None => Ok(()),
        Some((item, problem)) => Err(Failure::new(
            input,
            "for each plate, one gate gets a ticket and the other Err(AlreadyInside)",
            if problem.is_empty() {
                format!(
                    "both gates got a ticket for plate SAME-{} (item {item}): one vehicle admitted twice",
                    item % RACE_BLOCK
                )
            } else {
                problem
            },
        )),
    }
}

/// An exit and a lost-ticket settlement of the same car at once: exactly one succeeds.
pub fn exit_lost_race<P: ParkingLot + 'static>() -> Result<(), Failure> {
    let plates: Arc<Vec<String>> = Arc::new((0..RACE_BLOCK).map(|i| format!("LOST-{i}")).collect());
    let config = LotConfig::compact(RACE_BLOCK, Tariff::new(Pricing::hourly(100), 500));
    let input = format!(
        "{}; clock frozen; lot after fresh lot (up to {RACE_ITEMS} cars in all), {RACE_BLOCK} cars enter one by one; then 2 gate threads released together go through them in order: gate 0 calls exit(ticket), gate 1 exit_lost_ticket(plate), for the same car",
        describe_config(&config)
    );
    let setup_plates = Arc::clone(&plates);
    let make = move |_| {
        let lot = race_lot::<P>(&config)?;
        let mut tickets = Vec::new();
        for plate in setup_plates.iter() {
            match lot.enter(plate, VehicleKind::Car) {
                Ok(t) => tickets.push(t),
                Err(e) => {
                    return Err(Failure::new(
                        describe_config(&config),
                        format!("a ticket for {plate} before the race"),
                        format!("Err({e:?})"),
                    ));
                }
            }
        }
        Ok(RaceLot {
            lot,
            tickets,
            wins: no_wins(),
        })
    };
    let act = |gate: usize, l: &RaceLot<P>, k: usize| {
        let got = if gate == 0 {
            l.lot.exit(l.tickets[k].id)
        } else {
            l.lot.exit_lost_ticket(&plates[k])
        };
        match got {
            Ok(_) => Ok(true),
            Err(ExitError::TicketAlreadyUsed(_) | ExitError::NotInside { .. }) => Ok(false),
            Err(e) => Err(format!("settling {} was refused with {e:?}", plates[k])),
        }
    };
    match race_items(make, act)? {
        None => Ok(()),
        Some((item, problem)) => Err(Failure::new(
            input,
            "for each car, one settlement succeeds and the other is refused (TicketAlreadyUsed or NotInside)",
            if problem.is_empty() {
                format!(
                    "car LOST-{} (item {item}) was settled twice: by its ticket and as a lost ticket",
                    item % RACE_BLOCK
                )
            } else {
                problem
            },
        )),
    }
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
        "parking/gates-one-plate-inside",
        "Gates sharing one lot admit a plate once: two gates admitting the same plate at once give one ticket and one AlreadyInside.",
        &[SAME_PLATE_RACE.id],
    ),
    Rule::new(
        "parking/gates-settle-once",
        "Gates sharing one lot settle a stay once: an exit and a lost-ticket settlement of the same car at once give one receipt.",
        &[EXIT_LOST_RACE.id, GATES_CHURN.id],
    ),
    Rule::new(
        "parking/gates-one-spot-each",
        "Gates sharing one lot never give one spot to two vehicles, and admit exactly as many vehicles as there are free spots.",
        &[LAST_SPOTS_RACE.id, GATES_CHURN.id],
    ),
];
