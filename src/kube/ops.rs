//! One function per run verb, with Argo's own semantics on the Workflow object (research §2):
//! merge patches for stop/terminate, read-modify-write with conflict retries for suspend,
//! resume and retry, a new Workflow for resubmit.

use chrono::Utc;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::kube::describe_error;
use crate::kube::fetch::api_resource;
use crate::kube::key::Kind;
use crate::runs::pod_name::{POD_NAME_FORMAT_ANNOTATION, PodNameFormat, pod_name};

/// A verb on runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunVerb {
    Stop,
    Terminate,
    Suspend,
    Resume,
    Retry,
    Resubmit,
    Delete,
}

impl RunVerb {
    pub fn name(self) -> &'static str {
        match self {
            RunVerb::Stop => "stop",
            RunVerb::Terminate => "terminate",
            RunVerb::Suspend => "suspend",
            RunVerb::Resume => "resume",
            RunVerb::Retry => "retry",
            RunVerb::Resubmit => "resubmit",
            RunVerb::Delete => "delete",
        }
    }

    /// What the verb does, for the confirmation.
    pub fn effect(self) -> &'static str {
        match self {
            RunVerb::Stop => "running steps are stopped; exit handlers still run",
            RunVerb::Terminate => "everything stops at once, exit handlers included",
            RunVerb::Suspend => "no new step starts until it is resumed",
            RunVerb::Resume => "it continues where it was suspended",
            RunVerb::Retry => "failed steps run again (their pods are deleted); succeeded steps are kept",
            RunVerb::Resubmit => "a new run is created from the same spec",
            RunVerb::Delete => "the Workflow and its pods are deleted",
        }
    }
}

/// Why a verb did not happen.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpError {
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("conflict: the object kept changing; try again")]
    Conflict,
    #[error("{0}")]
    Api(String),
}

impl From<kube::Error> for OpError {
    fn from(e: kube::Error) -> OpError {
        match &e {
            kube::Error::Api(s) if s.code == 404 => OpError::NotFound,
            kube::Error::Api(s) if s.code == 403 => OpError::Forbidden(s.message.clone()),
            kube::Error::Api(s) if s.code == 409 => OpError::Conflict,
            _ => OpError::Api(describe_error(&e)),
        }
    }
}

const CONFLICT_RETRIES: usize = 5;

fn workflows(client: &kube::Client, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &api_resource(Kind::Workflows))
}

fn phase(wf: &Value) -> &str {
    wf.pointer("/status/phase").and_then(Value::as_str).unwrap_or("")
}

fn is_finished(wf: &Value) -> bool {
    matches!(phase(wf), "Succeeded" | "Failed" | "Error")
}

