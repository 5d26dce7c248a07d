//! `pods/{name}/log`: the kubelet's answer, as the real API server relays
//! it — `container`, `previous`, `sinceSeconds`/`sinceTime`, `tailLines`,
//! `limitBytes`, `timestamps`, and `follow`, which streams new lines as
//! simulated time passes and ends when the container stops or the pod goes.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::clock::{SimTime, parse_time};
use super::errors::ApiError;
use super::log_lines::{Instance, Written};
use super::request::{App, Req};
use super::response::body_response;
use super::store::Store;
use super::util;

/// Lines per second of a chatty container (tests of backpressure).
pub const ANN_LOG_RATE: &str = "sim.opsboard.dev/log-rate";

/// How often a follow looks for new lines (wall time).
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

fn pod_name(req: &Req) -> &str {
    req.name.as_deref().unwrap_or("")
}

/// Which run of which container the request is about.
fn instance(pod: &Value, req: &Req) -> Result<Instance, ApiError> {
    let name = pod_name(req);
    let containers: Vec<&Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().collect())
        .unwrap_or_default();
    let names: Vec<&str> = containers.iter().map(|c| util::s(c, "/name")).collect();
    let container = match req.q("container") {
        Some(c) if names.contains(&c) => c.to_string(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None if names.len() == 1 => names[0].to_string(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                names.join(" ")
            )));
        }
    };
    let spec = containers
        .iter()
        .find(|c| util::s(c, "/name") == container)
        .copied()
        .cloned()
        .unwrap_or(json!({}));
    let status = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| util::s(c, "/name") == container))
        .cloned()
        .unwrap_or(json!({}));
    let waiting = util::s(&status, "/state/waiting/reason");
    if waiting == "ContainerCreating" || status.get("state").is_none() {
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"
        )));
    }
    let time = |p: &str| parse_time(util::s(&status, p));
    let last = time("/lastState/terminated/startedAt")
        .zip(time("/lastState/terminated/finishedAt"))
        .map(|(s, e)| {
            let reason = util::s(&status, "/lastState/terminated/reason");
            (s, e, reason.to_string())
        });
    let base = Instance {
        pod: name.to_string(),
        container: container.clone(),
        image: util::s(&spec, "/image").to_string(),
        port: util::opt_i(&spec, "/ports/0/containerPort"),
        started: 0,
        ended: None,
        rate: util::annotation(pod, ANN_LOG_RATE).and_then(|r| r.parse().ok()),
        run_to: None,
    };
    let run_ms = super::controllers::pod_status::completion::run_ms(pod);
    let dead = |(s, e, reason): (SimTime, SimTime, String)| Instance {
        started: s,
        ended: Some((e, reason)),
        ..base.clone()
    };
    // The run before the last dead one of a crash-looping container: as
    // long, and as far before it as the back-off between them.
    let before = |(s, e, reason): (SimTime, SimTime, String)| {
        let run = e - s;
        (s - run - 10_000, s - 10_000, reason)
    };
    let not_found = || {
        ApiError::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        ))
    };
    let previous = req.flag("previous");
    // A run to completion that ended: its whole (finite) log.
    if let (Some(s), Some(e), false) = (
        time("/state/terminated/startedAt"),
        time("/state/terminated/finishedAt"),
        previous,
    ) {
        let reason = util::s(&status, "/state/terminated/reason").to_string();
        return Ok(Instance {
            started: s,
            ended: Some((e, reason)),
            run_to: run_ms.map(|_| e),
            ..base.clone()
        });
    }
    match (time("/state/running/startedAt"), last, previous) {
        (Some(started), _, false) => Ok(Instance {
            started,
            run_to: run_ms.map(|r| started + r),
            ..base.clone()
        }),
        (Some(_), Some(last), true) => Ok(dead(last)),
        // Waiting to restart: its log is the last run's; `previous` is the
        // one before.
        (None, Some(last), false) => Ok(dead(last)),
        (None, Some(last), true) if util::i(&status, "/restartCount") > 1 => Ok(dead(before(last))),
        (_, _, true) => Err(not_found()),
        (None, None, false) => Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{name}\" is waiting to start: {waiting}"
        ))),
    }
}

/// The options that shape the answer.
struct Shape {
    timestamps: bool,
    tail: Option<usize>,
    limit: Option<usize>,
}

impl Shape {
    fn render(&self, lines: &[Written]) -> String {
        let mut out = String::new();
        for (t, text) in lines {
            if self.timestamps {
                out.push_str(&nano_time(*t));
                out.push(' ');
            }
            out.push_str(text);
            out.push('\n');
        }
        out
    }
}

