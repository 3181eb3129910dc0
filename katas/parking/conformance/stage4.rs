//! Stage 4 checks: gates racing for the last spots and churning through entries and exits.

use super::*;

pub(super) const GATES: usize = 4;

/// Builds a lot on a frozen clock whose reads yield, to widen race windows.
pub(super) fn racing_lot<P: ParkingLot>(config: &LotConfig, seed: u64) -> Result<P, Failure> {
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

/// A lot on a frozen clock that can hold the next thread reading it.
fn holding_lot<P: ParkingLot>(
    config: &LotConfig,
) -> Result<(P, Arc<HoldingClock<ManualClock>>), Failure> {
    let clock = Arc::new(HoldingClock::new(ManualClock::starting_at(OPENING)));
    let lot = P::new(config.clone(), clock.clone()).map_err(|e| {
        Failure::new(
            describe_config(config),
            "an empty lot",
            format!("new() returned Err({e:?})"),
        )
    })?;
    Ok((lot, clock))
}

/// How long the second gate may take while the first is held before it counts as waiting for
/// the first gate's lock. It only picks which interleaving the check sees.
const SECOND_GATE_PATIENCE: Duration = Duration::from_millis(250);

/// Two gates admitting one plate at once: one ticket, one `AlreadyInside`, one spot taken.
///
/// Gate A's `enter` is held inside `clock.now()`, after its reading, while gate B enters the
/// same plate. A lot that checks the plate and records it in one critical section either makes
/// B wait (B then finds the plate inside) or lets B in first (A then finds it); a lot that
/// checks the plate, lets go of its lock to read the clock and then admits, admits it twice.
pub fn same_plate_race<P: ParkingLot>() -> Result<(), Failure> {
    let kinds = [
        (VehicleKind::Car, VehicleKind::Car),
        (VehicleKind::Motorcycle, VehicleKind::Car),
        (VehicleKind::Van, VehicleKind::Motorcycle),
    ];
    for (round, (kind_a, kind_b)) in kinds.into_iter().enumerate() {
        let config = LotConfig::new(vec![LevelSpots::new(2, 2, 2); 2], Tariff::free());
        let (lot, clock) = holding_lot::<P>(&config)?;
        let plate = format!("TWIN-{round}");
        let free_before = lot.board().total();
        clock.arm(Duration::from_secs(10));
        let (a, b, how) = race_while_held(
            &clock,
            || lot.enter(&plate, kind_a),
            || lot.enter(&plate, kind_b),
            SECOND_GATE_PATIENCE,
        );
        let input = format!(
            "{}; clock frozen; gate A enters {plate} as a {kind_a:?} and is held inside clock.now() while gate B enters {plate} as a {kind_b:?} ({})",
            describe_config(&config),
            how.describe()
        );
        let taken = free_before.saturating_sub(lot.board().total());
        let refused = |r: &Result<Ticket, EnterError>| matches!(r, Err(EnterError::AlreadyInside { plate: p }) if *p == plate);
        let one_each = (a.is_ok() && refused(&b)) || (b.is_ok() && refused(&a));
        ensure!(
            one_each && taken == 1,
            input,
            "one gate gets a ticket, the other AlreadyInside; one spot taken",
            "A: {a:?}; B: {b:?}; {taken} spot(s) taken"
        );
        if how == Interleaving::FirstNotHeld {
            // Nothing more to learn from further rounds.
            break;
        }
    }
    Ok(())
}

/// An exit and a lost-ticket settlement of one car at once: one succeeds, the spot is freed
/// once.
///
/// One gate's call is held inside `clock.now()`, after its reading, while the other gate
/// settles the same car the other way; both orders are tried. Only a lot that decides the stay
/// is open and closes it in one critical section settles it once in both.
pub fn exit_versus_lost_ticket<P: ParkingLot>() -> Result<(), Failure> {
    for exit_first in [true, false] {
        let config = LotConfig::compact(3, Tariff::free());
        let (lot, clock) = holding_lot::<P>(&config)?;
        let plate = "LOST-1";
        let ticket = lot.enter(plate, VehicleKind::Car).map_err(|e| {
            Failure::new(
                describe_config(&config),
                format!("{plate} admitted"),
                format!("Err({e:?})"),
            )
        })?;
        let _ = lot.enter("OTHER-1", VehicleKind::Car);
        let exit = || lot.exit(ticket.id).map(|r| r.spot);
        let lost = || lot.exit_lost_ticket(plate).map(|r| r.spot);
        clock.arm(Duration::from_secs(10));
        let (by_ticket, by_plate, how) = if exit_first {
            let (e, l, how) = race_while_held(&clock, exit, lost, SECOND_GATE_PATIENCE);
            (e, l, how)
        } else {
            let (l, e, how) = race_while_held(&clock, lost, exit, SECOND_GATE_PATIENCE);
            (e, l, how)
        };
        let (first, second) = if exit_first {
            ("exit(its ticket)", "exit_lost_ticket(its plate)")
        } else {
            ("exit_lost_ticket(its plate)", "exit(its ticket)")
        };
        let input = format!(
            "{}; clock frozen; {plate} and OTHER-1 enter; gate A calls {first} and is held inside clock.now() while gate B calls {second} ({})",
            describe_config(&config),
            how.describe()
        );
        let free = lot.board().total();
        let refused_ticket =
            matches!(by_ticket, Err(ExitError::TicketAlreadyUsed(id)) if id == ticket.id);
        let refused_plate =
            matches!(&by_plate, Err(ExitError::NotInside { plate: p }) if p == plate);
        let once = (by_ticket.is_ok() && refused_plate) || (by_plate.is_ok() && refused_ticket);
        ensure!(
            once && free == 2,
            input,
            "one settlement succeeds, the other is refused (TicketAlreadyUsed / NotInside); 2 spots free (OTHER-1 still parked)",
            "exit: {by_ticket:?}; exit_lost_ticket: {by_plate:?}; {free} spot(s) free"
        );
    }
    Ok(())
}
