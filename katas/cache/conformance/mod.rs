//! The rubric for the cache kata: criteria and their checks, generic over [`Cache`].
//!
//! The checks see only the contract. Answers are compared with [`Model`], a cache written to be
//! obviously right rather than fast (a vector scanned on every call). A solution with any
//! design — a slab-backed linked list, an ordered map by recency stamp, a mutex or shards —
//! gets full marks as long as it behaves as the contract says.
//!
//! Four implementations are bound: `L`, the exact LRU cache of stages 1–2, `S`, the shared
//! cache of stage 3, which may relax recency, `D`, the loading cache of stage 4, and `P`, the
//! scan-resistant cache of stage 5, which chooses its own victims (see the contract).
//!
//! Use it from your own crate: `lld_katas::cache::conformance::suite::<MyLru, MyShared, MyLoading, MyPolicy>()` gives
//! the bound checks; `lld_katas::conformance_tests!` turns them into `#[test]`s.

use super::{Cache, CacheConfig, ConfigError, Key, LoadingCache, PutError, Value};
use crate::clock::{Clock, ManualClock};
use crate::grading::{Check, Criterion, Failure, Rule, Transcript};
use std::sync::Arc;
use std::time::Duration;

mod describe;
mod model;
mod stage1;
mod stage2;
mod stage3;
mod stage4;
mod stage5;

pub use describe::*;
pub use model::*;
pub use stage1::*;
pub use stage2::*;
pub use stage3::*;
pub use stage4::*;
pub use stage5::*;

// ---------------------------------------------------------------------------------------------
// Criteria
// ---------------------------------------------------------------------------------------------

