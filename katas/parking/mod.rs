//! # Parking system — the contract
//!
//! > "Implement a simplified parking system with entry/exit, capacity, and pricing extensions."
//!
//! This module is the contract every solution implements: the [`ParkingLot`] trait, the lot's
//! layout ([`LotConfig`], [`LevelSpots`]), the pricing description ([`Tariff`], [`Pricing`]),
//! what the gates hand out ([`Ticket`], [`Receipt`], [`Board`]) and the typed errors. The prompt,
//! stage by stage, is in `PROMPT.md` (`kata prompt parking`); it is also rendered at the end of
//! this page.
//!
//! ## The rules, precisely
//!
//! - **Fit.** A motorcycle fits a motorcycle, compact or large spot; a car (electric or not)
//!   fits a compact or a large spot; a van fits only a large spot (rule `parking/fit`).
//! - **Electric spots are kept for charging.** [`ParkingLot::enter`] never gives an electric
//!   spot to any vehicle, not even to an electric car, and not even when it is the only free
//!   spot (rule `parking/chargers-kept`). [`ParkingLot::enter_charging`] admits an electric car
//!   that wants to charge (rule `parking/only-electric-charges`), into an electric spot and
//!   nothing else (rule `parking/charging-electric-spot-only`): when every charger is taken the
//!   answer is [`EnterError::NoChargerFree`], however many other spots are free (rule
//!   `parking/no-charger-free`).
//! - **Allocation** is deterministic: among the free spots the vehicle fits, the smallest spot
//!   kind first ([`SpotKind`] is declared smallest to largest), then the lowest level, then the
//!   lowest spot number. Spots are numbered from 0 within each (level, kind). A charging request
//!   gets the free electric spot on the lowest level, with the lowest number (rule
//!   `parking/allocation-order`).
//! - **Plates** are 1 to 10 characters, each an ASCII uppercase letter, a digit or `-`.
//! - **Stay** is the clock reading at exit minus the reading at entry (zero if the clock went
//!   backwards). It is billed with the [`Tariff`] that was in force when the vehicle *entered*
//!   (rule `parking/tariff-at-entry`).
//! - **Money** is a whole number of minor units ([`Money`]), never a float (rule
//!   `parking/integer-money`).
//! - **Charging** is billed on top of the parking fee, for a vehicle that entered with
//!   [`ParkingLot::enter_charging`] only (rule `parking/charging-only-when-charging`):
//!   [`Charging::per_hour`] for each started hour of charging, where a charger runs from entry
//!   for at most [`Charging::session`] — so the charging time is `min(stay, session)` (rule
//!   `parking/charging-session`). The grace period, the tiers and the daily maximum are parts of
//!   the [`Pricing`] and price parking, not charging (rule `parking/charging-outside-pricing`).
//!
//! ## Why the design is shaped like this
//!
//! - **Time is injected** (`Arc<dyn Clock>`), so every pricing boundary (exactly two hours, the
//!   grace edge, a day boundary) is testable to the nanosecond without sleeping.
//! - **`&self` everywhere**: one lot is shared by every gate thread (stage 4), so the trait
//!   requires `Send + Sync` and leaves the locking strategy to the implementation.
//! - **Pricing is data, not code**: a [`Pricing`] is a small tree of built-in strategies that
//!   compose by nesting (`Grace` around `DailyMax` around `Tiered`…). The solution interprets
//!   it, so tests can state any tariff and know its exact fee.
//! - **Every refusal is a typed error** and changes nothing, so a gate can tell a driver *why*.

pub mod conformance;
pub mod exercise;
// Not in the library's own unit-test build, which never grades a mutant (see Cargo.toml).
#[cfg(all(feature = "mutants", not(test)))]
pub mod mutants;
pub mod reference;

use crate::clock::Clock;
use crate::grading::{Check, Kata, ManualCriterion};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// What kind of vehicle arrives at a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VehicleKind {
    /// Fits a motorcycle, compact or large spot.
    Motorcycle,
    /// Fits a compact or a large spot.
    Car,
    /// Fits only a large spot (vans and trucks).
    Van,
    /// A battery-electric car: parks like a car, is billed like a car, and is the only kind of
    /// vehicle that may ask to charge ([`ParkingLot::enter_charging`]).
    ElectricCar,
}

