//! The Deployment controller, following `pkg/controller/deployment`: new
//! ReplicaSet per pod template (named by its hash), revisions, rolling
//! update within maxSurge/maxUnavailable, Recreate, pause, proportional
//! scaling, progress conditions and history cleanup.

use serde_json::{Value, json};

use super::deployment_util::*;
use super::events::{self, Source};
use super::{Controllers, get_condition, index_by_owner, set_condition};
use crate::sim::kube::clock::{SimTime, format_time};
use crate::sim::kube::errors::ApiError;
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

mod rollout;

struct Sync<'a> {
    ctl: &'a mut Controllers,
    store: &'a mut Store,
    now: SimTime,
    d: Value,
    /// The Deployment's ReplicaSets, oldest first.
    rss: Vec<Value>,
}

pub fn sync_all(ctl: &mut Controllers, store: &mut Store, now: SimTime) {
    let by_owner = index_by_owner(store, Res::ReplicaSets);
    for d in store.list(Res::Deployments, None) {
        if util::is_deleting(&d) || d.pointer("/spec/selector").is_none() {
            continue;
        }
        let rss: Vec<Value> = by_owner
            .get(util::uid(&d))
            .map(|v| v.iter().map(|r| (**r).clone()).collect())
            .unwrap_or_default();
        let mut s = Sync {
            ctl,
            store,
            now,
            d: (*d).clone(),
            rss,
        };
        s.run();
    }
}

