//! Known-wrong parking lots. Each realistic mutant is one mistake candidates really make; the
//! rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic, hang or
//! abort, to prove the grader survives them.
//!
//! Every realistic mutant is one [`Flawed`] lot — a plain scan-every-spot lot behind one mutex —
//! with exactly one [`Flaw`] switched on.

use super::conformance::{
    ALLOCATION_ORDER, BOARD, CAPACITY, CHARGERS_KEPT, CHARGING_ALLOCATION, CHARGING_ERRORS,
    CHARGING_FEE, CLOCK_BACKWARDS, DAILY_CAP, ENTRY_EXIT_MODEL, EXACT_FEES, EXIT_LOST_RACE,
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

/// Every mutant of this kata.
pub fn catalogue() -> Vec<Mutant> {
    vec![
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
        Mutant::realistic(
            "plate-check-then-act",
            "checks that the plate is not inside under the lock, releases it, then takes the lock again to park without looking at the plates again: two gates admit one plate",
            &[SAME_PLATE_RACE.id],
            suite::<Flawed<PlateCheckThenAct>>,
        )
        .breaking(&["parking/gates-one-plate-inside"]),
        Mutant::realistic(
            "settle-check-then-act",
            "checks that the stay is open under the lock, releases it, then takes the lock again to settle: an exit and a lost ticket for one car both get a receipt",
            &[EXIT_LOST_RACE.id],
            suite::<Flawed<SettleCheckThenAct>>,
        )
        .breaking(&["parking/gates-settle-once"]),
    ]
    .into_iter()
    .chain(hostile::mutants::<HostileSuite>())
    .collect()
}

// ---------------------------------------------------------------------------------------------
// The configurable flawed lot
// ---------------------------------------------------------------------------------------------

/// One bug, switched on by overriding one constant.
pub trait Flaw: Send + Sync + 'static {
    /// Release the lock between choosing a spot and taking it.
    const CHECK_THEN_ACT: bool = false;
    /// Hours are `floor + 1`.
    const FLOOR_PLUS_ONE: bool = false;
    /// Hours are `floor`.
    const TRUNCATED_HOURS: bool = false;
    /// Money goes through `f64`.
    const FLOAT_MONEY: bool = false;
    /// Parked vehicles are keyed by plate.
    const KEYED_BY_PLATE: bool = false;
    /// Exit does not free the spot.
    const SPOT_NOT_FREED: bool = false;
    /// Settled tickets may exit again.
    const DOUBLE_EXIT: bool = false;
    /// Vans fit compact spots.
    const VAN_IN_COMPACT: bool = false;
    /// The board is credited by vehicle kind on exit.
    const BOARD_BY_VEHICLE: bool = false;
    /// Every hour is priced at the tier of the last hour.
    const TIER_BY_TOTAL: bool = false;
    /// The daily maximum caps the whole stay.
    const CAP_PER_STAY: bool = false;
    /// Bill the current tariff.
    const TARIFF_AT_EXIT: bool = false;
    /// A lost ticket pays the flat charge only.
    const LOST_FLAT: bool = false;
    /// Free only strictly inside the grace period.
    const GRACE_EXCLUSIVE: bool = false;
    /// A charging request tries compact and large spots before the chargers.
    const CHARGING_BY_CAR_FIT: bool = false;
    /// A charging request falls back to compact and large spots when the chargers are taken.
    const CHARGER_FALLBACK: bool = false;
    /// A vehicle that does not charge may take an electric spot as a last resort.
    const ELECTRIC_OVERFLOW: bool = false;
    /// Any vehicle may charge.
    const ANY_VEHICLE_CHARGES: bool = false;
    /// Charging is billed on the whole stay.
    const CHARGING_WHOLE_STAY: bool = false;
    /// Spots are searched level by level, all kinds of a level together.
    const LEVEL_FIRST: bool = false;
    /// The free spot is looked for before the plate.
    const FULL_BEFORE_INSIDE: bool = false;
    /// A refused entry leaves its plate registered as inside.
    const REFUSAL_KEEPS_PLATE: bool = false;
    /// Only a layout without levels is refused.
    const NO_LEVELS_ONLY: bool = false;
    /// A ticket never issued is reported as used.
    const UNKNOWN_AS_USED: bool = false;
    /// The ticket id is the spot's index.
    const ID_IS_SPOT: bool = false;
    /// A lost-ticket settlement leaves the ticket open.
    const LOST_STAYS_OPEN: bool = false;
    /// Past the grace period, only the time after it is billed.
    const GRACE_DEDUCTED: bool = false;
    /// Every electric car pays charging.
    const CHARGING_BY_KIND: bool = false;
    /// A stay within the grace period pays no charging.
    const CHARGING_UNDER_GRACE: bool = false;
    /// The stay is the distance between the readings.
    const STAY_AS_DISTANCE: bool = false;
    /// Plates of 10 characters are refused.
    const PLATE_NINE_MAX: bool = false;
    /// Money wraps instead of saturating.
    const WRAPPING_FEES: bool = false;
    /// Started hours are rounded up in u64 nanoseconds, which wraps.
    const HOURS_OVERFLOW: bool = false;
    /// Per-vehicle pricing is chosen by spot kind.
    const PRICED_BY_SPOT: bool = false;
    /// A lost ticket forgets charging.
    const LOST_DROPS_CHARGING: bool = false;
    /// The lock is released between the plate check and parking.
    const PLATE_CHECK_THEN_ACT: bool = false;
    /// The lock is released between the open-stay check and settling.
    const SETTLE_CHECK_THEN_ACT: bool = false;
}