impl VehicleKind {
    /// Every vehicle kind.
    pub const ALL: [VehicleKind; 4] = [Self::Motorcycle, Self::Car, Self::Van, Self::ElectricCar];
}

/// What kind of spot a space is, declared from smallest to largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpotKind {
    /// The smallest spot: motorcycles only.
    Motorcycle,
    /// A car-sized spot.
    Compact,
    /// A van-sized spot.
    Large,
    /// A car-sized spot with a charger, kept for vehicles that charge: only
    /// [`ParkingLot::enter_charging`] allocates it.
    Electric,
}

impl SpotKind {
    /// Every spot kind: smallest first, then electric.
    pub const ALL: [SpotKind; 4] = [Self::Motorcycle, Self::Compact, Self::Large, Self::Electric];
}

/// One spot: its level (from 0), its kind and its number within that level and kind (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpotId {
    /// The level, from 0.
    pub level: usize,
    /// The spot's kind.
    pub kind: SpotKind,
    /// The spot's number among the spots of this kind on this level, from 0.
    pub number: usize,
}

impl fmt::Display for SpotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}/{:?}#{}", self.level, self.kind, self.number)
    }
}

/// A count of spots per kind on one level: the layout of a level, or its free spots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LevelSpots {
    /// Motorcycle spots.
    pub motorcycle: usize,
    /// Compact spots.
    pub compact: usize,
    /// Large spots.
    pub large: usize,
    /// Electric spots (with a charger).
    pub electric: usize,
}

impl LevelSpots {
    /// A level with these many motorcycle, compact and large spots, and no electric spot.
    pub const fn new(motorcycle: usize, compact: usize, large: usize) -> Self {
        Self {
            motorcycle,
            compact,
            large,
            electric: 0,
        }
    }

    /// This level with `electric` electric spots.
    pub const fn with_electric(self, electric: usize) -> Self {
        Self { electric, ..self }
    }

    /// The count for one kind.
    pub const fn get(&self, kind: SpotKind) -> usize {
        match kind {
            SpotKind::Motorcycle => self.motorcycle,
            SpotKind::Compact => self.compact,
            SpotKind::Large => self.large,
            SpotKind::Electric => self.electric,
        }
    }

    /// The count for one kind, mutably.
    pub fn get_mut(&mut self, kind: SpotKind) -> &mut usize {
        match kind {
            SpotKind::Motorcycle => &mut self.motorcycle,
            SpotKind::Compact => &mut self.compact,
            SpotKind::Large => &mut self.large,
            SpotKind::Electric => &mut self.electric,
        }
    }

    /// All kinds together.
    pub const fn total(&self) -> usize {
        self.motorcycle + self.compact + self.large + self.electric
    }
}

/// An amount of money in minor units (cents, pence…). Never a float.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(pub u64);

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// One hour.
pub const HOUR: Duration = Duration::from_secs(3_600);
/// One day: 24 hours, counted from the vehicle's entry.
pub const DAY: Duration = Duration::from_secs(86_400);

/// A block of hours in a [`Pricing::Tiered`] tariff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tier {
    /// How many started hours this tier covers.
    pub hours: u64,
    /// Price of each started hour in this tier.
    pub per_hour: Money,
}

