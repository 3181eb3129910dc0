//! Stage 2 checks: fit, allocation order, the board, electric spots and charging requests.

use super::*;

/// Replays `steps`, tracking the spots the lot itself says are taken, and calls `check` after
/// every step with the lot's tickets still inside.
pub(super) fn replay_tracked<P: ParkingLot>(
    config: LotConfig,
    steps: &[Step],
    mut check: impl FnMut(
        &Scenario<P>,
        &Step,
        &Result<Ticket, EnterError>,
        &[Ticket],
    ) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(config)?;
    let mut issued: Vec<TicketId> = Vec::new();
    let mut inside: Vec<Ticket> = Vec::new();
    for step in steps {
        let mut entry = Err(EnterError::LotFull {
            kind: VehicleKind::Car,
        });
        match *step {
            Step::Enter(p, kind) => {
                entry = s.enter(PLATES[p], kind);
                if let Ok(t) = &entry {
                    issued.push(t.id);
                }
            }
            Step::EnterCharging(p, kind) => {
                entry = s.enter_charging(PLATES[p], kind);
                if let Ok(t) = &entry {
                    issued.push(t.id);
                }
            }
            Step::Exit(i) if !issued.is_empty() => {
                if let Ok(r) = s.exit(issued[i % issued.len()]) {
                    inside.retain(|t| t.id != r.ticket);
                }
            }
            Step::Lost(p) => {
                if let Ok(r) = s.lost(PLATES[p]) {
                    inside.retain(|t| t.id != r.ticket);
                }
            }
            Step::Advance(d) => s.advance(d),
            _ => {}
        }
        check(&s, step, &entry, &inside)?;
        if let Ok(t) = entry {
            inside.push(t);
        }
    }
    Ok(())
}

/// The truth: the layout minus the spots held by `inside`.
pub(super) fn true_board(layout: &[LevelSpots], inside: &[Ticket]) -> Board {
    let mut free = layout.to_vec();
    for t in inside {
        if let Some(level) = free.get_mut(t.spot.level) {
            let n = level.get_mut(t.spot.kind);
            *n = n.saturating_sub(1);
        }
    }
    Board { free }
}

/// Vehicles get only spots they fit, and LotFull exactly when nothing fitting is free.
pub fn fit_rules<P: ParkingLot>() -> Result<(), Failure> {
    let check = |layout: Vec<LevelSpots>| {
        move |s: &Scenario<P>,
              step: &Step,
              entry: &Result<Ticket, EnterError>,
              inside: &[Ticket]| {
            let (kind, charging) = match *step {
                Step::Enter(_, kind) => (kind, false),
                Step::EnterCharging(_, kind) => (kind, true),
                _ => return Ok(()),
            };
            if charging {
                return match entry {
                    Ok(t) if t.spot.kind != SpotKind::Electric => Err(s.fail(
                        "a charging request only in an electric spot",
                        format!("it was given {}", t.spot),
                    )),
                    _ => Ok(()),
                };
            }
            let free = true_board(&layout, inside);
            let fitting_free: usize = free
                .free
                .iter()
                .map(|l| {
                    SpotKind::ALL
                        .iter()
                        .filter(|&&sk| fits(kind, sk))
                        .map(|&sk| l.get(sk))
                        .sum::<usize>()
                })
                .sum();
            match entry {
                Ok(t) => {
                    let exists = layout
                        .get(t.spot.level)
                        .is_some_and(|l| t.spot.number < l.get(t.spot.kind));
                    if !fits(kind, t.spot.kind) || !exists {
                        return Err(s.fail(
                            format!("a {kind:?} only in a spot it fits ({})", fit_words(kind)),
                            format!("it was given {}", t.spot),
                        ));
                    }
                }
                Err(EnterError::LotFull { .. }) if fitting_free > 0 => {
                    return Err(s.fail(
                        format!("a ticket: {fitting_free} free spot(s) fit a {kind:?}"),
                        entered(entry),
                    ));
                }
                Err(_) => {}
            }
            Ok(())
        }
    };
    // The rule, spot kind by spot kind: one lot with one spot of each kind.
    let one_each = LotConfig::new(vec![LevelSpots::new(1, 1, 1)], Tariff::free());
    let scripted = [
        Step::Enter(0, VehicleKind::Van),
        Step::Enter(1, VehicleKind::Van),
        Step::Enter(2, VehicleKind::Car),
        Step::Enter(3, VehicleKind::Car),
        Step::Enter(4, VehicleKind::Motorcycle),
        Step::Exit(0),
        Step::Enter(5, VehicleKind::Car),
        Step::Enter(6, VehicleKind::Van),
    ];
    replay_tracked::<P>(one_each.clone(), &scripted, check(one_each.levels))?;
    let compact_only = LotConfig::new(vec![LevelSpots::new(0, 2, 0)], Tariff::free());
    let vans = [
        Step::Enter(0, VehicleKind::Van),
        Step::Enter(1, VehicleKind::Van),
    ];
    replay_tracked::<P>(compact_only.clone(), &vans, check(compact_only.levels))?;
    check_property(
        &FIT_RULES,
        200,
        (stage2_lot(), steps(ALL_KINDS, 8, 3)),
        |(config, steps)| {
            let layout = config.levels.clone();
            replay_tracked::<P>(config, &steps, check(layout))
        },
    )
}

