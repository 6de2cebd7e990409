//! Where new runs come from, and creating them: KFP pipeline versions (through the KFP API),
//! WorkflowTemplates and ClusterWorkflowTemplates, and copies of existing runs.

use chrono::Utc;
use kube::api::{Api, DynamicObject, ListParams, PostParams};
use serde_json::{Value, json};

use crate::kube::describe_error;
use crate::kube::fetch::api_resource;
use crate::kube::key::Kind;
use crate::kube::kfp::{Kfp, KfpError};
use crate::kube::resources::workflow::{ARGO_CLUSTER_TEMPLATE, ARGO_TEMPLATE, KFP_RUN_ID, KFP_RUN_NAME};
use crate::runs::params::{self, ParamSpec};

/// What the new run is made from.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOrigin {
    /// A KFP pipeline version: the run is created through the KFP API.
    Kfp { pipeline_id: String, version_id: String },
    /// A Workflow to create: from a template reference or a copy of a run.
    Workflow { object: Value },
}

/// What the form starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFormSeed {
    pub namespace: String,
    /// What the run is made from, in words: `pipeline hello-world (v2)`, `template data-prep`.
    pub title: String,
    pub origin: RunOrigin,
    pub run_name: String,
    /// The experiment's name, for KFP runs.
    pub experiment: Option<String>,
    /// The parameters, each with the value to start from (`None`: the default).
    pub params: Vec<(ParamSpec, Option<String>)>,
}

/// A run ready to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewRun {
    /// `POST /apis/v2beta1/runs` with this body; the experiment is found (or made) by name.
    Kfp {
        namespace: String,
        experiment: Option<String>,
        body: Value,
    },
    /// Create this Workflow.
    Workflow { namespace: String, object: Value },
}

/// The sources a run can start from, and notes on those that could not be listed.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub seeds: Vec<RunFormSeed>,
    pub notes: Vec<String>,
}

fn stamp() -> String {
    Utc::now().format("%Y-%m-%d %H:%M").to_string()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn unfilled(ps: Vec<ParamSpec>) -> Vec<(ParamSpec, Option<String>)> {
    ps.into_iter().map(|p| (p, None)).collect()
}

/// The seed of a run of one KFP pipeline version.
pub fn kfp_seed(namespace: &str, pipeline: &Value, version: &Value) -> RunFormSeed {
    let pname = match s(pipeline, "display_name") {
        "" => s(pipeline, "name"),
        n => n,
    };
    let vname = match s(version, "display_name") {
        "" => s(version, "name"),
        n => n,
    };
    RunFormSeed {
        namespace: namespace.to_string(),
        title: format!("pipeline {pname} · version {vname}"),
        origin: RunOrigin::Kfp {
            pipeline_id: s(pipeline, "pipeline_id").to_string(),
            version_id: s(version, "pipeline_version_id").to_string(),
        },
        run_name: format!("Run of {pname} {}", stamp()),
        experiment: Some("Default".into()),
        params: unfilled(params::kfp_params(
            version.get("pipeline_spec").unwrap_or(&Value::Null),
        )),
    }
}

/// The seed of a run of a (Cluster)WorkflowTemplate: a Workflow that references it.
pub fn template_seed(namespace: &str, template: &Value, cluster: bool) -> RunFormSeed {
    let name = template
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let label = if cluster {
        ARGO_CLUSTER_TEMPLATE
    } else {
        ARGO_TEMPLATE
    };
    let mut tref = json!({"name": name});
    if cluster {
        tref["clusterScope"] = json!(true);
    }
    let object = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": format!("{name}-"), "namespace": namespace, "labels": {label: name}},
        "spec": {"workflowTemplateRef": tref},
    });
    RunFormSeed {
        namespace: namespace.to_string(),
        title: format!(
            "{} {name}",
            if cluster {
                "clusterworkflowtemplate"
            } else {
                "workflowtemplate"
            }
        ),
        origin: RunOrigin::Workflow { object },
        run_name: String::new(),
        experiment: None,
        params: unfilled(params::argo_params(template.get("spec").unwrap_or(&Value::Null))),
    }
}

/// The seed of a copy of a plain Argo run: its spec, parameters pre-filled with the run's values.
pub fn workflow_clone_seed(wf: &Value) -> RunFormSeed {
    let name = wf
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("run");
    let namespace = wf
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut object = crate::kube::ops::resubmitted(wf);
    if let Some(labels) = object
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove("workflows.argoproj.io/resubmitted-from-workflow");
        labels.remove(KFP_RUN_ID);
    }
    let spec = object.get("spec").cloned().unwrap_or(Value::Null);
    let params = params::argo_params(&spec)
        .into_iter()
        .map(|p| {
            let value = p.default.clone();
            (p, value)
        })
        .collect();
    RunFormSeed {
        namespace,
        title: format!("copy of run {name}"),
        origin: RunOrigin::Workflow { object },
        run_name: String::new(),
        experiment: None,
        params,
    }
}