/// The kubelet's timestamp: RFC 3339 with nanoseconds.
fn nano_time(t: SimTime) -> String {
    match Utc.timestamp_millis_opt(t).single() {
        Some(d) => d.to_rfc3339_opts(SecondsFormat::Nanos, true),
        None => "1970-01-01T00:00:00.000000000Z".into(),
    }
}

fn since(req: &Req, now: SimTime) -> Result<SimTime, ApiError> {
    if let Some(s) = req.q("sinceSeconds") {
        let secs: i64 = s
            .parse()
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| ApiError::bad_request("sinceSeconds must be a positive integer"))?;
        return Ok(now - secs * 1000);
    }
    match req.q("sinceTime") {
        Some(t) => parse_time(t)
            .map(|t| t - 1)
            .ok_or_else(|| ApiError::bad_request(format!("invalid sinceTime {t:?}"))),
        None => Ok(SimTime::MIN),
    }
}

/// Whether the run `inst` of its container is still the running one.
fn still_running(store: &Store, ns: &str, inst: &Instance) -> bool {
    let Some(pod) = store.get(super::resources::Res::Pods, ns, &inst.pod) else {
        return false;
    };
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| util::s(c, "/name") == inst.container))
        .and_then(|c| parse_time(util::s(c, "/state/running/startedAt")))
        == Some(inst.started)
}

/// How the run `inst` ended, if it has: `(finishedAt, reason)`.
fn ended_run(store: &Store, ns: &str, inst: &Instance) -> Option<(SimTime, String)> {
    let pod = store.get(super::resources::Res::Pods, ns, &inst.pod)?;
    let c = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| util::s(c, "/name") == inst.container)?;
    (parse_time(util::s(c, "/state/terminated/startedAt")) == Some(inst.started)).then(|| {
        let end = parse_time(util::s(c, "/state/terminated/finishedAt")).unwrap_or(inst.started);
        (end, util::s(c, "/state/terminated/reason").to_string())
    })
}

pub fn log(app: &App, req: &Req) -> Result<Response, ApiError> {
    let (inst, now) = {
        let st = app.shared.lock();
        let pod = st
            .store
            .get(req.res, req.ns(), pod_name(req))
            .ok_or_else(|| ApiError::not_found(req.res, pod_name(req)))?;
        (instance(&pod, req)?, app.shared.clock.now())
    };
    let shape = Shape {
        timestamps: req.flag("timestamps"),
        tail: req.q("tailLines").and_then(|t| t.parse::<usize>().ok()),
        limit: req.q("limitBytes").and_then(|t| t.parse::<usize>().ok()),
    };
    let mut lines = inst.between(since(req, now)?, now);
    if let Some(n) = shape.tail {
        lines.drain(..lines.len().saturating_sub(n));
    }
    let mut first = shape.render(&lines);
    if let Some(limit) = shape.limit {
        first.truncate(limit.min(first.len()));
        while !first.is_char_boundary(first.len()) {
            first.pop();
        }
    }
    let follow = req.flag("follow") && inst.ended.is_none() && shape.limit.is_none();
    if !follow {
        return Ok(body_response(200, "text/plain", first.into()));
    }
    let (tx, mut out) = mpsc::channel::<Bytes>(16);
    let shared = app.shared.clone();
    let cancel = app.cancel.clone();
    let ns = req.ns().to_string();
    tokio::spawn(async move {
        if !first.is_empty() && tx.send(first.into()).await.is_err() {
            return;
        }
        let mut last = now;
        let mut tick = tokio::time::interval(FOLLOW_EVERY);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tx.closed() => return,
                _ = tick.tick() => {}
            }
            let now = shared.clock.now();
            if !still_running(&shared.lock().store, &ns, &inst) {
                // A Job's run ends with its last words.
                let ended = ended_run(&shared.lock().store, &ns, &inst);
                if let Some(end) = ended.filter(|_| inst.run_to.is_some()) {
                    let done = Instance {
                        ended: Some(end),
                        ..inst.clone()
                    };
                    let new = done.between(last, SimTime::MAX);
                    let _ = tx.send(shape.render(&new).into()).await;
                }
                return;
            }
            let new = inst.between(last, now);
            last = now;
            if !new.is_empty() && tx.send(shape.render(&new).into()).await.is_err() {
                return;
            }
        }
    });
    let stream = futures::stream::poll_fn(move |cx| {
        out.poll_recv(cx)
            .map(|o| o.map(Ok::<Bytes, std::io::Error>))
    });
    Ok(body_response(200, "text/plain", Body::from_stream(stream)))
}