/// Random call sequences behave exactly like the model.
pub const MODEL: Criterion = Criterion::new(
    "cache/stage1/model",
    1,
    5,
    "get, put, remove, contains and len behave like the model, call by call",
    "over random call sequences on caches of capacity 1 to 6 with keys that collide, hit and miss, every answer (get, remove, contains, len) equals an exact LRU model's, and afterwards the same keys are present",
    "one map from key to entry plus one recency order; every hit and every put of a present key moves the key to the most recent end; a full cache evicts from the least recent end",
);
/// A capacity of zero is a typed error.
pub const ZERO_CAPACITY: Criterion = Criterion::new(
    "cache/stage1/zero-capacity",
    1,
    2,
    "a capacity of zero is ConfigError::ZeroCapacity",
    "building a cache of capacity 0 returns Err(ConfigError::ZeroCapacity), without panicking; capacity 1 builds",
    "validate the configuration in new and return the error instead of panicking later",
);
/// A cache of capacity n holds exactly n entries.
pub const CAPACITY_EXACT: Criterion = Criterion::new(
    "cache/stage1/capacity-exact",
    1,
    3,
    "a cache of capacity n holds exactly n entries",
    "putting n distinct keys into a cache of capacity n (1, 2, 3, 7, 64, 1000) evicts nothing and len() is n; the next new key evicts exactly one entry, the first put, and len() stays n",
    "evict when the cache already holds `capacity` entries and a new key arrives — not before, not one later",
);
/// Eviction picks exactly the least recently used entry.
pub const EVICTION_ORDER: Criterion = Criterion::new(
    "cache/stage1/eviction-order",
    1,
    4,
    "each eviction takes the least recently used entry",
    "after a full cache's keys are read with get in a random order, each new key put evicts exactly the key the model names — the one whose last get or put is the oldest",
    "a get hit must move its key to the most recent end; evict from the other end",
);
/// A put of a present key refreshes it and keeps its single slot.
pub const PUT_EXISTING: Criterion = Criterion::new(
    "cache/stage1/put-existing",
    1,
    3,
    "a put of a present key replaces its value, refreshes it, and takes no second slot",
    "in a full cache, putting a present key again leaves len() unchanged, get returns the new value, and the key is then the most recently used: the next new key evicts the least recent other key",
    "look the key up first: overwrite the value and move the node to the most recent end instead of inserting a second entry",
);
/// contains, len and a miss change no recency.
pub const PEEK_NO_TOUCH: Criterion = Criterion::new(
    "cache/stage1/peek-no-touch",
    1,
    2,
    "contains, len and a get that misses change nothing",
    "calling contains on the least recently used key, len(), and get on an absent key, leave the recency order as it was: the next new key still evicts that least recently used key",
    "contains is a peek: read the map, do not move the node",
);
/// remove returns the value and frees the slot.
pub const REMOVE_FREES: Criterion = Criterion::new(
    "cache/stage1/remove-frees",
    1,
    3,
    "remove returns the value and frees its slot",
    "remove of a present key returns its value, then the key is absent and len() is one less; in a cache that was full, the next new key evicts nothing; remove of an absent key returns None and changes nothing",
    "remove the key from the map and its node from the recency order, and count it out",
);
/// The expiry boundary is exact.
pub const TTL_BOUNDARY: Criterion = Criterion::new(
    "cache/stage2/ttl-boundary",
    2,
    4,
    "an entry is alive at inserted + ttl − 1 ns and gone at inserted + ttl",
    "for insertion times and time-to-lives from 1 ns to hours, an entry is returned by get and contains at inserted + ttl − 1 ns and not at inserted + ttl, where it no longer counts in len()",
    "store the deadline inserted + ttl and treat `now >= deadline` as expired",
);
/// A deadline that does not fit never expires.
pub const TTL_SATURATES: Criterion = Criterion::new(
    "cache/stage2/ttl-saturates",
    2,
    2,
    "a time-to-live too large to add never expires",
    "put_with_ttl with ttl = Duration::MAX or u64::MAX − 5 ns at a late clock reading is accepted and the entry is still returned at the clock's last nanosecond",
    "add with checked or saturating arithmetic; a wrapped deadline lands in the past",
);
/// A zero time-to-live is a typed error and changes nothing.
pub const ZERO_TTL: Criterion = Criterion::new(
    "cache/stage2/zero-ttl",
    2,
    2,
    "a zero time-to-live is PutError::ZeroTtl and changes nothing",
    "put_with_ttl with a ttl of 0 returns Err(PutError::ZeroTtl), for a present key (which keeps its value and its expiry) and for an absent one (which stays absent)",
    "validate the ttl before touching the map",
);
/// Expired entries are never returned.
pub const EXPIRED_ABSENT: Criterion = Criterion::new(
    "cache/stage2/expired-absent",
    2,
    3,
    "an expired entry is never returned",
    "once an entry has expired, get returns None, contains returns false and remove returns None, whichever of them is called first",
    "check the deadline on every read path, not only in one of them",
);
/// Expired entries take no room.
pub const EXPIRED_RECLAIMED: Criterion = Criterion::new(
    "cache/stage2/expired-reclaimed",
    2,
    4,
    "expired entries count as absent: not in len(), never worth a live eviction",
    "when entries expire, len() drops at once, without any call touching them; a put into a cache whose expired entries would make it full evicts no live entry",
    "reclaim expired entries before evicting a live one (an index by deadline, or a sweep when the cache looks full), and count only live entries",
);
/// A put sets the expiry; a get leaves it.
pub const EXPIRY_SET_BY_PUT: Criterion = Criterion::new(
    "cache/stage2/expiry-set-by-put",
    2,
    3,
    "a put replaces a key's expiry; a get does not extend it",
    "a plain put of a key with a time-to-live makes it never expire, a put_with_ttl replaces the old deadline with a new one (earlier or later), and reading the key with get does not push its deadline back",
    "a put writes the whole entry, deadline included; a get only moves recency",
);
/// Random sequences with expiry behave like the model.
pub const MODEL_WITH_EXPIRY: Criterion = Criterion::new(
    "cache/stage2/model-with-expiry",
    2,
    4,
    "with time-to-lives and a moving clock, every answer equals the model's",
    "over random call sequences mixing put, put_with_ttl (1–6 ns), get, remove, contains, len and clock moves that land on and next to deadlines, every answer equals the model's",
    "treat an expired entry as gone everywhere: reads, len, and the room a put needs",
);
/// The shared cache keeps the single-threaded rules.
pub const SHARED_BASICS: Criterion = Criterion::new(
    "cache/stage3/shared-basics",
    3,
    3,
    "the shared cache keeps the rules of stages 1 and 2 on one thread",
    "used from one thread, the shared cache refuses capacity 0 and a zero ttl with their errors, returns the latest value put, forgets removed keys, expires entries exactly at inserted + ttl, and never holds more than its capacity",
    "a sharded cache is the stage-1 cache per shard: the same rules hold, with capacities that add up to the total",
);
/// Threads on disjoint keys each see their own latest values.
pub const THREADS_MODEL: Criterion = Criterion::new(
    "cache/stage3/threads-model",
    3,
    4,
    "threads working on their own keys each see exactly their own latest values",
    "four threads released together each run random put / get / remove on their own keys of a cache large enough that nothing is evicted; every answer equals the thread's own model, and the final contents are the union of the models",
    "lock the part of the cache a key lives in for the whole call: no copy of shared state updated outside the lock",
);
/// A put racing another put is not lost.
pub const RACING_PUTS_KEPT: Criterion = Criterion::new(
    "cache/stage3/racing-puts-kept",
    3,
    4,
    "a put that completes during another put is not lost",
    "while one put is held inside its clock reading, a put of another key completes; after both, both keys are present with their values",
    "mutate the shared structure under its lock; do not write back a copy taken before another thread's put",
);
/// Capacity holds while puts race.
pub const CAPACITY_RACE: Criterion = Criterion::new(
    "cache/stage3/capacity-race",
    3,
    4,
    "capacity is never exceeded while puts race",
    "while a put of a new key into a cache one short of full is held inside its clock reading, a put of another new key completes; afterwards len() is at most the capacity",
    "decide whether to evict and insert under one lock acquisition",
);
/// Two racing puts of one key leave one entry.
pub const ONE_ENTRY_PER_KEY: Criterion = Criterion::new(
    "cache/stage3/one-entry-per-key",
    3,
    4,
    "two racing puts of one key leave exactly one entry",
    "while a put of a new key is held inside its clock reading, a put of the same key completes; afterwards len() is 1, get returns one of the two values, and after remove len() is 0",
    "look the key up and insert it under one lock acquisition",
);
/// Calls on different keys do not wait for one cache-wide lock.
pub const KEYS_IN_PARALLEL: Criterion = Criterion::new(
    "cache/stage3/keys-in-parallel",
    3,
    3,
    "calls on different keys do not all wait for one lock",
    "while a put_with_ttl of key 0 is held inside its clock reading, at least one of 64 calls on other keys, each from a thread of its own, completes",
    "lock only the part of the cache a key lives in (a shard), not the whole cache, while a call reads the clock and decides",
);
/// Concurrent misses run one loader.
pub const SINGLE_FLIGHT: Criterion = Criterion::new(
    "cache/stage4/single-flight",
    4,
    5,
    "concurrent misses on one key run the loader once, and all get its value",
    "while the first caller's loader for a key is held, three more callers miss the same key; once it is let go, exactly one loader has run, every caller gets its value, and a later call gets it from the cache without a loader",
    "keep a table of loads in progress, keyed by key: the first miss starts one and runs the loader outside every lock, later misses wait on it",
);
/// A loader's error reaches every waiter and is not cached.
pub const LOAD_ERROR: Criterion = Criterion::new(
    "cache/stage4/load-error",
    4,
    4,
    "a loader's error reaches every waiter and is not cached",
    "when the held loader returns Err(LoadError(7)), its caller and every caller that waited on it get Err(GetError::Load(LoadError(7))), no waiter runs a loader of its own, and the next call runs a loader again",
    "publish the outcome — value or error — to the waiters; cache only a value",
);
/// A panicking loader releases every waiter.
pub const LOADER_PANIC: Criterion = Criterion::new(
    "cache/stage4/loader-panic",
    4,
    4,
    "a panicking loader releases every waiter and poisons nothing",
    "when the held loader panics, every waiter returns Err(GetError::LoaderPanicked) (its own caller the same or the panic), and the next call for the key runs a loader and gets its value",
    "run the loader under catch_unwind (or a guard whose Drop publishes a failure), and take the load out of the table either way",
);
/// A hung loader's waiters leave at the deadline.
pub const LOAD_DEADLINE: Criterion = Criterion::new(
    "cache/stage4/load-deadline",
    4,
    4,
    "a hung loader's waiters are released at its deadline, and the key is not poisoned",
    "while the first caller's loader hangs, three callers wait; when the injected clock reaches the load's start + load_timeout (and another key is loaded), every waiter returns Err(GetError::TimedOut), and a new call for the key starts a fresh load and gets its value",
    "give each load a deadline on the clock; waiters wait in short slices and re-read the clock (or any call fails expired loads); a call after the deadline replaces the hung load",
);
/// A one-off scan does not flush the hot set.
pub const SCAN_RESISTANT: Criterion = Criterion::new(
    "cache/stage5/scan-resistant",
    5,
    5,
    "a one-off scan does not flush a hot working set",
    "in caches of capacity 20 to 1000, a hot set of capacity / 4 keys, each put and then read twice, is followed by a scan of 1, 3 or 10 × capacity fresh keys, each put once and never read; afterwards at least half the hot keys are still present",
    "give a new key a probation (a small FIFO, a window, a probationary segment) and protect keys read again: S3-FIFO, SLRU, 2Q and W-TinyLFU all keep the hot set; plain LRU loses all of it",
);
/// The scan-resistant cache keeps the rules the contract keeps for it.
pub const SMART_BASICS: Criterion = Criterion::new(
    "cache/stage5/smart-basics",
    5,
    3,
    "the scan-resistant cache keeps capacity, latest values, removal and expiry",
    "over random sequences with puts, time-to-lives, reads, removals and clock moves, the scan-resistant cache never holds more than its capacity, a key is present right after its put, get and remove return None or the latest live value put, removed and expired keys are absent, and capacity 0 and a zero ttl are refused with their errors",
    "the policy chooses the victim; everything else is still the stage-1 and stage-2 cache",
);

