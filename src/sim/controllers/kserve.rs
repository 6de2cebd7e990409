//! The KServe controller (serverless mode): one predictor revision per spec generation, pods
//! labelled `serving.kserve.io/inferenceservice` with a `kserve-container`, a `<isvc>-predictor`
//! Service, Ready conditions and URLs, a canary split that follows `canaryTrafficPercent`, and
//! the `serving.kserve.io/stop` annotation (condition `Stopped`, pods gone). A `spec.transformer`
//! gets its own pod (`component: transformer`, container `kserve-container`), as in KServe.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::kit::{self, Container, PodDef};
use crate::sim::store::{Store, timestamp};

pub const STOP_ANNOTATION: &str = "serving.kserve.io/stop";
/// Annotation (sim only): the model fails to load.
pub const MODEL_FAILS: &str = "sim.kftui.dev/model-fails";
pub const ISVC_LABEL: &str = "serving.kserve.io/inferenceservice";
const REVISION_LABEL: &str = "serving.knative.dev/revision";
/// Seconds from pod creation to a loaded model.
const READY_SECONDS: i64 = 8;

/// The model format of a predictor (`sklearn`, `xgboost`, …), new or legacy style.
pub fn model_format(isvc: &Value) -> String {
    if let Some(f) = isvc
        .pointer("/spec/predictor/model/modelFormat/name")
        .and_then(Value::as_str)
    {
        return f.to_string();
    }
    let legacy = [
        "sklearn",
        "xgboost",
        "tensorflow",
        "pytorch",
        "triton",
        "onnx",
        "huggingface",
        "lightgbm",
    ];
    legacy
        .iter()
        .find(|f| isvc.pointer(&format!("/spec/predictor/{f}")).is_some())
        .map_or_else(|| "sklearn".into(), |f| (*f).to_string())
}

