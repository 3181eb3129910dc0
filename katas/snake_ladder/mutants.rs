//! Known-wrong snake-and-ladder engines. Each realistic mutant is one mistake candidates really
//! make; the rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic,
//! hang or abort, to prove the grader survives them.
//!
//! Every realistic mutant is one [`Flawed`] engine whose [`Flaw`] switches on exactly one bug.
//! Board validation and analysis delegate to the reference around the bug; the game is its own,
//! written the way a candidate would, so that game bugs live where candidates put them.

use super::conformance::{
    BOARD_FILE, CHAINED_JUMPS, CHAINS_AND_CYCLES, DICE, DISTRIBUTION, EXPECTED_TURNS, EXTRA_TURNS,
    INVALID_BOARDS, LONG_CHAINS, MANY_PLAYERS, MONTE_CARLO, OVERSHOOT, REPLAY, TURN_ORDER,
    UNREACHABLE, VALID_BOARDS, WIN_ON_LAST, suite,
};
use super::{
    Analysis, BoardError, BoardSpec, Dice, ExtraTurn, GameError, Overshoot, ParseError, Rules,
    SnakeLadder, SplitMix64, TurnEvent, reference,
};
use crate::grading::Mutant;
use crate::grading::hostile::{self, Misbehaviour};
use parking_lot::Mutex;
use std::marker::PhantomData;

/// Every mutant of this kata.
pub fn catalogue() -> Vec<Mutant> {
    let realistic = Mutant::realistic;
    let mut mutants = vec![
        realistic(
            "ladder-to-last-rejected",
            "checks jump ends against 1..N exclusive, so a ladder to the winning square is rejected as off the board",
            &[VALID_BOARDS.id],
            suite::<Flawed<LadderToLastRejected>>,
        ),
        realistic(
            "duplicate-start-overwritten",
            "builds a map from start to end without checking, so a second jump from one square silently replaces the first",
            &[INVALID_BOARDS.id],
            suite::<Flawed<DuplicateOverwritten>>,
        ),
        realistic(
            "snake-on-last-accepted",
            "never checks jump starts against N, so a snake on the winning square is accepted",
            &[INVALID_BOARDS.id],
            suite::<Flawed<SnakeOnLastAccepted>>,
        ),
        realistic(
            "chains-without-cycle-check",
            "follows chained jumps in a loop but never checks the board for cycles: the first game to land on one hangs",
            &[CHAINS_AND_CYCLES.id],
            suite::<Flawed<NoCycleCheck>>,
        ),
        realistic(
            "no-reachability-check",
            "accepts any board whose jumps are well-formed, even when no roll sequence can reach N",
            &[UNREACHABLE.id],
            suite::<Flawed<NoReachabilityCheck>>,
        ),
        realistic(
            "parse-lines-from-zero",
            "reports parse errors with enumerate()'s 0-based line numbers",
            &[BOARD_FILE.id],
            suite::<Flawed<LinesFromZero>>,
        ),
        realistic(
            "turn-order-from-turn-count",
            "derives the player to move from the number of turns played, so every extra turn shifts the order",
            &[TURN_ORDER.id, MANY_PLAYERS.id],
            suite::<Flawed<TurnFromCount>>,
        ),
        realistic(
            "die-rolls-0-to-5",
            "maps random numbers to faces with r % faces: the die shows 0..=5",
            &[DICE.id],
            suite::<Flawed<DieFromZero>>,
        ),
        realistic(
            "die-rolls-1-to-7",
            "maps random numbers to faces with r % (faces + 1) + 1: the die shows 1..=7",
            &[DICE.id],
            suite::<Flawed<DieTooHigh>>,
        ),
        realistic(
            "bounce-off-by-one",
            "bounces off N + 1 instead of N: an overshooting player ends one square too far back",
            &[OVERSHOOT.id],
            suite::<Flawed<BounceOffByOne>>,
        ),
        realistic(
            "ladder-to-last-not-a-win",
            "checks for the win on the square the dice reached, before taking the ladder, so a ladder to N does not win",
            &[WIN_ON_LAST.id],
            suite::<Flawed<LadderWinIgnored>>,
        ),
        realistic(
            "unbounded-extra-turns",
            "gives an extra turn on every highest roll, without the three-in-a-row forfeit",
            &[EXTRA_TURNS.id],
            suite::<Flawed<UnboundedExtraTurns>>,
        ),
        realistic(
            "chains-followed-once",
            "takes only the first jump of a chain, leaving the player on the next jump's start",
            &[CHAINED_JUMPS.id, LONG_CHAINS.id],
            suite::<Flawed<FollowOnce>>,
        ),
        realistic(
            "shared-rng-state",
            "seeded dice share one global generator, so two games with the same seed interleaved do not replay",
            &[REPLAY.id],
            suite::<Flawed<SharedRng>>,
        ),
        realistic(
            "expected-turns-by-simulation",
            "estimates the expected game length by simulating 2,000 games instead of solving the chain",
            &[EXPECTED_TURNS.id],
            suite::<Flawed<SimulatedExpectation>>,
        ),
        realistic(
            "analysis-off-by-one-turn",
            "counts the turns of a game from 1 on the starting square, so every figure is one turn too many",
            &[EXPECTED_TURNS.id, DISTRIBUTION.id, MONTE_CARLO.id],
            suite::<Flawed<OffByOneTurn>>,
        ),
    ];
    mutants.extend(hostile::mutants::<HostileSuite>());
    mutants
}

