//! Random gate sequences and the lots they run on, replayed side by side with the model.

use super::*;

/// Plates the sequences use: valid ones first, then invalid ones.
pub(super) const PLATES: &[&str] = &[
    "AB-123",
    "CD-456",
    "EF-789",
    "GHJKLMN-10",
    "JK-22",
    "LM-333",
    "NP-4",
    "QR-5",
    "",
    "ab-123",
    "ABCDEFGHIJK",
    "AB 12",
];
pub(super) const VALID_PLATES: usize = 8;

/// A step of a random gate sequence.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// A vehicle arrives (plate index into [`PLATES`]).
    Enter(usize, VehicleKind),
    /// A vehicle arrives and asks to charge.
    EnterCharging(usize, VehicleKind),
    /// The ticket issued n-th (modulo the tickets issued so far) is presented at the exit.
    Exit(usize),
    /// A ticket never issued is presented.
    ExitUnknown,
    /// The driver of this plate lost the ticket.
    Lost(usize),
    /// Time passes.
    Advance(Duration),
    /// Someone reads the board.
    Board,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Enter(p, k) => write!(f, "enter({:?}, {k:?})", PLATES[*p]),
            Step::EnterCharging(p, k) => write!(f, "enter_charging({:?}, {k:?})", PLATES[*p]),
            Step::Exit(i) => write!(f, "exit(ticket issued #{i})"),
            Step::ExitUnknown => write!(f, "exit(a ticket never issued)"),
            Step::Lost(p) => write!(f, "exit_lost_ticket({:?})", PLATES[*p]),
            Step::Advance(d) => write!(f, "advance {}", dur(*d)),
            Step::Board => write!(f, "board()"),
        }
    }
}

/// Random gate sequences over `plates` valid plates and vehicles of `kinds`; with `charging`
/// weight above 0, some arrivals ask to charge (mostly electric cars, sometimes not).
pub(super) fn steps(
    kinds: &'static [VehicleKind],
    plates: usize,
    charging: u32,
) -> impl Strategy<Value = Vec<Step>> {
    let valid = 0..plates.min(VALID_PLATES);
    let plate = prop_oneof![6 => valid.clone(), 1 => VALID_PLATES..PLATES.len()];
    let kind = prop::sample::select(kinds);
    let advance = prop_oneof![
        Just(Duration::from_nanos(1)),
        Just(Duration::from_secs(59 * 60)),
        Just(HOUR),
        (0u64..4 * 3_600).prop_map(Duration::from_secs),
    ];
    let mut options: Vec<(u32, BoxedStrategy<Step>)> = vec![
        (
            6,
            (plate.clone(), kind)
                .prop_map(|(p, k)| Step::Enter(p, k))
                .boxed(),
        ),
        (4, (0usize..16).prop_map(Step::Exit).boxed()),
        (1, Just(Step::ExitUnknown).boxed()),
        (1, valid.prop_map(Step::Lost).boxed()),
        (2, advance.prop_map(Step::Advance).boxed()),
        (2, Just(Step::Board).boxed()),
    ];
    if charging > 0 {
        let charger = prop_oneof![
            4 => Just(VehicleKind::ElectricCar),
            1 => prop::sample::select(&VehicleKind::ALL[..]),
        ];
        let charge = (plate, charger).prop_map(|(p, k)| Step::EnterCharging(p, k));
        options.push((charging, charge.boxed()));
    }
    prop::collection::vec(prop::strategy::Union::new_weighted(options), 1..40)
}

/// A one-level lot of 1–4 compact spots, free parking: the stage-1 lot.
pub(super) fn stage1_lot() -> impl Strategy<Value = LotConfig> {
    (1usize..=4).prop_map(|n| LotConfig::compact(n, Tariff::free()))
}

/// 1–3 levels of 0–2 spots of each kind (at least one spot in all), free parking.
pub(super) fn stage2_lot() -> impl Strategy<Value = LotConfig> {
    let level = (0usize..=2, 0usize..=2, 0usize..=2, 0usize..=2);
    prop::collection::vec(level, 1..=3).prop_map(|levels| {
        let mut levels: Vec<LevelSpots> = levels
            .into_iter()
            .map(|(m, c, l, e)| LevelSpots::new(m, c, l).with_electric(e))
            .collect();
        if levels.iter().all(|l| l.total() == 0) {
            levels[0].compact = 1;
        }
        LotConfig::new(levels, Tariff::free())
    })
}

pub(super) const CARS: &[VehicleKind] = &[VehicleKind::Car];
pub(super) const ALL_KINDS: &[VehicleKind] = &VehicleKind::ALL;

/// A ticket id that `issued` does not contain.
pub(super) fn never_issued(issued: &[TicketId]) -> TicketId {
    let mut id = 1_000_000_007;
    while issued.contains(&TicketId(id)) {
        id += 1;
    }
    TicketId(id)
}

/// Replays `steps` on the lot and on the model side by side; every answer must match.
pub(super) fn run_model<P: ParkingLot>(
    config: LotConfig,
    steps: &[Step],
    compare_board: bool,
) -> Result<(), Failure> {
    let s = Scenario::<P>::new(config.clone())?;
    let mut model = Model::new(&config);
    // The id the lot gave to the model's ticket i.
    let mut ids: Vec<TicketId> = Vec::new();
    for step in steps {
        let now = s.now();
        match *step {
            Step::Enter(p, kind) | Step::EnterCharging(p, kind) => {
                let plate = PLATES[p];
                let (want, got) = if matches!(step, Step::EnterCharging(..)) {
                    (
                        model.enter_charging(plate, kind, now),
                        s.enter_charging(plate, kind),
                    )
                } else {
                    (model.enter(plate, kind, now), s.enter(plate, kind))
                };
                if let (Ok((_, spot)), Ok(t)) = (&want, &got) {
                    if ids.contains(&t.id) {
                        return Err(s.fail(
                            "a new ticket id",
                            format!("ticket #{} was already issued", t.id.0),
                        ));
                    }
                    let want = Ok(Ticket {
                        id: t.id,
                        spot: *spot,
                        entered_at: now,
                    });
                    s.expect_entry(&got, &want)?;
                    ids.push(t.id);
                } else {
                    let want = want.map(|(_, spot)| Ticket {
                        id: TicketId(0),
                        spot,
                        entered_at: now,
                    });
                    s.expect_entry(&got, &want)?;
                }
            }
            Step::Exit(i) => {
                if ids.is_empty() {
                    continue;
                }
                let i = i % ids.len();
                let want = model.exit(i, ids[i], now, false);
                let got = s.exit(ids[i]);
                s.expect_exit(&got, &want)?;
            }
            Step::ExitUnknown => {
                let id = never_issued(&ids);
                let got = s.exit(id);
                s.expect_exit(&got, &Err(ExitError::UnknownTicket(id)))?;
            }
            Step::Lost(p) => {
                let plate = PLATES[p];
                let want = match model.inside(plate) {
                    Some(i) => model.exit(i, ids[i], now, true),
                    None => Err(ExitError::NotInside {
                        plate: plate.into(),
                    }),
                };
                let got = s.lost(plate);
                s.expect_exit(&got, &want)?;
            }
            Step::Advance(d) => s.advance(d),
            Step::Board => {
                if compare_board {
                    s.expect_board(&model.board())?;
                }
            }
        }
    }
    if compare_board {
        s.expect_board(&model.board())?;
    }
    Ok(())
}
