//! One look at a cluster context, for the one-shot commands: every
//! resource type the board watches, listed once (not watched), and built
//! into the same snapshot the board receives. A list that fails is said
//! as the watcher says it (RBAC refusals, HTTP status, the fault).

use std::fmt::Debug;
use std::sync::Arc;
use std::time::SystemTime;

use futures::future::join_all;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{
    ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet,
};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod, Service};
use kube::api::ListParams;
use kube::runtime::watcher;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

use super::{api, classify, snapshot};
use crate::clients::kube::Connected;
use crate::model::{ClusterSnapshot, ResourceStatus};

/// The context's snapshot now; a context that could not be connected to
/// is a snapshot with `error` set, as the board's source sends it.
pub async fn list_once(connected: Connected, namespaces: &[String]) -> ClusterSnapshot {
    let client = match connected.client {
        Ok(c) => c,
        Err(e) => {
            return ClusterSnapshot {
                context: connected.context,
                workloads: vec![],
                nodes: vec![],
                events: vec![],
                resources: vec![],
                namespaces: vec![],
                pairs: vec![],
                error: Some(e.to_string()),
            };
        }
    };
    let scopes: Vec<Option<&str>> = if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().map(|n| Some(n.as_str())).collect()
    };
    let c = &client;
    let s = &scopes;
    let (deployments, statefulsets, daemonsets, replicasets, revisions) = tokio::join!(
        namespaced::<Deployment>(c, s, "deployments"),
        namespaced::<StatefulSet>(c, s, "statefulsets"),
        namespaced::<DaemonSet>(c, s, "daemonsets"),
        namespaced::<ReplicaSet>(c, s, "replicasets"),
        namespaced::<ControllerRevision>(c, s, "controllerrevisions"),
    );
    let (pods, hpas, events, nodes, services) = tokio::join!(
        namespaced::<Pod>(c, s, "pods"),
        namespaced::<HorizontalPodAutoscaler>(c, s, "horizontalpodautoscalers"),
        namespaced::<Event>(c, s, "events"),
        listed(vec![(None, Api::<Node>::all(client.clone()))], "nodes"),
        namespaced::<Service>(c, s, "services"),
    );
    let resources = vec![
        deployments.1,
        statefulsets.1,
        daemonsets.1,
        replicasets.1,
        revisions.1,
        pods.1,
        hpas.1,
        events.1,
        nodes.1,
        services.1,
    ];
    let objects = snapshot::Objects {
        deployments: deployments.0,
        statefulsets: statefulsets.0,
        daemonsets: daemonsets.0,
        replicasets: replicasets.0,
        revisions: revisions.0,
        pods: pods.0,
        nodes: nodes.0,
        hpas: hpas.0,
        events: events.0,
        services: services.0,
        // Only `:ns` lists them; a snapshot does not.
        namespaces: vec![],
    };
    snapshot::build(&connected.context, &objects, resources, SystemTime::now())
}

type Listed<K> = (Vec<Arc<K>>, (String, ResourceStatus));

async fn namespaced<K>(client: &Client, scopes: &[Option<&str>], name: &'static str) -> Listed<K>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug,
    K::DynamicType: Default,
{
    let apis = scopes
        .iter()
        .map(|ns| (*ns, api::<K>(client, *ns)))
        .collect();
    listed(apis, name).await
}

/// Every object of one type in the scopes of `apis`, and how listing went
/// (the last failure, if any scope failed).
async fn listed<K>(apis: Vec<(Option<&str>, Api<K>)>, name: &'static str) -> Listed<K>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let params = ListParams::default();
    let lists = join_all(apis.iter().map(|(_, a)| a.list(&params))).await;
    let mut items = Vec::new();
    let mut status = ResourceStatus::Ok;
    for ((ns, _), list) in apis.iter().zip(lists) {
        match list {
            Ok(l) => items.extend(l.items.into_iter().map(Arc::new)),
            Err(e) => {
                let e = watcher::Error::InitialListFailed(e);
                status = classify(&e, name, *ns, None, SystemTime::now());
            }
        }
    }
    (items, (name.to_string(), status))
}