impl Sync<'_> {
    fn ts(&self) -> String {
        format_time(self.now)
    }

    fn write_d(&mut self) {
        if let Ok(v) = self.store.update(Res::Deployments, self.d.clone()) {
            self.d = (*v).clone();
        }
    }

    fn write_rs(&mut self, i: usize, rs: Value) {
        if let Ok(v) = self.store.update(Res::ReplicaSets, rs) {
            self.rss[i] = (*v).clone();
        }
    }

    fn event(&mut self, warning: bool, reason: &str, msg: &str) {
        let d = self.d.clone();
        events::record(
            self.ctl,
            self.store,
            self.now,
            &d,
            Res::Deployments,
            warning,
            reason,
            msg,
            Source {
                component: "deployment-controller",
                host: "",
            },
            "",
        );
    }

    fn run(&mut self) {
        self.check_paused_conditions();
        if util::b(&self.d, "/spec/paused") || self.is_scaling_event() {
            self.sync_scale();
        } else if is_rolling(&self.d) {
            self.rollout_rolling();
        } else {
            self.rollout_recreate();
        }
    }

    fn check_paused_conditions(&mut self) {
        if !has_progress_deadline(&self.d) {
            return;
        }
        let reason = get_condition(&self.d["status"], "Progressing")
            .map(|c| util::s(c, "/reason").to_string())
            .unwrap_or_default();
        if reason == "ProgressDeadlineExceeded" {
            return;
        }
        let paused = util::b(&self.d, "/spec/paused");
        let exists = reason == "DeploymentPaused";
        let ts = self.ts();
        if paused && !exists {
            set_condition(
                &mut self.d["status"],
                "Progressing",
                "Unknown",
                "DeploymentPaused",
                "Deployment is paused",
                &ts,
                true,
            );
        } else if !paused && exists {
            set_condition(
                &mut self.d["status"],
                "Progressing",
                "Unknown",
                "DeploymentResumed",
                "Deployment is resumed",
                &ts,
                true,
            );
        } else {
            return;
        }
        self.write_d();
    }

    fn find_new(&self) -> Option<usize> {
        self.rss.iter().position(|rs| {
            util::templates_equal(&rs["spec"]["template"], &self.d["spec"]["template"])
        })
    }

    fn olds(&self, new: Option<usize>) -> Vec<usize> {
        (0..self.rss.len()).filter(|i| Some(*i) != new).collect()
    }

    /// `getAllReplicaSetsAndSyncRevision`.
    fn new_and_sync_revision(&mut self, create: bool) -> Option<usize> {
        let new = self.find_new();
        let max_old = self
            .olds(new)
            .iter()
            .map(|i| revision(&self.rss[*i]))
            .max()
            .unwrap_or(0);
        let new_revision = max_old + 1;
        let ts = self.ts();
        if let Some(n) = new {
            let mut rs = self.rss[n].clone();
            let changed = set_new_rs_annotations(&self.d, &mut rs, new_revision, true);
            let min_ready = self.d["spec"].get("minReadySeconds").cloned();
            let min_ready_changed = rs["spec"].get("minReadySeconds") != min_ready.as_ref();
            if changed || min_ready_changed {
                match min_ready {
                    Some(m) => rs["spec"]["minReadySeconds"] = m,
                    None => {
                        util::remove(&mut rs, "/spec/minReadySeconds");
                    }
                }
                self.write_rs(n, rs);
                return new;
            }
            let rev = util::annotation(&self.rss[n], REVISION)
                .unwrap_or("")
                .to_string();
            let mut needs = set_deployment_revision(&mut self.d, &rev);
            if has_progress_deadline(&self.d)
                && get_condition(&self.d["status"], "Progressing").is_none()
            {
                let msg = format!("Found new replica set \"{}\"", util::name(&self.rss[n]));
                set_condition(
                    &mut self.d["status"],
                    "Progressing",
                    "True",
                    "FoundNewReplicaSet",
                    &msg,
                    &ts,
                    true,
                );
                needs = true;
            }
            if needs {
                self.write_d();
            }
            return new;
        }
        if !create {
            return None;
        }
        let collision = util::i(&self.d, "/status/collisionCount");
        let hash = util::template_hash(&self.d["spec"]["template"], collision);
        let mut template = self.d["spec"]["template"].clone();
        util::set(
            &mut template,
            "/metadata/labels/pod-template-hash",
            json!(hash),
        );
        let mut selector = self.d["spec"]["selector"].clone();
        util::set(&mut selector, "/matchLabels/pod-template-hash", json!(hash));
        let name = format!("{}-{hash}", util::name(&self.d));
        let mut rs = json!({
            "metadata": {
                "name": name,
                "namespace": util::namespace(&self.d),
                "labels": template["metadata"]["labels"].clone(),
                "ownerReferences": [util::owner_ref(&self.d, "Deployment", "apps/v1")],
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        });
        if let Some(m) = self.d["spec"].get("minReadySeconds") {
            rs["spec"]["minReadySeconds"] = m.clone();
        }
        let mut all: Vec<&Value> = self.rss.iter().collect();
        all.push(&rs);
        let count = self.new_rs_new_replicas(&all, 0);
        rs["spec"]["replicas"] = json!(count);
        set_new_rs_annotations(&self.d, &mut rs, new_revision, false);
        match self.store.create(Res::ReplicaSets, rs) {
            Ok(created) => {
                self.rss.push((*created).clone());
                if count > 0 {
                    self.event(
                        false,
                        "ScalingReplicaSet",
                        &format!("Scaled up replica set {name} from 0 to {count}"),
                    );
                }
                set_deployment_revision(&mut self.d, &new_revision.to_string());
                if has_progress_deadline(&self.d) {
                    let msg = format!("Created new replica set \"{name}\"");
                    set_condition(
                        &mut self.d["status"],
                        "Progressing",
                        "True",
                        "NewReplicaSetCreated",
                        &msg,
                        &ts,
                        true,
                    );
                }
                self.write_d();
                Some(self.rss.len() - 1)
            }
            Err(ApiError { code: 409, .. }) => {
                // A hash collision with a foreign ReplicaSet: try another name.
                self.d["status"]["collisionCount"] = json!(collision + 1);
                self.write_d();
                None
            }
            Err(_) => None,
        }
    }

    /// `NewRSNewReplicas`.
    fn new_rs_new_replicas(&self, all: &[&Value], new_replicas: i64) -> i64 {
        let r = replicas(&self.d);
        if !is_rolling(&self.d) {
            return r;
        }
        let surge = util::int_or_percent(
            self.d.pointer("/spec/strategy/rollingUpdate/maxSurge"),
            r,
            true,
            "25%",
        );
        let current: i64 = all.iter().map(|x| replicas(x)).sum();
        let max_total = r + surge;
        if current >= max_total {
            return new_replicas;
        }
        new_replicas + (max_total - current).min(r - new_replicas)
    }

    fn scale_rs(&mut self, i: usize, new_scale: i64, op: &str) -> bool {
        let r = replicas(&self.d);
        let max = r + max_surge(&self.d);
        let old = replicas(&self.rss[i]);
        let size = old != new_scale;
        if !size && !replicas_annotations_need_update(&self.rss[i], r, max) {
            return false;
        }
        let mut rs = self.rss[i].clone();
        rs["spec"]["replicas"] = json!(new_scale);
        set_replicas_annotations(&mut rs, r, max);
        self.write_rs(i, rs);
        if size {
            let name = util::name(&self.rss[i]).to_string();
            self.event(
                false,
                "ScalingReplicaSet",
                &format!("Scaled {op} replica set {name} from {old} to {new_scale}"),
            );
        }
        size
    }

    fn scale_and_record(&mut self, i: usize, new_scale: i64) -> bool {
        let old = replicas(&self.rss[i]);
        if old == new_scale {
            return false;
        }
        let op = if old < new_scale { "up" } else { "down" };
        self.scale_rs(i, new_scale, op)
    }

    fn is_scaling_event(&mut self) -> bool {
        let new = self.new_and_sync_revision(false);
        let r = replicas(&self.d);
        let mut idx = self.olds(new);
        idx.extend(new);
        idx.iter().any(|i| {
            let rs = &self.rss[*i];
            replicas(rs) > 0
                && util::annotation(rs, DESIRED)
                    .and_then(|d| d.parse::<i64>().ok())
                    .is_some_and(|d| d != r)
        })
    }

    fn all_refs(&self) -> Vec<&Value> {
        self.rss.iter().collect()
    }

    /// `dc.sync`: scaling and status without a rollout.
    fn sync_scale(&mut self) {
        let new = self.new_and_sync_revision(false);
        self.scale(new);
        if util::b(&self.d, "/spec/paused") {
            self.cleanup(new);
        }
        let ts = self.ts();
        let status = calculate_status(&self.d, &self.all_refs(), new.map(|n| &self.rss[n]), &ts);
        if self.d.get("status") != Some(&status) {
            self.d["status"] = status;
            self.write_d();
        }
    }
}
