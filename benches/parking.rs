//! Parking-lot throughput: enter+exit pairs on a half-full lot, the reference against a naive
//! lot that scans every spot (and the candidate's `exercise.rs` with `--features exercise`).
//!
//! - `parking/pair/<impl>/<spots>`: one gate, lots of 1,000 / 100,000 / 1,000,000 spots, each
//!   half full (500 / 50,000 / 500,000 cars inside). Each pair lets the longest-parked car out
//!   and another car in, which takes the spot just freed (the lowest free one). The reference is
//!   O(1) per operation; what still grows with the lot is cache misses: the plate index (a
//!   hash map of every plate inside, reached at a random place by every enter and every exit)
//!   and the leaving car's spot record. Plates are computed on the stack, so the bench's own
//!   bookkeeping adds none.
//! - `parking/pair/plate-index-floor/<spots>`: only that index — a `HashMap` from packed plate
//!   to spot, with the reference's hasher, behind a mutex taken once per operation as a gate
//!   takes the lot's — doing the same remove + insert per pair at the same occupancy. No lot
//!   that can answer "is this plate inside?" and find a car by plate without a ticket does less
//!   random memory traffic per pair, so this is the floor under the reference's growth with
//!   the lot. (Without the lock, a tight loop overlaps one pair's cache misses with the next
//!   pair's and hides most of them; the lock's atomic operations order them, as in any lot.)
//! - `parking/in-and-out/<impl>/<spots>`: the same half-full lots, but each pair is one car
//!   driving in and straight out again, so the lot ends every pair as it began and a pair reaches
//!   the same few cache lines every time. What is left is the work an operation does, without
//!   the memory hierarchy: O(1) means flat across sizes, and the naive lot, which scans past
//!   every parked car, grows with the lot.
//! - `parking/gates/<impl>/<threads>`: 1, 2 and 4 gate threads released by a barrier, each doing
//!   its share of the pairs on one lot of 100,000 spots; time is per pair, so lower is better.
//!
//! `cargo bench --bench parking`; shorter runs with `-- --warm-up-time 1 --measurement-time 2`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use lld_katas::clock::{Clock, ManualClock};
use lld_katas::parking::{
    Board, ConfigError, EnterError, ExitError, LevelSpots, LotConfig, Money, ParkingLot, Receipt,
    SpotId, SpotKind, Tariff, Ticket, TicketId, VehicleKind, reference,
};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Spots per level in every benched lot.
const PER_LEVEL: usize = 1_000;

fn config(spots: usize) -> LotConfig {
    LotConfig::new(
        vec![LevelSpots::new(0, PER_LEVEL, 0); spots / PER_LEVEL],
        Tariff::free(),
    )
}

/// A correct but naive lot, for comparison only: every entry scans the spot list from the
/// start, in allocation order. It charges nothing (the benches use a free tariff).
struct ScanLot {
    clock: Arc<dyn Clock>,
    state: Mutex<ScanState>,
}

struct ScanState {
    /// Every spot in allocation order, with the ticket parked there.
    spots: Vec<(SpotId, Option<u64>)>,
    parked: HashMap<u64, (Box<str>, usize, Duration)>,
    plates: HashMap<Box<str>, u64>,
    next_id: u64,
    board: Vec<LevelSpots>,
}

impl ParkingLot for ScanLot {
    fn new(config: LotConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let mut spots = Vec::new();
        for kind in SpotKind::ALL {
            for (level, counts) in config.levels.iter().enumerate() {
                for number in 0..counts.get(kind) {
                    let id = SpotId {
                        level,
                        kind,
                        number,
                    };
                    spots.push((id, None));
                }
            }
        }
        if spots.is_empty() {
            return Err(ConfigError::NoSpots);
        }
        let state = ScanState {
            spots,
            parked: HashMap::new(),
            plates: HashMap::new(),
            next_id: 1,
            board: config.levels,
        };
        Ok(Self {
            clock,
            state: Mutex::new(state),
        })
    }

    fn enter(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        let entered_at = self.clock.now();
        let mut s = self.state.lock();
        if s.plates.contains_key(plate) {
            return Err(EnterError::AlreadyInside {
                plate: plate.into(),
            });
        }
        let fits = |spot: SpotKind| match spot {
            SpotKind::Electric => false,
            SpotKind::Motorcycle => kind == VehicleKind::Motorcycle,
            SpotKind::Compact => kind != VehicleKind::Van,
            SpotKind::Large => true,
        };
        let i = s
            .spots
            .iter()
            .position(|(spot, taken)| taken.is_none() && fits(spot.kind))
            .ok_or(EnterError::LotFull { kind })?;
        let id = s.next_id;
        s.next_id += 1;
        s.spots[i].1 = Some(id);
        let spot = s.spots[i].0;
        *s.board[spot.level].get_mut(spot.kind) -= 1;
        s.plates.insert(plate.into(), id);
        s.parked.insert(id, (plate.into(), i, entered_at));
        Ok(Ticket {
            id: TicketId(id),
            spot,
            entered_at,
        })
    }

