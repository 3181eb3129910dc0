//! Process isolation: each criterion runs in a child process with a hard deadline.
//!
//! `kata grade` re-executes its own binary with a hidden subcommand (see [`CHILD_SUBCOMMAND`])
//! once per criterion. The child runs the one check under the in-process watchdog and prints its
//! verdict as a single JSON line behind [`VERDICT_MARKER`]. Whatever the solution does — abort,
//! overflow its stack, deadlock every thread, exhaust memory — costs exactly that criterion: the
//! parent kills a child that outlives its deadline and reads a dead child as `crash`.

use super::verdict::{Status, Verdict};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// The hidden subcommand a child is started with: `kata <CHILD_SUBCOMMAND> <kata> <impl> <id>`.
pub const CHILD_SUBCOMMAND: &str = "__run-criterion";

/// Prefix of the line on which a child reports its verdict.
pub const VERDICT_MARKER: &str = "@@kata-verdict ";

/// Extra time the parent grants a child beyond the check's own watchdog, for process start-up
/// and for reporting.
const GRACE: Duration = Duration::from_secs(3);

/// Prints a verdict the way a child reports it to its parent.
pub fn report(verdict: &Verdict) {
    let json = serde_json::to_string(verdict).expect("a verdict always serialises");
    println!("{VERDICT_MARKER}{json}");
}

/// Runs one criterion in a child process of `exe` and returns its verdict.
pub fn run_child(
    exe: &Path,
    kata: &str,
    implementation: &str,
    criterion_id: &str,
    timeout: Duration,
) -> Verdict {
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_SUBCOMMAND)
        .arg(kata)
        .arg(implementation)
        .arg(criterion_id)
        .arg("--timeout-ms")
        .arg(timeout.as_millis().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Backtraces make crash messages long and slow; the card shows the panic line.
        .env("RUST_BACKTRACE", "0");
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Verdict::bare(
                Status::Crash,
                format!("could not start the grader child: {e}"),
            );
        }
    };
    // Drain both pipes on their own threads so a chatty solution cannot block on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout + GRACE;
    let status = wait_until(&mut child, deadline);
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match status {
        None => Verdict::bare(
            Status::Timeout,
            format!(
                "did not finish within {:.1} s; the process was killed (deadlock, livelock or infinite loop?)",
                timeout.as_secs_f64()
            ),
        ),
        Some(status) => {
            let reported = stdout
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix(VERDICT_MARKER))
                .and_then(|json| serde_json::from_str::<Verdict>(json).ok());
            match reported {
                Some(v) => v,
                None => Verdict::bare(Status::Crash, describe_death(status, &stderr)),
            }
        }
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            // A read error just truncates what we show; the exit status still decides.
            let _ = p.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits for the child until `deadline`; kills it and returns `None` past the deadline.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let left = deadline.saturating_duration_since(Instant::now());
    match child.wait_timeout(left) {
        Ok(Some(status)) => Some(status),
        Ok(None) => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
        Err(_) => {
            let _ = child.kill();
            child.wait().ok()
        }
    }
}

fn describe_death(status: ExitStatus, stderr: &str) -> String {
    let how = match (status.code(), signal_of(status)) {
        (Some(code), _) => format!("the process exited with code {code} without a verdict"),
        (None, Some(sig)) => format!(
            "the process was killed by signal {sig} ({})",
            signal_name(sig)
        ),
        (None, None) => "the process died without a verdict".to_string(),
    };
    // The last meaningful stderr line usually says why: "thread '…' has overflowed its stack",
    // "fatal runtime error: …", "memory allocation of … failed", a panic message.
    let why = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("note:"));
    match why {
        Some(w) => format!("{how}: {w}"),
        None => how,
    }
}

#[cfg(unix)]
fn signal_of(status: ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn signal_of(_: ExitStatus) -> Option<i32> {
    None
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        4 => "SIGILL",
        6 => "SIGABRT: the process aborted",
        9 => "SIGKILL: killed, perhaps out of memory",
        11 => "SIGSEGV: stack overflow or invalid memory access",
        _ => "signal",
    }
}

/// Runs `job(i)` for `i` in `0..count` on up to `workers` threads, handing each result to
/// `on_done` as soon as it is ready (for progress output). Returns results in index order.
pub fn run_pool<T: Send>(
    count: usize,
    workers: usize,
    job: impl Fn(usize) -> T + Sync,
    on_done: impl Fn(usize, &T) + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..count).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, count.max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let r = job(i);
                    on_done(i, &r);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every index is run exactly once"))
        .collect()
}