/// Every criterion, in rubric order.
pub const CRITERIA: &[Criterion] = &[
    MODEL,
    ZERO_CAPACITY,
    CAPACITY_EXACT,
    EVICTION_ORDER,
    PUT_EXISTING,
    PEEK_NO_TOUCH,
    REMOVE_FREES,
    TTL_BOUNDARY,
    TTL_SATURATES,
    ZERO_TTL,
    EXPIRED_ABSENT,
    EXPIRED_RECLAIMED,
    EXPIRY_SET_BY_PUT,
    MODEL_WITH_EXPIRY,
    SHARED_BASICS,
    THREADS_MODEL,
    RACING_PUTS_KEPT,
    CAPACITY_RACE,
    ONE_ENTRY_PER_KEY,
    KEYS_IN_PARALLEL,
    SINGLE_FLIGHT,
    LOAD_ERROR,
    LOADER_PANIC,
    LOAD_DEADLINE,
    SCAN_RESISTANT,
    SMART_BASICS,
];

/// Every criterion bound to `L` (the exact LRU cache), `S` (the shared cache), `D` (the
/// loading cache) and `P` (the scan-resistant cache).
pub fn suite<L, S, D, P>() -> Vec<Check>
where
    L: Cache + 'static,
    S: Cache + 'static,
    D: LoadingCache + 'static,
    P: Cache + 'static,
{
    vec![
        Check::new(&MODEL, model::<L>),
        Check::new(&ZERO_CAPACITY, zero_capacity::<L>),
        Check::new(&CAPACITY_EXACT, capacity_exact::<L>),
        Check::new(&EVICTION_ORDER, eviction_order::<L>),
        Check::new(&PUT_EXISTING, put_existing::<L>),
        Check::new(&PEEK_NO_TOUCH, peek_no_touch::<L>),
        Check::new(&REMOVE_FREES, remove_frees::<L>),
        Check::new(&TTL_BOUNDARY, ttl_boundary::<L>),
        Check::new(&TTL_SATURATES, ttl_saturates::<L>),
        Check::new(&ZERO_TTL, zero_ttl::<L>),
        Check::new(&EXPIRED_ABSENT, expired_absent::<L>),
        Check::new(&EXPIRED_RECLAIMED, expired_reclaimed::<L>),
        Check::new(&EXPIRY_SET_BY_PUT, expiry_set_by_put::<L>),
        Check::new(&MODEL_WITH_EXPIRY, model_with_expiry::<L>),
        Check::new(&SHARED_BASICS, shared_basics::<S>),
        Check::new(&THREADS_MODEL, threads_model::<S>),
        Check::new(&RACING_PUTS_KEPT, racing_puts_kept::<S>),
        Check::new(&CAPACITY_RACE, capacity_race::<S>),
        Check::new(&ONE_ENTRY_PER_KEY, one_entry_per_key::<S>),
        Check::new(&KEYS_IN_PARALLEL, keys_in_parallel::<S>),
        Check::new(&SINGLE_FLIGHT, single_flight::<D>),
        Check::new(&LOAD_ERROR, load_error::<D>),
        Check::new(&LOADER_PANIC, loader_panic::<D>),
        Check::new(&LOAD_DEADLINE, load_deadline::<D>),
        Check::new(&SCAN_RESISTANT, scan_resistant::<P>),
        Check::new(&SMART_BASICS, smart_basics::<P>),
    ]
}

