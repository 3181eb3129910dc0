//! Misbehaviours for hostile mutants, shared by every kata: a hostile mutant calls
//! [`Misbehaviour::act`] at the start of every method, and the grader must survive it.
//!
//! A kata gets every hostile mutant by implementing [`HostileSuite`] once (its suite bound to
//! an implementation that misbehaves as `M`) and calling [`mutants`]. Adding a misbehaviour
//! here adds a hostile mutant to every kata.

use super::isolate::VERDICT_MARKER;
use super::{Check, Mutant};
use parking_lot::Mutex;

/// A kata's suite bound to an implementation whose every method misbehaves as `M`.
pub trait HostileSuite {
    /// The suite, bound to the hostile implementation for `M`.
    fn suite<M: Misbehaviour>() -> Vec<Check>;
}

/// The standard hostile mutants of a kata: one per [`Misbehaviour`] in this module.
pub fn mutants<S: HostileSuite>() -> Vec<Mutant> {
    vec![
        Mutant::hostile("panics", "panics in every method", S::suite::<Panics>),
        Mutant::hostile(
            "deadlocks",
            "takes a lock it already holds, in every method",
            S::suite::<Deadlocks>,
        ),
        Mutant::hostile(
            "spins-forever",
            "loops forever in every method",
            S::suite::<SpinsForever>,
        ),
        Mutant::hostile(
            "aborts",
            "aborts the whole process in every method",
            S::suite::<Aborts>,
        ),
        Mutant::hostile(
            "forges-verdict",
            "prints the grader child's verdict line claiming a pass, then exits with code 0",
            S::suite::<ForgesVerdict>,
        ),
        Mutant::hostile(
            "forges-verdict-with-secret",
            "prints a verdict line claiming a pass with a made-up secret, then exits with code 0",
            S::suite::<ForgesVerdictWithSecret>,
        ),
        Mutant::hostile(
            "exits-early",
            "calls process::exit(0) in the middle of a check",
            S::suite::<ExitsEarly>,
        ),
        Mutant::hostile(
            "exhausts-memory",
            "allocates and touches memory without bound",
            S::suite::<ExhaustsMemory>,
        ),
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

/// Prints the verdict line a grader child prints, as read in this crate's source, claiming a
/// pass; then exits with code 0 so the process looks like it finished cleanly.
pub struct ForgesVerdict;
impl Misbehaviour for ForgesVerdict {
    fn act() -> ! {
        println!(r#"{VERDICT_MARKER}{{"status":"pass","message":""}}"#);
        std::process::exit(0)
    }
}

/// Like [`ForgesVerdict`], with a guessed secret in the place where a genuine verdict carries
/// the one its parent handed it.
pub struct ForgesVerdictWithSecret;
impl Misbehaviour for ForgesVerdictWithSecret {
    fn act() -> ! {
        println!(
            r#"{VERDICT_MARKER}00000000000000000000000000000000 {{"status":"pass","message":""}}"#
        );
        println!(
            r#"{VERDICT_MARKER}0123456789abcdef0123456789abcdef {{"status":"pass","message":""}}"#
        );
        std::process::exit(0)
    }
}

/// Ends the whole process with exit code 0 in the middle of a check.
pub struct ExitsEarly;
impl Misbehaviour for ExitsEarly {
    fn act() -> ! {
        std::process::exit(0)
    }
}

/// Allocates memory in 64 MiB blocks, touching every page, and never frees it.
///
/// Only ever graded out of process, where the child's memory limit stops it after a few
/// hundred milliseconds; run in process it would take the whole machine.
pub struct ExhaustsMemory;
impl Misbehaviour for ExhaustsMemory {
    fn act() -> ! {
        const BLOCK: usize = 64 << 20;
        let mut held: Vec<Vec<u8>> = Vec::new();
        loop {
            // A non-zero fill writes every page, so the memory is really used, not just
            // reserved.
            held.push(std::hint::black_box(vec![0xA5; BLOCK]));
        }
    }
}
