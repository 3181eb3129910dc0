//! Verdicts, and the watchdog that produces them without ever hanging.

use super::criterion::{Check, Criterion, Failure};
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

/// How a criterion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The property holds.
    Pass,
    /// The property is broken; the verdict carries a counterexample.
    Fail,
    /// The check did not finish in time (deadlock, livelock, infinite loop).
    Timeout,
    /// The solution panicked, aborted, or the process died.
    Crash,
    /// The solution still has a `todo!()` on this path.
    NotImplemented,
    /// The check could not run here: a service it needs (a Redis server, say) could not be
    /// started. Says nothing about the solution; the message tells how to make it available.
    Unavailable,
}

impl Status {
    /// The word used on score cards and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Timeout => "timeout",
            Status::Crash => "crash",
            Status::NotImplemented => "not_implemented",
            Status::Unavailable => "unavailable",
        }
    }

    /// A one-character mark for terminals.
    pub fn mark(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Fail => "✗",
            Status::Timeout => "⏱",
            Status::Crash => "💥",
            Status::NotImplemented => "·",
            Status::Unavailable => "?",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one criterion, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// How it ended.
    pub status: Status,
    /// One line for score cards: empty on a pass.
    pub message: String,
    /// Replayable input of the (minimal) counterexample, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// What the property requires, when there is a counterexample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What came back, when there is a counterexample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub got: Option<String>,
}

impl Verdict {
    /// The property holds.
    pub fn pass() -> Self {
        Self::bare(Status::Pass, String::new())
    }

    /// A verdict without a counterexample.
    pub fn bare(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            input: None,
            expected: None,
            got: None,
        }
    }

    /// Turns a check's result into a verdict.
    pub fn from_result(criterion: &Criterion, result: Result<(), Failure>) -> Self {
        match result {
            Ok(()) => Self::pass(),
            Err(f) => {
                let (status, message) = match &f.panic {
                    Some(p) if is_todo(p) => (Status::NotImplemented, p.clone()),
                    Some(p) => (Status::Crash, format!("panicked: {p}")),
                    None => (
                        Status::Fail,
                        format!("property broken: {}", criterion.property),
                    ),
                };
                Self {
                    status,
                    message,
                    input: Some(f.input),
                    expected: Some(f.expected),
                    got: Some(f.got),
                }
            }
        }
    }

    /// Renders the failure in the one shape every criterion shares.
    pub fn explain(&self, criterion: &Criterion) -> String {
        let mut out = format!(
            "{} {} — {}",
            self.status.mark(),
            criterion.id,
            criterion.title
        );
        if self.status == Status::Pass {
            return out;
        }
        let field = |out: &mut String, label: &str, text: &str| {
            let mut lines = text.lines();
            out.push_str(&format!("\n  {label:<9}: {}", lines.next().unwrap_or("")));
            for l in lines {
                out.push_str(&format!("\n             {l}"));
            }
        };
        field(&mut out, "status", self.status.as_str());
        field(&mut out, "property", criterion.property);
        if let Some(i) = &self.input {
            field(&mut out, "input", i);
        }
        if let Some(e) = &self.expected {
            field(&mut out, "expected", e);
        }
        match &self.got {
            Some(g) => field(&mut out, "got", g),
            None => field(&mut out, "got", &self.message),
        }
        let hint = match self.status {
            Status::NotImplemented => "fill in the todo!() on this path in your solution",
            Status::Unavailable => {
                "this criterion needs a service that could not be started here; the line above says which and how to install it"
            }
            Status::Timeout => {
                "the check did not finish: look for a lock taken twice, a lock held while waiting, or a retry loop that never ends"
            }
            _ => criterion.hint,
        };
        field(&mut out, "hint", hint);
        out
    }
}

/// The panic payload of a check that cannot run here (see [`unavailable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// What is missing and how to provide it, in one line.
    pub reason: String,
}

/// Ends the current check as [`Status::Unavailable`]: a service it needs could not be started.
///
/// Call it from a check before any solution code runs, so that nothing about the solution is
/// concluded. Under the watchdog it becomes an `unavailable` verdict carrying `reason`.
pub fn unavailable(reason: impl Into<String>) -> ! {
    std::panic::panic_any(Unavailable {
        reason: reason.into(),
    })
}

/// True for the panic message of `todo!()` / `unimplemented!()`.
pub fn is_todo(message: &str) -> bool {
    message.starts_with("not yet implemented") || message.starts_with("not implemented")
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// The text of a panic just caught on this thread, with where it happened when the quiet
/// hook recorded it (`not yet implemented (at src/lib.rs:12:9)`).
pub fn caught_panic_message(payload: &(dyn Any + Send)) -> String {
    let message = panic_message(payload);
    match super::quiet::take_location() {
        Some(at) => format!("{message} (at {at})"),
        None => message,
    }
}

/// The stack of a check's thread: a main thread's and more. Unoptimised builds (a plain
/// `cargo run -- grade`) keep every generic frame of a property check and its shrinking on the
/// stack, which overflowed the default 2 MiB; the stack is reserved, not touched, until used.
const CHECK_STACK_BYTES: usize = 32 << 20;

/// Runs a check on its own thread and waits at most `timeout` for it.
///
/// A panic becomes `crash` (or `not_implemented` for `todo!()`); a check still running at the
/// deadline becomes `timeout`, and its thread is abandoned (`kata grade` runs every criterion in
/// a child process, so an abandoned thread dies with that process).
pub fn run_with_watchdog(check: &Check, timeout: Duration) -> Verdict {
    let (tx, rx) = mpsc::channel();
    let run = check.run;
    let spawned = std::thread::Builder::new()
        .name(format!("check {}", check.criterion.id))
        .stack_size(CHECK_STACK_BYTES)
        .spawn(move || {
            super::quiet::mark_current_thread();
            let outcome = panic::catch_unwind(AssertUnwindSafe(run))
                .map_err(|payload| (caught_panic_message(payload.as_ref()), payload));
            // The receiver may have given up waiting; nothing to do then.
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Verdict::bare(
            Status::Crash,
            format!("could not start the check thread: {e}"),
        );
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(result)) => Verdict::from_result(check.criterion, result),
        Ok(Err((msg, payload))) => {
            if let Some(Unavailable { reason }) = payload.downcast_ref::<Unavailable>() {
                return Verdict::bare(Status::Unavailable, reason.clone());
            }
            Verdict::from_result(
                check.criterion,
                Err(Failure::panicked("(see the criterion's property)", msg)),
            )
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Verdict::bare(
            Status::Timeout,
            format!(
                "did not finish within {:.1} s (deadlock, livelock or infinite loop?)",
                timeout.as_secs_f64()
            ),
        ),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Verdict::bare(Status::Crash, "the check thread died without reporting")
        }
    }
}
