//! The exact oracle for fees and charging, and the model lot every answer is compared with.

use super::*;

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
pub(super) fn each_started_hour(stay: Duration, price: impl Fn(u64) -> u64) -> u64 {
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

pub(super) fn plate_is_valid(plate: &str) -> bool {
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
pub(super) struct ModelTicket {
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
