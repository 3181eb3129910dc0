//! Known-wrong caches. Each realistic mutant is one mistake candidates really make; the rubric
//! must reject it on the criteria named in [`catalogue`]. Hostile mutants panic, hang or abort,
//! to prove the grader survives them.
//!
//! Every realistic mutant is one [`Flawed`] cache — a plain LRU behind one mutex — with exactly
//! one [`Flaw`] switched on. Mutants of stages 1–2 are bound as the exact LRU cache (with the
//! reference shared cache beside them); mutants of stage 3 as the shared cache.

use super::conformance::{
    CAPACITY_EXACT, CAPACITY_RACE, EVICTION_ORDER, EXPIRED_ABSENT, EXPIRED_RECLAIMED,
    EXPIRY_SET_BY_PUT, KEYS_IN_PARALLEL, LOAD_DEADLINE, LOAD_ERROR, LOADER_PANIC, MODEL,
    MODEL_WITH_EXPIRY, ONE_ENTRY_PER_KEY, PEEK_NO_TOUCH, PUT_EXISTING, RACING_PUTS_KEPT,
    REMOVE_FREES, SCAN_RESISTANT, SHARED_BASICS, SINGLE_FLIGHT, SMART_BASICS, THREADS_MODEL,
    TTL_BOUNDARY, TTL_SATURATES, ZERO_CAPACITY, ZERO_TTL, suite,
};
use super::reference::{LoadingLru, LruCache, S3FifoCache, ShardedCache};
use super::{Cache, CacheConfig, ConfigError, Key, PutError, Value};
use crate::clock::Clock;
use crate::grading::Mutant;
use crate::grading::hostile::{self, Misbehaviour};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

mod flawed;
mod hostile_cache;
mod loading;
mod one_lock;

pub use flawed::*;
pub use hostile_cache::*;
pub use loading::*;
pub use one_lock::*;

macro_rules! flaw {
    ($($name:ident => $knob:ident),+ $(,)?) => {
        $(
            #[doc = concat!("Switches on `", stringify!($knob), "`.")]
            pub struct $name;
            impl Flaw for $name {
                const $knob: bool = true;
            }
        )+
    };
}

/// No flaw: the plain LRU itself, wrong only where a policy must beat LRU.
pub struct PlainLru;
impl Flaw for PlainLru {}

flaw! {
    FifoNotLru => GET_NO_REFRESH,
    EvictsMostRecent => EVICT_NEWEST,
    CapacityPlusOne => CAPACITY_PLUS_ONE,
    PutExistingNotRefreshed => PUT_EXISTING_NO_REFRESH,
    PutExistingGrows => PUT_EXISTING_GROWS,
    PutKeepsOldValue => PUT_KEEPS_VALUE,
    ContainsRefreshes => CONTAINS_REFRESHES,
    RemoveKeepsSlot => REMOVE_KEEPS_SLOT,
    ZeroCapacityAccepted => ZERO_CAPACITY_ACCEPTED,
    TtlOffByOne => TTL_OFF_BY_ONE,
    GetReturnsExpired => GET_IGNORES_EXPIRY,
    ExpiredNeverReclaimed => NEVER_RECLAIMED,
    ReclaimedOnlyWhenRead => RECLAIM_ON_TOUCH,
    PutKeepsDeadline => PUT_KEEPS_DEADLINE,
    SlidingExpiry => SLIDING_EXPIRY,
    ZeroTtlAccepted => ZERO_TTL_ACCEPTED,
    WrappingDeadline => WRAPPING_DEADLINE,
    SharedForgetsTtl => FORGETS_TTL,
    RoomCheckedApart => ROOM_CHECKED_APART,
    PresenceCheckedApart => PRESENCE_CHECKED_APART,
    CopyOnWritePut => COPY_ON_WRITE,
}

macro_rules! load_flaw {
    ($($name:ident => $knob:ident),+ $(,)?) => {
        $(
            #[doc = concat!("Switches on `", stringify!($knob), "` of a loading cache.")]
            pub struct $name;
            impl LoadFlaw for $name {
                const $knob: bool = true;
            }
        )+
    };
}

load_flaw! {
    NoSingleFlight => NO_SINGLE_FLIGHT,
    ErrorCached => ERROR_CACHED,
    ErrorAsPanic => ERROR_AS_PANIC,
    PanicNotCaught => PANIC_NOT_CAUGHT,
    IgnoresDeadline => IGNORES_DEADLINE,
    TimedOutJoined => TIMED_OUT_JOINED,
}

