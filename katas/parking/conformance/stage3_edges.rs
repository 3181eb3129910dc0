//! Stage 3 checks at the edges: a clock that steps back, fees that saturate, the longest stay, pricing by vehicle kind in any spot.

use super::*;

/// One vehicle's visit: how it enters, when, and how and when it leaves.
#[derive(Debug, Clone)]
pub(super) struct Visit {
    kind: VehicleKind,
    charging: bool,
    lost: bool,
    enter_at: Duration,
    leave_at: Duration,
}

/// Plays `visit` on a fresh lot; the ticket's spot and the receipt must be the model's.
pub(super) fn settle_once<P: ParkingLot>(
    config: LotConfig,
    visit: &Visit,
    why: &str,
) -> Result<(), Failure> {
    const PLATE: &str = "VISIT-1";
    let s = Scenario::<P>::new(config.clone())?;
    let mut model = Model::new(&config);
    s.set_clock(visit.enter_at);
    let now = s.now();
    let (want, got) = if visit.charging {
        (
            model.enter_charging(PLATE, visit.kind, now),
            s.enter_charging(PLATE, visit.kind),
        )
    } else {
        (
            model.enter(PLATE, visit.kind, now),
            s.enter(PLATE, visit.kind),
        )
    };
    let (index, ticket) = match (want, &got) {
        (Ok((index, spot)), Ok(t)) if t.spot == spot => (index, t.clone()),
        (want, _) => {
            let want = want.map(|(_, spot)| Ticket {
                id: TicketId(0),
                spot,
                entered_at: now,
            });
            return Err(s.fail(entered(&want), entered(&got)));
        }
    };
    s.set_clock(visit.leave_at);
    let want = model.exit(index, ticket.id, s.now(), visit.lost);
    let got = if visit.lost {
        s.lost(PLATE)
    } else {
        s.exit(ticket.id)
    };
    if got != want {
        return Err(s.fail(format!("{} — {why}", exited(&want)), exited(&got)));
    }
    Ok(())
}

/// A lot with one spot of each kind, a charger included, under `tariff`.
pub(super) fn visit_lot(tariff: Tariff) -> LotConfig {
    LotConfig::new(vec![LevelSpots::new(1, 1, 1).with_electric(1)], tariff)
}

/// A visit; only an electric car asks to charge (other kinds would be refused NotElectric).
pub(super) fn visit(
    kind: VehicleKind,
    charging: bool,
    lost: bool,
    enter_at: Duration,
    leave_at: Duration,
) -> Visit {
    Visit {
        kind,
        charging: charging && kind == VehicleKind::ElectricCar,
        lost,
        enter_at,
        leave_at,
    }
}

/// Exit at a reading earlier than entry bills a zero stay.
pub fn clock_backwards<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(250), 700).with_charging(90, 4 * HOUR);
    let ev = VehicleKind::ElectricCar;
    let at = |h: u32| OPENING + HOUR * h;
    for (v, why) in [
        (
            visit(VehicleKind::Car, false, false, at(3), at(3) - NS),
            "1 ns earlier: a zero stay, nothing to pay",
        ),
        (
            visit(VehicleKind::Car, false, false, at(3), at(1)),
            "2 h earlier: a zero stay, not 2 hours",
        ),
        (
            visit(VehicleKind::Van, false, false, at(3), Duration::ZERO),
            "back to the origin: a zero stay",
        ),
        (
            visit(ev, true, false, at(5), at(2)),
            "charging over a zero stay costs nothing",
        ),
        (
            visit(VehicleKind::Car, false, true, at(4), at(1)),
            "lost ticket over a zero stay: the lost-ticket charge",
        ),
        (
            visit(VehicleKind::Car, false, false, at(1), at(3)),
            "an ordinary stay of 2 hours",
        ),
    ] {
        settle_once::<P>(visit_lot(tariff.clone()), &v, why)?;
    }
    // The clock steps back during the stay but still reads later than entry at exit.
    let s = Scenario::<P>::new(pricing_lot(Tariff::new(Pricing::hourly(100), 0)))?;
    let t = s.enter("BACK-1", VehicleKind::Car);
    let Ok(t) = t else {
        return Err(s.fail("a ticket", entered(&t)));
    };
    s.advance(5 * HOUR);
    s.clock.rewind(3 * HOUR);
    s.note(format!("clock steps back 3h → t={}", dur(s.now())));
    let want = Ok(Receipt {
        ticket: t.id,
        spot: t.spot,
        stay: 2 * HOUR,
        fee: Money(200),
    });
    s.expect_exit(&s.exit(t.id), &want)?;
    let tariff = (pricing(), 0u64..=10_000, rate(), stay())
        .prop_map(|(p, lost, rate, session)| Tariff::new(p, lost).with_charging(rate, session));
    let entry = prop_oneof![Just(OPENING), Just(DAY), stay().prop_map(|d| OPENING + d)];
    check_property(
        &CLOCK_BACKWARDS,
        200,
        (
            tariff,
            kind(),
            any::<bool>(),
            prop::bool::weighted(0.25),
            entry,
            stay(),
        ),
        |(tariff, kind, charging, lost, enter_at, back)| {
            let v = visit(
                kind,
                charging,
                lost,
                enter_at,
                enter_at.saturating_sub(back + NS),
            );
            settle_once::<P>(
                visit_lot(tariff),
                &v,
                "exit reads earlier than entry: a zero stay",
            )
        },
    )
}

