//! The errors of reading a board file ([`SnakeLadder::parse`](super::SnakeLadder::parse)):
//! which line, and what kind of problem. Re-exported at the kata's root.

use thiserror::Error;

/// Why a board file cannot be read. `line` is 1-based; errors about the whole file (no
/// `squares` line) point one past the last line (rule `snake-ladder/parse-error-line`). The
/// kind of [`ParseReason`] is part of the contract; the text inside `UnknownKeyword`,
/// `Malformed` and `BadNumber` is an explanation whose wording each solution chooses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    /// The offending line, counting from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: ParseReason,
}

/// What is wrong with a line of a board file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseReason {
    /// The line starts with a word that is not `squares`, `snake`, `ladder` or `jump`.
    #[error("unknown keyword `{0}` (expected squares, snake, ladder or jump)")]
    UnknownKeyword(String),
    /// The line has the right keyword but the wrong shape.
    #[error("expected `{0}`")]
    Malformed(&'static str),
    /// A number that is not a non-negative integer that fits in 32 bits; `u32::MAX` itself is
    /// a number (rule `snake-ladder/board-file-numbers`).
    #[error("`{0}` is not a square number")]
    BadNumber(String),
    /// A second `squares` line.
    #[error("`squares` is given twice")]
    DuplicateSquares,
    /// No `squares` line at all.
    #[error("no `squares = N` line")]
    MissingSquares,
}
