//! core/v1 Events, aggregated like the event recorder does: the same
//! object, reason and message bump `count` and `lastTimestamp`.

use serde_json::{Value, json};

use super::{Controllers, MAX_EVENTS};
use crate::sim::kube::clock::{SimTime, format_time};
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

pub struct Source<'a> {
    pub component: &'a str,
    pub host: &'a str,
}

#[allow(clippy::too_many_arguments)]
pub fn record(
    ctl: &mut Controllers,
    store: &mut Store,
    now: SimTime,
    involved: &Value,
    res: Res,
    warning: bool,
    reason: &str,
    message: &str,
    source: Source<'_>,
    field_path: &str,
) {
    if ctl.quiet && ctl.events_from.is_none_or(|from| now < from) {
        return;
    }
    let ns = if res.namespaced() {
        util::namespace(involved).to_string()
    } else {
        "default".to_string()
    };
    let uid = util::uid(involved).to_string();
    let key = (uid.clone(), reason.to_string(), message.to_string());
    let ts = format_time(now);
    if let Some((ens, ename)) = ctl.event_index.get(&key).cloned()
        && store
            .modify(Res::Events, &ens, &ename, |e| {
                e["count"] = json!(util::i(e, "/count") + 1);
                e["lastTimestamp"] = json!(ts);
            })
            .is_some()
    {
        return;
    }
    let name = format!(
        "{}.{:016x}",
        util::name(involved),
        store.rng.next_u64() >> 1
    );
    let mut involved_ref = json!({
        "kind": res.kind(),
        "name": util::name(involved),
        "uid": uid,
        "apiVersion": res.api_version(),
        "resourceVersion": util::s(involved, "/metadata/resourceVersion"),
    });
    if res.namespaced() {
        involved_ref["namespace"] = json!(util::namespace(involved));
    }
    if !field_path.is_empty() {
        involved_ref["fieldPath"] = json!(field_path);
    }
    let mut src = json!({"component": source.component});
    if !source.host.is_empty() {
        src["host"] = json!(source.host);
    }
    let ev = json!({
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": involved_ref,
        "reason": reason,
        "message": message,
        "source": src,
        "firstTimestamp": ts,
        "lastTimestamp": ts,
        "count": 1,
        "type": if warning { "Warning" } else { "Normal" },
        "eventTime": null,
        "reportingComponent": source.component,
        "reportingInstance": source.host,
    });
    if store.create(Res::Events, ev).is_ok() {
        let k = (ns, name);
        ctl.event_index.insert(key, k.clone());
        ctl.event_order.push_back(k);
    }
    while ctl.event_order.len() > MAX_EVENTS {
        if let Some((ns, name)) = ctl.event_order.pop_front() {
            store.delete(Res::Events, &ns, &name);
            ctl.event_index.retain(|_, v| !(v.0 == ns && v.1 == name));
        }
    }
}