pub(super) fn fit_words(kind: VehicleKind) -> &'static str {
    match kind {
        VehicleKind::Motorcycle => "motorcycle, compact or large",
        VehicleKind::Car | VehicleKind::ElectricCar => "compact or large",
        VehicleKind::Van => "large only",
    }
}

/// Every vehicle gets exactly the spot the documented order names.
pub fn allocation_order<P: ParkingLot>() -> Result<(), Failure> {
    check_property(
        &ALLOCATION_ORDER,
        300,
        (stage2_lot(), steps(ALL_KINDS, 8, 3)),
        |(config, steps)| run_model::<P>(config, &steps, false),
    )
}

/// The board equals the truth after every step.
pub fn board<P: ParkingLot>() -> Result<(), Failure> {
    let check = |layout: Vec<LevelSpots>| {
        move |s: &Scenario<P>, _: &Step, entry: &Result<Ticket, EnterError>, inside: &[Ticket]| {
            let mut inside = inside.to_vec();
            inside.extend(entry.clone());
            s.expect_board(&true_board(&layout, &inside))
        }
    };
    // A motorcycle in a compact spot, then a car in a large one, leaving again.
    let config = LotConfig::new(
        vec![LevelSpots::new(0, 1, 0), LevelSpots::new(1, 0, 1)],
        Tariff::free(),
    );
    let scripted = [
        Step::Enter(0, VehicleKind::Motorcycle),
        Step::Enter(1, VehicleKind::Motorcycle),
        Step::Enter(2, VehicleKind::Car),
        Step::Exit(0),
        Step::Exit(2),
        Step::Lost(1),
    ];
    replay_tracked::<P>(config.clone(), &scripted, check(config.levels))?;
    check_property(
        &BOARD,
        200,
        (stage2_lot(), steps(ALL_KINDS, 8, 3)),
        |(config, steps)| {
            let layout = config.levels.clone();
            replay_tracked::<P>(config, &steps, check(layout))
        },
    )
}

/// The ticket expected for `spot` at `now` (its id is not compared).
pub(super) fn ticket_at(spot: SpotId, now: Duration) -> Result<Ticket, EnterError> {
    Ok(Ticket {
        id: TicketId(0),
        spot,
        entered_at: now,
    })
}

/// Fails unless `got` is a ticket for `spot` (any id) or exactly the refusal `want`.
pub(super) fn expect_spot<P: ParkingLot>(
    s: &Scenario<P>,
    got: &Result<Ticket, EnterError>,
    want: Result<SpotId, EnterError>,
) -> Result<(), Failure> {
    let want = want.and_then(|spot| ticket_at(spot, s.now()));
    let same = match (got, &want) {
        (Ok(g), Ok(w)) => g.spot == w.spot && g.entered_at == w.entered_at,
        (g, w) => g == w,
    };
    if !same {
        let want = match &want {
            Ok(t) => format!("a ticket for {} at {}", t.spot, dur(t.entered_at)),
            Err(e) => format!("Err({e:?})"),
        };
        return Err(s.fail(want, entered(got)));
    }
    Ok(())
}