macro_rules! flaws {
    ($($(#[$doc:meta])* $name:ident => $flag:ident,)+) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Flaw for $name {
                const $flag: bool = true;
            }
        )+
    };
}

flaws! {
    /// See [`Flaw::CHECK_THEN_ACT`].
    CheckThenAct => CHECK_THEN_ACT,
    /// See [`Flaw::FLOOR_PLUS_ONE`].
    FloorPlusOne => FLOOR_PLUS_ONE,
    /// See [`Flaw::TRUNCATED_HOURS`].
    TruncatedHours => TRUNCATED_HOURS,
    /// See [`Flaw::FLOAT_MONEY`].
    FloatMoney => FLOAT_MONEY,
    /// See [`Flaw::KEYED_BY_PLATE`].
    KeyedByPlate => KEYED_BY_PLATE,
    /// See [`Flaw::SPOT_NOT_FREED`].
    SpotNotFreed => SPOT_NOT_FREED,
    /// See [`Flaw::DOUBLE_EXIT`].
    DoubleExit => DOUBLE_EXIT,
    /// See [`Flaw::VAN_IN_COMPACT`].
    VanInCompact => VAN_IN_COMPACT,
    /// See [`Flaw::BOARD_BY_VEHICLE`].
    BoardByVehicle => BOARD_BY_VEHICLE,
    /// See [`Flaw::TIER_BY_TOTAL`].
    TierByTotal => TIER_BY_TOTAL,
    /// See [`Flaw::CAP_PER_STAY`].
    CapPerStay => CAP_PER_STAY,
    /// See [`Flaw::TARIFF_AT_EXIT`].
    TariffAtExit => TARIFF_AT_EXIT,
    /// See [`Flaw::LOST_FLAT`].
    LostFlat => LOST_FLAT,
    /// See [`Flaw::GRACE_EXCLUSIVE`].
    GraceExclusive => GRACE_EXCLUSIVE,
    /// See [`Flaw::CHARGING_BY_CAR_FIT`].
    ChargingByCarFit => CHARGING_BY_CAR_FIT,
    /// See [`Flaw::CHARGER_FALLBACK`].
    ChargerFallback => CHARGER_FALLBACK,
    /// See [`Flaw::ELECTRIC_OVERFLOW`].
    ElectricOverflow => ELECTRIC_OVERFLOW,
    /// See [`Flaw::ANY_VEHICLE_CHARGES`].
    AnyVehicleCharges => ANY_VEHICLE_CHARGES,
    /// See [`Flaw::CHARGING_WHOLE_STAY`].
    ChargingWholeStay => CHARGING_WHOLE_STAY,
    /// See [`Flaw::LEVEL_FIRST`].
    LevelFirst => LEVEL_FIRST,
    /// See [`Flaw::FULL_BEFORE_INSIDE`].
    FullBeforeInside => FULL_BEFORE_INSIDE,
    /// See [`Flaw::REFUSAL_KEEPS_PLATE`].
    RefusalKeepsPlate => REFUSAL_KEEPS_PLATE,
    /// See [`Flaw::NO_LEVELS_ONLY`].
    NoLevelsOnly => NO_LEVELS_ONLY,
    /// See [`Flaw::UNKNOWN_AS_USED`].
    UnknownAsUsed => UNKNOWN_AS_USED,
    /// See [`Flaw::ID_IS_SPOT`].
    IdIsSpot => ID_IS_SPOT,
    /// See [`Flaw::LOST_STAYS_OPEN`].
    LostStaysOpen => LOST_STAYS_OPEN,
    /// See [`Flaw::GRACE_DEDUCTED`].
    GraceDeducted => GRACE_DEDUCTED,
    /// See [`Flaw::CHARGING_BY_KIND`].
    ChargingByKind => CHARGING_BY_KIND,
    /// See [`Flaw::CHARGING_UNDER_GRACE`].
    ChargingUnderGrace => CHARGING_UNDER_GRACE,
    /// See [`Flaw::STAY_AS_DISTANCE`].
    StayAsDistance => STAY_AS_DISTANCE,
    /// See [`Flaw::PLATE_NINE_MAX`].
    PlateNineMax => PLATE_NINE_MAX,
    /// See [`Flaw::WRAPPING_FEES`].
    WrappingFees => WRAPPING_FEES,
    /// See [`Flaw::HOURS_OVERFLOW`].
    HoursOverflow => HOURS_OVERFLOW,
    /// See [`Flaw::PRICED_BY_SPOT`].
    PricedBySpot => PRICED_BY_SPOT,
    /// See [`Flaw::LOST_DROPS_CHARGING`].
    LostDropsCharging => LOST_DROPS_CHARGING,
    /// See [`Flaw::PLATE_CHECK_THEN_ACT`].
    PlateCheckThenAct => PLATE_CHECK_THEN_ACT,
    /// See [`Flaw::SETTLE_CHECK_THEN_ACT`].
    SettleCheckThenAct => SETTLE_CHECK_THEN_ACT,
}

