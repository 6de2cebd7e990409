//! The HTTP front: one fallback handler parses Kubernetes API paths into a [`Route`] and
//! dispatches to generic handlers that work for every registered kind.

mod discovery;
mod exec;
mod kernel;
pub mod kfp_api;
mod openapi;
mod portforward;
mod protobuf;
mod proxy;
pub mod render;
mod resource_metrics;
mod upgrade;
mod watch;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_stream::wrappers::ReceiverStream;

use self::render::{Format, IncludeObject};
use super::Shared;
use super::error::ApiError;
use super::logs::{self, LogOptions};
use super::managed::Author;
use super::patch::{self, PatchKind};
use super::selector::{FieldSelector, LabelSelector};
use super::store::{Filter, Part, Stored};
use super::types::{self, ResourceType};

/// The router serving the whole API.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// A parsed request path.
#[derive(Debug)]
enum Route {
    Version,
    Health,
    CoreVersions,
    Groups,
    Group(String),
    Resources(String, String),
    OpenApiRoot,
    OpenApi(String, String),
    NoOpenApi,
    Resource(ResourcePath),
    /// `/api/v1/namespaces/{ns}/services/{name}/proxy/{tail}`.
    Proxy {
        namespace: String,
        service: String,
        tail: String,
    },
    /// `/sim/faults`: the fault-injection admin endpoint.
    Faults,
    /// `/sim/prometheus-targets`: the pods with `/metrics`, for Prometheus's `http_sd_configs`.
    PrometheusTargets,
    /// `/apis/metrics.k8s.io/v1beta1/{rest}`: resource metrics, for `kubectl top`.
    ResourceMetrics(Vec<String>),
    /// `/api/v1/namespaces/{ns}/pods/{name}[:port]/proxy/{tail}`.
    PodProxy {
        namespace: String,
        pod: String,
        tail: String,
    },
}

/// A path that names a kind, and maybe a namespace, an object and a subresource.
#[derive(Debug)]
struct ResourcePath {
    rt: &'static ResourceType,
    namespace: Option<String>,
    name: Option<String>,
    sub: Option<String>,
    legacy_watch: bool,
}

fn parse_route(path: &str) -> Result<Route, ApiError> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let ["api", "v1", "namespaces", ns, "services", svc, "proxy", ..] = segs.as_slice() {
        let marker = format!("/services/{svc}/proxy");
        let tail = path
            .find(&marker)
            .map(|i| path[i + marker.len()..].to_string())
            .unwrap_or_default();
        return Ok(Route::Proxy {
            namespace: percent_decode(ns),
            service: percent_decode(svc),
            tail,
        });
    }
    if let ["api", "v1", "namespaces", ns, "pods", pod, "proxy", ..] = segs.as_slice() {
        // The tail as it came, trailing slash and all (`/notebook/ns/nb/` is not `…/nb`).
        let marker = format!("/pods/{pod}/proxy");
        let tail = path
            .find(&marker)
            .map(|i| path[i + marker.len()..].to_string())
            .unwrap_or_default();
        return Ok(Route::PodProxy {
            namespace: percent_decode(ns),
            pod: percent_decode(pod),
            tail: if tail.is_empty() { "/".into() } else { tail },
        });
    }
    if let [
        "apis",
        resource_metrics::GROUP,
        resource_metrics::VERSION,
        rest @ ..,
    ] = segs.as_slice()
        && !rest.is_empty()
    {
        return Ok(Route::ResourceMetrics(
            rest.iter().map(|s| percent_decode(s)).collect(),
        ));
    }
    Ok(match segs.as_slice() {
        ["sim", "faults"] => Route::Faults,
        ["sim", "prometheus-targets"] => Route::PrometheusTargets,
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["openapi", "v3"] => Route::OpenApiRoot,
        ["openapi", "v3", "api", v] => Route::OpenApi(String::new(), (*v).into()),
        ["openapi", "v3", "apis", g, v] => Route::OpenApi((*g).into(), (*v).into()),
        ["openapi", ..] => Route::NoOpenApi,
        ["api"] => Route::CoreVersions,
        ["api", "v1"] => Route::Resources(String::new(), "v1".into()),
        ["apis"] => Route::Groups,
        ["apis", g] => Route::Group((*g).into()),
        ["apis", g, v] => Route::Resources((*g).into(), (*v).into()),
        ["api", "v1", rest @ ..] => Route::Resource(resource_path("", "v1", rest)?),
        ["apis", g, v, rest @ ..] => Route::Resource(resource_path(g, v, rest)?),
        _ => return Err(ApiError::no_route()),
    })
}