/// Every mutant of this kata.
pub fn catalogue() -> Vec<Mutant> {
    let mut all = vec![
        Mutant::realistic(
            "fifo-not-lru",
            "a get hit does not refresh recency: the cache evicts in insertion order (FIFO), not LRU",
            &[EVICTION_ORDER.id, MODEL.id],
            suite::<Flawed<FifoNotLru>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/get-refreshes"]),
        Mutant::realistic(
            "evicts-most-recent",
            "a full cache evicts the most recently used entry instead of the least",
            &[EVICTION_ORDER.id, CAPACITY_EXACT.id, MODEL.id],
            suite::<Flawed<EvictsMostRecent>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/evict-lru"]),
        Mutant::realistic(
            "capacity-plus-one",
            "evicts only when the cache holds more than its capacity (`>` for `>=`): a cache of capacity n holds n + 1",
            &[CAPACITY_EXACT.id, MODEL.id],
            suite::<Flawed<CapacityPlusOne>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/capacity"]),
        Mutant::realistic(
            "put-existing-not-refreshed",
            "a put of a present key updates the value but leaves the key where it was in the recency order",
            &[PUT_EXISTING.id, MODEL.id],
            suite::<Flawed<PutExistingNotRefreshed>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/put-existing-refreshes"]),
        Mutant::realistic(
            "put-existing-grows",
            "a put of a present key pushes a second node onto the recency list without unlinking the first: the key takes two slots",
            &[PUT_EXISTING.id, MODEL.id],
            suite::<Flawed<PutExistingGrows>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/put-existing-same-size"]),
        Mutant::realistic(
            "put-keeps-old-value",
            "a put of a present key refreshes it but keeps the value stored first",
            &[PUT_EXISTING.id, MODEL.id],
            suite::<Flawed<PutKeepsOldValue>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/get-latest"]),
        Mutant::realistic(
            "contains-refreshes",
            "contains is implemented with get, so a peek makes the key the most recently used",
            &[PEEK_NO_TOUCH.id, MODEL.id],
            suite::<Flawed<ContainsRefreshes>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/peek-no-touch"]),
        Mutant::realistic(
            "remove-keeps-slot",
            "remove takes the key out of the map but leaves its node in the recency list, so it still counts and still takes room",
            &[REMOVE_FREES.id, MODEL.id],
            suite::<Flawed<RemoveKeepsSlot>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/remove-frees"]),
        Mutant::realistic(
            "zero-capacity-accepted",
            "builds a cache of capacity 0 instead of returning ConfigError::ZeroCapacity",
            &[ZERO_CAPACITY.id],
            suite::<Flawed<ZeroCapacityAccepted>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/zero-capacity"]),
        Mutant::realistic(
            "ttl-off-by-one",
            "an entry is expired only once the clock is past inserted + ttl (`>` for `>=`), so it is still returned at exactly inserted + ttl",
            &[TTL_BOUNDARY.id, MODEL_WITH_EXPIRY.id],
            suite::<Flawed<TtlOffByOne>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/ttl-boundary"]),
        Mutant::realistic(
            "get-returns-expired",
            "get looks the key up without checking its deadline: an expired entry nobody else has reclaimed yet is returned",
            &[EXPIRED_ABSENT.id, MODEL_WITH_EXPIRY.id],
            suite::<Flawed<GetReturnsExpired>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/expired-absent"]),
        Mutant::realistic(
            "expired-never-reclaimed",
            "expired entries are hidden from reads but never dropped: they count in len() and take room until plain LRU eviction reaches them",
            &[EXPIRED_RECLAIMED.id, MODEL_WITH_EXPIRY.id],
            suite::<Flawed<ExpiredNeverReclaimed>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/expired-reclaimed"]),
        Mutant::realistic(
            "reclaimed-only-when-read",
            "an expired entry is dropped only when get, contains or remove asks for its key: untouched ones count in len() and cost live entries their place",
            &[EXPIRED_RECLAIMED.id],
            suite::<Flawed<ReclaimedOnlyWhenRead>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/expired-reclaimed"]),
        Mutant::realistic(
            "put-keeps-deadline",
            "a put of a present key replaces the value but keeps the old deadline",
            &[EXPIRY_SET_BY_PUT.id, MODEL_WITH_EXPIRY.id],
            suite::<Flawed<PutKeepsDeadline>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/put-replaces-expiry"]),
        Mutant::realistic(
            "sliding-expiry",
            "a get hit pushes the deadline back to now + ttl (expire-after-access instead of after write)",
            &[EXPIRY_SET_BY_PUT.id, MODEL_WITH_EXPIRY.id],
            suite::<Flawed<SlidingExpiry>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/get-keeps-expiry"]),
        Mutant::realistic(
            "zero-ttl-accepted",
            "a ttl of zero is taken to mean \"no expiry\" and stored, instead of PutError::ZeroTtl",
            &[ZERO_TTL.id],
            suite::<Flawed<ZeroTtlAccepted>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/zero-ttl"]),
        Mutant::realistic(
            "wrapping-deadline",
            "computes the deadline as a wrapping u64 sum, so a huge ttl lands in the past and the entry is gone at once",
            &[TTL_SATURATES.id],
            suite::<Flawed<WrappingDeadline>, ShardedCache, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/ttl-saturates"]),
        Mutant::realistic(
            "shared-forgets-ttl",
            "the shared cache's put_with_ttl stores the entry without its deadline: it never expires",
            &[SHARED_BASICS.id],
            suite::<LruCache, Flawed<SharedForgetsTtl>, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/shared-basics"]),
        Mutant::realistic(
            "room-checked-apart",
            "put decides under the lock whether the cache needs room, releases it to read the clock, then inserts without deciding again: two racing puts overfill the cache",
            &[CAPACITY_RACE.id],
            suite::<LruCache, Flawed<RoomCheckedApart>, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/shared-capacity"]),
        Mutant::realistic(
            "presence-checked-apart",
            "put looks the key up under the lock, releases it to read the clock, then inserts it as new without looking again: two racing puts of one key leave two entries",
            &[ONE_ENTRY_PER_KEY.id],
            suite::<LruCache, Flawed<PresenceCheckedApart>, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/shared-one-entry-per-key"]),
        Mutant::realistic(
            "one-lock-for-all-keys",
            "every call takes one cache-wide lock before its shard's and holds it while the clock is read: calls on different keys wait for each other",
            &[KEYS_IN_PARALLEL.id],
            suite::<LruCache, OneLockForAll, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/keys-in-parallel"]),
        Mutant::realistic(
            "copy-on-write-put",
            "put copies the cache's state under the lock, updates the copy outside it and writes it back: a put that completed meanwhile is lost",
            &[RACING_PUTS_KEPT.id, THREADS_MODEL.id],
            suite::<LruCache, Flawed<CopyOnWritePut>, LoadingLru, S3FifoCache>,
        )
        .breaking(&["cache/shared-no-lost-update"]),
        Mutant::realistic(
            "loader-run-per-caller",
            "every miss runs its own loader: concurrent misses on one key load it once each",
            &[SINGLE_FLIGHT.id],
            suite::<LruCache, ShardedCache, FlawedLoading<NoSingleFlight>, S3FifoCache>,
        )
        .breaking(&["cache/single-flight"]),
        Mutant::realistic(
            "load-error-cached",
            "a loader's error is remembered for the key and returned to every later call, which never loads again",
            &[LOAD_ERROR.id],
            suite::<LruCache, ShardedCache, FlawedLoading<ErrorCached>, S3FifoCache>,
        )
        .breaking(&["cache/load-error-not-cached"]),
        Mutant::realistic(
            "load-error-read-as-panic",
            "the load publishes only a value or nothing, so a waiter of a failed load reports LoaderPanicked instead of the loader's error",
            &[LOAD_ERROR.id],
            suite::<LruCache, ShardedCache, FlawedLoading<ErrorAsPanic>, S3FifoCache>,
        )
        .breaking(&["cache/load-error-shared"]),
        Mutant::realistic(
            "panicking-loader-blocks-waiters",
            "the loader runs without catch_unwind: a panic unwinds past the code that would finish the load, and its waiters wait for good",
            &[LOADER_PANIC.id],
            suite::<LruCache, ShardedCache, FlawedLoading<PanicNotCaught>, S3FifoCache>,
        )
        .breaking(&["cache/loader-panic-releases"]),
        Mutant::realistic(
            "waiters-ignore-deadline",
            "waiters wait on the load without ever reading the clock, and no call fails an expired load: a hung loader holds them for good",
            &[LOAD_DEADLINE.id],
            suite::<LruCache, ShardedCache, FlawedLoading<IgnoresDeadline>, S3FifoCache>,
        )
        .breaking(&["cache/load-deadline"]),
        Mutant::realistic(
            "timed-out-load-joined",
            "a load past its deadline stays in the table: waiters time out, but every later caller joins the hung load and times out too",
            &[LOAD_DEADLINE.id],
            suite::<LruCache, ShardedCache, FlawedLoading<TimedOutJoined>, S3FifoCache>,
        )
        .breaking(&["cache/load-deadline"]),
        Mutant::realistic(
            "lru-is-not-scan-resistant",
            "hands in the exact LRU cache as the scan-resistant one: a scan of capacity fresh keys evicts every hot key",
            &[SCAN_RESISTANT.id],
            suite::<LruCache, ShardedCache, LoadingLru, Flawed<PlainLru>>,
        )
        .breaking(&["cache/scan-resistant"]),
        Mutant::realistic(
            "smart-capacity-plus-one",
            "the scan-resistant cache evicts only once it holds more than its capacity (`>` for `>=` in the room check)",
            &[SMART_BASICS.id],
            suite::<LruCache, ShardedCache, LoadingLru, Flawed<CapacityPlusOne>>,
        )
        .breaking(&["cache/smart-basics"]),
    ];
    all.extend(hostile::mutants::<HostileSuite>());
    all
}
