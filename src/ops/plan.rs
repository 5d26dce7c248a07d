//! Turning a request into a plan: what will happen, in words, with the
//! confirmation the policy demands. Nothing runs here.

use std::collections::BTreeMap;

use super::backup::BackupSource;
use super::catalog::{BackupEntry, Catalog, RunbookDef};
use super::policy::Policy;
use super::runbook;
use crate::model::{ActionPlan, ActionRequest, Confirmation, FollowUp, Risk, Target, Verb};

/// Plans `request`, or says why it is refused. Read-only is checked here
/// (so the operator hears at once) and again at execution.
pub fn plan(
    catalog: &Catalog,
    policy: &Policy,
    request: &ActionRequest,
    id: u64,
) -> Result<ActionPlan, (Option<Target>, String)> {
    let plan = match request {
        ActionRequest::Backup { job } => {
            let b = catalog
                .backup(job)
                .ok_or_else(|| (None, unknown_job(catalog, job)))?;
            backup_plan(b, id)
        }
        ActionRequest::Verify { job } => {
            let b = catalog
                .backup(job)
                .ok_or_else(|| (None, unknown_job(catalog, job)))?;
            verify_plan(b, id)
        }
        ActionRequest::Scale { .. }
        | ActionRequest::Restart { .. }
        | ActionRequest::Rollback { .. }
        | ActionRequest::DeletePod { .. }
        | ActionRequest::Switch { .. }
        | ActionRequest::Cordon { .. }
        | ActionRequest::Uncordon { .. }
        | ActionRequest::Drain { .. } => {
            return Err((None, "Kubernetes requests are planned by ops::kube".into()));
        }
        ActionRequest::DockerRestart { .. }
        | ActionRequest::DockerStop { .. }
        | ActionRequest::DockerStart { .. }
        | ActionRequest::DockerScale { .. }
        | ActionRequest::DockerRollback { .. } => {
            return Err((None, "Docker requests are planned by ops::docker".into()));
        }
        ActionRequest::Exec { .. } => {
            return Err((None, "exec sessions are planned by ops::exec".into()));
        }
        ActionRequest::Silence { .. } | ActionRequest::ExpireSilence { .. } => {
            super::silence::plan(catalog, request, id)?
        }
        ActionRequest::Runbook {
            runbook,
            service,
            host,
            scope,
        } => {
            let def = catalog
                .runbook(runbook, service.as_deref())
                .ok_or_else(|| {
                    let known: Vec<&str> = catalog
                        .runbooks
                        .iter()
                        .filter(|r| r.service.is_none() || r.service == *service)
                        .map(|r| r.name.as_str())
                        .collect();
                    let scope = service
                        .as_deref()
                        .map(|s| format!(" for {s}"))
                        .unwrap_or_default();
                    (
                        None,
                        format!(
                            "no runbook `{runbook}`{scope} (known: {})",
                            if known.is_empty() {
                                "none".into()
                            } else {
                                known.join(", ")
                            }
                        ),
                    )
                })?;
            let resolved =
                super::scope::resolve(catalog, policy, service.as_deref(), host.as_deref(), scope)
                    .map_err(|e| {
                        let unresolved = Target {
                            key: runbook_key(def, service.as_deref(), host.as_deref()),
                            name: host
                                .as_deref()
                                .or(service.as_deref())
                                .unwrap_or(runbook)
                                .into(),
                            service: service.clone(),
                            environment: None,
                        };
                        (Some(unresolved), e)
                    })?;
            runbook_plan(catalog, def, resolved, id)?
        }
    };
    if let Err(reason) = policy.allows(&plan.target) {
        return Err((Some(plan.target), reason));
    }
    if let ActionRequest::Runbook { .. } = request
        && plan.risk == Risk::High
        && policy.read_only
    {
        return Err((
            Some(plan.target),
            "dangerous runbooks are refused in read-only mode".into(),
        ));
    }
    let confirmation = policy.confirmation(&plan.target, plan.confirmation.clone());
    Ok(ActionPlan {
        confirmation,
        ..plan
    })
}

