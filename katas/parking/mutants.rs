//! Known-wrong parking lots. Each realistic mutant is one mistake candidates really make; the
//! rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic, hang or
//! abort, to prove the grader survives them.
//!
//! Every realistic mutant is one [`Flawed`] lot — a plain scan-every-spot lot behind one mutex —
//! with exactly one [`Flaw`] switched on.

use super::conformance::{
    ALLOCATION_ORDER, BOARD, CAPACITY, CHARGERS_KEPT, CHARGING_ALLOCATION, CHARGING_ERRORS,
    CHARGING_FEE, DAILY_CAP, ENTRY_EXIT_MODEL, EXACT_FEES, FIT_RULES, GATES_CHURN, GRACE_EDGE,
    HOURLY_ROUNDING, LAST_SPOTS_RACE, LOST_TICKET, MONOTONIC_FEE, NO_SPOT_LEAKS, TARIFF_AT_ENTRY,
    TYPED_ERRORS, fits, suite,
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
        ),
        Mutant::realistic(
            "floor-plus-one-hours",
            "bills floor(hours) + 1, so exactly 2 h bills 3 hours (and 0 ns bills one)",
            &[HOURLY_ROUNDING.id, EXACT_FEES.id],
            suite::<Flawed<FloorPlusOne>>,
        ),
        Mutant::realistic(
            "truncated-hours",
            "bills whole hours rounded down, so 1 h 59 min bills 1 hour",
            &[HOURLY_ROUNDING.id, EXACT_FEES.id],
            suite::<Flawed<TruncatedHours>>,
        ),
        Mutant::realistic(
            "float-money",
            "computes fees in f64 currency units and converts back with `as`, so 1 hour at 0.29 is billed 0.28",
            &[EXACT_FEES.id],
            suite::<Flawed<FloatMoney>>,
        ),
        Mutant::realistic(
            "tickets-keyed-by-plate",
            "keeps parked vehicles in a map keyed by plate: the same plate entering again overwrites the first record, whose spot is never freed",
            &[TYPED_ERRORS.id, NO_SPOT_LEAKS.id, ENTRY_EXIT_MODEL.id],
            suite::<Flawed<KeyedByPlate>>,
        ),
        Mutant::realistic(
            "spot-not-freed",
            "exit settles the ticket and updates the board but never returns the spot to the free pool",
            &[ENTRY_EXIT_MODEL.id, CAPACITY.id, NO_SPOT_LEAKS.id],
            suite::<Flawed<SpotNotFreed>>,
        ),
        Mutant::realistic(
            "double-exit-accepted",
            "does not remember settled tickets: a ticket presented again exits again, freeing its spot a second time",
            &[TYPED_ERRORS.id, GATES_CHURN.id],
            suite::<Flawed<DoubleExit>>,
        ),
        Mutant::realistic(
            "van-in-compact",
            "the fit rule lets a van (or truck) into a compact spot",
            &[FIT_RULES.id, ALLOCATION_ORDER.id],
            suite::<Flawed<VanInCompact>>,
        ),
        Mutant::realistic(
            "board-counts-vehicle-kind",
            "on exit the board credits the spot kind the vehicle usually takes, not the spot it actually used, so the counts drift",
            &[BOARD.id],
            suite::<Flawed<BoardByVehicle>>,
        ),
        Mutant::realistic(
            "tier-by-total",
            "prices every hour of a stay at the tier its last hour falls in, so a longer stay can cost less",
            &[MONOTONIC_FEE.id, EXACT_FEES.id],
            suite::<Flawed<TierByTotal>>,
        ),
        Mutant::realistic(
            "daily-cap-per-stay",
            "applies the daily maximum once to the whole stay, so a week costs one day",
            &[DAILY_CAP.id, EXACT_FEES.id],
            suite::<Flawed<CapPerStay>>,
        ),
        Mutant::realistic(
            "tariff-at-exit",
            "bills the tariff in force at exit, re-pricing vehicles that entered under an older one",
            &[TARIFF_AT_ENTRY.id],
            suite::<Flawed<TariffAtExit>>,
        ),
        Mutant::realistic(
            "lost-ticket-flat",
            "charges only the lost-ticket charge, a discount for anyone who stayed longer",
            &[LOST_TICKET.id],
            suite::<Flawed<LostFlat>>,
        ),
        Mutant::realistic(
            "grace-exclusive",
            "the grace period ends one nanosecond early: a stay of exactly the grace period pays",
            &[GRACE_EDGE.id],
            suite::<Flawed<GraceExclusive>>,
        ),
        Mutant::realistic(
            "charging-by-car-fit",
            "allocates a charging request with the car's fit list and the chargers after it, so an electric car that asked to charge is parked in a compact spot without a charger",
            &[CHARGING_ALLOCATION.id, FIT_RULES.id],
            suite::<Flawed<ChargingByCarFit>>,
        ),
        Mutant::realistic(
            "charger-fallback",
            "when every charger is taken, parks a charging request in an ordinary spot instead of refusing it with NoChargerFree",
            &[CHARGING_ALLOCATION.id],
            suite::<Flawed<ChargerFallback>>,
        ),
        Mutant::realistic(
            "electric-spot-as-overflow",
            "lets a vehicle that does not charge take an electric spot when nothing else it fits is free, so an arriving electric car finds the chargers taken",
            &[CHARGERS_KEPT.id],
            suite::<Flawed<ElectricOverflow>>,
        ),
        Mutant::realistic(
            "any-vehicle-charges",
            "never checks that a charging request comes from an electric car: a petrol car or a van asking to charge gets a charger",
            &[CHARGING_ERRORS.id],
            suite::<Flawed<AnyVehicleCharges>>,
        ),
        Mutant::realistic(
            "charging-whole-stay",
            "bills charging on the whole stay instead of on the charging session, so a car left plugged in all day pays for a day of charging",
            &[CHARGING_FEE.id],
            suite::<Flawed<ChargingWholeStay>>,
        ),
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
        if !valid_plate(plate) {
            return Err(EnterError::InvalidPlate {
                plate: plate.into(),
            });
        }
        if charging && kind != VehicleKind::ElectricCar && !F::ANY_VEHICLE_CHARGES {
            return Err(EnterError::NotElectric { kind });
        }
        let mut state = self.state.lock();
        let inside = |s: &FlawedState| s.tickets.iter().position(|t| t.open && t.plate == plate);
        if !F::KEYED_BY_PLATE && inside(&state).is_some() {
            return Err(EnterError::AlreadyInside {
                plate: plate.into(),
            });
        }
        let free = |s: &FlawedState, wanted: SpotKind| {
            s.spots
                .iter()
                .position(|&(spot, taken)| !taken && spot.kind == wanted)
        };
        let spot = if charging {
            Self::charging_kinds()
                .iter()
                .find_map(|&k| free(&state, k))
                .ok_or(EnterError::NoChargerFree)?
        } else {
            state
                .spots
                .iter()
                .position(|&(s, taken)| !taken && Self::fits(kind, s.kind))
                .ok_or(EnterError::LotFull { kind })?
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
        let ticket = state.next_id;
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
        let stay = now.saturating_sub(t.entered_at);
        let mut fee = flawed_charge::<F>(&tariff.pricing, t.kind, stay);
        if t.charging {
            fee += flawed_charging::<F>(&tariff.charging, stay);
        }
        if lost {
            fee = if F::LOST_FLAT {
                tariff.lost_ticket.0
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
        if spots.is_empty() {
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
        let Some(i) = state.tickets.iter().position(|t| t.id == ticket.0) else {
            return Err(ExitError::UnknownTicket(ticket));
        };
        if !state.tickets[i].open && !F::DOUBLE_EXIT {
            return Err(ExitError::TicketAlreadyUsed(ticket));
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
    } else {
        nanos.div_ceil(hour)
    };
    hours as u64
}

/// `hours × per_hour`, as the flaw computes it.
fn flawed_times<F: Flaw>(hours: u64, per_hour: Money) -> u64 {
    if F::FLOAT_MONEY {
        let units = per_hour.0 as f64 / 100.0;
        (units * hours as f64 * 100.0) as u64
    } else {
        hours * per_hour.0
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
                fee += flawed_times::<F>(n, t.per_hour);
                left -= n;
            }
            fee + flawed_times::<F>(left, *then_per_hour)
        }
        Pricing::Grace { grace, then } => {
            let free = if F::GRACE_EXCLUSIVE {
                stay < *grace
            } else {
                stay <= *grace
            };
            if free {
                0
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
            u64::from(days) * day_fee + flawed_charge::<F>(within, kind, rest).min(max.0)
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