/// A lot that scans a list of every spot, with the bug `F` switched on.
pub struct Flawed<F> {
    clock: Arc<dyn Clock>,
    state: Mutex<FlawedState>,
    flaw: PhantomData<F>,
}

struct FlawedState {
    /// Every spot in allocation order (kind, level, number), and whether it is taken.
    spots: Vec<(SpotId, bool)>,
    board: Vec<LevelSpots>,
    /// Every ticket issued (settled ones too, unless overwritten).
    tickets: Vec<FlawedTicket>,
    next_id: u64,
    tariff: Tariff,
    /// Plates a refused entry left registered (only with [`Flaw::REFUSAL_KEEPS_PLATE`]).
    reserved: Vec<String>,
}

struct FlawedTicket {
    id: u64,
    plate: String,
    kind: VehicleKind,
    charging: bool,
    spot: usize,
    entered_at: Duration,
    tariff: Tariff,
    open: bool,
    /// Settled as a lost ticket.
    lost: bool,
}

impl<F: Flaw> Flawed<F> {
    fn fits(kind: VehicleKind, spot: SpotKind) -> bool {
        fits(kind, spot)
            || (F::VAN_IN_COMPACT && kind == VehicleKind::Van && spot == SpotKind::Compact)
            || (F::ELECTRIC_OVERFLOW && spot == SpotKind::Electric)
    }

