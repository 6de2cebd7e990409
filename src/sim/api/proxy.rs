//! The service proxy: `/api/v1/namespaces/{ns}/services/{name}[:port]/proxy/{path}`, and the
//! pod proxy: `/api/v1/namespaces/{ns}/pods/{name}[:port]/proxy/{path}`.
//!
//! A Service's `sim.kftui.dev/proxy-backend` annotation names what answers: `kfp` (the KFP REST
//! API, [`super::kfp_api`]), `jupyter` (a tiny Jupyter server for a notebook), `kserve` (v1 and
//! v2 inference protocols for a predictor). A backend with no running pod answers 503 like the
//! apiserver does when a service has no endpoints. Through the pod proxy, a notebook's pod serves
//! Jupyter on 8888 and a predictor's pod its model on 8080; every pod with metrics serves
//! `/metrics`; any other port refuses the connection (503, in the API server's words).

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};

use super::{Request, kernel, kfp_api, upgrade, value_response};
use crate::sim::controllers::kit::{self, BACKEND_ANNOTATION};
use crate::sim::controllers::{kserve, notebooks};
use crate::sim::error::ApiError;
use crate::sim::store::timestamp;
use crate::sim::types;

fn unavailable(message: impl Into<String>) -> ApiError {
    ApiError::new(503, "ServiceUnavailable", message)
}

pub async fn handle(
    req: &Request<'_>,
    ns: &str,
    service: &str,
    tail: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let parts: Vec<&str> = service.split(':').collect();
    let (scheme, name, port) = match parts.as_slice() {
        [name] => ("http", *name, None),
        ["https" | "http", name] if parts[0] == "https" => ("https", *name, None),
        ["https", name, port] => ("https", *name, Some(*port)),
        ["http", name, port] => ("http", *name, Some(*port)),
        [name, port] => ("http", *name, Some(*port)),
        _ => {
            return Err(ApiError::bad_request(format!(
                "invalid service request {service:?}"
            )));
        }
    };
    super::injected(req, types::service_type(), Some("proxy"), Some(ns), "get")?;
    let svc = req.shared.store.get(types::service_type(), ns, name)?.value()?;
    let ports = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(p) = port {
        let known = ports.iter().any(|sp| {
            sp.get("name").and_then(Value::as_str) == Some(p)
                || sp
                    .get("port")
                    .and_then(Value::as_i64)
                    .map(|n| n.to_string())
                    .as_deref()
                    == Some(p)
        });
        if !known {
            return Err(unavailable(format!(
                "no service port \"{p}\" found for service \"{name}\""
            )));
        }
    }
    if scheme == "https" {
        return Err(unavailable(format!(
            "error trying to reach service: tls: first record does not look like a TLS handshake (service \"{name}\" serves plain HTTP)"
        )));
    }
    let path = if tail.is_empty() { "/" } else { tail };
    let backend = kit::annotation(&svc, BACKEND_ANNOTATION).unwrap_or("");
    let resp = match backend {
        "kfp" => kfp_api::handle(req, path, query),
        "jupyter" => jupyter(req, ns, &owner_name(&svc), path, true),
        "kserve" => {
            let resp = predictor(req, ns, &owner_name(&svc), name, path);
            if let Ok(r) = &resp {
                let delay = served(req, &svc, path, r.status().as_u16());
                tokio::time::sleep(delay).await;
            }
            resp
        }
        _ => Err(unavailable(format!(
            "no endpoints available for service \"{name}\""
        ))),
    }?;
    Ok(rewrite_links(resp, &format!("/api/v1/namespaces/{ns}/services/{service}/proxy")).await)
}

/// What the API server's proxy does to an answer (its `defaultProxyTransport`): a redirect's
/// `Location` and the absolute-path links of an HTML page (`href`, `src`, `action`) get the
/// proxy's own path put in front, so that a browser talking to the API server stays on it.
async fn rewrite_links(resp: Response, prepend: &str) -> Response {
    let (mut parts, body) = resp.into_parts();
    let rewrite = |url: &str| -> Option<String> {
        (url.starts_with('/') && !url.starts_with("//") && !url.starts_with(prepend))
            .then(|| format!("{prepend}{url}"))
    };
    if let Some(v) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(rewrite)
        .and_then(|l| HeaderValue::from_str(&l).ok())
    {
        parts.headers.insert(header::LOCATION, v);
    }
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let page = String::from_utf8_lossy(&bytes);
    let links = LINK.get_or_init(|| {
        regex::Regex::new(r#"\b(href|src|action)="([^"]*)""#).unwrap_or_else(|_| unreachable!())
    });
    let page = links.replace_all(&page, |c: &regex::Captures<'_>| match rewrite(&c[2]) {
        Some(url) => format!("{}=\"{url}\"", &c[1]),
        None => c[0].to_string(),
    });
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(page.into_owned()))
}