fn resource_path(group: &str, version: &str, rest: &[&str]) -> Result<ResourcePath, ApiError> {
    let (legacy_watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let find = |plural: &str| types::lookup(group, version, plural).ok_or_else(ApiError::no_route);
    let namespaced_kind = |plural: &str| types::lookup(group, version, plural).filter(|rt| rt.namespaced);
    let mk = |rt, ns: Option<&str>, name: Option<&str>, sub: Option<&str>| ResourcePath {
        rt,
        namespace: ns.map(String::from),
        name: name.map(String::from),
        sub: sub.map(String::from),
        legacy_watch,
    };
    Ok(match rest {
        [plural] => mk(find(plural)?, None, None, None),
        ["namespaces", ns, plural] if namespaced_kind(plural).is_some() => {
            mk(find(plural)?, Some(ns), None, None)
        }
        ["namespaces", ns, plural, name] => mk(
            namespaced_kind(plural).ok_or_else(ApiError::no_route)?,
            Some(ns),
            Some(name),
            None,
        ),
        ["namespaces", ns, plural, name, sub] => mk(
            namespaced_kind(plural).ok_or_else(ApiError::no_route)?,
            Some(ns),
            Some(name),
            Some(sub),
        ),
        [plural, name] => mk(find(plural)?, None, Some(name), None),
        [plural, name, sub] => mk(find(plural)?, None, Some(name), Some(sub)),
        _ => return Err(ApiError::no_route()),
    })
}

/// Query parameters (percent-decoded; the last value of a repeated key wins, [`Query::all`]
/// gives every value, e.g. exec's repeated `command`).
struct Query(HashMap<String, String>, Vec<(String, String)>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        let mut map = HashMap::new();
        let mut pairs = Vec::new();
        for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (percent_decode(k), percent_decode(v));
            pairs.push((k.clone(), v.clone()));
            map.insert(k, v);
        }
        Self(map, pairs)
    }

    /// Every value of a repeated key, in order.
    fn all(&self, k: &str) -> Vec<String> {
        self.1
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1"))
    }

    fn number<T: std::str::FromStr>(&self, k: &str) -> Result<Option<T>, ApiError> {
        match self.get(k).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid value for {k}: {s:?}"))),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'+') => out.push(b' '),
            Some(b'%') => {
                let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            Some(b) => out.push(*b),
            None => {}
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Everything a handler needs to know about one request.
struct Request<'a> {
    shared: &'a Arc<Shared>,
    method: &'a Method,
    query: Query,
    headers: &'a HeaderMap,
    body: Bytes,
    /// The connection, for a handler that switches protocols (taken once).
    upgrade: std::sync::Mutex<Option<hyper::upgrade::OnUpgrade>>,
}

/// The largest request body read (uploads of pipeline packages included).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A request's head, body and pending upgrade, read off the connection.
async fn read_request<B>(
    request: http::Request<B>,
) -> Result<(http::request::Parts, Bytes, Option<hyper::upgrade::OnUpgrade>), ApiError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let (mut parts, body) = request.into_parts();
    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
    let body = axum::body::to_bytes(Body::new(body), MAX_BODY)
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
    Ok((parts, body, upgrade))
}

