//! Your solution. Fill in every `todo!()`; keep the signatures.
//!
//! Run the suite against this file with
//! `cargo test --features exercise --test rate_limiter` (add `stage1`, `stage2`, … to run one
//! stage), and grade it with `cargo run --release -- grade rate-limiter`.
//!
//! The contract — what each method must do, exactly — is documented on the traits in
//! `rate_limiter/mod.rs` (`cargo doc --open`, module `rate_limiter`), and the prompt is in
//! `rate_limiter/PROMPT.md`. Add any fields, types and helpers you need.

use super::{
    AcquireError, Admission, BucketConfig, ConfigError, KeyedRateLimiter, Quotas, RateLimiter,
    SharedConfigError, SharedError, SharedRateLimiter, StoreConfig,
};
use crate::clock::Clock;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

/// Your token bucket.
pub struct TokenBucket {
    // Your state goes here.
}

impl RateLimiter for TokenBucket {
    type Reservation<'a> = Reservation<'a>;

    fn new(config: BucketConfig, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let _ = clock;
        todo!(
            "validate {config:?} (zero capacity, zero refill_tokens, zero refill_period, \
             capacity × period over u64::MAX ns are typed errors, checked in that order), \
             then return a full bucket that reads time only from `clock`"
        )
    }

    fn try_acquire(&self, tokens: u64) -> Result<(), AcquireError> {
        todo!(
            "take all {tokens} tokens now or none: 0 always succeeds, more than capacity is \
             ExceedsCapacity, otherwise RateLimited with the exact wait (rounded up to the ns); \
             a denial changes nothing and queued reservations keep their tokens"
        )
    }

    fn reserve(&self, tokens: u64) -> Result<Reservation<'_>, AcquireError> {
        todo!(
            "set {tokens} tokens aside behind every earlier reservation (FIFO) and say when they \
             are ready; more than capacity is ExceedsCapacity"
        )
    }
}

/// Your reservation: a place in the bucket's queue.
pub struct Reservation<'a> {
    // Your state goes here; dropping a reservation before it is ready must give its tokens back.
    bucket: PhantomData<&'a TokenBucket>,
}

impl super::Reservation for Reservation<'_> {
    fn ready_at(&self) -> Duration {
        let _ = self.bucket;
        todo!("the clock time at which this reservation's tokens exist")
    }

    fn tokens(&self) -> u64 {
        todo!("how many tokens this reservation holds")
    }
}

/// Your per-tenant limiter (stage 4).
pub struct KeyedTokenBucket<K> {
    // Your state goes here.
    tenants: PhantomData<K>,
}

impl<K> KeyedRateLimiter<K> for KeyedTokenBucket<K>
where
    K: Hash + Eq + Clone + Send + Sync,
{
    fn new(quotas: Quotas<K>, clock: Arc<dyn Clock>) -> Result<Self, ConfigError> {
        let _ = (quotas, clock);
        todo!(
            "validate the default config, then every tenant's (first error wins); start with no \
             buckets: each tenant gets a full bucket of its own config on first use"
        )
    }

    fn try_acquire(&self, tenant: &K, tokens: u64) -> Result<(), AcquireError> {
        let _ = (&self.tenants, tenant);
        todo!(
            "try_acquire({tokens}) on this tenant's own bucket, exactly as a lone bucket would \
             answer; drop only buckets that are full, and keep len() within the tenants active \
             in the last 2 × the longest refill time; no global lock on this path"
        )
    }

    fn len(&self) -> usize {
        todo!("how many tenant buckets are held in memory")
    }
}

/// Your limiter shared by a fleet through Redis (stage 5). The `redis` crate is available.
pub struct RedisTokenBucket {
    // Your state goes here.
}

impl SharedRateLimiter for RedisTokenBucket {
    fn connect(
        bucket: BucketConfig,
        store: StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SharedConfigError> {
        let _ = clock;
        todo!(
            "validate {bucket:?} as for one bucket, then that capacity × period fits in 2^53 ns, \
             the URL {:?} parses, the prefix is not empty and the timeout is at least 1 ms; do \
             not contact the store yet (it may be down now and up later)",
            store.url
        )
    }

    fn try_acquire(&self, key: &str, tokens: u64) -> Result<Admission, SharedError> {
        todo!(
            "take {tokens} tokens from {key:?}'s bucket on the Redis server, atomically and on \
             the server's clock (a script), setting the key to expire once it would be full; \
             when the store refuses or does not answer within the timeout, answer with the \
             configured failure policy"
        )
    }
}

/// This solution's conformance suite: every criterion of the rubric, bound to the types above.
/// `cargo test` and `kata grade` run it; leave it as it is.
pub fn suite() -> Vec<crate::grading::Check> {
    super::conformance::suite::<TokenBucket, KeyedTokenBucket<u32>, RedisTokenBucket>()
}
