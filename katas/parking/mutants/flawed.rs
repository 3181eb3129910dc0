//! The configurable flawed lot: a plain scan-every-spot lot behind one mutex, with one [`Flaw`] switched on.

use super::*;

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
    /// Check the plate under the lock, release it to read the clock, then allocate without
    /// looking at the plate again.
    const PLATE_CHECKED_APART: bool = false;
    /// Check that the ticket is open under the lock, release it to read the clock for the
    /// fee, then settle without looking again.
    const EXIT_CHECKED_APART: bool = false;
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
    /// See [`Flaw::PLATE_CHECKED_APART`].
    PlateCheckedApart => PLATE_CHECKED_APART,
    /// See [`Flaw::EXIT_CHECKED_APART`].
    ExitCheckedApart => EXIT_CHECKED_APART,
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
}

/// A lot that scans a list of every spot, with the bug `F` switched on.
pub struct Flawed<F> {
    clock: Arc<dyn Clock>,
    state: Mutex<FlawedState>,
    flaw: PhantomData<F>,
}

pub(super) struct FlawedState {
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

pub(super) struct FlawedTicket {
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
        let plate_checked_at = if F::PLATE_CHECKED_APART {
            // The bug: the plate was checked under a lock given up here; another gate can
            // admit the same plate before this one takes the lock again.
            drop(state);
            let now = self.clock.now();
            state = self.state.lock();
            Some(now)
        } else {
            None
        };
        let spot = match find_spot(&state) {
            Ok(spot) => spot,
            Err(e) => {
                if F::REFUSAL_KEEPS_PLATE {
                    state.reserved.push(plate.into());
                }
                return Err(e);
            }
        };
        let entered_at = if let Some(now) = plate_checked_at {
            now
        } else if F::CHECK_THEN_ACT {
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
        if F::EXIT_CHECKED_APART {
            // The bug: the ticket was found open under a lock given up here; a lost-ticket
            // settlement of the same car can settle it before this one takes the lock again.
            drop(state);
            let _fee_time = self.clock.now();
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
pub(super) fn flawed_charging<F: Flaw>(charging: &Charging, stay: Duration) -> u64 {
    let charged = if F::CHARGING_WHOLE_STAY {
        stay
    } else {
        stay.min(charging.session)
    };
    flawed_times::<F>(flawed_hours::<F>(charged), charging.per_hour)
}

/// Started hours, as the flaw computes them.
pub(super) fn flawed_hours<F: Flaw>(stay: Duration) -> u64 {
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
pub(super) fn plus<F: Flaw>(a: u64, b: u64) -> u64 {
    if F::WRAPPING_FEES {
        a.wrapping_add(b)
    } else {
        a.saturating_add(b)
    }
}

/// `hours × per_hour`, as the flaw computes it.
pub(super) fn flawed_times<F: Flaw>(hours: u64, per_hour: Money) -> u64 {
    if F::FLOAT_MONEY {
        let units = per_hour.0 as f64 / 100.0;
        (units * hours as f64 * 100.0) as u64
    } else if F::WRAPPING_FEES {
        hours.wrapping_mul(per_hour.0)
    } else {
        hours.saturating_mul(per_hour.0)
    }
}

pub(super) fn flawed_charge<F: Flaw>(pricing: &Pricing, kind: VehicleKind, stay: Duration) -> u64 {
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
