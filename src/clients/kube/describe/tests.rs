use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::*;
use crate::model::WorkloadKind;
use crate::model::document::LineKind;

fn now() -> SystemTime {
    // 2026-01-01T12:00:00Z
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_268_800)
}

fn shown(d: &Document) -> String {
    d.lines
        .iter()
        .map(|l| l.shown(false))
        .collect::<Vec<_>>()
        .join("\n")
}

fn has(all: &str, want: &str) {
    assert!(all.contains(want), "missing {want:?} in\n{all}");
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "api",
            "namespace": "shop",
            "creationTimestamp": "2026-01-01T10:00:00Z",
            "labels": {"app": "api", "tier": "web"},
            "annotations": {
                "deployment.kubernetes.io/revision": "2",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"huge\": true}",
                "note": "x".repeat(200)
            }
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "api"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {
                    "containers": [{
                        "name": "api",
                        "image": "shop/api:1.4",
                        "ports": [{"containerPort": 8080}],
                        "env": [
                            {"name": "DB_PASSWORD", "value": "canary-xyz"},
                            {"name": "LOG_LEVEL", "value": "info"},
                            {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}
                        ],
                        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}},
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5},
                        "readinessProbe": {"tcpSocket": {"port": 8080}},
                        "volumeMounts": [{"name": "cache", "mountPath": "/cache", "readOnly": true}]
                    }],
                    "volumes": [{"name": "cache", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "api-cfg"}}]
                }
            }
        },
        "status": {
            "replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2, "unavailableReplicas": 1,
            "conditions": [
                {"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability."},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ]
        }
    })
}

#[test]
fn a_deployment_has_kubectls_sections() {
    let d = Described {
        object: deployment(),
        events: vec![
            json!({"type": "Normal", "reason": "ScalingReplicaSet", "count": 1,
                   "lastTimestamp": "2026-01-01T11:55:00Z", "source": {"component": "deployment-controller"},
                   "message": "Scaled up replica set api-7b4 to 3"}),
            json!({"type": "Warning", "reason": "FailedCreate", "count": 4,
                   "lastTimestamp": "2026-01-01T11:59:30Z", "source": {"component": "replicaset-controller"},
                   "message": "quota exceeded\u{1b}[2J"}),
        ],
        ..Default::default()
    };
    let doc = describe(ObjectKind::Workload(WorkloadKind::Deployment), &d, now());
    let all = shown(&doc);
    for want in [
        "Name:          api",
        "Namespace:     shop",
        "Labels:        app=api",
        "               tier=web",
        "Annotations:   deployment.kubernetes.io/revision: 2",
        "Selector:      app=api",
        "Replicas:      3 desired | 3 updated | 3 total | 2 ready | 2 available | 1 unavailable",
        "Strategy:      RollingUpdate",
        "Rolling:       25% max unavailable, 1 max surge",
        "Conditions:",
        "  Available    False   MinimumReplicasUnavailable — Deployment does not have minimum availability.",
        "Pod Template:",
        "     Image:       shop/api:1.4",
        "     Ports:       8080/TCP",
        "     Limits:      cpu: 500m, memory: 256Mi",
        "     Requests:    cpu: 100m",
        "     Liveness:    http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3",
        "     Readiness:   tcp-socket :8080",
        "       DB_PASSWORD=••••••",
        "       LOG_LEVEL=info",
        "       API_TOKEN=<set to the key 'token' in secret 'api'>",
        "     Mounts:      /cache from cache (ro)",
        "     Type:        EmptyDir",
        "     Type:        ConfigMap (api-cfg)",
        "Events:",
        "  Normal   ScalingReplicaSet  5m      deployment-controller",
        "  Warning  FailedCreate       30s (x4) replicaset-controller",
    ] {
        has(&all, want);
    }
    assert!(!all.contains("canary-xyz"));
    assert!(!all.contains("last-applied"), "{all}");
    assert!(!all.contains(&"x".repeat(100)), "annotations are trimmed");
    assert!(
        !all.chars()
            .any(|c| c != '\n' && crate::model::text::is_unsafe_char(c))
    );
    // Conditions come before the pod template, events last.
    let at = |s: &str| all.find(s).unwrap(); // ok: a test; a missing section fails it here
    assert!(at("Conditions:") < at("Pod Template:"));
    assert!(at("Pod Template:") < at("Events:"));
    let warn = doc
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Warning)
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>();
    assert!(
        warn.iter()
            .any(|l| l.contains("MinimumReplicasUnavailable"))
    );
    assert!(warn.iter().any(|l| l.contains("FailedCreate")));
    assert!(!warn.iter().any(|l| l.contains("NewReplicaSetAvailable")));
}

