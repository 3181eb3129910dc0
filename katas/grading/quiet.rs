//! Silence for solution panics: a failing criterion is told once, by its verdict.
//!
//! A property check runs solution code hundreds of times while it searches and shrinks, and a
//! stub panics (`todo!()`) on every one of them. Rust's default panic hook would print each
//! panic — with a backtrace under `RUST_BACKTRACE=1` — before the one explained failure the
//! candidate needs. So threads that run solution code under a check are marked *quiet*: a
//! panic there prints nothing, and only its message and location are kept, for the verdict.
//! Panics anywhere else (the test harness, the grader) go to the hook that was installed
//! before, unchanged.

use std::cell::{Cell, RefCell};
use std::panic;
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Marks the current thread as one that runs solution code under a check, for the rest of
/// its life, and installs the quiet panic hook (once per process).
pub fn mark_current_thread() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let location = info.location().map(ToString::to_string);
                LAST_LOCATION.with(|l| *l.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
}

/// Where the last panic on this thread happened (`file:line:column`), if it was a quiet
/// thread; taking it clears it.
pub fn take_location() -> Option<String> {
    LAST_LOCATION.with(|l| l.borrow_mut().take())
}

/// Hands a location recorded on a worker thread to the current thread, so that a panic
/// resumed here still says where it happened.
pub fn set_location(location: Option<String>) {
    LAST_LOCATION.with(|l| *l.borrow_mut() = location);
}