/// Rates near `u64::MAX`, where sums and products overflow.
pub(super) fn huge_rate() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        Just(u64::MAX),
        Just(u64::MAX / 2 + 1),
        Just(u64::MAX / 3),
        (u64::MAX / 64..=u64::MAX),
    ]
}

/// Fees saturate at `u64::MAX`; a stay spanning the clock's range is priced exactly.
pub fn saturating_fees<P: ParkingLot>() -> Result<(), Failure> {
    const MAX: u64 = u64::MAX;
    const HALF: u64 = MAX / 2 + 1;
    let car = VehicleKind::Car;
    let ev = VehicleKind::ElectricCar;
    let end = Duration::from_nanos(u64::MAX);
    let from = |enter_at: Duration, stay: Duration| (enter_at, enter_at + stay);
    for (pricing, lost, charging, v, why) in [
        (
            Pricing::hourly(HALF),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 2 * HOUR)),
            "2 hours at more than half of u64::MAX: saturates",
        ),
        (
            Pricing::hourly(MAX),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, NS)),
            "1 started hour at u64::MAX",
        ),
        (
            Pricing::hourly(MAX),
            0,
            Charging::FREE,
            (VehicleKind::Van, false, false, from(OPENING, 3 * HOUR)),
            "3 hours at u64::MAX: saturates",
        ),
        (
            Pricing::tiered(&[(1, HALF)], HALF),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 2 * HOUR)),
            "the tier and the hour after it: saturates",
        ),
        (
            Pricing::tiered(&[(MAX, 1), (MAX, 7)], 9),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 5 * HOUR)),
            "tiers whose ends overflow: 5 hours in the first tier",
        ),
        (
            Pricing::hourly(HALF).with_daily_max(MAX),
            0,
            Charging::FREE,
            (car, false, false, from(OPENING, 2 * DAY + HOUR)),
            "two capped days of u64::MAX and more: saturates",
        ),
        (
            Pricing::hourly(HALF),
            0,
            Charging {
                per_hour: Money(HALF),
                session: DAY,
            },
            (ev, true, false, from(OPENING, HOUR)),
            "parking + charging overflow: saturates",
        ),
        (
            Pricing::hourly(HALF),
            5,
            Charging {
                per_hour: Money(HALF),
                session: DAY,
            },
            (ev, true, true, from(OPENING, HOUR)),
            "lost ticket: the larger of a saturated fee and the charge",
        ),
        (
            Pricing::hourly(1),
            0,
            Charging::FREE,
            (car, false, false, (Duration::ZERO, end)),
            "a stay of u64::MAX ns: every started hour at 0.01",
        ),
        (
            Pricing::hourly(7).with_daily_max(100),
            0,
            Charging::FREE,
            (car, false, false, (Duration::ZERO, end)),
            "a stay of u64::MAX ns under a daily maximum",
        ),
        (
            Pricing::Free,
            0,
            Charging {
                per_hour: Money(3),
                session: end,
            },
            (ev, true, false, (Duration::ZERO, end)),
            "charging for the whole range of the clock",
        ),
    ] {
        let tariff = Tariff {
            pricing,
            lost_ticket: Money(lost),
            charging,
        };
        let (kind, charging, lost, (enter_at, leave_at)) = v;
        let v = visit(kind, charging, lost, enter_at, leave_at);
        settle_once::<P>(visit_lot(tariff), &v, why)?;
    }
    let leaf = prop_oneof![
        huge_rate().prop_map(Pricing::hourly),
        (
            prop::collection::vec((prop_oneof![0u64..=3, Just(u64::MAX)], huge_rate()), 0..=3),
            huge_rate()
        )
            .prop_map(|(tiers, then)| Pricing::tiered(&tiers, then)),
    ];
    let pricing = (leaf, prop::option::of(huge_rate())).prop_map(|(p, cap)| match cap {
        Some(max) => p.with_daily_max(max),
        None => p,
    });
    let charging = prop_oneof![Just(0u64), huge_rate()];
    let tariff = (
        pricing,
        prop_oneof![Just(0u64), huge_rate()],
        charging,
        stay(),
    )
        .prop_map(|(p, lost, rate, session)| Tariff::new(p, lost).with_charging(rate, session));
    check_property(
        &SATURATING_FEES,
        150,
        (
            tariff,
            kind(),
            any::<bool>(),
            prop::bool::weighted(0.25),
            stay(),
        ),
        |(tariff, kind, charging, lost, stay)| {
            let v = visit(kind, charging, lost, OPENING, OPENING + stay);
            settle_once::<P>(
                visit_lot(tariff),
                &v,
                "the exact fee, saturated at u64::MAX",
            )
        },
    )
}