/// How a stay is priced: built-in strategies that compose by nesting.
///
/// `started_hours(d)` is `d` divided by one hour, rounded **up**: 0 ns is 0 hours, 1 ns is 1
/// hour, exactly 2 h is 2 hours, 2 h + 1 ns is 3 hours (rule `parking/started-hours`). Fees
/// saturate at `u64::MAX` minor units.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pricing {
    /// Always 0.
    Free,
    /// `per_hour × started_hours(stay)`.
    Hourly {
        /// Price of each started hour.
        per_hour: Money,
    },
    /// Started hour `k` (from 1) costs the `per_hour` of the tier it falls in: the first
    /// `tiers[0].hours` hours are in tier 0, the next `tiers[1].hours` in tier 1, and so on;
    /// every hour after the last tier costs `then_per_hour` (rule `parking/tiers`).
    Tiered {
        /// The tiers, in order.
        tiers: Vec<Tier>,
        /// Price of each started hour after the last tier.
        then_per_hour: Money,
    },
    /// A stay of at most `grace` (inclusive) is free (rule `parking/grace-inclusive`); a longer
    /// stay pays `then` on the *whole* stay (rule `parking/grace-whole-stay`).
    Grace {
        /// The free period.
        grace: Duration,
        /// Pricing of a stay longer than `grace`.
        then: Box<Pricing>,
    },
    /// The stay is cut into whole [`DAY`]s from entry plus a remainder; each piece pays
    /// `within` on its own length, capped at `max`: `days × min(within(24 h), max) +
    /// min(within(remainder), max)` (rule `parking/daily-max-per-day`).
    DailyMax {
        /// Most a single day (or the remainder) costs.
        max: Money,
        /// Pricing within one day.
        within: Box<Pricing>,
    },
    /// A different pricing for each vehicle kind.
    PerVehicle {
        /// For motorcycles.
        motorcycle: Box<Pricing>,
        /// For cars, electric or not.
        car: Box<Pricing>,
        /// For vans.
        van: Box<Pricing>,
    },
}

impl Pricing {
    /// [`Pricing::Hourly`] at `per_hour` minor units.
    pub fn hourly(per_hour: u64) -> Self {
        Self::Hourly {
            per_hour: Money(per_hour),
        }
    }

    /// [`Pricing::Tiered`] from `(hours, per_hour)` pairs.
    pub fn tiered(tiers: &[(u64, u64)], then_per_hour: u64) -> Self {
        Self::Tiered {
            tiers: tiers
                .iter()
                .map(|&(hours, per_hour)| Tier {
                    hours,
                    per_hour: Money(per_hour),
                })
                .collect(),
            then_per_hour: Money(then_per_hour),
        }
    }

    /// This pricing, free for stays of at most `grace`.
    pub fn with_grace(self, grace: Duration) -> Self {
        Self::Grace {
            grace,
            then: Box::new(self),
        }
    }

    /// This pricing, capped at `max` minor units per day.
    pub fn with_daily_max(self, max: u64) -> Self {
        Self::DailyMax {
            max: Money(max),
            within: Box::new(self),
        }
    }

    /// One pricing per vehicle kind.
    pub fn per_vehicle(motorcycle: Pricing, car: Pricing, van: Pricing) -> Self {
        Self::PerVehicle {
            motorcycle: Box::new(motorcycle),
            car: Box::new(car),
            van: Box::new(van),
        }
    }
}

/// What charging costs, billed on top of the parking fee for a vehicle that entered with
/// [`ParkingLot::enter_charging`].
///
/// A charger starts at entry and runs for at most `session`, so the charging time of a stay is
/// `min(stay, session)`, and charging costs `per_hour × started_hours(min(stay, session))`
/// (started hours as on [`Pricing`]). A car left plugged in after its session pays for the
/// session, not for the stay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Charging {
    /// Price of each started hour of charging.
    pub per_hour: Money,
    /// The longest a charger runs for one stay, counted from entry.
    pub session: Duration,
}

impl Charging {
    /// Charging that costs nothing.
    pub const FREE: Charging = Charging {
        per_hour: Money(0),
        session: Duration::ZERO,
    };
}

/// The prices in force: how stays are priced, what charging costs, and what a lost ticket costs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tariff {
    /// How a stay is priced.
    pub pricing: Pricing,
    /// Leaving without the ticket costs the larger of this and the stay's fee (charging
    /// included) (rule `parking/lost-ticket-max`).
    pub lost_ticket: Money,
    /// What charging costs, on top of `pricing`.
    pub charging: Charging,
}

impl Tariff {
    /// A tariff with this pricing and lost-ticket charge, and free charging.
    pub fn new(pricing: Pricing, lost_ticket: u64) -> Self {
        Self {
            pricing,
            lost_ticket: Money(lost_ticket),
            charging: Charging::FREE,
        }
    }

    /// This tariff, with charging at `per_hour` minor units per started hour, for at most
    /// `session` per stay.
    pub fn with_charging(self, per_hour: u64, session: Duration) -> Self {
        Self {
            charging: Charging {
                per_hour: Money(per_hour),
                session,
            },
            ..self
        }
    }

    /// Everything free.
    pub fn free() -> Self {
        Self::new(Pricing::Free, 0)
    }
}

