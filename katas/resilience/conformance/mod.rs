//! The rubric for the resilience kata: criteria and their checks, generic over
//! [`CircuitBreaker`].
//!
//! The checks see only the contract. Every answer — each `try_acquire` grant or refusal (with
//! its exact `retry_at`) and the state after every step — is compared with [`Model`], a
//! breaker that keeps every outcome in a list and recomputes its window from scratch. A
//! solution with any design (a ring buffer, bucket counters, one mutex, atomics) gets full
//! marks as long as it answers exactly like the model. Scenarios are written as replayable
//! steps on a manual clock; concurrency checks gate threads on a barrier and read time through
//! a yielding clock, so the known races show on every run, also on one CPU.
//!
//! Use it from your own crate: `lld_katas::resilience::conformance::suite::<MyBreaker>()`
//! gives the bound checks; `lld_katas::conformance_tests!` turns them into `#[test]`s.

use super::{Bulkhead, CircuitBreaker};
use crate::grading::{Check, Criterion, Rule};

mod bulkhead_model;
mod describe;
mod model;
mod scenario;
mod stage1;
mod stage2;
mod stage3;
mod stage4;

pub use bulkhead_model::*;
pub use describe::*;
pub use model::*;
pub use scenario::*;
pub use stage1::*;
pub use stage2::*;
pub use stage3::*;
pub use stage4::*;

