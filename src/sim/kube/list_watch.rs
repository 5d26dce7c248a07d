//! LIST with selectors and `limit`/`continue` paging, and WATCH: chunked
//! JSON lines replayed from the kept history, then live; bookmarks; 410
//! `Expired` for resourceVersions older than the history; streaming lists
//! (`sendInitialEvents=true`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use base64::Engine;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::errors::ApiError;
use super::request::{App, Format, Req};
use super::resources::Res;
use super::response::{body_response, bytes_response, error_response, json_response};
use super::selectors::{FieldSelector, LabelSelector};
use super::store::{Event, EventType, Key};
use super::table::{self, Include};
use super::util;

/// An object without `kind` and `apiVersion`, as list items are encoded.
struct Item<'a>(&'a Value);

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_object() {
            Some(m) => {
                let mut map = s.serialize_map(None)?;
                for (k, v) in m {
                    if k != "kind" && k != "apiVersion" {
                        map.serialize_entry(k, v)?;
                    }
                }
                map.end()
            }
            None => self.0.serialize(s),
        }
    }
}

#[derive(serde::Serialize)]
struct ListBody<'a> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    metadata: Value,
    items: Vec<Item<'a>>,
}

struct Filter {
    res: Res,
    ns: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn new(req: &Req) -> Result<Filter, ApiError> {
        Ok(Filter {
            res: req.res,
            ns: req.ns.clone(),
            labels: LabelSelector::parse(req.q("labelSelector").unwrap_or(""))?,
            fields: FieldSelector::parse(req.q("fieldSelector").unwrap_or(""), req.res)?,
        })
    }

    fn matches(&self, obj: &Value) -> bool {
        (self.ns.is_none() || self.ns.as_deref() == Some(util::namespace(obj)))
            && self.labels.matches(obj)
            && self.fields.matches(self.res, obj)
    }
}

fn encode_continue(rv: u64, key: &Key) -> String {
    let raw = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": format!("{}/{}", key.0, key.1)});
    base64::engine::general_purpose::STANDARD.encode(raw.to_string())
}

fn decode_continue(token: &str) -> Result<(u64, Key), ApiError> {
    let bad = || ApiError::bad_request("continue key is not valid: invalid continue token");
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let start = v.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    let (ns, name) = start.split_once('/').ok_or_else(bad)?;
    Ok((
        v.get("rv").and_then(Value::as_u64).unwrap_or(0),
        (ns.to_string(), name.to_string()),
    ))
}

pub fn list(app: &App, req: &Req) -> Result<Response, ApiError> {
    let filter = Filter::new(req)?;
    let limit: usize = req.q("limit").and_then(|l| l.parse().ok()).unwrap_or(0);
    let (items, rv, next, remaining, now) = {
        let st = app.shared.lock();
        let store = &st.store;
        let (rv, candidates) = match req.q("continue").filter(|c| !c.is_empty()) {
            Some(tok) => {
                let (rv, after) = decode_continue(tok)?;
                if rv < store.oldest_servable() {
                    return Err(ApiError::expired(
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                    ));
                }
                (rv, store.list_after(req.res, req.ns.as_deref(), &after))
            }
            None => (
                store.resource_version(),
                store.list(req.res, req.ns.as_deref()),
            ),
        };
        let mut matching = candidates.into_iter().filter(|o| filter.matches(o));
        let mut items: Vec<Arc<Value>> = Vec::new();
        for o in matching.by_ref() {
            items.push(o);
            if limit > 0 && items.len() >= limit {
                break;
            }
        }
        let remaining = matching.count();
        let next = (remaining > 0)
            .then(|| {
                items
                    .last()
                    .map(|o| encode_continue(rv, &key_of(req.res, o)))
            })
            .flatten();
        (items, rv, next, remaining, store.now())
    };
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(n) = next {
        meta["continue"] = json!(n);
        meta["remainingItemCount"] = json!(remaining);
    }
    match req.format {
        Format::Table => {
            let refs: Vec<&Value> = items.iter().map(|o| &**o).collect();
            let include = Include::parse(req.q("includeObject"));
            Ok(json_response(
                200,
                &table::table(req.res, &refs, now, include, meta),
            ))
        }
        Format::PartialMetadata => {
            let metas: Vec<Value> = items.iter().map(|o| table::partial_metadata(o)).collect();
            Ok(json_response(
                200,
                &json!({"kind": "PartialObjectMetadataList",
                "apiVersion": "meta.k8s.io/v1", "metadata": meta, "items": metas}),
            ))
        }
        Format::Json => {
            let body = ListBody {
                kind: format!("{}List", req.res.kind()),
                api_version: req.res.api_version(),
                metadata: meta,
                items: items.iter().map(|o| Item(o)).collect(),
            };
            Ok(bytes_response(
                200,
                serde_json::to_vec(&body).unwrap_or_default(),
            ))
        }
    }
}

fn key_of(res: Res, o: &Value) -> Key {
    let ns = if res.namespaced() {
        util::namespace(o)
    } else {
        ""
    };
    (ns.to_string(), util::name(o).to_string())
}

/// How one watch turns events into lines.
struct Watcher {
    filter: Filter,
    format: Format,
    include: Include,
    sent_columns: bool,
}