    /// The spot kinds a charging request may take, in the order it tries them.
    fn charging_kinds() -> &'static [SpotKind] {
        if F::CHARGING_BY_CAR_FIT {
            &[SpotKind::Compact, SpotKind::Large, SpotKind::Electric]
        } else if F::CHARGER_FALLBACK {
            &[SpotKind::Electric, SpotKind::Compact, SpotKind::Large]
        } else {
            &[SpotKind::Electric]
        }
    }

    /// Admits a vehicle, charging or not, with the flaw switched on.
    fn admit(&self, plate: &str, kind: VehicleKind, charging: bool) -> Result<Ticket, EnterError> {
        if !valid_plate(plate) || (F::PLATE_NINE_MAX && plate.len() >= 10) {
            return Err(EnterError::InvalidPlate {
                plate: plate.into(),
            });
        }
        if charging && kind != VehicleKind::ElectricCar && !F::ANY_VEHICLE_CHARGES {
            return Err(EnterError::NotElectric { kind });
        }
        let mut state = self.state.lock();
        let inside = |s: &FlawedState| s.tickets.iter().position(|t| t.open && t.plate == plate);
        let find_spot = |s: &FlawedState| {
            let free = |wanted: SpotKind| {
                s.spots
                    .iter()
                    .position(|&(spot, taken)| !taken && spot.kind == wanted)
            };
            if charging {
                Self::charging_kinds()
                    .iter()
                    .find_map(|&k| free(k))
                    .ok_or(EnterError::NoChargerFree)
            } else {
                s.spots
                    .iter()
                    .position(|&(s, taken)| !taken && Self::fits(kind, s.kind))
                    .ok_or(EnterError::LotFull { kind })
            }
        };
        if F::FULL_BEFORE_INSIDE {
            find_spot(&state)?;
        }
        let reserved = state.reserved.iter().any(|p| p == plate);
        if !F::KEYED_BY_PLATE && (inside(&state).is_some() || reserved) {
            return Err(EnterError::AlreadyInside {
                plate: plate.into(),
            });
        }
        if F::PLATE_CHECK_THEN_ACT {
            // The window: no clock read, just the lock let go and taken again.
            drop(state);
            state = self.state.lock();
        }
        let spot = match find_spot(&state) {
            Ok(spot) => spot,
            Err(e) => {
                if F::REFUSAL_KEEPS_PLATE {
                    state.reserved.push(plate.into());
                }
                return Err(e);
            }
        };
        let entered_at = if F::CHECK_THEN_ACT {
            drop(state);
            let now = self.clock.now();
            state = self.state.lock();
            now
        } else {
            self.clock.now()
        };
        if F::KEYED_BY_PLATE
            && let Some(old) = inside(&state)
        {
            // `parked.insert(plate, ticket)` replaced the old record: its spot stays taken.
            state.tickets.remove(old);
        }
        state.spots[spot].1 = true;
        let id = state.spots[spot].0;
        let free = state.board[id.level].get_mut(id.kind);
        *free = free.saturating_sub(1);
        let ticket = if F::ID_IS_SPOT {
            spot as u64
        } else {
            state.next_id
        };
        state.next_id += 1;
        let tariff = state.tariff.clone();
        state.tickets.push(FlawedTicket {
            id: ticket,
            plate: plate.into(),
            kind,
            charging,
            spot,
            entered_at,
            tariff,
            open: true,
            lost: false,
        });
        Ok(Ticket {
            id: TicketId(ticket),
            spot: id,
            entered_at,
        })
    }

    fn settle(&self, state: &mut FlawedState, i: usize, lost: bool) -> Receipt {
        let now = self.clock.now();
        let FlawedState {
            spots,
            board,
            tickets,
            tariff: current,
            ..
        } = state;
        let t = &mut tickets[i];
        t.open = false;
        t.lost = lost;
        let (spot, _) = spots[t.spot];
        if !F::SPOT_NOT_FREED {
            spots[t.spot].1 = false;
        }
        let credited = if F::BOARD_BY_VEHICLE {
            match t.kind {
                VehicleKind::Motorcycle => SpotKind::Motorcycle,
                VehicleKind::Car | VehicleKind::ElectricCar => SpotKind::Compact,
                VehicleKind::Van => SpotKind::Large,
            }
        } else {
            spot.kind
        };
        *board[spot.level].get_mut(credited) += 1;
        let tariff = if F::TARIFF_AT_EXIT {
            &*current
        } else {
            &t.tariff
        };
        let stay = if F::STAY_AS_DISTANCE && now < t.entered_at {
            t.entered_at - now
        } else {
            now.saturating_sub(t.entered_at)
        };
        // The kind whose price is billed: the vehicle's, or (the flaw) the spot's.
        let priced_as = if F::PRICED_BY_SPOT {
            match spot.kind {
                SpotKind::Motorcycle => VehicleKind::Motorcycle,
                SpotKind::Compact | SpotKind::Electric => VehicleKind::Car,
                SpotKind::Large => VehicleKind::Van,
            }
        } else {
            t.kind
        };
        let parking = flawed_charge::<F>(&tariff.pricing, priced_as, stay);
        let mut fee = parking;
        let graced = matches!(tariff.pricing, Pricing::Grace { grace, .. } if stay <= grace);
        let charges = t.charging || (F::CHARGING_BY_KIND && t.kind == VehicleKind::ElectricCar);
        if charges && !(F::CHARGING_UNDER_GRACE && graced) {
            fee = plus::<F>(fee, flawed_charging::<F>(&tariff.charging, stay));
        }
        if lost {
            fee = if F::LOST_FLAT {
                tariff.lost_ticket.0
            } else if F::LOST_DROPS_CHARGING {
                parking.max(tariff.lost_ticket.0)
            } else {
                fee.max(tariff.lost_ticket.0)
            };
        }
        Receipt {
            ticket: TicketId(t.id),
            spot,
            stay,
            fee: Money(fee),
        }
    }
}

