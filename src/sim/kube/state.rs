//! State shared by the HTTP server and the controller loop.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::clock::Clock;
use super::controllers::Controllers;
use super::faults::Faults;
use super::resources::Res;
use super::store::Store;

/// Everything behind the one lock: objects and controller bookkeeping.
pub struct State {
    pub store: Store,
    pub ctl: Controllers,
}

pub struct Shared {
    state: Mutex<State>,
    pub clock: Arc<Clock>,
    /// Resources every request on is refused as RBAC would.
    forbidden: Mutex<HashSet<Res>>,
    /// What else is broken: failing and hung resources.
    pub faults: Mutex<Faults>,
    /// How often watches that asked for bookmarks get one (wall time).
    pub bookmark_every: Duration,
}

impl Shared {
    pub fn new(state: State, clock: Arc<Clock>) -> Shared {
        Shared {
            state: Mutex::new(state),
            clock,
            forbidden: Mutex::new(HashSet::new()),
            faults: Mutex::new(Faults::default()),
            bookmark_every: Duration::from_secs(1),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn forbid(&self, res: Res) {
        self.forbidden
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(res);
    }

    pub fn allow(&self, res: Res) {
        self.forbidden
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&res);
    }

    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_forbidden(&self, res: Res) -> bool {
        self.forbidden
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&res)
    }
}
