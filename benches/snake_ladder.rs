//! Snake-and-ladder benches: simulated turns per second, and exact analysis time.
//!
//! `cargo bench --bench snake_ladder` measures the reference; add `--features exercise` to
//! measure your `exercise.rs` in the same groups, so the comparison is a ratio from one run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lld_katas::snake_ladder::conformance::classic_board;
use lld_katas::snake_ladder::{
    BoardSpec, ChainRule, DiceSpec, ExtraTurn, Game, Jump, Overshoot, Rules, SnakeLadder,
    SplitMix64, generate, reference,
};
use std::hint::black_box;

/// Turns played per measured iteration.
const TURNS: u64 = 10_000;

/// A 10,000-square board with a jump every ~25 squares (three ladders to one snake).
fn big_board() -> BoardSpec {
    let n = 10_000u32;
    let mut rng = SplitMix64::new(42);
    let mut used = vec![false; n as usize + 1];
    let mut jumps = Vec::new();
    for from in (7..n - 12).step_by(25) {
        let r = rng.next_u64();
        let to = if r.is_multiple_of(4) {
            from.saturating_sub(1 + (r >> 8) as u32 % 200).max(1)
        } else {
            (from + 1 + (r >> 8) as u32 % 200).min(n - 1)
        };
        if !used[from as usize] && !used[to as usize] {
            used[from as usize] = true;
            used[to as usize] = true;
            jumps.push(Jump::either_way(from, to));
        }
    }
    BoardSpec { squares: n, jumps }
}

fn boards() -> Vec<(&'static str, BoardSpec, Rules)> {
    vec![
        ("classic-100", classic_board(), Rules::default()),
        (
            "random-10000",
            big_board(),
            Rules {
                dice: DiceSpec::D6,
                overshoot: Overshoot::Bounce,
                extra_turn: ExtraTurn::OnHighestRoll,
                chains: ChainRule::Forbidden,
            },
        ),
    ]
}

/// Plays `TURNS` turns with 4 players, starting a new game at each win.
fn play<B: SnakeLadder>(board: &B, seed: u64) -> u64 {
    let mut game = board.new_game(4, B::seeded_dice(seed)).expect("4 players");
    let mut moved = 0u64;
    for i in 0..TURNS {
        match game.play_turn() {
            Ok(e) => moved += u64::from(e.to),
            Err(_) => {
                game = board
                    .new_game(4, B::seeded_dice(seed + i))
                    .expect("4 players")
            }
        }
    }
    moved
}

fn turns<B: SnakeLadder>(c: &mut Criterion, label: &str) {
    let mut group = c.benchmark_group("snake-ladder/turns");
    group.throughput(Throughput::Elements(TURNS));
    for (name, spec, rules) in boards() {
        let board = B::new(&spec, &rules).expect("a valid board");
        group.bench_with_input(BenchmarkId::new(label, name), &board, |b, board| {
            let mut seed = 0;
            b.iter(|| {
                seed += 1;
                black_box(play(board, seed))
            });
        });
    }
    group.finish();
}

fn analysis<B: SnakeLadder>(c: &mut Criterion, label: &str) {
    let mut group = c.benchmark_group("snake-ladder/analysis");
    group.sample_size(10);
    for (name, spec, rules) in boards() {
        let board = B::new(&spec, &rules).expect("a valid board");
        group.bench_with_input(BenchmarkId::new(label, name), &board, |b, board| {
            b.iter(|| black_box(board.analyze()));
        });
    }
    group.finish();
}

/// The boards of the README's scaling table: N squares with N / 1,000 jumps (alternately snakes
/// and ladders, 1 to 100 squares long), seed 1, classic rules. 10⁶ squares is left to the
/// table's own run (`kata analyze` under `/usr/bin/time -v`): one analysis takes seconds.
fn scaling<B: SnakeLadder>(c: &mut Criterion, label: &str) {
    let mut group = c.benchmark_group("snake-ladder/analysis-scaling");
    group.sample_size(10);
    for n in [1_000u32, 10_000, 100_000] {
        let spec = generate::random_board(n, n / 1_000, 100, 1);
        let board = B::new(&spec, &Rules::default()).expect("a valid board");
        group.bench_with_input(BenchmarkId::new(label, n), &board, |b, board| {
            b.iter(|| black_box(board.analyze()));
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    turns::<reference::Board>(c, "reference");
    analysis::<reference::Board>(c, "reference");
    scaling::<reference::Board>(c, "reference");
    #[cfg(feature = "exercise")]
    {
        use lld_katas::snake_ladder::exercise;
        turns::<exercise::Board>(c, "exercise");
        analysis::<exercise::Board>(c, "exercise");
        scaling::<exercise::Board>(c, "exercise");
    }
}

criterion_group!(snake_ladder, benches);
criterion_main!(snake_ladder);
