//! Optimistic concurrency and preconditions, enforced where and as the
//! real API server enforces them, with its words:
//!
//! - a `metadata.resourceVersion` in a PUT body or in the object a patch
//!   produces (merge, strategic or JSON patch alike) must be the stored
//!   one, else 409 (`Store.Update` in `k8s.io/apiserver`);
//! - a `metadata.uid` in a PUT body is a storage precondition (409 with the
//!   storage layer's `StorageError` text); one a patch sets is an
//!   immutable-field error (422, in `defaults::validate`);
//! - a uid in a `Scale` is checked by the scale subresource (409 on
//!   `deployments/scale.apps`);
//! - DELETE `preconditions` are checked by `rest.BeforeDelete` (409 on the
//!   object's kind, `Pod` or `Deployment.apps`).

use serde_json::Value;

use super::errors::ApiError;
use super::resources::Res;
use super::util;

/// `new`'s resourceVersion (a PUT body, or the object a patch produced)
/// against the stored `old`; `required` for a PUT of a resource that does
/// not allow unconditional updates.
pub fn resource_version(
    res: Res,
    old: &Value,
    new: &Value,
    required: bool,
) -> Result<(), ApiError> {
    let rv = util::s(new, "/metadata/resourceVersion");
    if rv.is_empty() {
        if required {
            return Err(ApiError::invalid(
                res.kind(),
                res.group(),
                util::name(old),
                &[(
                    "metadata.resourceVersion".into(),
                    "Invalid value: 0x0: must be specified for an update".into(),
                )],
            ));
        }
        return Ok(());
    }
    if rv != util::s(old, "/metadata/resourceVersion") {
        return Err(ApiError::conflict(res, util::name(old)));
    }
    Ok(())
}

/// Where etcd keeps the object: the real storage errors quote it.
fn storage_key(res: Res, obj: &Value) -> String {
    if res.namespaced() {
        format!(
            "/registry/{}/{}/{}",
            res.plural(),
            util::namespace(obj),
            util::name(obj)
        )
    } else {
        format!("/registry/{}/{}", res.plural(), util::name(obj))
    }
}

/// A PUT body's uid is a storage precondition (`objInfo.Preconditions()`),
/// checked before the resourceVersion.
pub fn update_uid(res: Res, old: &Value, body: &Value) -> Result<(), ApiError> {
    let want = util::s(body, "/metadata/uid");
    let have = util::uid(old);
    if want.is_empty() || want == have {
        return Ok(());
    }
    Err(ApiError::conflict_on(
        res.group(),
        res.plural(),
        util::name(old),
        &format!(
            "StorageError: invalid object, Code: 4, Key: {}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {want}, UID in object meta: {have}",
            storage_key(res, old)
        ),
    ))
}

/// The uid of a `Scale` sent to the scale subresource (PUT or the result
/// of a patch) must be the workload's.
pub fn scale_uid(res: Res, old: &Value, scale: &Value) -> Result<(), ApiError> {
    let want = util::s(scale, "/metadata/uid");
    let have = util::uid(old);
    if want.is_empty() || want == have {
        return Ok(());
    }
    Err(ApiError::conflict_on(
        res.group(),
        &format!("{}/scale", res.plural()),
        util::name(old),
        &format!("Precondition failed: UID in precondition: {want}, UID in object meta: {have}"),
    ))
}

/// DELETE `preconditions.uid` and `preconditions.resourceVersion`.
pub fn delete(res: Res, obj: &Value, opts: &Value) -> Result<(), ApiError> {
    let name = util::name(obj);
    if let Some(want) = opts.pointer("/preconditions/uid").and_then(Value::as_str) {
        let have = util::uid(obj);
        if want != have {
            return Err(ApiError::conflict_on(
                res.group(),
                res.kind(),
                name,
                &format!(
                    "the UID in the precondition ({want}) does not match the UID in record ({have}). The object might have been deleted and then recreated"
                ),
            ));
        }
    }
    if let Some(want) = opts
        .pointer("/preconditions/resourceVersion")
        .and_then(Value::as_str)
    {
        let have = util::s(obj, "/metadata/resourceVersion");
        if want != have {
            return Err(ApiError::conflict_on(
                res.group(),
                res.kind(),
                name,
                &format!(
                    "the ResourceVersion in the precondition ({want}) does not match the ResourceVersion in record ({have}). The object might have been modified"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn web() -> Value {
        json!({"metadata": {"name": "web", "namespace": "default", "uid": "u-1", "resourceVersion": "7"}})
    }

    #[test]
    fn resource_version_mismatch_is_the_optimistic_lock_conflict() {
        let stale = json!({"metadata": {"resourceVersion": "1"}});
        let e = resource_version(Res::Deployments, &web(), &stale, false).unwrap_err();
        assert_eq!((e.code, e.reason), (409, "Conflict"));
        assert_eq!(
            e.message,
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"
        );
        assert_eq!(
            e.details,
            Some(json!({"name": "web", "group": "apps", "kind": "deployments"}))
        );
        assert!(resource_version(Res::Deployments, &web(), &web(), true).is_ok());
        assert!(resource_version(Res::Deployments, &web(), &json!({}), false).is_ok());
        assert_eq!(
            resource_version(Res::Deployments, &web(), &json!({}), true)
                .unwrap_err()
                .code,
            422
        );
    }

    #[test]
    fn uid_preconditions_read_like_the_real_ones() {
        let other = json!({"metadata": {"uid": "u-2"}});
        let e = update_uid(Res::Deployments, &web(), &other).unwrap_err();
        assert_eq!(
            e.message,
            "Operation cannot be fulfilled on deployments.apps \"web\": StorageError: invalid object, Code: 4, Key: /registry/deployments/default/web, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: u-2, UID in object meta: u-1"
        );
        let e = scale_uid(Res::StatefulSets, &web(), &other).unwrap_err();
        assert_eq!(
            e.message,
            "Operation cannot be fulfilled on statefulsets/scale.apps \"web\": Precondition failed: UID in precondition: u-2, UID in object meta: u-1"
        );
        let e = delete(Res::Pods, &web(), &json!({"preconditions": {"uid": "u-2"}})).unwrap_err();
        assert_eq!(e.code, 409);
        assert_eq!(
            e.message,
            "Operation cannot be fulfilled on Pod \"web\": the UID in the precondition (u-2) does not match the UID in record (u-1). The object might have been deleted and then recreated"
        );
        assert_eq!(e.details, Some(json!({"name": "web", "kind": "Pod"})));
        let e = delete(
            Res::Deployments,
            &web(),
            &json!({"preconditions": {"uid": "u-1", "resourceVersion": "3"}}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Operation cannot be fulfilled on Deployment.apps \"web\": the ResourceVersion in the precondition (3) does not match the ResourceVersion in record (7). The object might have been modified"
        );
        assert!(
            delete(
                Res::Pods,
                &web(),
                &json!({"preconditions": {"uid": "u-1", "resourceVersion": "7"}})
            )
            .is_ok()
        );
        assert!(update_uid(Res::Deployments, &web(), &json!({})).is_ok());
    }
}
