//! Stage 3 checks: pricing — hourly rounding, composed tariffs, grace, daily maximum, tariff at entry, lost ticket, charging.

use super::*;

pub(super) const MINUTE: Duration = Duration::from_secs(60);
pub(super) const NS: Duration = Duration::from_nanos(1);

/// A lot with one spot of each kind, under `tariff`.
pub(super) fn pricing_lot(tariff: Tariff) -> LotConfig {
    LotConfig::new(vec![LevelSpots::new(1, 1, 1)], tariff)
}

/// One vehicle stays `stay` under `tariff`; its receipt must carry the oracle's fee.
pub(super) fn expect_fee<P: ParkingLot>(
    tariff: &Tariff,
    kind: VehicleKind,
    stay: Duration,
    why: &str,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(pricing_lot(tariff.clone()))?;
    let ticket = s.enter("FEE-1", kind);
    let Ok(ticket) = ticket else {
        return Err(s.fail("a ticket", entered(&ticket)));
    };
    s.advance(stay);
    let want = Ok(Receipt {
        ticket: ticket.id,
        spot: ticket.spot,
        stay,
        fee: Money(oracle_fee(&tariff.pricing, kind, stay)),
    });
    let got = s.exit(ticket.id);
    if got != want {
        return Err(s.fail(format!("{} — {why}", exited(&want)), exited(&got)));
    }
    Ok(())
}

/// Prices in minor units, odd cents included: 0.29 is where float money shows.
pub(super) fn rate() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        24 => prop_oneof![
            Just(1u64),
            Just(29),
            Just(99),
            Just(250),
            Just(333),
            1u64..=5_000
        ],
        // Two started hours of this overflow: the fee saturates.
        1 => Just(u64::MAX / 2 + 1),
    ]
}

/// Stays with the edges mixed in: whole hours, ±1 ns, day edges, several days.
pub(super) fn stay() -> impl Strategy<Value = Duration> + Clone {
    let edges = vec![
        Duration::ZERO,
        NS,
        HOUR - NS,
        HOUR,
        HOUR + NS,
        HOUR + 59 * MINUTE,
        2 * HOUR - NS,
        2 * HOUR,
        2 * HOUR + NS,
        2 * HOUR + Duration::from_secs(1),
        DAY - NS,
        DAY,
        DAY + NS,
        DAY + HOUR,
        2 * DAY,
        3 * DAY + 5 * HOUR,
        3 * DAY + NS,
    ];
    prop_oneof![
        2 => prop::sample::select(edges),
        2 => (0u32..=80, 0usize..3).prop_map(|(h, edge)| {
            let whole = HOUR * h;
            [whole, whole + NS, whole.saturating_sub(NS)][edge]
        }),
        1 => (0u64..10 * 86_400_000_000_000).prop_map(Duration::from_nanos),
    ]
}

/// Hourly or tiered pricing.
pub(super) fn leaf_pricing() -> impl Strategy<Value = Pricing> + Clone {
    prop_oneof![
        rate().prop_map(Pricing::hourly),
        (prop::collection::vec((0u64..=3, rate()), 0..=3), rate())
            .prop_map(|(tiers, then)| Pricing::tiered(&tiers, then)),
    ]
}

/// Random compositions: a leaf or one per vehicle kind, maybe capped per day, maybe with a
/// grace period, wrapped in either order.
pub(super) fn pricing() -> impl Strategy<Value = Pricing> {
    let core = prop_oneof![
        3 => leaf_pricing(),
        1 => (leaf_pricing(), leaf_pricing(), leaf_pricing())
            .prop_map(|(m, c, v)| Pricing::per_vehicle(m, c, v)),
    ];
    let grace = prop::option::of(prop_oneof![
        Just(Duration::ZERO),
        Just(15 * MINUTE),
        Just(HOUR),
        (1u64..7_200).prop_map(Duration::from_secs),
    ]);
    let cap = prop::option::of(prop_oneof![Just(1u64), rate(), 500u64..=20_000]);
    (core, grace, cap, any::<bool>()).prop_map(|(core, grace, cap, grace_outside)| {
        let capped = |p: Pricing| match cap {
            Some(max) => p.with_daily_max(max),
            None => p,
        };
        let graced = |p: Pricing| match grace {
            Some(g) => p.with_grace(g),
            None => p,
        };
        if grace_outside {
            graced(capped(core))
        } else {
            capped(graced(core))
        }
    })
}