/// A lot's layout and its opening tariff.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LotConfig {
    /// The levels, from 0: how many spots of each kind each has.
    pub levels: Vec<LevelSpots>,
    /// The tariff in force when the lot opens.
    pub tariff: Tariff,
}

impl LotConfig {
    /// A lot with these levels and this tariff.
    pub fn new(levels: Vec<LevelSpots>, tariff: Tariff) -> Self {
        Self { levels, tariff }
    }

    /// One level of `spots` compact spots (the stage-1 lot).
    pub fn compact(spots: usize, tariff: Tariff) -> Self {
        Self::new(vec![LevelSpots::new(0, spots, 0)], tariff)
    }
}

/// A ticket's id: unique among every ticket a lot has issued (rule `parking/unique-ticket-ids`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(pub u64);

/// What the entry gate hands out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// Unique id, presented at exit.
    pub id: TicketId,
    /// Where to park.
    pub spot: SpotId,
    /// Clock reading at entry.
    pub entered_at: Duration,
}

/// What the exit gate hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Receipt {
    /// The ticket that was settled.
    pub ticket: TicketId,
    /// The spot, now free.
    pub spot: SpotId,
    /// Exit reading minus entry reading (zero if the clock went backwards).
    pub stay: Duration,
    /// The amount charged: the parking fee, plus charging for a vehicle that entered charging.
    pub fee: Money,
}

/// The display board: free spots per level and kind (rule `parking/board`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Board {
    /// Free spots on each level, from level 0.
    pub free: Vec<LevelSpots>,
}

impl Board {
    /// Free spots in the whole lot.
    pub fn total(&self) -> usize {
        self.free.iter().map(LevelSpots::total).sum()
    }
}

/// Why a lot cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// The layout has no spot at all (rule `parking/no-spots`).
    #[error("a lot needs at least one spot")]
    NoSpots,
}

/// Why the entry gate turns a vehicle away. Checked in the order listed on
/// [`ParkingLot::enter`] and [`ParkingLot::enter_charging`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnterError {
    /// The plate is empty, longer than 10 characters, or has a character other than `A`–`Z`,
    /// `0`–`9` and `-`.
    #[error("invalid plate {plate:?}: 1 to 10 characters from A-Z, 0-9 and -")]
    InvalidPlate {
        /// The plate as given.
        plate: String,
    },
    /// A vehicle that is not electric asked to charge.
    #[error("a {kind:?} cannot charge: only electric cars can")]
    NotElectric {
        /// The vehicle's kind.
        kind: VehicleKind,
    },
    /// A vehicle with this plate is parked and has not left (rule `parking/already-inside`).
    #[error("vehicle {plate} is already inside")]
    AlreadyInside {
        /// The plate.
        plate: String,
    },
    /// No free spot fits this kind of vehicle (electric spots are not counted: they are kept
    /// for charging).
    #[error("no free spot for a {kind:?}")]
    LotFull {
        /// The vehicle's kind.
        kind: VehicleKind,
    },
    /// A charging request, and every electric spot is taken (other spots may be free).
    #[error("every charging spot is taken")]
    NoChargerFree,
}

/// Why the exit gate refuses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExitError {
    /// This lot never issued this ticket (rule `parking/unknown-ticket`).
    #[error("unknown ticket {0:?}")]
    UnknownTicket(TicketId),
    /// This ticket has already been settled (by exit or as a lost ticket) (rule
    /// `parking/ticket-used-once`).
    #[error("ticket {0:?} has already been used")]
    TicketAlreadyUsed(TicketId),
    /// Lost ticket: no vehicle with this plate is inside.
    #[error("no vehicle {plate:?} is inside")]
    NotInside {
        /// The plate as given.
        plate: String,
    },
}