impl Request<'_> {
    /// The field manager this request writes as.
    fn author(&self) -> Author<'_> {
        Author::new(crate::sim::managed::request_manager(
            self.query.get("fieldManager"),
            self.header(header::USER_AGENT),
        ))
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn format(&self) -> Result<Format, ApiError> {
        render::negotiate(self.header(header::ACCEPT))
    }

    fn include(&self) -> IncludeObject {
        IncludeObject::parse(self.query.get("includeObject"))
    }

    fn filter(&self, rt: &ResourceType, ns: Option<&str>) -> Result<Filter, ApiError> {
        Ok(Filter {
            namespace: ns.map(String::from),
            labels: LabelSelector::parse(self.query.get("labelSelector").unwrap_or(""))?,
            fields: FieldSelector::parse(self.query.get("fieldSelector").unwrap_or(""), rt)?,
        })
    }

    /// The request body as JSON (YAML is accepted too).
    fn body_value(&self) -> Result<Value, ApiError> {
        let ct = self.header(header::CONTENT_TYPE).unwrap_or("application/json");
        if ct.contains("protobuf") {
            protobuf::decode(&self.body)
        } else if ct.contains("yaml") {
            serde_saphyr::from_slice(&self.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
        } else {
            serde_json::from_slice(&self.body).map_err(|e| {
                ApiError::bad_request(format!(
                    "the object provided is unrecognized (must be of type JSON): {e}"
                ))
            })
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: axum::extract::Request) -> Response {
    let (parts, body, upgrade) = match read_request(request).await {
        Ok(r) => r,
        Err(e) => return error_response(&e),
    };
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let req = Request {
        shared: &shared,
        method: &method,
        query: Query::parse(uri.query()),
        headers: &headers,
        body,
        upgrade: std::sync::Mutex::new(upgrade),
    };
    let route = parse_route(uri.path());
    if !matches!(route, Ok(Route::Faults)) {
        let delay = shared.faults().delay_ms;
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
    }
    let result = match route {
        Ok(Route::Proxy {
            namespace,
            service,
            tail,
        }) => proxy::handle(&req, &namespace, &service, &tail, uri.query()).await,
        Ok(Route::PodProxy { namespace, pod, tail }) => proxy::pod(&req, &namespace, &pod, &tail).await,
        Ok(route) => dispatch(&req, route).await,
        Err(e) => Err(e),
    };
    result.unwrap_or_else(|e| {
        tracing::debug!(%method, %uri, code = e.code, "sim api error: {}", e.message);
        error_response(&e)
    })
}

fn json_response(code: StatusCode, body: impl Into<Body>) -> Response {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

fn value_response(code: StatusCode, v: &Value) -> Response {
    json_response(code, v.to_string())
}

fn error_response(e: &ApiError) -> Response {
    let code = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    value_response(code, &e.status())
}

fn stream_response(content_type: &'static str, rx: tokio::sync::mpsc::Receiver<Bytes>) -> Response {
    let stream = ReceiverStream::new(rx).map(Ok::<Bytes, Infallible>);
    let mut resp = Response::new(Body::from_stream(stream));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    resp
}

async fn dispatch(req: &Request<'_>, route: Route) -> Result<Response, ApiError> {
    let get_only = |v: Option<Value>| -> Result<Response, ApiError> {
        if req.method != Method::GET {
            return Err(ApiError::method_not_allowed(req.method.as_str()));
        }
        v.map(|v| value_response(StatusCode::OK, &v))
            .ok_or_else(ApiError::no_route)
    };
    match route {
        Route::Version => get_only(Some(discovery::version())),
        Route::Health => {
            let mut resp = Response::new(Body::from("ok"));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(resp)
        }
        Route::CoreVersions => get_only(Some(discovery::core_versions(&req.shared.addr.to_string()))),
        Route::Groups => get_only(Some(discovery::group_list())),
        Route::Group(g) => get_only(discovery::group(&g)),
        Route::Resources(g, v) => get_only(discovery::resource_list(&g, &v)),
        Route::OpenApiRoot => get_only(Some(openapi::root())),
        Route::OpenApi(g, v) => get_only(openapi::serves(&g, &v).then(|| openapi::group_version(&g, &v))),
        Route::NoOpenApi => Err(ApiError::no_route()),
        Route::Resource(path) => resource(req, path).await,
        Route::ResourceMetrics(rest) => resource_metrics::handle(req, &rest),
        Route::Faults => faults_admin(req),
        Route::PrometheusTargets => Ok(value_response(
            StatusCode::OK,
            &super::metrics::targets(&req.shared.store, &req.shared.addr.to_string()),
        )),
        Route::Proxy { .. } | Route::PodProxy { .. } => Err(ApiError::no_route()),
    }
}

/// `GET /sim/faults` shows the faults in force; `POST` (or `PUT`) replaces them, with the same
/// text as `--faults` (`error=pods:403,delay=250ms`) or as JSON (what `GET` shows).
fn faults_admin(req: &Request<'_>) -> Result<Response, ApiError> {
    if *req.method == Method::POST || *req.method == Method::PUT {
        let body = std::str::from_utf8(&req.body)
            .map_err(|_| ApiError::bad_request("faults: the body is not text".to_string()))?
            .trim();
        let f: super::faults::Faults = if body.starts_with('{') {
            serde_json::from_str(body).map_err(|e| ApiError::bad_request(format!("faults: {e}")))?
        } else {
            super::faults::parse_faults(body).map_err(|e| ApiError::bad_request(format!("faults: {e}")))?
        };
        req.shared.set_faults(f);
    } else if *req.method != Method::GET {
        return Err(ApiError::method_not_allowed(req.method.as_str()));
    }
    let current = serde_json::to_value(req.shared.faults()).unwrap_or_default();
    Ok(value_response(StatusCode::OK, &current))
}

/// The injected error for a request about `rt` (or its subresource `sub`, e.g.
/// `services/proxy`, `pods/portforward`, when a fault names it), as the apiserver words it.
fn injected(
    req: &Request<'_>,
    rt: &ResourceType,
    sub: Option<&str>,
    ns: Option<&str>,
    verb: &str,
) -> Result<(), ApiError> {
    let faults = req.shared.faults();
    let sub_key = sub.map(|s| format!("{}/{s}", rt.plural));
    let found = sub_key
        .iter()
        .find_map(|k| faults.error_for(k).map(|c| (k.clone(), c)))
        .or_else(|| faults.error_for(rt.plural).map(|c| (rt.plural.to_string(), c)));
    match found {
        Some((resource, 403)) => {
            let scope = ns.map_or_else(
                || " at the cluster scope".to_string(),
                |n| format!(" in the namespace \"{n}\""),
            );
            Err(ApiError::new(
                403,
                "Forbidden",
                format!(
                    "{} is forbidden: User \"system:serviceaccount:kubeflow:kftui\" cannot {verb} resource \"{resource}\" in API group \"{}\"{scope}",
                    rt.qualified(),
                    rt.group
                ),
            ))
        }
        Some((_, code)) => Err(ApiError::new(
            code,
            "InternalError",
            format!("Internal error occurred: injected fault for {}", rt.qualified()),
        )),
        None => Ok(()),
    }
}

async fn resource(req: &Request<'_>, path: ResourcePath) -> Result<Response, ApiError> {
    let rt = path.rt;
    let ns = path.namespace.as_deref();
    if !rt.namespaced && ns.is_some() {
        return Err(ApiError::no_route());
    }
    let m = req.method;
    let verb = match (m.as_str(), path.name.is_some()) {
        ("GET", _) if path.legacy_watch || req.query.flag("watch") => "watch",
        ("GET", false) => "list",
        ("GET", true) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        _ => "delete",
    };
    injected(req, rt, path.sub.as_deref(), ns, verb)?;
    match (path.name.as_deref(), path.sub.as_deref()) {
        (None, _) => {
            if *m == Method::GET && (path.legacy_watch || req.query.flag("watch")) {
                watch(req, rt, ns)
            } else if *m == Method::GET {
                list(req, rt, ns)
            } else if *m == Method::POST && (ns.is_some() || !rt.namespaced) {
                create(req, rt, ns.unwrap_or("")).await
            } else if *m == Method::DELETE && (ns.is_some() || !rt.namespaced) {
                delete_collection(req, rt, ns)
            } else {
                Err(ApiError::method_not_allowed(m.as_str()))
            }
        }
        (Some(name), None) if rt.namespaced == ns.is_some() => {
            let ns = ns.unwrap_or("");
            if *m == Method::GET && (path.legacy_watch || req.query.flag("watch")) {
                // A watch of one object is a watch with a name field selector.
                let mut filter = req.filter(rt, Some(ns).filter(|n| !n.is_empty()))?;
                filter.fields.0.push(("metadata.name".into(), true, name.into()));
                watch_filtered(req, rt, filter)
            } else {
                match m.as_str() {
                    "GET" => get(req, rt, ns, name),
                    "PUT" => update(req, rt, ns, name, Part::Main),
                    "PATCH" => patch(req, rt, ns, name, Part::Main),
                    "DELETE" => delete(req, rt, ns, name),
                    other => Err(ApiError::method_not_allowed(other)),
                }
            }
        }
        (Some(name), Some("status")) if rt.status_subresource => {
            let ns = ns.unwrap_or("");
            match m.as_str() {
                "GET" => get(req, rt, ns, name),
                "PUT" => update(req, rt, ns, name, Part::Status),
                "PATCH" => patch(req, rt, ns, name, Part::Status),
                other => Err(ApiError::method_not_allowed(other)),
            }
        }
        (Some(name), Some("log")) if rt.kind == "Pod" && *m == Method::GET => {
            pod_log(req, ns.unwrap_or(""), name)
        }
        (Some(name), Some("exec")) if rt.kind == "Pod" => {
            if *m != Method::GET && *m != Method::POST {
                return Err(ApiError::method_not_allowed(m.as_str()));
            }
            exec::handle(req, ns.unwrap_or(""), name)
        }
        (Some(name), Some("portforward")) if rt.kind == "Pod" => {
            portforward::handle(req, ns.unwrap_or(""), name)
        }
        _ => Err(ApiError::no_route()),
    }
}

fn ok_object(code: StatusCode, rt: &ResourceType, stored: &Stored) -> Response {
    json_response(code, render::served(rt, stored.json.bytes()))
}

fn list(req: &Request<'_>, rt: &'static ResourceType, ns: Option<&str>) -> Result<Response, ApiError> {
    let format = req.format()?;
    let filter = req.filter(rt, ns)?;
    let limit = req.query.number::<usize>("limit")?.filter(|l| *l > 0);
    let page = req
        .shared
        .store
        .list(rt, &filter, limit, req.query.get("continue"))?;
    let body = render::list_body(rt, &page, format, req.include())?;
    Ok(json_response(StatusCode::OK, body))
}

fn watch(req: &Request<'_>, rt: &'static ResourceType, ns: Option<&str>) -> Result<Response, ApiError> {
    let filter = req.filter(rt, ns)?;
    watch_filtered(req, rt, filter)
}

fn watch_filtered(
    req: &Request<'_>,
    rt: &'static ResourceType,
    filter: Filter,
) -> Result<Response, ApiError> {
    let format = req.format()?;
    if req.shared.faults().watch_gone.contains(rt.plural) {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let status = ApiError::gone(format!(
            "too old resource version: {} ({})",
            req.query.get("resourceVersion").unwrap_or("0"),
            req.shared.store.current_rv()
        ))
        .status();
        let line = Bytes::from(format!("{}\n", json!({"type": "ERROR", "object": status})));
        let _ = tx.try_send(line);
        return Ok(stream_response("application/json", rx));
    }
    let initial = req.query.flag("sendInitialEvents");
    if initial {
        // As the API server validates a streaming list (ListOptions' validation).
        let invalid = |detail: &str| {
            ApiError::new(
                422,
                "Invalid",
                format!("ListOptions.meta.k8s.io \"\" is invalid: {detail}"),
            )
        };
        if req.shared.faults().no_watch_list {
            return Err(invalid(
                "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
            ));
        }
        if req.query.get("resourceVersionMatch") != Some("NotOlderThan") {
            return Err(invalid(
                "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        if !req.query.flag("allowWatchBookmarks") {
            return Err(invalid(
                "allowWatchBookmarks: Forbidden: sendInitialEvents requires allowWatchBookmarks=true",
            ));
        }
    }
    let from = if initial {
        super::store::WatchFrom::Now
    } else {
        watch::watch_from(req.query.get("resourceVersion"))?
    };
    let timeout = req
        .query
        .number::<u64>("timeoutSeconds")?
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let rx = watch::start(
        req.shared,
        watch::WatchRequest {
            rt,
            filter,
            from,
            format,
            include: req.include(),
            bookmarks: req.query.flag("allowWatchBookmarks"),
            initial_events_end: initial,
            timeout,
        },
    );
    Ok(stream_response("application/json", rx))
}

fn get(req: &Request<'_>, rt: &'static ResourceType, ns: &str, name: &str) -> Result<Response, ApiError> {
    let format = req.format()?;
    let stored = req.shared.store.get(rt, ns, name)?;
    let body = render::object_body(rt, &stored, format, req.include(), true)?;
    Ok(json_response(StatusCode::OK, body))
}

fn reject_dry_run(req: &Request<'_>) -> Result<(), ApiError> {
    if req.query.get("dryRun").is_some_and(|d| !d.is_empty()) {
        return Err(ApiError::bad_request(
            "dryRun is not supported by the kftui embedded cluster",
        ));
    }
    Ok(())
}

/// Checks `apiVersion`/`kind` of a body against the URL's kind.
fn check_kind(rt: &ResourceType, body: &Value) -> Result<(), ApiError> {
    let api_version = body.get("apiVersion").and_then(Value::as_str);
    let kind = body.get("kind").and_then(Value::as_str);
    if let Some(av) = api_version.filter(|av| *av != rt.api_version()) {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    if let Some(k) = kind.filter(|k| *k != rt.kind) {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({k}) does not match the expected kind ({})",
            rt.kind
        )));
    }
    Ok(())
}

async fn create(req: &Request<'_>, rt: &'static ResourceType, ns: &str) -> Result<Response, ApiError> {
    reject_dry_run(req)?;
    let body = req.body_value()?;
    check_kind(rt, &body)?;
    let stored = req
        .shared
        .store
        .create_as(req.author(), rt, ns, body, false, Utc::now())?;
    Ok(ok_object(StatusCode::CREATED, rt, &stored))
}

fn update(
    req: &Request<'_>,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
    part: Part,
) -> Result<Response, ApiError> {
    reject_dry_run(req)?;
    let body = req.body_value()?;
    check_kind(rt, &body)?;
    let expected = body
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {s:?}")))
        })
        .transpose()?;
    let stored = req
        .shared
        .store
        .replace_as(req.author(), rt, ns, name, body, expected, part)?;
    Ok(ok_object(StatusCode::OK, rt, &stored))
}

fn patch(
    req: &Request<'_>,
    rt: &'static ResourceType,
    ns: &str,
    name: &str,
    part: Part,
) -> Result<Response, ApiError> {
    reject_dry_run(req)?;
    let ct = req.header(header::CONTENT_TYPE).unwrap_or("");
    let kind = PatchKind::from_content_type(ct)
        .filter(|k| *k != PatchKind::Strategic || rt.strategic_merge)
        .ok_or_else(|| ApiError::unsupported_media_type(ct, rt.strategic_merge))?;
    if kind != PatchKind::Apply && req.query.get("force").is_some() {
        return Err(ApiError::new(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
        ));
    }
    let body = req.body_value()?;
    let store = &req.shared.store;
    let author = match kind {
        PatchKind::Apply => Author::applying(req.author().manager.unwrap_or_default()),
        _ => req.author(),
    };
    if kind == PatchKind::Apply {
        if req.query.get("fieldManager").is_none_or(str::is_empty) {
            return Err(ApiError::new(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        }
        check_kind(rt, &body)?;
        if let Err(e) = store.get(rt, ns, name)
            && e.code == 404
        {
            let mut obj = body;
            patch::merge_patch(&mut obj, &json!({ "metadata": { "name": name } }));
            let stored = store.create_as(author, rt, ns, obj, false, Utc::now())?;
            return Ok(ok_object(StatusCode::CREATED, rt, &stored));
        }
    }
    let stored = store.mutate_as(author, rt, ns, name, part, |obj| {
        let before_rv = obj.pointer("/metadata/resourceVersion").cloned();
        match kind {
            PatchKind::Merge | PatchKind::Apply => patch::merge_patch(obj, &body),
            PatchKind::Strategic => patch::strategic_merge(obj, &body),
            PatchKind::Json => patch::json_patch(obj, &body)?,
        }
        // A resourceVersion in the patch is a precondition.
        let after_rv = obj.pointer("/metadata/resourceVersion").cloned();
        if after_rv.is_some() && after_rv != before_rv {
            return Err(ApiError::conflict(rt, name));
        }
        if obj.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
            return Err(ApiError::bad_request(
                "metadata.name may not be changed by a patch",
            ));
        }
        Ok(())
    })?;
    Ok(ok_object(StatusCode::OK, rt, &stored))
}

fn delete(req: &Request<'_>, rt: &'static ResourceType, ns: &str, name: &str) -> Result<Response, ApiError> {
    reject_dry_run(req)?;
    let removed = req.shared.store.delete(rt, ns, name)?;
    Ok(ok_object(StatusCode::OK, rt, &removed))
}

fn delete_collection(
    req: &Request<'_>,
    rt: &'static ResourceType,
    ns: Option<&str>,
) -> Result<Response, ApiError> {
    reject_dry_run(req)?;
    let filter = req.filter(rt, ns)?;
    let removed = req.shared.store.delete_collection(rt, &filter);
    let page = super::store::ListPage {
        items: removed,
        rv: req.shared.store.current_rv(),
        continue_token: None,
        remaining: None,
    };
    let body = render::list_body(rt, &page, Format::Json, IncludeObject::Metadata)?;
    Ok(json_response(StatusCode::OK, body))
}

fn parse_since_time(s: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    s.filter(|s| !s.is_empty())
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::bad_request(format!("invalid sinceTime {s:?}")))
        })
        .transpose()
}

