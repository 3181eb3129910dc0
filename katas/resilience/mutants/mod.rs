//! Known-wrong circuit breakers. Each realistic mutant is one mistake candidates really make;
//! the rubric must reject it on the criteria named in [`catalogue`]. Hostile mutants panic,
//! hang or abort, to prove the grader survives them.
//!
//! Every realistic mutant is one [`Flawed`] breaker — a plain keep-every-outcome breaker behind
//! one mutex — with exactly one [`Flaw`] switched on.

use super::conformance::{BH_DEADLINE, BH_FIFO, BH_HANDOFF, BH_LIMITS, BH_MODEL, BH_RACE};
use super::conformance::{
    BUCKET_AGING, CONFIG_ERRORS, COUNT_MODEL, DROPPED_PERMIT, FAILURE_RATE, FRESH_PERIODS,
    HALF_OPEN_PROBES, HALF_OPEN_VERDICT, MINIMUM_CALLS, NO_LOST_OUTCOME, OPEN_WAIT, PROBES_RACE,
    RATE_AT_THRESHOLD, SLOW_CALLS, TIME_MODEL, WINDOW_SLIDES, suite,
};
use super::reference;
use crate::grading::Mutant;
use crate::grading::hostile;

mod flawed;
mod flawed_bulkhead;
mod hostile_breaker;

pub use flawed::*;
pub use flawed_bulkhead::*;
pub use hostile_breaker::*;

macro_rules! flaws {
    ($($name:ident => $knob:ident),+ $(,)?) => {
        $(
            #[doc = concat!("The flaw `", stringify!($knob), "`.")]
            pub struct $name;
            impl Flaw for $name {
                const $knob: bool = true;
            }
        )+
    };
}

flaws! {
    CountNotRate => COUNT_NOT_RATE,
    StrictThreshold => STRICT_THRESHOLD,
    IgnoreMinimum => IGNORE_MINIMUM,
    TumblingWindow => TUMBLING_WINDOW,
    GrowingWindow => GROWING_WINDOW,
    WaitFromFirstFailure => WAIT_FROM_FIRST_FAILURE,
    UnlimitedProbes => UNLIMITED_PROBES,
    CloseOnFirstSuccess => CLOSE_ON_FIRST_SUCCESS,
    KeepWindow => KEEP_WINDOW,
    StaleCounted => STALE_COUNTED,
    MinimumUnbounded => MINIMUM_UNBOUNDED,
    TimeNeverAges => TIME_NEVER_AGES,
    AgesByTimestamp => AGES_BY_TIMESTAMP,
    SlowAtThreshold => SLOW_AT_THRESHOLD,
    SystemClock => SYSTEM_CLOCK,
    ProbesCheckedApart => PROBES_CHECKED_APART,
    DropSilent => DROP_SILENT,
    CopyBack => COPY_BACK,
    SlotCheckedApart => SLOT_CHECKED_APART,
    UnboundedQueue => UNBOUNDED_QUEUE,
    Lifo => LIFO,
    LostWakeup => LOST_WAKEUP,
    DeadlineIgnored => DEADLINE_IGNORED,
}

