//! The configurable flawed cache: a plain LRU behind one mutex — a map from key to entry and an
//! ordered map from recency stamp to key — with one [`Flaw`] switched on.

use super::*;

/// One bug, switched on by overriding one constant.
pub trait Flaw: Send + Sync + 'static {
    /// A get hit does not refresh recency (FIFO eviction).
    const GET_NO_REFRESH: bool = false;
    /// Evicts the most recently used entry.
    const EVICT_NEWEST: bool = false;
    /// Evicts only once the cache holds one more than its capacity.
    const CAPACITY_PLUS_ONE: bool = false;
    /// A put of a present key keeps its old recency.
    const PUT_EXISTING_NO_REFRESH: bool = false;
    /// A put of a present key adds a second recency slot.
    const PUT_EXISTING_GROWS: bool = false;
    /// A put of a present key keeps the old value.
    const PUT_KEEPS_VALUE: bool = false;
    /// contains refreshes recency.
    const CONTAINS_REFRESHES: bool = false;
    /// remove leaves the key's recency slot behind.
    const REMOVE_KEEPS_SLOT: bool = false;
    /// Capacity 0 is accepted.
    const ZERO_CAPACITY_ACCEPTED: bool = false;
    /// Alive at exactly inserted + ttl.
    const TTL_OFF_BY_ONE: bool = false;
    /// get returns expired entries.
    const GET_IGNORES_EXPIRY: bool = false;
    /// Expired entries are never reclaimed, only hidden from reads.
    const NEVER_RECLAIMED: bool = false;
    /// Expired entries are reclaimed only when a read touches them.
    const RECLAIM_ON_TOUCH: bool = false;
    /// A put of a present key keeps its deadline.
    const PUT_KEEPS_DEADLINE: bool = false;
    /// A get pushes the deadline back by the ttl.
    const SLIDING_EXPIRY: bool = false;
    /// A zero ttl is taken as "no expiry".
    const ZERO_TTL_ACCEPTED: bool = false;
    /// The deadline is computed in wrapping u64 nanoseconds.
    const WRAPPING_DEADLINE: bool = false;
    /// put_with_ttl ignores the ttl.
    const FORGETS_TTL: bool = false;
    /// put decides whether to evict under the lock, releases it to read the clock, then inserts
    /// without deciding again.
    const ROOM_CHECKED_APART: bool = false;
    /// put looks the key up under the lock, releases it to read the clock, then inserts as new
    /// without looking again.
    const PRESENCE_CHECKED_APART: bool = false;
    /// put copies the cache's state under the lock, updates the copy outside it, and writes the
    /// copy back.
    const COPY_ON_WRITE: bool = false;
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    value: Value,
    deadline: Option<u64>,
    ttl: Option<u64>,
    stamp: u64,
}

#[derive(Debug, Clone, Default)]
struct State {
    capacity: usize,
    map: HashMap<Key, Entry>,
    /// Recency: stamp → key, oldest first. Its size is the cache's size.
    order: BTreeMap<u64, Key>,
    next_stamp: u64,
}

/// A plain LRU cache with one flaw `F`.
pub struct Flawed<F> {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    flaw: PhantomData<F>,
}

impl<F: Flaw> Flawed<F> {
    fn expired(deadline: Option<u64>, now: u64) -> bool {
        deadline.is_some_and(|d| if F::TTL_OFF_BY_ONE { now > d } else { now >= d })
    }

    fn stamp(state: &mut State) -> u64 {
        state.next_stamp += 1;
        state.next_stamp
    }

    /// Drops every expired entry (unless a flaw keeps them).
    fn purge(state: &mut State, now: u64) {
        if F::NEVER_RECLAIMED || F::RECLAIM_ON_TOUCH {
            return;
        }
        let dead: Vec<Key> = state
            .map
            .iter()
            .filter(|(_, e)| Self::expired(e.deadline, now))
            .map(|(&k, _)| k)
            .collect();
        for k in dead {
            Self::drop_key(state, k);
        }
    }

    fn drop_key(state: &mut State, key: Key) -> Option<Entry> {
        let e = state.map.remove(&key)?;
        if !F::REMOVE_KEEPS_SLOT {
            state.order.remove(&e.stamp);
        }
        Some(e)
    }

    /// The live entry of `key`, reclaiming it if it is expired and a read may do so.
    fn live(state: &mut State, key: Key, now: u64) -> Option<Entry> {
        let e = *state.map.get(&key)?;
        if Self::expired(e.deadline, now) {
            if F::RECLAIM_ON_TOUCH {
                Self::drop_key(state, key);
            }
            return None;
        }
        Some(e)
    }

    fn touch(state: &mut State, key: Key) {
        let stamp = Self::stamp(state);
        if let Some(e) = state.map.get_mut(&key) {
            state.order.remove(&e.stamp);
            e.stamp = stamp;
            state.order.insert(stamp, key);
        }
    }

    fn needs_room(state: &State) -> bool {
        if F::CAPACITY_PLUS_ONE {
            state.order.len() > state.capacity
        } else {
            state.order.len() >= state.capacity
        }
    }

    fn evict(state: &mut State) {
        let victim = if F::EVICT_NEWEST {
            state.order.pop_last()
        } else {
            state.order.pop_first()
        };
        if let Some((stamp, key)) = victim
            && state.map.get(&key).is_some_and(|e| e.stamp == stamp)
        {
            state.map.remove(&key);
        }
    }

