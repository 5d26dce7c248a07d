//! Kubernetes at scale: building a snapshot from 500 Deployments / 5,000
//! pods / 50 nodes, joining it into the board, and drawing the services
//! pane with the workload columns. Targets (docs/perf.md): frame < 5 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on a broken fixture

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStatus, ReplicaSet, ReplicaSetSpec,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerStatus, Node, NodeCondition, NodeStatus, Pod, PodSpec, PodStatus,
    PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use opsboard::app::{Banner, Keymap, Msg, State, update};
use opsboard::sources::kube::snapshot::{Objects, build};
use opsboard::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn meta(ns: &str, name: &str, uid: &str, owner: Option<(&str, &str, &str)>) -> ObjectMeta {
    ObjectMeta {
        namespace: Some(ns.into()),
        name: Some(name.into()),
        uid: Some(uid.into()),
        owner_references: owner.map(|(kind, name, uid)| {
            vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                name: name.into(),
                uid: uid.into(),
                controller: Some(true),
                ..Default::default()
            }]
        }),
        annotations: Some(BTreeMap::from([(
            "deployment.kubernetes.io/revision".to_string(),
            "1".to_string(),
        )])),
        ..Default::default()
    }
}

fn template(image: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: None,
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "app".into(),
                image: Some(image.into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

/// 500 Deployments × 10 pods over 50 nodes.
fn objects() -> Objects {
    let mut o = Objects::default();
    for n in 0..50 {
        let mut node = Node::default();
        node.metadata.name = Some(format!("node-{n:03}"));
        node.status = Some(NodeStatus {
            conditions: Some(vec![NodeCondition {
                type_: "Ready".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            ..Default::default()
        });
        o.nodes.push(Arc::new(node));
    }
    for d in 0..500 {
        let ns = format!("bench-{:02}", d % 10);
        let name = format!("app-{d:04}");
        let duid = format!("d-{d}");
        let ruid = format!("rs-{d}");
        o.deployments.push(Arc::new(Deployment {
            metadata: meta(&ns, &name, &duid, None),
            spec: Some(DeploymentSpec {
                replicas: Some(10),
                selector: LabelSelector::default(),
                template: template("registry.local/app:1.0.0"),
                ..Default::default()
            }),
            status: Some(DeploymentStatus {
                observed_generation: Some(1),
                replicas: Some(10),
                updated_replicas: Some(10),
                ready_replicas: Some(10),
                available_replicas: Some(10),
                ..Default::default()
            }),
        }));
        o.replicasets.push(Arc::new(ReplicaSet {
            metadata: meta(
                &ns,
                &format!("{name}-abc"),
                &ruid,
                Some(("Deployment", &name, &duid)),
            ),
            spec: Some(ReplicaSetSpec {
                replicas: Some(10),
                selector: LabelSelector::default(),
                template: Some(template("registry.local/app:1.0.0")),
                ..Default::default()
            }),
            status: None,
        }));
        for p in 0..10 {
            o.pods.push(Arc::new(Pod {
                metadata: meta(
                    &ns,
                    &format!("{name}-abc-{p:05}"),
                    &format!("p-{d}-{p}"),
                    Some(("ReplicaSet", &format!("{name}-abc"), &ruid)),
                ),
                spec: Some(PodSpec {
                    node_name: Some(format!("node-{:03}", (d * 10 + p) % 50)),
                    containers: vec![Container {
                        name: "app".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                status: Some(PodStatus {
                    phase: Some("Running".into()),
                    container_statuses: Some(vec![ContainerStatus {
                        name: "app".into(),
                        ready: true,
                        restart_count: p % 3,
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
            }));
        }
    }
    o
}

fn bench(c: &mut Criterion) {
    let o = objects();
    let now = SystemTime::now();
    c.bench_function("kube_snapshot_build_500d_5000p_50n", |b| {
        b.iter(|| build("bench", &o, vec![], now))
    });
    let snap = build("bench", &o, vec![], now);
    c.bench_function("kube_join_snapshot_into_state", |b| {
        b.iter_batched(
            || {
                (
                    State::new(vec![], Keymap::default(), Banner::default(), now),
                    snap.clone(),
                )
            },
            |(mut s, snap)| {
                update(&mut s, Msg::Kube(Box::new(snap)));
                s
            },
            criterion::BatchSize::LargeInput,
        )
    });
    let mut state = State::new(vec![], Keymap::default(), Banner::default(), now);
    update(&mut state, Msg::Kube(Box::new(snap)));
    let theme = Theme::default();
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        state.width = w;
        state.height = h;
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(&format!("render_services_500_workloads_{w}x{h}"), |b| {
            b.iter(|| {
                term.draw(|f| ui::render(f, &state, &theme)).unwrap();
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
