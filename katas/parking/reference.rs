//! The model answer: one short mutex around a state in which every gate operation is O(1).
//!
//! # Design
//!
//! **Finding the spot.** The allocation rule — smallest fitting kind, then lowest level, then
//! lowest spot number — is "the smallest free index" if, for each spot kind, the spots of that
//! kind are numbered level by level (`index = first index of the level + number`). A charging
//! request is the same rule with one fitting kind, `Electric`, which no other request lists —
//! that is the whole of "chargers are kept for charging". So each spot
//! kind keeps its free spots in a `FreeSet`: a hierarchical bitmap, one bit per spot plus a
//! summary bit per 64-bit word, and so on up to a single word. The lowest free spot is found by
//! `trailing_zeros` down the layers, and freeing or taking a spot touches one word per layer:
//! four layers cover 16 million spots, so both are O(1) for any real lot, with no allocation
//! and with 1 bit per spot (a million spots is 128 KiB, which stays in cache). A `BTreeSet` of
//! free spots would also be correct, at O(log n) with a pointer chase per level and ~40 bytes
//! per spot; a scan over every spot is O(n) and is what the bench compares against.
//!
//! **Parked vehicles live in their spot.** Every spot has a slot in one array (spots of each
//! kind numbered level by level, kinds one after another), holding the vehicle parked there and
//! how many vehicles have used the spot. A ticket id is that count and the slot number packed
//! into a `u64`, so exit finds the record with one array access — no map from ticket to vehicle
//! — and a ticket whose count is older than the slot's has been used, while one the lot could
//! not have issued is unknown. Ids are unique as long as no spot is used more than 2^32 times.
//!
//! **Plates** are at most 10 characters from a 37-symbol alphabet, so a plate packs losslessly
//! into a `u64` (6 bits a character): the "already inside" check and the lost-ticket lookup use
//! a map from packed plate to slot, with no string allocation per vehicle. The map is the one
//! structure a pair of gate operations reaches at a random place (plates are random), so it is
//! kept small — 16 bytes an entry — and hashed with `foldhash` rather than SipHash: a plate is
//! not attacker-chosen input the way a web request's keys are, and foldhash's per-process
//! random seed still spreads plates that differ in one character. Enter looks the plate up and
//! inserts it in one probe (`entry`). At a million spots with half of them taken, the two
//! random probes of a pair (insert on enter, remove on exit) are cache misses and are most of
//! the difference with a small lot; `benches/parking.rs` measures that floor on its own.
//!
//! **Tariffs** are shared (`Arc`) and every parked vehicle keeps the one in force when it
//! entered, so a change of tariff never re-prices a vehicle already inside. Fees are pure
//! functions of the stay, in saturating integer arithmetic; charging is a second line added to
//! the parking fee, priced on `min(stay, session)`, so the pricing tree knows nothing of it.
//!
//! **One lock.** Allocation order is global (the lowest free spot across the whole lot), so a
//! gate's decision and its effect must happen under one lock; the critical section is a few
//! word operations and one hash-map probe, and the clock is read before taking it.

use super::{
    Board, Charging, ConfigError, DAY, EnterError, ExitError, HOUR, LevelSpots, LotConfig, Money,
    ParkingLot, Pricing, Receipt, SpotId, SpotKind, Tariff, Ticket, TicketId, VehicleKind,
};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

/// How many spot kinds there are.
const KINDS: usize = SpotKind::ALL.len();

/// A parking lot whose gates are O(1), safe to share between gate threads.
pub struct Lot {
    clock: Arc<dyn Clock>,
    /// For each spot kind, where each level's spots start among that kind's spots.
    level_starts: [Vec<usize>; KINDS],
    /// For each spot kind, the slot number of its first spot.
    kind_starts: [usize; KINDS],
    state: Mutex<State>,
}

struct State {
    /// Free spots of each kind, by number within the kind.
    free: [FreeSet; KINDS],
    board: Vec<LevelSpots>,
    /// One per spot, by slot number.
    slots: Vec<Slot>,
    /// Packed plate → slot number, for every vehicle inside.
    plates: foldhash::HashMap<u64, usize>,
    tariff: Arc<Tariff>,
}

