//! Misbehaviours for hostile mutants, shared by every kata: a hostile mutant calls
//! [`Misbehaviour::act`] at the start of every method, and the grader must survive it.

use super::{Check, Mutant};
use parking_lot::Mutex;

/// The four standard hostile mutants of a kata, from its suite bound to a hostile
/// implementation for each misbehaviour: [`Panics`], [`Deadlocks`], [`SpinsForever`], [`Aborts`].
pub fn mutants(
    panics: fn() -> Vec<Check>,
    deadlocks: fn() -> Vec<Check>,
    spins_forever: fn() -> Vec<Check>,
    aborts: fn() -> Vec<Check>,
) -> Vec<Mutant> {
    vec![
        Mutant::hostile("panics", "panics in every method", panics),
        Mutant::hostile(
            "deadlocks",
            "takes a lock it already holds, in every method",
            deadlocks,
        ),
        Mutant::hostile(
            "spins-forever",
            "loops forever in every method",
            spins_forever,
        ),
        Mutant::hostile("aborts", "aborts the whole process in every method", aborts),
    ]
}

/// How a hostile mutant misbehaves.
pub trait Misbehaviour: Send + Sync + 'static {
    /// Called at the start of every method; never returns normally.
    fn act() -> !;
}

/// Panics.
pub struct Panics;
impl Misbehaviour for Panics {
    fn act() -> ! {
        panic!("hostile mutant: this method always panics")
    }
}

/// Deadlocks on a lock it already holds.
pub struct Deadlocks;
impl Misbehaviour for Deadlocks {
    fn act() -> ! {
        let lock = Mutex::new(());
        let _held = lock.lock();
        let _again = lock.lock();
        unreachable!("a parking_lot mutex is not reentrant")
    }
}

/// Spins forever.
pub struct SpinsForever;
impl Misbehaviour for SpinsForever {
    fn act() -> ! {
        let mut n = 0u64;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
            std::hint::spin_loop();
        }
    }
}

/// Aborts the process.
pub struct Aborts;
impl Misbehaviour for Aborts {
    fn act() -> ! {
        std::process::abort()
    }
}
