//! How the suite writes boards, rules, turns and parses in failure messages: the way a person
//! would replay them.

use crate::snake_ladder::{BoardSpec, GameError, ParseError, ParseReason, Rules, TurnEvent};

/// A board as the file format writes it, on one line.
pub(super) fn describe(spec: &BoardSpec) -> String {
    let mut s = format!("squares = {}", spec.squares);
    for j in &spec.jumps {
        s.push_str(&format!("; {j}"));
    }
    s
}

pub(super) fn describe_rules(r: &Rules) -> String {
    format!(
        "{}d{}, overshoot {:?}, extra turn {:?}, chains {:?}",
        r.dice.count, r.dice.faces, r.overshoot, r.extra_turn, r.chains
    )
}

pub(super) fn setup_line(spec: &BoardSpec, rules: &Rules) -> String {
    format!(
        "board: {}\nrules: {}",
        describe(spec),
        describe_rules(rules)
    )
}

pub(super) fn show_event(e: &TurnEvent) -> String {
    let mut s = format!(
        "player {} rolls {}: {} → {}",
        e.player, e.roll, e.from, e.landed
    );
    if e.to != e.landed {
        s.push_str(&format!(" → jump → {}", e.to));
    }
    if e.extra_turn {
        s.push_str(", extra turn");
    }
    if let Some(w) = e.winner {
        s.push_str(&format!(", player {w} wins"));
    }
    s
}

pub(super) fn show_result(r: &Result<TurnEvent, GameError>) -> String {
    match r {
        Ok(e) => show_event(e),
        Err(e) => format!("Err({e:?})"),
    }
}

pub(super) fn short(v: &[u32]) -> String {
    if v.len() <= 12 {
        format!("{v:?}")
    } else {
        format!("{:?} … ({} players)", &v[..12], v.len())
    }
}

/// How a parse is shown in a failure: errors by line and kind, as [`same_parse`] compares them.
pub(super) fn show_parse(r: &Result<BoardSpec, ParseError>) -> String {
    match r {
        Ok(spec) => format!("Ok({})", describe(spec)),
        Err(e) => format!("Err(line {}, {}) — {e}", e.line, reason_kind(&e.reason)),
    }
}

pub(super) fn reason_kind(r: &ParseReason) -> &'static str {
    match r {
        ParseReason::UnknownKeyword(_) => "UnknownKeyword",
        ParseReason::Malformed(_) => "Malformed",
        ParseReason::BadNumber(_) => "BadNumber",
        ParseReason::DuplicateSquares => "DuplicateSquares",
        ParseReason::MissingSquares => "MissingSquares",
    }
}