/// Per-vehicle pricing follows the vehicle's kind, whatever spot it was given.
pub fn priced_by_vehicle<P: ParkingLot>() -> Result<(), Failure> {
    let per_kind = Pricing::per_vehicle(
        Pricing::hourly(50),
        Pricing::hourly(200),
        Pricing::hourly(400),
    );
    let large_only = || vec![LevelSpots::new(0, 0, 2)];
    let no_motorcycle_spot = || vec![LevelSpots::new(0, 1, 1)];
    for (levels, kind, lost, why) in [
        (
            large_only(),
            VehicleKind::Motorcycle,
            false,
            "a motorcycle in a large spot pays the motorcycle rate",
        ),
        (
            no_motorcycle_spot(),
            VehicleKind::Motorcycle,
            false,
            "a motorcycle in a compact spot pays the motorcycle rate",
        ),
        (
            large_only(),
            VehicleKind::Car,
            false,
            "a car in a large spot pays the car rate",
        ),
        (
            large_only(),
            VehicleKind::ElectricCar,
            true,
            "an electric car in a large spot pays the car rate",
        ),
    ] {
        let config = LotConfig::new(levels, Tariff::new(per_kind.clone(), 0));
        let v = visit(kind, false, lost, OPENING, OPENING + 2 * HOUR);
        settle_once::<P>(config, &v, why)?;
    }
    let layout = prop_oneof![
        Just(LevelSpots::new(0, 0, 1)),
        Just(LevelSpots::new(0, 1, 1)),
        Just(LevelSpots::new(1, 1, 1)),
        Just(LevelSpots::new(0, 1, 0).with_electric(1)),
    ];
    let leaf = || prop_oneof![leaf_pricing(), Just(Pricing::Free)];
    let pricing = (leaf(), leaf(), leaf()).prop_map(|(m, c, v)| Pricing::per_vehicle(m, c, v));
    check_property(
        &PRICED_BY_VEHICLE,
        200,
        (
            layout,
            pricing,
            0u64..=2_000,
            kind(),
            prop::bool::weighted(0.25),
            stay(),
        ),
        |(level, pricing, lost, kind, lost_ticket, stay)| {
            // A van fits only a large spot: give it one.
            let level = if kind == VehicleKind::Van {
                LevelSpots { large: 1, ..level }
            } else {
                level
            };
            let config = LotConfig::new(vec![level], Tariff::new(pricing, lost));
            let v = visit(kind, false, lost_ticket, OPENING, OPENING + stay);
            settle_once::<P>(config, &v, "the vehicle's own rate, whatever its spot")
        },
    )
}
