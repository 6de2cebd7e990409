//! The KFP v2beta1 REST subset kftui uses, served through the `ml-pipeline:8888` service proxy
//! and consistent with the store: pipelines and versions are the Kubernetes-native Pipeline and
//! PipelineVersion objects, runs are Workflows labelled `pipeline/runid`, recurring runs are
//! ScheduledWorkflows; experiments (which live in KFP's database) are kept here. JSON is
//! snake_case as in the swagger.

use std::sync::Mutex;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::{Query, Request, value_response};
use crate::sim::controllers::argo::{LABEL_COMPLETED, PLAN_ANNOTATION, Plan};
use crate::sim::controllers::kit::{self, uuid_for};
use crate::sim::error::ApiError;
use crate::sim::kfp;
use crate::sim::seed::PROFILE_NAMESPACES;
use crate::sim::store::{Filter, Part, timestamp};
use crate::sim::types::{self, ResourceType};

/// KFP state that is not in Kubernetes: experiments.
#[derive(Default)]
pub struct KfpState {
    experiments: Mutex<Option<Vec<Value>>>,
    /// Runs KFP's database remembers whose Workflows were deleted after their TTL.
    history: Mutex<Option<Vec<Value>>>,
}

const EPOCH: &str = "1970-01-01T00:00:00Z";

fn kfp_error(code: u16, message: impl Into<String>) -> ApiError {
    let reason = match code {
        400 => "BadRequest",
        404 => "NotFound",
        _ => "InternalError",
    };
    ApiError::new(code, reason, message)
}

fn ok(v: &Value) -> Result<Response, ApiError> {
    Ok(value_response(StatusCode::OK, v))
}

/// KFP answers errors as `{"error","code","message","details"}`, not as a `Status`.
fn error_response(e: &ApiError) -> Response {
    let grpc = match e.code {
        400 => 3,
        404 => 5,
        409 => 6,
        403 => 7,
        _ => 13,
    };
    let mut r = value_response(
        StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &json!({"error": e.message, "code": grpc, "message": e.message, "details": []}),
    );
    *r.status_mut() = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r
}

pub(super) fn handle(req: &Request<'_>, path: &str, query: Option<&str>) -> Result<Response, ApiError> {
    let q = Query::parse(query);
    Ok(route(req, path, &q).unwrap_or_else(|e| error_response(&e)))
}

fn rt(group: &str, plural: &str) -> Result<&'static ResourceType, ApiError> {
    types::find(group, plural).ok_or_else(|| kfp_error(500, format!("{plural} not served")))
}

