//! How operations and answers are written in failure messages: as the steps a person replays.

use super::super::{Key, Value};
use std::fmt;

/// One call on a cache, or a move of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `get(key)`.
    Get(Key),
    /// `put(key, value)`.
    Put(Key, Value),
    /// `put_with_ttl(key, value, ttl ns)`.
    PutTtl(Key, Value, u64),
    /// `remove(key)`.
    Remove(Key),
    /// `contains(key)`.
    Contains(Key),
    /// `len()`.
    Len,
    /// The clock moves forwards by this many ns.
    Advance(u64),
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Get(k) => write!(f, "get({k})"),
            Op::Put(k, v) => write!(f, "put({k}, {v})"),
            Op::PutTtl(k, v, ttl) => write!(f, "put_with_ttl({k}, {v}, {ttl} ns)"),
            Op::Remove(k) => write!(f, "remove({k})"),
            Op::Contains(k) => write!(f, "contains({k})"),
            Op::Len => write!(f, "len()"),
            Op::Advance(ns) => write!(f, "clock advances {ns} ns"),
        }
    }
}

/// What a call answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `get` or `remove`.
    Value(Option<Value>),
    /// `put`, `put_with_ttl` accepted, or a clock move.
    Done,
    /// `contains`.
    Contains(bool),
    /// `len`.
    Len(usize),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Value(Some(v)) => write!(f, "Some({v})"),
            Answer::Value(None) => write!(f, "None"),
            Answer::Done => write!(f, "ok"),
            Answer::Contains(b) => write!(f, "{b}"),
            Answer::Len(n) => write!(f, "{n}"),
        }
    }
}

/// A list of keys, as `[1, 2, 3]`.
pub fn keys(keys: &[Key]) -> String {
    let inner: Vec<String> = keys.iter().map(ToString::to_string).collect();
    format!("[{}]", inner.join(", "))
}