/// Random call sequences on count windows answer exactly like the model.
pub const COUNT_MODEL: Criterion = Criterion::new(
    "resilience/stage1/count-window-model",
    1,
    5,
    "on a count window, every answer equals the model's, step by step",
    "over random sequences of calls (success, failure, dropped), held permits reported late, clock moves and jumps to retry_at ± 1 ns, on random count-window policies, every try_acquire answer (granted, Open with its exact retry_at, ProbesTaken) and the state after every step equal the model's",
    "write the three states and their transitions in one place, each at the reading of the report that causes it",
);
/// The threshold is a rate of the calls in the window, however full it is.
pub const FAILURE_RATE: Criterion = Criterion::new(
    "resilience/stage1/failure-rate",
    1,
    4,
    "the breaker opens on a failure rate of the calls in the window, not a count",
    "with windows that are not yet full (minimum_calls ≤ calls in the window < window size), the breaker opens exactly when failures × 100 ≥ threshold × calls in the window — e.g. 2 failures in 4 calls at 50% open a 10-call window",
    "divide by the number of outcomes in the window now, not by the window's size or the minimum",
);
/// A rate exactly at the threshold opens; just below does not.
pub const RATE_AT_THRESHOLD: Criterion = Criterion::new(
    "resilience/stage1/rate-at-threshold",
    1,
    3,
    "a failure rate exactly at the threshold opens the breaker",
    "for every window of c ≤ 20 calls and f failures whose rate f/c is a whole percentage p, the breaker opens at the c-th call with threshold p, and stays closed with threshold p + 1",
    "compare in integers with ≥: failures * 100 >= pct * calls — no floats, no strict >",
);
/// No verdict below the minimum number of calls.
pub const MINIMUM_CALLS: Criterion = Criterion::new(
    "resilience/stage1/minimum-calls",
    1,
    3,
    "no verdict before the window holds minimum_calls outcomes",
    "with minimum_calls m, m − 1 failures leave the breaker closed, and the m-th outcome — a success included — is judged with the others, opening the breaker when the rate reaches the threshold",
    "judge only when calls_in_window >= minimum_calls, and judge after every outcome from then on",
);
/// A count window slides.
pub const WINDOW_SLIDES: Criterion = Criterion::new(
    "resilience/stage1/window-slides",
    1,
    3,
    "a count window holds exactly the last N outcomes",
    "once N outcomes are recorded, each new one pushes the oldest out: old failures stop counting one by one (the window neither grows nor restarts empty when full)",
    "keep a ring of the last N outcomes with running counts: add the new one, subtract the one it pushes out",
);
/// Open refuses until exactly retry_at = opened + wait.
pub const OPEN_WAIT: Criterion = Criterion::new(
    "resilience/stage1/open-wait",
    1,
    4,
    "open refuses with retry_at = the opening instant + open_wait, and half-opens exactly then",
    "after the breaker opens at reading t, every try_acquire before t + open_wait (1 ns before included) is refused with Rejected::Open { retry_at: t + open_wait } — t being the reading of the report that tripped it, not of an earlier failure — and at exactly t + open_wait the state is HalfOpen and a probe is granted",
    "stamp retry_at when the breaker opens, from the reading of the tripping report, and compare now >= retry_at",
);
/// Half-open grants exactly K probes.
pub const HALF_OPEN_PROBES: Criterion = Criterion::new(
    "resilience/stage1/half-open-probes",
    1,
    3,
    "half-open grants exactly half_open_probes calls, then ProbesTaken",
    "in a half-open period exactly K try_acquire calls are granted in total — reported or still running — and every further one is refused with Rejected::ProbesTaken",
    "count probes granted in this half-open period, not probes in flight",
);
/// The half-open verdict waits for all K probes.
pub const HALF_OPEN_VERDICT: Criterion = Criterion::new(
    "resilience/stage1/half-open-verdict",
    1,
    4,
    "half-open decides after all K probes: closes below the threshold, re-opens at it",
    "the state stays HalfOpen until the K-th probe reports; then it closes if the probes' failure rate is below the threshold, and otherwise opens again with retry_at = that report's reading + open_wait",
    "count the probes' outcomes and decide only when all K are in; one success is not a recovery",
);
/// Every period starts fresh: window cleared, stale outcomes ignored.
pub const FRESH_PERIODS: Criterion = Criterion::new(
    "resilience/stage1/fresh-periods",
    1,
    3,
    "each state starts fresh: a closed period starts empty, late reports are ignored",
    "after closing, the window holds only outcomes recorded since; a permit granted before a transition (in closed, or as a probe) that reports after it changes nothing",
    "stamp each permit with a generation bumped on every transition, and clear the window when leaving closed",
);
/// Bad policies are typed errors, in order.
pub const CONFIG_ERRORS: Criterion = Criterion::new(
    "resilience/stage1/config-errors",
    1,
    2,
    "bad policies are refused with their ConfigError, in the documented order",
    "a count window of 0 calls, a time window of zero span, zero buckets or a span not a whole number of ns per bucket (Window); minimum_calls 0 or above a count window (MinimumCalls); a rate of 0 or above 100 (Rate); 0 probes (Probes) — each refused with its error, the first in that order when several are wrong; the largest valid values are accepted",
    "validate every field before building anything; minimum_calls may equal the window size",
);
/// Random sequences on time windows with slow calls answer like the model.
pub const TIME_MODEL: Criterion = Criterion::new(
    "resilience/stage2/time-window-model",
    2,
    5,
    "on a time window with slow calls, every answer equals the model's",
    "over random sequences of calls (fast, exactly at the slow threshold, 1 ns either side), clock moves to bucket edges ± 1 ns and to retry_at ± 1 ns, on random time-window policies with and without slow-call detection and random clock origins, every try_acquire answer and the state after every step equal the model's",
    "a bucket is now / width; the window is the current bucket and the buckets − 1 before it",
);
/// Buckets age exactly as documented.
pub const BUCKET_AGING: Criterion = Criterion::new(
    "resilience/stage2/bucket-aging",
    2,
    4,
    "an outcome counts until its bucket is `buckets` buckets old, to the nanosecond",
    "an outcome reported in bucket i still counts at reading (i + buckets)·w − 1 ns and no longer counts from (i + buckets)·w, wherever in bucket i it was reported",
    "age whole buckets: compare bucket indices (reading / width), not the outcome's timestamp with now − span",
);
/// Slow calls: strictly above the threshold, on the injected clock.
pub const SLOW_CALLS: Criterion = Criterion::new(
    "resilience/stage2/slow-calls",
    2,
    4,
    "a call strictly longer than the threshold is slow, and the slow rate opens the breaker",
    "a call lasting threshold + 1 ns on the injected clock is slow, one of exactly the threshold is not; a slow-call rate at its threshold opens the breaker (closed and half-open), a slow failure counts in both rates; the clock is the only timer (the manual clock moves, real time does not)",
    "duration = reading at report − reading at try_acquire, both from the injected clock; slow iff duration > threshold",
);
/// Exactly K probes under contention.
pub const PROBES_RACE: Criterion = Criterion::new(
    "resilience/stage3/probes-race",
    3,
    5,
    "under contention, half-open grants exactly K probes, never K + 1",
    "threads released together all call try_acquire on a half-open breaker (rounds with K = 1..3 and 6 threads, time read through a yielding clock): exactly K are granted in every round",
    "check the probe count and take a probe in one atomic step (one critical section, or a compare-and-swap loop)",
);
/// A dropped permit reports a failure.
pub const DROPPED_PERMIT: Criterion = Criterion::new(
    "resilience/stage3/dropped-permit",
    3,
    4,
    "a permit dropped without a report counts as a failure: half-open never sticks",
    "probes whose calls panic inside `call` (the permit dropped while unwinding) or whose permits are dropped by an early return are counted as failures: after K of them the breaker is open again with retry_at = now + open_wait, never stuck half-open; in closed, dropped permits open the breaker like failures",
    "implement Drop on the permit: if it was not reported, record a failure (once)",
);
/// No outcome is lost under contention.
pub const NO_LOST_OUTCOME: Criterion = Criterion::new(
    "resilience/stage3/no-lost-outcome",
    3,
    4,
    "concurrent reports are all counted",
    "threads released together each make calls on one closed breaker whose window and minimum equal the total number of calls, with failures exactly at the threshold: after every report the breaker is open (a lost success leaves it below the minimum, a lost failure below the rate)",
    "record and judge each outcome in one critical section (or with atomic read-modify-writes), never read-copy-write-back",
);