fn route(req: &Request<'_>, path: &str, q: &Query) -> Result<Response, ApiError> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let m = req.method.clone();
    let get = m == Method::GET;
    let post = m == Method::POST;
    let del = m == Method::DELETE;
    match segs.as_slice() {
        ["apis", "v2beta1", "healthz"] => ok(&json!({
            "commit_sha": "7b70c7b9d2b1c0a2f3e4d5c6b7a8f9e0d1c2b3a4",
            "tag_name": "2.17.0",
            "multi_user": false,
            "pipeline_store": "kubernetes",
        })),
        ["apis", "v2beta1", "pipelines"] if get => list_pipelines(req, q),
        ["apis", "v2beta1", "pipelines"] if post => create_pipeline(req, q),
        ["apis", "v2beta1", "pipelines", "upload"] if post => upload(req, q, None),
        ["apis", "v2beta1", "pipelines", "upload_version"] if post => {
            let pid = q.get("pipelineid").unwrap_or("").to_string();
            upload(req, q, Some(pid))
        }
        ["apis", "v2beta1", "pipelines", "names", name] if get => {
            let p = find_pipeline(req, |p| {
                kit::s(p, "/metadata/name") == *name
                    && q.get("namespace")
                        .is_none_or(|ns| ns.is_empty() || kit::s(p, "/metadata/namespace") == ns)
            })?;
            ok(&pipeline_json(&p))
        }
        ["apis", "v2beta1", "pipelines", id] if get => ok(&pipeline_json(&pipeline_by_id(req, id)?)),
        ["apis", "v2beta1", "pipelines", id] if del => {
            let p = pipeline_by_id(req, id)?;
            req.shared.store.delete(
                rt("pipelines.kubeflow.org", "pipelines")?,
                kit::s(&p, "/metadata/namespace"),
                kit::s(&p, "/metadata/name"),
            )?;
            ok(&json!({}))
        }
        ["apis", "v2beta1", "pipelines", id, "versions"] if get => list_versions(req, q, id),
        ["apis", "v2beta1", "pipelines", id, "versions"] if post => {
            let body: Value = serde_json::from_slice(&req.body)
                .map_err(|e| kfp_error(400, format!("invalid body: {e}")))?;
            let p = pipeline_by_id(req, id)?;
            let spec = body.get("pipeline_spec").cloned().unwrap_or(Value::Null);
            let display = body.get("display_name").and_then(Value::as_str).unwrap_or("");
            ok(&version_json(&create_version(
                req,
                &p,
                display,
                body.get("description").and_then(Value::as_str).unwrap_or(""),
                spec,
            )?))
        }
        ["apis", "v2beta1", "pipelines", id, "versions", vid] if get => {
            let v = version_by_id(req, vid)?;
            if kit::s(&v, "/metadata/labels/pipelines.kubeflow.org~1pipeline-id") != *id {
                return Err(kfp_error(
                    404,
                    format!("PipelineVersion {vid} not found in pipeline {id}"),
                ));
            }
            ok(&version_json(&v))
        }
        ["apis", "v2beta1", "pipelines", _, "versions", vid] if del => {
            let v = version_by_id(req, vid)?;
            req.shared.store.delete(
                rt("pipelines.kubeflow.org", "pipelineversions")?,
                kit::s(&v, "/metadata/namespace"),
                kit::s(&v, "/metadata/name"),
            )?;
            ok(&json!({}))
        }
        ["apis", "v2beta1", "runs"] if get => list_runs(req, q),
        ["apis", "v2beta1", "runs"] if post => create_run(req),
        ["apis", "v2beta1", "runs", id] if get => {
            let (id, action) = id.split_once(':').unwrap_or((id, ""));
            if !action.is_empty() {
                return Err(kfp_error(404, "Not Found"));
            }
            match run_by_id(req, id) {
                Ok(wf) => ok(&run_json(&wf)),
                Err(e) => match history(req).into_iter().find(|r| r["run_id"] == *id) {
                    Some(r) => ok(&r),
                    None => Err(e),
                },
            }
        }
        ["apis", "v2beta1", "runs", id] if post => {
            let (id, action) = id.split_once(':').unwrap_or((id, ""));
            match action {
                "terminate" => terminate(req, id),
                "retry" => retry(req, id),
                "archive" | "unarchive" => ok(&json!({})),
                _ => Err(kfp_error(404, "Not Found")),
            }
        }
        ["apis", "v2beta1", "runs", id] if del => {
            let wf = run_by_id(req, id)?;
            req.shared.store.delete(
                types::workflow_type(),
                kit::s(&wf, "/metadata/namespace"),
                kit::s(&wf, "/metadata/name"),
            )?;
            ok(&json!({}))
        }
        ["apis", "v2beta1", "experiments"] if get => list_experiments(req, q),
        ["apis", "v2beta1", "experiments"] if post => create_experiment(req),
        ["apis", "v2beta1", "experiments", id] if get => {
            let all = experiments(req);
            let e = all
                .iter()
                .find(|e| e["experiment_id"] == *id)
                .cloned()
                .ok_or_else(|| kfp_error(404, format!("Experiment {id} not found")))?;
            ok(&e)
        }
        ["apis", "v2beta1", "recurringruns"] if get => list_recurring(req, q),
        ["apis", "v2beta1", "recurringruns", id] if get => ok(&recurring_json(&recurring_by_id(req, id)?)),
        ["apis", "v2beta1", "recurringruns", id] if post => {
            let (id, action) = id.split_once(':').unwrap_or((id, ""));
            let enable = match action {
                "enable" => true,
                "disable" => false,
                _ => return Err(kfp_error(404, "Not Found")),
            };
            let swf = recurring_by_id(req, id)?;
            let t = rt("kubeflow.org", "scheduledworkflows")?;
            let now = Utc::now();
            req.shared.store.mutate(t, kit::s(&swf, "/metadata/namespace"), kit::s(&swf, "/metadata/name"), Part::All, |o| {
                o["spec"]["enabled"] = json!(enable);
                let (ty, msg) = if enable { ("Enabled", "The schedule is enabled.") } else { ("Disabled", "The schedule is disabled.") };
                o["status"]["conditions"] = json!([{"type": ty, "status": "True", "reason": ty, "message": msg,
                    "lastProbeTime": timestamp(now), "lastTransitionTime": timestamp(now)}]);
                Ok(())
            })?;
            ok(&json!({}))
        }
        _ => Err(kfp_error(404, format!("Not Found: {path}"))),
    }
}

// ---- paging, filtering ----

fn page(items: Vec<Value>, q: &Query, key: &str) -> Result<Response, ApiError> {
    let size = q
        .get("page_size")
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(20);
    let start = match q.get("page_token").filter(|t| !t.is_empty()) {
        Some(t) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse::<usize>().ok()))
            .ok_or_else(|| kfp_error(400, format!("Invalid page token {t:?}")))?,
        None => 0,
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let next = if start + size < total {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{}", start + size))
    } else {
        String::new()
    };
    let mut out = Map::new();
    if !page.is_empty() {
        out.insert(key.into(), Value::Array(page));
    }
    out.insert("total_size".into(), json!(total));
    out.insert("next_page_token".into(), json!(next));
    ok(&Value::Object(out))
}