static LINK: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();

fn owner_name(svc: &Value) -> String {
    kit::s(svc, "/metadata/ownerReferences/0/name").to_string()
}

fn typed(content_type: &'static str, body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

fn html(body: String) -> Response {
    typed("text/html; charset=utf-8", body)
}

/// A notebook's Jupyter server: through its `<name>` Service (which has no endpoints unless
/// the notebook is ready), or straight into its pod (a port-forward).
pub fn jupyter(
    req: &Request<'_>,
    ns: &str,
    name: &str,
    path: &str,
    through_service: bool,
) -> Result<Response, ApiError> {
    let mut query: Vec<(String, String)> = req.query.0.clone().into_iter().collect();
    query.sort();
    let seen = crate::sim::NotebookRequest {
        notebook: format!("{ns}/{name}"),
        method: req.method.to_string(),
        path: path.to_string(),
        query,
        cookie: req
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("; "),
    };
    let mut seen_all = req
        .shared
        .notebook_requests
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // A long demo keeps the latest requests only.
    if seen_all.len() >= crate::sim::NOTEBOOK_REQUESTS_KEPT {
        seen_all.drain(..crate::sim::NOTEBOOK_REQUESTS_KEPT / 2);
    }
    seen_all.push(seen);
    drop(seen_all);
    let nb_t = types::find("kubeflow.org", "notebooks").ok_or_else(ApiError::no_route)?;
    let nb = req.shared.store.get(nb_t, ns, name)?.value()?;
    let ready = nb.pointer("/status/readyReplicas").and_then(Value::as_i64) == Some(1)
        && !kit::has_annotation(&nb, notebooks::STOP_ANNOTATION);
    if through_service && !ready {
        return Err(unavailable(format!(
            "no endpoints available for service \"{name}\""
        )));
    }
    let prefix = format!("/notebook/{ns}/{name}");
    let Some(rest) = path.strip_prefix(&prefix) else {
        let mut resp = html(format!(
            "<html><body><h1>404 : Not Found</h1><p>You are requesting a page that does not exist! Jupyter serves under {prefix}/</p></body></html>"
        ));
        *resp.status_mut() = StatusCode::NOT_FOUND;
        return Ok(resp);
    };
    let kernel_id = kit::uuid_for(&format!("kernel/{ns}/{name}"));
    if let ["", "api", "kernels", id, "channels"] = rest.split('/').collect::<Vec<_>>().as_slice() {
        if *id != kernel_id {
            let mut resp = value_response(
                StatusCode::NOT_FOUND,
                &json!({"message": format!("Kernel does not exist: {id}"), "reason": null}),
            );
            *resp.status_mut() = StatusCode::NOT_FOUND;
            return Ok(resp);
        }
        return upgrade::accept(req, &[], |ws, _| kernel::session(ws));
    }
    let started = kit::s(&nb, "/status/containerState/running/startedAt").to_string();
    let activity = kit::annotation(&nb, "notebooks.kubeflow.org/last-activity")
        .map_or_else(|| timestamp(Utc::now()), String::from);
    match rest.trim_end_matches('/') {
        "/api/status" => Ok(value_response(
            StatusCode::OK,
            &json!({"started": started, "last_activity": activity, "connections": 1, "kernels": 1}),
        )),
        "/api/kernels" => Ok(value_response(
            StatusCode::OK,
            &json!([{"id": kernel_id, "name": "python3",
                "last_activity": activity, "execution_state": "idle", "connections": 1}]),
        )),
        "/api" => Ok(value_response(StatusCode::OK, &json!({"version": "2.14.2"}))),
        // The server's root sends a browser on to the lab, as Jupyter does.
        "" => {
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::FOUND;
            if let Ok(v) = HeaderValue::from_str(&format!("{prefix}/lab")) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            Ok(resp)
        }
        "/lab" | "/tree" => Ok(html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>JupyterLab</title>\
             <link href=\"{prefix}/static/lab/style.css\" rel=\"stylesheet\">\
             <script id=\"jupyter-config-data\" type=\"application/json\">{{\"baseUrl\": \"{prefix}/\"}}</script>\
             </head><body data-notebook=\"{name}\">\
             <h1>JupyterLab</h1><p>Notebook server <b>{name}</b> in namespace <b>{ns}</b> is running.</p>\
             <script src=\"{prefix}/static/lab/main.js\"></script></body></html>"
        ))),
        "/static/lab/main.js" => Ok(typed(
            "text/javascript; charset=utf-8",
            format!("// JupyterLab for {ns}/{name}\nconsole.log(\"lab ready\");\n"),
        )),
        "/static/lab/style.css" => Ok(typed("text/css; charset=utf-8", "body { margin: 0; }\n".into())),
        _ => {
            let mut resp = value_response(
                StatusCode::NOT_FOUND,
                &json!({"message": "Not Found", "reason": null}),
            );
            *resp.status_mut() = StatusCode::NOT_FOUND;
            Ok(resp)
        }
    }
}

