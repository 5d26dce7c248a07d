//! ControllerRevisions for StatefulSets and DaemonSets: one per distinct
//! pod template, named `<owner>-<hash>`, numbered; re-using a template
//! renumbers its revision as the newest.

use serde_json::{Value, json};

use super::owned;
use crate::sim::kube::resources::Res;
use crate::sim::kube::store::Store;
use crate::sim::kube::util;

pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

pub struct Current {
    /// The revision's name, `<owner>-<hash>`.
    pub name: String,
    pub hash: String,
    pub template: Value,
}

fn template_of(cr: &Value) -> Value {
    let mut t = cr
        .pointer("/data/spec/template")
        .cloned()
        .unwrap_or(json!({}));
    if let Some(m) = t.as_object_mut() {
        m.remove("$patch");
    }
    t
}

/// The template of a named revision of `owner`.
pub fn template(store: &Store, owner: &Value, name: &str) -> Option<Value> {
    store
        .get(Res::ControllerRevisions, util::namespace(owner), name)
        .map(|cr| template_of(&cr))
}

/// Makes sure the owner's current template has the newest revision.
pub fn sync(store: &mut Store, owner: &Value, owner_res: Res) -> Option<Current> {
    let ns = util::namespace(owner).to_string();
    let revs = owned(store, Res::ControllerRevisions, &ns, util::uid(owner));
    let tpl = &owner["spec"]["template"];
    let max = revs
        .iter()
        .map(|r| util::i(r, "/revision"))
        .max()
        .unwrap_or(0);
    let equal = revs
        .iter()
        .filter(|r| util::templates_equal(&template_of(r), tpl))
        .max_by_key(|r| util::i(r, "/revision"));
    if let Some(cr) = equal {
        if util::i(cr, "/revision") < max {
            store.modify(Res::ControllerRevisions, &ns, util::name(cr), |c| {
                c["revision"] = json!(max + 1);
            });
        }
        return Some(Current {
            name: util::name(cr).to_string(),
            hash: util::label(cr, HASH_LABEL).unwrap_or("").to_string(),
            template: template_of(cr),
        });
    }
    let collision = util::i(owner, "/status/collisionCount");
    let hash = util::template_hash(tpl, collision);
    let name = format!("{}-{hash}", util::name(owner));
    let mut labels = owner
        .pointer("/spec/selector/matchLabels")
        .cloned()
        .unwrap_or(json!({}));
    labels[HASH_LABEL] = json!(hash);
    let mut data_tpl = tpl.clone();
    data_tpl["$patch"] = json!("replace");
    let mut meta = json!({
        "name": name,
        "namespace": ns,
        "labels": labels,
        "ownerReferences": [util::owner_ref(owner, owner_res.kind(), &owner_res.api_version())],
    });
    if let Some(a) = owner.pointer("/metadata/annotations") {
        meta["annotations"] = a.clone();
    }
    let cr = json!({
        "metadata": meta,
        "data": {"spec": {"template": data_tpl}},
        "revision": max + 1,
    });
    match store.create(Res::ControllerRevisions, cr) {
        Ok(_) => {}
        Err(_) => {
            // Same name, different content: let the existing one win.
            store.get(Res::ControllerRevisions, &ns, &name)?;
        }
    }
    Some(Current {
        name,
        hash,
        template: tpl.clone(),
    })
}

/// Deletes the oldest revisions beyond `revisionHistoryLimit` that no pod
/// and neither the current nor the update revision use.
pub fn truncate(store: &mut Store, owner: &Value, live: &[String]) {
    let ns = util::namespace(owner).to_string();
    let limit = util::opt_i(owner, "/spec/revisionHistoryLimit").unwrap_or(10);
    let mut old: Vec<_> = owned(store, Res::ControllerRevisions, &ns, util::uid(owner))
        .into_iter()
        .filter(|r| !live.iter().any(|l| l == util::name(r)))
        .collect();
    let excess = old.len() as i64 - limit;
    if excess <= 0 {
        return;
    }
    old.sort_by_key(|r| util::i(r, "/revision"));
    for r in old.into_iter().take(excess as usize) {
        store.delete(Res::ControllerRevisions, &ns, util::name(&r));
    }
}
