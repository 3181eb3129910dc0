//! The configurable flawed loading cache: a read-through cache over the reference LRU with a
//! table of loads in progress, with one [`LoadFlaw`] switched on.

use super::*;
use crate::cache::{GetError, LoadError, Loader, LoadingCache};
use parking_lot::Condvar;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// One bug of a loading cache, switched on by overriding one constant.
pub trait LoadFlaw: Send + Sync + 'static {
    /// Every miss runs its own loader.
    const NO_SINGLE_FLIGHT: bool = false;
    /// A loader's error is remembered and returned to every later call.
    const ERROR_CACHED: bool = false;
    /// A load that produced no value reads as a panic to its waiters.
    const ERROR_AS_PANIC: bool = false;
    /// The loader runs without catching a panic: the load is never finished.
    const PANIC_NOT_CAUGHT: bool = false;
    /// Waiters wait for the load without ever reading the clock.
    const IGNORES_DEADLINE: bool = false;
    /// A load past its deadline stays in the table, so later callers join it.
    const TIMED_OUT_JOINED: bool = false;
}

struct Flight {
    deadline: u64,
    outcome: Mutex<Option<Result<Value, GetError>>>,
    done: Condvar,
}

/// A loading cache with one flaw `F`.
pub struct FlawedLoading<F> {
    values: LruCache,
    flights: Mutex<HashMap<Key, Arc<Flight>>>,
    errors: Mutex<HashMap<Key, LoadError>>,
    load_timeout: Duration,
    clock: Arc<dyn Clock>,
    flaw: PhantomData<F>,
}

impl<F: LoadFlaw> FlawedLoading<F> {
    fn wait(&self, flight: &Flight) -> Result<Value, GetError> {
        let mut slot = flight.outcome.lock();
        loop {
            if let Some(outcome) = *slot {
                if F::ERROR_AS_PANIC && outcome.is_err() {
                    return Err(GetError::LoaderPanicked);
                }
                return outcome;
            }
            if F::IGNORES_DEADLINE {
                flight.done.wait(&mut slot);
                continue;
            }
            if self.clock.now_nanos() >= flight.deadline {
                return Err(GetError::TimedOut);
            }
            flight.done.wait_for(&mut slot, Duration::from_millis(1));
        }
    }

    fn run(&self, key: Key, loader: Loader<'_>) -> Result<Value, GetError> {
        let outcome = if F::PANIC_NOT_CAUGHT {
            loader(key).map_err(GetError::Load)
        } else {
            match catch_unwind(AssertUnwindSafe(|| loader(key))) {
                Ok(r) => r.map_err(GetError::Load),
                Err(_) => Err(GetError::LoaderPanicked),
            }
        };
        match outcome {
            Ok(v) => self.values.put(key, v),
            Err(GetError::Load(e)) if F::ERROR_CACHED => {
                self.errors.lock().insert(key, e);
            }
            Err(_) => {}
        }
        outcome
    }
}

impl<F: LoadFlaw> LoadingCache for FlawedLoading<F> {
    fn new(
        config: CacheConfig,
        load_timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            values: LruCache::new(config, clock.clone())?,
            flights: Mutex::new(HashMap::new()),
            errors: Mutex::new(HashMap::new()),
            load_timeout,
            clock,
            flaw: PhantomData,
        })
    }

    fn get_or_load(&self, key: Key, loader: Loader<'_>) -> Result<Value, GetError> {
        if let Some(v) = self.values.get(key) {
            return Ok(v);
        }
        if let Some(&e) = self.errors.lock().get(&key) {
            return Err(GetError::Load(e));
        }
        if F::NO_SINGLE_FLIGHT {
            return self.run(key, loader);
        }
        let now = self.clock.now_nanos();
        let flight = {
            let mut flights = self.flights.lock();
            if !F::IGNORES_DEADLINE && !F::TIMED_OUT_JOINED {
                flights.retain(|_, f| now < f.deadline);
            }
            if let Some(f) = flights.get(&key) {
                let f = Arc::clone(f);
                drop(flights);
                return self.wait(&f);
            }
            if let Some(v) = self.values.get(key) {
                return Ok(v);
            }
            let deadline = u64::try_from(self.load_timeout.as_nanos())
                .ok()
                .and_then(|t| now.checked_add(t))
                .unwrap_or(u64::MAX);
            let f = Arc::new(Flight {
                deadline,
                outcome: Mutex::new(None),
                done: Condvar::new(),
            });
            flights.insert(key, Arc::clone(&f));
            f
        };
        let outcome = self.run(key, loader);
        {
            let mut flights = self.flights.lock();
            if flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                flights.remove(&key);
            }
        }
        *flight.outcome.lock() = Some(outcome);
        flight.done.notify_all();
        outcome
    }
}
