//! Switching the Kubernetes scope from the palette (`:ctx`, `:ns`): the
//! effects asked for, what the board forgets, and the old scope's
//! snapshots dropped until the source answers.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::dialogs::palette::palette_view;
use crate::app::{Banner, Effect, Keymap, Msg, State, View, update};
use crate::model::kube_scope::{KubeScope, ScopeReport};
use crate::model::{
    ClusterSnapshot, NodeInfo, PodInfo, ResourceStatus, RolloutState, Service, Workload,
    WorkloadKind, WorkloadRef,
};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn scope(contexts: &[&str], namespaces: &[&str]) -> KubeScope {
    KubeScope {
        contexts: contexts.iter().map(|s| s.to_string()).collect(),
        namespaces: namespaces.iter().map(|s| s.to_string()).collect(),
    }
}

fn report(generation: u64, scope: KubeScope) -> Msg {
    Msg::KubeScope(ScopeReport {
        generation,
        scope,
        contexts: vec!["prod".into(), "staging".into()],
        current: Some("prod".into()),
    })
}

fn wref(context: &str, ns: &str, name: &str) -> WorkloadRef {
    WorkloadRef {
        context: context.into(),
        namespace: ns.into(),
        kind: WorkloadKind::Deployment,
        name: name.into(),
    }
}

fn workload(id: WorkloadRef) -> Workload {
    let pod = PodInfo {
        name: format!("{}-7b4f9-x2k1q", id.name),
        namespace: id.namespace.clone(),
        phase: "Running".into(),
        ready_containers: 1,
        containers: 1,
        container_names: vec!["app".into()],
        restarts: 0,
        waiting_reason: None,
        last_termination: None,
        node: Some("n1".into()),
        created: Some(t(0)),
        deleting: false,
    };
    Workload {
        id,
        desired: 1,
        ready: 1,
        updated: 1,
        available: 1,
        images: vec![],
        revision: None,
        paused: false,
        rollout: RolloutState::Complete,
        hpa: None,
        pods: vec![pod],
        history: vec![],
        events: vec![],
        stale: None,
    }
}

fn snapshot(context: &str, workloads: &[(&str, &str)], status: ResourceStatus) -> ClusterSnapshot {
    ClusterSnapshot {
        context: context.into(),
        workloads: workloads
            .iter()
            .map(|(ns, n)| workload(wref(context, ns, n)))
            .collect(),
        nodes: vec![NodeInfo {
            context: context.into(),
            name: "n1".into(),
            ready: true,
            pressures: vec![],
            unschedulable: false,
            pods: 2,
            kubelet: None,
            roles: vec![],
            created: None,
        }],
        events: vec![],
        namespaces: vec!["default".into(), "ml".into(), "shop".into()],
        resources: ["deployments", "pods"]
            .iter()
            .map(|r| (r.to_string(), status.clone()))
            .collect(),
        pairs: vec![],
        error: None,
    }
}

/// `api` is configured (bound to prod/shop/api); prod's `worker` is
/// discovered. The source has reported prod/* as watched.
fn board() -> State {
    let mut api = Service::new("api");
    api.kube_binding = Some(wref("prod", "shop", "api"));
    let mut s = State::new(vec![api], Keymap::default(), Banner::default(), t(100));
    update(&mut s, report(0, scope(&["prod"], &[])));
    update(
        &mut s,
        Msg::Kube(Box::new(snapshot(
            "prod",
            &[("shop", "api"), ("default", "worker")],
            ResourceStatus::Ok,
        ))),
    );
    assert_eq!(s.services.len(), 2, "{:?}", s.services);
    s
}

/// Types `:` and `text`, then Enter; the effects of Enter.
fn command(s: &mut State, text: &str) -> Vec<Effect> {
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    update(s, key(KeyCode::Char(':')));
    for c in text.chars() {
        update(s, key(KeyCode::Char(c)));
    }
    update(s, key(KeyCode::Enter))
}