impl Watcher {
    fn line(&mut self, ty: &str, obj: &Value, now: i64) -> Bytes {
        let object = match self.format {
            Format::Table => {
                let mut t = table::table(
                    self.filter.res,
                    &[obj],
                    now,
                    self.include,
                    json!({"resourceVersion": util::s(obj, "/metadata/resourceVersion")}),
                );
                if self.sent_columns {
                    t["columnDefinitions"] = json!([]);
                }
                self.sent_columns = true;
                t
            }
            Format::PartialMetadata => table::partial_metadata(obj),
            Format::Json => obj.clone(),
        };
        let mut s = serde_json::to_vec(&json!({"type": ty, "object": object})).unwrap_or_default();
        s.push(b'\n');
        Bytes::from(s)
    }

    /// The event as this watch sees it (selector transitions become
    /// ADDED/DELETED), if at all.
    fn translate(&self, e: &Event) -> Option<(&'static str, Arc<Value>)> {
        if e.res != self.filter.res {
            return None;
        }
        let now_match = self.filter.matches(&e.object);
        let was_match = e.prev.as_ref().is_some_and(|p| self.filter.matches(p));
        let ty = match e.kind {
            EventType::Added => now_match.then_some("ADDED")?,
            EventType::Deleted => (now_match || was_match).then_some("DELETED")?,
            EventType::Modified => match (was_match, now_match) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return None,
            },
        };
        Some((ty, e.object.clone()))
    }
}

fn bookmark(res: Res, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let obj = json!({"kind": res.kind(), "apiVersion": res.api_version(), "metadata": meta});
    let mut s = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": obj})).unwrap_or_default();
    s.push(b'\n');
    Bytes::from(s)
}

fn error_line(e: &ApiError) -> Bytes {
    let mut s =
        serde_json::to_vec(&json!({"type": "ERROR", "object": e.to_status()})).unwrap_or_default();
    s.push(b'\n');
    Bytes::from(s)
}

pub fn watch(app: &App, req: &Req) -> Response {
    let filter = match Filter::new(req) {
        Ok(f) => f,
        Err(e) => return error_response(&e),
    };
    let mut w = Watcher {
        filter,
        format: req.format,
        include: Include::parse(req.q("includeObject")),
        sent_columns: false,
    };
    let bookmarks = req.flag("allowWatchBookmarks");
    let send_initial = req.flag("sendInitialEvents");
    let timeout = req
        .q("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0)
        .map(Duration::from_secs);
    let rv_param = req.q("resourceVersion").unwrap_or("").to_string();
    let mut first: Vec<Bytes> = Vec::new();
    let (mut rx, mut last_rv, gone) = {
        let st = app.shared.lock();
        let store = &st.store;
        let now = store.now();
        let rx = store.subscribe();
        let current = store.resource_version();
        let mut gone = false;
        if send_initial || rv_param.is_empty() || rv_param == "0" {
            for o in store.list(req.res, req.ns.as_deref()) {
                if w.filter.matches(&o) {
                    first.push(w.line("ADDED", &o, now));
                }
            }
            if send_initial {
                first.push(bookmark(req.res, current, true));
            }
        } else {
            let rv: u64 = rv_param.parse().unwrap_or(0);
            match store.events_since(rv) {
                Some(events) => {
                    for e in events {
                        if let Some((ty, o)) = w.translate(&e) {
                            first.push(w.line(ty, &o, now));
                        }
                    }
                }
                None => {
                    first.push(error_line(&ApiError::expired(format!(
                        "too old resource version: {rv} ({})",
                        store.oldest_servable()
                    ))));
                    gone = true;
                }
            }
        }
        (rx, current, gone)
    };
    let (tx, mut out) = mpsc::channel::<Bytes>(1024);
    let shared = app.shared.clone();
    let cancel = app.cancel.clone();
    let every = shared.bookmark_every;
    tokio::spawn(async move {
        for line in first {
            if tx.send(line).await.is_err() {
                return;
            }
        }
        if gone {
            return;
        }
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tx.closed() => return,
                _ = sleep => return,
                _ = tick.tick() => {
                    if bookmarks && tx.send(bookmark(w.filter.res, last_rv, false)).await.is_err() {
                        return;
                    }
                }
                ev = rx.recv() => match ev {
                    Ok(e) => {
                        last_rv = last_rv.max(e.rv);
                        if let Some((ty, o)) = w.translate(&e) {
                            let now = shared.clock.now();
                            if tx.send(w.line(ty, &o, now)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = tx.send(error_line(&ApiError::expired(format!(
                            "too old resource version: {last_rv}"
                        )))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
    let stream = futures::stream::poll_fn(move |cx| {
        out.poll_recv(cx)
            .map(|o| o.map(Ok::<Bytes, std::io::Error>))
    });
    body_response(200, "application/json", Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let t = encode_continue(42, &("default".into(), "web".into()));
        assert_eq!(
            decode_continue(&t).unwrap(),
            (42, ("default".to_string(), "web".to_string()))
        );
        assert!(decode_continue("nope").is_err());
    }

    #[test]
    fn list_items_drop_type_meta() {
        let v = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p"}});
        assert_eq!(
            serde_json::to_value(Item(&v)).unwrap(),
            json!({"metadata": {"name": "p"}})
        );
    }
}
