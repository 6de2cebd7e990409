//! Fetching one full object for the YAML and describe views.

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde_json::Value;

use crate::kube::describe::{describe, yaml_lines};
use crate::kube::describe_error;
use crate::kube::key::Kind;

/// What a text view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    Yaml,
    Describe,
    /// A Secret's YAML with its values decoded (they are hidden in the others).
    Revealed,
}

impl ViewKind {
    pub fn label(self) -> &'static str {
        match self {
            ViewKind::Yaml => "YAML",
            ViewKind::Describe => "Describe",
            ViewKind::Revealed => "YAML, values shown",
        }
    }
}

/// The API resource behind a kind.
pub fn api_resource(kind: Kind) -> ApiResource {
    let (group, version, kind_name, plural) = match kind {
        Kind::Resource(r) => (
            r.group.as_str(),
            r.version.as_str(),
            r.kind.as_str(),
            r.plural.as_str(),
        ),
        Kind::Workflows | Kind::RunGraph | Kind::KfpRuns => {
            ("argoproj.io", "v1alpha1", "Workflow", "workflows")
        }
        Kind::Pipelines | Kind::PipelineObjects => {
            ("pipelines.kubeflow.org", "v2beta1", "Pipeline", "pipelines")
        }
        Kind::WorkflowTemplates => ("argoproj.io", "v1alpha1", "WorkflowTemplate", "workflowtemplates"),
        Kind::ScheduledWorkflows => (
            "kubeflow.org",
            "v1beta1",
            "ScheduledWorkflow",
            "scheduledworkflows",
        ),
        Kind::CronWorkflows => ("argoproj.io", "v1alpha1", "CronWorkflow", "cronworkflows"),
        Kind::ClusterWorkflowTemplates => (
            "argoproj.io",
            "v1alpha1",
            "ClusterWorkflowTemplate",
            "clusterworkflowtemplates",
        ),
        Kind::Namespaces => ("", "v1", "Namespace", "namespaces"),
        Kind::Pods => ("", "v1", "Pod", "pods"),
        Kind::Notebooks => ("kubeflow.org", "v1", "Notebook", "notebooks"),
        // The metrics are about models and pods; they are never fetched as objects.
        Kind::InferenceServices | Kind::ModelTraffic | Kind::ModelHistory => (
            "serving.kserve.io",
            "v1beta1",
            "InferenceService",
            "inferenceservices",
        ),
        Kind::TrainingHardware => ("", "v1", "Pod", "pods"),
        Kind::Training(k) => k.api(),
        Kind::TrainingRuntimes => (
            "trainer.kubeflow.org",
            "v1alpha1",
            "TrainingRuntime",
            "trainingruntimes",
        ),
        Kind::ClusterTrainingRuntimes => (
            "trainer.kubeflow.org",
            "v1alpha1",
            "ClusterTrainingRuntime",
            "clustertrainingruntimes",
        ),
        Kind::Experiments => ("kubeflow.org", "v1beta1", "Experiment", "experiments"),
        Kind::Trials => ("kubeflow.org", "v1beta1", "Trial", "trials"),
    };
    resource(group, version, kind_name, plural)
}

/// An API resource by its group, version, kind and plural (`""` group: the core API).
pub fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// The label selector of the pods a run, notebook, model, training job, experiment or trial
/// runs (`None`: the kind runs no pods of its own).
pub fn pod_selector(kind: Kind, name: &str) -> Option<String> {
    Some(match kind {
        Kind::Workflows | Kind::RunGraph => format!("workflows.argoproj.io/workflow={name}"),
        Kind::Notebooks => format!("{}={name}", crate::kube::resources::notebook::POD_LABEL),
        Kind::InferenceServices => format!("{}={name}", crate::kube::resources::inference_service::POD_LABEL),
        Kind::Training(k) => k.pod_selector(name),
        Kind::Experiments => format!("{}={name}", crate::kube::resources::experiment::EXPERIMENT_LABEL),
        Kind::Trials => format!("{}={name}", crate::kube::resources::experiment::TRIAL_LABEL),
        Kind::Namespaces
        | Kind::Pods
        | Kind::TrainingRuntimes
        | Kind::ClusterTrainingRuntimes
        | Kind::KfpRuns
        | Kind::Pipelines
        | Kind::PipelineObjects
        | Kind::WorkflowTemplates
        | Kind::ClusterWorkflowTemplates
        | Kind::ScheduledWorkflows
        | Kind::CronWorkflows
        | Kind::ModelTraffic
        | Kind::ModelHistory
        | Kind::TrainingHardware
        | Kind::Resource(_) => return None,
    })
}

