//! Known-wrong snake-and-ladder engines. Each realistic mutant is one mistake candidates really
//! make; the rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic,
//! hang or abort, to prove the grader survives them.
//!
//! Every realistic mutant is one [`Flawed`] engine whose [`Flaw`] switches on exactly one bug.
//! Board validation and analysis delegate to the reference around the bug; the game is its own,
//! written the way a candidate would, so that game bugs live where candidates put them; it
//! lives in `flawed.rs`. Each realistic mutant names the contract rule it breaks
//! ([`conformance::RULES`](super::conformance::RULES)).

mod flawed;

pub use flawed::*;

use super::conformance::{
    ANALYSIS_AT_SCALE, BOARD_FILE, CHAINED_JUMPS, CHAINS_AND_CYCLES, DICE, DISTRIBUTION,
    EXPECTED_TURNS, EXTRA_TURNS, INVALID_BOARDS, LONG_CHAINS, MANY_PLAYERS, MONTE_CARLO, OVERSHOOT,
    REPLAY, TURN_ORDER, UNREACHABLE, VALID_BOARDS, WIN_ON_LAST, suite,
};
use super::{
    Analysis, BoardError, BoardSpec, Dice, GameError, ParseError, Rules, SnakeLadder, reference,
};
use crate::grading::Mutant;
use crate::grading::hostile::{self, Misbehaviour};
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
        )
        .breaking(&["snake-ladder/jump-on-board"]),
        realistic(
            "duplicate-start-overwritten",
            "builds a map from start to end without checking, so a second jump from one square silently replaces the first",
            &[INVALID_BOARDS.id],
            suite::<Flawed<DuplicateOverwritten>>,
        )
        .breaking(&["snake-ladder/unique-start"]),
        realistic(
            "snake-on-last-accepted",
            "never checks jump starts against N, so a snake on the winning square is accepted",
            &[INVALID_BOARDS.id],
            suite::<Flawed<SnakeOnLastAccepted>>,
        )
        .breaking(&["snake-ladder/no-jump-from-last"]),
        realistic(
            "chains-without-cycle-check",
            "follows chained jumps in a loop but never checks the board for cycles: the first game to land on one hangs",
            &[CHAINS_AND_CYCLES.id],
            suite::<Flawed<NoCycleCheck>>,
        )
        .breaking(&["snake-ladder/no-cycles"]),
        realistic(
            "no-reachability-check",
            "accepts any board whose jumps are well-formed, even when no roll sequence can reach N",
            &[UNREACHABLE.id],
            suite::<Flawed<NoReachabilityCheck>>,
        )
        .breaking(&["snake-ladder/reachable-finish"]),
        realistic(
            "parse-lines-from-zero",
            "reports parse errors with enumerate()'s 0-based line numbers",
            &[BOARD_FILE.id],
            suite::<Flawed<LinesFromZero>>,
        )
        .breaking(&["snake-ladder/parse-error-line"]),
        realistic(
            "turn-order-from-turn-count",
            "derives the player to move from the number of turns played, so every extra turn shifts the order",
            &[TURN_ORDER.id, MANY_PLAYERS.id],
            suite::<Flawed<TurnFromCount>>,
        )
        .breaking(&["snake-ladder/turn-order"]),
        realistic(
            "die-rolls-0-to-5",
            "maps random numbers to faces with r % faces: the die shows 0..=5",
            &[DICE.id],
            suite::<Flawed<DieFromZero>>,
        )
        .breaking(&["snake-ladder/seeded-dice-fair"]),
        realistic(
            "die-rolls-1-to-7",
            "maps random numbers to faces with r % (faces + 1) + 1: the die shows 1..=7",
            &[DICE.id],
            suite::<Flawed<DieTooHigh>>,
        )
        .breaking(&["snake-ladder/seeded-dice-fair"]),
        realistic(
            "bounce-off-by-one",
            "bounces off N + 1 instead of N: an overshooting player ends one square too far back",
            &[OVERSHOOT.id],
            suite::<Flawed<BounceOffByOne>>,
        )
        .breaking(&["snake-ladder/overshoot"]),
        realistic(
            "ladder-to-last-not-a-win",
            "checks for the win on the square the dice reached, before taking the ladder, so a ladder to N does not win",
            &[WIN_ON_LAST.id],
            suite::<Flawed<LadderWinIgnored>>,
        )
        .breaking(&["snake-ladder/win-after-jumps"]),
        realistic(
            "unbounded-extra-turns",
            "gives an extra turn on every highest roll, without the three-in-a-row forfeit",
            &[EXTRA_TURNS.id],
            suite::<Flawed<UnboundedExtraTurns>>,
        )
        .breaking(&["snake-ladder/forfeit-third"]),
        realistic(
            "chains-followed-once",
            "takes only the first jump of a chain, leaving the player on the next jump's start",
            &[CHAINED_JUMPS.id, LONG_CHAINS.id],
            suite::<Flawed<FollowOnce>>,
        )
        .breaking(&["snake-ladder/follow-chains"]),
        realistic(
            "shared-rng-state",
            "seeded dice share one global generator, so two games with the same seed interleaved do not replay",
            &[REPLAY.id],
            suite::<Flawed<SharedRng>>,
        )
        .breaking(&["snake-ladder/replay"]),
        realistic(
            "expected-turns-by-simulation",
            "estimates the expected game length by simulating 2,000 games instead of solving the chain",
            &[EXPECTED_TURNS.id],
            suite::<Flawed<SimulatedExpectation>>,
        )
        .breaking(&["snake-ladder/expected-turns"]),
        realistic(
            "analysis-off-by-one-turn",
            "counts the turns of a game from 1 on the starting square, so every figure is one turn too many",
            &[EXPECTED_TURNS.id, DISTRIBUTION.id, MONTE_CARLO.id],
            suite::<Flawed<OffByOneTurn>>,
        )
        .breaking(&["snake-ladder/expected-turns", "snake-ladder/distribution"]),
        realistic(
            "dice-bounds-exclusive",
            "checks the dice with count < MAX_DICE and faces < MAX_FACES, so the largest dice allowed are rejected",
            &[VALID_BOARDS.id],
            suite::<Flawed<DiceBoundsExclusive>>,
        )
        .breaking(&["snake-ladder/dice-range"]),
        realistic(
            "max-squares-exclusive",
            "checks N < MAX_SQUARES instead of N <= MAX_SQUARES, so the largest board allowed is rejected",
            &[VALID_BOARDS.id],
            suite::<Flawed<MaxSquaresExclusive>>,
        )
        .breaking(&["snake-ladder/squares-range"]),
        realistic(
            "jump-to-itself-dropped",
            "skips a jump that ends where it starts as harmless instead of rejecting it",
            &[INVALID_BOARDS.id],
            suite::<Flawed<SelfJumpDropped>>,
        )
        .breaking(&["snake-ladder/no-jump-to-itself"]),
        realistic(
            "direction-unchecked",
            "never compares a declared snake or ladder with the way it goes, so a snake that climbs is accepted",
            &[INVALID_BOARDS.id],
            suite::<Flawed<DirectionUnchecked>>,
        )
        .breaking(&["snake-ladder/declared-direction"]),
        realistic(
            "validation-in-passes",
            "checks all jumps for one defect, then all jumps for the next, so a later jump's earlier-listed defect is reported before an earlier jump's",
            &[INVALID_BOARDS.id],
            suite::<Flawed<ValidationInPasses>>,
        )
        .breaking(&["snake-ladder/error-order"]),
        realistic(
            "forbidden-chains-accepted",
            "only looks for chains when the rules follow them (to check for cycles), so a chain is accepted when the rules forbid it",
            &[CHAINS_AND_CYCLES.id],
            suite::<Flawed<ForbiddenChainsAccepted>>,
        )
        .breaking(&["snake-ladder/chains-forbidden"]),
        realistic(
            "trailing-comment-rejected",
            "skips lines that start with '#' but does not cut a comment off the end of a statement, so `ladder 1 -> 38  # bottom -> top` is malformed",
            &[BOARD_FILE.id],
            suite::<Flawed<TrailingCommentRejected>>,
        )
        .breaking(&["snake-ladder/board-file-format"]),
        realistic(
            "numbers-as-i32",
            "parses numbers as i32, so a square number above 2,147,483,647 that fits in 32 bits is a bad number",
            &[BOARD_FILE.id],
            suite::<Flawed<NumbersAsI32>>,
        )
        .breaking(&["snake-ladder/board-file-numbers"]),
        realistic(
            "zero-players-accepted",
            "starts a game for any number of players, even none",
            &[TURN_ORDER.id],
            suite::<Flawed<ZeroPlayersAccepted>>,
        )
        .breaking(&["snake-ladder/no-players"]),
        realistic(
            "one-big-die",
            "rolls one die of count × faces faces instead of count dice, so 3d4 rolls 1..=12 uniformly from one face",
            &[DICE.id],
            suite::<Flawed<OneBigDie>>,
        )
        .breaking(&["snake-ladder/dice-per-turn"]),
        realistic(
            "faces-unchecked",
            "adds up whatever the dice return, so a die showing 0 or 7 moves the player instead of being InvalidRoll",
            &[DICE.id],
            suite::<Flawed<FacesUnchecked>>,
        )
        .breaking(&["snake-ladder/invalid-roll"]),
        realistic(
            "stay-on-exact-roll",
            "tests for overshoot with position + roll >= N, so under Stay an exact roll onto N does not move (or win)",
            &[OVERSHOOT.id],
            suite::<Flawed<StayOnExactRoll>>,
        )
        .breaking(&["snake-ladder/exact-finish"]),
        realistic(
            "play-after-win",
            "records the winner but keeps playing turns for the others instead of returning GameOver",
            &[WIN_ON_LAST.id],
            suite::<Flawed<PlayAfterWin>>,
        )
        .breaking(&["snake-ladder/game-over"]),
        realistic(
            "streak-kept-after-forfeit",
            "passes the turn on a forfeit without resetting the highest-roll count, so the next player's first highest roll is forfeited too",
            &[EXTRA_TURNS.id],
            suite::<Flawed<StreakKeptAfterForfeit>>,
        )
        .breaking(&["snake-ladder/forfeit-third"]),
        realistic(
            "extra-turn-on-any-top-face",
            "gives an extra turn when any die shows its top face, not only when every die does",
            &[EXTRA_TURNS.id],
            suite::<Flawed<ExtraOnAnyTopFace>>,
        )
        .breaking(&["snake-ladder/extra-turn"]),
        realistic(
            "median-above-half",
            "finds the median with P(finished within k) > 1/2 instead of ≥ 1/2, so where the probability is exactly 1/2 the median comes out one turn late",
            &[DISTRIBUTION.id],
            suite::<Flawed<MedianAboveHalf>>,
        )
        .breaking(&["snake-ladder/median-tie"]),
        realistic(
            "turns-capped",
            "follows the distribution for at most 200,000 turns — a safety cap — so on a long board the median is the cap and every probability after it is frozen",
            &[ANALYSIS_AT_SCALE.id],
            suite::<Flawed<TurnsCapped>>,
        )
        .breaking(&["snake-ladder/analysis-at-scale"]),
    ];
    mutants.extend(hostile::mutants::<HostileSuite>());
    mutants
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
