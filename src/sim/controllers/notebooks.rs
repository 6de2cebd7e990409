//! The notebook controller (Kubeflow Notebooks v1): one StatefulSet-like pod `<name>-0`, a
//! Service `<name>` on port 80 (`http-<name>` → 8888), and the status the real controller
//! writes: `readyReplicas`, the notebook container's `containerState`, the pod's conditions.
//! The `kubeflow-resource-stopped` annotation scales the pod away; removing it brings it back.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::kit::{self, Container, PodDef};
use super::pods::PodState;
use crate::sim::store::{Store, timestamp};

/// The stop annotation the JWA and the culler set.
pub const STOP_ANNOTATION: &str = "kubeflow-resource-stopped";
/// Annotation (sim only): the image of this notebook cannot be pulled.
pub const PULL_FAILS: &str = "sim.kftui.dev/image-pull-fails";

/// Seconds from pod creation to a running server.
const START_SECONDS: i64 = 6;

fn pull_fails(nb: &Value, image: &str) -> bool {
    kit::annotation(nb, PULL_FAILS) == Some("true") || image.contains("does-not-exist")
}

pub fn reconcile(store: &Store, nb: &mut Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let name = kit::s(nb, "/metadata/name").to_string();
    let ns = kit::s(nb, "/metadata/namespace").to_string();
    let created = kit::created(nb, now);
    let container = nb
        .pointer("/spec/template/spec/containers/0")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let cname = container
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(&name)
        .to_string();
    let image = container
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("kubeflownotebookswg/jupyter-scipy:v1.9.0")
        .to_string();
    let first = kit::ensure_service(
        store,
        nb,
        &name,
        json!([{"name": format!("http-{name}"), "port": 80, "protocol": "TCP", "targetPort": 8888}]),
        json!({"statefulset": name}),
        "jupyter",
        now,
    );
    if first {
        // The StatefulSet and the Service come first, as the notebook controller creates them.
        let at = (created + TimeDelta::seconds(1)).min(now);
        kit::normal(
            store,
            nb,
            "Created",
            format!("Created StatefulSet {ns}/{name}"),
            at,
        );
        kit::normal(store, nb, "Created", format!("Created Service {ns}/{name}"), at);
    }
    let selector = format!("statefulset={name}");
    if kit::has_annotation(nb, STOP_ANNOTATION) {
        kit::delete_pods(store, &ns, &selector);
        kit::set_status(
            nb,
            json!({"readyReplicas": 0, "containerState": {}, "conditions": []}),
        );
        return None;
    }
    let existing = kit::pods_of(store, &ns, &selector);
    let pod_created = existing
        .first()
        .and_then(|p| kit::time_at(p, "/metadata/creationTimestamp"))
        .unwrap_or_else(|| {
            if nb.get("status").is_none() {
                (created + TimeDelta::seconds(2)).min(now)
            } else {
                now
            }
        });
    let start = pod_created + TimeDelta::seconds(START_SECONDS);
    let fails = pull_fails(nb, &image);
    let state = if fails {
        PodState::Pending
    } else {
        kit::planned_state(start, None, 0, now)
    };
    let mut spec = container.clone();
    if let Some(o) = spec.as_object_mut() {
        o.remove("name");
        o.remove("image");
        o.insert(
            "env".into(),
            json!([{"name": "NB_PREFIX", "value": format!("/notebook/{ns}/{name}")}]),
        );
        o.insert(
            "ports".into(),
            json!([{"containerPort": 8888, "name": "notebook-port", "protocol": "TCP"}]),
        );
        o.entry("workingDir").or_insert_with(|| json!("/home/jovyan"));
    }
    let mut def = PodDef::new(&format!("{name}-0"), &ns, pod_created, state)
        .label("statefulset", &name)
        .label("notebook-name", &name)
        .label(
            "controller-revision-hash",
            &format!("{name}-{}", kit::suffix(&name, 10)),
        )
        .label("statefulset.kubernetes.io/pod-name", &format!("{name}-0"))
        .logs("jupyter", None);
    if let Some(labels) = nb.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            def.labels.insert(k.clone(), v.clone());
        }
    }
    if let Some(anns) = nb.pointer("/metadata/annotations").and_then(Value::as_object) {
        for (k, v) in anns
            .iter()
            .filter(|(k, _)| !k.contains("kubectl") && !k.contains("notebook"))
        {
            def.annotations.insert(k.clone(), v.clone());
        }
    }
    def.restart_policy = "Always";
    def.containers = vec![Container::new(&cname, &image).with(spec)];
    // The pod template's volumes come with it, as the StatefulSet's pods get them.
    def.volumes = nb
        .pointer("/spec/template/spec/volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if fails {
        def.waiting = Some((
            "ImagePullBackOff".into(),
            format!(
                "Back-off pulling image \"{image}\": ErrImagePull: failed to pull and unpack image \"{image}\": not found"
            ),
        ));
    }
    if kit::ensure_pod(store, def.build(nb), now) {
        // The StatefulSet controller's event, reissued on the Notebook as its controller does.
        kit::normal(
            store,
            nb,
            "SuccessfulCreate",
            format!("Reissued from statefulset/{name}: create Pod {name}-0 in StatefulSet {name} successful"),
            pod_created,
        );
    }
    let pod = def.build(nb);
    let cstate = pod
        .pointer("/status/containerStatuses/0/state")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let conditions: Vec<Value> = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter(|c| {
                    matches!(
                        c.get("type").and_then(Value::as_str),
                        Some("PodScheduled" | "Initialized" | "ContainersReady" | "Ready")
                    )
                })
                .map(|c| {
                    let mut c = c.clone();
                    if c.get("lastProbeTime").is_some_and(Value::is_null) {
                        c["lastProbeTime"] = json!(timestamp(pod_created));
                    }
                    c
                })
                .collect()
        })
        .unwrap_or_default();
    let ready = matches!(state, PodState::Running { .. });
    kit::set_status(
        nb,
        json!({
            "readyReplicas": if ready { 1 } else { 0 },
            "containerState": cstate,
            "conditions": conditions,
        }),
    );
    if fails {
        None
    } else {
        kit::next_change(start, None, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types;

    fn store() -> Store {
        let s = Store::new(1, 1000);
        let ns = json!({"metadata": {"name": "team"}});
        assert!(
            s.create(types::namespace_type(), "", ns, false, Utc::now())
                .is_ok()
        );
        s
    }

    #[test]
    fn stop_scales_the_pod_away_and_back() {
        let s = store();
        let now = Utc::now();
        let mut nb = json!({"apiVersion": "kubeflow.org/v1", "kind": "Notebook",
            "metadata": {"name": "nb", "namespace": "team", "uid": "u1",
                "creationTimestamp": timestamp(now - TimeDelta::seconds(60))},
            "spec": {"template": {"spec": {"containers": [{"name": "nb", "image": "jupyter:1"}]}}}});
        let _ = reconcile(&s, &mut nb, now);
        assert_eq!(nb["status"]["readyReplicas"], 1);
        assert!(nb["status"]["containerState"]["running"].is_object());
        assert!(s.get(types::pod_type(), "team", "nb-0").is_ok());
        assert!(s.get(types::service_type(), "team", "nb").is_ok());
        nb["metadata"]["annotations"] = json!({STOP_ANNOTATION: timestamp(now)});
        let _ = reconcile(&s, &mut nb, now);
        assert_eq!(nb["status"]["readyReplicas"], 0);
        assert!(s.get(types::pod_type(), "team", "nb-0").is_err());
        nb["metadata"]["annotations"] = json!({});
        let due = reconcile(&s, &mut nb, now);
        assert_eq!(nb["status"]["readyReplicas"], 0);
        assert!(due.is_some());
        let _ = reconcile(&s, &mut nb, now + TimeDelta::seconds(7));
        assert_eq!(nb["status"]["readyReplicas"], 1);
    }
}
