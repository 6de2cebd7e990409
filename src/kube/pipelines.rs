//! The Pipelines pane's IO: listing pipelines from KFP's API (or its Pipeline objects) and Argo's
//! templates, reading one pipeline's versions and spec, uploading and deleting.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::describe_error;
use crate::kube::event::{DataEvent, SubStatus};
use crate::kube::fetch::resource;
use crate::kube::key::SubKey;
use crate::kube::kfp::{Kfp, KfpError};
use crate::kube::new_run::{RunFormSeed, kfp_seed, template_seed};
use crate::kube::resources::pipeline::{PipelineRow, PipelineSource};
use crate::kube::resources::recurring::{RecurringRow, ScheduleSource};
use crate::runs::params::{ParamSpec, argo_params, kfp_params};

/// How often the list is read again (KFP's API cannot be watched).
const EVERY: Duration = Duration::from_secs(20);

pub fn workflow_templates() -> ApiResource {
    resource("argoproj.io", "v1alpha1", "WorkflowTemplate", "workflowtemplates")
}

pub fn cluster_workflow_templates() -> ApiResource {
    resource(
        "argoproj.io",
        "v1alpha1",
        "ClusterWorkflowTemplate",
        "clusterworkflowtemplates",
    )
}

fn kfp_pipelines() -> ApiResource {
    resource("pipelines.kubeflow.org", "v2beta1", "Pipeline", "pipelines")
}

fn kfp_versions() -> ApiResource {
    resource(
        "pipelines.kubeflow.org",
        "v2beta1",
        "PipelineVersion",
        "pipelineversions",
    )
}

/// The objects of a resource in a namespace (`None`: all), as JSON; a resource the cluster does not
/// serve says so.
pub async fn list(client: &kube::Client, ns: Option<&str>, ar: &ApiResource) -> Result<Vec<Value>, String> {
    let api: Api<DynamicObject> = match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    };
    let list = api.list(&ListParams::default()).await.map_err(|e| match &e {
        kube::Error::Api(s) if s.code == 404 => format!("{}.{} are not served", ar.plural, ar.group),
        _ => format!("{}: {}", ar.plural, describe_error(&e)),
    })?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .collect())
}

/// Pipelines from KFP's API; `Err` when it is not reachable.
/// KFP's pipelines of a namespace (its own and the shared ones), or (`None`) the shared ones and
/// every profile namespace's, each once.
async fn from_kfp_in(
    client: &kube::Client,
    kfp: &Kfp,
    ns: Option<&str>,
) -> Result<Vec<PipelineRow>, KfpError> {
    let Some(ns) = ns else {
        let profiles = crate::kube::kfp::profile_namespaces(client)
            .await
            .map_err(|e| KfpError::Unreachable(format!("cannot list the profile namespaces: {e}")))?;
        let mut rows = from_kfp(kfp, "").await?;
        for p in &profiles {
            for r in from_kfp(kfp, p).await? {
                if !rows
                    .iter()
                    .any(|have| have.pipeline_id == r.pipeline_id && have.source == r.source)
                {
                    rows.push(r);
                }
            }
        }
        return Ok(rows);
    };
    from_kfp(kfp, ns).await
}