    fn deadline(now: u64, ttl: Duration) -> Option<u64> {
        if F::WRAPPING_DEADLINE {
            return Some(now.wrapping_add(ttl.as_nanos() as u64));
        }
        u64::try_from(ttl.as_nanos())
            .ok()
            .and_then(|t| now.checked_add(t))
    }

    /// Inserts `key` as a new entry (evicting first if `evict`).
    fn insert_new(state: &mut State, key: Key, entry: Entry, evict: bool) {
        if evict {
            Self::evict(state);
        }
        let stamp = Self::stamp(state);
        state.map.insert(key, Entry { stamp, ..entry });
        state.order.insert(stamp, key);
    }

    /// The whole put, under the lock.
    fn put_locked(state: &mut State, key: Key, value: Value, ttl: Option<u64>, now: u64) {
        Self::purge(state, now);
        let deadline = ttl.and_then(|t| Self::deadline(now, Duration::from_nanos(t)));
        let entry = Entry {
            value,
            deadline,
            ttl,
            stamp: 0,
        };
        if let Some(old) = state.map.get(&key).copied() {
            if F::PUT_EXISTING_GROWS {
                let stamp = Self::stamp(state);
                state.order.insert(stamp, key);
                state.map.insert(key, Entry { stamp, ..entry });
                return;
            }
            let e = state.map.get_mut(&key).expect("present");
            if !F::PUT_KEEPS_VALUE {
                e.value = value;
            }
            if !F::PUT_KEEPS_DEADLINE {
                e.deadline = deadline;
                e.ttl = ttl;
            }
            let _ = old;
            if !F::PUT_EXISTING_NO_REFRESH {
                Self::touch(state, key);
            }
            return;
        }
        let evict = Self::needs_room(state);
        Self::insert_new(state, key, entry, evict);
    }

    fn put_any(&self, key: Key, value: Value, ttl: Option<u64>) {
        if F::ROOM_CHECKED_APART || F::PRESENCE_CHECKED_APART {
            let (present, evict) = {
                let state = self.state.lock();
                (state.map.contains_key(&key), Self::needs_room(&state))
            };
            let now = self.clock.now_nanos();
            let mut state = self.state.lock();
            let deadline = ttl.and_then(|t| Self::deadline(now, Duration::from_nanos(t)));
            let entry = Entry {
                value,
                deadline,
                ttl,
                stamp: 0,
            };
            if F::ROOM_CHECKED_APART {
                // Presence is looked up again; the room decision is not.
                if state.map.contains_key(&key) {
                    Self::put_locked(&mut state, key, value, ttl, now);
                } else {
                    Self::insert_new(&mut state, key, entry, evict);
                }
            } else if present {
                Self::put_locked(&mut state, key, value, ttl, now);
            } else {
                let evict = Self::needs_room(&state);
                Self::insert_new(&mut state, key, entry, evict);
            }
            return;
        }
        if F::COPY_ON_WRITE {
            let mut copy = self.state.lock().clone();
            let now = self.clock.now_nanos();
            Self::put_locked(&mut copy, key, value, ttl, now);
            *self.state.lock() = copy;
            return;
        }
        let now = self.clock.now_nanos();
        Self::put_locked(&mut self.state.lock(), key, value, ttl, now);
    }
}

impl<F: Flaw> Cache for Flawed<F> {
    fn new(config: CacheConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        if config.capacity == 0 && !F::ZERO_CAPACITY_ACCEPTED {
            return Err(ConfigError::ZeroCapacity);
        }
        Ok(Self {
            state: Mutex::new(State {
                capacity: config.capacity,
                ..State::default()
            }),
            clock,
            flaw: PhantomData,
        })
    }

    fn get(&self, key: Key) -> Option<Value> {
        let now = self.clock.now_nanos();
        let mut state = self.state.lock();
        let e = if F::GET_IGNORES_EXPIRY {
            *state.map.get(&key)?
        } else {
            Self::purge(&mut state, now);
            Self::live(&mut state, key, now)?
        };
        if F::SLIDING_EXPIRY
            && let (Some(ttl), Some(entry)) = (e.ttl, state.map.get_mut(&key))
        {
            entry.deadline = now.checked_add(ttl);
        }
        if !F::GET_NO_REFRESH {
            Self::touch(&mut state, key);
        }
        Some(e.value)
    }

    fn put(&self, key: Key, value: Value) {
        self.put_any(key, value, None);
    }

    fn put_with_ttl(&self, key: Key, value: Value, ttl: Duration) -> Result<(), PutError> {
        if ttl.is_zero() {
            if F::ZERO_TTL_ACCEPTED {
                self.put_any(key, value, None);
                return Ok(());
            }
            return Err(PutError::ZeroTtl);
        }
        if F::FORGETS_TTL {
            self.put_any(key, value, None);
            return Ok(());
        }
        let ttl = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
        self.put_any(key, value, Some(ttl));
        Ok(())
    }

    fn remove(&self, key: Key) -> Option<Value> {
        let now = self.clock.now_nanos();
        let mut state = self.state.lock();
        Self::purge(&mut state, now);
        Self::live(&mut state, key, now)?;
        Self::drop_key(&mut state, key).map(|e| e.value)
    }

    fn contains(&self, key: Key) -> bool {
        let now = self.clock.now_nanos();
        let mut state = self.state.lock();
        Self::purge(&mut state, now);
        let live = Self::live(&mut state, key, now).is_some();
        if live && F::CONTAINS_REFRESHES {
            Self::touch(&mut state, key);
        }
        live
    }

    fn len(&self) -> usize {
        let now = self.clock.now_nanos();
        let mut state = self.state.lock();
        Self::purge(&mut state, now);
        state.order.len()
    }
}