// ---------------------------------------------------------------------------------------------
// The configurable flawed engine
// ---------------------------------------------------------------------------------------------

/// One bug, switched on by overriding one constant.
pub trait Flaw: Send + Sync + 'static {
    /// Jump ends must be below N.
    const LADDER_TO_LAST_REJECTED: bool = false;
    /// A later jump from the same square replaces the earlier one.
    const DUPLICATES_OVERWRITE: bool = false;
    /// Jumps from N are dropped instead of rejected.
    const SNAKE_ON_LAST_ACCEPTED: bool = false;
    /// Cycles are accepted.
    const NO_CYCLE_CHECK: bool = false;
    /// Unreachable N is accepted.
    const NO_REACHABILITY_CHECK: bool = false;
    /// Parse errors count lines from 0.
    const LINES_FROM_ZERO: bool = false;
    /// The mover is `turns played % players`.
    const TURN_FROM_COUNT: bool = false;
    /// Faces 0..faces.
    const DIE_FROM_ZERO: bool = false;
    /// Faces 1..=faces + 1.
    const DIE_TOO_HIGH: bool = false;
    /// Bounce to 2N − target − 1.
    const BOUNCE_OFF_BY_ONE: bool = false;
    /// Win decided before the jump.
    const LADDER_WIN_IGNORED: bool = false;
    /// No forfeit on the third highest roll.
    const UNBOUNDED_EXTRA: bool = false;
    /// Only the first jump of a chain.
    const FOLLOW_ONCE: bool = false;
    /// Seeded dice share a global generator.
    const SHARED_RNG: bool = false;
    /// Expected turns by simulation.
    const SIMULATED_EXPECTATION: bool = false;
    /// Every figure one turn too many.
    const OFF_BY_ONE_TURN: bool = false;
}

macro_rules! flaws {
    ($($(#[$doc:meta])* $name:ident => $flag:ident;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Flaw for $name {
                const $flag: bool = true;
            }
        )+
    };
}

flaws! {
    /// See the catalogue.
    LadderToLastRejected => LADDER_TO_LAST_REJECTED;
    /// See the catalogue.
    DuplicateOverwritten => DUPLICATES_OVERWRITE;
    /// See the catalogue.
    SnakeOnLastAccepted => SNAKE_ON_LAST_ACCEPTED;
    /// See the catalogue.
    NoCycleCheck => NO_CYCLE_CHECK;
    /// See the catalogue.
    NoReachabilityCheck => NO_REACHABILITY_CHECK;
    /// See the catalogue.
    LinesFromZero => LINES_FROM_ZERO;
    /// See the catalogue.
    TurnFromCount => TURN_FROM_COUNT;
    /// See the catalogue.
    DieFromZero => DIE_FROM_ZERO;
    /// See the catalogue.
    DieTooHigh => DIE_TOO_HIGH;
    /// See the catalogue.
    BounceOffByOne => BOUNCE_OFF_BY_ONE;
    /// See the catalogue.
    LadderWinIgnored => LADDER_WIN_IGNORED;
    /// See the catalogue.
    UnboundedExtraTurns => UNBOUNDED_EXTRA;
    /// See the catalogue.
    FollowOnce => FOLLOW_ONCE;
    /// See the catalogue.
    SharedRng => SHARED_RNG;
    /// See the catalogue.
    SimulatedExpectation => SIMULATED_EXPECTATION;
    /// See the catalogue.
    OffByOneTurn => OFF_BY_ONE_TURN;
}