pub(super) fn kind() -> impl Strategy<Value = VehicleKind> {
    prop::sample::select(ALL_KINDS)
}

/// Hourly fees count started hours, at every boundary.
pub fn hourly_rounding<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(250), 0);
    for (stay, why) in [
        (Duration::ZERO, "a stay of 0 ns has started no hour"),
        (NS, "1 ns has started the first hour"),
        (HOUR - NS, "59m59.999999999s is 1 started hour"),
        (HOUR, "exactly 1 h is 1 hour"),
        (HOUR + NS, "1 h + 1 ns has started a second hour"),
        (HOUR + 59 * MINUTE, "1h59m is 2 started hours, not 1"),
        (2 * HOUR, "exactly 2 h is 2 hours, not 3"),
        (2 * HOUR + NS, "2 h + 1 ns has started a third hour"),
        (
            2 * HOUR + Duration::from_secs(1),
            "2h00m01s is 3 started hours",
        ),
    ] {
        expect_fee::<P>(&tariff, VehicleKind::Car, stay, why)?;
    }
    check_property(
        &HOURLY_ROUNDING,
        200,
        (rate(), kind(), stay()),
        |(rate, kind, stay)| {
            let tariff = Tariff::new(Pricing::hourly(rate), 0);
            expect_fee::<P>(&tariff, kind, stay, "rate × started hours")
        },
    )
}

/// Composed tariffs give the oracle's fee exactly.
pub fn exact_fees<P: ParkingLot>() -> Result<(), Failure> {
    let tiers = Pricing::tiered(&[(1, 300), (2, 200)], 100);
    let examples = [
        (
            Pricing::hourly(29),
            VehicleKind::Car,
            HOUR,
            "one hour at 0.29 is 0.29, not 0.28",
        ),
        (
            tiers.clone(),
            VehicleKind::Car,
            4 * HOUR,
            "3.00 + 2 × 2.00 + 1.00",
        ),
        (
            Pricing::per_vehicle(
                Pricing::hourly(50),
                Pricing::hourly(200),
                Pricing::hourly(400),
            ),
            VehicleKind::Van,
            3 * HOUR,
            "3 hours at the van rate",
        ),
        (
            tiers.with_daily_max(700).with_grace(15 * MINUTE),
            VehicleKind::Car,
            DAY + 3 * HOUR + NS,
            "one capped day (7.00) + 4 started hours (8.00, capped to 7.00)",
        ),
    ];
    for (pricing, kind, stay, why) in examples {
        expect_fee::<P>(&Tariff::new(pricing, 0), kind, stay, why)?;
    }
    check_property(
        &EXACT_FEES,
        300,
        (pricing(), kind(), stay()),
        |(pricing, kind, stay)| {
            expect_fee::<P>(&Tariff::new(pricing, 0), kind, stay, "the oracle's fee")
        },
    )
}

/// A stay of exactly the grace period is free; 1 ns more pays the whole stay.
pub fn grace_edge<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(300).with_grace(15 * MINUTE), 0);
    for (stay, why) in [
        (15 * MINUTE - NS, "inside the grace period: free"),
        (15 * MINUTE, "exactly the grace period: still free"),
        (
            15 * MINUTE + NS,
            "1 ns over the grace: the whole stay pays (1 started hour)",
        ),
        (
            HOUR + NS,
            "the whole stay pays, not the stay minus the grace: 2 started hours",
        ),
    ] {
        expect_fee::<P>(&tariff, VehicleKind::Car, stay, why)?;
    }
    let grace = prop_oneof![
        Just(Duration::ZERO),
        Just(HOUR),
        Just(2 * HOUR),
        (1u64..3 * 3_600).prop_map(Duration::from_secs),
    ];
    let offset = prop_oneof![Just(0i8), Just(-1), Just(1), Just(2)];
    check_property(
        &GRACE_EDGE,
        200,
        (grace, offset, leaf_pricing(), kind()),
        |(grace, offset, inner, kind)| {
            let stay = match offset {
                -1 => grace.saturating_sub(NS),
                0 => grace,
                1 => grace + NS,
                _ => grace + HOUR,
            };
            let tariff = Tariff::new(inner.with_grace(grace), 0);
            expect_fee::<P>(&tariff, kind, stay, "free up to and including the grace")
        },
    )
}