pub(super) fn electric(level: usize, number: usize) -> SpotId {
    SpotId {
        level,
        kind: SpotKind::Electric,
        number,
    }
}

/// Charging requests get the lowest free electric spot, and NoChargerFree when none is free.
pub fn charging_allocation<P: ParkingLot>() -> Result<(), Failure> {
    let ev = VehicleKind::ElectricCar;
    // Chargers on two levels, ordinary spots free all along.
    let config = LotConfig::new(
        vec![
            LevelSpots::new(0, 1, 0).with_electric(1),
            LevelSpots::new(1, 1, 1).with_electric(2),
        ],
        Tariff::free(),
    );
    let s = Scenario::<P>::new(config)?;
    let first = s.enter_charging("EV-1", ev);
    expect_spot(&s, &first, Ok(electric(0, 0)))?;
    let second = s.enter_charging("EV-2", ev);
    expect_spot(&s, &second, Ok(electric(1, 0)))?;
    expect_spot(&s, &s.enter_charging("EV-3", ev), Ok(electric(1, 1)))?;
    // Every charger taken: refused, although compact, large and motorcycle spots are free.
    expect_spot(
        &s,
        &s.enter_charging("EV-4", ev),
        Err(EnterError::NoChargerFree),
    )?;
    s.expect_board(&Board {
        free: vec![LevelSpots::new(0, 1, 0), LevelSpots::new(1, 1, 1)],
    })?;
    // The refused car was not let in: it can try again once a charger is free, and gets the
    // lowest free one.
    let Ok(second) = second else {
        return Err(s.fail("a ticket", entered(&second)));
    };
    if let Err(e) = s.exit(second.id) {
        return Err(s.fail("a receipt", format!("Err({e:?})")));
    }
    expect_spot(&s, &s.enter_charging("EV-4", ev), Ok(electric(1, 0)))?;
    if first.is_err() {
        return Err(s.fail("a ticket", entered(&first)));
    }
    if let Err(e) = s.lost("EV-1") {
        return Err(s.fail("a receipt", format!("Err({e:?})")));
    }
    expect_spot(&s, &s.enter_charging("EV-5", ev), Ok(electric(0, 0)))?;
    // A lot with no charger at all.
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(1, 1, 1)],
        Tariff::free(),
    ))?;
    expect_spot(
        &s,
        &s.enter_charging("EV-1", ev),
        Err(EnterError::NoChargerFree),
    )?;
    s.expect_board(&Board {
        free: vec![LevelSpots::new(1, 1, 1)],
    })?;
    // Random sequences, charging requests among them, against the model.
    check_property(
        &CHARGING_ALLOCATION,
        200,
        (stage2_lot(), steps(ALL_KINDS, 8, 8)),
        |(config, steps)| run_model::<P>(config, &steps, true),
    )
}

/// Vehicles that do not charge never take an electric spot, even when nothing else is free.
pub fn chargers_kept<P: ParkingLot>() -> Result<(), Failure> {
    let config = LotConfig::new(
        vec![
            LevelSpots::new(0, 1, 0).with_electric(2),
            LevelSpots::new(0, 0, 0).with_electric(1),
        ],
        Tariff::free(),
    );
    let s = Scenario::<P>::new(config)?;
    expect_spot(
        &s,
        &s.enter("CAR-1", VehicleKind::Car),
        Ok(SpotId {
            level: 0,
            kind: SpotKind::Compact,
            number: 0,
        }),
    )?;
    // Only chargers are free now: nobody who does not charge gets one.
    for (plate, kind) in [
        ("EV-1", VehicleKind::ElectricCar),
        ("MOTO-1", VehicleKind::Motorcycle),
        ("CAR-2", VehicleKind::Car),
        ("VAN-1", VehicleKind::Van),
    ] {
        expect_spot(&s, &s.enter(plate, kind), Err(EnterError::LotFull { kind }))?;
    }
    s.expect_board(&Board {
        free: vec![
            LevelSpots::new(0, 0, 0).with_electric(2),
            LevelSpots::new(0, 0, 0).with_electric(1),
        ],
    })?;
    // The chargers were free all along.
    expect_spot(
        &s,
        &s.enter_charging("EV-1", VehicleKind::ElectricCar),
        Ok(electric(0, 0)),
    )?;
    // Random sequences on lots with more chargers than other spots: every `enter` is checked.
    let lot = prop::collection::vec((0usize..=1, 0usize..=1, 0usize..=1, 1usize..=3), 1..=2)
        .prop_map(|levels| {
            let levels = levels
                .into_iter()
                .map(|(m, c, l, e)| LevelSpots::new(m, c, l).with_electric(e))
                .collect();
            LotConfig::new(levels, Tariff::free())
        });
    let check =
        |s: &Scenario<P>, step: &Step, entry: &Result<Ticket, EnterError>, _: &[Ticket]| match (
            step, entry,
        ) {
            (Step::Enter(_, kind), Ok(t)) if t.spot.kind == SpotKind::Electric => Err(s.fail(
                format!("no electric spot for a {kind:?} that does not charge"),
                format!("it was given {}", t.spot),
            )),
            _ => Ok(()),
        };
    check_property(
        &CHARGERS_KEPT,
        200,
        (lot, steps(ALL_KINDS, 8, 1)),
        |(config, steps)| replay_tracked::<P>(config, &steps, check),
    )
}

