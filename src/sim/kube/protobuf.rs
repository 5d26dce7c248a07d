//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`:
//! the `k8s\0` magic, a `runtime.Unknown` envelope and the object), which
//! kubectl's typed clients send, e.g. `kubectl create job --from=cronjob/…`.
//! Only Jobs and CronJobs are decoded, with the fields of their pod
//! templates that kubectl users set (containers with command, args, env,
//! ports, resources and volume mounts; PVC, emptyDir, configMap, secret and
//! hostPath volumes…); unknown fields are dropped. Go's zero values (empty
//! strings, 0, false, empty messages) are taken as unset, as `omitempty`
//! would print them. Other kinds answer 415 as before.

use serde_json::{Map, Value, json};

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    Bool,
    Msg(&'static [F]),
    /// A message whose fields are inlined in the parent's JSON.
    Inline(&'static [F]),
    MapStr,
    MapQty,
    Quantity,
    Time,
}

#[derive(Clone, Copy)]
struct F(u32, &'static str, Ty, bool);

const fn f(n: u32, name: &'static str, ty: Ty) -> F {
    F(n, name, ty, false)
}

/// A repeated field.
const fn r(n: u32, name: &'static str, ty: Ty) -> F {
    F(n, name, ty, true)
}

const OWNER_REF: &[F] = &[
    f(1, "kind", Ty::Str),
    f(3, "name", Ty::Str),
    f(4, "uid", Ty::Str),
    f(5, "apiVersion", Ty::Str),
    f(6, "controller", Ty::Bool),
    f(7, "blockOwnerDeletion", Ty::Bool),
];
const META: &[F] = &[
    f(1, "name", Ty::Str),
    f(2, "generateName", Ty::Str),
    f(3, "namespace", Ty::Str),
    f(5, "uid", Ty::Str),
    f(6, "resourceVersion", Ty::Str),
    f(8, "creationTimestamp", Ty::Time),
    f(11, "labels", Ty::MapStr),
    f(12, "annotations", Ty::MapStr),
    r(13, "ownerReferences", Ty::Msg(OWNER_REF)),
    r(14, "finalizers", Ty::Str),
];
const REQUIREMENT: &[F] = &[
    f(1, "key", Ty::Str),
    f(2, "operator", Ty::Str),
    r(3, "values", Ty::Str),
];
const SELECTOR: &[F] = &[
    f(1, "matchLabels", Ty::MapStr),
    r(2, "matchExpressions", Ty::Msg(REQUIREMENT)),
];
const PORT: &[F] = &[
    f(1, "name", Ty::Str),
    f(2, "hostPort", Ty::Int),
    f(3, "containerPort", Ty::Int),
    f(4, "protocol", Ty::Str),
];
const ENV: &[F] = &[f(1, "name", Ty::Str), f(2, "value", Ty::Str)];
const RESOURCES: &[F] = &[f(1, "limits", Ty::MapQty), f(2, "requests", Ty::MapQty)];
const MOUNT: &[F] = &[
    f(1, "name", Ty::Str),
    f(2, "readOnly", Ty::Bool),
    f(3, "mountPath", Ty::Str),
    f(4, "subPath", Ty::Str),
];
const CONTAINER: &[F] = &[
    f(1, "name", Ty::Str),
    f(2, "image", Ty::Str),
    r(3, "command", Ty::Str),
    r(4, "args", Ty::Str),
    f(5, "workingDir", Ty::Str),
    r(6, "ports", Ty::Msg(PORT)),
    r(7, "env", Ty::Msg(ENV)),
    f(8, "resources", Ty::Msg(RESOURCES)),
    r(9, "volumeMounts", Ty::Msg(MOUNT)),
    f(13, "terminationMessagePath", Ty::Str),
    f(14, "imagePullPolicy", Ty::Str),
    f(20, "terminationMessagePolicy", Ty::Str),
];
const NAME_ONLY: &[F] = &[f(1, "name", Ty::Str)];
const VOLUME_SOURCE: &[F] = &[
    f(
        1,
        "hostPath",
        Ty::Msg(&[f(1, "path", Ty::Str), f(2, "type", Ty::Str)]),
    ),
    f(
        2,
        "emptyDir",
        Ty::Msg(&[f(1, "medium", Ty::Str), f(2, "sizeLimit", Ty::Quantity)]),
    ),
    f(
        6,
        "secret",
        Ty::Msg(&[f(1, "secretName", Ty::Str), f(3, "defaultMode", Ty::Int)]),
    ),
    f(
        10,
        "persistentVolumeClaim",
        Ty::Msg(&[f(1, "claimName", Ty::Str), f(2, "readOnly", Ty::Bool)]),
    ),
    f(
        19,
        "configMap",
        Ty::Msg(&[
            f(1, "", Ty::Inline(NAME_ONLY)),
            f(3, "defaultMode", Ty::Int),
        ]),
    ),
];
const VOLUME: &[F] = &[f(1, "name", Ty::Str), f(2, "", Ty::Inline(VOLUME_SOURCE))];
const POD_SPEC: &[F] = &[
    r(1, "volumes", Ty::Msg(VOLUME)),
    r(2, "containers", Ty::Msg(CONTAINER)),
    f(3, "restartPolicy", Ty::Str),
    f(4, "terminationGracePeriodSeconds", Ty::Int),
    f(5, "activeDeadlineSeconds", Ty::Int),
    f(6, "dnsPolicy", Ty::Str),
    f(7, "nodeSelector", Ty::MapStr),
    f(8, "serviceAccountName", Ty::Str),
    f(9, "serviceAccount", Ty::Str),
    f(10, "nodeName", Ty::Str),
    r(15, "imagePullSecrets", Ty::Msg(NAME_ONLY)),
    f(19, "schedulerName", Ty::Str),
    r(20, "initContainers", Ty::Msg(CONTAINER)),
    f(24, "priorityClassName", Ty::Str),
];
const TEMPLATE: &[F] = &[
    f(1, "metadata", Ty::Msg(META)),
    f(2, "spec", Ty::Msg(POD_SPEC)),
];
const JOB_SPEC: &[F] = &[
    f(1, "parallelism", Ty::Int),
    f(2, "completions", Ty::Int),
    f(3, "activeDeadlineSeconds", Ty::Int),
    f(4, "selector", Ty::Msg(SELECTOR)),
    f(5, "manualSelector", Ty::Bool),
    f(6, "template", Ty::Msg(TEMPLATE)),
    f(7, "backoffLimit", Ty::Int),
    f(8, "ttlSecondsAfterFinished", Ty::Int),
    f(9, "completionMode", Ty::Str),
    f(10, "suspend", Ty::Bool),
    f(14, "podReplacementPolicy", Ty::Str),
];
const JOB: &[F] = &[
    f(1, "metadata", Ty::Msg(META)),
    f(2, "spec", Ty::Msg(JOB_SPEC)),
];
const JOB_TEMPLATE: &[F] = &[
    f(1, "metadata", Ty::Msg(META)),
    f(2, "spec", Ty::Msg(JOB_SPEC)),
];
const CRONJOB_SPEC: &[F] = &[
    f(1, "schedule", Ty::Str),
    f(2, "startingDeadlineSeconds", Ty::Int),
    f(3, "concurrencyPolicy", Ty::Str),
    f(4, "suspend", Ty::Bool),
    f(5, "jobTemplate", Ty::Msg(JOB_TEMPLATE)),
    f(6, "successfulJobsHistoryLimit", Ty::Int),
    f(7, "failedJobsHistoryLimit", Ty::Int),
    f(8, "timeZone", Ty::Str),
];
const CRONJOB: &[F] = &[
    f(1, "metadata", Ty::Msg(META)),
    f(2, "spec", Ty::Msg(CRONJOB_SPEC)),
];
const UNKNOWN: &[F] = &[f(
    1,
    "typeMeta",
    Ty::Msg(&[f(1, "apiVersion", Ty::Str), f(2, "kind", Ty::Str)]),
)];

/// One wire field: number and value (varint or bytes).
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(b: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

fn fields(b: &[u8]) -> Result<Vec<(u32, Wire<'_>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let key = varint(b, &mut pos)?;
        let num = (key >> 3) as u32;
        let wire = match key & 7 {
            0 => Wire::Varint(varint(b, &mut pos)?),
            2 => {
                let len = varint(b, &mut pos)? as usize;
                let end = pos
                    .checked_add(len)
                    .filter(|e| *e <= b.len())
                    .ok_or("truncated field")?;
                let bytes = &b[pos..end];
                pos = end;
                Wire::Bytes(bytes)
            }
            1 => {
                pos += 8;
                Wire::Varint(0)
            }
            5 => {
                pos += 4;
                Wire::Varint(0)
            }
            t => return Err(format!("unsupported wire type {t}")),
        };
        out.push((num, wire));
    }
    Ok(out)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn map_entry(b: &[u8], quantity: bool) -> Result<(String, Value), String> {
    let mut key = String::new();
    let mut value = Value::Null;
    for (n, w) in fields(b)? {
        match (n, w) {
            (1, Wire::Bytes(k)) => key = text(k),
            (2, Wire::Bytes(v)) if quantity => value = quantity_of(v)?,
            (2, Wire::Bytes(v)) => value = json!(text(v)),
            _ => {}
        }
    }
    if value.is_null() {
        value = json!("");
    }
    Ok((key, value))
}

fn quantity_of(b: &[u8]) -> Result<Value, String> {
    for (n, w) in fields(b)? {
        if let (1, Wire::Bytes(s)) = (n, w) {
            return Ok(json!(text(s)));
        }
    }
    Ok(Value::Null)
}

fn time_of(b: &[u8]) -> Result<Value, String> {
    let mut secs = 0i64;
    for (n, w) in fields(b)? {
        if let (1, Wire::Varint(v)) = (n, w) {
            secs = v as i64;
        }
    }
    if secs == 0 {
        return Ok(Value::Null);
    }
    Ok(json!(super::clock::format_time(secs * 1000)))
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_i64() == Some(0),
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
    }
}

fn message(b: &[u8], schema: &[F]) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (n, w) in fields(b)? {
        let Some(F(_, name, ty, repeated)) = schema.iter().find(|x| x.0 == n).copied() else {
            continue;
        };
        let v = match (ty, w) {
            (Ty::Str, Wire::Bytes(s)) => json!(text(s)),
            (Ty::Int, Wire::Varint(v)) => json!(v as i64),
            (Ty::Bool, Wire::Varint(v)) => json!(v != 0),
            (Ty::Msg(s), Wire::Bytes(b)) => Value::Object(message(b, s)?),
            (Ty::Inline(s), Wire::Bytes(b)) => {
                out.extend(message(b, s)?);
                continue;
            }
            (Ty::MapStr | Ty::MapQty, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b, matches!(ty, Ty::MapQty))?;
                let m = out.entry(name).or_insert_with(|| json!({}));
                m[k] = v;
                continue;
            }
            (Ty::Quantity, Wire::Bytes(b)) => quantity_of(b)?,
            (Ty::Time, Wire::Bytes(b)) => time_of(b)?,
            _ => return Err(format!("field {name} has the wrong wire type")),
        };
        if repeated {
            let list = out.entry(name).or_insert_with(|| json!([]));
            if let Some(a) = list.as_array_mut() {
                a.push(v);
            }
        } else if !is_zero(&v) {
            out.insert(name.to_string(), v);
        }
    }
    out.retain(|_, v| !is_zero(v));
    Ok(out)
}