/// The contract's rules, each with the criteria that drive a solution into it. The contract
/// docs (`cache/mod.rs`) name each rule next to the statement it comes from.
pub const RULES: &[Rule] = &[
    Rule::new(
        "cache/zero-capacity",
        "A cache of capacity 0 cannot be built: ConfigError::ZeroCapacity.",
        &[ZERO_CAPACITY.id, SHARED_BASICS.id],
    ),
    Rule::new(
        "cache/get-latest",
        "get returns the value of the latest put of a present key, and None for a key never put, removed, evicted or expired.",
        &[MODEL.id, PUT_EXISTING.id, SHARED_BASICS.id],
    ),
    Rule::new(
        "cache/capacity",
        "The cache never holds more than capacity entries, and a put into a cache holding fewer than capacity live entries evicts nothing.",
        &[CAPACITY_EXACT.id, MODEL.id],
    ),
    Rule::new(
        "cache/get-refreshes",
        "A get that hits makes its key the most recently used.",
        &[EVICTION_ORDER.id, MODEL.id],
    ),
    Rule::new(
        "cache/put-existing-refreshes",
        "A put of a present key makes it the most recently used.",
        &[PUT_EXISTING.id, MODEL.id],
    ),
    Rule::new(
        "cache/put-existing-same-size",
        "A put of a present key replaces its value without taking a second slot.",
        &[PUT_EXISTING.id, MODEL.id],
    ),
    Rule::new(
        "cache/peek-no-touch",
        "A get that misses, contains and len change no recency.",
        &[PEEK_NO_TOUCH.id, MODEL.id],
    ),
    Rule::new(
        "cache/evict-lru",
        "A put of a new key into a full cache evicts exactly one entry, the least recently used.",
        &[EVICTION_ORDER.id, CAPACITY_EXACT.id, MODEL.id],
    ),
    Rule::new(
        "cache/remove-frees",
        "remove returns the value of a present key and frees its slot.",
        &[REMOVE_FREES.id, MODEL.id],
    ),
    Rule::new(
        "cache/ttl-boundary",
        "An entry put at t with ttl is alive at every reading below t + ttl and expired from t + ttl on.",
        &[TTL_BOUNDARY.id, MODEL_WITH_EXPIRY.id, SHARED_BASICS.id],
    ),
    Rule::new(
        "cache/ttl-saturates",
        "t + ttl that does not fit saturates: the entry never expires.",
        &[TTL_SATURATES.id],
    ),
    Rule::new(
        "cache/zero-ttl",
        "A time-to-live of zero is refused with PutError::ZeroTtl and changes nothing.",
        &[ZERO_TTL.id, SHARED_BASICS.id],
    ),
    Rule::new(
        "cache/expired-absent",
        "An expired entry is never returned: get misses, contains is false, remove returns None.",
        &[EXPIRED_ABSENT.id, MODEL_WITH_EXPIRY.id],
    ),
    Rule::new(
        "cache/expired-reclaimed",
        "An expired entry counts as absent: not in len(), and a put never evicts a live entry while an expired one is held.",
        &[EXPIRED_RECLAIMED.id, MODEL_WITH_EXPIRY.id],
    ),
    Rule::new(
        "cache/put-replaces-expiry",
        "A put of a present key replaces its expiry; a plain put never expires.",
        &[EXPIRY_SET_BY_PUT.id, MODEL_WITH_EXPIRY.id],
    ),
    Rule::new(
        "cache/get-keeps-expiry",
        "A get does not extend a time-to-live: expiry counts from the put.",
        &[EXPIRY_SET_BY_PUT.id, MODEL_WITH_EXPIRY.id],
    ),
    Rule::new(
        "cache/shared-basics",
        "Used from one thread, the shared cache keeps every rule of stages 1 and 2 but the exact recency order.",
        &[SHARED_BASICS.id],
    ),
    Rule::new(
        "cache/shared-no-lost-update",
        "Under many threads a get returns None or the latest value put of that key, and a completed put is not undone by another thread's; nothing is evicted below capacity / 16 live entries.",
        &[THREADS_MODEL.id, RACING_PUTS_KEPT.id],
    ),
    Rule::new(
        "cache/shared-capacity",
        "The shared cache never holds more than capacity entries, also while puts race.",
        &[CAPACITY_RACE.id, SHARED_BASICS.id],
    ),
    Rule::new(
        "cache/shared-one-entry-per-key",
        "Two racing puts of one key leave exactly one entry for it.",
        &[ONE_ENTRY_PER_KEY.id],
    ),
    Rule::new(
        "cache/keys-in-parallel",
        "Different keys do not contend on one cache-wide lock: no lock every key needs is held while a call reads the clock or decides.",
        &[KEYS_IN_PARALLEL.id],
    ),
    Rule::new(
        "cache/single-flight",
        "While a load of a key runs, other callers of that key wait for it instead of loading, all get its value, and the value is cached.",
        &[SINGLE_FLIGHT.id],
    ),
    Rule::new(
        "cache/load-error-shared",
        "A loader's error is returned to every caller that waited on the load, as GetError::Load with the loader's own error.",
        &[LOAD_ERROR.id],
    ),
    Rule::new(
        "cache/load-error-not-cached",
        "A loader's error is not cached: the next call runs a loader again.",
        &[LOAD_ERROR.id],
    ),
    Rule::new(
        "cache/loader-panic-releases",
        "A panicking loader releases every waiter with GetError::LoaderPanicked and does not poison the key.",
        &[LOADER_PANIC.id],
    ),
    Rule::new(
        "cache/load-deadline",
        "A load still running at its start + load_timeout releases every waiter with GetError::TimedOut, and a later call starts a fresh load.",
        &[LOAD_DEADLINE.id],
    ),
    Rule::new(
        "cache/scan-resistant",
        "After a hot set of at most capacity / 4 keys, each put then read twice, and a scan of any number of fresh keys each put once, at least half the hot set is present (capacity ≥ 20).",
        &[SCAN_RESISTANT.id],
    ),
    Rule::new(
        "cache/smart-basics",
        "The scan-resistant cache never holds more than capacity entries, holds a key right after its put, returns only latest live values, and keeps the zero-capacity, zero-ttl, removal and expiry rules.",
        &[SMART_BASICS.id],
    ),
];

