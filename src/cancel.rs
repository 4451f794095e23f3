//! Stopping work whose answer is no longer wanted. The side that waits
//! for the work (a request handler) holds a [`CancelOnDrop`]; when it
//! stops waiting (the request timed out and was dropped), the flag goes
//! up, and the work's long loops see it at their next step and return
//! [`Error::Cancelled`], freeing their CPU permit. Pure: one atomic flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// A flag that work checks between its steps.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag nobody raises (the CLI, benchmarks, tests).
    pub fn never() -> Cancel {
        Cancel::default()
    }

    /// Raises the flag.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the flag is up.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// [`Error::Cancelled`] once the flag is up: `cancel.check()?` between
    /// the steps of a long loop.
    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// A guard that raises the flag when dropped, unless disarmed first.
    pub(crate) fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }
}

/// Raises its flag when dropped: held by whoever waits for the work, so
/// that giving up waiting (being dropped) cancels it.
pub(crate) struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    /// The work's answer was taken: dropping no longer cancels.
    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_guard_cancels_and_a_disarmed_one_does_not() {
        let c = Cancel::never();
        c.on_drop().disarm();
        assert!(c.check().is_ok());
        drop(c.on_drop());
        assert!(c.is_cancelled());
        assert!(matches!(c.check(), Err(Error::Cancelled)));
    }
}