async fn from_kfp(kfp: &Kfp, ns: &str) -> Result<Vec<PipelineRow>, KfpError> {
    let pipelines = kfp.pipelines(ns).await?;
    let versions = futures::future::join_all(pipelines.iter().map(|p| {
        let id = p
            .get("pipeline_id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        async move { kfp.versions(&id).await }
    }))
    .await;
    let mut rows = Vec::with_capacity(pipelines.len());
    for (p, v) in pipelines.iter().zip(versions) {
        rows.push(PipelineRow::from_kfp(p, &v?));
    }
    Ok(rows)
}

/// Pipelines from the `pipelines.kubeflow.org` objects (KFP's Kubernetes storage mode).
async fn from_crds(client: &kube::Client, ns: Option<&str>) -> Result<Vec<PipelineRow>, String> {
    let pipelines = list(client, ns, &kfp_pipelines()).await?;
    let versions = list(client, ns, &kfp_versions()).await?;
    Ok(pipelines
        .iter()
        .map(|p| {
            let uid = p.pointer("/metadata/uid").and_then(Value::as_str).unwrap_or("");
            let mine: Vec<Value> = versions
                .iter()
                .filter(|v| {
                    v.pointer("/metadata/labels/pipelines.kubeflow.org~1pipeline-id")
                        .and_then(Value::as_str)
                        == Some(uid)
                        || v.pointer("/metadata/ownerReferences")
                            .and_then(Value::as_array)
                            .is_some_and(|o| o.iter().any(|r| r["uid"] == uid))
                })
                .cloned()
                .collect();
            PipelineRow::from_crd(p, &mine)
        })
        .collect())
}

/// Every pipeline of the namespace (`None`: all), and why a source is missing.
pub async fn gather(client: &kube::Client, ns: Option<&str>) -> (Vec<PipelineRow>, Vec<String>) {
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let kfp = Kfp::new(client.clone());
    match from_kfp_in(client, &kfp, ns).await {
        Ok(r) => rows.extend(r),
        Err(e) => {
            notes.push(e.to_string());
            match from_crds(client, ns).await {
                Ok(r) => rows.extend(r),
                Err(e) => notes.push(e),
            }
        }
    }
    match list(client, ns, &workflow_templates()).await {
        Ok(items) => rows.extend(items.iter().map(|t| PipelineRow::from_template(t, false))),
        Err(e) => notes.push(e),
    }
    match list(client, None, &cluster_workflow_templates()).await {
        Ok(items) => rows.extend(items.iter().map(|t| PipelineRow::from_template(t, true))),
        Err(e) => notes.push(e),
    }
    (rows, notes)
}

fn swfs() -> ApiResource {
    resource(
        "kubeflow.org",
        "v1beta1",
        "ScheduledWorkflow",
        "scheduledworkflows",
    )
}

fn cron_workflows() -> ApiResource {
    resource("argoproj.io", "v1alpha1", "CronWorkflow", "cronworkflows")
}

/// The recurring runs of the namespace: KFP's ScheduledWorkflows (named by pipeline) and Argo's
/// CronWorkflows. A kind the cluster does not serve adds a note.
pub async fn recurring(
    client: &kube::Client,
    ns: Option<&str>,
    pipelines: &[PipelineRow],
    notes: &mut Vec<String>,
) -> Vec<RecurringRow> {
    let names: std::collections::BTreeMap<String, String> = pipelines
        .iter()
        .filter(|p| !p.pipeline_id.is_empty())
        .map(|p| (p.pipeline_id.clone(), p.display_name.clone()))
        .collect();
    let mut rows = Vec::new();
    match list(client, ns, &swfs()).await {
        Ok(items) => rows.extend(items.iter().map(|v| RecurringRow::from_swf(v, &names))),
        Err(e) => notes.push(e),
    }
    let now = chrono::Utc::now();
    match list(client, ns, &cron_workflows()).await {
        Ok(items) => rows.extend(items.iter().map(|v| RecurringRow::from_cron_workflow(v, now))),
        Err(e) => notes.push(e),
    }
    rows
}

/// Enables or disables a recurring run: a KFP one through KFP's API when it answers (so its
/// database agrees), else on the ScheduledWorkflow; a CronWorkflow through `spec.suspend`.
pub async fn set_schedule(
    client: &kube::Client,
    source: ScheduleSource,
    ns: &str,
    name: &str,
    enable: bool,
) -> Result<String, String> {
    let word = if enable { "enabled" } else { "disabled" };
    let ar = match source {
        ScheduleSource::Kfp => swfs(),
        ScheduleSource::Cron => cron_workflows(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
    if source == ScheduleSource::Kfp {
        let swf = api.get(name).await.map_err(|e| describe_error(&e))?;
        let id = swf.metadata.uid.unwrap_or_default();
        let action = if enable { "enable" } else { "disable" };
        match Kfp::new(client.clone()).recurring_run_action(&id, action).await {
            Ok(()) => return Ok(format!("{name}: {word} through the KFP API")),
            Err(KfpError::Api(e)) => return Err(e),
            Err(KfpError::Unreachable(why)) => tracing::info!("{name}: {action} on the object: {why}"),
        }
    }
    let patch = match source {
        ScheduleSource::Kfp => serde_json::json!({"spec": {"enabled": enable}}),
        ScheduleSource::Cron => serde_json::json!({"spec": {"suspend": !enable}}),
    };
    api.patch(
        name,
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&patch),
    )
    .await
    .map_err(|e| describe_error(&e))?;
    Ok(format!("{name}: {word}"))
}

/// Polls the pipelines until cancelled.
pub async fn poll<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    loop {
        let (rows, mut notes) = gather(&client, key.namespace.as_deref()).await;
        let recurring = recurring(&client, key.namespace.as_deref(), &rows, &mut notes).await;
        if rows.is_empty() && !notes.is_empty() {
            let status = SubStatus::Failed {
                message: notes.join("; "),
            };
            let _ = tx
                .send(T::from(DataEvent::Status {
                    key: key.clone(),
                    status,
                }))
                .await;
        } else {
            let event = DataEvent::Pipelines {
                key: key.clone(),
                rows: Arc::from(rows),
                recurring: Arc::from(recurring),
                notes,
            };
            if tx.send(T::from(event)).await.is_err() {
                return;
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// One version of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionInfo {
    pub id: String,
    pub name: String,
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    pub description: String,
}

/// What the detail of a pipeline shows.
#[derive(Debug, Clone)]
pub struct PipelineDetail {
    pub versions: Vec<VersionInfo>,
    /// The spec shown: the latest version's, or the template's.
    pub spec_of: String,
    pub params: Vec<ParamSpec>,
    /// Tasks (name, image, dependencies).
    pub tasks: Vec<(String, String, Vec<String>)>,
    /// The new-run form's start for this pipeline.
    pub seed: Option<RunFormSeed>,
}

fn version_info(v: &Value, crd: bool) -> VersionInfo {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    if crd {
        VersionInfo {
            id: s("/metadata/uid"),
            name: s("/metadata/name"),
            created: crate::kube::resources::parse_time(&s("/metadata/creationTimestamp")),
            description: s("/spec/description"),
        }
    } else {
        let display = s("/display_name");
        VersionInfo {
            id: s("/pipeline_version_id"),
            name: if display.is_empty() { s("/name") } else { display },
            created: crate::kube::resources::parse_time(&s("/created_at")),
            description: s("/description"),
        }
    }
}

/// Reads what the detail of `row` shows.
pub async fn detail(
    client: &kube::Client,
    row: &PipelineRow,
    run_ns: &str,
) -> Result<PipelineDetail, String> {
    match row.source {
        PipelineSource::KfpApi => {
            let kfp = Kfp::new(client.clone());
            let versions = kfp.versions(&row.pipeline_id).await.map_err(|e| e.to_string())?;
            let latest = versions.first().cloned().unwrap_or(Value::Null);
            let spec = latest.get("pipeline_spec").cloned().unwrap_or(Value::Null);
            let pipeline = serde_json::json!({"pipeline_id": row.pipeline_id, "display_name": row.display_name, "name": row.name});
            Ok(PipelineDetail {
                versions: versions.iter().map(|v| version_info(v, false)).collect(),
                spec_of: version_info(&latest, false).name,
                params: kfp_params(&spec),
                tasks: crate::runs::synthetic::ir_tasks(&spec),
                seed: (!latest.is_null()).then(|| kfp_seed(run_ns, &pipeline, &latest)),
            })
        }
        PipelineSource::KfpCrd => {
            let all = list(client, Some(&row.namespace), &kfp_versions()).await?;
            let mut versions: Vec<Value> = all
                .into_iter()
                .filter(|v| {
                    v.pointer("/metadata/labels/pipelines.kubeflow.org~1pipeline-id")
                        .and_then(Value::as_str)
                        == Some(row.pipeline_id.as_str())
                })
                .collect();
            versions.sort_by_key(|v| {
                std::cmp::Reverse(
                    v.pointer("/metadata/creationTimestamp")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                )
            });
            let latest = versions.first().cloned().unwrap_or(Value::Null);
            let spec = latest
                .pointer("/spec/pipelineSpec")
                .cloned()
                .unwrap_or(Value::Null);
            Ok(PipelineDetail {
                versions: versions.iter().map(|v| version_info(v, true)).collect(),
                spec_of: version_info(&latest, true).name,
                params: kfp_params(&spec),
                tasks: crate::runs::synthetic::ir_tasks(&spec),
                // Runs of a pipeline object start through KFP's API, which is not reachable.
                seed: None,
            })
        }
        PipelineSource::WorkflowTemplate | PipelineSource::ClusterWorkflowTemplate => {
            let cluster = row.source == PipelineSource::ClusterWorkflowTemplate;
            let api: Api<DynamicObject> = if cluster {
                Api::all_with(client.clone(), &cluster_workflow_templates())
            } else {
                Api::namespaced_with(client.clone(), &row.namespace, &workflow_templates())
            };
            let t = api.get(&row.name).await.map_err(|e| describe_error(&e))?;
            let t = serde_json::to_value(t).map_err(|e| e.to_string())?;
            let spec = t.get("spec").cloned().unwrap_or(Value::Null);
            Ok(PipelineDetail {
                versions: Vec::new(),
                spec_of: row.name.clone(),
                params: argo_params(&spec),
                tasks: crate::runs::synthetic::argo_tasks(&spec),
                seed: Some(template_seed(run_ns, &t, cluster)),
            })
        }
    }
}

/// Deletes the pipeline `ns/name` of `source` (a KFP pipeline with all its versions) or a
/// template.
pub async fn delete_named(
    client: &kube::Client,
    source: PipelineSource,
    ns: &str,
    name: &str,
) -> Result<String, String> {
    match source {
        PipelineSource::KfpApi => {
            let kfp = Kfp::new(client.clone());
            let p = kfp.pipeline_by_name(ns, name).await.map_err(|e| e.to_string())?;
            let id = p.get("pipeline_id").and_then(Value::as_str).unwrap_or("");
            kfp.delete_pipeline(id).await.map_err(|e| e.to_string())?;
            Ok(format!("pipeline {name} and its versions deleted"))
        }
        PipelineSource::KfpCrd => {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &kfp_pipelines());
            api.delete(name, &DeleteParams::foreground())
                .await
                .map_err(|e| describe_error(&e))?;
            Ok(format!("pipeline {name} is being deleted"))
        }
        PipelineSource::WorkflowTemplate | PipelineSource::ClusterWorkflowTemplate => {
            let api: Api<DynamicObject> = if source == PipelineSource::ClusterWorkflowTemplate {
                Api::all_with(client.clone(), &cluster_workflow_templates())
            } else {
                Api::namespaced_with(client.clone(), ns, &workflow_templates())
            };
            api.delete(name, &DeleteParams::default())
                .await
                .map_err(|e| describe_error(&e))?;
            Ok(format!("{} {name} deleted", source.word()))
        }
    }
}

/// Uploads a pipeline spec file: a new pipeline, or a new version of `pipeline_id`.
pub async fn upload(
    client: &kube::Client,
    namespace: &str,
    pipeline_id: Option<&str>,
    path: &str,
    name: Option<&str>,
) -> Result<String, String> {
    let content = tokio::fs::read(path)
        .await
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    // A spec that does not parse is refused here, with the line, before KFP sees it.
    let spec: Value = serde_saphyr::from_slice(&content)
        .map_err(|e| format!("{path} is not a pipeline spec (YAML): {e}"))?;
    if spec.pointer("/root").is_none() && spec.pointer("/pipeline_spec/root").is_none() {
        return Err(format!("{path} has no `root`: not a compiled KFP pipeline spec"));
    }
    let file_name = std::path::Path::new(path)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or("pipeline.yaml");
    let default_name = spec
        .pointer("/pipelineInfo/name")
        .and_then(Value::as_str)
        .unwrap_or(file_name)
        .to_string();
    let name = name.map_or(default_name, String::from);
    let kfp = Kfp::new(client.clone());
    let answer = kfp
        .upload(namespace, pipeline_id, &name, file_name, &content)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match pipeline_id {
        None => format!(
            "uploaded pipeline {}",
            answer
                .get("display_name")
                .and_then(Value::as_str)
                .unwrap_or(&name)
        ),
        Some(_) => format!(
            "uploaded version {}",
            answer
                .get("display_name")
                .and_then(Value::as_str)
                .unwrap_or(&name)
        ),
    })
}