/// GET → change → PUT, again on a 409, as Argo's own suspend/resume/retry do.
async fn read_modify_write(
    api: &Api<DynamicObject>,
    name: &str,
    mut change: impl FnMut(&mut Value) -> Result<(), OpError>,
) -> Result<Value, OpError> {
    for _ in 0..CONFLICT_RETRIES {
        let obj = api.get(name).await?;
        let mut value = serde_json::to_value(&obj).map_err(|e| OpError::Api(e.to_string()))?;
        change(&mut value)?;
        let updated: DynamicObject =
            serde_json::from_value(value).map_err(|e| OpError::Api(e.to_string()))?;
        match api.replace(name, &PostParams::default(), &updated).await {
            Ok(done) => return serde_json::to_value(done).map_err(|e| OpError::Api(e.to_string())),
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OpError::Conflict)
}

/// Performs `verb` on the run `ns/name`; returns a one-line result for the status line.
pub async fn run_verb(client: &kube::Client, ns: &str, name: &str, verb: RunVerb) -> Result<String, OpError> {
    let api = workflows(client, ns);
    if matches!(verb, RunVerb::Terminate | RunVerb::Retry)
        && let Some(done) = through_kfp(client, &api, name, verb).await?
    {
        return Ok(done);
    }
    match verb {
        RunVerb::Stop | RunVerb::Terminate => {
            let current =
                serde_json::to_value(api.get(name).await?).map_err(|e| OpError::Api(e.to_string()))?;
            if is_finished(&current) {
                return Err(OpError::Refused(format!(
                    "cannot {} a run that has {}",
                    verb.name(),
                    phase(&current).to_lowercase()
                )));
            }
            let strategy = if verb == RunVerb::Stop {
                "Stop"
            } else {
                "Terminate"
            };
            let patch = json!({"spec": {"shutdown": strategy}});
            api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await?;
            Ok(format!("{name}: {} requested", verb.name()))
        }
        RunVerb::Suspend => {
            read_modify_write(&api, name, |wf| {
                if is_finished(wf) {
                    return Err(OpError::Refused(format!(
                        "cannot suspend a run that has {}",
                        phase(wf).to_lowercase()
                    )));
                }
                wf["spec"]["suspend"] = json!(true);
                Ok(())
            })
            .await?;
            Ok(format!("{name}: suspended"))
        }
        RunVerb::Resume => {
            read_modify_write(&api, name, |wf| {
                if wf.pointer("/spec/suspend").and_then(Value::as_bool) != Some(true)
                    && !has_active_suspend_nodes(wf)
                {
                    return Err(OpError::Refused("the run is not suspended".into()));
                }
                resume_in_place(wf, &Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                Ok(())
            })
            .await?;
            Ok(format!("{name}: resumed"))
        }
        RunVerb::Retry => {
            let mut deleted_pods = Vec::new();
            read_modify_write(&api, name, |wf| {
                if !matches!(phase(wf), "Failed" | "Error") {
                    return Err(OpError::Refused(format!(
                        "only failed runs can be retried; this one is {}",
                        phase_word(wf)
                    )));
                }
                let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                deleted_pods = retry_in_place(wf, &now);
                Ok(())
            })
            .await?;
            let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
            for pod in &deleted_pods {
                match pods.delete(pod, &DeleteParams::default()).await {
                    Ok(_) | Err(kube::Error::Api(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(format!(
                "{name}: retrying ({} failed step(s) reset)",
                deleted_pods.len()
            ))
        }
        RunVerb::Resubmit => {
            let current =
                serde_json::to_value(api.get(name).await?).map_err(|e| OpError::Api(e.to_string()))?;
            let new = resubmitted(&current);
            let obj: DynamicObject = serde_json::from_value(new).map_err(|e| OpError::Api(e.to_string()))?;
            let created = api.create(&PostParams::default(), &obj).await?;
            Ok(format!(
                "{name}: resubmitted as {}",
                created.metadata.name.unwrap_or_default()
            ))
        }
        RunVerb::Delete => {
            api.delete(name, &DeleteParams::background()).await?;
            Ok(format!("{name}: deleted"))
        }
    }
}

/// Terminate and retry of a KFP run go through KFP's REST API, as the KFP UI does, so KFP's
/// database agrees with the Workflow. `None`: not a KFP run, or KFP is not reachable, and the
/// verb is done on the Workflow with Argo's semantics instead.
async fn through_kfp(
    client: &kube::Client,
    api: &Api<DynamicObject>,
    name: &str,
    verb: RunVerb,
) -> Result<Option<String>, OpError> {
    let wf = api.get(name).await?;
    let Some(run_id) = wf
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(crate::kube::resources::workflow::KFP_RUN_ID))
        .filter(|id| !id.is_empty())
    else {
        return Ok(None);
    };
    let kfp = crate::kube::kfp::Kfp::new(client.clone());
    let result = match verb {
        RunVerb::Retry => kfp.retry(run_id).await,
        _ => kfp.terminate(run_id).await,
    };
    match result {
        Ok(()) => Ok(Some(format!(
            "{name}: {} requested through the KFP API",
            verb.name()
        ))),
        Err(crate::kube::kfp::KfpError::Unreachable(why)) => {
            tracing::info!("{name}: {} on the Workflow: {why}", verb.name());
            Ok(None)
        }
        Err(crate::kube::kfp::KfpError::Api(message)) => Err(OpError::Refused(message)),
    }
}

fn phase_word(wf: &Value) -> String {
    match phase(wf) {
        "" => "pending".into(),
        p => p.to_lowercase(),
    }
}

fn has_active_suspend_nodes(wf: &Value) -> bool {
    wf.pointer("/status/nodes")
        .and_then(Value::as_object)
        .is_some_and(|nodes| nodes.values().any(is_active_suspend_node))
}

fn is_active_suspend_node(n: &Value) -> bool {
    n.get("type").and_then(Value::as_str) == Some("Suspend")
        && matches!(
            n.get("phase").and_then(Value::as_str),
            Some("Running" | "Pending")
        )
}

/// Argo's resume: clears `spec.suspend` and marks every active Suspend node Succeeded.
pub fn resume_in_place(wf: &mut Value, now: &str) {
    if let Some(spec) = wf.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("suspend");
    }
    if let Some(nodes) = wf.pointer_mut("/status/nodes").and_then(Value::as_object_mut) {
        for node in nodes.values_mut().filter(|n| is_active_suspend_node(n)) {
            node["phase"] = json!("Succeeded");
            node["finishedAt"] = json!(now);
        }
    }
}

/// Argo's retry (FormulateRetryWorkflow): resets the run, removes failed pod nodes and returns
/// the names of their pods, which the caller deletes.
pub fn retry_in_place(wf: &mut Value, now: &str) -> Vec<String> {
    if let Some(labels) = wf.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove("workflows.argoproj.io/completed");
        labels.remove("workflows.argoproj.io/workflow-archiving-status");
        labels.insert("workflows.argoproj.io/phase".into(), json!("Running"));
    }
    if let Some(spec) = wf.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("shutdown");
        if spec.get("activeDeadlineSeconds").and_then(Value::as_i64) == Some(0) {
            spec.remove("activeDeadlineSeconds");
        }
    }
    let wf_name = wf
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let format = PodNameFormat::from_annotation(
        wf.pointer("/metadata/annotations")
            .and_then(|a| a.get(POD_NAME_FORMAT_ANNOTATION))
            .and_then(Value::as_str),
    );
    let mut pods = Vec::new();
    if let Some(status) = wf.get_mut("status").and_then(Value::as_object_mut) {
        status.insert("phase".into(), json!("Running"));
        status.insert("startedAt".into(), json!(now));
        status.remove("finishedAt");
        status.remove("message");
        if let Some(nodes) = status.get_mut("nodes").and_then(Value::as_object_mut) {
            let failed: Vec<String> = nodes
                .iter()
                .filter(|(_, n)| {
                    n.get("type").and_then(Value::as_str) == Some("Pod")
                        && matches!(n.get("phase").and_then(Value::as_str), Some("Failed" | "Error"))
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in &failed {
                if let Some(node) = nodes.remove(id) {
                    let str_of = |p: &str| node.pointer(p).and_then(Value::as_str);
                    let template = str_of("/templateRef/template").or_else(|| str_of("/templateName"));
                    let node_name = str_of("/name").unwrap_or(id);
                    pods.push(pod_name(&wf_name, node_name, template, id, format));
                }
            }
            for node in nodes.values_mut() {
                let unfinished = matches!(
                    node.get("phase").and_then(Value::as_str),
                    Some("Failed" | "Error")
                );
                if unfinished {
                    node["phase"] = json!("Running");
                    if let Some(n) = node.as_object_mut() {
                        n.remove("finishedAt");
                        n.remove("message");
                    }
                }
                if let Some(children) = node.get_mut("children").and_then(Value::as_array_mut) {
                    children.retain(|c| c.as_str().is_none_or(|c| !failed.iter().any(|f| f == c)));
                }
            }
        }
    }
    pods
}

/// Argo's resubmit: a new Workflow from the old one's spec, named after it, labelled with where
/// it came from.
pub fn resubmitted(old: &Value) -> Value {
    let name = old
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("run");
    let generate = old
        .pointer("/metadata/generateName")
        .and_then(Value::as_str)
        .map_or_else(|| format!("{name}-"), str::to_string);
    let mut labels: serde_json::Map<String, Value> = old
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|l| {
            l.iter()
                .filter(|(k, _)| !k.starts_with("workflows.argoproj.io/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    labels.insert(
        "workflows.argoproj.io/resubmitted-from-workflow".into(),
        json!(name),
    );
    let annotations: serde_json::Map<String, Value> = old
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .map(|a| {
            a.iter()
                .filter(|(k, _)| !k.starts_with("workflows.argoproj.io/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut spec = old.get("spec").cloned().unwrap_or_else(|| json!({}));
    if let Some(s) = spec.as_object_mut() {
        s.remove("shutdown");
        s.remove("suspend");
        // A deadline of 0 is how a run is terminated, not a limit the user chose: a resubmitted
        // run starts clean, as `argo resubmit` does.
        if s.get("activeDeadlineSeconds")
            .and_then(Value::as_i64)
            .is_some_and(|d| d <= 0)
        {
            s.remove("activeDeadlineSeconds");
        }
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": generate,
            "namespace": old.pointer("/metadata/namespace").cloned().unwrap_or(Value::Null),
            "labels": labels,
            "annotations": annotations,
        },
        "spec": spec,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_wf() -> Value {
        json!({
            "metadata": {"name": "wf", "namespace": "ns", "labels": {"workflows.argoproj.io/completed": "true", "workflows.argoproj.io/phase": "Failed", "team": "a"}},
            "spec": {"shutdown": "Stop", "activeDeadlineSeconds": 0, "entrypoint": "main"},
            "status": {"phase": "Failed", "finishedAt": "x", "message": "child failed", "nodes": {
                "wf": {"id": "wf", "name": "wf", "type": "DAG", "phase": "Failed", "children": ["wf-1", "wf-2"], "finishedAt": "x"},
                "wf-1": {"id": "wf-1", "name": "wf.a", "type": "Pod", "phase": "Succeeded", "templateName": "a"},
                "wf-2": {"id": "wf-2", "name": "wf.b", "type": "Pod", "phase": "Failed", "templateName": "train"},
            }}
        })
    }

    #[test]
    fn retry_resets_the_run_and_removes_failed_pod_nodes() {
        let mut wf = failed_wf();
        let pods = retry_in_place(&mut wf, "2026-11-28T15:00:00Z");
        assert_eq!(
            pods,
            [format!("wf-train-{}", crate::runs::pod_name::fnv32a("wf.b"))]
        );
        assert_eq!(wf["status"]["phase"], "Running");
        assert!(wf["status"].get("finishedAt").is_none() && wf["status"].get("message").is_none());
        assert!(wf["status"]["nodes"].get("wf-2").is_none());
        assert_eq!(wf["status"]["nodes"]["wf"]["phase"], "Running");
        assert_eq!(wf["status"]["nodes"]["wf"]["children"], json!(["wf-1"]));
        assert_eq!(wf["status"]["nodes"]["wf-1"]["phase"], "Succeeded");
        assert!(
            wf["metadata"]["labels"]
                .get("workflows.argoproj.io/completed")
                .is_none()
        );
        assert!(wf["spec"].get("shutdown").is_none() && wf["spec"].get("activeDeadlineSeconds").is_none());
    }

    #[test]
    fn resume_clears_suspend_and_finishes_suspend_nodes() {
        let mut wf = json!({"spec": {"suspend": true}, "status": {"nodes": {
            "a": {"type": "Suspend", "phase": "Running"}, "b": {"type": "Pod", "phase": "Running"}}}});
        resume_in_place(&mut wf, "now");
        assert!(wf["spec"].get("suspend").is_none());
        assert_eq!(wf["status"]["nodes"]["a"]["phase"], "Succeeded");
        assert_eq!(wf["status"]["nodes"]["a"]["finishedAt"], "now");
        assert_eq!(wf["status"]["nodes"]["b"]["phase"], "Running");
    }

    #[test]
    fn resubmit_makes_a_new_labelled_run_from_the_spec() {
        let new = resubmitted(&failed_wf());
        assert_eq!(new["metadata"]["generateName"], "wf-");
        assert_eq!(
            new["metadata"]["labels"]["workflows.argoproj.io/resubmitted-from-workflow"],
            "wf"
        );
        assert_eq!(new["metadata"]["labels"]["team"], "a");
        assert!(
            new["metadata"]["labels"]
                .get("workflows.argoproj.io/completed")
                .is_none()
        );
        assert!(new.get("status").is_none());
        assert!(new["spec"].get("shutdown").is_none());
        assert_eq!(new["spec"]["entrypoint"], "main");
    }

    #[test]
    fn a_resubmitted_terminated_run_starts_without_its_zero_deadline() {
        let mut old = failed_wf();
        old["spec"]["activeDeadlineSeconds"] = json!(0);
        old["spec"]["shutdown"] = json!("Terminate");
        let new = resubmitted(&old);
        assert!(new["spec"].get("activeDeadlineSeconds").is_none(), "{new}");
        old["spec"]["activeDeadlineSeconds"] = json!(3600);
        assert_eq!(
            resubmitted(&old)["spec"]["activeDeadlineSeconds"],
            3600,
            "a chosen limit stays"
        );
    }
}