fn switched_to(generation: u64, s: KubeScope) -> Vec<Effect> {
    vec![Effect::KubeScope {
        generation,
        scope: s,
    }]
}

fn flash(s: &State) -> (&str, bool) {
    s.flash
        .as_ref()
        .map_or(("", false), |f| (f.text.as_str(), f.error))
}

#[test]
fn ctx_lists_the_kubeconfigs_contexts_watched_and_current_marked() {
    let s = board();
    let entries = palette_view(&s, None, None, "ctx");
    let lines: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.label.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("ctx prod", "context · watched · current-context"),
            ("ctx staging", "context"),
        ]
    );
    // They fuzzy-match like the rest of the palette, also without `ctx`.
    let entries = palette_view(&s, None, None, "ctx stg");
    assert_eq!(entries[0].label, "ctx staging");
    assert!(
        palette_view(&s, None, None, "stag")
            .iter()
            .any(|e| e.label == "ctx staging")
    );
    // Opened empty, the palette is the service's actions only.
    assert!(
        palette_view(&s, None, None, "")
            .iter()
            .all(|e| !e.label.starts_with("ctx") && !e.label.starts_with("ns "))
    );
}

#[test]
fn ctx_name_switches_and_the_old_scope_is_forgotten() {
    let mut s = board();
    let effects = command(&mut s, "ctx staging");
    assert_eq!(effects, switched_to(1, scope(&["staging"], &[])));
    assert!(s.dialog.is_none());
    // The configured service stays, without its workload; the discovered
    // one goes with its cluster.
    assert_eq!(s.services.len(), 1);
    assert_eq!(s.services[0].name, "api");
    assert!(s.services[0].workload.is_none());
    assert!(s.clusters.is_empty());
    assert!(s.fleet.others_stale);
    let k = s.kube_scope.as_ref().unwrap();
    assert!(k.switching);
    assert_eq!(k.scope, scope(&["staging"], &[]));
    // The panes say why they are empty.
    assert_eq!(
        connecting_words(&s).as_deref(),
        Some("connecting to staging…")
    );
    assert!(s.notice().unwrap().starts_with("connecting to staging…"));
    // Fuzzy: `stg` is staging too; watching it already says so.
    assert!(command(&mut s, "ctx stg").is_empty());
    assert_eq!(flash(&s), ("already watching ⎈ staging/*", false));
}

#[test]
fn an_unknown_context_is_an_error_naming_the_known_ones() {
    let mut s = board();
    assert!(command(&mut s, "ctx nope").is_empty());
    assert_eq!(
        flash(&s),
        (
            "no context `nope` in the kubeconfig (has: prod, staging)",
            true
        )
    );
    // Nothing was forgotten.
    assert_eq!(s.services.len(), 2);
    assert!(!s.kube_scope.as_ref().unwrap().switching);
    assert!(command(&mut s, "ctx prod,nope").is_empty());
    assert!(
        flash(&s).0.starts_with("no context `nope`"),
        "{:?}",
        flash(&s)
    );
}

#[test]
fn ns_lists_all_first_then_the_clusters_namespaces() {
    let s = board();
    let labels: Vec<String> = palette_view(&s, None, None, "ns")
        .into_iter()
        .map(|e| format!("{} | {}", e.label, e.detail))
        .collect();
    assert_eq!(
        labels,
        [
            "ns all | all namespaces · watched",
            "ns default | namespace",
            "ns ml | namespace",
            "ns shop | namespace",
        ]
    );
}

