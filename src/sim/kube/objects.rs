//! Object verbs: get, create, update (PUT), patch, delete, the `scale` and
//! `status` subresources and pod logs.

use axum::response::Response;
use serde_json::{Value, json};

use super::defaults;
use super::errors::ApiError;
use super::patch::{self, PatchType};
use super::preconditions;
use super::request::{App, Format, Req};
use super::resources::{ALL, Res};
use super::response::json_response;
use super::store::Store;
use super::table::{self, Include};
use super::util;

fn parse_body(req: &Req) -> Result<Value, ApiError> {
    if req.body.is_empty() {
        return Ok(json!({}));
    }
    if req.content_type.contains("protobuf")
        && let Ok(obj) = super::protobuf::decode(&req.body)
    {
        return Ok(obj);
    }
    if req.content_type.contains("protobuf") || req.content_type.contains("cbor") {
        return Err(ApiError {
            code: 415,
            reason: "UnsupportedMediaType",
            message: format!(
                "the body of the request was in an unknown format - accepted media types include: application/json (got {:?})",
                req.content_type
            ),
            details: None,
        });
    }
    serde_json::from_slice(&req.body).map_err(|e| {
        ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
    })
}

fn name(req: &Req) -> &str {
    req.name.as_deref().unwrap_or("")
}

fn render(req: &Req, obj: &Value, now: i64) -> Value {
    match req.format {
        Format::Table => table::table(
            req.res,
            &[obj],
            now,
            Include::parse(req.q("includeObject")),
            json!({"resourceVersion": util::s(obj, "/metadata/resourceVersion")}),
        ),
        Format::PartialMetadata => table::partial_metadata(obj),
        Format::Json => obj.clone(),
    }
}

pub fn get(app: &App, req: &Req) -> Result<Response, ApiError> {
    let st = app.shared.lock();
    let obj = st
        .store
        .get(req.res, req.ns(), name(req))
        .ok_or_else(|| ApiError::not_found(req.res, name(req)))?;
    Ok(json_response(200, &render(req, &obj, st.store.now())))
}

fn check_namespace(store: &Store, req: &Req) -> Result<(), ApiError> {
    if req.res.namespaced() && store.get(Res::Namespaces, "", req.ns()).is_none() {
        return Err(ApiError::namespace_not_found(req.ns()));
    }
    Ok(())
}

pub fn create(app: &App, req: &Req) -> Result<Response, ApiError> {
    let mut obj = parse_body(req)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    if req.res.namespaced() {
        match util::namespace(&obj) {
            "" => util::set(&mut obj, "/metadata/namespace", json!(req.ns())),
            ns if ns != req.ns() => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => {}
        }
    }
    let mut st = app.shared.lock();
    check_namespace(&st.store, req)?;
    defaults::apply_defaults(req.res, &mut obj);
    let mut probe = obj.clone();
    if util::name(&probe).is_empty() {
        util::set(&mut probe, "/metadata/name", json!("generated"));
    }
    defaults::validate(req.res, &probe, None)?;
    let out = st.store.with_writer(req.writer(), |store| {
        if req.dry_run() {
            store.prepare_create(req.res, obj)
        } else {
            store.create(req.res, obj).map(|o| (*o).clone())
        }
    })?;
    Ok(json_response(201, &out))
}

/// Defaults, validates and stores `new` as the next state of `old`, as
/// written by `req`.
fn write(store: &mut Store, req: &Req, old: &Value, new: Value) -> Result<Value, ApiError> {
    store.with_writer(req.writer(), |store| {
        write_as(store, req.res, old, new, req.dry_run())
    })
}

fn write_as(
    store: &mut Store,
    res: Res,
    old: &Value,
    mut new: Value,
    dry_run: bool,
) -> Result<Value, ApiError> {
    new["metadata"]["name"] = old["metadata"]["name"].clone();
    if res.namespaced() {
        new["metadata"]["namespace"] = old["metadata"]["namespace"].clone();
    }
    defaults::apply_defaults(res, &mut new);
    defaults::validate(res, &new, Some(old))?;
    if dry_run {
        return Ok(store
            .prepare_update(res, old, new)
            .unwrap_or_else(|| old.clone()));
    }
    Ok((*store.update(res, new)?).clone())
}