    fn enter_charging(&self, _: &str, _: VehicleKind) -> Result<Ticket, EnterError> {
        // The benched lots have no charger.
        Err(EnterError::NoChargerFree)
    }

    fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError> {
        let now = self.clock.now();
        let mut s = self.state.lock();
        let Some((plate, i, entered_at)) = s.parked.remove(&ticket.0) else {
            return Err(if ticket.0 < s.next_id {
                ExitError::TicketAlreadyUsed(ticket)
            } else {
                ExitError::UnknownTicket(ticket)
            });
        };
        s.plates.remove(&plate);
        s.spots[i].1 = None;
        let spot = s.spots[i].0;
        *s.board[spot.level].get_mut(spot.kind) += 1;
        Ok(Receipt {
            ticket,
            spot,
            stay: now.saturating_sub(entered_at),
            fee: Money(0),
        })
    }

    fn exit_lost_ticket(&self, plate: &str) -> Result<Receipt, ExitError> {
        let id = self.state.lock().plates.get(plate).copied();
        let id = id.ok_or_else(|| ExitError::NotInside {
            plate: plate.into(),
        })?;
        self.exit(TicketId(id))
    }

    fn set_tariff(&self, _: Tariff) {}

    fn board(&self) -> Board {
        Board {
            free: self.state.lock().board.clone(),
        }
    }
}

/// A plate built on the stack: `G<gate>-<car>`, the car number zero-padded to 7 digits.
///
/// Plates are computed, not stored, so the bench itself reaches no memory at a random place;
/// and every plate has the same 10 characters, so a larger lot's longer car numbers do not
/// make its plates slower to check and hash. What grows with the lot is the lot's own cost.
struct Plate([u8; 10]);

impl Plate {
    fn new(gate: usize, car: usize) -> Self {
        assert!(
            gate < 10 && car < 10_000_000,
            "plates have room for 7 digits"
        );
        let mut plate = *b"G0-0000000";
        plate[1] += gate as u8;
        let mut n = car;
        for digit in plate[3..].iter_mut().rev() {
            *digit += (n % 10) as u8;
            n /= 10;
        }
        Plate(plate)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("plates are ASCII")
    }
}

/// One gate's cars: the tickets inside, oldest first, with each car's number, and the one car
/// waiting outside.
struct Gate {
    gate: usize,
    inside: VecDeque<(TicketId, usize)>,
    outside: usize,
}

impl Gate {
    /// Parks cars `0..cars` through gate `gate`, and keeps car `cars` outside.
    fn fill(lot: &impl ParkingLot, gate: usize, cars: usize) -> Self {
        let inside = (0..cars)
            .map(|car| {
                let plate = Plate::new(gate, car);
                let ticket = lot.enter(plate.as_str(), VehicleKind::Car);
                (ticket.expect("room").id, car)
            })
            .collect();
        Self {
            gate,
            inside,
            outside: cars,
        }
    }

    /// The longest-parked car leaves, and the car waiting outside takes its spot.
    fn pair(&mut self, lot: &impl ParkingLot) {
        let (ticket, car) = self.inside.pop_front().expect("a car inside");
        black_box(lot.exit(ticket).expect("a parked car exits"));
        let arriving = std::mem::replace(&mut self.outside, car);
        let t = lot
            .enter(Plate::new(self.gate, arriving).as_str(), VehicleKind::Car)
            .expect("the spot just freed");
        self.inside.push_back((t.id, arriving));
    }

    /// The car waiting outside drives in and straight out again: the lot's state is the same
    /// before and after, so every pair reaches the same few cache lines.
    fn in_and_out(&self, lot: &impl ParkingLot) {
        let plate = Plate::new(self.gate, self.outside);
        let ticket = lot.enter(plate.as_str(), VehicleKind::Car);
        let ticket = ticket.expect("room in a half-full lot");
        black_box(lot.exit(ticket.id).expect("a parked car exits"));
    }
}

/// Builds a half-full lot of `spots` spots, parked in `gates` equal shares.
fn half_full<L: ParkingLot>(spots: usize, gates: usize) -> (L, Vec<Gate>) {
    let lot = L::new(config(spots), Arc::new(ManualClock::new())).expect("valid layout");
    let share = spots / 2 / gates;
    let gates = (0..gates).map(|g| Gate::fill(&lot, g, share)).collect();
    (lot, gates)
}

