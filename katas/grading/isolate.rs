//! Process isolation: each criterion runs in a child process with a hard deadline and a
//! memory limit, and reports on a channel that solution code cannot write.
//!
//! `kata grade` re-executes its own binary with a hidden subcommand (see [`CHILD_SUBCOMMAND`])
//! once per criterion. Whatever the solution does — abort, overflow its stack, deadlock every
//! thread, exhaust memory, exit early — costs exactly that criterion: the parent kills a child
//! that outlives its deadline and reads a dead child as `crash`.
//!
//! # Why a verdict cannot be forged
//!
//! The child prints its verdict on stdout, where solution code can print too. So the parent
//! draws a fresh random [`Secret`] for every child and hands it over on the child's stdin,
//! which the child reads to the end before any check starts: the secret is never in an
//! argument or an environment variable (both readable through `std::env` and `/proc/self`),
//! and a solution that reads stdin finds it closed. A verdict counts only on a line that
//! carries that exact secret; the marker alone, the marker with a guessed secret, or a clean
//! exit with no genuine verdict all read `crash`. (Solution code runs in the child's own
//! address space, so a solution written to dig the secret out of memory could still find it:
//! the channel stops forgery by printing, the realistic attack, not a debugger.)
//!
//! # Why a memory bomb costs only its criterion
//!
//! The child limits its own address space ([`limit_memory`]) before it runs any solution
//! code, so an allocation past the limit fails inside the child — Rust then aborts it with
//! "memory allocation of N bytes failed" — and the card reads `crash` with "out of memory".
//! What a child prints is read through bounded buffers, so a chatty solution cannot exhaust
//! the parent's memory either.

use super::verdict::{Status, Verdict};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// The hidden subcommand a child is started with: `kata <CHILD_SUBCOMMAND> <kata> <impl> <id>`.
/// It reads its [`Secret`] from stdin before it starts.
pub const CHILD_SUBCOMMAND: &str = "__run-criterion";

/// Prefix of the line on which a child reports its verdict: the marker, the secret, a space,
/// the verdict as JSON.
pub const VERDICT_MARKER: &str = "@@kata-verdict ";

/// The default memory limit of a grader child, in MiB of address space.
pub const DEFAULT_MEMORY_MB: u64 = 2048;

/// Extra time the parent grants a child beyond the check's own watchdog, for process start-up
/// and for reporting.
const GRACE: Duration = Duration::from_secs(3);

/// At most this much of a child's stderr is kept (its tail), to explain a death.
const STDERR_TAIL: usize = 64 << 10;

/// A stdout line longer than this cannot be a verdict and is skipped unread.
const MAX_LINE: usize = 1 << 20;

/// The proof that a verdict line comes from the grader's own code: 128 random bits, fresh
/// for every child, known only to the parent and to the child's reporting code.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// A fresh secret from the operating system's randomness (std's per-process random
    /// hash keys, stirred with the time and a counter).
    pub fn fresh() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let mut out = String::with_capacity(32);
        for half in 0..2u64 {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_usize(COUNTER.fetch_add(1, Ordering::Relaxed));
            h.write_u64(half);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos()),
            );
            let _ = write!(out, "{:016x}", h.finish());
        }
        Self(out)
    }

    /// Reads the secret the parent wrote on stdin, and everything after it, so that solution
    /// code finds stdin at its end. Returns `None` when stdin holds no well-formed secret.
    pub fn read_from_stdin() -> Option<Self> {
        let mut all = String::new();
        std::io::stdin()
            .lock()
            .take(1024)
            .read_to_string(&mut all)
            .ok()?;
        let s = all.trim();
        (s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self(s.to_string()))
    }
}

/// Prints a verdict the way a child reports it to its parent, with the parent's secret.
pub fn report(verdict: &Verdict, secret: &Secret) {
    let json = serde_json::to_string(verdict).expect("a verdict always serialises");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{VERDICT_MARKER}{} {json}", secret.0);
    let _ = out.flush();
}

/// Limits this process's address space to `mb` MiB, so that an allocation beyond it fails
/// here instead of taking the machine. Called by a grader child before any solution code
/// runs; the limit is inherited by anything the child starts.
pub fn limit_memory(mb: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let bytes = mb.saturating_mul(1 << 20);
        rlimit::setrlimit(rlimit::Resource::AS, bytes, bytes)
    }
    #[cfg(not(unix))]
    {
        let _ = mb;
        Err(std::io::Error::other(
            "memory limits are only supported on Unix",
        ))
    }
}

/// How a child is run: its deadline and its memory limit.
#[derive(Debug, Clone, Copy)]
pub struct ChildLimits {
    /// The check's own deadline (the child gets a little more to start and report).
    pub timeout: Duration,
    /// Address-space limit, MiB.
    pub memory_mb: u64,
}