/// The daily maximum caps each 24-hour piece of a stay.
pub fn daily_cap<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(300).with_daily_max(2_000), 0);
    for (stay, why) in [
        (6 * HOUR, "6 hours: 18.00, under the cap"),
        (23 * HOUR + 59 * MINUTE, "one day's worth: capped at 20.00"),
        (DAY, "exactly 24 h is one day: 20.00"),
        (DAY + NS, "24 h + 1 ns: one capped day + 1 started hour"),
        (2 * DAY + 7 * HOUR, "two capped days + 7 hours (capped)"),
        (3 * DAY, "three days pay three maxima, not one"),
        (7 * DAY + NS, "a week and 1 ns: seven maxima + 1 hour"),
    ] {
        expect_fee::<P>(&tariff, VehicleKind::Car, stay, why)?;
    }
    let days = (0u32..10, 0usize..4).prop_map(|(d, edge)| {
        let whole = DAY * d;
        [
            whole,
            whole + NS,
            whole.saturating_sub(NS),
            whole + 5 * HOUR,
        ][edge]
    });
    let cap = prop_oneof![Just(1u64), rate(), 500u64..=20_000];
    check_property(
        &DAILY_CAP,
        200,
        (leaf_pricing(), cap, kind(), prop_oneof![days, stay()]),
        |(inner, cap, kind, stay)| {
            let tariff = Tariff::new(inner.with_daily_max(cap), 0);
            expect_fee::<P>(&tariff, kind, stay, "each day capped on its own")
        },
    )
}

/// Two vehicles entering together: the one that stays longer never pays less.
pub(super) fn longer_pays_more<P: ParkingLot>(
    pricing: Pricing,
    kind: VehicleKind,
    short: Duration,
    extra: Duration,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(2, 2, 2)],
        Tariff::new(pricing, 0),
    ))?;
    let a = s.enter("SHORT-1", kind);
    let b = s.enter("LONG-1", kind);
    let (Ok(a), Ok(b)) = (a.clone(), b.clone()) else {
        return Err(s.fail("two tickets", format!("{}; {}", entered(&a), entered(&b))));
    };
    s.advance(short);
    let first = s.exit(a.id);
    s.advance(extra);
    let second = s.exit(b.id);
    let (Ok(first), Ok(second)) = (&first, &second) else {
        return Err(s.fail(
            "two receipts",
            format!("{}; {}", exited(&first), exited(&second)),
        ));
    };
    if second.fee < first.fee {
        return Err(s.fail(
            format!(
                "the stay of {} pays at least the {} that the stay of {} paid",
                dur(second.stay),
                first.fee,
                dur(first.stay)
            ),
            format!("it paid {}", second.fee),
        ));
    }
    Ok(())
}

/// The fee never decreases as the stay gets longer.
pub fn monotonic_fee<P: ParkingLot>() -> Result<(), Failure> {
    let cheaper_later = Pricing::tiered(&[(1, 500), (2, 300)], 100);
    for (short, extra) in [(3 * HOUR, HOUR), (HOUR, 2 * HOUR), (3 * HOUR, NS)] {
        longer_pays_more::<P>(cheaper_later.clone(), VehicleKind::Car, short, extra)?;
    }
    let extra = prop_oneof![
        Just(NS),
        Just(HOUR),
        Just(DAY),
        (1u64..3 * 86_400).prop_map(Duration::from_secs),
    ];
    check_property(
        &MONOTONIC_FEE,
        300,
        (pricing(), kind(), stay(), extra),
        |(pricing, kind, short, extra)| longer_pays_more::<P>(pricing, kind, short, extra),
    )
}