/// Only electric cars charge; refusals in the documented order, changing nothing.
pub fn charging_errors<P: ParkingLot>() -> Result<(), Failure> {
    let ev = VehicleKind::ElectricCar;
    let layout = || vec![LevelSpots::new(0, 2, 0).with_electric(1)];
    let s = Scenario::<P>::new(LotConfig::new(
        layout(),
        Tariff::new(Pricing::hourly(100), 0).with_charging(50, HOUR),
    ))?;
    let board = |compact: usize, electric: usize| Board {
        free: vec![LevelSpots::new(0, compact, 0).with_electric(electric)],
    };
    for kind in [VehicleKind::Motorcycle, VehicleKind::Car, VehicleKind::Van] {
        let got = s.enter_charging("PETROL-1", kind);
        expect_spot(&s, &got, Err(EnterError::NotElectric { kind }))?;
    }
    s.expect_board(&board(2, 1))?;
    // The refused plates are not inside: they park normally.
    let petrol = s.enter("PETROL-1", VehicleKind::Car);
    if petrol.is_err() {
        return Err(s.fail("a ticket: the refused car never got in", entered(&petrol)));
    }
    let invalid = |plate: &str| {
        Err(EnterError::InvalidPlate {
            plate: plate.into(),
        })
    };
    // An invalid plate is refused first, whatever the kind.
    for (plate, kind) in [("", ev), ("ev-1", ev), ("AB 1", VehicleKind::Van)] {
        expect_spot(&s, &s.enter_charging(plate, kind), invalid(plate))?;
    }
    // NotElectric before AlreadyInside.
    expect_spot(
        &s,
        &s.enter_charging("PETROL-1", VehicleKind::Car),
        Err(EnterError::NotElectric {
            kind: VehicleKind::Car,
        }),
    )?;
    let inside = |plate: &str| {
        Err(EnterError::AlreadyInside {
            plate: plate.into(),
        })
    };
    expect_spot(&s, &s.enter_charging("PETROL-1", ev), inside("PETROL-1"))?;
    expect_spot(&s, &s.enter_charging("EV-1", ev), Ok(electric(0, 0)))?;
    s.expect_board(&board(1, 0))?;
    // Chargers full: AlreadyInside, NotElectric and InvalidPlate still come before NoChargerFree.
    expect_spot(&s, &s.enter_charging("EV-1", ev), inside("EV-1"))?;
    expect_spot(
        &s,
        &s.enter_charging("VAN-1", VehicleKind::Van),
        Err(EnterError::NotElectric {
            kind: VehicleKind::Van,
        }),
    )?;
    expect_spot(&s, &s.enter_charging("e", ev), invalid("e"))?;
    expect_spot(
        &s,
        &s.enter_charging("EV-2", ev),
        Err(EnterError::NoChargerFree),
    )?;
    s.expect_board(&board(1, 0))?;
    // The car refused a charger is not inside: it may park without charging.
    let parked = s.enter("EV-2", ev);
    if parked.is_err() {
        return Err(s.fail(
            "a ticket for a compact spot: the refused car never got in",
            entered(&parked),
        ));
    }
    s.expect_board(&board(0, 0))
}
