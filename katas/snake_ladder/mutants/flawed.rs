//! The configurable flawed engine behind every realistic mutant: one [`Flaw`] switches on one
//! bug, and the rest is a correct engine (validation and analysis by the reference, a game of
//! its own written the way a candidate would).

use crate::snake_ladder::{
    Analysis, BoardError, BoardSpec, ChainRule, Dice, DiceSpec, ExtraTurn, GameError, JumpKind,
    MAX_DICE, MAX_FACES, MAX_SQUARES, Overshoot, ParseError, ParseReason, Rules, SnakeLadder,
    SplitMix64, TurnEvent, reference,
};
use parking_lot::Mutex;
use std::marker::PhantomData;

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
    /// Dice bounds checked exclusively.
    const DICE_BOUNDS_EXCLUSIVE: bool = false;
    /// N < MAX_SQUARES.
    const MAX_SQUARES_EXCLUSIVE: bool = false;
    /// Jumps to themselves dropped.
    const SELF_JUMP_DROPPED: bool = false;
    /// Declared kinds ignored.
    const DIRECTION_UNCHECKED: bool = false;
    /// One pass over the jumps per defect.
    const VALIDATION_IN_PASSES: bool = false;
    /// Chains accepted when forbidden.
    const FORBIDDEN_CHAINS_ACCEPTED: bool = false;
    /// A statement followed by a comment is malformed.
    const TRAILING_COMMENT_REJECTED: bool = false;
    /// Numbers above i32::MAX are bad.
    const NUMBERS_AS_I32: bool = false;
    /// A game for no players.
    const ZERO_PLAYERS_ACCEPTED: bool = false;
    /// One die of count × faces faces.
    const ONE_BIG_DIE: bool = false;
    /// Faces not checked.
    const FACES_UNCHECKED: bool = false;
    /// Overshoot tested with >=.
    const STAY_ON_EXACT_ROLL: bool = false;
    /// Turns go on after the win.
    const PLAY_AFTER_WIN: bool = false;
    /// A forfeit keeps the streak.
    const STREAK_KEPT_AFTER_FORFEIT: bool = false;
    /// Any top face earns an extra turn.
    const EXTRA_ON_ANY_TOP_FACE: bool = false;
    /// The median is the first k with P(finished within k) > 1/2.
    const MEDIAN_ABOVE_HALF: bool = false;
    /// The distribution is followed for at most `TURN_CAP` turns.
    const TURNS_CAPPED: bool = false;
}

