//! World builder: PodDisruptionBudgets (`policy/v1`), created with the
//! world as `kubectl create pdb` would make them.
//!
//! ```
//! use opsboard::sim::kube::World;
//! let w = World::empty()
//!     .node("n1")
//!     .deployment("shop", "api", 3, "registry.local/api:1.4.3")
//!     .pdb("shop", "api", &[("app", "api")], "2")
//!     .pdb_max_unavailable("shop", "api-surge", &[("app", "api")], "34%");
//! # let _ = w;
//! ```

use serde_json::{Map, Value, json};

use super::resources::Res;
use super::world::World;

/// `2` as the int 2, `50%` as the string: `intstr.Parse`.
fn int_or_string(v: &str) -> Value {
    v.trim()
        .parse::<i64>()
        .map_or_else(|_| json!(v.trim()), |n| json!(n))
}

fn pdb_json(ns: &str, name: &str, selector: &[(&str, &str)], bound: (&str, &str)) -> Value {
    let labels: Map<String, Value> = selector
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut spec = json!({"selector": {"matchLabels": labels}});
    spec[bound.0] = int_or_string(bound.1);
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": ns}, "spec": spec})
}

impl World {
    /// A PodDisruptionBudget `name` in `ns` over the pods matching
    /// `selector` keeping `min_available` of them (`"2"` or `"50%"`).
    pub fn pdb(
        self,
        ns: &str,
        name: &str,
        selector: &[(&str, &str)],
        min_available: &str,
    ) -> World {
        self.namespace(ns).object(
            Res::Pdbs,
            pdb_json(ns, name, selector, ("minAvailable", min_available)),
        )
    }

    /// A PodDisruptionBudget allowing at most `max_unavailable` (`"1"` or
    /// `"25%"`) of the pods matching `selector` to be down.
    pub fn pdb_max_unavailable(
        self,
        ns: &str,
        name: &str,
        selector: &[(&str, &str)],
        max_unavailable: &str,
    ) -> World {
        self.namespace(ns).object(
            Res::Pdbs,
            pdb_json(ns, name, selector, ("maxUnavailable", max_unavailable)),
        )
    }
}