fn load(store: &Store, req: &Req) -> Result<Value, ApiError> {
    store
        .get(req.res, req.ns(), name(req))
        .map(|v| (*v).clone())
        .ok_or_else(|| ApiError::not_found(req.res, name(req)))
}

pub fn update(app: &App, req: &Req) -> Result<Response, ApiError> {
    let mut new = parse_body(req)?;
    let body_name = util::name(&new);
    if !body_name.is_empty() && body_name != name(req) {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            name(req)
        )));
    }
    let mut st = app.shared.lock();
    let old = load(&st.store, req)?;
    preconditions::update_uid(req.res, &old, &new)?;
    preconditions::resource_version(req.res, &old, &new, true)?;
    if req.res.has_status_subresource() {
        new["status"] = old.get("status").cloned().unwrap_or(Value::Null);
        if new["status"].is_null()
            && let Some(m) = new.as_object_mut()
        {
            m.remove("status");
        }
    }
    let out = write(&mut st.store, req, &old, new)?;
    Ok(json_response(200, &out))
}

fn apply_patch(req: &Req, doc: &Value) -> Result<Value, ApiError> {
    let pt = PatchType::from_content_type(&req.content_type)
        .ok_or_else(|| ApiError::unsupported_media_type(&req.content_type))?;
    if pt == PatchType::Apply {
        return Err(ApiError::unsupported_media_type(&req.content_type));
    }
    let p: Value = serde_json::from_slice(&req.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    patch::apply(pt, doc, &p).map_err(|m| {
        if pt == PatchType::Json {
            tracing::debug!("JSON patch does not apply: {m}");
            ApiError::patch_does_not_apply()
        } else {
            ApiError {
                code: 422,
                reason: "Invalid",
                message: m,
                details: None,
            }
        }
    })
}

pub fn patch(app: &App, req: &Req) -> Result<Response, ApiError> {
    let mut st = app.shared.lock();
    let old = load(&st.store, req)?;
    let mut new = apply_patch(req, &old)?;
    preconditions::resource_version(req.res, &old, &new, false)?;
    if req.res.has_status_subresource() {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                util::remove(&mut new, "/status");
            }
        }
    }
    let out = write(&mut st.store, req, &old, new)?;
    Ok(json_response(200, &out))
}

pub fn status(app: &App, req: &Req) -> Result<Response, ApiError> {
    let mut st = app.shared.lock();
    let old = load(&st.store, req)?;
    let incoming = if req.method == axum::http::Method::PATCH {
        apply_patch(req, &old)?
    } else {
        let b = parse_body(req)?;
        preconditions::resource_version(req.res, &old, &b, false)?;
        b
    };
    let mut new = old.clone();
    new["status"] = incoming.get("status").cloned().unwrap_or(json!({}));
    let out = st.store.with_writer(req.writer(), |store| {
        if req.dry_run() {
            Ok(store.prepare_update(req.res, &old, new).unwrap_or(old))
        } else {
            store.update(req.res, new).map(|o| (*o).clone())
        }
    })?;
    Ok(json_response(200, &out))
}

fn to_scale(obj: &Value) -> Value {
    let m = &obj["metadata"];
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"],
        },
        "spec": {"replicas": util::opt_i(obj, "/spec/replicas").unwrap_or(1)},
        "status": {
            "replicas": util::i(obj, "/status/replicas"),
            "selector": obj.pointer("/spec/selector").map(util::label_selector_string).unwrap_or_default(),
        },
    })
}

pub fn scale(app: &App, req: &Req) -> Result<Response, ApiError> {
    let mut st = app.shared.lock();
    let old = load(&st.store, req)?;
    let current = to_scale(&old);
    let wanted = match req.method {
        axum::http::Method::GET => return Ok(json_response(200, &current)),
        axum::http::Method::PATCH => apply_patch(req, &current)?,
        _ => {
            // A PUT's uid is a storage precondition, checked first.
            let body = parse_body(req)?;
            preconditions::update_uid(req.res, &old, &body)?;
            body
        }
    };
    let replicas = wanted
        .pointer("/spec/replicas")
        .cloned()
        .unwrap_or(json!(0));
    match replicas.as_i64() {
        Some(r) if r >= 0 => {}
        _ => {
            return Err(ApiError::invalid(
                "Scale",
                "autoscaling",
                name(req),
                &[(
                    "spec.replicas".into(),
                    format!("Invalid value: {replicas}: must be greater than or equal to 0"),
                )],
            ));
        }
    }
    // The real order: the Scale is validated, then its uid, then storage
    // compares the resourceVersion.
    preconditions::scale_uid(req.res, &old, &wanted)?;
    preconditions::resource_version(req.res, &old, &wanted, false)?;
    let mut new = old.clone();
    new["spec"]["replicas"] = replicas;
    let out = write(&mut st.store, req, &old, new)?;
    Ok(json_response(200, &to_scale(&out)))
}