pub fn storage_uri(isvc: &Value) -> String {
    let f = model_format(isvc);
    isvc.pointer("/spec/predictor/model/storageUri")
        .or_else(|| isvc.pointer(&format!("/spec/predictor/{f}/storageUri")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Whether the model of this service fails to load.
pub fn model_fails(isvc: &Value) -> bool {
    kit::annotation(isvc, MODEL_FAILS) == Some("true") || storage_uri(isvc).contains("missing")
}

fn image_for(format: &str) -> &'static str {
    match format {
        "xgboost" => "kserve/xgbserver:v0.14.1",
        "tensorflow" => "tensorflow/serving:2.6.2",
        "pytorch" => "pytorch/torchserve-kfs:0.9.0",
        "huggingface" => "kserve/huggingfaceserver:v0.14.1",
        "lightgbm" => "kserve/lgbserver:v0.14.1",
        _ => "kserve/sklearnserver:v0.14.1",
    }
}

fn revision(name: &str, generation: i64) -> String {
    format!("{name}-predictor-{generation:05}")
}

/// The transformer's pod for this generation (and no other), when the spec has a transformer.
fn ensure_transformer(
    store: &Store,
    isvc: &Value,
    name: &str,
    ns: &str,
    generation: i64,
    now: DateTime<Utc>,
) {
    let rev = format!("{name}-transformer-{generation:05}");
    let image = isvc
        .pointer("/spec/transformer/containers/0/image")
        .and_then(Value::as_str);
    let existing = kit::pods_of(store, ns, &format!("{ISVC_LABEL}={name},component=transformer"));
    for pod in &existing {
        if image.is_none() || kit::s(pod, "/metadata/labels/serving.knative.dev~1revision") != rev {
            let _ = store.delete(crate::sim::types::pod_type(), ns, kit::s(pod, "/metadata/name"));
        }
    }
    let Some(image) = image else { return };
    let pod_created = existing
        .iter()
        .find(|p| kit::s(p, "/metadata/labels/serving.knative.dev~1revision") == rev)
        .and_then(|p| kit::time_at(p, "/metadata/creationTimestamp"))
        .unwrap_or(now);
    let state = kit::planned_state(pod_created + TimeDelta::seconds(2), None, 0, now);
    let pod_name = format!(
        "{rev}-deployment-{}-{}",
        kit::suffix(&format!("{ns}/{rev}"), 10),
        kit::suffix(&format!("{ns}/{rev}/pod"), 5)
    );
    let mut def = PodDef::new(&pod_name, ns, pod_created, state)
        .label(ISVC_LABEL, name)
        .label("component", "transformer")
        .label("app", &format!("{name}-transformer"))
        .label(REVISION_LABEL, &rev)
        .label("serving.knative.dev/service", &format!("{name}-transformer"))
        .logs("model", None);
    def.restart_policy = "Always";
    def.service_account = "default".into();
    def.containers = vec![
        Container::new("kserve-container", image).with(json!({
            "args": [format!("--model_name={name}"), format!("--predictor_host={name}-predictor.{ns}"), "--http_port=8080"],
            "ports": [{"containerPort": 8080, "name": "user-port", "protocol": "TCP"}],
        })),
        Container::new("queue-proxy", "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1.15.2"),
    ];
    kit::ensure_pod(store, def.build(isvc), now);
}

pub fn reconcile(store: &Store, isvc: &mut Value, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let name = kit::s(isvc, "/metadata/name").to_string();
    let ns = kit::s(isvc, "/metadata/namespace").to_string();
    let created = kit::created(isvc, now);
    let generation = isvc
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let format = model_format(isvc);
    let selector = format!("{ISVC_LABEL}={name}");
    kit::ensure_service(
        store,
        isvc,
        &format!("{name}-predictor"),
        json!([{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]),
        json!({"app": format!("{name}-predictor")}),
        "kserve",
        now,
    );
    let url = format!("http://{name}.{ns}.example.com");
    let predictor_url = format!("http://{name}-predictor.{ns}.example.com");
    let address = json!({"url": format!("http://{name}-predictor.{ns}.svc.cluster.local")});
    let old_conditions = isvc.pointer("/status/conditions").cloned();
    if kit::annotation(isvc, STOP_ANNOTATION) == Some("true") {
        kit::delete_pods(store, &ns, &selector);
        let mut conditions = vec![
            kit::condition(
                "PredictorReady",
                false,
                "Stopped",
                "The InferenceService has been stopped",
                now,
            ),
            kit::condition(
                "Ready",
                false,
                "Stopped",
                "The InferenceService has been stopped",
                now,
            ),
            kit::condition(
                "Stopped",
                true,
                "Stopped",
                "The InferenceService has been stopped",
                now,
            ),
        ];
        kit::keep_transitions(old_conditions.as_ref(), &mut conditions);
        kit::set_status(
            isvc,
            json!({
                "conditions": conditions,
                "observedGeneration": generation,
                "deploymentMode": "Serverless",
                "modelStatus": {"transitionStatus": "UpToDate",
                    "states": {"activeModelState": "", "targetModelState": ""},
                    "copies": {"failedCopies": 0, "totalCopies": 0}},
            }),
        );
        return None;
    }
    let canary = isvc
        .pointer("/spec/predictor/canaryTrafficPercent")
        .and_then(Value::as_i64)
        .filter(|p| (0..100).contains(p) && generation > 1);
    let latest = revision(&name, generation);
    let prev = canary.map(|_| revision(&name, generation - 1));
    let fails = model_fails(isvc);
    let mut revisions = vec![latest.clone()];
    revisions.extend(prev.clone());
    // Pods of revisions no longer serving go away.
    for pod in kit::pods_of(store, &ns, &format!("{selector},component=predictor")) {
        let rev = kit::s(&pod, "/metadata/labels/serving.knative.dev~1revision");
        if !revisions.iter().any(|r| r == rev) {
            let _ = store.delete(crate::sim::types::pod_type(), &ns, kit::s(&pod, "/metadata/name"));
        }
    }
    let mut latest_ready_at = None;
    let mut due = None;
    for rev in &revisions {
        let existing = kit::pods_of(store, &ns, &format!("{REVISION_LABEL}={rev}"));
        let pod_created = existing
            .first()
            .and_then(|p| kit::time_at(p, "/metadata/creationTimestamp"))
            .unwrap_or_else(|| {
                if isvc.get("status").is_none() || Some(rev) == prev.as_ref() {
                    (created + TimeDelta::seconds(1)).min(now)
                } else {
                    now
                }
            });
        let ready_at = pod_created + TimeDelta::seconds(READY_SECONDS);
        let is_latest = rev == &latest;
        let failing = fails && is_latest;
        let state = kit::planned_state(pod_created + TimeDelta::seconds(2), None, 0, now);
        let pod_name = format!(
            "{rev}-deployment-{}-{}",
            kit::suffix(&format!("{ns}/{rev}"), 10),
            kit::suffix(&format!("{ns}/{rev}/pod"), 5)
        );
        let mut def = PodDef::new(&pod_name, &ns, pod_created, state)
            .label(ISVC_LABEL, &name)
            .label("component", "predictor")
            .label("app", &format!("{name}-predictor"))
            .label(REVISION_LABEL, rev)
            .label("serving.knative.dev/service", &format!("{name}-predictor"))
            .logs("model", failing.then_some(
                "RuntimeError: Failed to load model from /mnt/models: [Errno 2] No such file or directory: '/mnt/models/model.joblib'",
            ));
        def.restart_policy = "Always";
        def.service_account = "default".into();
        def.inits = vec![Container::new(
            "storage-initializer",
            "kserve/storage-initializer:v0.14.1",
        )];
        def.containers = vec![
            Container::new("kserve-container", image_for(&format)).with(json!({
                "args": [format!("--model_name={name}"), "--model_dir=/mnt/models", "--http_port=8080"],
                "ports": [{"containerPort": 8080, "name": "user-port", "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            })),
            Container::new("queue-proxy", "gcr.io/knative-releases/knative.dev/serving/cmd/queue:v1.15.2"),
        ];
        if failing && now >= pod_created + TimeDelta::seconds(4) {
            def.waiting = Some((
                "CrashLoopBackOff".into(),
                format!("back-off 40s restarting failed container=kserve-container pod={pod_name}"),
            ));
            def.restarted = Some((
                1,
                "Error".into(),
                pod_created + TimeDelta::seconds(2),
                pod_created + TimeDelta::seconds(4),
            ));
        }
        kit::ensure_pod(store, def.build(isvc), now);
        if is_latest && !failing {
            ensure_transformer(store, isvc, &name, &ns, generation, now);
        }
        if is_latest {
            latest_ready_at = Some(ready_at);
        }
        if now < ready_at {
            due = Some(due.map_or(ready_at, |d: DateTime<Utc>| d.min(ready_at)));
        }
    }
    let ready_at = latest_ready_at.unwrap_or(now);
    let ready = !fails && now >= ready_at;
    let traffic: Vec<Value> = match (&prev, canary) {
        (Some(p), Some(pct)) if ready => vec![
            json!({"revisionName": latest, "percent": pct, "latestRevision": true, "tag": "latest",
                "url": format!("http://latest-{name}-predictor.{ns}.example.com")}),
            json!({"revisionName": p, "percent": 100 - pct, "latestRevision": false, "tag": "prev",
                "url": format!("http://prev-{name}-predictor.{ns}.example.com")}),
        ],
        (Some(p), Some(_)) => vec![
            json!({"revisionName": p, "percent": 100, "latestRevision": false, "tag": "prev",
                "url": format!("http://prev-{name}-predictor.{ns}.example.com")}),
        ],
        _ if ready => vec![json!({"revisionName": latest, "percent": 100, "latestRevision": true})],
        _ => Vec::new(),
    };
    let mut predictor = json!({
        "latestCreatedRevision": latest,
        "url": predictor_url,
        "address": address,
        "traffic": traffic,
    });
    if ready {
        predictor["latestReadyRevision"] = json!(latest);
        predictor["latestRolledoutRevision"] = json!(prev.clone().unwrap_or_else(|| latest.clone()));
    }
    if let Some(p) = &prev {
        predictor["previousRolledoutRevision"] = json!(p);
        predictor["latestRolledoutRevision"] = json!(p);
    }
    let mut conditions = if ready {
        [
            "IngressReady",
            "LatestDeploymentReady",
            "PredictorConfigurationReady",
            "PredictorReady",
            "PredictorRouteReady",
            "Ready",
        ]
        .iter()
        .map(|t| json!({"type": t, "status": "True", "lastTransitionTime": timestamp(ready_at)}))
        .collect::<Vec<_>>()
    } else if fails {
        let msg = format!(
            "Revision \"{latest}\" failed with message: Container failed with: RuntimeError: Failed to load model from /mnt/models."
        );
        vec![
            json!({"type": "LatestDeploymentReady", "status": "False", "reason": "RevisionFailed", "message": msg, "lastTransitionTime": timestamp(ready_at)}),
            json!({"type": "PredictorConfigurationReady", "status": "False", "reason": "RevisionFailed", "message": msg, "lastTransitionTime": timestamp(ready_at)}),
            json!({"type": "PredictorReady", "status": "False", "reason": "RevisionFailed", "message": msg, "lastTransitionTime": timestamp(ready_at)}),
            json!({"type": "Ready", "status": "False", "reason": "RevisionFailed", "message": msg, "lastTransitionTime": timestamp(ready_at)}),
        ]
    } else {
        vec![
            json!({"type": "PredictorReady", "status": "Unknown", "reason": "RevisionMissing", "message": format!("Configuration \"{name}-predictor\" is waiting for a Revision to become ready."), "lastTransitionTime": timestamp(now)}),
            json!({"type": "Ready", "status": "Unknown", "reason": "RevisionMissing", "message": format!("Configuration \"{name}-predictor\" is waiting for a Revision to become ready."), "lastTransitionTime": timestamp(now)}),
        ]
    };
    kit::keep_transitions(old_conditions.as_ref(), &mut conditions);
    let model_status = if fails {
        json!({
            "transitionStatus": "BlockedByFailedLoad",
            "states": {"activeModelState": "", "targetModelState": "FailedToLoad"},
            "lastFailureInfo": {
                "location": format!("{latest}-deployment"),
                "reason": "ModelLoadFailed",
                "message": "Failed to load model from /mnt/models: model.joblib not found",
                "modelRevisionName": latest,
                "exitCode": 1,
                "time": timestamp(ready_at),
            },
            "copies": {"failedCopies": 1, "totalCopies": 1},
        })
    } else if ready {
        json!({"transitionStatus": "UpToDate", "states": {"activeModelState": "Loaded", "targetModelState": "Loaded"},
            "copies": {"failedCopies": 0, "totalCopies": 1}})
    } else {
        json!({"transitionStatus": "InProgress", "states": {"activeModelState": "Pending", "targetModelState": "Loading"},
            "copies": {"failedCopies": 0, "totalCopies": 1}})
    };
    let mut status = json!({
        "conditions": conditions,
        "observedGeneration": generation,
        "deploymentMode": "Serverless",
        "components": {"predictor": predictor},
        "modelStatus": model_status,
    });
    if ready {
        status["url"] = json!(url);
        status["address"] = json!({"url": format!("http://{name}.{ns}.svc.cluster.local")});
    }
    kit::set_status(isvc, status);
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types;

    #[test]
    fn canary_split_follows_the_percent_and_stop_removes_pods() {
        let s = Store::new(1, 1000);
        let now = Utc::now();
        assert!(
            s.create(
                types::namespace_type(),
                "",
                json!({"metadata": {"name": "t"}}),
                false,
                now
            )
            .is_ok()
        );
        let mut isvc = json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "iris", "namespace": "t", "uid": "u", "generation": 2,
                "creationTimestamp": timestamp(now - TimeDelta::seconds(120))},
            "spec": {"predictor": {"canaryTrafficPercent": 10,
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://m/v2"}}}});
        let _ = reconcile(&s, &mut isvc, now);
        let traffic = &isvc["status"]["components"]["predictor"]["traffic"];
        assert_eq!(traffic[0]["percent"], 10);
        assert_eq!(traffic[1]["percent"], 90);
        assert_eq!(traffic[1]["tag"], "prev");
        assert_eq!(isvc["status"]["url"], "http://iris.t.example.com");
        assert_eq!(
            kit::pods_of(&s, "t", "serving.kserve.io/inferenceservice=iris").len(),
            2
        );
        isvc["metadata"]["annotations"] = json!({STOP_ANNOTATION: "true"});
        let _ = reconcile(&s, &mut isvc, now);
        assert!(kit::pods_of(&s, "t", "serving.kserve.io/inferenceservice=iris").is_empty());
        let stopped = isvc["status"]["conditions"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "Stopped" && c["status"] == "True"));
        assert!(stopped);
    }
}
