//! Cells of `printPodDisruptionBudget`: NAME, MIN AVAILABLE and MAX
//! UNAVAILABLE as their int-or-string (`N/A` when unset), ALLOWED
//! DISRUPTIONS from the status, AGE.

use serde_json::{Value, json};

use super::age;
use crate::sim::kube::clock::SimTime;
use crate::sim::kube::util;

/// `intstr.IntOrString.String()`, or `N/A` when unset.
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => "N/A".to_string(),
    }
}

pub(super) fn pdb_cells(obj: &Value, now: SimTime) -> Vec<Value> {
    vec![
        json!(util::name(obj)),
        json!(int_or_string(obj.pointer("/spec/minAvailable"))),
        json!(int_or_string(obj.pointer("/spec/maxUnavailable"))),
        json!(util::i(obj, "/status/disruptionsAllowed")),
        json!(age(obj, now)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_bounds_print_as_not_applicable() {
        let pdb = json!({"metadata": {"name": "api", "creationTimestamp": "1970-01-01T00:00:00Z"},
            "spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 1}});
        let c = pdb_cells(&pdb, 90_000);
        assert_eq!(
            c,
            [
                json!("api"),
                json!("2"),
                json!("N/A"),
                json!(1),
                json!("90s")
            ]
        );
        let pdb = json!({"metadata": {"name": "web"}, "spec": {"maxUnavailable": "25%"}});
        let c = pdb_cells(&pdb, 0);
        assert_eq!(c[1], "N/A");
        assert_eq!(c[2], "25%");
        assert_eq!(c[3], 0);
    }
}