fn pod_log(req: &Request<'_>, ns: &str, name: &str) -> Result<Response, ApiError> {
    let q = &req.query;
    let opts = LogOptions {
        container: q.get("container").map(String::from),
        follow: q.flag("follow"),
        previous: q.flag("previous"),
        timestamps: q.flag("timestamps"),
        tail_lines: q.number("tailLines")?,
        since_seconds: q.number("sinceSeconds")?,
        since_time: parse_since_time(q.get("sinceTime"))?,
        limit_bytes: q.number("limitBytes")?,
    };
    if opts.since_seconds.is_some() && opts.since_time.is_some() {
        return Err(ApiError::new(
            422,
            "Invalid",
            "PodLogOptions \"\" is invalid: sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
        ));
    }
    let faults = req.shared.faults();
    let mut opts = opts;
    if let Some(b) = faults.log_bytes {
        opts.limit_bytes = Some(opts.limit_bytes.map_or(b, |l| l.min(b)));
    }
    let pod = req.shared.store.get(types::pod_type(), ns, name)?.value()?;
    let rate = req.shared.log_rate;
    let (_, tl) = logs::timeline(&pod, &opts, rate)?;
    if opts.follow {
        let rx = logs::follow(
            req.shared.store.clone(),
            ns.into(),
            name.into(),
            opts,
            rate,
            tl,
            req.shared.cancel.clone(),
        );
        let rx = match faults.log_lines {
            Some(n) => cut_lines(rx, n),
            None => rx,
        };
        return Ok(stream_response("text/plain", rx));
    }
    let mut text = logs::snapshot(&tl, &opts, Utc::now());
    if let Some(n) = faults.log_lines {
        let end = text
            .match_indices('\n')
            .nth(n.saturating_sub(1))
            .map_or(text.len(), |(i, _)| i + 1);
        text.truncate(if n == 0 { 0 } else { end });
    }
    let mut resp = Response::new(Body::from(text));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain"),
    );
    Ok(resp)
}

