//! Stage 1 checks: entry, exit, capacity, typed errors, no leaked spots.

use super::*;

/// Random sequences on a one-level lot match the model in every answer.
pub fn entry_exit_model<P: ParkingLot>() -> Result<(), Failure> {
    check_property(
        &ENTRY_EXIT_MODEL,
        300,
        (stage1_lot(), steps(CARS, 5, 0)),
        |(config, steps)| run_model::<P>(config, &steps, true),
    )
}

/// Exactly n admitted; the next refused; one exit lets exactly one more in, into that spot.
pub fn capacity<P: ParkingLot>() -> Result<(), Failure> {
    check_property(
        &CAPACITY,
        60,
        (1usize..=12, any::<prop::sample::Index>()),
        |(n, leaver)| {
            let s = Scenario::<P>::new(LotConfig::compact(n, Tariff::free()))?;
            let mut tickets = Vec::new();
            for i in 0..n {
                let got = s.enter(&format!("CAR-{i}"), VehicleKind::Car);
                match got {
                    Ok(t) => tickets.push(t),
                    Err(_) => {
                        return Err(s.fail(
                            format!("admitted: car {} of a lot of {n}", i + 1),
                            entered(&got),
                        ));
                    }
                }
            }
            let full = Err(EnterError::LotFull {
                kind: VehicleKind::Car,
            });
            let got = s.enter("ONE-MORE", VehicleKind::Car);
            if got != full {
                return Err(s.fail(entered(&full), entered(&got)));
            }
            let leaving = &tickets[leaver.index(n)];
            if let Err(e) = s.exit(leaving.id) {
                return Err(s.fail("a receipt", format!("Err({e:?})")));
            }
            let got = s.enter("LATE-1", VehicleKind::Car);
            match &got {
                Ok(t) if t.spot == leaving.spot => {}
                _ => {
                    return Err(s.fail(
                        format!("a ticket for {}, the spot just freed", leaving.spot),
                        entered(&got),
                    ));
                }
            }
            let got = s.enter("LATE-2", VehicleKind::Car);
            if got != full {
                return Err(s.fail(entered(&full), entered(&got)));
            }
            Ok(())
        },
    )
}

/// Each refusal has its own error kind, in the documented order, and changes nothing.
pub fn typed_errors<P: ParkingLot>() -> Result<(), Failure> {
    for levels in [vec![], vec![LevelSpots::default(); 3]] {
        let config = LotConfig::new(levels, Tariff::free());
        let got = P::new(config.clone(), Arc::new(ManualClock::new())).err();
        if got != Some(ConfigError::NoSpots) {
            return Err(Failure::new(
                format!("new(): {}", describe_config(&config)),
                "Err(NoSpots)",
                match got {
                    None => "a lot".to_string(),
                    Some(e) => format!("Err({e:?})"),
                },
            ));
        }
    }
    let s = Scenario::<P>::new(LotConfig::compact(2, Tariff::new(Pricing::hourly(100), 0)))?;
    let car = VehicleKind::Car;
    let unchanged = |s: &Scenario<P>, free: usize| {
        s.expect_board(&Board {
            free: vec![LevelSpots::new(0, free, 0)],
        })
    };
    let invalid = |plate: &str| {
        Err(EnterError::InvalidPlate {
            plate: plate.into(),
        })
    };
    for plate in ["", "ab-1", "AB 1", "ABCDEFGHIJK", "ÄB-1", "AB_1"] {
        s.expect_entry(&s.enter(plate, car), &invalid(plate))?;
    }
    unchanged(&s, 2)?;
    // The longest plate, 10 characters, is valid; every character of the alphabet is.
    for plate in ["ABCDEFG-10", "HIJKLMNOPQ", "RSTUVWXYZ9", "0123456789"] {
        let got = s.enter(plate, car);
        let Ok(t) = got else {
            return Err(s.fail(
                format!(
                    "a ticket: {plate:?} is a valid plate of {} characters",
                    plate.len()
                ),
                entered(&got),
            ));
        };
        if let Err(e) = s.exit(t.id) {
            return Err(s.fail("a receipt", format!("Err({e:?})")));
        }
    }
    let first = s.enter("AB-1", car);
    let Ok(first) = first else {
        return Err(s.fail("a ticket", entered(&first)));
    };
    let inside = |plate: &str| {
        Err(EnterError::AlreadyInside {
            plate: plate.into(),
        })
    };
    s.expect_entry(&s.enter("AB-1", car), &inside("AB-1"))?;
    s.expect_entry(&s.enter("AB-1", VehicleKind::Motorcycle), &inside("AB-1"))?;
    unchanged(&s, 1)?;
    let second = s.enter("CD-2", car);
    let Ok(second) = second else {
        return Err(s.fail("a ticket", entered(&second)));
    };
    let full = Err(EnterError::LotFull { kind: car });
    s.expect_entry(&s.enter("EF-3", car), &full)?;
    // Precedence: an invalid plate, then a plate inside, before a full lot.
    s.expect_entry(&s.enter("AB-1", car), &inside("AB-1"))?;
    s.expect_entry(&s.enter("e", car), &invalid("e"))?;
    unchanged(&s, 0)?;
    let unknown = never_issued(&[first.id, second.id]);
    s.expect_exit(&s.exit(unknown), &Err(ExitError::UnknownTicket(unknown)))?;
    s.advance(HOUR);
    let got = s.exit(first.id);
    if got.is_err() {
        return Err(s.fail("a receipt", exited(&got)));
    }
    s.advance(HOUR);
    let used = Err(ExitError::TicketAlreadyUsed(first.id));
    s.expect_exit(&s.exit(first.id), &used)?;
    s.expect_exit(&s.exit(first.id), &used)?;
    unchanged(&s, 1)?;
    // The same car may come back after leaving, and gets the spot it left.
    let again = s.enter("AB-1", car);
    if again.as_ref().map(|t| t.spot) != Ok(first.spot) {
        return Err(s.fail(format!("a ticket for {}", first.spot), entered(&again)));
    }
    let not_inside = Err(ExitError::NotInside {
        plate: "ZZ-9".into(),
    });
    s.expect_exit(&s.lost("ZZ-9"), &not_inside)?;
    unchanged(&s, 0)?;
    let got = s.lost("CD-2");
    if got.is_err() {
        return Err(s.fail("a receipt for the lost ticket", exited(&got)));
    }
    s.expect_exit(
        &s.exit(second.id),
        &Err(ExitError::TicketAlreadyUsed(second.id)),
    )?;
    s.expect_exit(
        &s.lost("CD-2"),
        &Err(ExitError::NotInside {
            plate: "CD-2".into(),
        }),
    )?;
    unchanged(&s, 1)
}