/// Everything a new run in `namespace` can start from.
pub async fn sources(client: &kube::Client, namespace: &str) -> Sources {
    let mut out = Sources::default();
    let kfp = Kfp::new(client.clone());
    match kfp.pipelines(namespace).await {
        Ok(pipelines) => {
            let versions = futures::future::join_all(pipelines.iter().map(|p| {
                let kfp = kfp.clone();
                let id = s(p, "pipeline_id").to_string();
                async move { kfp.latest_version(&id).await }
            }))
            .await;
            for (p, v) in pipelines.iter().zip(versions) {
                match v {
                    Ok(Some(v)) => out.seeds.push(kfp_seed(namespace, p, &v)),
                    Ok(None) => {}
                    Err(e) => out.notes.push(format!("pipeline {}: {e}", s(p, "display_name"))),
                }
            }
        }
        Err(e) => out.notes.push(format!("KFP pipelines: {e}")),
    }
    let templates = crate::kube::pipelines::workflow_templates();
    match crate::kube::pipelines::list(client, Some(namespace), &templates).await {
        Ok(items) => out
            .seeds
            .extend(items.iter().map(|t| template_seed(namespace, t, false))),
        Err(e) => out.notes.push(e),
    }
    let cluster_templates = crate::kube::pipelines::cluster_workflow_templates();
    match crate::kube::pipelines::list(client, None, &cluster_templates).await {
        Ok(items) => out
            .seeds
            .extend(items.iter().map(|t| template_seed(namespace, t, true))),
        Err(e) => out.notes.push(e),
    }
    out
}

/// The seed of a copy of the run `ns/name`. A KFP run is copied through the KFP API when it
/// answers (same pipeline version, its parameter values, "Clone of …"), as the KFP UI does;
/// any other run, or a KFP run without the API, as a copy of its Workflow.
pub async fn clone_seed(client: &kube::Client, ns: &str, name: &str) -> Result<RunFormSeed, String> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &api_resource(Kind::Workflows));
    let wf = api.get(name).await.map_err(|e| describe_error(&e))?;
    let wf = serde_json::to_value(wf).map_err(|e| e.to_string())?;
    let run_id = wf
        .pointer(&format!("/metadata/labels/{}", KFP_RUN_ID.replace('/', "~1")))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !run_id.is_empty() {
        let kfp = Kfp::new(client.clone());
        match kfp_clone(&kfp, ns, run_id).await {
            Ok(seed) => return Ok(seed),
            Err(KfpError::Unreachable(why)) => {
                tracing::info!("cloning {name} as a Workflow: {why}");
            }
            Err(KfpError::Api(e)) => return Err(e),
        }
    }
    let mut seed = workflow_clone_seed(&wf);
    if let Some(display) = wf
        .pointer(&format!(
            "/metadata/annotations/{}",
            KFP_RUN_NAME.replace('/', "~1")
        ))
        .and_then(Value::as_str)
    {
        seed.title = format!("copy of run {display} ({name})");
    }
    Ok(seed)
}

async fn kfp_clone(kfp: &Kfp, ns: &str, run_id: &str) -> Result<RunFormSeed, KfpError> {
    let run = kfp.run(run_id).await?;
    let pid = run
        .pointer("/pipeline_version_reference/pipeline_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let vid = run
        .pointer("/pipeline_version_reference/pipeline_version_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    if vid.is_empty() {
        return Err(KfpError::Unreachable("the run names no pipeline version".into()));
    }
    let version = kfp.version(pid, vid).await?;
    let given = run
        .pointer("/runtime_config/parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let display = s(&run, "display_name");
    let params = params::kfp_params(version.get("pipeline_spec").unwrap_or(&Value::Null))
        .into_iter()
        .map(|p| {
            let value = given.get(&p.name).map(params::value_text);
            (p, value)
        })
        .collect();
    Ok(RunFormSeed {
        namespace: ns.to_string(),
        title: format!("copy of run {display}"),
        origin: RunOrigin::Kfp {
            pipeline_id: pid.to_string(),
            version_id: vid.to_string(),
        },
        run_name: format!("Clone of {display}"),
        experiment: Some("Default".into()),
        params,
    })
}

/// Creates the run; the answer is its Workflow's namespace and name.
pub async fn create(client: &kube::Client, run: NewRun) -> Result<(String, String), String> {
    match run {
        NewRun::Workflow { namespace, object } => {
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), &namespace, &api_resource(Kind::Workflows));
            let obj: DynamicObject = serde_json::from_value(object).map_err(|e| e.to_string())?;
            let created = api
                .create(&PostParams::default(), &obj)
                .await
                .map_err(|e| describe_error(&e))?;
            Ok((namespace, created.metadata.name.unwrap_or_default()))
        }
        NewRun::Kfp {
            namespace,
            experiment,
            mut body,
        } => {
            let kfp = Kfp::new(client.clone());
            if body.get("experiment_id").is_none()
                && let Some(exp) = experiment
            {
                let id = kfp
                    .experiment_id(&namespace, &exp)
                    .await
                    .map_err(|e| e.to_string())?;
                body["experiment_id"] = json!(id);
            }
            let created = kfp.create_run(&body).await.map_err(|e| e.to_string())?;
            let run_id = s(&created, "run_id").to_string();
            workflow_of_run(client, &namespace, &run_id).await
        }
    }
}

/// The Workflow KFP made for a run: labelled `pipeline/runid`, appearing within a few seconds.
async fn workflow_of_run(client: &kube::Client, ns: &str, run_id: &str) -> Result<(String, String), String> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &api_resource(Kind::Workflows));
    let params = ListParams::default().labels(&format!("{KFP_RUN_ID}={run_id}"));
    for _ in 0..40 {
        let list = api.list(&params).await.map_err(|e| describe_error(&e))?;
        if let Some(name) = list.items.into_iter().find_map(|o| o.metadata.name) {
            return Ok((ns.to_string(), name));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    Err(format!(
        "KFP created run {run_id}, but its Workflow did not appear in {ns} within 10 s"
    ))
}