/// Every mutant of this kata.
pub fn catalogue() -> Vec<Mutant> {
    vec![
        Mutant::realistic(
            "failure-count-not-rate",
            "opens when failures × 100 reach the threshold × the window's size: a count of failures, so a window that is not full yet opens late",
            &[FAILURE_RATE.id],
            suite::<Flawed<CountNotRate>, reference::Bulkhead>,
        )
        .breaking(&["resilience/failure-rate-opens"]),
        Mutant::realistic(
            "strict-threshold",
            "compares failures × 100 > threshold × calls, so a rate exactly at the threshold stays closed",
            &[RATE_AT_THRESHOLD.id],
            suite::<Flawed<StrictThreshold>, reference::Bulkhead>,
        )
        .breaking(&["resilience/rate-at-threshold"]),
        Mutant::realistic(
            "minimum-ignored",
            "judges the window from the first outcome, so one early failure opens the breaker",
            &[MINIMUM_CALLS.id, COUNT_MODEL.id],
            suite::<Flawed<IgnoreMinimum>, reference::Bulkhead>,
        )
        .breaking(&["resilience/minimum-calls"]),
        Mutant::realistic(
            "tumbling-window",
            "empties a full count window instead of sliding it: old failures vanish all at once",
            &[WINDOW_SLIDES.id],
            suite::<Flawed<TumblingWindow>, reference::Bulkhead>,
        )
        .breaking(&["resilience/count-window-slides"]),
        Mutant::realistic(
            "growing-window",
            "never pushes the oldest outcome out of a count window: it counts every call since it was cleared",
            &[WINDOW_SLIDES.id],
            suite::<Flawed<GrowingWindow>, reference::Bulkhead>,
        )
        .breaking(&["resilience/count-window-slides"]),
        Mutant::realistic(
            "wait-from-first-failure",
            "counts the open wait from the window's first failure instead of the transition, so retry_at comes early",
            &[OPEN_WAIT.id],
            suite::<Flawed<WaitFromFirstFailure>, reference::Bulkhead>,
        )
        .breaking(&["resilience/open-wait"]),
        Mutant::realistic(
            "unlimited-probes",
            "lets every call through while half-open",
            &[HALF_OPEN_PROBES.id],
            suite::<Flawed<UnlimitedProbes>, reference::Bulkhead>,
        )
        .breaking(&["resilience/half-open-probes"]),
        Mutant::realistic(
            "closes-on-first-success",
            "closes a half-open breaker on its first successful probe, without waiting for the others",
            &[HALF_OPEN_VERDICT.id, COUNT_MODEL.id],
            suite::<Flawed<CloseOnFirstSuccess>, reference::Bulkhead>,
        )
        .breaking(&["resilience/half-open-verdict"]),
        Mutant::realistic(
            "window-kept-after-close",
            "closes with the window it had when it opened, so the old failures re-open it at once",
            &[FRESH_PERIODS.id],
            suite::<Flawed<KeepWindow>, reference::Bulkhead>,
        )
        .breaking(&["resilience/window-cleared"]),
        Mutant::realistic(
            "stale-outcomes-counted",
            "records a report in whatever state the breaker is in now, so a slow call from before it opened counts as a probe",
            &[FRESH_PERIODS.id],
            suite::<Flawed<StaleCounted>, reference::Bulkhead>,
        )
        .breaking(&["resilience/stale-outcomes-ignored"]),
        Mutant::realistic(
            "minimum-above-window-accepted",
            "accepts a minimum_calls larger than the count window, a breaker that can never open",
            &[CONFIG_ERRORS.id],
            suite::<Flawed<MinimumUnbounded>, reference::Bulkhead>,
        )
        .breaking(&["resilience/config-errors"]),
        Mutant::realistic(
            "time-window-never-ages",
            "keeps every outcome of a time window forever",
            &[BUCKET_AGING.id, TIME_MODEL.id],
            suite::<Flawed<TimeNeverAges>, reference::Bulkhead>,
        )
        .breaking(&["resilience/time-window-buckets"]),
        Mutant::realistic(
            "ages-by-timestamp",
            "ages each outcome by its own reading (now − at < span) instead of by whole buckets",
            &[BUCKET_AGING.id],
            suite::<Flawed<AgesByTimestamp>, reference::Bulkhead>,
        )
        .breaking(&["resilience/time-window-buckets"]),
        Mutant::realistic(
            "slow-at-threshold",
            "counts a call of exactly the threshold as slow (>= instead of >)",
            &[SLOW_CALLS.id],
            suite::<Flawed<SlowAtThreshold>, reference::Bulkhead>,
        )
        .breaking(&["resilience/slow-calls"]),
        Mutant::realistic(
            "slow-on-system-clock",
            "times calls with std::time::Instant instead of the injected clock",
            &[SLOW_CALLS.id],
            suite::<Flawed<SystemClock>, reference::Bulkhead>,
        )
        .breaking(&["resilience/slow-timed-on-clock"]),
        Mutant::realistic(
            "probes-checked-apart",
            "checks the probe count under the lock, releases it to read the clock, then takes the probe: under contention K + 1 probes get through",
            &[PROBES_RACE.id],
            suite::<Flawed<ProbesCheckedApart>, reference::Bulkhead>,
        )
        .breaking(&["resilience/probes-exact-under-contention"]),
        Mutant::realistic(
            "dropped-permit-silent",
            "a permit dropped without a report records nothing: a probe whose call panicked leaves the breaker half-open forever",
            &[DROPPED_PERMIT.id],
            suite::<Flawed<DropSilent>, reference::Bulkhead>,
        )
        .breaking(&["resilience/dropped-permit-fails"]),
        Mutant::realistic(
            "outcome-copied-back",
            "copies the state out of the lock, reads the clock, judges the copy and writes it back: concurrent reports overwrite each other",
            &[NO_LOST_OUTCOME.id],
            suite::<Flawed<CopyBack>, reference::Bulkhead>,
        )
        .breaking(&["resilience/no-lost-outcome"]),
        Mutant::realistic(
            "bulkhead-slot-checked-apart",
            "checks for a free slot under the lock, releases it to read the clock, then takes the slot: under contention C + 1 calls run",
            &[BH_RACE.id],
            suite::<reference::Breaker, FlawedBulkhead<SlotCheckedApart>>,
        )
        .breaking(&["resilience/bulkhead-exact-under-contention"]),
        Mutant::realistic(
            "bulkhead-unbounded-queue",
            "never sheds for a full queue: every call that cannot run waits",
            &[BH_LIMITS.id, BH_MODEL.id],
            suite::<reference::Breaker, FlawedBulkhead<UnboundedQueue>>,
        )
        .breaking(&["resilience/bulkhead-limits"]),
        Mutant::realistic(
            "bulkhead-lifo",
            "passes a released slot to the newest waiter",
            &[BH_FIFO.id],
            suite::<reference::Breaker, FlawedBulkhead<Lifo>>,
        )
        .breaking(&["resilience/bulkhead-fifo"]),
        Mutant::realistic(
            "bulkhead-lost-wakeup",
            "frees a released slot instead of passing it to the head waiter, which keeps waiting while the slot sits idle (or a newcomer takes it)",
            &[BH_HANDOFF.id],
            suite::<reference::Breaker, FlawedBulkhead<LostWakeup>>,
        )
        .breaking(&["resilience/bulkhead-handoff"]),
        Mutant::realistic(
            "bulkhead-deadline-ignored",
            "waiters never give up: an overdue waiter keeps its place and still gets a slot",
            &[BH_DEADLINE.id],
            suite::<reference::Breaker, FlawedBulkhead<DeadlineIgnored>>,
        )
        .breaking(&["resilience/bulkhead-deadline"]),
    ]
    .into_iter()
    .chain(hostile::mutants::<HostileSuite>())
    .collect()
}
