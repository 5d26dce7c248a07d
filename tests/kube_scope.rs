//! Switching the Kubernetes scope at runtime against two simulated API
//! servers behind one kubeconfig (contexts `main` and `other`, different
//! worlds): the board's reducer drives the real restartable watch
//! (`KubeWatch`), and what the board sees is swapped — `:ns shop` narrows
//! main to one namespace, `:ns all` widens it again, `:ctx other` shows
//! the other cluster only. After each switch's answer no snapshot of the
//! old scope reaches the board.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

mod support;
use support::kube as kube_support;

use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsboard::app::{Banner, Effect, Keymap, Msg, State, update};
use opsboard::clients::kube::{Clients, KubeSettings};
use opsboard::kube_watch::KubeWatch;
use opsboard::model::ClusterSnapshot;
use opsboard::model::kube_scope::KubeScope;
use opsboard::sim::kube::{SimCluster, World};
use tokio::sync::{mpsc, watch};

const WAIT: Duration = Duration::from_secs(45);

fn main_world() -> World {
    World::empty()
        .node("main-1")
        .namespace("default")
        .namespace("shop")
        .deployment("shop", "scope-web", 1, "registry.local/web:1.0")
        .deployment("default", "scope-nginx", 1, "nginx:1.25.3")
}

fn other_world() -> World {
    World::empty()
        .node("other-1")
        .namespace("billing")
        .deployment("billing", "invoicer", 1, "registry.local/invoicer:2.0")
}

/// The board's reducer over the real watch: messages go through
/// `update`, a switch it asks for goes to the watch.
struct Board {
    state: State,
    watch: KubeWatch,
    rx: mpsc::Receiver<Msg>,
    clients: watch::Receiver<Clients>,
}

impl Board {
    fn apply(&mut self, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::KubeScope { generation, scope } = e {
                self.watch.switch(generation, scope);
            }
        }
    }

    /// Types `:text` and Enter.
    fn command(&mut self, text: &str) {
        let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
        let mut effects = update(&mut self.state, key(KeyCode::Char(':')));
        for c in text.chars() {
            effects.extend(update(&mut self.state, key(KeyCode::Char(c))));
        }
        effects.extend(update(&mut self.state, key(KeyCode::Enter)));
        self.apply(effects);
    }

    /// Applies the source's messages until `done` holds. Every snapshot
    /// that arrives after the answer to the last switch must be of the
    /// scope switched to.
    async fn until(&mut self, what: &str, done: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done(&self.state) {
            let msg = match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(m)) => m,
                Ok(None) => panic!("the watch stopped while waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}; services {:?}, scope {:?}",
                    names(&self.state),
                    self.state.kube_scope
                ),
            };
            if let (Msg::Kube(snap), Some(k)) = (&msg, &self.state.kube_scope)
                && !k.switching
            {
                assert_in_scope(snap, &k.scope);
            }
            let effects = update(&mut self.state, msg);
            self.apply(effects);
        }
    }
}

fn assert_in_scope(snap: &ClusterSnapshot, scope: &KubeScope) {
    assert!(
        scope.contexts.contains(&snap.context),
        "a snapshot of {} after the switch to {scope:?}",
        snap.context
    );
    for w in &snap.workloads {
        assert!(
            scope.namespaces.is_empty() || scope.namespaces.contains(&w.id.namespace),
            "{} after the switch to {scope:?}",
            w.id
        );
    }
}

/// The discovered services, sorted.
fn names(s: &State) -> Vec<String> {
    let mut n: Vec<String> = s.services.iter().map(|x| x.name.clone()).collect();
    n.sort();
    n
}

fn shows(s: &State, expected: &[&str]) -> bool {
    let synced = s
        .kube_scope
        .as_ref()
        .is_some_and(|k| !k.switching && opsboard::app::scope_switch::connecting(s).is_empty());
    synced && names(s) == expected
}

fn label(s: &State) -> String {
    s.kube_scope.as_ref().unwrap().scope.label()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctx_and_ns_swap_what_the_board_sees() {
    let main = kube_support::start(main_world()).await;
    let other = kube_support::start(other_world()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    SimCluster::write_shared_kubeconfig(&path, &[(&main, "main"), (&other, "other")]).unwrap();
    let settings = KubeSettings {
        kubeconfig: Some(path),
        ..Default::default()
    };
    let (tx, rx) = mpsc::channel(1024);
    let (clients_tx, clients) = watch::channel(Clients::default());
    let mut b = Board {
        state: State::new(
            vec![],
            Keymap::default(),
            Banner::default(),
            SystemTime::now(),
        ),
        watch: KubeWatch::start(settings, None, clients_tx, tx),
        rx,
        clients,
    };

    // The kubeconfig's current context, every namespace.
    b.until("main's two workloads", |s| {
        shows(s, &["scope-nginx", "scope-web"])
    })
    .await;
    assert_eq!(label(&b.state), "main/*");
    let k = b.state.kube_scope.clone().unwrap();
    assert_eq!(k.contexts, ["main", "other"]);
    assert_eq!(k.current.as_deref(), Some("main"));
    assert!(b.clients.borrow().get("main").is_some());
    // `:ns` lists main's namespaces, as its Namespace objects say.
    let ns: Vec<String> = opsboard::app::dialogs::palette::palette_view(&b.state, None, None, "ns")
        .into_iter()
        .map(|e| e.label)
        .collect();
    assert!(ns.starts_with(&["ns all".to_string()]), "{ns:?}");
    for n in ["ns default", "ns shop", "ns kube-system"] {
        assert!(ns.iter().any(|x| x == n), "{n} in {ns:?}");
    }
    assert!(!ns.iter().any(|x| x == "ns billing"), "{ns:?}");

    b.command("ns shop");
    assert!(b.state.kube_scope.as_ref().unwrap().switching);
    b.until("main's shop only", |s| shows(s, &["scope-web"]))
        .await;
    assert_eq!(label(&b.state), "main/shop");

    b.command("ns all");
    b.until("main's two workloads again", |s| {
        shows(s, &["scope-nginx", "scope-web"])
    })
    .await;
    assert_eq!(label(&b.state), "main/*");

    b.command("ctx other");
    b.until("the other cluster only", |s| shows(s, &["invoicer"]))
        .await;
    assert_eq!(label(&b.state), "other/*");
    let nodes: Vec<&str> = b
        .state
        .clusters
        .values()
        .flat_map(|c| c.nodes.iter().map(|n| n.name.as_str()))
        .collect();
    assert_eq!(nodes, ["other-1"]);
    // Logs and describe now reach the other cluster, not main.
    let clients = b.clients.borrow().clone();
    assert!(clients.get("other").is_some() && clients.get("main").is_none());

    // A switch while another is still connecting: only the last counts.
    b.command("ctx main");
    b.command("ns shop");
    b.until("main's shop after two quick switches", |s| {
        shows(s, &["scope-web"])
    })
    .await;
    assert_eq!(label(&b.state), "main/shop");
}
