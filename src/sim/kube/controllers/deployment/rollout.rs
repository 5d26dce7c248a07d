//! The rollout half of the Deployment controller: proportional scaling,
//! rolling and Recreate rollouts, history cleanup and the Progressing
//! condition (`syncRolloutStatus`).

use std::sync::Arc;

use serde_json::{Value, json};

use super::Sync;
use crate::sim::kube::controllers::deployment_util::*;
use crate::sim::kube::controllers::{get_condition, remove_condition, set_condition};
use crate::sim::kube::resources::Res;
use crate::sim::kube::util;

impl Sync<'_> {
    /// `dc.scale`: the active (or newest) ReplicaSet takes the new size, or
    /// all active ones grow or shrink in proportion.
    pub(super) fn scale(&mut self, new: Option<usize>) {
        let r = replicas(&self.d);
        let mut olds = self.olds(new);
        olds.reverse();
        let mut active: Vec<usize> = olds
            .iter()
            .copied()
            .chain(new)
            .filter(|i| replicas(&self.rss[*i]) > 0)
            .collect();
        let target = match active.len() {
            0 => new.or(olds.first().copied()),
            1 => Some(active[0]),
            _ => None,
        };
        if let Some(t) = target {
            if replicas(&self.rss[t]) != r {
                self.scale_and_record(t, r);
            }
            return;
        }
        if let Some(n) = new {
            let rs = &self.rss[n];
            let saturated = replicas(rs) == r
                && util::annotation(rs, DESIRED) == Some(r.to_string().as_str())
                && util::i(rs, "/status/availableReplicas") == r;
            if saturated {
                for o in self.olds(new) {
                    if replicas(&self.rss[o]) > 0 {
                        self.scale_and_record(o, 0);
                    }
                }
                return;
            }
        }
        if !is_rolling(&self.d) {
            return;
        }
        let total: i64 = active.iter().map(|i| replicas(&self.rss[*i])).sum();
        let allowed = if r > 0 { r + max_surge(&self.d) } else { 0 };
        let to_add = allowed - total;
        let created = |i: &usize| util::s(&self.rss[*i], "/metadata/creationTimestamp").to_string();
        if to_add > 0 {
            active.sort_by(|a, b| {
                replicas(&self.rss[*b])
                    .cmp(&replicas(&self.rss[*a]))
                    .then(created(b).cmp(&created(a)))
            });
        } else {
            active.sort_by(|a, b| {
                replicas(&self.rss[*b])
                    .cmp(&replicas(&self.rss[*a]))
                    .then(created(a).cmp(&created(b)))
            });
        }
        let op = if to_add > 0 { "up" } else { "down" };
        let mut added = 0;
        let mut sizes: Vec<i64> = Vec::new();
        for i in &active {
            let rs = &self.rss[*i];
            let cur = replicas(rs);
            if to_add == 0 || cur == 0 || to_add == added {
                sizes.push(cur);
                continue;
            }
            let fraction = if r == 0 {
                -cur
            } else {
                let max_now = r + max_surge(&self.d);
                let mut before = util::annotation(rs, MAX_REPLICAS)
                    .and_then(|m| m.parse::<i64>().ok())
                    .unwrap_or(0);
                if before == 0 {
                    before = util::i(&self.d, "/status/replicas");
                    if before == 0 {
                        before = max_now;
                    }
                }
                ((cur * max_now) as f64 / before as f64).round() as i64 - cur
            };
            let allowed_left = to_add - added;
            let p = if to_add > 0 {
                fraction.min(allowed_left)
            } else {
                fraction.max(allowed_left)
            };
            sizes.push(cur + p);
            added += p;
        }
        for (n, i) in active.iter().enumerate() {
            let mut size = sizes[n];
            if n == 0 && to_add != 0 {
                size = (size + to_add - added).max(0);
            }
            self.scale_rs(*i, size, op);
        }
    }

    pub(super) fn rollout_rolling(&mut self) {
        let Some(new) = self.new_and_sync_revision(true) else {
            self.sync_rollout_status(None);
            return;
        };
        if self.reconcile_new(new) || self.reconcile_old(new) {
            self.sync_rollout_status(Some(new));
            return;
        }
        let status = self.d.get("status").cloned().unwrap_or(json!({}));
        if deployment_complete(&self.d, &status) {
            self.cleanup(Some(new));
        }
        self.sync_rollout_status(Some(new));
    }

    fn reconcile_new(&mut self, new: usize) -> bool {
        let r = replicas(&self.d);
        let cur = replicas(&self.rss[new]);
        if cur == r {
            return false;
        }
        if cur > r {
            return self.scale_and_record(new, r);
        }
        let count = self.new_rs_new_replicas(&self.all_refs(), cur);
        self.scale_and_record(new, count)
    }

    fn reconcile_old(&mut self, new: usize) -> bool {
        let olds: Vec<usize> = self
            .olds(Some(new))
            .into_iter()
            .filter(|i| replicas(&self.rss[*i]) > 0)
            .collect();
        let old_count: i64 = olds.iter().map(|i| replicas(&self.rss[*i])).sum();
        if old_count == 0 {
            return false;
        }
        let all_count: i64 = self.rss.iter().map(replicas).sum();
        let min_available = replicas(&self.d) - max_unavailable(&self.d);
        let new_unavailable =
            replicas(&self.rss[new]) - util::i(&self.rss[new], "/status/availableReplicas");
        let max_scaled_down = all_count - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        // Unhealthy old replicas first, oldest ReplicaSet first.
        let mut cleaned = 0;
        for i in &olds {
            if cleaned >= max_scaled_down {
                break;
            }
            let rs = &self.rss[*i];
            let (spec, avail) = (replicas(rs), util::i(rs, "/status/availableReplicas"));
            if spec == 0 || spec == avail {
                continue;
            }
            let down = (max_scaled_down - cleaned).min(spec - avail);
            self.scale_and_record(*i, spec - down);
            cleaned += down;
        }
        // Then healthy ones, keeping minAvailable.
        let available: i64 = self
            .rss
            .iter()
            .map(|r| util::i(r, "/status/availableReplicas"))
            .sum();
        let mut scaled = 0;
        if available > min_available {
            let total = available - min_available;
            for i in &olds {
                if scaled >= total {
                    break;
                }
                let spec = replicas(&self.rss[*i]);
                if spec == 0 {
                    continue;
                }
                let down = spec.min(total - scaled);
                self.scale_and_record(*i, spec - down);
                scaled += down;
            }
        }
        cleaned + scaled > 0
    }

    pub(super) fn rollout_recreate(&mut self) {
        let mut new = self.new_and_sync_revision(false);
        let olds: Vec<usize> = self
            .olds(new)
            .into_iter()
            .filter(|i| replicas(&self.rss[*i]) > 0)
            .collect();
        let mut scaled_down = false;
        for o in olds {
            scaled_down |= self.scale_and_record(o, 0);
        }
        if scaled_down {
            self.sync_rollout_status(new);
            return;
        }
        let old_uids: Vec<String> = self
            .olds(new)
            .iter()
            .map(|i| util::uid(&self.rss[*i]).to_string())
            .collect();
        let old_actual: i64 = self
            .olds(new)
            .iter()
            .map(|i| util::i(&self.rss[*i], "/status/replicas"))
            .sum();
        let old_pods = old_actual > 0
            || self
                .store
                .list(Res::Pods, Some(util::namespace(&self.d)))
                .iter()
                .any(|p| {
                    util::controller_uid(p).is_some_and(|u| old_uids.iter().any(|o| o == u))
                        && !matches!(util::s(p, "/status/phase"), "Failed" | "Succeeded")
                });
        if old_pods {
            self.sync_rollout_status(new);
            return;
        }
        if new.is_none() {
            new = self.new_and_sync_revision(true);
        }
        if let Some(n) = new {
            let r = replicas(&self.d);
            self.scale_and_record(n, r);
            let status = self.d.get("status").cloned().unwrap_or(json!({}));
            if deployment_complete(&self.d, &status) {
                self.cleanup(new);
            }
        }
        self.sync_rollout_status(new);
    }

    /// Deletes the oldest unused ReplicaSets beyond `revisionHistoryLimit`.
    pub(super) fn cleanup(&mut self, new: Option<usize>) {
        let Some(limit) = util::opt_i(&self.d, "/spec/revisionHistoryLimit") else {
            return;
        };
        let mut alive: Vec<usize> = self
            .olds(new)
            .into_iter()
            .filter(|i| !util::is_deleting(&self.rss[*i]))
            .collect();
        let diff = alive.len() as i64 - limit;
        if diff <= 0 {
            return;
        }
        alive.sort_by_key(|i| revision(&self.rss[*i]));
        let mut gone = Vec::new();
        for i in alive.into_iter().take(diff as usize) {
            let rs = &self.rss[i];
            if util::i(rs, "/status/replicas") != 0
                || replicas(rs) != 0
                || util::i(rs, "/metadata/generation") > util::i(rs, "/status/observedGeneration")
            {
                continue;
            }
            self.store
                .delete(Res::ReplicaSets, util::namespace(rs), util::name(rs));
            gone.push(i);
        }
        gone.sort_unstable();
        for i in gone.into_iter().rev() {
            self.rss.remove(i);
        }
    }

    /// `syncRolloutStatus`: status plus the Progressing condition.
    fn sync_rollout_status(&mut self, new: Option<usize>) {
        let ts = self.ts();
        let new_rs: Option<Arc<Value>> = new
            .and_then(|n| self.rss.get(n))
            .map(|v| Arc::new(v.clone()));
        let mut status = calculate_status(&self.d, &self.all_refs(), new_rs.as_deref(), &ts);
        let deadline = has_progress_deadline(&self.d);
        if !deadline {
            remove_condition(&mut status, "Progressing");
        }
        let current = get_condition(&self.d["status"], "Progressing").cloned();
        let complete_before = status_i(&status, "replicas") == status_i(&status, "updatedReplicas")
            && current
                .as_ref()
                .is_some_and(|c| util::s(c, "/reason") == "NewReplicaSetAvailable");
        let rs_name = new_rs.as_ref().map(|r| util::name(r).to_string());
        let d_name = util::name(&self.d).to_string();
        let subject = |what: &str| match &rs_name {
            Some(n) => format!("ReplicaSet \"{n}\" {what}"),
            None => format!("Deployment \"{d_name}\" {what}"),
        };
        let mut timed_out_now = false;
        if deadline && !complete_before {
            if deployment_complete(&self.d, &status) {
                let msg = subject("has successfully progressed.");
                set_condition(
                    &mut status,
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    &msg,
                    &ts,
                    true,
                );
            } else if deployment_progressing(&self.d, &status) {
                let msg = subject("is progressing.");
                let mut transition = ts.clone();
                if let Some(c) = &current
                    && util::s(c, "/status") == "True"
                {
                    transition = util::s(c, "/lastTransitionTime").to_string();
                }
                remove_condition(&mut status, "Progressing");
                if let Some(list) = status["conditions"].as_array_mut() {
                    list.push(json!({"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                        "message": msg, "lastUpdateTime": ts, "lastTransitionTime": transition}));
                }
            } else if deployment_timed_out(&self.d, &status, self.now) {
                let msg = subject("has timed out progressing.");
                timed_out_now = current
                    .as_ref()
                    .is_none_or(|c| util::s(c, "/reason") != "ProgressDeadlineExceeded");
                set_condition(
                    &mut status,
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    &msg,
                    &ts,
                    true,
                );
            }
        }
        if self.d.get("status") == Some(&status) {
            return;
        }
        self.d["status"] = status;
        self.write_d();
        if timed_out_now {
            let msg = subject("has timed out progressing.");
            self.event(true, "ProgressDeadlineExceeded", &msg);
        }
    }
}