/// Vehicles inside keep the tariff they entered under.
pub(super) fn entry_tariff_billed<P: ParkingLot>(
    before: Tariff,
    after: Tariff,
    stay: Duration,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(0, 4, 0)],
        before.clone(),
    ))?;
    let car = VehicleKind::Car;
    let early = [s.enter("EARLY-1", car), s.enter("EARLY-2", car)];
    s.set_tariff(after.clone());
    let late = [s.enter("LATE-1", car), s.enter("LATE-2", car)];
    s.advance(stay);
    for (tickets, tariff, when) in [(&early, &before, "before"), (&late, &after, "after")] {
        let [Ok(by_ticket), Ok(lost)] = tickets else {
            return Err(s.fail("a ticket for every car", "a refusal"));
        };
        let fee = oracle_fee(&tariff.pricing, car, stay);
        let want = Ok(Receipt {
            ticket: by_ticket.id,
            spot: by_ticket.spot,
            stay,
            fee: Money(fee),
        });
        let got = s.exit(by_ticket.id);
        if got != want {
            return Err(s.fail(
                format!(
                    "{} — the tariff in force at entry ({when} the change)",
                    exited(&want)
                ),
                exited(&got),
            ));
        }
        let plate = if when == "before" {
            "EARLY-2"
        } else {
            "LATE-2"
        };
        let want = Ok(Receipt {
            ticket: lost.id,
            spot: lost.spot,
            stay,
            fee: Money(fee.max(tariff.lost_ticket.0)),
        });
        let got = s.lost(plate);
        if got != want {
            return Err(s.fail(
                format!(
                    "{} — the lost-ticket charge in force at entry ({when} the change)",
                    exited(&want)
                ),
                exited(&got),
            ));
        }
    }
    Ok(())
}

/// After set_tariff, vehicles already inside are billed with their entry tariff.
pub fn tariff_at_entry<P: ParkingLot>() -> Result<(), Failure> {
    entry_tariff_billed::<P>(
        Tariff::new(Pricing::hourly(100), 1_000),
        Tariff::new(Pricing::hourly(300), 5_000),
        2 * HOUR + 30 * MINUTE,
    )?;
    let tariff = || (pricing(), 0u64..=10_000).prop_map(|(p, lost)| Tariff::new(p, lost));
    check_property(
        &TARIFF_AT_ENTRY,
        100,
        (tariff(), tariff(), stay()),
        |(before, after, stay)| entry_tariff_billed::<P>(before, after, stay),
    )
}

/// A lost ticket pays the larger of fee and charge, frees the spot, and voids the ticket.
pub(super) fn lost_ticket_settles<P: ParkingLot>(
    tariff: Tariff,
    kind: VehicleKind,
    stay: Duration,
) -> Result<(), Failure> {
    let config = pricing_lot(tariff.clone());
    let layout = Board {
        free: config.levels.clone(),
    };
    let s = Scenario::<P>::new(config)?;
    let ticket = s.enter("LOST-1", kind);
    let Ok(ticket) = ticket else {
        return Err(s.fail("a ticket", entered(&ticket)));
    };
    s.advance(stay);
    let fee = oracle_fee(&tariff.pricing, kind, stay);
    let want = Ok(Receipt {
        ticket: ticket.id,
        spot: ticket.spot,
        stay,
        fee: Money(fee.max(tariff.lost_ticket.0)),
    });
    let got = s.lost("LOST-1");
    if got != want {
        return Err(s.fail(
            format!(
                "{} — the larger of the fee ({}) and the lost-ticket charge ({})",
                exited(&want),
                Money(fee),
                tariff.lost_ticket
            ),
            exited(&got),
        ));
    }
    s.expect_board(&layout)?;
    s.expect_exit(
        &s.exit(ticket.id),
        &Err(ExitError::TicketAlreadyUsed(ticket.id)),
    )?;
    let again = s.enter("LOST-1", kind);
    if again.is_err() {
        return Err(s.fail("a new ticket: the vehicle left", entered(&again)));
    }
    Ok(())
}

/// exit_lost_ticket charges max(fee, lost-ticket charge) and settles the ticket.
pub fn lost_ticket<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(300), 2_000);
    lost_ticket_settles::<P>(tariff.clone(), VehicleKind::Car, 30 * MINUTE)?;
    lost_ticket_settles::<P>(tariff, VehicleKind::Car, 3 * DAY)?;
    check_property(
        &LOST_TICKET,
        150,
        (pricing(), 0u64..=10_000, kind(), stay()),
        |(pricing, lost, kind, stay)| {
            lost_ticket_settles::<P>(Tariff::new(pricing, lost), kind, stay)
        },
    )
}

