//! Stage 4 checks: two gates racing on the same plate, and an exit racing a lost-ticket settlement of the same car.

use super::*;

/// How many vehicles one racing lot holds: each lot is a block of items both gates race over.
pub(super) const RACE_BLOCK: usize = 64;
/// The most items two gates race over before a lot is declared race-free. On one CPU a race
/// window with no clock read in it is only hit when the scheduler preempts a gate inside it,
/// so the budget is large; a solution that loses a race stops at the first one.
pub(super) const RACE_ITEMS: usize = 1 << 20;

/// The lots of a race, created on first use and dropped once both gates are past them.
pub(super) struct RaceLots<P> {
    blocks: Mutex<std::collections::VecDeque<(usize, Arc<RaceLot<P>>)>>,
    make: Box<dyn Fn(usize) -> Result<RaceLot<P>, Failure> + Send + Sync>,
}

/// One lot of a race, the tickets its setup issued, and how many gates won each item.
pub(super) struct RaceLot<P> {
    pub(super) lot: P,
    tickets: Vec<Ticket>,
    wins: Vec<AtomicUsize>,
}

impl<P: ParkingLot> RaceLots<P> {
    pub(super) fn get(&self, block: usize, done: usize) -> Result<Arc<RaceLot<P>>, Failure> {
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
pub(super) fn race_items<P: ParkingLot + 'static>(
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
pub(super) fn race_lot<P: ParkingLot>(config: &LotConfig) -> Result<P, Failure> {
    P::new(config.clone(), Arc::new(ManualClock::starting_at(OPENING))).map_err(|e| {
        Failure::new(
            describe_config(config),
            "an empty lot",
            format!("new() returned Err({e:?})"),
        )
    })
}

pub(super) fn no_wins() -> Vec<AtomicUsize> {
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
