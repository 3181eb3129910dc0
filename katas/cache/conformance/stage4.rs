//! Stage 4 checks: the loading cache `D` — single flight, a loader's error and panic shared
//! and not cached, and waiters released at the deadline of a hung loader.
//!
//! The loaders are this rubric's code, so the checks control them: the first caller's loader
//! blocks on a gate while the other callers miss, and the checks count how many loaders ran.
//! Callers run on threads the check may abandon: a solution that leaves a waiter blocked for
//! good fails with a message instead of hanging the check. The real-time waits below only give
//! the other callers time to arrive and wait; every outcome a correct cache can produce in
//! either order is accepted.

use super::super::{GetError, LoadError, LoadingCache};
use super::*;
use crate::ensure;
use crate::grading::{is_todo, panic_message};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// How long the other callers get to arrive and start waiting on the flight.
const ARRIVAL: Duration = Duration::from_millis(60);
/// How long a caller may take to return once it has everything it needs to.
const RELEASE: Duration = Duration::from_millis(500);
/// Waiters give up on a flight this long after it started (on the injected clock).
const LOAD_TIMEOUT: Duration = Duration::from_secs(5);
/// Callers of each race besides the one that runs the loader.
const FOLLOWERS: usize = 3;

/// A gate a loader blocks on until the check opens it.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock();
        while !*open {
            self.opened.wait(&mut open);
        }
    }

    fn open(&self) {
        *self.open.lock() = true;
        self.opened.notify_all();
    }
}

/// What a caller's thread came back with: the answer, or a panic's message.
type Outcome = Result<Result<Value, GetError>, String>;

/// The shared parts of one race.
struct Race<D> {
    cache: D,
    clock: Arc<ManualClock>,
    gate: Gate,
    /// Loaders run so far.
    runs: AtomicU64,
    /// Signalled when the first loader starts.
    started: Mutex<Option<mpsc::Sender<()>>>,
}

impl<D: LoadingCache + 'static> Race<D> {
    fn new(capacity: usize) -> Result<(Arc<Self>, mpsc::Receiver<()>), Failure> {
        let clock = Arc::new(ManualClock::starting_at(Duration::from_nanos(ORIGIN_NS)));
        let cache = D::new(
            CacheConfig::with_capacity(capacity),
            LOAD_TIMEOUT,
            clock.clone(),
        )
        .map_err(|e| {
            Failure::new(
                format!("LoadingCache::new(capacity {capacity}, load timeout 5 s)"),
                "a cache",
                format!("Err({e:?})"),
            )
        })?;
        let (tx, rx) = mpsc::channel();
        Ok((
            Arc::new(Self {
                cache,
                clock,
                gate: Gate::default(),
                runs: AtomicU64::new(0),
                started: Mutex::new(Some(tx)),
            }),
            rx,
        ))
    }

    /// Calls `get_or_load(key, …)` on a thread of its own with a loader that counts its run,
    /// signals the first start, waits for the gate if `gated`, then answers `answer()`.
    fn call(
        self: &Arc<Self>,
        key: Key,
        gated: bool,
        answer: fn() -> Result<Value, LoadError>,
    ) -> mpsc::Receiver<Outcome> {
        let race = Arc::clone(self);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            crate::grading::quiet::mark_current_thread();
            let loader = |_: Key| {
                race.runs.fetch_add(1, Ordering::SeqCst);
                if let Some(tx) = race.started.lock().take() {
                    let _ = tx.send(());
                }
                if gated {
                    race.gate.wait();
                }
                answer()
            };
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                race.cache.get_or_load(key, &loader)
            }))
            .map_err(|p| panic_message(p.as_ref()));
            let _ = tx.send(got);
        });
        rx
    }

    fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }
}

/// Waits for a caller's outcome; a `todo!()` inside it is resumed as `not_implemented`.
fn outcome(rx: &mpsc::Receiver<Outcome>, input: &str, expected: &str) -> Result<Outcome, Failure> {
    match rx.recv_timeout(RELEASE) {
        Ok(Err(message)) if is_todo(&message) => std::panic::panic_any(message),
        Ok(got) => Ok(got),
        Err(_) => Err(Failure::new(
            input,
            expected,
            "the call was still blocked 0.5 s (real time) later",
        )),
    }
}