/// Random bulkhead sequences answer exactly like the model.
pub const BH_MODEL: Criterion = Criterion::new(
    "resilience/stage4/bulkhead-model",
    4,
    5,
    "the bulkhead answers like the model, step by step",
    "over random sequences of enter (deadlines now, +1 ns, later), slot drops, polls, waiters leaving, clock moves and jumps to a waiter's deadline − 1 ns / exactly, on bulkheads of 1..3 slots and 0..3 places, every answer (slot, queued, Shed::Full, Shed::Expired) and in_flight() / queued() after every step equal the model's",
    "one lock around a counter and a FIFO queue; sweep overdue waiters at every clock reading; pass a released slot to the head waiter",
);
/// C in flight, Q waiting, the rest shed.
pub const BH_LIMITS: Criterion = Criterion::new(
    "resilience/stage4/bulkhead-limits",
    4,
    3,
    "at most C in flight and Q waiting; the rest are shed at once",
    "with C slots taken and Q waiting, enter answers Shed::Full at once; a free place in the queue (a waiter left) is taken by the next enter; max_queued 0 sheds whatever cannot run; max_concurrent 0 is BulkheadConfigError::NoSlots",
    "check the queue's length against max_queued before queueing; the queue is bounded, like the slots",
);
/// Slots pass in arrival order.
pub const BH_FIFO: Criterion = Criterion::new(
    "resilience/stage4/bulkhead-fifo",
    4,
    3,
    "released slots go to waiters in arrival order",
    "with several waiters queued, each released slot goes to the oldest waiter still in the queue (whatever order the waiters poll in), skipping those that gave up",
    "a VecDeque: push_back on enter, pop_front on release",
);
/// Waiters give up exactly at their deadline.
pub const BH_DEADLINE: Criterion = Criterion::new(
    "resilience/stage4/bulkhead-deadline",
    4,
    3,
    "a waiter gives up exactly at its deadline and leaves the queue",
    "a waiter polled 1 ns before its deadline is still queued; from its deadline on it is Shed::Expired, no longer counted by queued(), its place is free for the next enter and a released slot skips it; enter with a deadline not after now, when it would have to wait, is Shed::Expired",
    "compare deadline <= now, and remove overdue waiters from the queue before counting, queueing or handing a slot over",
);
/// No lost wake-up: a released slot goes to the next waiter.
pub const BH_HANDOFF: Criterion = Criterion::new(
    "resilience/stage4/bulkhead-handoff",
    4,
    4,
    "a released slot always goes to the next waiter: no lost wake-up, nobody overtakes",
    "when a slot is dropped while calls wait, the head waiter's next poll returns the slot and in_flight() does not drop; a new enter meanwhile queues behind the waiters instead of taking the slot; a slot passed to a waiter that leaves goes to the next one",
    "pass the slot to the head waiter inside the release's critical section instead of freeing it and hoping the waiter wins the race",
);
/// Never C + 1 slots under contention.
pub const BH_RACE: Criterion = Criterion::new(
    "resilience/stage4/bulkhead-race",
    4,
    5,
    "under contention, the bulkhead never grants C + 1 slots",
    "threads released together each call enter once on a bulkhead of C = 1..3 slots and no queue (time read through a yielding clock): exactly C get a slot in every round",
    "check and take the slot in one critical section (or a compare-and-swap on the count)",
);

