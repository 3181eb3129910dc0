//! The contract's rules, each with the criteria that drive a solution into it.

use super::*;

/// The contract's rules (each named in the contract's docs next to its statement), each with
/// the criteria that drive a solution into it. The mutant catalogue says which rule each mutant
/// breaks.
pub const RULES: &[Rule] = &[
    Rule::new(
        "rate-limiter/window-bound",
        "over any window of length t a bucket grants at most capacity + floor(refill_tokens · t / refill_period) tokens; refill is continuous, never a lump per period",
        &[WINDOW_BOUND.id],
    ),
    Rule::new(
        "rate-limiter/starts-full",
        "a bucket starts full and holds at most `capacity` tokens: a full bucket grants exactly `capacity` at one instant",
        &[BURST_EXACT.id],
    ),
    Rule::new(
        "rate-limiter/fractions-carried",
        "fractions of a token are carried forward exactly: the level at T does not depend on how often the bucket was read before T",
        &[PATH_INDEPENDENT.id, EXACT_RETRY_AFTER.id],
    ),
    Rule::new(
        "rate-limiter/refill-capped",
        "refill stops at `capacity`, whatever the idle time",
        &[REFILL_CAPPED.id],
    ),
    Rule::new(
        "rate-limiter/idle-no-overflow",
        "any idle time a u64 clock can show (up to 2^63 ns and beyond) refills without overflow",
        &[REFILL_CAPPED.id],
    ),
    Rule::new(
        "rate-limiter/retry-after-exact",
        "retry_after is the exact wait, rounded up to the ns: retrying after it succeeds, 1 ns earlier does not",
        &[EXACT_RETRY_AFTER.id],
    ),
    Rule::new(
        "rate-limiter/denial-changes-nothing",
        "a request is all or nothing: a denial takes no tokens",
        &[DENIAL_NO_SIDE_EFFECTS.id],
    ),
    Rule::new(
        "rate-limiter/exceeds-capacity",
        "tokens > capacity is ExceedsCapacity { requested, capacity } for try_acquire and reserve, whatever the bucket holds, never RateLimited",
        &[EXCEEDS_CAPACITY.id],
    ),
    Rule::new(
        "rate-limiter/config-errors",
        "new() rejects an invalid config with the first ConfigError in declaration order (ZeroCapacity, ZeroRefillTokens, ZeroRefillPeriod, TooLarge) and accepts every other",
        &[INVALID_CONFIG.id],
    ),
    Rule::new(
        "rate-limiter/clock-backwards",
        "a clock that steps back mints no tokens and panics nowhere",
        &[CLOCK_BACKWARDS.id],
    ),
    Rule::new(
        "rate-limiter/zero-request",
        "try_acquire(0) always succeeds and takes nothing, even from an empty bucket; reserve(0) is ready at once",
        &[ZERO_REQUEST.id],
    ),
    Rule::new(
        "rate-limiter/zero-while-queued",
        "try_acquire(0) succeeds and reserve(0) is ready at once even while reservations wait: they take nothing from anyone",
        &[ZERO_REQUEST.id],
    ),
    Rule::new(
        "rate-limiter/atomic-decision",
        "many threads share one bucket: reading the level, deciding and writing it back are one atomic step, so no token is spent twice and none is lost",
        &[FROZEN_CLOCK_EXACT.id, CONCURRENT_WINDOW_BOUND.id],
    ),
    Rule::new(
        "rate-limiter/clock-after-state",
        "each call decides at a clock reading taken during the call, and a refusal never rests on a reading older than the state it meets",
        &[FRESH_CLOCK_READING.id],
    ),
    Rule::new(
        "rate-limiter/fifo-reservations",
        "reserve sets its tokens aside behind every earlier reservation, in arrival order, and ready_at is the exact time they exist",
        &[FIFO_ORDER.id],
    ),
    Rule::new(
        "rate-limiter/largest-values-exact",
        "every config new() accepts (capacity × refill_period up to u64::MAX ns, refill_tokens up to u64::MAX) and every clock reading works without overflow, also when a queue owes more than 2^64 ns",
        &[FIFO_ORDER.id],
    ),
    Rule::new(
        "rate-limiter/no-queue-jumping",
        "while reservations wait, try_acquire gets only tokens nobody has reserved",
        &[NO_QUEUE_JUMPING.id],
    ),
    Rule::new(
        "rate-limiter/cancel-refunds",
        "dropping a reservation before ready_at gives its tokens back to the bucket",
        &[CANCEL_RETURNS_TOKENS.id],
    ),
    Rule::new(
        "rate-limiter/cancel-refund-capped",
        "a cancelled reservation's tokens come back only up to capacity: right after the refund the bucket holds at most capacity",
        &[CANCEL_RETURNS_TOKENS.id],
    ),
    Rule::new(
        "rate-limiter/ready-is-spent",
        "at or after ready_at the tokens belong to the holder: dropping the reservation then gives nothing back",
        &[CANCEL_RETURNS_TOKENS.id],
    ),
    Rule::new(
        "rate-limiter/tenant-isolation",
        "each tenant has a bucket of its own with its own config: its answers are those of a lone bucket, whatever other tenants do",
        &[TENANT_ISOLATION.id],
    ),
    Rule::new(
        "rate-limiter/keyed-largest-values",
        "each tenant's answers are a lone bucket's for every config new() accepts and every clock reading: a large tier or a long idle time overflows nothing",
        &[TENANT_ISOLATION.id],
    ),
    Rule::new(
        "rate-limiter/keyed-config-errors",
        "a keyed limiter's new() returns the first ConfigError of quotas.default, then of a tenant's own config",
        &[KEYED_CONFIG_ERRORS.id],
    ),
    Rule::new(
        "rate-limiter/tenants-in-parallel",
        "different tenants do not contend on one global lock on the hot path",
        &[TENANTS_IN_PARALLEL.id],
    ),
    Rule::new(
        "rate-limiter/eviction-invisible",
        "a tenant's bucket may be dropped only when it is full, so no answer changes because of eviction (on a clock that never steps back)",
        &[EVICTION_INVISIBLE.id],
    ),
    Rule::new(
        "rate-limiter/bounded-memory",
        "after every call len() is at most the tenants that called within the last 2 × longest_refill",
        &[BOUNDED_MEMORY.id],
    ),
    Rule::new(
        "rate-limiter/shared-atomic",
        "a shared key is one bucket for the whole fleet, updated in one atomic step on the store: together clients never exceed one bucket's window bound",
        &[SHARED_WINDOW_BOUND.id],
    ),
    Rule::new(
        "rate-limiter/shared-key-namespace",
        "clients with the same url, prefix and config share a key's bucket; other keys and other prefixes are separate buckets",
        &[SHARED_KEY_ISOLATION.id],
    ),
    Rule::new(
        "rate-limiter/shared-store-clock",
        "the store's clock decides: a client's own clock never mints tokens",
        &[SHARED_CLIENT_CLOCKS.id],
    ),
    Rule::new(
        "rate-limiter/shared-keys-expire",
        "every key written starts with the prefix and is gone from the store once its bucket would be full again",
        &[SHARED_KEYS_EXPIRE.id],
    ),
    Rule::new(
        "rate-limiter/shared-keys-live-until-full",
        "a key stays in the store until its bucket would be full again, not shorter: a missing key is a full bucket",
        &[SHARED_KEYS_EXPIRE.id],
    ),
    Rule::new(
        "rate-limiter/shared-failure-policy",
        "a store that cannot be reached gets on_failure's answer (FailedOpen or Unavailable), never a panic, and a client works again once the store is up",
        &[SHARED_STORE_DOWN.id],
    ),
    Rule::new(
        "rate-limiter/shared-timeout",
        "a store that hangs never blocks a caller much longer than the timeout",
        &[SHARED_STORE_HANGS.id],
    ),
    Rule::new(
        "rate-limiter/shared-restart",
        "a restart of the store is survived without help, granting at most `capacity` extra tokens per key",
        &[SHARED_STORE_RESTART.id],
    ),
    Rule::new(
        "rate-limiter/shared-local-answers",
        "tokens == 0 is granted and tokens > capacity is ExceedsCapacity without asking the store",
        &[SHARED_BASICS.id],
    ),
    Rule::new(
        "rate-limiter/shared-retry-after",
        "a shared denial's retry_after is the wait on the store's clock: more than zero, and at most the time one token takes",
        &[SHARED_BASICS.id],
    ),
    Rule::new(
        "rate-limiter/shared-connect-order",
        "connect contacts no store and returns the first error that applies: the bucket's ConfigError, then TooLargeForStore, InvalidUrl, EmptyPrefix, TimeoutTooShort",
        &[SHARED_BASICS.id],
    ),
];