fn delete_options(req: &Req) -> Result<Value, ApiError> {
    let mut opts = parse_body(req)?;
    if let Some(g) = req
        .q("gracePeriodSeconds")
        .and_then(|g| g.parse::<i64>().ok())
    {
        opts["gracePeriodSeconds"] = json!(g);
    }
    if let Some(p) = req.q("propagationPolicy") {
        opts["propagationPolicy"] = json!(p);
    }
    Ok(opts)
}

/// Deletes one object the way the API server does for `res`; returns the
/// response body.
pub(super) fn delete_one(store: &mut Store, res: Res, obj: &Value, opts: &Value) -> Value {
    let ns = util::namespace(obj).to_string();
    let name = util::name(obj).to_string();
    match res {
        Res::Pods => {
            let grace = util::opt_i(opts, "/gracePeriodSeconds")
                .or_else(|| util::opt_i(obj, "/spec/terminationGracePeriodSeconds"))
                .unwrap_or(30);
            let out = if grace <= 0 || util::s(obj, "/spec/nodeName").is_empty() {
                store.delete(res, &ns, &name)
            } else {
                store.mark_deleting(res, &ns, &name, grace)
            };
            out.map(|o| (*o).clone()).unwrap_or(Value::Null)
        }
        Res::Namespaces => {
            for r in ALL.into_iter().filter(|r| r.namespaced()) {
                for o in store.list(r, Some(&name)) {
                    store.delete(r, &name, util::name(&o));
                }
            }
            let mut out = obj.clone();
            out["status"]["phase"] = json!("Terminating");
            store.delete(res, "", &name);
            out
        }
        _ => {
            if util::s(opts, "/propagationPolicy") == "Orphan" {
                let uid = util::uid(obj).to_string();
                for r in [Res::ReplicaSets, Res::Pods, Res::ControllerRevisions] {
                    for o in store.list(r, Some(&ns)) {
                        if util::controller_uid(&o) == Some(uid.as_str()) {
                            store.modify(r, &ns, util::name(&o), |x| {
                                util::remove(x, "/metadata/ownerReferences");
                            });
                        }
                    }
                }
            }
            store.delete(res, &ns, &name);
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": {"name": name, "group": res.group(), "kind": res.plural(), "uid": util::uid(obj)}})
        }
    }
}

pub fn delete(app: &App, req: &Req) -> Result<Response, ApiError> {
    let opts = delete_options(req)?;
    let mut st = app.shared.lock();
    let obj = load(&st.store, req)?;
    preconditions::delete(req.res, &obj, &opts)?;
    if req.dry_run()
        || opts
            .get("dryRun")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    {
        return Ok(json_response(200, &obj));
    }
    let out = delete_one(&mut st.store, req.res, &obj, &opts);
    Ok(json_response(200, &out))
}

pub fn delete_collection(app: &App, req: &Req) -> Result<Response, ApiError> {
    let opts = delete_options(req)?;
    let labels = super::selectors::LabelSelector::parse(req.q("labelSelector").unwrap_or(""))?;
    let fields =
        super::selectors::FieldSelector::parse(req.q("fieldSelector").unwrap_or(""), req.res)?;
    let mut st = app.shared.lock();
    let victims: Vec<_> = st
        .store
        .list(req.res, req.ns.as_deref())
        .into_iter()
        .filter(|o| labels.matches(o) && fields.matches(req.res, o))
        .collect();
    let mut items = Vec::new();
    if !req.dry_run() {
        for o in &victims {
            delete_one(&mut st.store, req.res, o, &opts);
            items.push((**o).clone());
        }
    }
    let rv = st.store.resource_version().to_string();
    Ok(json_response(
        200,
        &json!({"kind": format!("{}List", req.res.kind()),
        "apiVersion": req.res.api_version(), "metadata": {"resourceVersion": rv}, "items": items}),
    ))
}
