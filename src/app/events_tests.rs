//! The Events pane's reducer tests: merging contexts, the filter and the
//! warnings-only switch, and where Enter leads.

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{EventTarget, rows, selected, target};
use crate::app::{Banner, Keymap, Msg, State, View, update};
use crate::model::{
    ClusterEvent, ClusterSnapshot, EventType, HpaInfo, NodeInfo, PodInfo, RolloutState, Workload,
    WorkloadKind, WorkloadRef,
};

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + s)
}

fn pod(name: &str) -> PodInfo {
    PodInfo {
        name: name.into(),
        namespace: "shop".into(),
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
    }
}

fn workload(context: &str, kind: WorkloadKind, name: &str, pods: &[&str]) -> Workload {
    Workload {
        id: WorkloadRef {
            context: context.into(),
            namespace: "shop".into(),
            kind,
            name: name.into(),
        },
        desired: 1,
        ready: 1,
        updated: 1,
        available: 1,
        images: vec![],
        revision: None,
        paused: false,
        rollout: RolloutState::Complete,
        hpa: None,
        pods: pods.iter().map(|p| pod(p)).collect(),
        history: vec![],
        events: vec![],
        stale: None,
    }
}

fn event(
    context: &str,
    ty: EventType,
    kind: &str,
    name: &str,
    reason: &str,
    at: u64,
) -> ClusterEvent {
    ClusterEvent {
        context: context.into(),
        namespace: if kind == "Node" { "default" } else { "shop" }.into(),
        type_: ty,
        reason: reason.into(),
        object_kind: kind.into(),
        object_name: name.into(),
        message: format!("{reason} of {name}"),
        count: 1,
        first: Some(t(at)),
        last: Some(t(at)),
        source: "kubelet".into(),
    }
}

fn node(context: &str, name: &str) -> NodeInfo {
    NodeInfo {
        context: context.into(),
        name: name.into(),
        ready: true,
        pressures: vec![],
        unschedulable: false,
        pods: 0,
        kubelet: None,
        roles: vec![],
        created: None,
    }
}

/// Two contexts: prod (api with an HPA, redis, node-exporter; nodes n1, n2)
/// and staging (a node s1), each with events.
fn board() -> State {
    let mut s = State::new(vec![], Keymap::default(), Banner::default(), t(1000));
    let mut api = workload(
        "prod",
        WorkloadKind::Deployment,
        "api",
        &["api-7b4f9-x2k1q"],
    );
    api.hpa = Some(HpaInfo {
        name: "api-hpa".into(),
        min: 1,
        max: 3,
        current: 1,
        desired: 1,
        cpu_percent: None,
        cpu_target: None,
    });
    use EventType::{Normal, Warning};
    let prod = ClusterSnapshot {
        context: "prod".into(),
        workloads: vec![
            api,
            workload("prod", WorkloadKind::StatefulSet, "redis", &["redis-0"]),
            workload("prod", WorkloadKind::DaemonSet, "node-exporter", &[]),
        ],
        nodes: vec![node("prod", "n1"), node("prod", "n2")],
        events: vec![
            event("prod", Warning, "Pod", "api-7b4f9-x2k1q", "BackOff", 900),
            event(
                "prod",
                Normal,
                "ReplicaSet",
                "api-7b4f9",
                "SuccessfulCreate",
                800,
            ),
            event(
                "prod",
                Normal,
                "Deployment",
                "api",
                "ScalingReplicaSet",
                700,
            ),
            event(
                "prod",
                Normal,
                "StatefulSet",
                "redis",
                "SuccessfulCreate",
                600,
            ),
            event(
                "prod",
                Normal,
                "HorizontalPodAutoscaler",
                "api-hpa",
                "SuccessfulRescale",
                500,
            ),
            event("prod", Warning, "Pod", "api-7b4f9-gone1", "Unhealthy", 400),
            event("prod", Normal, "Pod", "node-exporter-abcde", "Started", 300),
            event("prod", Warning, "Node", "n2", "NodeNotReady", 200),
            event("prod", Normal, "Pod", "batch-job-xyz", "Completed", 100),
        ],
        namespaces: vec![],
        resources: vec![],
        pairs: vec![],
        error: None,
    };
    let staging = ClusterSnapshot {
        context: "staging".into(),
        workloads: vec![],
        nodes: vec![node("staging", "s1")],
        events: vec![event("staging", Warning, "Node", "s1", "Rebooted", 850)],
        namespaces: vec![],
        resources: vec![],
        pairs: vec![],
        error: None,
    };
    update(&mut s, Msg::Kube(Box::new(prod)));
    update(&mut s, Msg::Kube(Box::new(staging)));
    update(&mut s, key('7'));
    s
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn reasons(s: &State) -> Vec<&str> {
    rows(s).iter().map(|e| e.reason.as_str()).collect()
}

/// Moves the cursor to the row with `reason`.
fn select(s: &mut State, reason: &str) {
    update(s, code(KeyCode::Home));
    while selected(s).is_some_and(|e| e.reason != reason) {
        let before = s.events.list.selected;
        update(s, key('j'));
        assert_ne!(before, s.events.list.selected, "no row {reason}");
    }
}

#[test]
fn seven_opens_the_events_of_every_context_newest_first() {
    let s = board();
    assert_eq!(s.view, View::Events);
    assert_eq!(
        reasons(&s),
        [
            "BackOff",
            "Rebooted",
            "SuccessfulCreate",
            "ScalingReplicaSet",
            "SuccessfulCreate",
            "SuccessfulRescale",
            "Unhealthy",
            "Started",
            "NodeNotReady",
            "Completed"
        ]
    );
}

#[test]
fn w_shows_only_warnings_and_the_filter_reads_every_column() {
    let mut s = board();
    update(&mut s, key('w'));
    assert_eq!(
        reasons(&s),
        ["BackOff", "Rebooted", "Unhealthy", "NodeNotReady"]
    );
    update(&mut s, key('w'));
    assert_eq!(rows(&s).len(), 10);
    update(&mut s, key('/'));
    for c in "staging".chars() {
        update(&mut s, key(c));
    }
    assert_eq!(reasons(&s), ["Rebooted"], "by context");
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.events.filter.editing);
    assert_eq!(rows(&s).len(), 10, "Esc clears");
    update(&mut s, key('/'));
    for c in "replicaset/".chars() {
        update(&mut s, key(c));
    }
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(reasons(&s), ["SuccessfulCreate"], "by object");
    assert_eq!(s.events.filter.text, "replicaset/", "Enter keeps it");
    // j/k act on the list again once the filter is kept.
    update(&mut s, key('j'));
    assert_eq!(s.view, View::Events);
}