#[test]
fn a_crash_looping_pod_shows_state_and_last_state() {
    let pod = json!({
        "kind": "Pod",
        "metadata": {"name": "worker-5d9-abc", "namespace": "shop", "creationTimestamp": "2026-01-01T11:00:00Z",
                     "ownerReferences": [{"kind": "ReplicaSet", "name": "worker-5d9"}]},
        "spec": {"nodeName": "node-2", "containers": [{"name": "worker", "image": "shop/worker:2"}],
                 "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "worker-data"}}]},
        "status": {
            "phase": "Running", "podIP": "10.1.2.3", "hostIP": "192.168.0.2", "qosClass": "BestEffort",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{
                "name": "worker", "ready": false, "restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": "2026-01-01T11:58:00Z"}}
            }]
        }
    });
    let d = Described {
        object: pod,
        ..Default::default()
    };
    let all = shown(&describe(ObjectKind::Pod, &d, now()));
    for want in [
        "Controlled By: ReplicaSet/worker-5d9",
        "Status:        Running",
        "Node:          node-2",
        "IP:            10.1.2.3",
        "  Ready  False   ContainersNotReady",
        "   State:       Waiting (CrashLoopBackOff): back-off 5m0s",
        "   Last State:  Terminated (Error, exit code 1, finished 2026-01-01T11:58:00Z)",
        "   Restarts:    7",
        "   Type:        PersistentVolumeClaim (claim worker-data)",
        "Events:\n  <none>",
    ] {
        has(&all, want);
    }
}

#[test]
fn a_node_shows_capacity_taints_and_pods() {
    let node = json!({
        "kind": "Node",
        "metadata": {"name": "node-2", "labels": {"node-role.kubernetes.io/worker": ""}},
        "spec": {"unschedulable": true, "taints": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}]},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "True", "reason": "KubeletHasInsufficientMemory"},
                {"type": "Ready", "status": "True", "reason": "KubeletReady"}
            ],
            "addresses": [{"type": "InternalIP", "address": "192.168.0.2"}],
            "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "7500m"},
            "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "Ubuntu 24.04", "architecture": "amd64"}
        }
    });
    let d = Described {
        object: node,
        node_pods: vec![json!({"metadata": {"namespace": "shop", "name": "api-1"}})],
        events_error: Some("forbidden (RBAC): events is forbidden".into()),
        ..Default::default()
    };
    let doc = describe(ObjectKind::Node, &d, now());
    let all = shown(&doc);
    for want in [
        "Roles:         worker",
        "Taints:        gpu=true:NoSchedule",
        "Unschedulable: true (cordoned)",
        "  MemoryPressure  True    KubeletHasInsufficientMemory",
        "  InternalIP: 192.168.0.2",
        "Capacity:\n  cpu: 8\n  memory: 32Gi\n  pods: 110",
        "Allocatable:\n  cpu: 7500m",
        "  Kubelet Version:   v1.33.1",
        "Non-terminated Pods: (1 in total)",
        "  shop                 api-1",
        "(events could not be listed: forbidden (RBAC): events is forbidden)",
    ] {
        has(&all, want);
    }
    let pressure = doc
        .lines
        .iter()
        .find(|l| l.text.contains("MemoryPressure"))
        .unwrap(); // ok: a test; no MemoryPressure line fails it here
    assert_eq!(pressure.kind, LineKind::Warning);
}

#[test]
fn garbage_does_not_panic() {
    for kind in [
        ObjectKind::Workload(WorkloadKind::StatefulSet),
        ObjectKind::Workload(WorkloadKind::DaemonSet),
        ObjectKind::Pod,
        ObjectKind::Node,
    ] {
        for object in [
            json!(null),
            json!([1, 2]),
            json!({"spec": {"template": {"spec": {"containers": "x"}}}, "status": {"containerStatuses": [{"state": 1}]}}),
        ] {
            let d = Described {
                object,
                events: vec![json!({"lastTimestamp": "yesterday"})],
                ..Default::default()
            };
            let doc = describe(kind, &d, now());
            assert!(shown(&doc).contains("Events:"));
        }
    }
    assert_eq!(age(now(), "not a time"), "<unknown>");
}
