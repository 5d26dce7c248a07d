//! Silencing an alert and expiring a silence in Alertmanager: planned,
//! confirmed and audited like every other action.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use super::catalog::Catalog;
use crate::clients::alertmanager::AmClient;
use crate::model::{
    ActionPlan, ActionRequest, Confirmation, JobResult, Matcher, Outcome, Risk, Target, Verb,
};

/// `user@host` for `createdBy`, like amtool's default. Read once: it does
/// not change while the board runs, and the actor should not touch files
/// per plan.
pub fn created_by() -> String {
    static BY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BY.get_or_init(read_created_by).clone()
}

fn read_created_by() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "opsboard".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

/// A silence's target: the Alertmanager, in the environment it names.
fn target(catalog: &Catalog, server: &str) -> Target {
    Target {
        key: format!("alertmanager/{server}"),
        name: server.to_string(),
        service: None,
        environment: catalog
            .alertmanager_environments
            .iter()
            .find(|(a, _)| a == server)
            .map(|(_, e)| e.clone()),
    }
}

/// Plans a silence or its expiry; `Err` names an unknown Alertmanager.
pub fn plan(
    catalog: &Catalog,
    request: &ActionRequest,
    id: u64,
) -> Result<ActionPlan, (Option<Target>, String)> {
    let (server, verb) = match request {
        ActionRequest::Silence { server, .. } => (server, Verb::Silence),
        ActionRequest::ExpireSilence { server, .. } => (server, Verb::ExpireSilence),
        _ => return Err((None, "not an Alertmanager request".into())),
    };
    if !catalog.alertmanagers.iter().any(|a| a.name == *server) {
        let known: Vec<&str> = catalog
            .alertmanagers
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        return Err((
            Some(target(catalog, server)),
            format!(
                "no Alertmanager `{server}` (configured: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ),
        ));
    }
    let mut parameters = BTreeMap::new();
    let what_will_happen = match request {
        ActionRequest::Silence {
            matchers,
            duration,
            comment,
            ..
        } => {
            let by = created_by();
            parameters.insert("matchers".into(), Matcher::format_list(matchers));
            parameters.insert(
                "duration".into(),
                humantime::format_duration(*duration).to_string(),
            );
            parameters.insert("comment".into(), comment.clone());
            parameters.insert("created_by".into(), by.clone());
            vec![
                format!(
                    "create a silence on Alertmanager {server} for {}",
                    humantime::format_duration(*duration)
                ),
                format!("matching {}", Matcher::format_list(matchers)),
                format!("created by {by}: \"{comment}\""),
                "matching alerts stop notifying until it ends or is expired (E)".into(),
            ]
        }
        ActionRequest::ExpireSilence {
            id: sid, matchers, ..
        } => {
            parameters.insert("silence".into(), sid.clone());
            parameters.insert("matchers".into(), Matcher::format_list(matchers));
            vec![
                format!("expire silence {sid} on Alertmanager {server} now"),
                format!("it matched {}", Matcher::format_list(matchers)),
                "alerts it suppressed notify again".into(),
            ]
        }
        _ => Vec::new(),
    };
    Ok(ActionPlan {
        id,
        target: target(catalog, server),
        verb,
        parameters,
        what_will_happen,
        risk: Risk::Low,
        confirmation: Confirmation::YesNo,
        dry_run: None,
        follow_up: None,
        cancellable: false,
    })
}

fn result(outcome: Outcome, message: String) -> JobResult {
    JobResult {
        outcome,
        message,
        follow_up: None,
        exit_code: None,
    }
}

/// Carries out a confirmed silence plan (its parameters are the ones this
/// layer issued).
pub async fn run(catalog: &Catalog, plan: &ActionPlan) -> JobResult {
    let Some(spec) = catalog
        .alertmanagers
        .iter()
        .find(|a| a.name == plan.target.name)
    else {
        return result(
            Outcome::Failed,
            format!(
                "Alertmanager `{}` is no longer configured",
                plan.target.name
            ),
        );
    };
    let client = match AmClient::new(spec) {
        Ok(c) => c,
        Err(e) => return result(Outcome::Failed, e.to_string()),
    };
    let p = |k: &str| plan.parameters.get(k).cloned().unwrap_or_default();
    match plan.verb {
        Verb::Silence => {
            let matchers = match Matcher::parse_list(&p("matchers")) {
                Ok(m) => m,
                Err(e) => return result(Outcome::Failed, e),
            };
            let duration =
                humantime::parse_duration(&p("duration")).unwrap_or(Duration::from_secs(7200));
            let now = SystemTime::now();
            match client
                .create_silence(
                    &matchers,
                    now,
                    now + duration,
                    &p("created_by"),
                    &p("comment"),
                )
                .await
            {
                Ok(id) => result(Outcome::Succeeded, format!("silence {id} created")),
                Err(e) => result(Outcome::Failed, format!("Alertmanager refused: {e}")),
            }
        }
        Verb::ExpireSilence => {
            let id = p("silence");
            match client.expire_silence(&id).await {
                Ok(()) => result(Outcome::Succeeded, format!("silence {id} expired")),
                Err(e) => result(Outcome::Failed, format!("Alertmanager refused: {e}")),
            }
        }
        _ => result(Outcome::Failed, "not an Alertmanager plan".into()),
    }
}
