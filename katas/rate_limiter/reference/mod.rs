//! The model answer: an exact, integer token bucket whose whole state is one number, updated
//! with a compare-and-swap; the same bucket for many tenants; and one shared through Redis.
//!
//! One file per job:
//!
//! - `limits.rs`: a validated config in grains, and the exact arithmetic of a take and a wait
//!   that every solution here shares;
//! - `bucket.rs`: [`TokenBucket`] (stages 1–3), designed below;
//! - `keyed.rs`: [`KeyedTokenBucket`] (stage 4), one bucket per tenant;
//! - `shared.rs`: [`RedisTokenBucket`] (stage 5), one bucket per key on a Redis server.
//!
//! # Design
//!
//! **Exact units.** Tokens refill at `r` per period `p`, which need not be a whole number of
//! nanoseconds per token. Instead of fractions we count *grains*: one token is `p` grains (`p`
//! in ns) and the bucket gains `r` grains every nanosecond. Every quantity is then an integer,
//! refill needs no division, and remainders of partial refills are kept by construction — the
//! bucket's level at time `T` does not depend on how often it was read before `T`. (`p / r` is
//! reduced first: for the usual quotas, a whole number of ns per token, a grain is then a
//! nanosecond.)
//!
//! **One number: when the bucket will be full.** Measure time in grains too: *grains-time* `g`
//! at clock reading `t` ns is `r · t`, the grains a bucket gains from the clock's origin to `t`.
//! The bucket is then fully described by a single grains-time, `full_at`: the moment it will be
//! full again if nobody takes anything (this is the "theoretical arrival time" of the generic cell
//! rate algorithm, GCRA, in exact units). At grains-time `g` the bucket misses
//! `full_at − g` grains, or nothing once `g ≥ full_at`:
//!
//! ```text
//! level(g) = max_grains − max(0, full_at − g)
//! ```
//!
//! Refill is implicit — time passing *is* the refill — and the cap is the `max(0, …)`: an idle
//! bucket's `full_at` simply falls behind `g`, so even 2^63 ns of idleness cannot overflow it.
//! Taking `n` tokens (`n · p` grains) is allowed when the level covers them, and moves `full_at`
//! to `max(full_at, g) + n · p`.
//!
//! **Lock-free, and a denial only reads.** Because the state is one number (in one 64-bit atomic,
//! for every real quota: see below), a grant is one load and one compare-and-swap (retried if
//! another thread moved `full_at` meanwhile), and a denial is one load and a comparison: it
//! changes nothing, so it writes nothing. The exact wait is a
//! count of grains turned into nanoseconds: free when a grain is a nanosecond (see above), else
//! one division, only on a denial, and on 64-bit integers whenever the wait is under 2^64 grains
//! (always, in practice). A mutex-based bucket costs a grant three atomic read-modify-writes
//! (lock, unlock, and the state under it) and makes every denial take the lock.
//!
//! **The clock is read after the state.** A decision compares `full_at` with a clock reading,
//! and the reading must not be older than the `full_at` it meets: read first, then preempted
//! while another thread grants, a caller would measure the new `full_at` from a moment long
//! past and refuse tokens that accrued meanwhile. So the reading is taken after the load of
//! `full_at`; a lock-based bucket gets the same by reading the clock under its lock. A take
//! retried after losing a race may keep its reading when that reading still grants (a later one
//! would grant the same; see `Retry`), and reads again before it refuses.
//!
//! **64 bits, and 128 when needed.** `r · t` for a 64-bit rate and a 64-bit clock needs up to
//! 128 bits, and so can stage 3's debt (a bucket of `u64::MAX` grains with one full reservation
//! waiting). But for every real quota and clock `full_at` stays far below 2^64 — at a grain per
//! ns that is 584 years after the clock's origin — and a 64-bit atomic is what the hardware does
//! fastest: a plain load, one `lock cmpxchg`. So `full_at` lives in an `AtomicU64` while it fits,
//! and the first update that would not fit moves it, once and for all, behind a mutex holding a
//! `u128` (see `AtomicFullAt`): exact for every config, and paying for the width only where it is
//! used. (A 128-bit atomic would do too, but is not in the standard library, and through a crate
//! costs every call a run-time CPU dispatch.) Storing the level and the time of the last refill
//! instead would need two words; rounding the token interval to whole nanoseconds would fit 64
//! bits, but drifts: at 3 tokens per 10 ns it would grant 3.33… instead of 3 per 10 ns.
//!
//! **A queue as debt.** A reservation takes its grains immediately, even when that pushes
//! `full_at` more than a full bucket ahead of now: the excess is the debt owed to the queue. FIFO
//! order follows — each reservation is ready when the debt up to and including it is repaid — and
//! `try_acquire` cannot jump the queue, because it needs a level that covers its request.
//! Cancelling gives the grains back (`full_at` moves back, never past "full now").
//!
//! **Time that goes backwards** is believed, and it can only make the bucket emptier: `full_at`
//! is a point on the time axis, so at an earlier reading more of it lies ahead. A grant always
//! leaves `full_at` past the grains-time of its own reading, so no reading — earlier or later —
//! can see tokens that a grant already took: nothing is minted and nothing overflows.
//!
//! **Inlinable.** `try_acquire` and the helpers on its path are `#[inline]`: the whole decision
//! is a few dozen instructions around one atomic, and a caller in another crate (a server's
//! request handler) should be able to inline it rather than pay a call for each.
//!
//! **Memory ordering.** Every decision reads and writes only `full_at`, and atomic operations on
//! one location are totally ordered whatever the ordering argument; no other memory is published
//! through the bucket. The one ordering that matters is the clock's: a write is `Release` and a
//! load `Acquire`, so a thread that sees another's grant also sees (at least) the clock reading
//! that grant was decided on, and its own reading, taken after, cannot be older.

mod bucket;
mod keyed;
mod limits;
mod shared;

pub use bucket::{Reservation, TokenBucket};
pub use keyed::{KeyedTokenBucket, SHARDS};
pub use shared::{BUCKET_SCRIPT, RedisTokenBucket};