/// The JSON form of a protobuf-encoded Job or CronJob.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or("missing the k8s protobuf magic")?;
    let envelope = message(rest, UNKNOWN)?;
    let kind = envelope
        .get("typeMeta")
        .and_then(|t| t.get("kind"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let raw = fields(rest)?
        .into_iter()
        .find_map(|(n, w)| match (n, w) {
            (2, Wire::Bytes(b)) => Some(b),
            _ => None,
        })
        .ok_or("no object in the envelope")?;
    let schema = match kind.as_str() {
        "Job" => JOB,
        "CronJob" => CRONJOB,
        other => return Err(format!("kind {other:?} is not decoded from protobuf")),
    };
    let mut obj = Value::Object(message(raw, schema)?);
    obj["apiVersion"] = envelope["typeMeta"]["apiVersion"].clone();
    obj["kind"] = json!(kind);
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u32, bytes: &[u8]) -> Vec<u8> {
        let mut v = vec![(n << 3 | 2) as u8, bytes.len() as u8];
        v.extend_from_slice(bytes);
        v
    }

    #[test]
    fn decodes_a_job_in_its_envelope() {
        let labels = [field(1, b"app"), field(2, b"b")].concat();
        let meta = [field(1, b"manual-1"), field(2, b""), field(11, &labels)].concat();
        let container = [
            field(1, b"c"),
            field(2, b"postgres:16.2"),
            field(3, b"sh"),
            field(3, b"-c"),
        ]
        .concat();
        let pvc = field(10, &field(1, b"pg-backups"));
        let volume = [field(1, b"data"), field(2, &pvc)].concat();
        let pod = [field(1, &volume), field(2, &container), field(3, b"Never")].concat();
        let template = field(2, &pod);
        let spec = [field(6, &template), vec![7 << 3, 2], vec![10 << 3, 0]].concat();
        let job = [field(1, &meta), field(2, &spec)].concat();
        let tm = [field(1, b"batch/v1"), field(2, b"Job")].concat();
        let mut body = b"k8s\0".to_vec();
        body.extend([field(1, &tm), field(2, &job)].concat());
        let v = decode(&body).unwrap();
        assert_eq!(v["kind"], "Job");
        assert_eq!(
            v["metadata"],
            json!({"name": "manual-1", "labels": {"app": "b"}})
        );
        assert_eq!(v["spec"]["backoffLimit"], 2);
        assert!(v["spec"].get("suspend").is_none());
        let ps = &v["spec"]["template"]["spec"];
        assert_eq!(ps["containers"][0]["command"], json!(["sh", "-c"]));
        assert_eq!(
            ps["volumes"][0],
            json!({"name": "data", "persistentVolumeClaim": {"claimName": "pg-backups"}})
        );
        assert!(decode(b"{}").is_err());
    }
}