/// Runs `steps`, then exits everyone still inside, then checks the whole lot is free.
pub(super) fn drains_clean<P: ParkingLot>(
    config: LotConfig,
    steps: &[Step],
) -> Result<(), Failure> {
    let capacity: usize = config.levels.iter().map(LevelSpots::total).sum();
    let layout = Board {
        free: config.levels.clone(),
    };
    let s = Scenario::<P>::new(config)?;
    let mut issued: Vec<TicketId> = Vec::new();
    let mut open: Vec<TicketId> = Vec::new();
    for step in steps {
        match *step {
            Step::Enter(p, kind) => {
                if let Ok(t) = s.enter(PLATES[p], kind) {
                    issued.push(t.id);
                    open.push(t.id);
                }
            }
            Step::Exit(i) if !issued.is_empty() => {
                if let Ok(r) = s.exit(issued[i % issued.len()]) {
                    open.retain(|&id| id != r.ticket);
                }
            }
            Step::Lost(p) => {
                if let Ok(r) = s.lost(PLATES[p]) {
                    open.retain(|&id| id != r.ticket);
                }
            }
            Step::Advance(d) => s.advance(d),
            _ => {}
        }
    }
    s.note("every ticket still inside exits:");
    for id in open {
        let _ = s.exit(id);
    }
    s.expect_board(&layout)?;
    for i in 0..capacity {
        let got = s.enter(&format!("FILL-{i}"), VehicleKind::Motorcycle);
        if got.is_err() {
            return Err(s.fail(
                format!(
                    "motorcycle {} of {capacity} admitted: the lot is empty again",
                    i + 1
                ),
                entered(&got),
            ));
        }
    }
    Ok(())
}

/// After any sequence, once everyone still inside exits, the whole lot is free.
pub fn no_spot_leaks<P: ParkingLot>() -> Result<(), Failure> {
    // The classic leak: the same plate entering twice, then both of its tickets presented.
    let twice = [
        Step::Enter(0, VehicleKind::Car),
        Step::Enter(0, VehicleKind::Car),
        Step::Exit(0),
        Step::Exit(1),
    ];
    drains_clean::<P>(LotConfig::compact(2, Tariff::free()), &twice)?;
    check_property(
        &NO_SPOT_LEAKS,
        200,
        (stage1_lot(), steps(CARS, 5, 0)),
        |(config, steps)| drains_clean::<P>(config, &steps),
    )
}