// ---------------------------------------------------------------------------------------------
// Helpers shared by the stages
// ---------------------------------------------------------------------------------------------

/// Where the checks' clocks start: not zero, so a deadline and a ttl are never the same number.
pub const ORIGIN_NS: u64 = 1_000_003;

/// A cache of `capacity` on `clock`, or a failure naming the setup.
pub fn build<C: Cache>(capacity: usize, clock: Arc<dyn Clock>) -> Result<C, Failure> {
    C::new(CacheConfig::with_capacity(capacity), clock).map_err(|e| {
        Failure::new(
            format!("Cache::new(capacity {capacity})"),
            "a cache",
            format!("Err({e:?})"),
        )
    })
}

/// A cache of `capacity` on a fresh manual clock at [`ORIGIN_NS`].
pub fn build_manual<C: Cache>(capacity: usize) -> Result<(C, Arc<ManualClock>), Failure> {
    let clock = Arc::new(ManualClock::starting_at(Duration::from_nanos(ORIGIN_NS)));
    let cache = build::<C>(capacity, clock.clone())?;
    Ok((cache, clock))
}

/// Runs `op` on `cache` (moving `clock` for [`Op::Advance`]) and returns its answer. A refused
/// put is reported as a failure: the sequences only put non-zero time-to-lives.
pub fn apply<C: Cache>(cache: &C, clock: &ManualClock, op: Op) -> Result<Answer, PutError> {
    Ok(match op {
        Op::Get(k) => Answer::Value(cache.get(k)),
        Op::Put(k, v) => {
            cache.put(k, v);
            Answer::Done
        }
        Op::PutTtl(k, v, ttl) => {
            cache.put_with_ttl(k, v, Duration::from_nanos(ttl))?;
            Answer::Done
        }
        Op::Remove(k) => Answer::Value(cache.remove(k)),
        Op::Contains(k) => Answer::Contains(cache.contains(k)),
        Op::Len => Answer::Len(cache.len()),
        Op::Advance(ns) => {
            clock.advance(Duration::from_nanos(ns));
            Answer::Done
        }
    })
}