#[test]
fn the_cursor_moves_and_pages_within_the_events() {
    let mut s = board();
    update(&mut s, key('G'));
    assert_eq!(selected(&s).map(|e| e.reason.as_str()), Some("Completed"));
    update(&mut s, key('g'));
    assert_eq!(s.events.list.selected, 0);
    update(&mut s, code(KeyCode::PageDown));
    assert_eq!(s.events.list.selected, 9, "a page reaches the last of ten");
    update(&mut s, key('k'));
    assert_eq!(s.events.list.selected, 8);
}

#[test]
fn enter_goes_to_the_service_of_the_object() {
    for (reason, service) in [
        ("BackOff", "api"),
        ("SuccessfulCreate", "api"),
        ("ScalingReplicaSet", "api"),
        ("SuccessfulRescale", "api"),
        ("Unhealthy", "api"),
        ("Started", "node-exporter"),
    ] {
        let mut s = board();
        select(&mut s, reason);
        update(&mut s, code(KeyCode::Enter));
        match s.view {
            View::Detail { service: i, .. } => {
                assert_eq!(s.services[i].name, service, "{reason}")
            }
            v => panic!("{reason}: {v:?}"),
        }
    }
    // The StatefulSet's event, by `o`.
    let mut s = board();
    update(&mut s, key('G'));
    for _ in 0..5 {
        update(&mut s, key('k'));
    }
    assert_eq!(
        selected(&s).map(|e| e.object()),
        Some("statefulset/redis".into())
    );
    update(&mut s, key('o'));
    assert!(
        matches!(s.view, View::Detail { service, .. } if s.services[service].name == "redis"),
        "{:?}",
        s.view
    );
}

#[test]
fn enter_on_a_node_event_opens_the_nodes_pane_on_it() {
    let mut s = board();
    select(&mut s, "Rebooted");
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.view, View::Nodes);
    let nodes: Vec<&str> = s
        .clusters
        .values()
        .flat_map(|c| &c.nodes)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(nodes[s.node_list.selected], "s1");
    let mut s = board();
    select(&mut s, "NodeNotReady");
    update(&mut s, key('o'));
    assert_eq!(s.view, View::Nodes);
    assert_eq!(s.node_list.selected, 1, "n2 of prod");
}

#[test]
fn an_object_with_no_service_says_so() {
    let mut s = board();
    select(&mut s, "Completed");
    let e = selected(&s).cloned().unwrap();
    assert!(matches!(target(&s, &e), EventTarget::Nowhere(_)));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(s.view, View::Events);
    let flash = s.flash.as_ref().map(|f| f.text.as_str()).unwrap_or("");
    assert_eq!(flash, "pod/batch-job-xyz has no service on the board");
}

#[test]
fn events_of_a_context_go_with_its_snapshot() {
    let mut s = board();
    let empty = ClusterSnapshot {
        context: "staging".into(),
        workloads: vec![],
        nodes: vec![],
        events: vec![],
        namespaces: vec![],
        resources: vec![],
        pairs: vec![],
        error: Some("kubeconfig: no such context".into()),
    };
    update(&mut s, Msg::Kube(Box::new(empty)));
    assert!(rows(&s).iter().all(|e| e.context == "prod"));
    assert_eq!(rows(&s).len(), 9);
}

#[test]
fn the_selected_event_stays_selected_as_new_ones_arrive() {
    let mut s = board();
    select(&mut s, "Unhealthy");
    let mut newer = ClusterSnapshot {
        context: "staging".into(),
        workloads: vec![],
        nodes: vec![node("staging", "s1")],
        events: vec![
            event("staging", EventType::Warning, "Node", "s1", "Rebooted", 850),
            event("staging", EventType::Normal, "Node", "s1", "NodeReady", 990),
            event("staging", EventType::Normal, "Node", "s1", "Starting", 995),
        ],
        namespaces: vec![],
        resources: vec![],
        pairs: vec![],
        error: None,
    };
    update(&mut s, Msg::Kube(Box::new(newer.clone())));
    assert_eq!(selected(&s).map(|e| e.reason.as_str()), Some("Unhealthy"));
    assert_eq!(s.events.list.selected, 8);
    // On the first row the cursor follows the newest.
    update(&mut s, key('g'));
    newer.events.push(event(
        "staging",
        EventType::Normal,
        "Node",
        "s1",
        "Latest",
        999,
    ));
    update(&mut s, Msg::Kube(Box::new(newer)));
    assert_eq!(selected(&s).map(|e| e.reason.as_str()), Some("Latest"));
}
