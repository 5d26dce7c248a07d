//! What `State` says about its sources: the notice line and the sources
//! that cannot reach their backend now (for the header).

use super::state::State;

impl State {
    /// The notice line: Kubernetes contexts still connecting, every source
    /// that is not working, in words (an API server unreachable, a
    /// resource forbidden, a daemon gone), then the config notice. Sources come first: they are why the board may be
    /// showing the past; the config notice is older news.
    pub fn notice(&self) -> Option<String> {
        let mut parts = self.source_problems();
        parts.extend(self.banner.notice.iter().cloned());
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// Every source that is not working, one entry each, in words
    /// (`Docker local: connection refused`, `Prometheus main: HTTP 503`).
    pub fn source_problems(&self) -> Vec<String> {
        let mut parts: Vec<String> = Vec::new();
        // A switched scope (or the first connect) not listed yet: the
        // panes are not empty, they are waiting.
        parts.extend(super::scope_switch::connecting_words(self));
        for (context, c) in &self.clusters {
            if let Some(e) = &c.error {
                parts.push(format!("k8s {context}: {e}"));
                continue;
            }
            parts.extend(crate::model::kube::resource_problems(context, &c.resources));
        }
        for (host, e) in &self.docker_errors {
            parts.push(format!("Docker {host}: {e}"));
        }
        parts.extend(self.alerts.errors());
        parts.extend(self.fleet.errors());
        parts
    }

    /// The sources that cannot reach their backend now, as the header
    /// names them: `k8s prod`, `docker local`, `fleet edge`.
    pub fn sources_down(&self) -> Vec<String> {
        let mut down = Vec::new();
        for (context, c) in &self.clusters {
            let failing = c
                .resources
                .iter()
                .any(|(_, s)| matches!(s, crate::model::ResourceStatus::Failing(_)));
            if c.error.is_some() || failing {
                down.push(format!("k8s {context}"));
            }
        }
        down.extend(self.docker_errors.keys().map(|h| format!("docker {h}")));
        down.extend(self.alerts.sources_down());
        down.extend(
            self.fleet
                .fleets
                .iter()
                .filter(|f| f.error.is_some())
                .map(|f| format!("fleet {}", f.name)),
        );
        down
    }
}