impl<F: Flaw> ParkingLot for Flawed<F> {
    fn new(config: LotConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let mut spots = Vec::new();
        for kind in SpotKind::ALL {
            for (level, counts) in config.levels.iter().enumerate() {
                for number in 0..counts.get(kind) {
                    spots.push((
                        SpotId {
                            level,
                            kind,
                            number,
                        },
                        false,
                    ));
                }
            }
        }
        if F::LEVEL_FIRST {
            // Level by level, every kind of a level before the next level.
            spots.sort_by_key(|(s, _)| (s.level, s.kind, s.number));
        }
        if spots.is_empty() && (!F::NO_LEVELS_ONLY || config.levels.is_empty()) {
            return Err(ConfigError::NoSpots);
        }
        Ok(Self {
            clock,
            state: Mutex::new(FlawedState {
                spots,
                board: config.levels,
                tickets: Vec::new(),
                next_id: 1,
                tariff: config.tariff,
                reserved: Vec::new(),
            }),
            flaw: PhantomData,
        })
    }

    fn enter(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        self.admit(plate, kind, false)
    }

    fn enter_charging(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        self.admit(plate, kind, true)
    }

    fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError> {
        let mut state = self.state.lock();
        // The latest ticket with this id: ids are unique unless a flaw reuses them.
        let Some(i) = state.tickets.iter().rposition(|t| t.id == ticket.0) else {
            return Err(if F::UNKNOWN_AS_USED {
                ExitError::TicketAlreadyUsed(ticket)
            } else {
                ExitError::UnknownTicket(ticket)
            });
        };
        let t = &state.tickets[i];
        let reopened = F::LOST_STAYS_OPEN && t.lost;
        if !t.open && !F::DOUBLE_EXIT && !reopened {
            return Err(ExitError::TicketAlreadyUsed(ticket));
        }
        if F::SETTLE_CHECK_THEN_ACT {
            drop(state);
            state = self.state.lock();
        }
        Ok(self.settle(&mut state, i, false))
    }

    fn exit_lost_ticket(&self, plate: &str) -> Result<Receipt, ExitError> {
        let mut state = self.state.lock();
        let Some(i) = state
            .tickets
            .iter()
            .position(|t| t.open && t.plate == plate)
        else {
            return Err(ExitError::NotInside {
                plate: plate.into(),
            });
        };
        Ok(self.settle(&mut state, i, true))
    }

    fn set_tariff(&self, tariff: Tariff) {
        self.state.lock().tariff = tariff;
    }

    fn board(&self) -> Board {
        Board {
            free: self.state.lock().board.clone(),
        }
    }
}

/// Charging, as the flaw computes it.
fn flawed_charging<F: Flaw>(charging: &Charging, stay: Duration) -> u64 {
    let charged = if F::CHARGING_WHOLE_STAY {
        stay
    } else {
        stay.min(charging.session)
    };
    flawed_times::<F>(flawed_hours::<F>(charged), charging.per_hour)
}

