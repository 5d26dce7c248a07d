use super::*;

fn deployment(image: &str, replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "uid": "u1", "resourceVersion": "5",
            "labels": {"app": "api"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": image, "ports": [{"containerPort": 8080}]}]}}},
    })
}

fn entries(obj: &Value) -> Vec<Value> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn entry<'a>(obj: &'a Value, manager: &str, sub: Option<&str>) -> &'a Value {
    obj["metadata"]["managedFields"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|e| {
                e["manager"] == manager && e.get("subresource").and_then(Value::as_str) == sub
            })
        })
        .unwrap_or_else(|| panic!("no entry {manager}/{sub:?} in {obj:#}"))
}

fn create(image: &str) -> Value {
    let mut d = deployment(image, 3);
    track(
        &Writer::client("kubectl-create", None),
        Res::Deployments,
        None,
        &mut d,
        "2026-12-01T10:00:00Z",
    );
    d
}

#[test]
fn a_create_owns_every_field_it_set_but_identity() {
    let d = create("api:1");
    let e = entry(&d, "kubectl-create", None);
    assert_eq!(e["operation"], "Update");
    assert_eq!(e["apiVersion"], "apps/v1");
    assert_eq!(e["fieldsType"], "FieldsV1");
    assert_eq!(e["time"], "2026-12-01T10:00:00Z");
    assert!(e.get("subresource").is_none());
    let f = &e["fieldsV1"];
    assert_eq!(f["f:metadata"], json!({"f:labels": {".": {}, "f:app": {}}}));
    assert_eq!(f["f:spec"]["f:replicas"], json!({}));
    assert_eq!(
        f["f:spec"]["f:template"]["f:spec"]["f:containers"],
        json!({"k:{\"name\":\"api\"}": {".": {}, "f:name": {}, "f:image": {}, "f:ports": {}}})
    );
    assert!(f.get("f:apiVersion").is_none() && f.get("f:kind").is_none());
    assert!(f["f:metadata"].get("f:uid").is_none());
    // Status set at creation is the server's, even by a controller.
    let mut pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": ""},
        "status": {"phase": "Pending", "qosClass": "Burstable"}});
    track(&Writer::default(), Res::Pods, None, &mut pod, "t0");
    assert_eq!(entries(&pod).len(), 1);
    assert!(
        entry(&pod, CONTROLLER_MANAGER, None)["fieldsV1"]
            .get("f:status")
            .is_none()
    );
}

#[test]
fn an_update_moves_changed_fields_to_its_manager() {
    let old = create("api:1");
    let mut new = deployment("api:2", 3);
    track(
        &Writer::client("kubectl-set", None),
        Res::Deployments,
        Some(&old),
        &mut new,
        "2026-12-01T11:00:00Z",
    );
    let set = entry(&new, "kubectl-set", None);
    assert_eq!(
        set["fieldsV1"],
        json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {
            "k:{\"name\":\"api\"}": {"f:image": {}}}}}}})
    );
    assert_eq!(set["time"], "2026-12-01T11:00:00Z");
    let create = entry(&new, "kubectl-create", None);
    let c = &create["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"api\"}"];
    assert!(c.get("f:image").is_none(), "{c}");
    assert!(c.get("f:name").is_some() && c.get(".").is_some(), "{c}");
    assert_eq!(create["time"], "2026-12-01T10:00:00Z");
    // Entries are in time order.
    let managers: Vec<Value> = entries(&new).iter().map(|e| e["manager"].clone()).collect();
    assert_eq!(managers, [json!("kubectl-create"), json!("kubectl-set")]);
}

#[test]
fn a_manager_that_owns_nothing_any_more_is_dropped() {
    let old = create("api:1");
    let mut set = deployment("api:2", 3);
    track(
        &Writer::client("kubectl-set", None),
        Res::Deployments,
        Some(&old),
        &mut set,
        "t1",
    );
    let mut back = deployment("api:3", 3);
    track(
        &Writer::client("kubectl-edit", None),
        Res::Deployments,
        Some(&set),
        &mut back,
        "t2",
    );
    let managers: Vec<Value> = entries(&back)
        .iter()
        .map(|e| e["manager"].clone())
        .collect();
    assert_eq!(managers, [json!("kubectl-create"), json!("kubectl-edit")]);
    // A second write by the same manager merges into its entry.
    let mut again = deployment("api:3", 5);
    track(
        &Writer::client("kubectl-edit", None),
        Res::Deployments,
        Some(&back),
        &mut again,
        "t3",
    );
    let edit = entry(&again, "kubectl-edit", None);
    assert_eq!(edit["time"], "t3");
    assert!(edit["fieldsV1"]["f:spec"].get("f:replicas").is_some());
    assert!(edit["fieldsV1"]["f:spec"].get("f:template").is_some());
    assert_eq!(entries(&again).len(), 2);
}