/// A board with the bug `F`.
pub struct Flawed<F> {
    /// The reference board, when the reference accepts the board too.
    reference: Option<reference::Board>,
    squares: u32,
    rules: Rules,
    /// `jump_to[s]`: the end of the jump starting on s, or 0.
    jump_to: Vec<u32>,
    flaw: PhantomData<F>,
}

impl<F: Flaw> SnakeLadder for Flawed<F> {
    type Game = FlawedGame<F>;

    fn parse(text: &str) -> Result<BoardSpec, ParseError> {
        reference::parse(text).map_err(|mut e| {
            if F::LINES_FROM_ZERO {
                e.line -= 1;
            }
            e
        })
    }

    fn new(spec: &BoardSpec, rules: &Rules) -> Result<Self, BoardError> {
        let mut spec = spec.clone();
        if F::LADDER_TO_LAST_REJECTED
            && let Some(&jump) = spec.jumps.iter().find(|j| j.to >= spec.squares)
        {
            return Err(BoardError::JumpOutOfRange { jump });
        }
        if F::DUPLICATES_OVERWRITE {
            let mut kept: Vec<super::Jump> = Vec::new();
            for j in spec.jumps {
                kept.retain(|k| k.from != j.from);
                kept.push(j);
            }
            spec.jumps = kept;
        }
        if F::SNAKE_ON_LAST_ACCEPTED {
            let n = spec.squares;
            spec.jumps.retain(|j| j.from != n);
        }
        let reference = match reference::validate(&spec, rules) {
            Ok(board) => Some(board),
            Err(BoardError::Cycle { .. }) if F::NO_CYCLE_CHECK => None,
            Err(BoardError::Unreachable { .. }) if F::NO_REACHABILITY_CHECK => None,
            Err(e) => return Err(e),
        };
        let mut jump_to = vec![0; spec.squares as usize + 1];
        for j in &spec.jumps {
            jump_to[j.from as usize] = j.to;
        }
        Ok(Self {
            reference,
            squares: spec.squares,
            rules: *rules,
            jump_to,
            flaw: PhantomData,
        })
    }

    fn seeded_dice(seed: u64) -> Box<dyn Dice> {
        if F::SHARED_RNG {
            *SHARED.lock() = SplitMix64::new(seed);
            Box::new(GlobalDice)
        } else if F::DIE_FROM_ZERO || F::DIE_TOO_HIGH {
            Box::new(ModuloDice::<F>(SplitMix64::new(seed), PhantomData))
        } else {
            reference::Board::seeded_dice(seed)
        }
    }

    fn new_game(&self, players: usize, dice: Box<dyn Dice>) -> Result<FlawedGame<F>, GameError> {
        if players == 0 {
            return Err(GameError::NoPlayers);
        }
        Ok(FlawedGame {
            squares: self.squares,
            rules: self.rules,
            jump_to: self.jump_to.clone(),
            dice,
            positions: vec![0; players],
            current: 0,
            turns: 0,
            streak: 0,
            winner: None,
            flaw: PhantomData,
        })
    }

    fn analyze(&self) -> Analysis {
        let mut a = self.checked().analyze();
        if F::SIMULATED_EXPECTATION {
            a.expected_turns = self.simulated_expectation(2_000);
        }
        if F::OFF_BY_ONE_TURN {
            a.expected_turns += 1.0;
            a.median_turns += 1;
            a.shortest_game += 1;
        }
        a
    }

    fn finished_within(&self, turns: u32) -> Vec<f64> {
        let mut p = self.checked().finished_within(turns);
        if F::OFF_BY_ONE_TURN {
            p.insert(0, 0.0);
            p.pop();
        }
        p
    }
}

impl<F: Flaw> Flawed<F> {
    fn checked(&self) -> &reference::Board {
        self.reference
            .as_ref()
            .expect("this mutant accepted an invalid board and cannot analyse it")
    }

    fn simulated_expectation(&self, games: u64) -> f64 {
        let mut total = 0u64;
        for seed in 0..games {
            let Ok(mut game) =
                self.new_game(1, Box::new(reference::SeededDice::new(seed ^ 0xA5A5)))
            else {
                return f64::NAN;
            };
            while super::Game::play_turn(&mut game).is_ok() {
                total += 1;
            }
        }
        total as f64 / games as f64
    }
}

static SHARED: Mutex<SplitMix64> = Mutex::new(SplitMix64::new(0));

/// Dice drawing from one global generator.
struct GlobalDice;

impl Dice for GlobalDice {
    fn roll(&mut self, faces: u32) -> u32 {
        let r = SHARED.lock().next_u64();
        ((u128::from(r) * u128::from(faces)) >> 64) as u32 + 1
    }
}