/// Waits for the first loader to start; fails if the first call returns without running one.
fn started(
    rx: &mpsc::Receiver<()>,
    leader: &mpsc::Receiver<Outcome>,
    input: &str,
) -> Result<(), Failure> {
    let give_up = std::time::Instant::now() + RELEASE;
    while std::time::Instant::now() < give_up {
        if rx.recv_timeout(Duration::from_millis(5)).is_ok() {
            return Ok(());
        }
        match leader.try_recv() {
            Ok(Err(message)) if is_todo(&message) => std::panic::panic_any(message),
            Ok(got) => {
                return Err(Failure::new(
                    input,
                    "the first get_or_load of a missing key runs its loader",
                    format!("it returned {got:?} without running it"),
                ));
            }
            Err(_) => {}
        }
    }
    Err(Failure::new(
        input,
        "the first get_or_load of a missing key runs its loader",
        "no loader started within 0.5 s",
    ))
}

fn ok_value() -> Result<Value, LoadError> {
    Ok(42)
}
fn other_value() -> Result<Value, LoadError> {
    Ok(5)
}
fn failing() -> Result<Value, LoadError> {
    Err(LoadError(7))
}
fn panicking() -> Result<Value, LoadError> {
    panic!("the loader panics (on purpose, for the check)")
}

/// Concurrent misses run one loader and all get its value, which is then cached.
pub fn single_flight<D: LoadingCache + 'static>() -> Result<(), Failure> {
    for round in 0..3u64 {
        let key = 10 + round;
        let (race, first) = Race::<D>::new(64)?;
        let input = format!(
            "a loading cache of capacity 64; caller A calls get_or_load({key}) and its loader (→ Ok(42)) is held; {FOLLOWERS} more callers call get_or_load({key}) with loaders → Ok(5); then A's loader is let go"
        );
        let leader = race.call(key, true, ok_value);
        started(&first, &leader, &input)?;
        let followers: Vec<_> = (0..FOLLOWERS)
            .map(|_| race.call(key, false, other_value))
            .collect();
        std::thread::sleep(ARRIVAL);
        race.gate.open();
        let expected = "every caller gets Ok(42), and one loader ran";
        let mut got = vec![outcome(&leader, &input, expected)?];
        for f in &followers {
            got.push(outcome(f, &input, expected)?);
        }
        let runs = race.runs();
        ensure!(
            runs == 1 && got.iter().all(|g| *g == Ok(Ok(42))),
            &input,
            expected,
            "{runs} loader(s) ran; callers got {got:?}"
        );
        let again = race.call(key, false, other_value);
        let later = outcome(&again, &input, "Ok(42) from the cache")?;
        let runs = race.runs();
        ensure!(
            later == Ok(Ok(42)) && runs == 1,
            format!("{input}\nthen get_or_load({key}) once more"),
            "Ok(42) from the cache, no loader run",
            "{later:?}, {runs} loader(s) run in all"
        );
    }
    Ok(())
}

/// A loader's error reaches every waiter, and is not cached.
pub fn load_error<D: LoadingCache + 'static>() -> Result<(), Failure> {
    let key = 20;
    let (race, first) = Race::<D>::new(64)?;
    let input = format!(
        "a loading cache of capacity 64; caller A calls get_or_load({key}) and its loader (→ Err(LoadError(7))) is held; {FOLLOWERS} more callers call get_or_load({key}) with loaders → Ok(5); then A's loader is let go"
    );
    let leader = race.call(key, true, failing);
    started(&first, &leader, &input)?;
    let followers: Vec<_> = (0..FOLLOWERS)
        .map(|_| race.call(key, false, other_value))
        .collect();
    std::thread::sleep(ARRIVAL);
    race.gate.open();
    let expected = "A gets Err(Load(LoadError(7))); every waiter the same (a caller arriving after the failure may load Ok(5) itself)";
    let a = outcome(&leader, &input, expected)?;
    ensure!(
        a == Ok(Err(GetError::Load(LoadError(7)))),
        &input,
        expected,
        "A got {a:?}"
    );
    let mut waited = 0;
    for f in &followers {
        let got = outcome(f, &input, expected)?;
        match got {
            Ok(Err(GetError::Load(LoadError(7)))) => waited += 1,
            Ok(Ok(5)) => {}
            other => {
                return Err(Failure::new(
                    &input,
                    expected,
                    format!("a waiter got {other:?}"),
                ));
            }
        }
    }
    let runs = race.runs();
    ensure!(
        runs == 1 + (FOLLOWERS - waited) as u64,
        &input,
        "one loader for the flight, plus one per caller that came after it",
        "{runs} loader(s) ran; {waited} caller(s) got the flight's error"
    );
    let again = race.call(key, false, other_value);
    let later = outcome(&again, &input, "Ok(5): the error was not cached")?;
    ensure!(
        later == Ok(Ok(5)),
        format!("{input}\nthen get_or_load({key}) with a loader → Ok(5)"),
        "Ok(5): the error was not cached, a loader ran again",
        "{later:?}"
    );
    Ok(())
}

