//! The first `State` and the action layer's context, from what was
//! assembled.

use super::Assembled;
use crate::app::{Banner, Keymap, RunbookEntry, State};
use crate::clients::probe::ProbeSpec;
use crate::ops::OpsContext;

impl Assembled {
    /// The initial state and the action layer's context. Runbook keys that
    /// collide with built-in keys are dropped and named in the notice.
    pub fn into_board(
        self,
        keymap: Keymap,
        mut banner: Banner,
        now: std::time::SystemTime,
    ) -> (State, Vec<ProbeSpec>, OpsContext) {
        let mut keys: Vec<_> = Vec::new();
        for r in &self.catalog.runbooks {
            for k in &r.key {
                // A service runbook and a global one may share name and key.
                if !keys.contains(&(*k, r.name.clone())) {
                    keys.push((*k, r.name.clone()));
                }
            }
        }
        let (keymap, shadowed) = keymap.with_runbooks(keys);
        if !shadowed.is_empty() {
            let note = shadowed.join("; ");
            banner.notice = Some(match banner.notice.take() {
                Some(n) => format!("{n} · {note}"),
                None => note,
            });
        }
        let mut state = State::new(self.services.services, keymap, banner, now);
        state.backups = self.catalog.backup_jobs();
        state.runbooks = self
            .catalog
            .runbooks
            .iter()
            .map(|r| RunbookEntry {
                name: r.name.clone(),
                description: r.description.clone(),
                service: r.service.clone(),
                dangerous: r.dangerous,
                uses_host: r.command.iter().any(|a| a.contains("{host}")),
            })
            .collect();
        state.audit_path = self.audit.as_ref().map(|a| a.path().display().to_string());
        state.banner.read_only = self.policy.read_only;
        state.rules = crate::rules::Rules::new(self.rules);
        state.fleet = crate::app::fleet::FleetState::from_plan(&self.fleet);
        state.alerts.alertmanagers = self
            .metrics
            .alertmanagers
            .iter()
            .map(|a| a.spec.name.clone())
            .collect();
        let ctx = OpsContext {
            catalog: self.catalog,
            policy: self.policy,
            audit: self.audit,
            kube: self.kube,
            docker: self.docker,
            image_history: self.image_history,
            // The runtime connects exec sessions to its terminal.
            handover: None,
        };
        (state, self.services.specs, ctx)
    }
}