/// Runs one criterion in a child process of `exe` and returns its verdict.
pub fn run_child(
    exe: &Path,
    kata: &str,
    implementation: &str,
    criterion_id: &str,
    limits: ChildLimits,
) -> Verdict {
    let secret = Secret::fresh();
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_SUBCOMMAND)
        .arg(kata)
        .arg(implementation)
        .arg(criterion_id)
        .arg("--timeout-ms")
        .arg(limits.timeout.as_millis().to_string())
        .arg("--memory-mb")
        .arg(limits.memory_mb.to_string())
        .stdin(Stdio::piped())
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
    if let Some(mut stdin) = child.stdin.take() {
        // Dropping `stdin` closes the pipe: the child reads the secret, then end of input.
        // A child that died before reading it is judged by its exit below.
        let _ = writeln!(stdin, "{}", secret.0);
    }
    // Drain both pipes on their own threads so a chatty solution cannot block on a full pipe,
    // keeping only what can matter: verdict lines, and the tail of stderr.
    let stdout = spawn_reader(child.stdout.take(), verdict_lines);
    let stderr = spawn_reader(child.stderr.take(), stderr_tail);
    let deadline = Instant::now() + limits.timeout + GRACE;
    let status = wait_until(&mut child, deadline);
    let lines = stdout.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    match status {
        None => Verdict::bare(
            Status::Timeout,
            format!(
                "did not finish within {:.1} s; the process was killed (deadlock, livelock or infinite loop?)",
                limits.timeout.as_secs_f64()
            ),
        ),
        Some(status) => {
            let genuine = format!("{} ", secret.0);
            let reported = lines
                .iter()
                .rev()
                .find_map(|l| l.strip_prefix(&genuine))
                .and_then(|json| serde_json::from_str::<Verdict>(json).ok());
            match reported {
                Some(v) => v,
                None => Verdict::bare(
                    Status::Crash,
                    describe_death(status, &stderr, lines.len(), limits.memory_mb),
                ),
            }
        }
    }
}

fn spawn_reader<R, T>(pipe: Option<R>, read: fn(R) -> T) -> std::thread::JoinHandle<T>
where
    R: Read + Send + 'static,
    T: Default + Send + 'static,
{
    std::thread::spawn(move || pipe.map(read).unwrap_or_default())
}

/// The lines of a child's stdout that start with [`VERDICT_MARKER`] (without it), reading
/// everything else without keeping it. Keeps the last few, in order.
fn verdict_lines<R: Read>(pipe: R) -> Vec<String> {
    const KEEP: usize = 16;
    let mut reader = std::io::BufReader::new(pipe);
    let mut found = std::collections::VecDeque::with_capacity(KEEP);
    let mut line = Vec::new();
    loop {
        line.clear();
        // Never hold more than MAX_LINE bytes of one line: a longer one is skipped to its end.
        let limit = MAX_LINE as u64 + 1;
        match reader.by_ref().take(limit).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if line.last() != Some(&b'\n') && line.len() > MAX_LINE {
            if reader.skip_until(b'\n').is_err() {
                break;
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix(VERDICT_MARKER.as_bytes()) {
            if found.len() == KEEP {
                found.pop_front();
            }
            found.push_back(String::from_utf8_lossy(rest).trim_end().to_string());
        }
    }
    found.into()
}

/// The last [`STDERR_TAIL`] bytes of a child's stderr.
fn stderr_tail<R: Read>(mut pipe: R) -> Vec<u8> {
    let mut tail = std::collections::VecDeque::with_capacity(STDERR_TAIL);
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let overflow = (tail.len() + n).saturating_sub(STDERR_TAIL);
                tail.drain(..overflow.min(tail.len()));
                tail.extend(&buf[n.saturating_sub(STDERR_TAIL)..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    tail.into()
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

fn describe_death(status: ExitStatus, stderr: &str, forged: usize, memory_mb: u64) -> String {
    let how = match (status.code(), signal_of(status)) {
        (Some(code), _) => format!("the process exited with code {code} without a genuine verdict"),
        (None, Some(sig)) => format!(
            "the process was killed by signal {sig} ({})",
            signal_name(sig)
        ),
        (None, None) => "the process died without a genuine verdict".to_string(),
    };
    // The last meaningful stderr line usually says why: "thread '…' has overflowed its stack",
    // "fatal runtime error: …", "memory allocation of … failed", a panic message.
    let why = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("note:"));
    let mut message = match why {
        Some(w) if w.starts_with("memory allocation of") => format!(
            "out of memory: the solution went past the grader's limit of {memory_mb} MiB ({w}); {how}"
        ),
        Some(w) => format!("{how}: {w}"),
        None => how,
    };
    if forged > 0 {
        let _ = write!(
            message,
            "; it printed {forged} verdict line(s) the grader did not issue (a forged verdict is not a pass)"
        );
    }
    message
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_marker_lines_are_kept_and_an_endless_line_is_skipped() {
        let mut out = Vec::new();
        out.extend_from_slice(b"hello\n");
        out.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        out.extend_from_slice(b"\n@@kata-verdict abc {\"status\":\"pass\"}\nbye");
        let lines = verdict_lines(&out[..]);
        assert_eq!(lines, ["abc {\"status\":\"pass\"}"]);
    }

    #[test]
    fn a_marker_inside_an_overlong_line_is_not_a_verdict() {
        let mut out = b"@@kata-verdict ".to_vec();
        out.extend(std::iter::repeat_n(b'y', MAX_LINE + 1));
        assert!(verdict_lines(&out[..]).is_empty());
    }

    #[test]
    fn stderr_keeps_only_its_tail() {
        let mut err = vec![b'a'; 3 * STDERR_TAIL];
        err.extend_from_slice(b"\nthe last words");
        let tail = stderr_tail(&err[..]);
        assert_eq!(tail.len(), STDERR_TAIL);
        assert!(tail.ends_with(b"the last words"));
    }

    #[test]
    fn secrets_are_fresh_and_hidden_from_debug() {
        let (a, b) = (Secret::fresh(), Secret::fresh());
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 32);
        assert_eq!(format!("{a:?}"), "Secret(…)");
    }
}