/// Counts a prediction a predictor answered (its `/metrics` show it) and says how long the
/// model took to compute it.
fn served(req: &Request<'_>, svc: &Value, path: &str, code: u16) -> std::time::Duration {
    let predicts = path.ends_with(":predict") || path.ends_with("/infer");
    if *req.method != Method::POST || !predicts {
        return std::time::Duration::ZERO;
    }
    let ns = kit::s(svc, "/metadata/namespace");
    let Some(isvc) = types::find("serving.kserve.io", "inferenceservices")
        .and_then(|t| req.shared.store.get(t, ns, &owner_name(svc)).ok())
        .and_then(|o| o.value().ok())
    else {
        return std::time::Duration::ZERO;
    };
    let n = req.shared.traffic.requests();
    match crate::sim::metrics::route(&isvc, n) {
        Some((revision, canary)) => {
            req.shared
                .traffic
                .record(ns, &revision, &kserve::model_format(&isvc), canary, code)
        }
        None => std::time::Duration::ZERO,
    }
}

/// The port a predictor's model server listens on in its pod.
const PREDICTOR_PORT: u16 = 8080;

/// `/api/v1/namespaces/{ns}/pods/{pod}[:port]/proxy/{tail}`: a pod's `/metrics` (see
/// [`crate::sim::metrics`]), a notebook pod's Jupyter (8888), a predictor pod's model (8080).
/// The port is the first one the pod declares when the path names none.
pub async fn pod(req: &Request<'_>, ns: &str, pod: &str, tail: &str) -> Result<Response, ApiError> {
    let (name, port) = match pod.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (pod, None),
    };
    super::injected(req, types::pod_type(), Some("proxy"), Some(ns), "get")?;
    if tail.trim_end_matches('/') == "/metrics" {
        let text =
            crate::sim::metrics::pod_metrics(&req.shared.store, &req.shared.traffic, ns, name, Utc::now())?;
        return Ok(typed("text/plain; version=0.0.4; charset=utf-8", text));
    }
    let value = req.shared.store.get(types::pod_type(), ns, name)?.value()?;
    if kit::s(&value, "/status/phase") != "Running" {
        return Err(unavailable(format!(
            "error trying to reach service: pod {name} is not running"
        )));
    }
    let declared: Vec<u16> = value
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| c.get("ports").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|p| p.get("containerPort").and_then(Value::as_u64))
        .filter_map(|p| u16::try_from(p).ok())
        .collect();
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| ApiError::bad_request(format!("invalid port {p:?} for pod {name}")))?,
        None => declared.first().copied().unwrap_or(80),
    };
    let label = |k: &str| kit::s(&value, &format!("/metadata/labels/{}", k.replace('/', "~1"))).to_string();
    let notebook = label("notebook-name");
    let isvc = label(kserve::ISVC_LABEL);
    let resp = if !notebook.is_empty() && port == super::portforward::JUPYTER_PORT {
        jupyter(req, ns, &notebook, tail, false)?
    } else if !isvc.is_empty() && label("component") == "predictor" && port == PREDICTOR_PORT {
        predictor(req, ns, &isvc, name, tail)?
    } else {
        let ip = kit::s(&value, "/status/podIP");
        return Err(unavailable(format!(
            "error trying to reach service: dial tcp {ip}:{port}: connect: connection refused"
        )));
    };
    Ok(rewrite_links(resp, &format!("/api/v1/namespaces/{ns}/pods/{pod}/proxy")).await)
}

