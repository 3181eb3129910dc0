//! A lot under test on a manual clock, with a transcript of every step for the failure message.

use super::*;

/// Where every scenario's clock starts: not the origin, so entry times must come from the clock.
pub(super) const OPENING: Duration = Duration::from_secs(7 * 3_600);

/// One lot on a manual clock, with a transcript of everything done to it.
pub(super) struct Scenario<P> {
    pub(super) clock: ManualClock,
    pub(super) lot: P,
    pub(super) log: RefCell<Transcript>,
}

impl<P: ParkingLot> Scenario<P> {
    pub(super) fn new(config: LotConfig) -> Result<Self, Failure> {
        let clock = ManualClock::starting_at(OPENING);
        let log = Transcript::new(format!(
            "{}; clock starts at {}",
            describe_config(&config),
            dur(OPENING)
        ));
        match P::new(config, Arc::new(clock.clone())) {
            Ok(lot) => Ok(Self {
                clock,
                lot,
                log: RefCell::new(log),
            }),
            Err(e) => Err(Failure::new(
                log,
                "an empty lot (the layout has spots)",
                format!("new() returned Err({e:?})"),
            )),
        }
    }

    pub(super) fn now(&self) -> Duration {
        self.clock.now()
    }

    pub(super) fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.note(format!("advance {} → t={}", dur(by), dur(self.now())));
    }

    pub(super) fn set_clock(&self, at: Duration) {
        self.clock.set(at);
        self.note(format!("clock set to t={}", dur(self.now())));
    }

    pub(super) fn note(&self, line: impl Into<String>) {
        self.log.borrow_mut().step(line);
    }

    pub(super) fn enter(&self, plate: &str, kind: VehicleKind) -> Result<Ticket, EnterError> {
        let r = self.lot.enter(plate, kind);
        self.note(format!("enter({plate:?}, {kind:?}) → {}", entered(&r)));
        r
    }

    pub(super) fn enter_charging(
        &self,
        plate: &str,
        kind: VehicleKind,
    ) -> Result<Ticket, EnterError> {
        let r = self.lot.enter_charging(plate, kind);
        self.note(format!(
            "enter_charging({plate:?}, {kind:?}) → {}",
            entered(&r)
        ));
        r
    }

    pub(super) fn exit(&self, ticket: TicketId) -> Result<Receipt, ExitError> {
        let r = self.lot.exit(ticket);
        self.note(format!("exit(#{}) → {}", ticket.0, exited(&r)));
        r
    }

    pub(super) fn lost(&self, plate: &str) -> Result<Receipt, ExitError> {
        let r = self.lot.exit_lost_ticket(plate);
        self.note(format!("exit_lost_ticket({plate:?}) → {}", exited(&r)));
        r
    }

    pub(super) fn set_tariff(&self, tariff: Tariff) {
        self.note(format!("set_tariff: {}", describe_tariff(&tariff)));
        self.lot.set_tariff(tariff);
    }

    pub(super) fn board(&self) -> Board {
        let b = self.lot.board();
        self.note(format!("board() → {}", describe_board(&b)));
        b
    }

    pub(super) fn fail(&self, expected: impl fmt::Display, got: impl fmt::Display) -> Failure {
        Failure::new(&*self.log.borrow(), expected, got)
    }

    /// Fails unless `got` is exactly `want`.
    pub(super) fn expect_entry(
        &self,
        got: &Result<Ticket, EnterError>,
        want: &Result<Ticket, EnterError>,
    ) -> Result<(), Failure> {
        if got != want {
            return Err(self.fail(entered(want), entered(got)));
        }
        Ok(())
    }

    pub(super) fn expect_exit(
        &self,
        got: &Result<Receipt, ExitError>,
        want: &Result<Receipt, ExitError>,
    ) -> Result<(), Failure> {
        if got != want {
            return Err(self.fail(exited(want), exited(got)));
        }
        Ok(())
    }

    pub(super) fn expect_board(&self, want: &Board) -> Result<(), Failure> {
        let got = self.board();
        if got != *want {
            return Err(self.fail(describe_board(want), describe_board(&got)));
        }
        Ok(())
    }
}
