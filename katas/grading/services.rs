//! External services a check needs, started and stopped by the check itself.
//!
//! A check that needs a real server (stage 5 of a kata that shares state through Redis, say)
//! starts its own private one on a free loopback port with [`RedisServer::start`], and stops it
//! when the value is dropped. When the server cannot be started — the binary is not installed,
//! the platform has no `sh` — the check calls [`unavailable`](super::unavailable) with the
//! reason, and the criterion is reported as `unavailable` rather than failed.
//!
//! # No orphans
//!
//! A grader child that times out is killed outright, so a server it started must not depend on
//! the child's destructors to stop. Each server runs under a tiny `sh` supervisor that waits on
//! a pipe from the check's process and stops the server as soon as that pipe closes — which
//! happens however the check's process ends: normally, by a panic, or by `SIGKILL`.
//!
//! # No sleeps
//!
//! Readiness is read, not waited for: the server logs "Ready to accept connections" on its
//! standard output, and [`RedisServer::start`] returns as soon as that line arrives.

use std::io::{BufRead, BufReader, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Environment variable naming the `redis-server` binary to run (default: `redis-server` on
/// the `PATH`).
pub const REDIS_SERVER_VAR: &str = "KATA_REDIS_SERVER";

/// What to tell a person when no Redis server can be started.
const INSTALL_HINT: &str = "install Redis (Debian/Ubuntu: `apt install redis-server`, macOS: `brew install redis`) or point KATA_REDIS_SERVER at a redis-server binary";

/// A loopback port that was free a moment ago (bound, read, released).
///
/// Another process could take it before it is used; [`RedisServer::start`] retries on a new
/// port when that happens.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A private `redis-server` on 127.0.0.1, with no persistence, stopped on drop.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    /// The supervisor; closing its stdin stops the server.
    supervisor: Option<(Child, ChildStdin)>,
    /// Keeps the server's log pipe drained so that logging never blocks it.
    log: Option<JoinHandle<()>>,
}

impl RedisServer {
    /// Starts a server on a free port.
    ///
    /// # Errors
    /// A one-line reason, naming how to install Redis, when no server could be started.
    pub fn start() -> Result<Self, String> {
        let mut last = String::new();
        // A port found free can be taken by someone else before the server binds it: retry.
        for _ in 0..5 {
            let port = free_port().map_err(|e| format!("no free loopback port: {e}"))?;
            match Self::start_on(port) {
                Ok(server) => return Ok(server),
                Err(e) if e.contains("Address already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Starts a server on `port`: for a check that first talks to a port where nothing
    /// listens, then brings the server up there.
    ///
    /// # Errors
    /// As [`RedisServer::start`]; also when `port` is taken.
    pub fn start_on(port: u16) -> Result<Self, String> {
        let binary = std::env::var(REDIS_SERVER_VAR).unwrap_or_else(|_| "redis-server".into());
        // `$1` is the server binary, the rest its arguments. The server runs in the
        // background; a watcher reads the supervisor's stdin (the pipe from the check's
        // process) and stops the server at end of file, however that process ended. The
        // supervisor itself waits for the server and reports its exit on stdout, so a server
        // that dies during start-up is noticed at once rather than waited for.
        let script = r#"bin="$1"; shift
exec 3<&0
"$bin" "$@" </dev/null & pid=$!
{ read -r _ignored; kill "$pid"; } <&3 >/dev/null 2>&1 &
exec 3<&-
wait "$pid"; echo "@@exited $?""#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(&binary)
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--loglevel", "notice", "--logfile", ""])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not run `sh` to start {binary}: {e}; {INSTALL_HINT}"))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout);
        let mut seen = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) | Err(_) => line.clear(),
                Ok(_) if !line.starts_with("@@exited") => {
                    if line.contains("Ready to accept connections") {
                        break;
                    }
                    seen.push(line.trim().to_string());
                    continue;
                }
                Ok(_) => {}
            }
            // The server exited before it was ready: say why, from its last words.
            drop(stdin);
            let _ = child.wait();
            let last_words: Vec<&str> = seen
                .iter()
                .map(String::as_str)
                .filter(|l| !l.is_empty())
                .collect();
            return Err(if last_words.is_empty() {
                format!("could not start `{binary}` (not installed?); {INSTALL_HINT}")
            } else {
                let said = last_words[last_words.len().saturating_sub(3)..].join(" / ");
                format!("`{binary}` on port {port} exited before it was ready: {said}")
            });
        }
        let log = std::thread::Builder::new()
            .name(format!("redis-server {port} log"))
            .spawn(move || {
                let mut sink = String::new();
                while matches!(lines.read_line(&mut sink), Ok(n) if n > 0) {
                    sink.clear();
                }
            })
            .ok();
        Ok(Self {
            port,
            supervisor: Some((child, stdin)),
            log,
        })
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address to connect to: `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (all its data is lost: it never persists) and starts a fresh one on
    /// the same port, as an operator's restart would.
    ///
    /// # Errors
    /// When the new server cannot be started.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        *self = Self::start_on(self.port)?;
        Ok(())
    }

    fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.supervisor.take() {
            drop(stdin);
            let _ = child.wait();
        }
        if let Some(log) = self.log.take() {
            let _ = log.join();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP server on 127.0.0.1 that accepts connections and never answers: what a client sees
/// when its server hangs. Dropping it closes every connection, which releases any client still
/// blocked on a read.
#[derive(Debug)]
pub struct SilentServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl SilentServer {
    /// Starts listening on a free port.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let acceptor = std::thread::Builder::new()
            .name(format!("silent server {}", addr.port()))
            .spawn(move || {
                let mut held = Vec::new();
                for conn in listener.incoming() {
                    if stopping.load(Ordering::Acquire) {
                        break;
                    }
                    if let Ok(conn) = conn {
                        held.push(conn);
                    }
                }
                // `held` drops here: every client sees its connection closed.
            })?;
        Ok(Self {
            addr,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `redis://127.0.0.1:<port>/`, for a Redis client that should hang.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.addr.port())
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the acceptor with one last connection so it sees the flag.
        if let Ok(mut wake) = TcpStream::connect(self.addr) {
            let _ = wake.flush();
        }
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}
