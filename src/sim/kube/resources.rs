//! The resource types the simulated API server knows: their group,
//! version, plural, kind, scope and subresources, as discovery serves them.

/// One served resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Res {
    Namespaces,
    Nodes,
    Pods,
    Events,
    Services,
    Endpoints,
    Deployments,
    ReplicaSets,
    StatefulSets,
    DaemonSets,
    ControllerRevisions,
    Hpas,
    Pdbs,
    Jobs,
    CronJobs,
}

pub const ALL: [Res; 15] = [
    Res::Namespaces,
    Res::Nodes,
    Res::Pods,
    Res::Events,
    Res::Services,
    Res::Endpoints,
    Res::Deployments,
    Res::ReplicaSets,
    Res::StatefulSets,
    Res::DaemonSets,
    Res::ControllerRevisions,
    Res::Hpas,
    Res::Pdbs,
    Res::Jobs,
    Res::CronJobs,
];

/// Group versions served, in discovery order.
pub const GROUP_VERSIONS: [(&str, &str); 5] = [
    ("", "v1"),
    ("apps", "v1"),
    ("autoscaling", "v2"),
    ("policy", "v1"),
    ("batch", "v1"),
];

impl Res {
    pub fn group(self) -> &'static str {
        match self {
            Res::Namespaces
            | Res::Nodes
            | Res::Pods
            | Res::Events
            | Res::Services
            | Res::Endpoints => "",
            Res::Deployments
            | Res::ReplicaSets
            | Res::StatefulSets
            | Res::DaemonSets
            | Res::ControllerRevisions => "apps",
            Res::Hpas => "autoscaling",
            Res::Pdbs => "policy",
            Res::Jobs | Res::CronJobs => "batch",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Res::Hpas => "v2",
            _ => "v1",
        }
    }

    /// `v1` or `apps/v1`.
    pub fn api_version(self) -> String {
        if self.group().is_empty() {
            self.version().to_string()
        } else {
            format!("{}/{}", self.group(), self.version())
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Res::Namespaces => "namespaces",
            Res::Nodes => "nodes",
            Res::Pods => "pods",
            Res::Events => "events",
            Res::Services => "services",
            Res::Endpoints => "endpoints",
            Res::Deployments => "deployments",
            Res::ReplicaSets => "replicasets",
            Res::StatefulSets => "statefulsets",
            Res::DaemonSets => "daemonsets",
            Res::ControllerRevisions => "controllerrevisions",
            Res::Hpas => "horizontalpodautoscalers",
            Res::Pdbs => "poddisruptionbudgets",
            Res::Jobs => "jobs",
            Res::CronJobs => "cronjobs",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Res::Namespaces => "Namespace",
            Res::Nodes => "Node",
            Res::Pods => "Pod",
            Res::Events => "Event",
            Res::Services => "Service",
            Res::Endpoints => "Endpoints",
            Res::Deployments => "Deployment",
            Res::ReplicaSets => "ReplicaSet",
            Res::StatefulSets => "StatefulSet",
            Res::DaemonSets => "DaemonSet",
            Res::ControllerRevisions => "ControllerRevision",
            Res::Hpas => "HorizontalPodAutoscaler",
            Res::Pdbs => "PodDisruptionBudget",
            Res::Jobs => "Job",
            Res::CronJobs => "CronJob",
        }
    }

    pub fn singular(self) -> String {
        self.kind().to_ascii_lowercase()
    }

    pub fn namespaced(self) -> bool {
        !matches!(self, Res::Namespaces | Res::Nodes)
    }

    pub fn short_names(self) -> &'static [&'static str] {
        match self {
            Res::Namespaces => &["ns"],
            Res::Nodes => &["no"],
            Res::Pods => &["po"],
            Res::Events => &["ev"],
            Res::Services => &["svc"],
            Res::Endpoints => &["ep"],
            Res::Deployments => &["deploy"],
            Res::ReplicaSets => &["rs"],
            Res::StatefulSets => &["sts"],
            Res::DaemonSets => &["ds"],
            Res::ControllerRevisions => &[],
            Res::Hpas => &["hpa"],
            Res::Pdbs => &["pdb"],
            Res::Jobs => &[],
            Res::CronJobs => &["cj"],
        }
    }

    pub fn in_category_all(self) -> bool {
        matches!(
            self,
            Res::Pods
                | Res::Services
                | Res::Deployments
                | Res::ReplicaSets
                | Res::StatefulSets
                | Res::DaemonSets
                | Res::Hpas
                | Res::Jobs
                | Res::CronJobs
        )
    }

    /// Subresources served besides the object itself.
    pub fn subresources(self) -> &'static [&'static str] {
        match self {
            Res::Deployments | Res::ReplicaSets | Res::StatefulSets => &["scale", "status"],
            Res::DaemonSets | Res::Hpas | Res::Nodes | Res::Namespaces | Res::Services => {
                &["status"]
            }
            Res::Pdbs => &["status"],
            Res::Pods => &["eviction", "exec", "log", "status"],
            Res::Jobs | Res::CronJobs => &["status"],
            Res::Events | Res::ControllerRevisions | Res::Endpoints => &[],
        }
    }

    /// Whether the main resource ignores status changes (a status
    /// subresource exists) and bumps `metadata.generation` on spec changes.
    pub fn has_status_subresource(self) -> bool {
        self.subresources().contains(&"status")
    }

    pub fn tracks_generation(self) -> bool {
        matches!(
            self,
            Res::Deployments
                | Res::ReplicaSets
                | Res::StatefulSets
                | Res::DaemonSets
                | Res::Hpas
                | Res::Pdbs
                | Res::Jobs
                | Res::CronJobs
        )
    }

    /// `deployments.apps`, as used in error messages.
    pub fn qualified(self) -> String {
        if self.group().is_empty() {
            self.plural().to_string()
        } else {
            format!("{}.{}", self.plural(), self.group())
        }
    }

    /// `Deployment.apps`, as used in Invalid messages.
    pub fn qualified_kind(self) -> String {
        if self.group().is_empty() {
            self.kind().to_string()
        } else {
            format!("{}.{}", self.kind(), self.group())
        }
    }

    pub fn find(group: &str, version: &str, plural: &str) -> Option<Res> {
        ALL.into_iter()
            .find(|r| r.group() == group && r.version() == version && r.plural() == plural)
    }

    /// Parses `apps/v1/deployments`, `v1/pods`, `deployments`, `pods` or
    /// `deployments.apps`.
    pub fn parse(gvr: &str) -> Option<Res> {
        let parts: Vec<&str> = gvr.split('/').collect();
        match parts.as_slice() {
            [g, v, r] => Res::find(g, v, r),
            [v, r] => Res::find("", v, r),
            [r] => ALL.into_iter().find(|x| {
                x.plural() == *r
                    || x.qualified() == *r
                    || x.singular() == *r
                    || x.short_names().contains(r)
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_resource_names() {
        assert_eq!(Res::parse("apps/v1/deployments"), Some(Res::Deployments));
        assert_eq!(Res::parse("v1/pods"), Some(Res::Pods));
        assert_eq!(Res::parse("deploy"), Some(Res::Deployments));
        assert_eq!(Res::parse("deployments.apps"), Some(Res::Deployments));
        assert_eq!(
            Res::parse("autoscaling/v2/horizontalpodautoscalers"),
            Some(Res::Hpas)
        );
        assert_eq!(Res::parse("v1/deployments"), None);
        assert_eq!(Res::Deployments.qualified(), "deployments.apps");
        assert_eq!(Res::Pods.api_version(), "v1");
        assert_eq!(Res::parse("cj"), Some(Res::CronJobs));
        assert_eq!(Res::parse("batch/v1/jobs"), Some(Res::Jobs));
    }
}