/// Forwards a log stream until `n` lines have passed, then cuts it (the fault `log-lines`).
fn cut_lines(mut rx: tokio::sync::mpsc::Receiver<Bytes>, n: usize) -> tokio::sync::mpsc::Receiver<Bytes> {
    let (tx, out) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        let mut left = n;
        while left > 0 {
            let Some(chunk) = rx.recv().await else { return };
            let mut cut = chunk.len();
            for (i, b) in chunk.iter().enumerate() {
                if *b == b'\n' {
                    left -= 1;
                    if left == 0 {
                        cut = i + 1;
                        break;
                    }
                }
            }
            if tx.send(chunk.slice(..cut)).await.is_err() {
                return;
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_like_the_apiserver() {
        let r = parse_route("/apis/argoproj.io/v1alpha1/namespaces/ns/workflows/wf1");
        let Ok(Route::Resource(p)) = r else {
            panic!("not a resource route")
        };
        assert_eq!(p.rt.kind, "Workflow");
        assert_eq!(p.namespace.as_deref(), Some("ns"));
        assert_eq!(p.name.as_deref(), Some("wf1"));
        let Ok(Route::Resource(p)) = parse_route("/api/v1/namespaces/ns/pods/p/log") else {
            panic!("not a log route")
        };
        assert_eq!(p.sub.as_deref(), Some("log"));
        let Ok(Route::Resource(p)) = parse_route("/api/v1/namespaces/ns1/status") else {
            panic!("not a namespace status route")
        };
        assert_eq!(
            (p.rt.kind, p.name.as_deref(), p.sub.as_deref()),
            ("Namespace", Some("ns1"), Some("status"))
        );
        let Ok(Route::Resource(p)) = parse_route("/api/v1/pods") else {
            panic!("no list")
        };
        assert!(p.namespace.is_none() && p.name.is_none());
        assert!(parse_route("/apis/nope.io/v1/things").is_err());
        assert!(matches!(parse_route("/apis"), Ok(Route::Groups)));
    }

    #[test]
    fn query_decoding() {
        let q = Query::parse(Some("labelSelector=app%3Dweb%2Ctier+in+(a)&watch=1"));
        assert_eq!(q.get("labelSelector"), Some("app=web,tier in (a)"));
        assert!(q.flag("watch"));
    }
}