/// How far the capped analysis follows a game.
const TURN_CAP: u32 = 200_000;

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
    /// See the catalogue.
    DiceBoundsExclusive => DICE_BOUNDS_EXCLUSIVE;
    /// See the catalogue.
    MaxSquaresExclusive => MAX_SQUARES_EXCLUSIVE;
    /// See the catalogue.
    SelfJumpDropped => SELF_JUMP_DROPPED;
    /// See the catalogue.
    DirectionUnchecked => DIRECTION_UNCHECKED;
    /// See the catalogue.
    ValidationInPasses => VALIDATION_IN_PASSES;
    /// See the catalogue.
    ForbiddenChainsAccepted => FORBIDDEN_CHAINS_ACCEPTED;
    /// See the catalogue.
    TrailingCommentRejected => TRAILING_COMMENT_REJECTED;
    /// See the catalogue.
    NumbersAsI32 => NUMBERS_AS_I32;
    /// See the catalogue.
    ZeroPlayersAccepted => ZERO_PLAYERS_ACCEPTED;
    /// See the catalogue.
    OneBigDie => ONE_BIG_DIE;
    /// See the catalogue.
    FacesUnchecked => FACES_UNCHECKED;
    /// See the catalogue.
    StayOnExactRoll => STAY_ON_EXACT_ROLL;
    /// See the catalogue.
    PlayAfterWin => PLAY_AFTER_WIN;
    /// See the catalogue.
    StreakKeptAfterForfeit => STREAK_KEPT_AFTER_FORFEIT;
    /// See the catalogue.
    ExtraOnAnyTopFace => EXTRA_ON_ANY_TOP_FACE;
    /// See the catalogue.
    MedianAboveHalf => MEDIAN_ABOVE_HALF;
    /// See the catalogue.
    TurnsCapped => TURNS_CAPPED;
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
        let parsed = reference::parse(text);
        if let Some(line) = Self::first_tripping_line(text)
            && parsed.as_ref().err().is_none_or(|e| line <= e.line)
        {
            let reason = if F::TRAILING_COMMENT_REJECTED {
                ParseReason::Malformed("KEYWORD A -> B")
            } else {
                ParseReason::BadNumber("a number above i32::MAX".into())
            };
            return Err(ParseError { line, reason });
        }
        parsed.map_err(|mut e| {
            if F::LINES_FROM_ZERO {
                e.line -= 1;
            }
            e
        })
    }

    fn new(spec: &BoardSpec, rules: &Rules) -> Result<Self, BoardError> {
        let mut spec = spec.clone();
        let dice = rules.dice;
        let dice_ok = (1..=MAX_DICE).contains(&dice.count) && (1..=MAX_FACES).contains(&dice.faces);
        if F::DICE_BOUNDS_EXCLUSIVE
            && dice_ok
            && (dice.count == MAX_DICE || dice.faces == MAX_FACES)
        {
            return Err(BoardError::InvalidDice {
                count: dice.count,
                faces: dice.faces,
            });
        }
        if F::MAX_SQUARES_EXCLUSIVE && dice_ok && spec.squares == MAX_SQUARES {
            return Err(BoardError::SquaresOutOfRange {
                squares: spec.squares,
                min: dice.highest().max(2),
                max: MAX_SQUARES,
            });
        }
        if F::SELF_JUMP_DROPPED {
            spec.jumps.retain(|j| j.from != j.to);
        }
        if F::DIRECTION_UNCHECKED {
            for j in &mut spec.jumps {
                j.kind = JumpKind::Unspecified;
            }
        }
        if F::VALIDATION_IN_PASSES {
            validate_in_passes(&spec, rules)?;
        }
        if F::LADDER_TO_LAST_REJECTED
            && let Some(&jump) = spec.jumps.iter().find(|j| j.to >= spec.squares)
        {
            return Err(BoardError::JumpOutOfRange { jump });
        }
        if F::DUPLICATES_OVERWRITE {
            let mut kept: Vec<crate::snake_ladder::Jump> = Vec::new();
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
        let checked_rules = if F::FORBIDDEN_CHAINS_ACCEPTED {
            Rules {
                chains: ChainRule::Follow,
                ..*rules
            }
        } else {
            *rules
        };
        let reference = match reference::validate(&spec, &checked_rules) {
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
        if players == 0 && !F::ZERO_PLAYERS_ACCEPTED {
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
        if F::MEDIAN_ABOVE_HALF {
            // Past the true median P only grows, so the strict median is at most a few later.
            let horizon = a.median_turns.saturating_mul(2).saturating_add(16);
            let p = self.checked().finished_within(horizon);
            a.median_turns = p.iter().position(|&q| q > 0.5).unwrap_or(p.len()) as u32;
        }
        if F::TURNS_CAPPED {
            a.median_turns = a.median_turns.min(TURN_CAP);
        }
        a
    }

    fn finished_within(&self, turns: u32) -> Vec<f64> {
        if F::TURNS_CAPPED && turns > TURN_CAP {
            let mut p = self.checked().finished_within(TURN_CAP);
            let last = p.last().copied().unwrap_or(0.0);
            p.resize(turns as usize + 1, last);
            return p;
        }
        let mut p = self.checked().finished_within(turns);
        if F::OFF_BY_ONE_TURN {
            p.insert(0, 0.0);
            p.pop();
        }
        p
    }
}

impl<F: Flaw> Flawed<F> {
    /// The first line (1-based) this parser's own bug trips on, if any.
    fn first_tripping_line(text: &str) -> Option<usize> {
        if !F::TRAILING_COMMENT_REJECTED && !F::NUMBERS_AS_I32 {
            return None;
        }
        text.lines().enumerate().find_map(|(i, raw)| {
            let line = raw.trim();
            let trips = if F::TRAILING_COMMENT_REJECTED {
                !line.starts_with('#') && line.contains('#')
            } else {
                let statement = line.split('#').next().unwrap_or("");
                statement
                    .split(|c: char| !c.is_ascii_digit())
                    .any(|w| !w.is_empty() && w.parse::<i32>().is_err())
            };
            trips.then_some(i + 1)
        })
    }

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
            while crate::snake_ladder::Game::play_turn(&mut game).is_ok() {
                total += 1;
            }
        }
        total as f64 / games as f64
    }
}