fn pairs<L: ParkingLot>(c: &mut Criterion, name: &str, sizes: &[usize]) {
    let mut group = c.benchmark_group("parking/pair");
    for &spots in sizes {
        let (lot, mut gates) = half_full::<L>(spots, 1);
        group.bench_with_input(BenchmarkId::new(name, spots), &spots, |b, _| {
            b.iter(|| gates[0].pair(&lot));
        });
    }
    group.finish();
}

fn in_and_out<L: ParkingLot>(c: &mut Criterion, name: &str, sizes: &[usize]) {
    let mut group = c.benchmark_group("parking/in-and-out");
    for &spots in sizes {
        let (lot, gates) = half_full::<L>(spots, 1);
        group.bench_with_input(BenchmarkId::new(name, spots), &spots, |b, _| {
            b.iter(|| gates[0].in_and_out(&lot));
        });
    }
    group.finish();
}

/// A plate packed into a `u64`, 6 bits a character (as compact as the reference's key).
fn packed(plate: &str) -> u64 {
    plate
        .bytes()
        .fold(0, |key, b| (key << 6) | u64::from(b - b'-' + 1))
}

/// The plate index alone: the same cars, the same churn, the same occupancy, the same lock per
/// operation — no lot.
fn plate_index_floor(c: &mut Criterion, sizes: &[usize]) {
    let mut group = c.benchmark_group("parking/pair");
    for &spots in sizes {
        let cars = spots / 2;
        let plate = |car: usize| packed(Plate::new(0, car).as_str());
        let mut map: foldhash::HashMap<u64, usize> = foldhash::HashMap::default();
        let mut inside: VecDeque<usize> = (0..cars).collect();
        for i in 0..cars {
            map.insert(plate(i), i);
        }
        let index = Mutex::new(map);
        let mut outside = cars;
        group.bench_with_input(
            BenchmarkId::new("plate-index-floor", spots),
            &spots,
            |b, _| {
                b.iter(|| {
                    let leaving = inside.pop_front().expect("a car inside");
                    let spot = index.lock().remove(&plate(leaving)).expect("inside");
                    let arriving = std::mem::replace(&mut outside, leaving);
                    let fresh = index
                        .lock()
                        .insert(plate(arriving), black_box(spot))
                        .is_none();
                    assert!(fresh, "the arriving car was outside");
                    inside.push_back(arriving);
                });
            },
        );
    }
    group.finish();
}

fn gates<L: ParkingLot>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("parking/gates");
    for threads in [1usize, 2, 4] {
        let (lot, gates) = half_full::<L>(100_000, threads);
        let gates: Vec<Mutex<Gate>> = gates.into_iter().map(Mutex::new).collect();
        group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
            b.iter_custom(|iters| {
                let per_gate = iters.div_ceil(threads as u64);
                let barrier = Barrier::new(threads + 1);
                let start = std::thread::scope(|s| {
                    for gate in &gates {
                        let (lot, barrier) = (&lot, &barrier);
                        s.spawn(move || {
                            let mut gate = gate.lock();
                            barrier.wait();
                            for _ in 0..per_gate {
                                gate.pair(lot);
                            }
                        });
                    }
                    barrier.wait();
                    Instant::now()
                });
                // Time per pair, over every gate's pairs.
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (per_gate * threads as u64) as f64)
            });
        });
    }
    group.finish();
}

const SIZES: &[usize] = &[1_000, 100_000, 1_000_000];
/// Filling half of a million spots one scan at a time takes minutes; the naive lot stops at
/// 100,000, which already shows the linear cost.
const NAIVE_SIZES: &[usize] = &[1_000, 100_000];

fn bench(c: &mut Criterion) {
    pairs::<reference::Lot>(c, "reference", SIZES);
    plate_index_floor(c, SIZES);
    pairs::<ScanLot>(c, "naive-scan", NAIVE_SIZES);
    #[cfg(feature = "exercise")]
    pairs::<lld_katas::parking::exercise::Lot>(c, "exercise", SIZES);
    in_and_out::<reference::Lot>(c, "reference", SIZES);
    in_and_out::<ScanLot>(c, "naive-scan", NAIVE_SIZES);
    #[cfg(feature = "exercise")]
    in_and_out::<lld_katas::parking::exercise::Lot>(c, "exercise", SIZES);
    gates::<reference::Lot>(c, "reference");
    gates::<ScanLot>(c, "naive-scan");
    #[cfg(feature = "exercise")]
    gates::<lld_katas::parking::exercise::Lot>(c, "exercise");
}

criterion_group!(benches, bench);
criterion_main!(benches);