/// A parking lot shared by every gate.
///
/// Every method takes `&self`; implementations choose their own synchronisation — the
/// conformance suite only observes behaviour, and gates sharing one lot never give one spot to
/// two vehicles (rule `parking/gates-one-spot-each`), never admit one plate twice (rule
/// `parking/one-plate-across-gates`), and never settle one stay twice, whichever door it
/// leaves by (rule `parking/settled-once-across-gates`). A call that returns an error changes
/// nothing (rule `parking/refusal-changes-nothing`).
pub trait ParkingLot: Send + Sync + Sized {
    /// An empty lot with this layout and opening tariff, reading time only from `clock`.
    ///
    /// # Errors
    /// [`ConfigError::NoSpots`] when the layout has no spot.
    fn new(config: LotConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError>;

    /// Admits a vehicle that does not charge: allocates the spot the allocation rule names —
    /// never an electric spot — and issues a ticket stamped with the current clock reading.
    ///
    /// # Errors
    /// In this order (rule `parking/enter-error-order`): [`EnterError::InvalidPlate`],
    /// [`EnterError::AlreadyInside`], [`EnterError::LotFull`].
    fn enter(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError>;

    /// Admits an electric car that wants to charge: allocates the free electric spot on the
    /// lowest level, with the lowest number, and issues a ticket as [`enter`](Self::enter)
    /// does. Its exit bills the parking fee plus [`Charging`], from the tariff in force at
    /// entry.
    ///
    /// # Errors
    /// In this order (rule `parking/charging-error-order`): [`EnterError::InvalidPlate`],
    /// [`EnterError::NotElectric`] (only
    /// [`VehicleKind::ElectricCar`] can charge), [`EnterError::AlreadyInside`],
    /// [`EnterError::NoChargerFree`] (every electric spot is taken, whatever else is free).
    fn enter_charging(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError>;

    /// Settles a ticket: frees its spot (rule `parking/exit-frees-spot`) and charges the stay (and any charging) with the tariff
    /// in force at entry.
    ///
    /// # Errors
    /// [`ExitError::UnknownTicket`] for a ticket never issued, [`ExitError::TicketAlreadyUsed`]
    /// for one already settled.
    fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError>;

    /// The driver lost the ticket: the vehicle is found by plate, its spot is freed, its ticket
    /// counts as used (rule `parking/lost-ticket-settles`), and the charge is the larger of the stay's fee and the lost-ticket charge
    /// (both from the tariff in force at entry).
    ///
    /// # Errors
    /// [`ExitError::NotInside`] when no vehicle with this plate is parked.
    fn exit_lost_ticket(&self, plate: &str) -> Result<Receipt, ExitError>;

    /// Changes the tariff for vehicles that enter from now on. Vehicles already inside keep the
    /// tariff they entered under.
    fn set_tariff(&self, tariff: Tariff);

    /// Free spots per level and kind, right now.
    fn board(&self) -> Board;
}

/// Stage titles, in order.
pub const STAGES: &[&str] = &[
    "entry, exit, capacity, typed errors",
    "levels, spot kinds, vehicle kinds, electric spots: fit, allocation order, the board",
    "pricing: hourly rounding, grace, tiers, daily maximum, per vehicle, lost ticket, charging",
    "concurrent gates",
];

/// Manual criteria specific to this kata.
pub const MANUAL: &[ManualCriterion] = &[
    ManualCriterion {
        name: "Data structure argument",
        look_for: "The candidate can say why enter and exit stay cheap in a lot of a million spots (free lists, ordered sets, bitsets), not a scan over every spot.",
        weight: 3,
    },
    ManualCriterion {
        name: "Pricing design",
        look_for: "Strategies compose instead of a growing if-chain; rounding and the day boundary are argued; charging is its own line on the bill, not a special case inside the pricing tree; integer money throughout.",
        weight: 2,
    },
];

/// This kata, as the grader and the command line see it.
pub fn kata() -> Kata {
    Kata {
        id: "parking",
        title: "Parking system with levels, pricing extensions and concurrent gates",
        prompt: include_str!("PROMPT.md"),
        stages: STAGES,
        criteria: conformance::CRITERIA,
        rules: conformance::RULES,
        manual: MANUAL,
        reference: reference_suite,
        exercise: exercise::suite,
        stub: include_str!("exercise.rs"),
        #[cfg(all(feature = "mutants", not(test)))]
        mutants: mutants::catalogue,
        #[cfg(not(all(feature = "mutants", not(test))))]
        mutants: Vec::new,
        analyze: None,
    }
}

fn reference_suite() -> Vec<Check> {
    conformance::suite::<reference::Lot>()
}

#[doc = include_str!("PROMPT.md")]
pub mod prompt {}