/// Every criterion of this kata, in rubric order.
pub const CRITERIA: &[Criterion] = &[
    COUNT_MODEL,
    FAILURE_RATE,
    RATE_AT_THRESHOLD,
    MINIMUM_CALLS,
    WINDOW_SLIDES,
    OPEN_WAIT,
    HALF_OPEN_PROBES,
    HALF_OPEN_VERDICT,
    FRESH_PERIODS,
    CONFIG_ERRORS,
    TIME_MODEL,
    BUCKET_AGING,
    SLOW_CALLS,
    PROBES_RACE,
    DROPPED_PERMIT,
    NO_LOST_OUTCOME,
    BH_MODEL,
    BH_LIMITS,
    BH_FIFO,
    BH_DEADLINE,
    BH_HANDOFF,
    BH_RACE,
];

/// The contract's rules, each with the criteria that drive a solution into it.
pub const RULES: &[Rule] = &[
    Rule::new(
        "resilience/failure-rate-opens",
        "the closed breaker opens on the failure rate of the outcomes in its window, not on a count",
        &[FAILURE_RATE.id, COUNT_MODEL.id],
    ),
    Rule::new(
        "resilience/rate-at-threshold",
        "rates are compared in integers, failures * 100 >= pct * calls: a rate equal to the threshold opens",
        &[RATE_AT_THRESHOLD.id],
    ),
    Rule::new(
        "resilience/minimum-calls",
        "no verdict while the window holds fewer than minimum_calls outcomes; a verdict after every outcome from then on",
        &[MINIMUM_CALLS.id, COUNT_MODEL.id],
    ),
    Rule::new(
        "resilience/count-window-slides",
        "a count window holds the last N outcomes recorded since it was cleared",
        &[WINDOW_SLIDES.id, COUNT_MODEL.id],
    ),
    Rule::new(
        "resilience/open-wait",
        "open refuses with Rejected::Open { retry_at } until retry_at = the reading of the tripping report + open_wait; from retry_at on it is half-open",
        &[OPEN_WAIT.id, COUNT_MODEL.id],
    ),
    Rule::new(
        "resilience/half-open-probes",
        "half-open grants exactly half_open_probes calls in total, then Rejected::ProbesTaken",
        &[HALF_OPEN_PROBES.id, COUNT_MODEL.id],
    ),
    Rule::new(
        "resilience/half-open-verdict",
        "the half-open verdict waits for all K probe outcomes: close below the threshold, re-open at it",
        &[HALF_OPEN_VERDICT.id, COUNT_MODEL.id],
    ),
    Rule::new(
        "resilience/window-cleared",
        "a closed period starts with an empty window",
        &[FRESH_PERIODS.id],
    ),
    Rule::new(
        "resilience/stale-outcomes-ignored",
        "an outcome counts only in the state its permit was granted in",
        &[FRESH_PERIODS.id, COUNT_MODEL.id],
    ),
    Rule::new(
        "resilience/config-errors",
        "a bad policy is refused with its ConfigError, in the documented order",
        &[CONFIG_ERRORS.id],
    ),
    Rule::new(
        "resilience/time-window-buckets",
        "a time window holds the outcomes of the current bucket and the buckets - 1 before it",
        &[BUCKET_AGING.id, TIME_MODEL.id],
    ),
    Rule::new(
        "resilience/slow-calls",
        "a call strictly longer than the threshold is slow; the slow-call rate opens the breaker like the failure rate",
        &[SLOW_CALLS.id, TIME_MODEL.id],
    ),
    Rule::new(
        "resilience/slow-timed-on-clock",
        "a call is timed on the injected clock, from try_acquire to its report",
        &[SLOW_CALLS.id],
    ),
    Rule::new(
        "resilience/probes-exact-under-contention",
        "half-open grants exactly K probes however many threads ask at once",
        &[PROBES_RACE.id],
    ),
    Rule::new(
        "resilience/dropped-permit-fails",
        "a permit dropped without a report records a failure",
        &[DROPPED_PERMIT.id],
    ),
    Rule::new(
        "resilience/no-lost-outcome",
        "concurrent reports are each recorded, as if one at a time",
        &[NO_LOST_OUTCOME.id],
    ),
    Rule::new(
        "resilience/bulkhead-limits",
        "at most max_concurrent calls in flight and max_queued waiting; the rest shed at once with Shed::Full; max_concurrent 0 is refused",
        &[BH_LIMITS.id, BH_MODEL.id],
    ),
    Rule::new(
        "resilience/bulkhead-fifo",
        "released slots pass to waiters in arrival order",
        &[BH_FIFO.id, BH_MODEL.id],
    ),
    Rule::new(
        "resilience/bulkhead-deadline",
        "a waiter whose deadline is at or before a reading has given up: it leaves the queue and polls Shed::Expired",
        &[BH_DEADLINE.id, BH_MODEL.id],
    ),
    Rule::new(
        "resilience/bulkhead-handoff",
        "a slot released while calls wait passes to the head waiter: never idle while somebody waits",
        &[BH_HANDOFF.id, BH_MODEL.id],
    ),
    Rule::new(
        "resilience/bulkhead-exact-under-contention",
        "at most max_concurrent slots however many threads enter at once",
        &[BH_RACE.id],
    ),
];