/// Started hours, as the flaw computes them.
fn flawed_hours<F: Flaw>(stay: Duration) -> u64 {
    let nanos = stay.as_nanos();
    let hour = HOUR.as_nanos();
    let hours = if F::FLOOR_PLUS_ONE {
        nanos / hour + 1
    } else if F::TRUNCATED_HOURS {
        nanos / hour
    } else if F::HOURS_OVERFLOW {
        let (nanos, hour) = (nanos as u64, hour as u64);
        u128::from(nanos.wrapping_add(hour - 1) / hour)
    } else {
        nanos.div_ceil(hour)
    };
    hours as u64
}

/// `a + b` in money, saturating unless the flaw wraps.
fn plus<F: Flaw>(a: u64, b: u64) -> u64 {
    if F::WRAPPING_FEES {
        a.wrapping_add(b)
    } else {
        a.saturating_add(b)
    }
}

/// `hours × per_hour`, as the flaw computes it.
fn flawed_times<F: Flaw>(hours: u64, per_hour: Money) -> u64 {
    if F::FLOAT_MONEY {
        let units = per_hour.0 as f64 / 100.0;
        (units * hours as f64 * 100.0) as u64
    } else if F::WRAPPING_FEES {
        hours.wrapping_mul(per_hour.0)
    } else {
        hours.saturating_mul(per_hour.0)
    }
}

fn flawed_charge<F: Flaw>(pricing: &Pricing, kind: VehicleKind, stay: Duration) -> u64 {
    let hours = flawed_hours::<F>(stay);
    match pricing {
        Pricing::Free => 0,
        Pricing::Hourly { per_hour } => flawed_times::<F>(hours, *per_hour),
        Pricing::Tiered {
            tiers,
            then_per_hour,
        } if F::TIER_BY_TOTAL => {
            let mut end = 0;
            let rate = tiers
                .iter()
                .find(|t| {
                    end += t.hours;
                    hours <= end
                })
                .map_or(*then_per_hour, |t| t.per_hour);
            flawed_times::<F>(hours, rate)
        }
        Pricing::Tiered {
            tiers,
            then_per_hour,
        } => {
            let mut left = hours;
            let mut fee = 0;
            for t in tiers {
                let n = left.min(t.hours);
                fee = plus::<F>(fee, flawed_times::<F>(n, t.per_hour));
                left -= n;
            }
            plus::<F>(fee, flawed_times::<F>(left, *then_per_hour))
        }
        Pricing::Grace { grace, then } => {
            let free = if F::GRACE_EXCLUSIVE {
                stay < *grace
            } else {
                stay <= *grace
            };
            if free {
                0
            } else if F::GRACE_DEDUCTED {
                flawed_charge::<F>(then, kind, stay - *grace)
            } else {
                flawed_charge::<F>(then, kind, stay)
            }
        }
        Pricing::DailyMax { max, within } if F::CAP_PER_STAY => {
            flawed_charge::<F>(within, kind, stay).min(max.0)
        }
        Pricing::DailyMax { max, within } => {
            let days = (stay.as_nanos() / DAY.as_nanos()) as u32;
            let day_fee = flawed_charge::<F>(within, kind, DAY).min(max.0);
            let rest = stay - DAY * days;
            plus::<F>(
                flawed_times::<F>(u64::from(days), Money(day_fee)),
                flawed_charge::<F>(within, kind, rest).min(max.0),
            )
        }
        Pricing::PerVehicle {
            motorcycle,
            car,
            van,
        } => flawed_charge::<F>(
            match kind {
                VehicleKind::Motorcycle => motorcycle,
                VehicleKind::Car | VehicleKind::ElectricCar => car,
                VehicleKind::Van => van,
            },
            kind,
            stay,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile mutants
// ---------------------------------------------------------------------------------------------

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
struct HostileSuite;

impl hostile::HostileSuite for HostileSuite {
    fn suite<M: Misbehaviour>() -> Vec<crate::grading::Check> {
        suite::<Hostile<M>>()
    }
}