/// An inference service's predictor (through its `<isvc>-predictor` Service, or straight into
/// its pod), `endpoint` naming the one or the other in errors.
fn predictor(
    req: &Request<'_>,
    ns: &str,
    name: &str,
    endpoint: &str,
    path: &str,
) -> Result<Response, ApiError> {
    let name = name.to_string();
    let isvc_t = types::find("serving.kserve.io", "inferenceservices").ok_or_else(ApiError::no_route)?;
    let isvc = req.shared.store.get(isvc_t, ns, &name)?.value()?;
    if kit::annotation(&isvc, kserve::STOP_ANNOTATION) == Some("true") {
        return Err(unavailable(format!(
            "no endpoints available for service \"{endpoint}\""
        )));
    }
    let ready = isvc
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
    let format = kserve::model_format(&isvc);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let model_error = || {
        let mut r = value_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"error": format!("Model with name {name} is not ready.")}),
        );
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        r
    };
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let post = *req.method == Method::POST;
    match segs.as_slice() {
        ["v1", "models", m] if !post && *m == name => Ok(value_response(
            StatusCode::OK,
            &json!({"name": name, "ready": ready}),
        )),
        ["v1", "models", m] if post && m.strip_suffix(":predict") == Some(name.as_str()) => {
            if !ready {
                return Ok(model_error());
            }
            let instances = body
                .get("instances")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let predictions: Vec<Value> = instances
                .iter()
                .enumerate()
                .map(|(i, inst)| predict_one(&format, &name, i, inst))
                .collect();
            Ok(value_response(
                StatusCode::OK,
                &json!({"predictions": predictions}),
            ))
        }
        ["v2", "health", "ready" | "live"] => Ok(value_response(
            StatusCode::OK,
            &json!({"ready": ready, "live": true}),
        )),
        ["v2", "models", m, "ready"] if *m == name => {
            if ready {
                Ok(value_response(
                    StatusCode::OK,
                    &json!({"name": name, "ready": true}),
                ))
            } else {
                Ok(model_error())
            }
        }
        ["v2", "models", m] if *m == name && !post => Ok(value_response(
            StatusCode::OK,
            &json!({"name": name, "versions": ["1"], "platform": format!("{format}"),
                "inputs": [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}],
                "outputs": [{"name": "output-0", "datatype": "INT64", "shape": [-1]}]}),
        )),
        ["v2", "models", m, "infer"] if *m == name && post => {
            if !ready {
                return Ok(model_error());
            }
            let inputs = body
                .get("inputs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let rows = inputs
                .first()
                .and_then(|i| i.pointer("/shape/0"))
                .and_then(Value::as_u64)
                .unwrap_or(1) as usize;
            let data: Vec<Value> = (0..rows)
                .map(|i| predict_one(&format, &name, i, &inputs.first().cloned().unwrap_or(Value::Null)))
                .collect();
            let id = body
                .get("id")
                .cloned()
                .unwrap_or_else(|| json!(kit::uuid_for(&format!("{name}/{}", req.body.len()))));
            Ok(value_response(
                StatusCode::OK,
                &json!({"model_name": name, "model_version": null, "id": id, "parameters": null,
                    "outputs": [{"name": "output-0", "shape": [rows], "datatype": if format == "xgboost" { "FP32" } else { "INT64" }, "parameters": null, "data": data}]}),
            ))
        }
        _ => {
            let mut r = value_response(StatusCode::NOT_FOUND, &json!({"detail": "Not Found"}));
            *r.status_mut() = StatusCode::NOT_FOUND;
            Ok(r)
        }
    }
}

/// A plausible prediction: a class for classifiers, a probability for xgboost.
fn predict_one(format: &str, model: &str, i: usize, input: &Value) -> Value {
    let h = crate::sim::rng::hash64(&format!("{model}/{i}/{input}"));
    match format {
        "xgboost" => json!(((h % 10_000) as f64 / 10_000.0 * 1000.0).round() / 1000.0),
        "huggingface" => json!(if h.is_multiple_of(2) {
            "POSITIVE"
        } else {
            "NEGATIVE"
        }),
        _ => json!(h % 3),
    }
}