/// KFP's `filter` (URL-encoded JSON predicates) over snake_case fields of the items.
fn filtered(items: Vec<Value>, q: &Query) -> Result<Vec<Value>, ApiError> {
    let Some(f) = q.get("filter").filter(|f| !f.is_empty()) else {
        return Ok(items);
    };
    let filter: Value =
        serde_json::from_str(f).map_err(|e| kfp_error(400, format!("Invalid filter {f:?}: {e}")))?;
    let preds = filter
        .get("predicates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(items
        .into_iter()
        .filter(|item| {
            preds.iter().all(|p| {
                let key = p.get("key").and_then(Value::as_str).unwrap_or("");
                let key = key.strip_prefix("run_details.").unwrap_or(key);
                let actual = match item.get(key) {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                let value = p
                    .get("string_value")
                    .or_else(|| p.get("int_value"))
                    .or_else(|| p.get("long_value"))
                    .or_else(|| p.get("timestamp_value"))
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
                    .unwrap_or_default();
                let list: Vec<String> = p
                    .pointer("/string_values/values")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                    .unwrap_or_default();
                match p.get("operation").and_then(Value::as_str).unwrap_or("EQUALS") {
                    "EQUALS" => actual == value,
                    "NOT_EQUALS" => actual != value,
                    "IS_SUBSTRING" => actual.contains(&value),
                    "IN" => list.contains(&actual),
                    "GREATER_THAN" => actual > value,
                    "GREATER_THAN_EQUALS" => actual >= value,
                    "LESS_THAN" => actual < value,
                    "LESS_THAN_EQUALS" => actual <= value,
                    _ => true,
                }
            })
        })
        .collect())
}

fn sorted(mut items: Vec<Value>, q: &Query, default: &str) -> Vec<Value> {
    let sort = q.get("sort_by").filter(|s| !s.is_empty()).unwrap_or(default);
    let mut parts = sort.split_whitespace();
    let field = parts.next().unwrap_or("created_at").to_string();
    let desc = parts.next() == Some("desc");
    items.sort_by(|a, b| {
        let ka = a
            .get(&field)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
            .unwrap_or_default();
        let kb = b
            .get(&field)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
            .unwrap_or_default();
        if desc { kb.cmp(&ka) } else { ka.cmp(&kb) }
    });
    items
}

fn ns_filter(q: &Query) -> Option<String> {
    q.get("namespace").filter(|n| !n.is_empty()).map(String::from)
}

fn all_of(
    req: &Request<'_>,
    t: &ResourceType,
    ns: Option<String>,
    labels: &str,
) -> Result<Vec<Value>, ApiError> {
    let filter = Filter {
        namespace: ns,
        labels: crate::sim::selector::LabelSelector::parse(labels)?,
        ..Filter::default()
    };
    let page = req.shared.store.list(t, &filter, None, None)?;
    page.items.iter().map(|s| s.value()).collect()
}

// ---- pipelines and versions ----

fn pipeline_json(p: &Value) -> Value {
    json!({
        "pipeline_id": kit::s(p, "/metadata/uid"),
        "name": kit::s(p, "/metadata/name"),
        "display_name": p.pointer("/spec/displayName").and_then(Value::as_str).unwrap_or(kit::s(p, "/metadata/name")),
        "description": kit::s(p, "/spec/description"),
        "created_at": kit::s(p, "/metadata/creationTimestamp"),
        "namespace": kit::s(p, "/metadata/namespace"),
    })
}

fn version_json(v: &Value) -> Value {
    json!({
        "pipeline_id": kit::s(v, "/metadata/labels/pipelines.kubeflow.org~1pipeline-id"),
        "pipeline_version_id": kit::s(v, "/metadata/uid"),
        "name": kit::s(v, "/metadata/name"),
        "display_name": v.pointer("/spec/displayName").and_then(Value::as_str).unwrap_or(kit::s(v, "/metadata/name")),
        "description": kit::s(v, "/spec/description"),
        "created_at": kit::s(v, "/metadata/creationTimestamp"),
        "code_source_url": kit::s(v, "/spec/codeSourceURL"),
        "pipeline_spec": v.pointer("/spec/pipelineSpec").cloned().unwrap_or(Value::Null),
    })
}

fn find_pipeline(req: &Request<'_>, pred: impl Fn(&Value) -> bool) -> Result<Value, ApiError> {
    all_of(req, rt("pipelines.kubeflow.org", "pipelines")?, None, "")?
        .into_iter()
        .find(|p| pred(p))
        .ok_or_else(|| kfp_error(404, "Pipeline not found"))
}

fn pipeline_by_id(req: &Request<'_>, id: &str) -> Result<Value, ApiError> {
    find_pipeline(req, |p| kit::s(p, "/metadata/uid") == id)
        .map_err(|_| kfp_error(404, format!("Failed to get pipeline: Pipeline {id} not found")))
}

fn version_by_id(req: &Request<'_>, id: &str) -> Result<Value, ApiError> {
    all_of(req, rt("pipelines.kubeflow.org", "pipelineversions")?, None, "")?
        .into_iter()
        .find(|v| kit::s(v, "/metadata/uid") == id)
        .ok_or_else(|| {
            kfp_error(
                404,
                format!("Failed to get pipeline version: PipelineVersion {id} not found"),
            )
        })
}

fn list_pipelines(req: &Request<'_>, q: &Query) -> Result<Response, ApiError> {
    let items: Vec<Value> = all_of(req, rt("pipelines.kubeflow.org", "pipelines")?, ns_filter(q), "")?
        .iter()
        .map(pipeline_json)
        .collect();
    page(sorted(filtered(items, q)?, q, "created_at"), q, "pipelines")
}

fn list_versions(req: &Request<'_>, q: &Query, pid: &str) -> Result<Response, ApiError> {
    let p = pipeline_by_id(req, pid)?;
    let items: Vec<Value> = all_of(
        req,
        rt("pipelines.kubeflow.org", "pipelineversions")?,
        Some(kit::s(&p, "/metadata/namespace").to_string()),
        &format!("pipelines.kubeflow.org/pipeline-id={pid}"),
    )?
    .iter()
    .map(version_json)
    .collect();
    page(
        sorted(filtered(items, q)?, q, "created_at"),
        q,
        "pipeline_versions",
    )
}

fn dns_name(s: &str) -> String {
    let mut out: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_matches('-').chars().take(60).collect()
}

fn new_pipeline(
    req: &Request<'_>,
    ns: &str,
    name: &str,
    display: &str,
    description: &str,
) -> Result<Value, ApiError> {
    let t = rt("pipelines.kubeflow.org", "pipelines")?;
    let obj = json!({"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
        "metadata": {"name": dns_name(name), "namespace": ns},
        "spec": {"displayName": display, "description": description}});
    req.shared.store.create(t, ns, obj, false, Utc::now())?.value()
}

fn create_version(
    req: &Request<'_>,
    p: &Value,
    display: &str,
    description: &str,
    spec: Value,
) -> Result<Value, ApiError> {
    let t = rt("pipelines.kubeflow.org", "pipelineversions")?;
    let ns = kit::s(p, "/metadata/namespace");
    let pname = kit::s(p, "/metadata/name");
    let pid = kit::s(p, "/metadata/uid");
    if spec.pointer("/root").is_none() {
        return Err(kfp_error(
            400,
            "Failed to create a pipeline version: invalid pipeline spec: missing root",
        ));
    }
    let n = all_of(
        req,
        t,
        Some(ns.to_string()),
        &format!("pipelines.kubeflow.org/pipeline-id={pid}"),
    )?
    .len()
        + 1;
    let name = if display.is_empty() {
        format!("{pname}-v{n}")
    } else {
        dns_name(display)
    };
    let obj = json!({"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
        "metadata": {"name": name, "namespace": ns,
            "labels": {"pipelines.kubeflow.org/pipeline-id": pid, "pipelines.kubeflow.org/pipeline": pname},
            "ownerReferences": [{"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline", "name": pname, "uid": pid, "blockOwnerDeletion": true}]},
        "spec": {"pipelineName": pname, "displayName": if display.is_empty() { name.clone() } else { display.to_string() },
            "description": description, "pipelineSpec": spec},
        "status": {"conditions": [{"type": "PipelineVersionStatus", "status": "True", "reason": "READY", "message": "READY"}]}});
    req.shared.store.create(t, ns, obj, false, Utc::now())?.value()
}

fn default_ns(q: &Query) -> String {
    ns_filter(q).unwrap_or_else(|| PROFILE_NAMESPACES[0].0.to_string())
}

fn create_pipeline(req: &Request<'_>, q: &Query) -> Result<Response, ApiError> {
    let body: Value =
        serde_json::from_slice(&req.body).map_err(|e| kfp_error(400, format!("invalid body: {e}")))?;
    let display = body.get("display_name").and_then(Value::as_str).unwrap_or("");
    if display.is_empty() {
        return Err(kfp_error(
            400,
            "Failed to create a pipeline: pipeline's display name cannot be empty",
        ));
    }
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or(display);
    let ns = body
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map_or_else(|| default_ns(q), String::from);
    let p = new_pipeline(
        req,
        &ns,
        name,
        display,
        body.get("description").and_then(Value::as_str).unwrap_or(""),
    )?;
    ok(&pipeline_json(&p))
}

/// The first file of a multipart body (field `uploadfile`).
fn multipart_file(req: &Request<'_>) -> Result<Vec<u8>, ApiError> {
    let ct = req.header(axum::http::header::CONTENT_TYPE).unwrap_or("");
    let boundary = ct
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_string())
        .ok_or_else(|| {
            kfp_error(
                400,
                "Failed to read pipeline from file: request Content-Type isn't multipart/form-data",
            )
        })?;
    let body = &req.body[..];
    let delim = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    for part in text.split(&delim).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let Some((headers, content)) = part.split_once("\r\n\r\n").or_else(|| part.split_once("\n\n")) else {
            continue;
        };
        if headers.contains("name=\"uploadfile\"") || headers.contains("filename=") {
            let content = content
                .strip_suffix("\r\n")
                .or_else(|| content.strip_suffix('\n'))
                .unwrap_or(content);
            return Ok(content.as_bytes().to_vec());
        }
    }
    Err(kfp_error(
        400,
        "Failed to read pipeline from file: no uploadfile part",
    ))
}

