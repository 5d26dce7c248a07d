//! API errors rendered as real `Status` objects.

use serde_json::{Value, json};

use super::resources::Res;

/// The user the simulated server claims the token belongs to.
pub const USER: &str = "system:serviceaccount:default:opsboard";

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn to_status(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            v["details"] = d.clone();
        }
        v
    }

    pub fn not_found(res: Res, name: &str) -> ApiError {
        ApiError {
            code: 404,
            reason: "NotFound",
            message: format!("{} \"{name}\" not found", res.qualified()),
            details: Some(json!({"name": name, "group": res.group(), "kind": res.plural()})),
        }
    }

    pub fn namespace_not_found(ns: &str) -> ApiError {
        ApiError::not_found(Res::Namespaces, ns)
    }

    pub fn path_not_found() -> ApiError {
        ApiError {
            code: 404,
            reason: "NotFound",
            message: "the server could not find the requested resource".into(),
            details: Some(json!({})),
        }
    }

    pub fn already_exists(res: Res, name: &str) -> ApiError {
        ApiError {
            code: 409,
            reason: "AlreadyExists",
            message: format!("{} \"{name}\" already exists", res.qualified()),
            details: Some(json!({"name": name, "group": res.group(), "kind": res.plural()})),
        }
    }

    /// `Operation cannot be fulfilled on <resource> "<name>": <why>`, as
    /// the real `NewConflict(GroupResource, name, err)` builds it (409).
    pub fn conflict_on(group: &str, resource: &str, name: &str, why: &str) -> ApiError {
        let qualified = if group.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}.{group}")
        };
        let mut details = json!({"name": name, "kind": resource});
        if !group.is_empty() {
            details["group"] = json!(group);
        }
        ApiError {
            code: 409,
            reason: "Conflict",
            message: format!("Operation cannot be fulfilled on {qualified} \"{name}\": {why}"),
            details: Some(details),
        }
    }

    /// The optimistic-concurrency failure: the object's resourceVersion is
    /// not the one the request carried.
    pub fn conflict(res: Res, name: &str) -> ApiError {
        ApiError::conflict_on(
            res.group(),
            res.plural(),
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// A JSON patch that does not apply (a failed `test` op among them):
    /// the real server answers 422 with a generic message and drops the
    /// reason (`NewGenericServerResponse(422, …)` in the patch handler).
    pub fn patch_does_not_apply() -> ApiError {
        ApiError {
            code: 422,
            reason: "Invalid",
            message: "the server rejected our request due to an error in our request".into(),
            details: Some(json!({})),
        }
    }

    /// 422 with one cause per `(field, detail)`; `detail` reads like
    /// `Invalid value: -1: must be greater than or equal to 0`.
    pub fn invalid(kind: &str, group: &str, name: &str, causes: &[(String, String)]) -> ApiError {
        let qualified = if group.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let text: Vec<String> = causes.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        let message = if text.len() == 1 {
            format!("{qualified} \"{name}\" is invalid: {}", text[0])
        } else {
            format!("{qualified} \"{name}\" is invalid: [{}]", text.join(", "))
        };
        let causes: Vec<Value> = causes
            .iter()
            .map(|(f, m)| {
                let reason = if m.starts_with("Required value") {
                    "FieldValueRequired"
                } else if m.starts_with("Forbidden") {
                    "FieldValueForbidden"
                } else {
                    "FieldValueInvalid"
                };
                json!({"reason": reason, "message": m, "field": f})
            })
            .collect();
        ApiError {
            code: 422,
            reason: "Invalid",
            message,
            details: Some(json!({"name": name, "group": group, "kind": kind, "causes": causes})),
        }
    }

    pub fn forbidden(res: Res, verb: &str, namespace: Option<&str>) -> ApiError {
        let scope = match namespace {
            Some(ns) if res.namespaced() => format!("in the namespace \"{ns}\""),
            _ => "at the cluster scope".to_string(),
        };
        ApiError {
            code: 403,
            reason: "Forbidden",
            message: format!(
                "{} is forbidden: User \"{USER}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
                res.qualified(),
                res.plural(),
                res.group()
            ),
            details: Some(json!({"group": res.group(), "kind": res.plural()})),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            code: 400,
            reason: "BadRequest",
            message: message.into(),
            details: None,
        }
    }

    pub fn method_not_allowed(message: impl Into<String>) -> ApiError {
        ApiError {
            code: 405,
            reason: "MethodNotAllowed",
            message: message.into(),
            details: Some(json!({})),
        }
    }

    pub fn unsupported_media_type(ct: &str) -> ApiError {
        ApiError {
            code: 415,
            reason: "UnsupportedMediaType",
            message: format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {ct:?})"
            ),
            details: None,
        }
    }

    pub fn expired(message: impl Into<String>) -> ApiError {
        ApiError {
            code: 410,
            reason: "Expired",
            message: message.into(),
            details: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_like_the_real_ones() {
        let e = ApiError::not_found(Res::Deployments, "web");
        assert_eq!(e.message, "deployments.apps \"web\" not found");
        assert_eq!(e.to_status()["code"], 404);
        let e = ApiError::forbidden(Res::Nodes, "list", None);
        assert!(e.message.starts_with("nodes is forbidden: User"));
        assert!(
            e.message
                .ends_with("in API group \"\" at the cluster scope")
        );
        let e = ApiError::invalid(
            "Deployment",
            "apps",
            "web",
            &[(
                "spec.replicas".into(),
                "Invalid value: -1: must be greater than or equal to 0".into(),
            )],
        );
        assert_eq!(
            e.message,
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
    }
}