/// An electric car stays `stay`, charging or not, and leaves by ticket or as a lost ticket;
/// the receipt must carry parking plus (when charging) the oracle's charging fee.
pub(super) fn expect_charged<P: ParkingLot>(
    tariff: &Tariff,
    charging: bool,
    lost: bool,
    stay: Duration,
    why: &str,
) -> Result<(), Failure> {
    let config = LotConfig::new(
        vec![LevelSpots::new(0, 1, 0).with_electric(1)],
        tariff.clone(),
    );
    let s = Scenario::<P>::new(config)?;
    let kind = VehicleKind::ElectricCar;
    let ticket = if charging {
        s.enter_charging("EV-1", kind)
    } else {
        s.enter("EV-1", kind)
    };
    let Ok(ticket) = ticket else {
        return Err(s.fail("a ticket", entered(&ticket)));
    };
    s.advance(stay);
    let parking = oracle_fee(&tariff.pricing, kind, stay);
    let charged = if charging {
        oracle_charging(&tariff.charging, stay)
    } else {
        0
    };
    let mut fee = parking.saturating_add(charged);
    if lost {
        fee = fee.max(tariff.lost_ticket.0);
    }
    let want = Ok(Receipt {
        ticket: ticket.id,
        spot: ticket.spot,
        stay,
        fee: Money(fee),
    });
    let got = if lost {
        s.lost("EV-1")
    } else {
        s.exit(ticket.id)
    };
    if got != want {
        return Err(s.fail(
            format!(
                "{} — parking {} + charging {}{}: {why}",
                exited(&want),
                Money(parking),
                Money(charged),
                if lost {
                    ", or the lost-ticket charge"
                } else {
                    ""
                }
            ),
            exited(&got),
        ));
    }
    Ok(())
}

/// Charging is billed per started hour of min(stay, session), on top of parking.
pub fn charging_fee<P: ParkingLot>() -> Result<(), Failure> {
    let tariff = Tariff::new(Pricing::hourly(200).with_grace(15 * MINUTE), 1_000)
        .with_charging(150, 3 * HOUR);
    for (charging, lost, stay, why) in [
        (true, false, Duration::ZERO, "no time, no charging"),
        (
            true,
            false,
            10 * MINUTE,
            "parking is free inside the grace; the started hour of charging is not",
        ),
        (true, false, 3 * HOUR, "3 hours of parking + 3 of charging"),
        (
            true,
            false,
            3 * HOUR + NS,
            "the session ends at 3 h: 4 started hours of parking, 3 of charging",
        ),
        (
            true,
            false,
            10 * HOUR,
            "parked 10 hours, charged for the 3-hour session",
        ),
        (
            false,
            false,
            10 * HOUR,
            "entered without charging: parking only",
        ),
        (
            true,
            true,
            2 * HOUR,
            "lost ticket: the larger of parking + charging and the charge",
        ),
        (
            true,
            true,
            DAY,
            "lost ticket after a day: parking + the session's charging",
        ),
    ] {
        expect_charged::<P>(&tariff, charging, lost, stay, why)?;
    }
    // Charging comes from the tariff in force at entry.
    let s = Scenario::<P>::new(LotConfig::new(
        vec![LevelSpots::new(0, 0, 0).with_electric(2)],
        Tariff::new(Pricing::Free, 0).with_charging(100, DAY),
    ))?;
    let early = s.enter_charging("EV-1", VehicleKind::ElectricCar);
    s.set_tariff(Tariff::new(Pricing::Free, 0).with_charging(400, DAY));
    let late = s.enter_charging("EV-2", VehicleKind::ElectricCar);
    s.advance(2 * HOUR);
    for (ticket, fee, when) in [(&early, 200, "before"), (&late, 800, "after")] {
        let Ok(ticket) = ticket else {
            return Err(s.fail("a ticket", entered(ticket)));
        };
        let want = Ok(Receipt {
            ticket: ticket.id,
            spot: ticket.spot,
            stay: 2 * HOUR,
            fee: Money(fee),
        });
        let got = s.exit(ticket.id);
        if got != want {
            return Err(s.fail(
                format!(
                    "{} — the charging rate in force at entry ({when} the change)",
                    exited(&want)
                ),
                exited(&got),
            ));
        }
    }
    let session = prop_oneof![
        Just(Duration::ZERO),
        Just(HOUR),
        Just(4 * HOUR),
        Just(DAY),
        (1u64..30 * 3_600).prop_map(Duration::from_secs),
    ];
    let tariff = (pricing(), 0u64..=10_000, rate(), session)
        .prop_map(|(p, lost, rate, session)| Tariff::new(p, lost).with_charging(rate, session));
    check_property(
        &CHARGING_FEE,
        200,
        (tariff, any::<bool>(), prop::bool::weighted(0.25), stay()),
        |(tariff, charging, lost, stay)| {
            expect_charged::<P>(&tariff, charging, lost, stay, "the oracle's fee")
        },
    )
}