fn upload(req: &Request<'_>, q: &Query, pipeline: Option<String>) -> Result<Response, ApiError> {
    let file = multipart_file(req)?;
    let spec: Value = serde_saphyr::from_slice(&file)
        .or_else(|_| serde_json::from_slice(&file))
        .map_err(|e| kfp_error(400, format!("Failed to parse the pipeline spec: {e}")))?;
    let ir_name = kit::s(&spec, "/pipelineInfo/name").to_string();
    let display = q
        .get("display_name")
        .or_else(|| q.get("name"))
        .filter(|n| !n.is_empty())
        .map_or_else(|| ir_name.clone(), String::from);
    let description = q.get("description").unwrap_or("");
    match pipeline {
        None => {
            let name = q
                .get("name")
                .filter(|n| !n.is_empty())
                .unwrap_or(&display)
                .to_string();
            let p = new_pipeline(req, &default_ns(q), &name, &display, description)?;
            create_version(req, &p, "", description, spec)?;
            ok(&pipeline_json(&p))
        }
        Some(pid) => {
            let p = pipeline_by_id(req, &pid)?;
            let vname = q.get("name").or_else(|| q.get("display_name")).unwrap_or("");
            ok(&version_json(&create_version(req, &p, vname, description, spec)?))
        }
    }
}

// ---- runs ----