/// A panicking loader releases every waiter and poisons nothing.
pub fn loader_panic<D: LoadingCache + 'static>() -> Result<(), Failure> {
    let key = 30;
    let (race, first) = Race::<D>::new(64)?;
    let input = format!(
        "a loading cache of capacity 64; caller A calls get_or_load({key}) and its loader is held, then panics; {FOLLOWERS} more callers call get_or_load({key}) with loaders → Ok(5)"
    );
    let leader = race.call(key, true, panicking);
    started(&first, &leader, &input)?;
    let followers: Vec<_> = (0..FOLLOWERS)
        .map(|_| race.call(key, false, other_value))
        .collect();
    std::thread::sleep(ARRIVAL);
    race.gate.open();
    let expected = "every waiter returns Err(LoaderPanicked) (a caller arriving after it may load Ok(5) itself); A gets Err(LoaderPanicked) or the panic";
    match outcome(&leader, &input, expected)? {
        Ok(Err(GetError::LoaderPanicked)) | Err(_) => {}
        other => return Err(Failure::new(&input, expected, format!("A got {other:?}"))),
    }
    for f in &followers {
        match outcome(f, &input, expected)? {
            Ok(Err(GetError::LoaderPanicked)) | Ok(Ok(5)) => {}
            other => {
                return Err(Failure::new(
                    &input,
                    expected,
                    format!("a waiter got {other:?}"),
                ));
            }
        }
    }
    let again = race.call(key, false, other_value);
    let later = outcome(&again, &input, "Ok(5): the key is not poisoned")?;
    ensure!(
        later == Ok(Ok(5)),
        format!("{input}\nthen get_or_load({key}) with a loader → Ok(5)"),
        "Ok(5): the key is not poisoned",
        "{later:?}"
    );
    Ok(())
}

/// A hung loader's waiters leave at the deadline; the key is not poisoned.
pub fn load_deadline<D: LoadingCache + 'static>() -> Result<(), Failure> {
    let key = 40;
    let (race, first) = Race::<D>::new(64)?;
    let input = format!(
        "a loading cache of capacity 64, load timeout 5 s; caller A calls get_or_load({key}) and its loader hangs; {FOLLOWERS} more callers call get_or_load({key}) with loaders → Ok(5); the clock advances 5 s; get_or_load(41) → Ok(5)"
    );
    let leader = race.call(key, true, ok_value);
    started(&first, &leader, &input)?;
    let followers: Vec<_> = (0..FOLLOWERS)
        .map(|_| race.call(key, false, other_value))
        .collect();
    std::thread::sleep(ARRIVAL);
    race.clock.advance(LOAD_TIMEOUT);
    // A call into the cache after the deadline: the moment a cache that does not poll the
    // clock while waiting releases the hung flight's waiters.
    let nudge = race.call(41, false, other_value);
    let expected = "every waiter returns Err(TimedOut) once the clock reads the deadline";
    let nudged = outcome(&nudge, &input, "get_or_load(41) → Ok(5)")?;
    ensure!(
        nudged == Ok(Ok(5)),
        &input,
        "get_or_load(41) → Ok(5)",
        "{nudged:?}"
    );
    for f in &followers {
        match outcome(f, &input, expected)? {
            Ok(Err(GetError::TimedOut)) | Ok(Ok(5)) => {}
            other => {
                race.gate.open();
                return Err(Failure::new(
                    &input,
                    expected,
                    format!("a waiter got {other:?}"),
                ));
            }
        }
    }
    let fresh = race.call(key, false, other_value);
    let later = outcome(&fresh, &input, "Ok(5): a fresh flight, not the hung one")?;
    race.gate.open();
    ensure!(
        later == Ok(Ok(5)),
        format!("{input}\nthen, A's loader still hung, get_or_load({key}) with a loader → Ok(5)"),
        "Ok(5): the call after the deadline starts a fresh flight instead of joining the hung one",
        "{later:?}"
    );
    // A's loader returns at last; what A gets is not fixed, but it must return.
    let _ = outcome(&leader, &input, "A's call returns once its loader does")?;
    Ok(())
}