/// Children worth listing in describe: the pods a run, notebook or model created.
async fn children(client: &kube::Client, kind: Kind, ns: &str, name: &str) -> Vec<Value> {
    let Some(selector) = pod_selector(kind, name) else {
        return Vec::new();
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    match pods.list(&ListParams::default().labels(&selector)).await {
        Ok(list) => list
            .items
            .into_iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .map(|mut v| {
                v["kind"] = Value::from("Pod");
                v
            })
            .collect(),
        Err(e) => {
            tracing::debug!("listing children of {name}: {}", describe_error(&e));
            Vec::new()
        }
    }
}

/// Child pods whose events a description includes (one request each).
const MAX_CHILD_EVENTS: usize = 8;

async fn events(client: &kube::Client, ns: &str, name: &str) -> Vec<Value> {
    let api: Api<Event> = Api::namespaced(client.clone(), ns);
    let fields = format!("involvedObject.name={name},involvedObject.namespace={ns}");
    match api.list(&ListParams::default().fields(&fields)).await {
        Ok(list) => list
            .items
            .into_iter()
            .filter_map(|e| serde_json::to_value(e).ok())
            .collect(),
        Err(e) => {
            tracing::debug!("listing events of {name}: {}", describe_error(&e));
            Vec::new()
        }
    }
}

/// A Secret's values: hidden (their size only), or decoded from base64 (`reveal`); `kubectl
/// apply`'s copy of the object, which holds them too, is hidden either way.
pub fn secret_values(secret: &mut Value, reveal: bool) {
    use base64::Engine;
    if let Some(data) = secret.get_mut("data").and_then(Value::as_object_mut) {
        for v in data.values_mut() {
            let raw = v.as_str().unwrap_or("");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(raw)
                .unwrap_or_default();
            *v = Value::String(match (reveal, String::from_utf8(bytes.clone())) {
                (true, Ok(text)) => text,
                (true, Err(_)) => format!("<{} bytes, not text>", bytes.len()),
                (false, _) => format!("<hidden: {} bytes; x shows>", bytes.len()),
            });
        }
    }
    if let Some(a) = secret
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
        && let Some(v) = a.get_mut("kubectl.kubernetes.io/last-applied-configuration")
    {
        *v = Value::String("<hidden: it holds the values>".into());
    }
}

/// Fetches an object and renders it as the view asks. Errors come back as a sentence.
pub async fn fetch(
    client: kube::Client,
    kind: Kind,
    ns: &str,
    name: &str,
    view: ViewKind,
) -> Result<Vec<String>, String> {
    if kind == Kind::KfpRuns {
        // A run whose Workflow is gone: KFP's record is all there is.
        let run = crate::kube::kfp::Kfp::new(client)
            .run(name)
            .await
            .map_err(|e| format!("cannot get KFP run {name}: {e}"))?;
        return Ok(yaml_lines(&run));
    }
    if kind == Kind::Pipelines {
        // KFP's record of the pipeline and its latest version with the spec.
        let kfp = crate::kube::kfp::Kfp::new(client);
        let mut p = kfp
            .pipeline_by_name(ns, name)
            .await
            .map_err(|e| format!("cannot get KFP pipeline {name}: {e}"))?;
        let id = p["pipeline_id"].as_str().unwrap_or("").to_string();
        if let Ok(Some(v)) = kfp.latest_version(&id).await {
            p["latest_version"] = v;
        }
        return Ok(yaml_lines(&p));
    }
    let ar = api_resource(kind);
    // Cluster-scoped objects have no namespace.
    let api: Api<DynamicObject> = if ns.is_empty() {
        Api::all_with(client.clone(), &ar)
    } else {
        Api::namespaced_with(client.clone(), ns, &ar)
    };
    let obj = api
        .get(name)
        .await
        .map_err(|e| format!("cannot get {}/{name}: {}", ar.kind, describe_error(&e)))?;
    let mut value = serde_json::to_value(&obj).map_err(|e| format!("cannot read {}/{name}: {e}", ar.kind))?;
    if matches!(kind, Kind::Resource(r) if r.is_secrets()) {
        secret_values(&mut value, view == ViewKind::Revealed);
    }
    Ok(match view {
        ViewKind::Yaml | ViewKind::Revealed => yaml_lines(&value),
        ViewKind::Describe => {
            let (mut found, children) =
                tokio::join!(events(&client, ns, name), children(&client, kind, ns, name));
            // A notebook's or a model's story is mostly its pod's (pulling, back-off, OOM):
            // the events of a few child pods join the object's own.
            if children.len() <= MAX_CHILD_EVENTS {
                let pods = children
                    .iter()
                    .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str));
                let theirs = futures::future::join_all(pods.map(|pod| events(&client, ns, pod))).await;
                found.extend(theirs.into_iter().flatten());
            }
            describe(&value, &found, &children, chrono::Utc::now())
        }
    })
}