/// Dice mapping random numbers to faces with a modulo, wrongly.
struct ModuloDice<F>(SplitMix64, PhantomData<F>);

impl<F: Flaw> Dice for ModuloDice<F> {
    fn roll(&mut self, faces: u32) -> u32 {
        let r = self.0.next_u64();
        if F::DIE_FROM_ZERO {
            (r % u64::from(faces)) as u32
        } else {
            (r % (u64::from(faces) + 1)) as u32 + 1
        }
    }
}

/// A game written the way a candidate would, with the bug `F`.
pub struct FlawedGame<F> {
    squares: u32,
    rules: Rules,
    jump_to: Vec<u32>,
    dice: Box<dyn Dice>,
    positions: Vec<u32>,
    current: usize,
    turns: usize,
    streak: u8,
    winner: Option<usize>,
    flaw: PhantomData<F>,
}

impl<F: Flaw> FlawedGame<F> {
    fn mover(&self) -> usize {
        if F::TURN_FROM_COUNT {
            self.turns % self.positions.len()
        } else {
            self.current
        }
    }

    fn follow(&self, mut square: u32) -> u32 {
        while self.jump_to[square as usize] != 0 {
            square = self.jump_to[square as usize];
            if F::FOLLOW_ONCE {
                break;
            }
        }
        square
    }

    fn pass_turn(&mut self, player: usize) {
        self.streak = 0;
        self.current = (player + 1) % self.positions.len();
    }
}

impl<F: Flaw> super::Game for FlawedGame<F> {
    fn play_turn(&mut self) -> Result<TurnEvent, GameError> {
        if let Some(winner) = self.winner {
            return Err(GameError::GameOver { winner });
        }
        let dice = self.rules.dice;
        let roll = reference::roll(&mut *self.dice, dice)?;
        let player = self.mover();
        self.turns += 1;
        let from = self.positions[player];
        let n = self.squares;
        let highest = self.rules.extra_turn == ExtraTurn::OnHighestRoll && roll == dice.highest();
        let mut event = TurnEvent::standing(player, roll, from);
        if highest && self.streak >= 2 && !F::UNBOUNDED_EXTRA {
            self.pass_turn(player);
            return Ok(event);
        }
        let target = from + roll;
        event.landed = match self.rules.overshoot {
            _ if target <= n => target,
            Overshoot::Stay => from,
            Overshoot::Bounce if F::BOUNCE_OFF_BY_ONE => 2 * n - target - 1,
            Overshoot::Bounce => 2 * n - target,
            Overshoot::Finish => n,
        };
        event.to = self.follow(event.landed);
        self.positions[player] = event.to;
        let reached = if F::LADDER_WIN_IGNORED {
            event.landed
        } else {
            event.to
        };
        if reached == n {
            self.winner = Some(player);
            event.winner = Some(player);
        } else if highest {
            self.streak += 1;
            event.extra_turn = true;
        } else {
            self.pass_turn(player);
        }
        Ok(event)
    }

    fn positions(&self) -> &[u32] {
        &self.positions
    }

    fn next_player(&self) -> Option<usize> {
        self.winner.is_none().then(|| self.mover())
    }

    fn winner(&self) -> Option<usize> {
        self.winner
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile mutants
// ---------------------------------------------------------------------------------------------

/// A board whose every method misbehaves as `M` says.
pub struct Hostile<M> {
    misbehaviour: PhantomData<M>,
}

impl<M: Misbehaviour> SnakeLadder for Hostile<M> {
    type Game = reference::Game;

    fn parse(_: &str) -> Result<BoardSpec, ParseError> {
        M::act()
    }

    fn new(_: &BoardSpec, _: &Rules) -> Result<Self, BoardError> {
        M::act()
    }

    fn seeded_dice(_: u64) -> Box<dyn Dice> {
        M::act()
    }

    fn new_game(&self, _: usize, _: Box<dyn Dice>) -> Result<reference::Game, GameError> {
        let _ = self.misbehaviour;
        M::act()
    }

    fn analyze(&self) -> Analysis {
        M::act()
    }

    fn finished_within(&self, _: u32) -> Vec<f64> {
        M::act()
    }
}

/// This kata's suite bound to an implementation that misbehaves as `M` in every method.
struct HostileSuite;

impl hostile::HostileSuite for HostileSuite {
    fn suite<M: Misbehaviour>() -> Vec<crate::grading::Check> {
        suite::<Hostile<M>>()
    }
}