fn unknown_job(catalog: &Catalog, job: &str) -> String {
    let known: Vec<&str> = catalog
        .backups
        .iter()
        .map(|b| b.spec.name.as_str())
        .collect();
    format!(
        "no backup job `{job}` (known: {})",
        if known.is_empty() {
            "none".into()
        } else {
            known.join(", ")
        }
    )
}

fn backup_target(b: &BackupEntry) -> Target {
    Target {
        key: format!("backup/{}", b.spec.name),
        name: b.spec.name.clone(),
        service: Some(b.spec.service.clone()),
        environment: b.environment.clone(),
    }
}

/// A connection string without its password, safe to show.
fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "(connection string)".into(),
    }
}

fn source_words(b: &BackupEntry) -> (String, BTreeMap<String, String>) {
    let mut p = BTreeMap::new();
    p.insert("kind".into(), b.spec.kind().word().into());
    let what = match &b.spec.source {
        BackupSource::Redis {
            address,
            username,
            password,
        } => {
            p.insert("address".into(), address.clone());
            if let Some(u) = username {
                p.insert("username".into(), u.clone());
            }
            if let Some(pw) = password {
                p.insert("password".into(), pw.source().to_string());
            }
            format!(
                "connect to redis at {address} and stream an RDB snapshot (as `redis-cli --rdb` does)"
            )
        }
        BackupSource::Postgres { url } => {
            let shown = redacted_url(url.expose());
            p.insert("url".into(), format!("{} = {shown}", url.source()));
            format!(
                "run `pg_dump --format=custom` against {shown} (password via PGPASSWORD, never in argv)"
            )
        }
        BackupSource::Files { path } => {
            p.insert("path".into(), path.display().to_string());
            format!("archive {} as tar.gz, streaming", path.display())
        }
        BackupSource::Command { argv, compress, .. } => {
            p.insert("command".into(), argv.join(" "));
            format!(
                "run `{}` (no shell) and keep its stdout{}",
                argv.join(" "),
                if *compress { ", gzipped" } else { "" }
            )
        }
    };
    p.insert("dir".into(), b.spec.dir.display().to_string());
    (what, p)
}

fn backup_plan(b: &BackupEntry, id: u64) -> ActionPlan {
    let (what, mut parameters) = source_words(b);
    let file = format!("{}_<UTC time>.{}", b.spec.name, b.spec.extension());
    let mut steps = vec![
        what,
        format!(
            "write {} via a temp file, fsync, rename; SHA-256 beside it",
            b.spec.dir.join(file).display()
        ),
        format!("verify it: {}", verify_words(b)),
    ];
    let mut keep = Vec::new();
    if let Some(n) = b.spec.keep_last {
        keep.push(format!("keep the newest {n}"));
        parameters.insert("keep_last".into(), n.to_string());
    }
    if let Some(a) = b.spec.max_age {
        keep.push(format!(
            "delete those older than {}",
            humantime::format_duration(a)
        ));
        parameters.insert("max_age".into(), humantime::format_duration(a).to_string());
    }
    if !keep.is_empty() {
        steps.push(format!(
            "retention: {} (never the backup just written, the newest verified one, or files opsboard did not write)",
            keep.join(", ")
        ));
    }
    steps.push(format!(
        "give up after {}",
        humantime::format_duration(b.spec.timeout)
    ));
    ActionPlan {
        id,
        target: backup_target(b),
        verb: Verb::Backup,
        parameters,
        what_will_happen: steps,
        risk: Risk::Low,
        confirmation: Confirmation::YesNo,
        dry_run: None,
        follow_up: None,
        cancellable: true,
    }
}

fn verify_words(b: &BackupEntry) -> String {
    let mut checks = vec!["checksum"];
    match &b.spec.source {
        BackupSource::Redis { .. } => checks.push("redis-check-rdb"),
        BackupSource::Postgres { .. } => checks.push("pg_restore --list"),
        BackupSource::Files { .. } => checks.extend(["gzip integrity", "tar listing"]),
        BackupSource::Command { compress: true, .. } => checks.push("gzip integrity"),
        BackupSource::Command { .. } => {}
    }
    checks.join(", ")
}