fn run_state(wf: &Value) -> &'static str {
    let terminating = wf.pointer("/spec/activeDeadlineSeconds").and_then(Value::as_i64) == Some(0)
        || wf
            .pointer("/spec/shutdown")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
    match kit::s(wf, "/status/phase") {
        "Succeeded" => "SUCCEEDED",
        "Failed" | "Error" if terminating => "CANCELED",
        "Failed" | "Error" => "FAILED",
        _ if terminating => "CANCELING",
        "Running" if wf.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) => "PAUSED",
        "Running" => "RUNNING",
        _ => "PENDING",
    }
}

fn runtime_parameters(wf: &Value) -> Value {
    let tasks = wf
        .pointer("/spec/templates")
        .and_then(Value::as_array)
        .and_then(|ts| ts.iter().find(|t| t["name"] == "entrypoint"))
        .and_then(|t| t.pointer("/dag/tasks"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for t in tasks.iter().filter(|t| t["name"] == "root-driver") {
        for p in t
            .pointer("/arguments/parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if p["name"] == "runtime-config"
                && let Some(v) = p["value"]
                    .as_str()
                    .and_then(|s| serde_json::from_str::<Value>(s).ok())
            {
                return v.get("parameterValues").cloned().unwrap_or_else(|| json!({}));
            }
        }
    }
    json!({})
}

fn run_json(wf: &Value) -> Value {
    let state = run_state(wf);
    let created = kit::s(wf, "/metadata/creationTimestamp");
    let finished = wf
        .pointer("/status/finishedAt")
        .and_then(Value::as_str)
        .unwrap_or(EPOCH);
    let name_of = |ann: &str| kit::annotation(wf, ann).unwrap_or("").to_string();
    let mut tasks = Vec::new();
    if let Some(nodes) = wf.pointer("/status/nodes").and_then(Value::as_object) {
        for (id, n) in nodes {
            let ty = kit::s(n, "/type");
            if ty != "Pod" && ty != "Skipped" {
                continue;
            }
            let phase = kit::s(n, "/phase");
            let display = kit::s(n, "/name")
                .rsplit('.')
                .nth(1)
                .unwrap_or(kit::s(n, "/displayName"))
                .to_string();
            let tmpl = kit::s(n, "/templateName");
            tasks.push(json!({
                "run_id": kit::s(wf, "/metadata/labels/pipeline~1runid"),
                "task_id": id,
                "display_name": if tmpl == "system-container-impl" { display } else { kit::s(n, "/displayName").to_string() },
                "create_time": kit::s(n, "/startedAt"),
                "start_time": kit::s(n, "/startedAt"),
                "end_time": n.get("finishedAt").and_then(Value::as_str).unwrap_or(EPOCH),
                "state": match phase { "Succeeded" => "SUCCEEDED", "Failed" | "Error" => "FAILED", "Skipped" => "SKIPPED", "Running" => "RUNNING", _ => "PENDING" },
                "pod_name": if ty == "Pod" { crate::sim::controllers::argo::pod_name(kit::s(wf, "/metadata/name"), kit::s(n, "/name"), tmpl) } else { String::new() },
            }));
        }
    }
    let mut run = json!({
        "run_id": kit::s(wf, "/metadata/labels/pipeline~1runid"),
        "display_name": name_of(kfp::RUN_NAME),
        "experiment_id": name_of(kfp::EXPERIMENT_ID),
        "storage_state": "AVAILABLE",
        "pipeline_version_reference": {"pipeline_id": name_of(kfp::PIPELINE_ID), "pipeline_version_id": name_of(kfp::VERSION_ID)},
        "runtime_config": {"parameters": runtime_parameters(wf)},
        "service_account": kit::s(wf, "/spec/serviceAccountName"),
        "created_at": created,
        "scheduled_at": wf.pointer("/status/startedAt").and_then(Value::as_str).unwrap_or(created),
        "finished_at": finished,
        "state": state,
        "run_details": {"task_details": tasks},
        "state_history": [{"update_time": created, "state": "PENDING"}],
    });
    if state == "FAILED" {
        run["error"] = json!({"code": 2, "message": kit::s(wf, "/status/message"), "details": []});
    }
    let sw = kit::s(
        wf,
        "/metadata/labels/scheduledworkflows.kubeflow.org~1scheduledWorkflowName",
    );
    if !sw.is_empty() {
        run["recurring_run_id"] = json!(sw);
    }
    run
}

fn runs(req: &Request<'_>, ns: Option<String>) -> Result<Vec<Value>, ApiError> {
    all_of(req, types::workflow_type(), ns, kfp::RUN_ID_LABEL)
}

fn run_by_id(req: &Request<'_>, id: &str) -> Result<Value, ApiError> {
    all_of(
        req,
        types::workflow_type(),
        None,
        &format!("{}={id}", kfp::RUN_ID_LABEL),
    )?
    .into_iter()
    .next()
    .ok_or_else(|| kfp_error(404, format!("Failed to get run: Run {id} not found")))
}

fn list_runs(req: &Request<'_>, q: &Query) -> Result<Response, ApiError> {
    let exp = q.get("experiment_id").filter(|e| !e.is_empty()).map(String::from);
    let ns = ns_filter(q);
    let mut items: Vec<Value> = runs(req, ns.clone())?
        .iter()
        .filter(|wf| {
            exp.as_deref()
                .is_none_or(|e| kit::annotation(wf, kfp::EXPERIMENT_ID) == Some(e))
        })
        .map(run_json)
        .collect();
    items.extend(history(req).into_iter().filter(|r| {
        ns.as_deref().is_none_or(|n| r["namespace"] == n)
            && exp.as_deref().is_none_or(|e| r["experiment_id"] == e)
    }));
    page(sorted(filtered(items, q)?, q, "created_at desc"), q, "runs")
}

/// A JSON body with a non-empty `display_name`, or KFP's 400 (`empty` says which).
fn named_body(req: &Request<'_>, empty: &str) -> Result<Value, ApiError> {
    let body: Value =
        serde_json::from_slice(&req.body).map_err(|e| kfp_error(400, format!("invalid body: {e}")))?;
    if body
        .get("display_name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        return Err(kfp_error(400, empty));
    }
    Ok(body)
}

fn create_run(req: &Request<'_>) -> Result<Response, ApiError> {
    let body = named_body(req, "Failed to create a run: run's display name cannot be empty")?;
    let display = body["display_name"].as_str().unwrap_or("");
    let vid = body
        .pointer("/pipeline_version_reference/pipeline_version_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (version, pid) = if vid.is_empty() {
        let pid = body
            .pointer("/pipeline_version_reference/pipeline_id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let p = pipeline_by_id(req, pid)?;
        let versions = all_of(
            req,
            rt("pipelines.kubeflow.org", "pipelineversions")?,
            Some(kit::s(&p, "/metadata/namespace").into()),
            &format!("pipelines.kubeflow.org/pipeline-id={pid}"),
        )?;
        let latest = versions
            .into_iter()
            .max_by(|a, b| {
                kit::s(a, "/metadata/creationTimestamp").cmp(kit::s(b, "/metadata/creationTimestamp"))
            })
            .ok_or_else(|| kfp_error(400, "Failed to create a run: the pipeline has no versions"))?;
        (latest, pid.to_string())
    } else {
        let v = version_by_id(req, vid)?;
        let pid = kit::s(&v, "/metadata/labels/pipelines.kubeflow.org~1pipeline-id").to_string();
        (v, pid)
    };
    let ns = kit::s(&version, "/metadata/namespace").to_string();
    let ir = version
        .pointer("/spec/pipelineSpec")
        .cloned()
        .unwrap_or(Value::Null);
    let (tasks, defaults) = kfp::tasks_of_ir(&ir);
    let given = body
        .pointer("/runtime_config/parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let params: Vec<(String, String)> = defaults
        .into_iter()
        .map(|(k, d)| {
            let v = given
                .get(&k)
                .map_or(d, |v| v.as_str().map_or_else(|| v.to_string(), String::from));
            (k, v)
        })
        .collect();
    let run_id = uuid_for(&format!(
        "run/{ns}/{display}/{}",
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    let pname = kit::s(&version, "/spec/pipelineName").to_string();
    let mut plan = Plan::default();
    for t in &tasks {
        let h = crate::sim::rng::hash64(&format!("{run_id}/{}", t.name));
        plan.steps.insert(
            kfp::driver_key(&t.name),
            crate::sim::controllers::argo::StepPlan {
                seconds: Some(3),
                pending: Some(1),
                ..Default::default()
            },
        );
        plan.steps.insert(
            kfp::executor_key(&t.name),
            crate::sim::controllers::argo::StepPlan {
                seconds: Some(6 + (h % 10) as i64),
                pending: Some(1),
                ..Default::default()
            },
        );
    }
    plan.steps.insert(
        "root-driver".into(),
        crate::sim::controllers::argo::StepPlan {
            seconds: Some(3),
            pending: Some(1),
            ..Default::default()
        },
    );
    let experiment = body
        .get("experiment_id")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .map_or_else(|| kfp::default_experiment_id(&ns), String::from);
    let wf = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {
            "generateName": format!("{}-", dns_name(if pname.is_empty() { "run" } else { &pname })),
            "namespace": ns,
            "labels": {kfp::RUN_ID_LABEL: run_id, "pipelines.kubeflow.org/v2_component": "true"},
            "annotations": {
                kfp::RUN_NAME: display,
                "pipelines.kubeflow.org/v2_pipeline": "true",
                kfp::PIPELINE_ID: pid,
                kfp::VERSION_ID: kit::s(&version, "/metadata/uid"),
                kfp::EXPERIMENT_ID: experiment,
                PLAN_ANNOTATION: serde_json::to_string(&plan).unwrap_or_default(),
            },
        },
        "spec": kfp::workflow_spec(&tasks, &params, false),
    });
    let mut wf = wf;
    wf["spec"]["podMetadata"]["labels"][kfp::RUN_ID_LABEL] = json!(run_id);
    if let Some(sa) = body
        .get("service_account")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        wf["spec"]["serviceAccountName"] = json!(sa);
    }
    let stored = req
        .shared
        .store
        .create(types::workflow_type(), &ns, wf, false, Utc::now())?;
    ok(&run_json(&stored.value()?))
}

/// KFP terminates with a merge patch of `spec.activeDeadlineSeconds: 0`.
fn terminate(req: &Request<'_>, id: &str) -> Result<Response, ApiError> {
    let wf = run_by_id(req, id)?;
    req.shared.store.mutate(
        types::workflow_type(),
        kit::s(&wf, "/metadata/namespace"),
        kit::s(&wf, "/metadata/name"),
        Part::Main,
        |o| {
            crate::sim::patch::merge_patch(o, &json!({"spec": {"activeDeadlineSeconds": 0}}));
            Ok(())
        },
    )?;
    ok(&json!({}))
}

/// KFP/Argo retry: failed nodes and their pods go, the run starts again from them.
fn retry(req: &Request<'_>, id: &str) -> Result<Response, ApiError> {
    let wf = run_by_id(req, id)?;
    let phase = kit::s(&wf, "/status/phase");
    if phase != "Failed" && phase != "Error" {
        return Err(kfp_error(
            400,
            format!("Failed to retry run {id}: workflow is not in a failed state (phase {phase:?})"),
        ));
    }
    let ns = kit::s(&wf, "/metadata/namespace").to_string();
    let name = kit::s(&wf, "/metadata/name").to_string();
    let mut doomed = Vec::new();
    let now = Utc::now();
    req.shared
        .store
        .mutate(types::workflow_type(), &ns, &name, Part::All, |o| {
            doomed.clear();
            if let Some(nodes) = o.pointer_mut("/status/nodes").and_then(Value::as_object_mut) {
                let failed: Vec<String> = nodes
                    .iter()
                    .filter(|(_, n)| matches!(n["phase"].as_str(), Some("Failed" | "Error")))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in failed {
                    if let Some(n) = nodes.remove(&k)
                        && n["type"] == "Pod"
                    {
                        doomed.push(crate::sim::controllers::argo::pod_name(
                            &name,
                            kit::s(&n, "/name"),
                            kit::s(&n, "/templateName"),
                        ));
                    }
                }
            }
            if let Some(s) = o.get_mut("status").and_then(Value::as_object_mut) {
                for k in ["phase", "finishedAt", "message", "conditions"] {
                    s.remove(k);
                }
            }
            if let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) {
                if spec.get("activeDeadlineSeconds").and_then(Value::as_i64) == Some(0) {
                    spec.remove("activeDeadlineSeconds");
                }
                spec.remove("shutdown");
            }
            // The transient failure is gone on the retry.
            let plan_ptr = format!("/metadata/annotations/{}", PLAN_ANNOTATION.replace('/', "~1"));
            if let Some(p) = o.pointer_mut(&plan_ptr) {
                let mut plan: Plan = p
                    .as_str()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or_default();
                for sp in plan.steps.values_mut() {
                    sp.exit = None;
                    sp.error = None;
                    sp.fail_attempts = None;
                }
                *p = json!(serde_json::to_string(&plan).unwrap_or_default());
            }
            let generation = kit::annotation(o, "pipelines.kubeflow.org/retry-generation")
                .and_then(|g| g.parse::<i64>().ok())
                .unwrap_or(0)
                + 1;
            o["metadata"]["annotations"]["pipelines.kubeflow.org/retry-generation"] =
                json!(generation.to_string());
            o["metadata"]["annotations"][NOT_BEFORE] = json!(timestamp(now));
            o["metadata"]["labels"][LABEL_COMPLETED] = json!("false");
            Ok(())
        })?;
    for pod in doomed {
        let _ = req.shared.store.delete(types::pod_type(), &ns, &pod);
    }
    ok(&json!({}))
}

use crate::sim::controllers::argo::NOT_BEFORE;

// ---- history ----

/// Runs from before the demo's Workflows: finished long enough ago that Argo deleted their
/// Workflows (KFP sets a one-hour TTL), kept in KFP's database.
fn history(req: &Request<'_>) -> Vec<Value> {
    let mut guard = match req.shared.kfp.history.lock() {
        Ok(g) => g,
        Err(e) => e.into_inner(),
    };
    guard
        .get_or_insert_with(|| {
            let now = Utc::now();
            let mut out = Vec::new();
            for (ns, _) in PROFILE_NAMESPACES {
                for i in 0..6i64 {
                    let pipeline = if i % 2 == 0 { "xgboost-training" } else { "bert-finetune" };
                    let created = now - chrono::TimeDelta::hours(30 + 19 * i);
                    let finished = created + chrono::TimeDelta::minutes(4 + i);
                    let (state, exp) = match i {
                        2 => ("FAILED", kfp::default_experiment_id(ns)),
                        4 => ("CANCELED", kfp::default_experiment_id(ns)),
                        _ if *ns == PROFILE_NAMESPACES[0].0 && i % 2 == 0 => (
                            "SUCCEEDED",
                            uuid_for(&format!("experiment/{ns}/xgboost-tuning")),
                        ),
                        _ => ("SUCCEEDED", kfp::default_experiment_id(ns)),
                    };
                    let run_id = uuid_for(&format!("history/{ns}/{i}"));
                    let mut run = json!({
                        "run_id": run_id,
                        "display_name": format!("Run of {pipeline} ({})", &run_id[run_id.len().saturating_sub(5)..]),
                        "experiment_id": exp,
                        "namespace": ns,
                        "storage_state": "AVAILABLE",
                        "pipeline_version_reference": {
                            "pipeline_id": kfp::pipeline_id(ns, pipeline),
                            "pipeline_version_id": kfp::version_id(ns, &format!("{pipeline}-v1")),
                        },
                        "runtime_config": {"parameters": {}},
                        "created_at": timestamp(created),
                        "scheduled_at": timestamp(created + chrono::TimeDelta::seconds(3)),
                        "finished_at": timestamp(finished),
                        "state": state,
                        "run_details": {"task_details": []},
                        "state_history": [{"update_time": timestamp(created), "state": "PENDING"},
                            {"update_time": timestamp(finished), "state": state}],
                    });
                    if state == "FAILED" {
                        run["error"] = json!({"code": 2, "message": "task 'train-xgboost' failed: exit code 1", "details": []});
                    }
                    out.push(run);
                }
            }
            out
        })
        .clone()
}

// ---- experiments ----

fn experiments(req: &Request<'_>) -> Vec<Value> {
    let mut guard = match req.shared.kfp.experiments.lock() {
        Ok(g) => g,
        Err(e) => e.into_inner(),
    };
    guard
        .get_or_insert_with(|| {
            let created = timestamp(Utc::now() - chrono::TimeDelta::days(21));
            let mut out = Vec::new();
            for (ns, _) in PROFILE_NAMESPACES {
                out.push(json!({"experiment_id": kfp::default_experiment_id(ns), "display_name": "Default",
                    "description": "All runs created without specifying an experiment will be grouped here.",
                    "created_at": created, "namespace": ns, "storage_state": "AVAILABLE", "last_run_created_at": created}));
            }
            let ns = PROFILE_NAMESPACES[0].0;
            out.push(json!({"experiment_id": uuid_for(&format!("experiment/{ns}/xgboost-tuning")), "display_name": "xgboost-tuning",
                "description": "Learning-rate and depth sweeps for the churn model.",
                "created_at": created, "namespace": ns, "storage_state": "AVAILABLE", "last_run_created_at": created}));
            out
        })
        .clone()
}

fn list_experiments(req: &Request<'_>, q: &Query) -> Result<Response, ApiError> {
    let ns = ns_filter(q);
    let items: Vec<Value> = experiments(req)
        .into_iter()
        .filter(|e| ns.as_deref().is_none_or(|n| e["namespace"] == n))
        .collect();
    page(sorted(filtered(items, q)?, q, "created_at"), q, "experiments")
}

fn create_experiment(req: &Request<'_>) -> Result<Response, ApiError> {
    let body = named_body(
        req,
        "Failed to create a new experiment: experiment's display name cannot be empty",
    )?;
    let display = body["display_name"].as_str().unwrap_or("");
    let ns = body
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or(PROFILE_NAMESPACES[0].0)
        .to_string();
    let _ = experiments(req);
    let now = timestamp(Utc::now());
    let e = json!({"experiment_id": uuid_for(&format!("experiment/{ns}/{display}/{now}")), "display_name": display,
        "description": body.get("description").and_then(Value::as_str).unwrap_or(""),
        "created_at": now, "namespace": ns, "storage_state": "AVAILABLE", "last_run_created_at": EPOCH});
    let mut guard = match req.shared.kfp.experiments.lock() {
        Ok(g) => g,
        Err(e) => e.into_inner(),
    };
    if let Some(list) = guard.as_mut() {
        if list
            .iter()
            .any(|x| x["display_name"] == display && x["namespace"] == ns.as_str())
        {
            return Err(kfp_error(
                409,
                format!("Failed to create a new experiment: Experiment {display} already exists"),
            ));
        }
        list.push(e.clone());
    }
    ok(&e)
}

// ---- recurring runs ----

fn recurring_json(swf: &Value) -> Value {
    let enabled = swf.pointer("/spec/enabled").and_then(Value::as_bool) == Some(true);
    let params: Map<String, Value> = swf
        .pointer("/spec/workflow/parameters")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        kit::s(p, "/name").to_string(),
                        p.get("value").cloned().unwrap_or(Value::Null),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "recurring_run_id": kit::s(swf, "/metadata/uid"),
        "display_name": kit::s(swf, "/metadata/name"),
        "description": kit::s(swf, "/spec/description"),
        "pipeline_version_reference": {"pipeline_id": kit::s(swf, "/spec/pipelineId"), "pipeline_version_id": kit::s(swf, "/spec/pipelineVersionId")},
        "runtime_config": {"parameters": params},
        "service_account": "pipeline-runner",
        "max_concurrency": swf.pointer("/spec/maxConcurrency").cloned().unwrap_or(json!(1)).to_string(),
        "trigger": {"cron_schedule": {"cron": kit::s(swf, "/spec/trigger/cronSchedule/cron"), "start_time": kit::s(swf, "/spec/trigger/cronSchedule/startTime")}},
        "mode": if enabled { "ENABLE" } else { "DISABLE" },
        "created_at": kit::s(swf, "/metadata/creationTimestamp"),
        "updated_at": kit::s(swf, "/status/conditions/0/lastTransitionTime"),
        "status": if enabled { "ENABLED" } else { "DISABLED" },
        "no_catchup": swf.pointer("/spec/noCatchup").cloned().unwrap_or(json!(false)),
        "namespace": kit::s(swf, "/metadata/namespace"),
        "experiment_id": kit::s(swf, "/spec/experimentId"),
    })
}

fn recurring_by_id(req: &Request<'_>, id: &str) -> Result<Value, ApiError> {
    all_of(req, rt("kubeflow.org", "scheduledworkflows")?, None, "")?
        .into_iter()
        .find(|s| kit::s(s, "/metadata/uid") == id)
        .ok_or_else(|| {
            kfp_error(
                404,
                format!("Failed to get recurring run: RecurringRun {id} not found"),
            )
        })
}

fn list_recurring(req: &Request<'_>, q: &Query) -> Result<Response, ApiError> {
    let exp = q.get("experiment_id").filter(|e| !e.is_empty()).map(String::from);
    let items: Vec<Value> = all_of(req, rt("kubeflow.org", "scheduledworkflows")?, ns_filter(q), "")?
        .iter()
        .map(recurring_json)
        .filter(|r| exp.as_deref().is_none_or(|e| r["experiment_id"] == e))
        .collect();
    page(sorted(filtered(items, q)?, q, "created_at"), q, "recurringRuns")
}
