//! Stage 5 checks of a store that fails: down, hanging, restarted.

use super::stage5::*;
use super::*;

/// A store that refuses connections gets the configured policy; a client built while the
/// store was down works once it is up.
pub fn shared_store_down<S: SharedRateLimiter>() -> Result<(), Failure> {
    let port = crate::grading::services::free_port()
        .unwrap_or_else(|e| unavailable(format!("no free loopback port: {e}")));
    let url = format!("redis://127.0.0.1:{port}/");
    let bucket = config(3, 1, 1_000_000_000_000);
    let store = |policy| StoreConfig {
        url: url.clone(),
        prefix: "down:".into(),
        timeout: Duration::from_secs(2),
        on_failure: policy,
    };
    let mut log = Transcript::new(format!(
        "{}; nothing listens on port {port}; one client fails open, one fails closed",
        describe(&bucket)
    ));
    let open: S = connect(
        bucket,
        store(FailurePolicy::Open),
        Arc::new(ManualClock::new()),
    )?;
    let closed: S = connect(
        bucket,
        store(FailurePolicy::Closed),
        Arc::new(ManualClock::new()),
    )?;
    for _ in 0..bucket.capacity + 2 {
        let got = open.try_acquire("k", 1);
        log.step(format!(
            "fail-open client: try_acquire(\"k\", 1) → {}",
            shared_outcome(&got)
        ));
        ensure!(
            matches!(got, Ok(Admission::FailedOpen { .. })),
            &log,
            "let through uncounted (Admission::FailedOpen), every time",
            "{}",
            shared_outcome(&got)
        );
        let got = closed.try_acquire("k", 1);
        log.step(format!(
            "fail-closed client: try_acquire(\"k\", 1) → {}",
            shared_outcome(&got)
        ));
        ensure!(
            matches!(got, Err(SharedError::Unavailable { .. })),
            &log,
            "refused with SharedError::Unavailable, every time",
            "{}",
            shared_outcome(&got)
        );
    }
    // The store comes up where the clients expect it.
    let _server = RedisServer::start_on(port).unwrap_or_else(|reason| unavailable(reason));
    log.step(format!("redis-server starts on port {port}"));
    for (name, client) in [("fail-open", &open), ("fail-closed", &closed)] {
        let got = client.try_acquire("k", 1);
        log.step(format!(
            "{name} client: try_acquire(\"k\", 1) → {}",
            shared_outcome(&got)
        ));
        ensure!(
            matches!(got, Ok(Admission::Counted)),
            &log,
            "granted by the store, now that it is up",
            "{}",
            shared_outcome(&got)
        );
    }
    Ok(())
}

/// A store that accepts connections and never answers costs a caller about the timeout, not
/// forever.
pub fn shared_store_hangs<S: SharedRateLimiter + 'static>() -> Result<(), Failure> {
    let silent = SilentServer::start()
        .unwrap_or_else(|e| unavailable(format!("cannot listen on loopback: {e}")));
    let bucket = config(3, 1, 1_000_000_000_000);
    let timeout = Duration::from_millis(50);
    // Twelve times the timeout: generous for a loaded machine, and still far from "forever".
    let patience = timeout * 12;
    let input = format!(
        "{}; the store at port {} accepts connections and never answers; timeout {timeout:?}; one client fails open, one fails closed; each calls try_acquire(\"k\", 1)",
        describe(&bucket),
        silent.port()
    );
    let (tx, rx) = std::sync::mpsc::channel();
    for policy in [FailurePolicy::Open, FailurePolicy::Closed] {
        let store = StoreConfig {
            url: silent.url(),
            prefix: "hang:".into(),
            timeout,
            on_failure: policy,
        };
        let client: S = connect(bucket, store, Arc::new(ManualClock::new()))?;
        let tx = tx.clone();
        // A thread per client, so a client that hangs can be abandoned: closing the silent
        // server at the end of this check releases it.
        std::thread::spawn(move || {
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                client.try_acquire("k", 1)
            }));
            let _ = tx.send((
                policy,
                got.map_err(|p| crate::grading::panic_message(p.as_ref())),
            ));
        });
    }
    drop(tx);
    let started = std::time::Instant::now();
    let mut answered = 0;
    while answered < 2 {
        let left = patience.saturating_sub(started.elapsed());
        let Ok((policy, got)) = rx.recv_timeout(left) else {
            return Err(Failure::new(
                &input,
                format!("both clients answer within about {timeout:?} (allowed {patience:?})"),
                format!(
                    "{} of 2 clients still waiting after {patience:?}: no timeout on the store call?",
                    2 - answered
                ),
            ));
        };
        answered += 1;
        let got = match got {
            Ok(got) => got,
            Err(panic) => return Err(Failure::panicked(&input, panic)),
        };
        let (ok, want) = match policy {
            FailurePolicy::Open => (
                matches!(got, Ok(Admission::FailedOpen { .. })),
                "fail-open client: let through uncounted (Admission::FailedOpen)",
            ),
            FailurePolicy::Closed => (
                matches!(got, Err(SharedError::Unavailable { .. })),
                "fail-closed client: SharedError::Unavailable",
            ),
        };
        ensure!(ok, &input, want, "{}", shared_outcome(&got));
    }
    Ok(())
}

/// After the store restarts, decisions are the store's again at once, and a key regains at
/// most its capacity from the lost state.
pub fn shared_store_restart<S: SharedRateLimiter>() -> Result<(), Failure> {
    let mut server = redis_server();
    let bucket = config(4, 1, 1_000_000_000_000);
    let client: S = connect(
        bucket,
        healthy_store(server.url(), "restart:"),
        Arc::new(ManualClock::new()),
    )?;
    let mut log = Transcript::new(format!("{}; fail closed", describe(&bucket)));
    let drain = |log: &mut Transcript, phase: &str| -> Result<u64, Failure> {
        let mut granted = 0;
        for _ in 0..2 * bucket.capacity {
            let got = client.try_acquire("k", 1);
            match got {
                Ok(Admission::Counted) => granted += 1,
                Err(SharedError::Limited(AcquireError::RateLimited { .. })) => {}
                _ => {
                    log.step(format!(
                        "{phase}: try_acquire(\"k\", 1) → {}",
                        shared_outcome(&got)
                    ));
                    return Err(Failure::new(
                        &*log,
                        "granted or rate limited: the store is up",
                        shared_outcome(&got),
                    ));
                }
            }
        }
        log.step(format!(
            "{phase}: {} × try_acquire(\"k\", 1) → {granted} granted",
            2 * bucket.capacity
        ));
        Ok(granted)
    };
    drain(&mut log, "before the restart")?;
    server.restart().unwrap_or_else(|reason| {
        unavailable(format!("could not restart the test's Redis: {reason}"))
    });
    log.step("redis-server restarts (its data is lost)");
    let granted = drain(&mut log, "after the restart")?;
    ensure!(
        granted <= bucket.capacity,
        &log,
        format!(
            "at most {} grants after the restart (a lost bucket comes back full)",
            bucket.capacity
        ),
        "{granted} grants"
    );
    Ok(())
}