fn verify_plan(b: &BackupEntry, id: u64) -> ActionPlan {
    let (_, mut parameters) = source_words(b);
    parameters.retain(|k, _| k == "kind" || k == "dir");
    ActionPlan {
        id,
        target: backup_target(b),
        verb: Verb::Verify,
        parameters,
        what_will_happen: vec![
            format!("re-read the newest backup in {}", b.spec.dir.display()),
            format!("check: {}", verify_words(b)),
            "record the result beside the file".into(),
        ],
        risk: Risk::Low,
        confirmation: Confirmation::YesNo,
        dry_run: None,
        follow_up: None,
        cancellable: false,
    }
}

/// A runbook's plan. With a `host` (an instance picked in the Fleet pane
/// or `--host`) the target is that host, so runbooks on different hosts
/// run at once and two on the same host do not; the service, when given,
/// is kept so its environment's rules still apply.
fn runbook_plan(
    _catalog: &Catalog,
    def: &RunbookDef,
    resolved: super::scope::Resolved,
    id: u64,
) -> Result<ActionPlan, (Option<Target>, String)> {
    let values = resolved.values;
    let service = values.service.as_deref();
    let host = values.host.as_deref();
    let target = Target {
        key: runbook_key(def, service, host),
        name: host.or(service).unwrap_or(&def.name).to_string(),
        service: service.map(str::to_string),
        environment: resolved.environment,
    };
    let argv = runbook::render_argv(def, &values).map_err(|e| (Some(target.clone()), e))?;
    let mut parameters = BTreeMap::new();
    parameters.insert("argv".into(), shown_argv(&argv));
    // The actor renders from these, the confirmed plan, not from
    // anything sent later.
    for (key, value) in [
        ("host", &values.host),
        ("context", &values.context),
        ("namespace", &values.namespace),
        ("container", &values.container),
    ] {
        if let Some(v) = value {
            parameters.insert(key.into(), v.clone());
        }
    }
    if let Some(env) = &target.environment {
        parameters.insert("environment".into(), env.clone());
    }
    if let Some(cwd) = &def.cwd {
        parameters.insert("cwd".into(), cwd.display().to_string());
    }
    for (k, v) in &def.env {
        let shown = match v {
            crate::model::secret::HeaderValue::Plain(s) => s.clone(),
            crate::model::secret::HeaderValue::Secret(s) => s.source().to_string(),
        };
        parameters.insert(format!("env.{k}"), shown);
    }
    let mut steps = vec![
        match host {
            Some(h) => format!("run {} against host {h} (no shell)", shown_argv(&argv)),
            None => format!("run {} (no shell)", shown_argv(&argv)),
        },
        format!(
            "stream its output here; kill it after {}",
            humantime::format_duration(def.timeout)
        ),
    ];
    if let Some(d) = &def.description {
        steps.insert(0, d.clone());
    }
    let follow_up = match (def.verify_health_within, service) {
        (Some(within), Some(s)) => Some(FollowUp::HealthUp {
            service: s.to_string(),
            within,
        }),
        _ => None,
    };
    Ok(ActionPlan {
        id,
        target,
        verb: Verb::Runbook(def.name.clone()),
        parameters,
        what_will_happen: steps,
        risk: if def.dangerous {
            Risk::High
        } else {
            Risk::Medium
        },
        confirmation: if def.confirm {
            Confirmation::YesNo
        } else {
            Confirmation::None
        },
        dry_run: None,
        follow_up,
        cancellable: true,
    })
}

/// What a runbook run occupies: its host, else its service, else itself.
fn runbook_key(def: &RunbookDef, service: Option<&str>, host: Option<&str>) -> String {
    match (host, service) {
        (Some(h), _) => format!("host/{h}"),
        (None, Some(s)) => format!("service/{s}"),
        (None, None) => format!("runbook/{}", def.name),
    }
}

/// argv as a shell would need it quoted, for display only.
pub fn shown_argv(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
