//! Writes the boards of the README's snake-ladder scaling table (N = 10³ … 10⁶, N / 1,000 jumps
//! of 1 to 100 squares, seed 1) into a directory, for timing `kata analyze` on them:
//!
//! ```text
//! cargo run --release --example scaling_boards -- [DIR]   # default: the system's temp dir
//! ```

use lld_katas::snake_ladder::generate::{board_file, random_board};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    for n in [1_000u32, 10_000, 100_000, 1_000_000] {
        let path = dir.join(format!("scaling-{n}.txt"));
        if let Err(e) = std::fs::write(&path, board_file(&random_board(n, n / 1_000, 100, 1))) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}