/// Every check, bound to the breaker `B` and the bulkhead `H`.
pub fn suite<B: CircuitBreaker + 'static, H: Bulkhead + 'static>() -> Vec<Check> {
    vec![
        Check::new(&COUNT_MODEL, count_window_model::<B>),
        Check::new(&FAILURE_RATE, failure_rate::<B>),
        Check::new(&RATE_AT_THRESHOLD, rate_at_threshold::<B>),
        Check::new(&MINIMUM_CALLS, minimum_calls::<B>),
        Check::new(&WINDOW_SLIDES, window_slides::<B>),
        Check::new(&OPEN_WAIT, open_wait::<B>),
        Check::new(&HALF_OPEN_PROBES, half_open_probes::<B>),
        Check::new(&HALF_OPEN_VERDICT, half_open_verdict::<B>),
        Check::new(&FRESH_PERIODS, fresh_periods::<B>),
        Check::new(&CONFIG_ERRORS, config_errors::<B>),
        Check::new(&TIME_MODEL, time_window_model::<B>),
        Check::new(&BUCKET_AGING, bucket_aging::<B>),
        Check::new(&SLOW_CALLS, slow_calls::<B>),
        Check::new(&PROBES_RACE, probes_race::<B>),
        Check::new(&DROPPED_PERMIT, dropped_permit::<B>),
        Check::new(&NO_LOST_OUTCOME, no_lost_outcome::<B>),
        Check::new(&BH_MODEL, bulkhead_model::<H>),
        Check::new(&BH_LIMITS, bulkhead_limits::<H>),
        Check::new(&BH_FIFO, bulkhead_fifo::<H>),
        Check::new(&BH_DEADLINE, bulkhead_deadline::<H>),
        Check::new(&BH_HANDOFF, bulkhead_handoff::<H>),
        Check::new(&BH_RACE, bulkhead_race::<H>),
    ]
}
