//! The model answer: one short mutex around a state in which every gate operation is O(1).
//!
//! # Design
//!
//! **Finding the spot.** The allocation rule — smallest fitting kind, then lowest level, then
//! lowest spot number — is "the smallest free index" if, for each spot kind, the spots of that
//! kind are numbered level by level (`index = first index of the level + number`). So each spot
//! kind keeps its free spots in a `FreeSet`: a hierarchical bitmap, one bit per spot plus a
//! summary bit per 64-bit word, and so on up to a single word. The lowest free spot is found by
//! `trailing_zeros` down the layers, and freeing or taking a spot touches one word per layer:
//! four layers cover 16 million spots, so both are O(1) for any real lot, with no allocation
//! and with 1 bit per spot (a million spots is 128 KiB, which stays in cache). A `BTreeSet` of
//! free spots would also be correct, at O(log n) with a pointer chase per level and ~40 bytes
//! per spot; a scan over every spot is O(n) and is what the bench compares against.
//!
//! **Tickets** are numbered 1, 2, 3… under the lock, so a ticket id below the next number that
//! is no longer parked has been used: "unknown" and "already used" are told apart with no
//! history kept. Parked vehicles are found by ticket id and by plate through two hash maps.
//!
//! **Tariffs** are shared (`Arc`) and every ticket keeps the one in force when it entered, so a
//! change of tariff never re-prices a vehicle already inside. Fees are computed outside the
//! lock, from the stay alone, in saturating integer arithmetic.
//!
//! **One lock.** Allocation order is global (the lowest free spot across the whole lot), so a
//! gate's decision and its effect must happen under one lock; the critical section is a few
//! word operations and two hash-map updates, and the clock is read before taking it.

use super::{
    Board, ConfigError, DAY, EnterError, ExitError, HOUR, LevelSpots, LotConfig, Money, ParkingLot,
    Pricing, Receipt, SpotId, SpotKind, Tariff, Ticket, TicketId, VehicleKind,
};
use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A parking lot whose gates are O(1), safe to share between gate threads.
pub struct Lot {
    clock: Arc<dyn Clock>,
    /// For each spot kind, where each level's spots start in that kind's index space.
    level_starts: [Vec<usize>; 3],
    state: Mutex<State>,
}

struct State {
    /// Free spots of each kind, by index.
    free: [FreeSet; 3],
    board: Vec<LevelSpots>,
    parked: HashMap<u64, Parked>,
    plates: HashMap<Box<str>, u64>,
    next_ticket: u64,
    tariff: Arc<Tariff>,
}

struct Parked {
    plate: Box<str>,
    kind: VehicleKind,
    spot: SpotId,
    index: usize,
    entered_at: Duration,
    tariff: Arc<Tariff>,
}

/// The spot kinds a vehicle fits, smallest first.
fn fitting(kind: VehicleKind) -> &'static [SpotKind] {
    match kind {
        VehicleKind::Motorcycle => &SpotKind::ALL,
        VehicleKind::Car => &[SpotKind::Compact, SpotKind::Large],
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

impl Lot {
    fn spot_at(&self, kind: SpotKind, index: usize) -> SpotId {
        let starts = &self.level_starts[kind as usize];
        // The last level starting at or before `index` (levels without this kind start where
        // the next one does, so they are skipped).
        let level = starts.partition_point(|&s| s <= index) - 1;
        SpotId {
            level,
            kind,
            number: index - starts[level],
        }
    }

    fn settle(&self, state: &mut State, id: u64, lost: bool) -> Receipt {
        let now = self.clock.now();
        let p = state.parked.remove(&id).expect("caller checked");
        state.plates.remove(&p.plate);
        state.free[p.spot.kind as usize].insert(p.index);
        *state.board[p.spot.level].get_mut(p.spot.kind) += 1;
        let stay = now.saturating_sub(p.entered_at);
        let mut fee = charge(&p.tariff.pricing, p.kind, stay);
        if lost {
            fee = fee.max(p.tariff.lost_ticket.0);
        }
        Receipt {
            ticket: TicketId(id),
            spot: p.spot,
            stay,
            fee: Money(fee),
        }
    }
}

impl ParkingLot for Lot {
    fn new(config: LotConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        if config.levels.iter().all(|l| l.total() == 0) {
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
        let free = SpotKind::ALL
            .map(|kind| FreeSet::full(config.levels.iter().map(|l| l.get(kind)).sum()));
        Ok(Self {
            clock,
            level_starts,
            state: Mutex::new(State {
                free,
                board: config.levels,
                parked: HashMap::new(),
                plates: HashMap::new(),
                next_ticket: 1,
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
        let entered_at = self.clock.now();
        let mut guard = self.state.lock();
        let state = &mut *guard;
        if state.plates.contains_key(plate) {
            return Err(EnterError::AlreadyInside {
                plate: plate.to_string(),
            });
        }
        let (spot_kind, index) = fitting(kind)
            .iter()
            .find_map(|&k| state.free[k as usize].first().map(|i| (k, i)))
            .ok_or(EnterError::LotFull { kind })?;
        state.free[spot_kind as usize].remove(index);
        let spot = self.spot_at(spot_kind, index);
        *state.board[spot.level].get_mut(spot_kind) -= 1;
        let id = state.next_ticket;
        state.next_ticket += 1;
        let plate: Box<str> = plate.into();
        state.plates.insert(plate.clone(), id);
        state.parked.insert(
            id,
            Parked {
                plate,
                kind,
                spot,
                index,
                entered_at,
                tariff: Arc::clone(&state.tariff),
            },
        );
        Ok(Ticket {
            id: TicketId(id),
            spot,
            entered_at,
        })
    }

    fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError> {
        let mut state = self.state.lock();
        if !state.parked.contains_key(&ticket.0) {
            return Err(if (1..state.next_ticket).contains(&ticket.0) {
                ExitError::TicketAlreadyUsed(ticket)
            } else {
                ExitError::UnknownTicket(ticket)
            });
        }
        Ok(self.settle(&mut state, ticket.0, false))
    }

    fn exit_lost_ticket(&self, plate: &str) -> Result<Receipt, ExitError> {
        let mut state = self.state.lock();
        let Some(&id) = state.plates.get(plate) else {
            return Err(ExitError::NotInside {
                plate: plate.to_string(),
            });
        };
        Ok(self.settle(&mut state, id, true))
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
                VehicleKind::Car => car,
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