#[test]
fn ns_narrows_widens_and_takes_several() {
    let mut s = board();
    assert_eq!(
        command(&mut s, "ns shop"),
        switched_to(1, scope(&["prod"], &["shop"]))
    );
    update(&mut s, report(1, scope(&["prod"], &["shop"])));
    assert_eq!(
        command(&mut s, "ns all"),
        switched_to(2, scope(&["prod"], &[]))
    );
    update(&mut s, report(2, scope(&["prod"], &[])));
    update(
        &mut s,
        Msg::Kube(Box::new(snapshot("prod", &[], ResourceStatus::Ok))),
    );
    assert_eq!(
        command(&mut s, "ns shop,ml"),
        switched_to(3, scope(&["prod"], &["shop", "ml"]))
    );
    assert_eq!(
        command(&mut s, "ns *"),
        switched_to(4, scope(&["prod"], &[]))
    );
    // `:ctx` keeps the namespaces, `:ns` the contexts.
    assert_eq!(
        command(&mut s, "ns ml"),
        switched_to(5, scope(&["prod"], &["ml"]))
    );
    assert_eq!(
        command(&mut s, "ctx staging"),
        switched_to(6, scope(&["staging"], &["ml"]))
    );
}

#[test]
fn a_namespace_the_cluster_does_not_have_is_refused_while_it_lists_them() {
    let mut s = board();
    assert!(command(&mut s, "ns nope").is_empty());
    assert_eq!(
        flash(&s),
        ("no namespace `nope` in prod (has: default, ml, shop)", true)
    );
    assert!(command(&mut s, "ns Bad_Name").is_empty());
    assert!(flash(&s).0.contains("`Bad_Name` is not a namespace name"));
    // A cluster that does not let its namespaces be listed: taken as typed.
    s.clusters.values_mut().for_each(|c| c.namespaces.clear());
    assert_eq!(
        command(&mut s, "ns payments"),
        switched_to(1, scope(&["prod"], &["payments"]))
    );
}

#[test]
fn the_old_scopes_snapshots_are_dropped_until_the_source_answers() {
    let mut s = board();
    command(&mut s, "ctx staging");
    let prod = snapshot("prod", &[("default", "worker")], ResourceStatus::Ok);
    // Still queued from the old source.
    update(&mut s, Msg::Kube(Box::new(prod.clone())));
    assert!(s.clusters.is_empty());
    assert_eq!(s.services.len(), 1);
    // An answer to an older switch changes nothing.
    update(&mut s, report(0, scope(&["prod"], &[])));
    assert!(s.kube_scope.as_ref().unwrap().switching);
    update(&mut s, report(1, scope(&["staging"], &[])));
    assert!(!s.kube_scope.as_ref().unwrap().switching);
    // A context no longer watched stays out.
    update(&mut s, Msg::Kube(Box::new(prod)));
    assert!(s.clusters.is_empty());
    // The new scope, syncing: still connecting; listed: shown.
    update(
        &mut s,
        Msg::Kube(Box::new(snapshot("staging", &[], ResourceStatus::Syncing))),
    );
    assert_eq!(connecting(&s), ["staging"]);
    update(
        &mut s,
        Msg::Kube(Box::new(snapshot(
            "staging",
            &[("default", "batch")],
            ResourceStatus::Ok,
        ))),
    );
    assert!(connecting(&s).is_empty());
    assert!(s.notice().is_none());
    assert!(s.services.iter().any(|x| x.name == "batch"));
}

#[test]
fn views_of_the_old_scope_go_back_to_their_pane() {
    let mut s = board();
    let worker = s.services.iter().position(|x| x.name == "worker").unwrap();
    s.view = View::Detail {
        service: worker,
        scroll: 0,
    };
    command(&mut s, "ns shop");
    assert_eq!(s.view, View::Services);

    let mut s = board();
    let api = s.services.iter().position(|x| x.name == "api").unwrap();
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
    );
    s.view = View::Logs {
        service: api,
        from: crate::app::Pane::Events,
    };
    let effects = command(&mut s, "ctx staging");
    assert!(effects.contains(&Effect::StopLogs), "{effects:?}");
    assert_eq!(s.view, View::Events);
}

#[test]
fn without_kubernetes_the_palette_says_so() {
    let mut s = State::new(vec![], Keymap::default(), Banner::default(), t(0));
    assert!(palette_view(&s, None, None, "ctx").is_empty());
    assert!(command(&mut s, "ctx prod").is_empty());
    let (text, error) = flash(&s);
    assert!(error && text.contains("no Kubernetes"), "{text}");
}