#[derive(Default)]
struct Slot {
    /// Vehicles that have entered this spot so far; the current one's ticket carries it.
    visits: u32,
    parked: Option<Parked>,
}

struct Parked {
    plate: u64,
    kind: VehicleKind,
    /// Entered with `enter_charging`: the stay pays for charging too.
    charging: bool,
    entered_at: Duration,
    tariff: Arc<Tariff>,
}

/// The spot kinds a vehicle that does not charge fits, smallest first. No list has
/// `Electric`: those spots are kept for charging requests.
fn fitting(kind: VehicleKind) -> &'static [SpotKind] {
    match kind {
        VehicleKind::Motorcycle => &[SpotKind::Motorcycle, SpotKind::Compact, SpotKind::Large],
        VehicleKind::Car | VehicleKind::ElectricCar => &[SpotKind::Compact, SpotKind::Large],
        VehicleKind::Van => &[SpotKind::Large],
    }
}

/// Whether `plate` is 1–10 characters from `A`–`Z`, `0`–`9` and `-`.
pub fn valid_plate(plate: &str) -> bool {
    (1..=10).contains(&plate.len())
        && plate
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// A valid plate as a number, 6 bits a character. Every character codes to a non-zero value,
/// so plates of different lengths never collide, and 10 characters take 60 bits.
fn plate_key(plate: &str) -> u64 {
    plate.bytes().fold(0, |key, b| {
        let code = match b {
            b'-' => 1,
            b'0'..=b'9' => 2 + (b - b'0'),
            _ => 12 + (b - b'A'),
        };
        (key << 6) | u64::from(code)
    })
}

fn ticket_id(visits: u32, slot: usize) -> TicketId {
    TicketId((u64::from(visits) << 32) | slot as u64)
}

impl Lot {
    /// The spot in slot `slot`.
    fn spot_at(&self, slot: usize) -> SpotId {
        let k = self.kind_starts.partition_point(|&s| s <= slot) - 1;
        let kind = SpotKind::ALL[k];
        let index = slot - self.kind_starts[k];
        let starts = &self.level_starts[k];
        // The last level starting at or before `index` (levels without this kind start where
        // the next one does, so they are skipped).
        let level = starts.partition_point(|&s| s <= index) - 1;
        SpotId {
            level,
            kind,
            number: index - starts[level],
        }
    }

    /// Parks a vehicle whose plate is valid: into the lowest free electric spot when it
    /// charges, else into the spot the allocation rule names.
    fn admit(&self, plate: &str, kind: VehicleKind, charging: bool) -> Result<Ticket, EnterError> {
        let key = plate_key(plate);
        let entered_at = self.clock.now();
        let mut guard = self.state.lock();
        let state = &mut *guard;
        // One probe answers "already inside?" and keeps the place to insert the plate.
        let Entry::Vacant(plate_entry) = state.plates.entry(key) else {
            return Err(EnterError::AlreadyInside {
                plate: plate.to_string(),
            });
        };
        let (kinds, full): (&[SpotKind], _) = if charging {
            (&[SpotKind::Electric], EnterError::NoChargerFree)
        } else {
            (fitting(kind), EnterError::LotFull { kind })
        };
        let Some((spot_kind, index)) = kinds
            .iter()
            .find_map(|&k| state.free[k as usize].first().map(|i| (k, i)))
        else {
            return Err(full);
        };
        state.free[spot_kind as usize].remove(index);
        let slot = self.kind_starts[spot_kind as usize] + index;
        let spot = self.spot_at(slot);
        *state.board[spot.level].get_mut(spot_kind) -= 1;
        plate_entry.insert(slot);
        let s = &mut state.slots[slot];
        s.visits = s.visits.wrapping_add(1);
        s.parked = Some(Parked {
            plate: key,
            kind,
            charging,
            entered_at,
            tariff: Arc::clone(&state.tariff),
        });
        Ok(Ticket {
            id: ticket_id(s.visits, slot),
            spot,
            entered_at,
        })
    }

    fn settle(&self, state: &mut State, slot: usize, lost: bool) -> Receipt {
        let now = self.clock.now();
        let p = state.slots[slot].parked.take().expect("caller checked");
        let ticket = ticket_id(state.slots[slot].visits, slot);
        state.plates.remove(&p.plate);
        let spot = self.spot_at(slot);
        state.free[spot.kind as usize].insert(slot - self.kind_starts[spot.kind as usize]);
        *state.board[spot.level].get_mut(spot.kind) += 1;
        let stay = now.saturating_sub(p.entered_at);
        let mut fee = charge(&p.tariff.pricing, p.kind, stay);
        if p.charging {
            fee = fee.saturating_add(charging_fee(&p.tariff.charging, stay));
        }
        if lost {
            fee = fee.max(p.tariff.lost_ticket.0);
        }
        Receipt {
            ticket,
            spot,
            stay,
            fee: Money(fee),
        }
    }
}

impl ParkingLot for Lot {
    fn new(config: LotConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let per_kind = SpotKind::ALL.map(|kind| config.levels.iter().map(|l| l.get(kind)).sum());
        let total: usize = per_kind.iter().sum();
        if total == 0 {
            return Err(ConfigError::NoSpots);
        }
        let level_starts = SpotKind::ALL.map(|kind| {
            config
                .levels
                .iter()
                .scan(0, |next, level| {
                    let start = *next;
                    *next += level.get(kind);
                    Some(start)
                })
                .collect::<Vec<_>>()
        });
        let kind_starts: [usize; KINDS] =
            std::array::from_fn(|k| per_kind[..k].iter().sum::<usize>());
        let mut slots = Vec::with_capacity(total);
        slots.resize_with(total, Slot::default);
        Ok(Self {
            clock,
            level_starts,
            kind_starts,
            state: Mutex::new(State {
                free: per_kind.map(FreeSet::full),
                board: config.levels,
                slots,
                plates: foldhash::HashMap::default(),
                tariff: Arc::new(config.tariff),
            }),
        })
    }

    fn enter(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        if !valid_plate(plate) {
            return Err(EnterError::InvalidPlate {
                plate: plate.to_string(),
            });
        }
        self.admit(plate, kind, false)
    }

    fn enter_charging(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        if !valid_plate(plate) {
            return Err(EnterError::InvalidPlate {
                plate: plate.to_string(),
            });
        }
        if kind != VehicleKind::ElectricCar {
            return Err(EnterError::NotElectric { kind });
        }
        self.admit(plate, kind, true)
    }

    fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError> {
        let visit = u32::try_from(ticket.0 >> 32).unwrap_or(0);
        let slot = (ticket.0 & u64::from(u32::MAX)) as usize;
        let mut state = self.state.lock();
        let Some(s) = state.slots.get(slot) else {
            return Err(ExitError::UnknownTicket(ticket));
        };
        if visit == 0 || visit > s.visits {
            return Err(ExitError::UnknownTicket(ticket));
        }
        if visit < s.visits || s.parked.is_none() {
            return Err(ExitError::TicketAlreadyUsed(ticket));
        }
        Ok(self.settle(&mut state, slot, false))
    }

    fn exit_lost_ticket(&self, plate: &str) -> Result<Receipt, ExitError> {
        let not_inside = || ExitError::NotInside {
            plate: plate.to_string(),
        };
        if !valid_plate(plate) {
            return Err(not_inside());
        }
        let mut state = self.state.lock();
        let slot = *state.plates.get(&plate_key(plate)).ok_or_else(not_inside)?;
        Ok(self.settle(&mut state, slot, true))
    }

    fn set_tariff(&self, tariff: Tariff) {
        self.state.lock().tariff = Arc::new(tariff);
    }

    fn board(&self) -> Board {
        Board {
            free: self.state.lock().board.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pricing
// ---------------------------------------------------------------------------------------------

/// Hours started by a stay of `stay`: rounded up, so exactly 2 h is 2 and 2 h + 1 ns is 3.
fn started_hours(stay: Duration) -> u64 {
    let hours = stay.as_nanos().div_ceil(HOUR.as_nanos());
    u64::try_from(hours).unwrap_or(u64::MAX)
}

/// What charging costs for a stay of `stay`: each started hour of `min(stay, session)`.
pub fn charging_fee(charging: &Charging, stay: Duration) -> u64 {
    charging
        .per_hour
        .0
        .saturating_mul(started_hours(stay.min(charging.session)))
}

/// The fee, in minor units, for a stay of `stay` by a vehicle of `kind` under `pricing`.
pub fn charge(pricing: &Pricing, kind: VehicleKind, stay: Duration) -> u64 {
    match pricing {
        Pricing::Free => 0,
        Pricing::Hourly { per_hour } => per_hour.0.saturating_mul(started_hours(stay)),
        Pricing::Tiered {
            tiers,
            then_per_hour,
        } => {
            let mut hours = started_hours(stay);
            let mut fee = 0u64;
            for tier in tiers {
                let in_tier = hours.min(tier.hours);
                fee = fee.saturating_add(in_tier.saturating_mul(tier.per_hour.0));
                hours -= in_tier;
            }
            fee.saturating_add(hours.saturating_mul(then_per_hour.0))
        }
        Pricing::Grace { grace, then } => {
            if stay <= *grace {
                0
            } else {
                charge(then, kind, stay)
            }
        }
        Pricing::DailyMax { max, within } => {
            let days = stay.as_nanos() / DAY.as_nanos();
            let rest = Duration::from_nanos((stay.as_nanos() % DAY.as_nanos()) as u64);
            let per_day = charge(within, kind, DAY).min(max.0);
            let days = u64::try_from(days).unwrap_or(u64::MAX);
            days.saturating_mul(per_day)
                .saturating_add(charge(within, kind, rest).min(max.0))
        }
        Pricing::PerVehicle {
            motorcycle,
            car,
            van,
        } => {
            let pricing = match kind {
                VehicleKind::Motorcycle => motorcycle,
                VehicleKind::Car | VehicleKind::ElectricCar => car,
                VehicleKind::Van => van,
            };
            charge(pricing, kind, stay)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The free set
// ---------------------------------------------------------------------------------------------

/// A set of indices `0..n` with O(1) insert, remove and smallest element: a hierarchical
/// bitmap. `layers[0]` has one bit per index; bit `i` of `layers[k + 1]` is set when word `i`
/// of `layers[k]` is non-zero. The top layer is a single word.
struct FreeSet {
    layers: Vec<Vec<u64>>,
}

impl FreeSet {
    /// Every index in `0..n`.
    fn full(n: usize) -> Self {
        let mut layers = Vec::new();
        let mut bits = n;
        loop {
            let words = bits.div_ceil(64).max(1);
            let mut layer = vec![u64::MAX; words];
            let spare = words * 64 - bits;
            // Clear the bits past the end.
            layer[words - 1] = if bits == 0 { 0 } else { u64::MAX >> spare };
            layers.push(layer);
            if words == 1 {
                return Self { layers };
            }
            bits = words;
        }
    }

    fn first(&self) -> Option<usize> {
        let mut index = 0;
        for layer in self.layers.iter().rev() {
            let word = layer[index];
            if word == 0 {
                return None;
            }
            index = index * 64 + word.trailing_zeros() as usize;
        }
        Some(index)
    }

    fn insert(&mut self, mut index: usize) {
        for layer in &mut self.layers {
            let word = &mut layer[index / 64];
            let was_empty = *word == 0;
            *word |= 1 << (index % 64);
            if !was_empty {
                return;
            }
            index /= 64;
        }
    }

    fn remove(&mut self, mut index: usize) {
        for layer in &mut self.layers {
            let word = &mut layer[index / 64];
            *word &= !(1 << (index % 64));
            if *word != 0 {
                return;
            }
            index /= 64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FreeSet;

    #[test]
    fn free_set_finds_the_smallest_index_across_layers() {
        for n in [63, 64, 65, 4_096, 4_097, 300_000] {
            let mut set = FreeSet::full(n);
            assert_eq!(set.first(), Some(0), "n = {n}");
            for i in 0..n {
                set.remove(i);
            }
            assert_eq!(set.first(), None, "n = {n}");
            for i in [n - 1, n / 2, n / 3] {
                set.insert(i);
            }
            assert_eq!(set.first(), Some(n / 3), "n = {n}");
            set.remove(n / 3);
            assert_eq!(set.first(), Some(n / 2), "n = {n}");
        }
        assert_eq!(FreeSet::full(0).first(), None);
        assert_eq!(FreeSet::full(1).first(), Some(0));
    }
}
