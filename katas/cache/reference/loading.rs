//! [`LoadingLru`]: the stage-4 answer, a read-through cache with single flight.
//!
//! Values live in a [`ShardedCache`]. A miss looks up the key's *flight* in a table of loads in
//! progress: if there is one, the call waits on it; if not, the call starts one and runs the
//! loader itself, outside every lock. The loader's outcome — value, error, or a caught panic —
//! is published to the flight and every waiter wakes with it; only a value is cached.
//!
//! Waiters wait on the flight's condition variable in short real-time slices and re-read the
//! injected clock after each, so a hung loader's waiters leave with `TimedOut` as soon as the
//! clock reads the flight's deadline; any call that finds an expired flight in the table also
//! fails it and takes it out, so the next caller starts a fresh one (the key is never
//! poisoned). The slices only bound how soon a waiter notices the clock — never what it
//! answers.

use super::super::{Cache, CacheConfig, ConfigError, GetError, Key, Loader, LoadingCache, Value};
use super::ShardedCache;
use crate::clock::Clock;
use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

/// How long a waiter sleeps between two readings of the clock.
const RECHECK: Duration = Duration::from_millis(1);

/// One load in progress.
struct Flight {
    /// Clock reading from which waiters give up.
    deadline: u64,
    outcome: Mutex<Option<Result<Value, GetError>>>,
    done: Condvar,
}

impl Flight {
    /// Publishes `outcome` unless one is already there (a deadline may have come first).
    fn finish(&self, outcome: Result<Value, GetError>) {
        let mut slot = self.outcome.lock();
        if slot.is_none() {
            *slot = Some(outcome);
        }
        self.done.notify_all();
    }
}

/// A read-through cache that runs one loader per key at a time.
pub struct LoadingLru {
    values: ShardedCache,
    flights: Mutex<HashMap<Key, Arc<Flight>>>,
    load_timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl LoadingLru {
    fn deadline(&self, now: u64) -> u64 {
        u64::try_from(self.load_timeout.as_nanos())
            .ok()
            .and_then(|t| now.checked_add(t))
            .unwrap_or(u64::MAX)
    }

    /// Waits for `flight`'s outcome, or for its deadline on the clock.
    fn wait(&self, flight: &Flight) -> Result<Value, GetError> {
        let mut slot = flight.outcome.lock();
        loop {
            if let Some(outcome) = *slot {
                return outcome;
            }
            if self.clock.now_nanos() >= flight.deadline {
                *slot = Some(Err(GetError::TimedOut));
                flight.done.notify_all();
                return Err(GetError::TimedOut);
            }
            flight.done.wait_for(&mut slot, RECHECK);
        }
    }
}

impl LoadingCache for LoadingLru {
    fn new(
        config: CacheConfig,
        load_timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            values: ShardedCache::new(config, clock.clone())?,
            flights: Mutex::new(HashMap::new()),
            load_timeout,
            clock,
        })
    }

    fn get_or_load(&self, key: Key, loader: Loader<'_>) -> Result<Value, GetError> {
        if let Some(v) = self.values.get(key) {
            return Ok(v);
        }
        let now = self.clock.now_nanos();
        let flight = {
            let mut flights = self.flights.lock();
            // Fail and drop every flight past its deadline: their waiters are released and the
            // next caller of those keys starts afresh.
            flights.retain(|_, f| {
                let expired = now >= f.deadline;
                if expired {
                    f.finish(Err(GetError::TimedOut));
                }
                !expired
            });
            if let Some(f) = flights.get(&key) {
                let f = Arc::clone(f);
                drop(flights);
                return self.wait(&f);
            }
            // A flight may have finished between the lookup above and taking the lock.
            if let Some(v) = self.values.get(key) {
                return Ok(v);
            }
            let f = Arc::new(Flight {
                deadline: self.deadline(now),
                outcome: Mutex::new(None),
                done: Condvar::new(),
            });
            flights.insert(key, Arc::clone(&f));
            f
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| loader(key))) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(GetError::Load(e)),
            Err(_) => Err(GetError::LoaderPanicked),
        };
        // Cache a value before the flight leaves the table, so a caller that no longer finds
        // the flight finds the value.
        if let Ok(v) = outcome {
            self.values.put(key, v);
        }
        {
            let mut flights = self.flights.lock();
            if flights.get(&key).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                flights.remove(&key);
            }
        }
        flight.finish(outcome);
        outcome
    }
}