#[test]
fn removed_fields_are_nobodys() {
    let old = create("api:1");
    let mut new = deployment("api:1", 3);
    new["metadata"]["labels"] = json!({});
    track(
        &Writer::client("kubectl-label", None),
        Res::Deployments,
        Some(&old),
        &mut new,
        "t1",
    );
    let create = entry(&new, "kubectl-create", None);
    assert!(create["fieldsV1"].get("f:metadata").is_none(), "{create}");
    // A label removed outright is removed from its owner, and the remover
    // gains nothing.
    let mut two = deployment("api:1", 3);
    two["metadata"]["labels"] = json!({"app": "api", "tier": "back"});
    let mut old2 = old.clone();
    track(
        &Writer::client("kubectl-label", None),
        Res::Deployments,
        Some(&old),
        &mut two,
        "t1",
    );
    old2["metadata"]["managedFields"] = two["metadata"]["managedFields"].clone();
    old2["metadata"]["labels"] = two["metadata"]["labels"].clone();
    let mut three = deployment("api:1", 3);
    track(
        &Writer::client("kubectl-label", None),
        Res::Deployments,
        Some(&old2),
        &mut three,
        "t2",
    );
    assert!(
        entries(&three)
            .iter()
            .all(|e| e["manager"] != "kubectl-label"),
        "{:#}",
        three["metadata"]["managedFields"]
    );
}

#[test]
fn controllers_write_status_through_the_status_subresource() {
    let old = create("api:1");
    let mut new = old.clone();
    new["status"] = json!({"replicas": 3, "readyReplicas": 3});
    new["metadata"]["annotations"] = json!({"deployment.kubernetes.io/revision": "1"});
    track(
        &Writer::default(),
        Res::Deployments,
        Some(&old),
        &mut new,
        "t1",
    );
    let status = entry(&new, CONTROLLER_MANAGER, Some("status"));
    assert_eq!(
        status["fieldsV1"],
        json!({"f:status": {"f:replicas": {}, "f:readyReplicas": {}}})
    );
    let main = entry(&new, CONTROLLER_MANAGER, None);
    assert_eq!(
        main["fieldsV1"],
        json!({"f:metadata": {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}}})
    );
    // Without a status subresource, status is written with the object.
    let mut ev = json!({"metadata": {"name": "e"}});
    track(&Writer::default(), Res::Events, None, &mut ev, "t1");
    let mut ev2 = ev.clone();
    ev2["status"] = json!({"x": 1});
    track(&Writer::default(), Res::Events, Some(&ev), &mut ev2, "t2");
    assert_eq!(entries(&ev2).len(), 1);
}

#[test]
fn unkeyed_lists_are_leaves_and_a_client_subresource_is_recorded() {
    let old = create("api:1");
    let mut new = old.clone();
    new["spec"]["template"]["spec"]["containers"][0]["ports"] = json!([{"containerPort": 9090}]);
    track(
        &Writer::client("kubectl-patch", None),
        Res::Deployments,
        Some(&old),
        &mut new,
        "t1",
    );
    let p = entry(&new, "kubectl-patch", None);
    assert_eq!(
        p["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"api\"}"],
        json!({"f:ports": {}})
    );
    let mut scaled = new.clone();
    scaled["spec"]["replicas"] = json!(5);
    track(
        &Writer::client("kubectl-scale", Some("scale")),
        Res::Deployments,
        Some(&new),
        &mut scaled,
        "t2",
    );
    let s = entry(&scaled, "kubectl-scale", Some("scale"));
    assert_eq!(s["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
}

#[test]
fn managers_come_from_field_manager_or_user_agent() {
    assert_eq!(
        manager_of(Some("kubectl-set"), "kubectl/v1.32.4 (linux/amd64)"),
        "kubectl-set"
    );
    assert_eq!(
        manager_of(None, "kubectl/v1.32.4 (linux/amd64) kubernetes/abc"),
        "kubectl"
    );
    assert_eq!(manager_of(Some(""), "opsboard/0.1"), "opsboard");
    assert_eq!(manager_of(None, ""), "");
}