/// What the model answers to `op` at `now` (after the clock move, for [`Op::Advance`]).
pub fn model_answer(model: &mut Model, now: u64, op: Op) -> Answer {
    match op {
        Op::Get(k) => Answer::Value(model.get(k, now)),
        Op::Put(k, v) => {
            model.put(k, v, None, now);
            Answer::Done
        }
        Op::PutTtl(k, v, ttl) => {
            model.put(k, v, Some(ttl), now);
            Answer::Done
        }
        Op::Remove(k) => Answer::Value(model.remove(k, now)),
        Op::Contains(k) => Answer::Contains(model.contains(k, now)),
        Op::Len => Answer::Len(model.len(now)),
        Op::Advance(_) => Answer::Done,
    }
}

/// Replays `ops` on a fresh cache and on the model, step by step; the first difference fails
/// with the transcript so far. Afterwards every key in `probe` must be present in both or
/// neither (probed with `contains`, which changes nothing).
pub fn replay<C: Cache>(capacity: usize, ops: &[Op], probe: &[Key]) -> Result<(), Failure> {
    let (cache, clock) = build_manual::<C>(capacity)?;
    let mut model = Model::new(capacity);
    let mut t = Transcript::new(format!(
        "a cache of capacity {capacity}, clock at {ORIGIN_NS} ns"
    ));
    for &op in ops {
        let got = apply(&cache, &clock, op)
            .map_err(|e| Failure::new(&t, format!("{op} → accepted"), format!("Err({e:?})")))?;
        let want = model_answer(&mut model, clock.now_nanos(), op);
        if got != want {
            return Err(Failure::new(
                &t,
                format!("{op} → {want}"),
                format!("{op} → {got}"),
            ));
        }
        t.step(format!("{op} → {got}"));
    }
    let now = clock.now_nanos();
    let mut want: Vec<Key> = model.keys(now);
    want.sort_unstable();
    let mut got: Vec<Key> = probe
        .iter()
        .copied()
        .filter(|&k| cache.contains(k))
        .collect();
    got.sort_unstable();
    got.dedup();
    if got != want {
        return Err(Failure::new(
            &t,
            format!("present afterwards: {}", keys(&want)),
            format!("present afterwards: {}", keys(&got)),
        ));
    }
    Ok(())
}

/// The keys of `probe` present in `cache` (via `contains`), in order.
pub fn present<C: Cache>(cache: &C, probe: &[Key]) -> Vec<Key> {
    probe
        .iter()
        .copied()
        .filter(|&k| cache.contains(k))
        .collect()
}

/// Fails unless `cache` builds refusing capacity 0 with the right error.
pub fn refuses_zero_capacity<C: Cache>() -> Result<(), Failure> {
    let clock = Arc::new(ManualClock::new());
    match C::new(CacheConfig::with_capacity(0), clock) {
        Err(ConfigError::ZeroCapacity) => Ok(()),
        Ok(_) => Err(Failure::new(
            "Cache::new(capacity 0)",
            "Err(ConfigError::ZeroCapacity)",
            "Ok(a cache)",
        )),
    }
}
