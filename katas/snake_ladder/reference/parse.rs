//! The board file format: one statement per line, syntax only.

use crate::snake_ladder::{BoardSpec, Jump, ParseError, ParseReason};

/// Reads a board file; see [`SnakeLadder::parse`](crate::snake_ladder::SnakeLadder::parse).
pub fn parse(text: &str) -> Result<BoardSpec, ParseError> {
    let mut squares = None;
    let mut jumps = Vec::new();
    let mut lines = 0;
    for (i, raw) in text.lines().enumerate() {
        lines = i + 1;
        let err = |reason| ParseError {
            line: i + 1,
            reason,
        };
        let line = raw.split('#').next().unwrap_or("").trim();
        let Some(keyword) = line.split_whitespace().next() else {
            continue;
        };
        let rest = line[keyword.len()..].trim();
        match keyword {
            "squares" => {
                let value = rest
                    .strip_prefix('=')
                    .ok_or(err(ParseReason::Malformed("squares = N")))?;
                let n = number(value.trim()).map_err(err)?;
                if squares.replace(n).is_some() {
                    return Err(err(ParseReason::DuplicateSquares));
                }
            }
            "snake" | "ladder" | "jump" => {
                let shape = match keyword {
                    "snake" => "snake HEAD -> TAIL",
                    "ladder" => "ladder BOTTOM -> TOP",
                    _ => "jump FROM -> TO",
                };
                let (a, b) = rest
                    .split_once("->")
                    .ok_or(err(ParseReason::Malformed(shape)))?;
                let (a, b) = (a.trim(), b.trim());
                if a.is_empty() || b.is_empty() || b.contains(char::is_whitespace) {
                    return Err(err(ParseReason::Malformed(shape)));
                }
                let (from, to) = (number(a).map_err(err)?, number(b).map_err(err)?);
                jumps.push(match keyword {
                    "snake" => Jump::snake(from, to),
                    "ladder" => Jump::ladder(from, to),
                    _ => Jump::either_way(from, to),
                });
            }
            other => return Err(err(ParseReason::UnknownKeyword(other.to_string()))),
        }
    }
    let squares = squares.ok_or(ParseError {
        line: lines + 1,
        reason: ParseReason::MissingSquares,
    })?;
    Ok(BoardSpec { squares, jumps })
}

fn number(s: &str) -> Result<u32, ParseReason> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseReason::BadNumber(s.to_string()));
    }
    s.parse().map_err(|_| ParseReason::BadNumber(s.to_string()))
}