/// Validation written as one pass over the jumps per defect: dice and squares as the reference
/// checks them, then every jump for leaving the board, then every jump for starting on N, …
fn validate_in_passes(spec: &BoardSpec, rules: &Rules) -> Result<(), BoardError> {
    let bare = BoardSpec {
        squares: spec.squares,
        jumps: Vec::new(),
    };
    if let Err(e @ (BoardError::InvalidDice { .. } | BoardError::SquaresOutOfRange { .. })) =
        reference::validate(&bare, rules)
    {
        return Err(e);
    }
    let n = spec.squares;
    let jumps = &spec.jumps;
    for pass in 0..5 {
        for (i, &jump) in jumps.iter().enumerate() {
            let error = match pass {
                0 if !(1..=n).contains(&jump.from) || !(1..=n).contains(&jump.to) => {
                    BoardError::JumpOutOfRange { jump }
                }
                1 if jump.from == n => BoardError::JumpFromLastSquare { jump },
                2 if jump.from == jump.to => BoardError::JumpToItself { jump },
                3 => match jumps[..i].iter().find(|j| j.from == jump.from) {
                    Some(&first) => BoardError::DuplicateStart {
                        first,
                        second: jump,
                    },
                    None => continue,
                },
                4 if (jump.kind == JumpKind::Snake && jump.to > jump.from)
                    || (jump.kind == JumpKind::Ladder && jump.to < jump.from) =>
                {
                    BoardError::WrongDirection { jump }
                }
                _ => continue,
            };
            return Err(error);
        }
    }
    Ok(())
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

    /// Rolls the turn's dice: (their sum, whether this counts as a highest roll).
    fn roll(&mut self) -> Result<(u32, bool), GameError> {
        let DiceSpec { count, faces } = self.rules.dice;
        if F::ONE_BIG_DIE {
            let faces = count * faces;
            let value = self.dice.roll(faces);
            if !(1..=faces).contains(&value) {
                return Err(GameError::InvalidRoll { value, faces });
            }
            return Ok((value, value == faces));
        }
        let (mut sum, mut every_top, mut any_top) = (0, true, false);
        for _ in 0..count {
            let value = self.dice.roll(faces);
            if !F::FACES_UNCHECKED && !(1..=faces).contains(&value) {
                return Err(GameError::InvalidRoll { value, faces });
            }
            sum += value;
            every_top &= value == faces;
            any_top |= value == faces;
        }
        Ok((
            sum,
            if F::EXTRA_ON_ANY_TOP_FACE {
                any_top
            } else {
                every_top
            },
        ))
    }

    fn pass_turn(&mut self, player: usize) {
        self.streak = 0;
        self.current = (player + 1) % self.positions.len();
    }
}

impl<F: Flaw> crate::snake_ladder::Game for FlawedGame<F> {
    fn play_turn(&mut self) -> Result<TurnEvent, GameError> {
        if let Some(winner) = self.winner
            && !F::PLAY_AFTER_WIN
        {
            return Err(GameError::GameOver { winner });
        }
        let (roll, top) = self.roll()?;
        let player = self.mover();
        self.turns += 1;
        let from = self.positions[player];
        let n = self.squares;
        let highest = self.rules.extra_turn == ExtraTurn::OnHighestRoll && top;
        let mut event = TurnEvent::standing(player, roll, from);
        if highest && self.streak >= 2 && !F::UNBOUNDED_EXTRA {
            if F::STREAK_KEPT_AFTER_FORFEIT {
                self.current = (player + 1) % self.positions.len();
            } else {
                self.pass_turn(player);
            }
            return Ok(event);
        }
        let target = from + roll;
        event.landed = match self.rules.overshoot {
            _ if target < n || (target == n && !F::STAY_ON_EXACT_ROLL) => target,
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
            if F::PLAY_AFTER_WIN {
                self.pass_turn(player);
            }
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
