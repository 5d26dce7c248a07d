//! Revealing masked values (secret-looking environment variables in the
//! inspect, describe and YAML views). Revealing is reading, so read-only
//! mode allows it; it is always audited, and the board shows the values
//! only once the line is in the log.

use std::collections::BTreeMap;

use super::Actor;
use crate::app::OpsEvent;
use crate::model::document::ObjectRef;
use crate::ops::audit::{AuditOutcome, AuditRecord};

/// The audit target of an object, as the actions on it are keyed.
pub(super) fn target_key(o: &ObjectRef) -> String {
    match o {
        ObjectRef::Docker { host, name, .. } => format!("docker/{host}/{name}"),
        ObjectRef::Kube {
            context,
            namespace: Some(ns),
            kind,
            name,
        } => format!("k8s/{context}/{ns}/{}/{name}", kind.word()),
        ObjectRef::Kube {
            context,
            namespace: None,
            kind,
            name,
        } => format!("k8s/{context}/{}/{name}", kind.word()),
    }
}

impl Actor {
    pub(super) async fn reveal(&self, request: u64, object: &ObjectRef, variables: &[String]) {
        let rec = AuditRecord {
            target: target_key(object),
            verb: "reveal".into(),
            parameters: BTreeMap::from([("variables".to_string(), variables.join(","))]),
            outcome: AuditOutcome::Succeeded,
            duration_ms: None,
            message: Some(format!(
                "{} masked value(s) of {object} shown on screen",
                variables.len()
            )),
            job: None,
        };
        match self.audit(rec).await {
            Ok(()) => self.emit(OpsEvent::Revealed { request }).await,
            Err(e) => {
                self.emit(OpsEvent::Refused {
                    what: format!("reveal values of {object}"),
                    reason: format!("the audit log cannot be written: {e}"),
                })
                .await;
                self.emit(OpsEvent::AuditFailed(e)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::document::ObjectKind;

    #[test]
    fn targets_are_keyed_like_actions() {
        let d = ObjectRef::Docker {
            host: "local".into(),
            id: "abc".into(),
            name: "web-1".into(),
        };
        assert_eq!(target_key(&d), "docker/local/web-1");
        let n = ObjectRef::Kube {
            context: "prod".into(),
            namespace: None,
            kind: ObjectKind::Node,
            name: "n1".into(),
        };
        assert_eq!(target_key(&n), "k8s/prod/node/n1");
    }
}
