//! `connect`: a local HTTP proxy on 127.0.0.1 to a notebook, through the API server.
//!
//! The way in is the notebook Service's proxy
//! (`/api/v1/namespaces/{ns}/services/{name}:http-{name}/proxy/...`); where RBAC forbids
//! `services/proxy`, a port-forward to the notebook's pod (`pods/portforward`, one per request)
//! takes its place. Every request is forwarded with its method, path, query, headers (less the
//! hop-by-hop ones) and body; answers stream back as they come. A WebSocket upgrade (Jupyter's
//! kernel channels, VS Code's and RStudio's sockets) switches both sides and relays bytes until
//! either end closes. Notebooks serve under `/notebook/<ns>/<name>/`, so paths are kept as they
//! are and a browser opens `http://127.0.0.1:PORT/notebook/<ns>/<name>/?kftui-token=…`. Only
//! the holder of the connection's token gets through, and only to a proxy named as itself
//! ([`super::access`]). Works over SSH with `ssh -L PORT:127.0.0.1:PORT`.
//!
//! A port-forward (`F`, `:pf`) is the same proxy to any port of a pod or a Service
//! ([`ForwardTarget`]), through the API server's proxy subresource
//! (`/api/v1/namespaces/{ns}/pods/{name}:{port}/proxy/`, `…/services/{name}:{port}/proxy/`),
//! served at the root of its local port: `http://127.0.0.1:PORT/?kftui-token=…`. Where RBAC
//! forbids `pods/proxy`, a port-forward to the pod (`pods/portforward`) takes its place.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::serve::ListenerExt;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::access::Verdict;
pub use super::access::{Guard, Token};

/// The longest a forwarded request may wait for its answer to begin. The client retries a 503
/// (a stopped notebook has no endpoints) with backoff; the deadline turns that into a 504 soon.
/// The answer's body then streams for as long as it takes.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The largest request body forwarded.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// The port a notebook's server listens on in its pod, unless its container says otherwise.
const NOTEBOOK_PORT: u16 = 8888;

/// Headers that belong to one connection and are never forwarded (an upgrade's `upgrade` and
/// `connection` are set again on purpose).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The local port a connection listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortChoice {
    /// Any free port.
    Any,
    /// This one or the next free one above it (`connect_port` in the config).
    From(u16),
    /// This one, or fail (`:connect PORT`).
    Exactly(u16),
}

/// How a connection reaches the notebook, pod or Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The API server's proxy to a Service (the notebook's, or the one forwarded).
    ServiceProxy,
    /// The API server's proxy to a pod.
    PodProxy,
    /// A port-forward to a pod, where the API server's proxy is forbidden.
    PortForward { pod: String, port: u16 },
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ServiceProxy => f.write_str("service proxy"),
            Self::PodProxy => f.write_str("pod proxy"),
            Self::PortForward { pod, port } => write!(f, "port-forward to {pod}:{port}"),
        }
    }
}

/// News from a proxy, or from looking up what a port-forward can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyEvent {
    /// The target of port-forward lookup `request` and the ports it declares, or why they are
    /// not known; `port` is the one asked for, if any.
    Ports {
        request: u64,
        port: Option<u16>,
        result: Result<(ForwardTarget, Vec<ForwardPort>), String>,
    },
    /// Listening on this port, reaching the notebook this way; `token` opens it.
    Opened {
        id: u64,
        port: u16,
        via: Via,
        token: Token,
    },
    /// Could not start.
    Failed { id: u64, error: String },
    /// One request was forwarded: its status, or what went wrong.
    Served { id: u64, outcome: Result<u16, String> },
    /// A WebSocket through it opened or closed.
    Socket { id: u64, open: bool },
    /// A request was refused (403) and not forwarded, for this reason.
    Refused { id: u64, why: String },
}

/// The path under which a notebook serves (`/notebook/<ns>/<name>/`).
pub fn notebook_path(namespace: &str, name: &str) -> String {
    format!("/notebook/{namespace}/{name}/")
}

/// The URL of a notebook served on `port`, without the token.
pub fn notebook_url(port: u16, namespace: &str, name: &str) -> String {
    format!("http://127.0.0.1:{port}{}", notebook_path(namespace, name))
}

/// The URL a browser opens for a notebook served on `port`: it carries the connection's token,
/// which the proxy swaps for a cookie.
pub fn notebook_url_with_token(port: u16, namespace: &str, name: &str, token: &Token) -> String {
    format!(
        "{}?{}={}",
        notebook_url(port, namespace, name),
        super::access::TOKEN_PARAM,
        token.reveal()
    )
}

/// The API server path of a notebook Service's proxy (port 80, named `http-<name>`).
pub fn service_proxy_base(namespace: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/services/{name}:http-{name}/proxy")
}

/// What a port-forward reaches: a pod, or a Service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardKind {
    Pod,
    Service,
}

impl ForwardKind {
    /// How kubectl abbreviates the kind in `kind/name` (`pod`, `svc`).
    pub fn word(self) -> &'static str {
        match self {
            Self::Pod => "pod",
            Self::Service => "svc",
        }
    }

    /// The resource in API paths and RBAC (`pods`, `services`).
    pub fn plural(self) -> &'static str {
        match self {
            Self::Pod => "pods",
            Self::Service => "services",
        }
    }
}

/// A pod or a Service whose ports can be forwarded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ForwardTarget {
    pub kind: ForwardKind,
    pub namespace: String,
    pub name: String,
}

impl ForwardTarget {
    pub fn pod(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: ForwardKind::Pod,
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    pub fn service(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: ForwardKind::Service,
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// `pod/NAME` or `svc/NAME`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind.word(), self.name)
    }

    /// The API server path of the proxy to `port` of the target, without a trailing slash.
    pub fn proxy_base(&self, port: u16) -> String {
        format!(
            "/api/v1/namespaces/{}/{}/{}:{port}/proxy",
            self.namespace,
            self.kind.plural(),
            self.name
        )
    }
}

/// One port of a target forwarded to a local port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Forward {
    pub target: ForwardTarget,
    pub port: u16,
}

impl Forward {
    /// `pod/NAME:PORT` or `svc/NAME:PORT`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.target.label(), self.port)
    }
}

/// The URL a browser opens for a forward served on local `port`: its root, with the token.
pub fn forward_url_with_token(port: u16, token: &Token) -> String {
    format!(
        "http://127.0.0.1:{port}/?{}={}",
        super::access::TOKEN_PARAM,
        token.reveal()
    )
}

/// A port a pod's container or a Service declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardPort {
    /// The container's port, or the Service's.
    pub port: u16,
    /// Its name, if it has one (`http`, `notebook-port`).
    pub name: Option<String>,
    /// `TCP`, `UDP`, `SCTP` when said.
    pub protocol: Option<String>,
    /// The container declaring it (pods only).
    pub container: Option<String>,
}

impl ForwardPort {
    /// Whether HTTP can be forwarded to it (the API server's proxy speaks TCP only).
    pub fn is_tcp(&self) -> bool {
        self.protocol
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case("TCP"))
    }
}

/// Where to look for what to forward: a named pod or Service, or the newest running pod a label
/// selector finds (a notebook's, a model's predictor's), `what` naming it in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForwardLookup {
    Target(ForwardTarget),
    Selector {
        namespace: String,
        selector: String,
        what: String,
    },
}

impl ForwardLookup {
    /// What is looked up, for messages (`pod/NAME`, `notebook/NAME`).
    pub fn what(&self) -> String {
        match self {
            Self::Target(t) => t.label(),
            Self::Selector { what, .. } => what.clone(),
        }
    }
}

/// The ports `pod` declares, TCP ones first, each once.
fn pod_ports(pod: &Pod) -> Vec<ForwardPort> {
    let mut out: Vec<ForwardPort> = Vec::new();
    let containers = pod.spec.iter().flat_map(|s| s.containers.iter());
    for c in containers {
        for p in c.ports.iter().flatten() {
            let Ok(port) = u16::try_from(p.container_port) else {
                continue;
            };
            if out.iter().any(|o| o.port == port) {
                continue;
            }
            out.push(ForwardPort {
                port,
                name: p.name.clone(),
                protocol: p.protocol.clone(),
                container: Some(c.name.clone()),
            });
        }
    }
    out.sort_by_key(|p| !p.is_tcp());
    out
}

/// The ports a Service declares.
fn service_ports(svc: &k8s_openapi::api::core::v1::Service) -> Vec<ForwardPort> {
    let mut out: Vec<ForwardPort> = svc
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .filter_map(|p| {
            Some(ForwardPort {
                port: u16::try_from(p.port).ok()?,
                name: p.name.clone(),
                protocol: p.protocol.clone(),
                container: None,
            })
        })
        .collect();
    out.sort_by_key(|p| !p.is_tcp());
    out
}

/// Finds what `lookup` names and the ports it declares: a selector's newest running pod.
pub async fn forward_ports(
    client: kube::Client,
    lookup: &ForwardLookup,
) -> Result<(ForwardTarget, Vec<ForwardPort>), String> {
    let describe = |e: kube::Error| crate::kube::describe_error(&e);
    match lookup {
        ForwardLookup::Target(t) => match t.kind {
            ForwardKind::Pod => {
                let pods: Api<Pod> = Api::namespaced(client, &t.namespace);
                let pod = pods
                    .get(&t.name)
                    .await
                    .map_err(|e| format!("cannot get pod {}: {}", t.name, describe(e)))?;
                Ok((t.clone(), pod_ports(&pod)))
            }
            ForwardKind::Service => {
                let svcs: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client, &t.namespace);
                let svc = svcs
                    .get(&t.name)
                    .await
                    .map_err(|e| format!("cannot get service {}: {}", t.name, describe(e)))?;
                Ok((t.clone(), service_ports(&svc)))
            }
        },
        ForwardLookup::Selector {
            namespace,
            selector,
            what,
        } => {
            let pods: Api<Pod> = Api::namespaced(client, namespace);
            let listed = pods
                .list(&ListParams::default().labels(selector))
                .await
                .map_err(|e| format!("cannot list the pods of {what}: {}", describe(e)))?;
            let mut live: Vec<&Pod> = listed
                .items
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .collect();
            live.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp));
            let pod = live.first().ok_or_else(|| {
                format!(
                    "no pod of {what} is running ({} found): a port-forward needs a running pod",
                    listed.items.len()
                )
            })?;
            let name = pod.metadata.name.clone().unwrap_or_default();
            Ok((ForwardTarget::pod(namespace.clone(), name), pod_ports(pod)))
        }
    }
}

/// What a local proxy serves: a notebook (under its own path), or a port of a pod or Service
/// (at the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    Notebook { namespace: String, name: String },
    Forward(Forward),
}

impl Remote {
    /// What the proxy reaches, for messages (`notebook ns/name`, `pod/NAME:PORT`).
    pub fn what(&self) -> String {
        match self {
            Self::Notebook { name, .. } => format!("notebook {name}"),
            Self::Forward(f) => f.label(),
        }
    }
}

/// What one forwarded request came to: the status answered, or what went wrong.
pub type Outcome = Result<u16, String>;

/// The way requests reach the notebook, pod or Service.
// One per connection: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Upstream {
    /// The API server's proxy to a Service or a pod (`kind`), under `base`.
    ApiProxy {
        client: kube::Client,
        base: String,
        kind: ForwardKind,
    },
    /// Port-forwards to `port` of a pod, each carrying one HTTP connection.
    Pod {
        pods: Api<Pod>,
        pod: String,
        port: u16,
        /// Connections kept open for the next requests.
        idle: Mutex<Vec<PodConnection>>,
    },
}

impl Upstream {
    /// The way in, as the connections list says it.
    pub fn via(&self) -> Via {
        match self {
            Self::ApiProxy {
                kind: ForwardKind::Service,
                ..
            } => Via::ServiceProxy,
            Self::ApiProxy {
                kind: ForwardKind::Pod,
                ..
            } => Via::PodProxy,
            Self::Pod { pod, port, .. } => Via::PortForward {
                pod: pod.clone(),
                port: *port,
            },
        }
    }

    /// Sends one request; the answer's head, its body still streaming.
    pub async fn send(&self, req: http::Request<Bytes>) -> Result<http::Response<Body>, String> {
        match self {
            Self::ApiProxy { client, base, .. } => {
                let (mut parts, body) = req.into_parts();
                let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                // A link the API server rewrote to go through itself comes back with its prefix.
                let path = unprefixed(path, base);
                parts.uri = format!("{base}{path}")
                    .parse()
                    .map_err(|e| format!("cannot forward {path}: {e}"))?;
                let req = http::Request::from_parts(parts, kube::client::Body::from(body));
                let mut res = client
                    .send(req)
                    .await
                    .map_err(|e| crate::kube::describe_error(&e))?;
                // The API server points a redirect at itself; the browser stays on this proxy.
                let location = res
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|l| local_location(l, base));
                if let Some(Ok(v)) = location.map(|l| HeaderValue::from_str(&l)) {
                    res.headers_mut().insert(header::LOCATION, v);
                }
                Ok(res.map(Body::new))
            }
            Self::Pod {
                pods,
                pod,
                port,
                idle,
            } => {
                // An upgrade takes its connection for good; other requests share kept ones.
                let keep = !req.headers().contains_key(header::UPGRADE);
                let mut req = req;
                if let Some(mut sender) = keep.then(|| take_idle(idle)).flatten() {
                    let again = copy_of(&req);
                    match sender.send_request(req.map(Full::new)).await {
                        Ok(res) => {
                            give_back(idle, sender);
                            return Ok(res.map(Body::new));
                        }
                        // The pod closed the kept connection meanwhile: once more on a new one,
                        // when sending twice cannot do a thing twice.
                        Err(e) if e.is_canceled() || req_is_idempotent(&again) => req = again,
                        Err(e) => return Err(e.to_string()),
                    }
                }
                let (mut sender, refused) = open_forward(pods, pod, *port).await?;
                match sender.send_request(req.map(Full::new)).await {
                    Ok(res) => {
                        if keep {
                            give_back(idle, sender);
                        }
                        Ok(res.map(Body::new))
                    }
                    Err(e) => Err(pod_words(refused, e.to_string()).await),
                }
            }
        }
    }
}

/// An HTTP/1 connection to the notebook's server, over a port-forward.
type PodConnection = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// What the pod says on a forwarded port's error channel (e.g. connection refused).
type PodWords = Pin<Box<dyn Future<Output = Option<String>> + Send>>;

/// How many idle connections to a pod are kept for the next requests.
const KEPT: usize = 16;

/// Opens a port-forward to `pod` and an HTTP/1 connection over it.
async fn open_forward(
    pods: &Api<Pod>,
    pod: &str,
    port: u16,
) -> Result<(PodConnection, Option<PodWords>), String> {
    let mut forwarder = pods
        .portforward(pod, &[port])
        .await
        .map_err(|e| format!("port-forward to pod {pod}: {}", crate::kube::describe_error(&e)))?;
    let stream = forwarder
        .take_stream(port)
        .ok_or_else(|| format!("port-forward to pod {pod} gave no stream for port {port}"))?;
    let refused = forwarder.take_error(port).map(|f| -> PodWords { Box::pin(f) });
    match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
        Ok((sender, conn)) => {
            tokio::spawn(async move {
                let _ = conn.with_upgrades().await;
            });
            Ok((sender, refused))
        }
        Err(e) => Err(pod_words(refused, e.to_string()).await),
    }
}

/// The pod's own words about a failure, which beat the HTTP client's `fallback`.
async fn pod_words(refused: Option<PodWords>, fallback: String) -> String {
    let said = match refused {
        Some(f) => tokio::time::timeout(Duration::from_secs(1), f)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    said.unwrap_or(fallback)
}

/// A kept connection free for a request now; closed ones are dropped.
fn take_idle(idle: &Mutex<Vec<PodConnection>>) -> Option<PodConnection> {
    let mut idle = idle.lock().ok()?;
    idle.retain(|c| !c.is_closed());
    let i = idle.iter().position(PodConnection::is_ready)?;
    Some(idle.swap_remove(i))
}

/// Keeps a connection for later requests (it is free again once its answer is read).
fn give_back(idle: &Mutex<Vec<PodConnection>>, conn: PodConnection) {
    if let Ok(mut idle) = idle.lock()
        && idle.len() < KEPT
    {
        idle.push(conn);
    }
}

fn copy_of(req: &http::Request<Bytes>) -> http::Request<Bytes> {
    let mut copy = http::Request::new(req.body().clone());
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    copy
}

fn req_is_idempotent(req: &http::Request<Bytes>) -> bool {
    matches!(
        *req.method(),
        http::Method::GET
            | http::Method::HEAD
            | http::Method::OPTIONS
            | http::Method::PUT
            | http::Method::DELETE
    )
}

/// `path` without the service proxy's `base` in front, when the API server put it there (its
/// proxy rewrites absolute links in HTML pages and redirects to go through itself).
fn unprefixed<'a>(path: &'a str, base: &str) -> &'a str {
    match path.strip_prefix(base) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') || rest.starts_with('?') => rest,
        _ => path,
    }
}

/// A redirect's `Location` as the browser should follow it on this proxy: a URL through the API
/// server's service proxy becomes the path on the notebook.
fn local_location(location: &str, base: &str) -> String {
    let path = match location.parse::<http::Uri>() {
        Ok(uri) if uri.scheme().is_some() => uri.path_and_query().map_or("/", |p| p.as_str()).to_string(),
        _ => location.to_string(),
    };
    match unprefixed(&path, base) {
        p if p.len() != path.len() => p.to_string(),
        _ => location.to_string(),
    }
}

/// True when `res` is the API server refusing the request itself (a `Status` with reason
/// Forbidden), not a 403 from the notebook's server.
async fn is_forbidden(res: http::Response<Body>) -> Option<String> {
    if res.status() != StatusCode::FORBIDDEN {
        return None;
    }
    let body = axum::body::to_bytes(res.into_body(), 1024 * 1024).await.ok()?;
    let status: serde_json::Value = serde_json::from_slice(&body).ok()?;
    (status["kind"] == "Status" && status["reason"] == "Forbidden")
        .then(|| status["message"].as_str().unwrap_or("forbidden").to_string())
}

/// Chooses the way in for `remote`: see [`choose_notebook`] and [`choose_forward`].
pub async fn choose(client: kube::Client, remote: &Remote) -> Result<Upstream, String> {
    match remote {
        Remote::Notebook { namespace, name } => choose_notebook(client, namespace, name).await,
        Remote::Forward(f) => choose_forward(client, f).await,
    }
}

/// Asks `upstream` for `path`: the API server's refusal, if it refuses (not ready, or slow, is
/// not a refusal: requests will say what is wrong).
async fn refusal(upstream: &Upstream, path: &str) -> Result<Option<String>, String> {
    let probe = http::Request::get(path)
        .body(Bytes::new())
        .map_err(|e| e.to_string())?;
    Ok(
        match tokio::time::timeout(Duration::from_secs(5), upstream.send(probe)).await {
            Ok(Ok(res)) => is_forbidden(res).await,
            _ => None,
        },
    )
}

/// Chooses the way to a forwarded port: the API server's proxy to the pod or Service, unless it
/// is forbidden; then, for a pod, a port-forward to it, checked once up front.
pub async fn choose_forward(client: kube::Client, forward: &Forward) -> Result<Upstream, String> {
    let target = &forward.target;
    let proxy = Upstream::ApiProxy {
        client: client.clone(),
        base: target.proxy_base(forward.port),
        kind: target.kind,
    };
    let Some(refused) = refusal(&proxy, "/").await? else {
        return Ok(proxy);
    };
    if target.kind == ForwardKind::Service {
        return Err(format!(
            "the API server's proxy to {} is forbidden ({refused}); forward a port of one of its pods instead",
            forward.label()
        ));
    }
    let pods: Api<Pod> = Api::namespaced(client, &target.namespace);
    let forwarder = pods
        .portforward(&target.name, &[forward.port])
        .await
        .map_err(|e| {
            format!(
                "the pod proxy is forbidden ({refused}) and so is port-forward: {}",
                crate::kube::describe_error(&e)
            )
        })?;
    drop(forwarder);
    Ok(Upstream::Pod {
        pods,
        pod: target.name.clone(),
        port: forward.port,
        idle: Mutex::new(Vec::new()),
    })
}

/// Chooses the way to a notebook: the service proxy, unless the API server forbids it; then a
/// port-forward to the notebook's pod, checked once up front.
pub async fn choose_notebook(client: kube::Client, namespace: &str, name: &str) -> Result<Upstream, String> {
    let service = Upstream::ApiProxy {
        client: client.clone(),
        base: service_proxy_base(namespace, name),
        kind: ForwardKind::Service,
    };
    let forbidden = refusal(&service, &format!("{}api", notebook_path(namespace, name))).await?;
    let Some(proxy_refused) = forbidden else {
        return Ok(service);
    };
    let pods: Api<Pod> = Api::namespaced(client, namespace);
    let listed = pods
        .list(&ListParams::default().labels(&format!("notebook-name={name}")))
        .await
        .map_err(|e| {
            format!(
                "the service proxy is forbidden ({proxy_refused}) and the notebook's pod cannot be listed: {}",
                crate::kube::describe_error(&e)
            )
        })?;
    let running = listed
        .items
        .iter()
        .find(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"));
    let Some(pod) = running else {
        return Err(format!(
            "the service proxy is forbidden ({proxy_refused}) and notebook {name} has no running pod to port-forward to"
        ));
    };
    let port = pod
        .spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.ports.as_ref())
        .and_then(|ps| ps.first())
        .and_then(|p| u16::try_from(p.container_port).ok())
        .unwrap_or(NOTEBOOK_PORT);
    let pod_name = pod.metadata.name.clone().unwrap_or_default();
    // Checked now, so that a refusal is said once rather than on every request.
    let forwarder = pods.portforward(&pod_name, &[port]).await.map_err(|e| {
        format!(
            "the service proxy is forbidden ({proxy_refused}) and so is port-forward: {}",
            crate::kube::describe_error(&e)
        )
    })?;
    drop(forwarder);
    Ok(Upstream::Pod {
        pods,
        pod: pod_name,
        port,
        idle: Mutex::new(Vec::new()),
    })
}

struct Proxy {
    upstream: Upstream,
    /// What it reaches, for messages (`the notebook`, `pod/NAME:PORT`).
    what: String,
    guard: Guard,
    report: Box<dyn Fn(ProxyEvent) + Send + Sync>,
    id: u64,
    cancel: CancellationToken,
}

/// How many ports above `connect_port` are tried before giving up.
const PORT_TRIES: u16 = 100;

/// Binds a port on 127.0.0.1 as chosen.
pub async fn bind(choice: PortChoice) -> Result<TcpListener, String> {
    let (first, last) = match choice {
        PortChoice::Any => (0, 0),
        PortChoice::Exactly(p) => (p, p),
        PortChoice::From(p) => (p, p.saturating_add(PORT_TRIES - 1)),
    };
    let mut last_error = None;
    for port in first..=last {
        match TcpListener::bind(("127.0.0.1", port)).await {
            Ok(l) => return Ok(l),
            Err(e) => last_error = Some(e),
        }
    }
    let e = last_error.map_or_else(|| "no port to try".to_string(), |e| e.to_string());
    Err(match choice {
        PortChoice::Any => format!("cannot listen on 127.0.0.1: {e}"),
        PortChoice::Exactly(p) => format!("cannot listen on 127.0.0.1:{p}: {e}"),
        PortChoice::From(p) => {
            format!("cannot listen on 127.0.0.1 on ports {first}-{last} (connect_port = {p}): {e}")
        }
    })
}

/// Serves the proxy on `listener` until `cancel` fires, letting through what `guard` allows;
/// `report` hears about every request and every socket opened and closed (as connection `id`).
/// `what` names what it reaches in messages (`the notebook`, `pod/NAME:PORT`).
pub async fn serve(
    listener: TcpListener,
    upstream: Upstream,
    what: String,
    guard: Guard,
    id: u64,
    report: impl Fn(ProxyEvent) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let proxy = Arc::new(Proxy {
        upstream,
        what,
        guard,
        report: Box::new(report),
        id,
        cancel: cancel.clone(),
    });
    let app = Router::new().fallback(forward).with_state(proxy);
    // A relayed socket's small frames (a kernel's status, reply, output) go out at once rather
    // than wait for the browser's delayed ACK (TCP_NODELAY).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
}

/// True when the `Connection` headers name `token` (`keep-alive, Upgrade`…).
fn connection_names(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case(token))
}

fn is_hop_by_hop(name: &HeaderName, headers: &HeaderMap) -> bool {
    HOP_BY_HOP.contains(&name.as_str()) || connection_names(headers, name.as_str())
}

/// The protocol a request asks to switch to, when it does.
fn upgrade_to(headers: &HeaderMap) -> Option<HeaderValue> {
    connection_names(headers, "upgrade")
        .then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

fn text(status: StatusCode, body: String) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

async fn forward(State(proxy): State<Arc<Proxy>>, req: Request) -> Response {
    // Only the path is ever logged: the query may carry the token.
    let method = req.method().clone();
    let logged_path = req.uri().path().to_string();
    let (path_and_query, cookie) = match proxy.guard.check(req.method(), req.uri(), req.headers()) {
        Verdict::Forward {
            path_and_query,
            cookie,
        } => (path_and_query, cookie),
        Verdict::Exchange { location, cookies } => {
            tracing::debug!(
                "connection {}: token exchanged for a cookie on {logged_path}",
                proxy.id
            );
            return exchange(&location, cookies);
        }
        Verdict::Refuse(why) => {
            tracing::info!("connection {}: refused {method} {logged_path}: {why}", proxy.id);
            (proxy.report)(ProxyEvent::Refused { id: proxy.id, why });
            return text(
                StatusCode::FORBIDDEN,
                "Forbidden: open the URL kftui showed for this connection (it carries the connection's token), on 127.0.0.1 or localhost.\n".into(),
            );
        }
    };
    let (res, outcome) = forward_one(&proxy, req, path_and_query, cookie).await;
    tracing::debug!("connection {}: {method} {logged_path}: {outcome:?}", proxy.id);
    (proxy.report)(ProxyEvent::Served {
        id: proxy.id,
        outcome,
    });
    res
}

/// Sets the connection's cookie and sends the browser on to `location` (the URL without the
/// token).
fn exchange(location: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::SEE_OTHER;
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    for c in cookies {
        headers.append(header::SET_COOKIE, c);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// Forwards `req` as `path` (its query without the token) with `cookie` (its cookies without
/// kftui's).
async fn forward_one(
    proxy: &Arc<Proxy>,
    mut req: Request,
    path: String,
    cookie: Option<HeaderValue>,
) -> (Response, Outcome) {
    let upgrade = upgrade_to(req.headers());
    let local_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut req));
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            let e = format!("cannot read the request body: {e}");
            return (text(StatusCode::BAD_REQUEST, format!("{e}\n")), Err(e));
        }
    };
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(path.as_str());
    for (name, value) in &parts.headers {
        // The API server takes kftui's credentials, never the browser's.
        if !is_hop_by_hop(name, &parts.headers) && name != header::AUTHORIZATION && name != header::COOKIE {
            builder = builder.header(name, value);
        }
    }
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    if let Some(protocol) = &upgrade {
        builder = builder
            .header(header::CONNECTION, HeaderValue::from_static("Upgrade"))
            .header(header::UPGRADE, protocol.clone());
    }
    let upstream_req = match builder.body(bytes) {
        Ok(r) => r,
        Err(e) => {
            let e = format!("cannot forward {path}: {e}");
            return (text(StatusCode::BAD_REQUEST, format!("{e}\n")), Err(e));
        }
    };
    let answer = tokio::time::timeout(DEADLINE, proxy.upstream.send(upstream_req)).await;
    let mut head = match answer {
        Err(_) => {
            let e = format!("{} did not answer in {} s", proxy.what, DEADLINE.as_secs());
            return (text(StatusCode::GATEWAY_TIMEOUT, format!("{e}\n")), Err(e));
        }
        Ok(Err(e)) => {
            let e = format!("cannot reach {}: {e}", proxy.what);
            return (text(StatusCode::BAD_GATEWAY, format!("{e}\n")), Err(e));
        }
        Ok(Ok(head)) => head,
    };
    let status = head.status();
    let switching = status == StatusCode::SWITCHING_PROTOCOLS;
    if let (true, Some(local)) = (switching, local_upgrade) {
        let remote = hyper::upgrade::on(&mut head);
        tokio::spawn(relay(Arc::clone(proxy), local, remote));
    }
    let (parts, body) = head.into_parts();
    let mut res = Response::new(body);
    *res.status_mut() = status;
    for (name, value) in &parts.headers {
        if switching || !is_hop_by_hop(name, &parts.headers) {
            res.headers_mut().append(name, value.clone());
        }
    }
    let outcome = if status.is_server_error() {
        Err(format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ))
    } else {
        Ok(status.as_u16())
    };
    (res, outcome)
}

/// Relays an upgraded connection's bytes both ways until either side closes or the connection
/// is closed from the list.
async fn relay(proxy: Arc<Proxy>, local: hyper::upgrade::OnUpgrade, remote: hyper::upgrade::OnUpgrade) {
    let (local, remote) = match tokio::join!(local, remote) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) | (_, Err(e)) => {
            (proxy.report)(ProxyEvent::Served {
                id: proxy.id,
                outcome: Err(format!("a socket could not switch protocols: {e}")),
            });
            return;
        }
    };
    (proxy.report)(ProxyEvent::Socket {
        id: proxy.id,
        open: true,
    });
    let (mut local, mut remote) = (TokioIo::new(local), TokioIo::new(remote));
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut local, &mut remote) => {}
        () = proxy.cancel.cancelled() => {}
    }
    (proxy.report)(ProxyEvent::Socket {
        id: proxy.id,
        open: false,
    });
}

/// Binds a port, chooses the way to `remote` and serves the proxy until `cancel` fires, telling
/// `tx` (as [`ProxyEvent`]s) where it listens and how, or why it cannot, and about every request.
pub async fn run<T>(
    id: u64,
    client: Result<kube::Client, String>,
    remote: Remote,
    port: PortChoice,
    tx: tokio::sync::mpsc::Sender<T>,
    cancel: CancellationToken,
) where
    T: From<ProxyEvent> + Send + 'static,
{
    let send = |event: ProxyEvent| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(T::from(event)).await;
        }
    };
    // The port first: a port in use is said at once, before the API server is asked.
    let listener = match bind(port).await {
        Ok(l) => l,
        Err(error) => return send(ProxyEvent::Failed { id, error }).await,
    };
    let upstream = match client {
        Ok(c) => choose(c, &remote).await,
        Err(e) => Err(e),
    };
    let upstream = match upstream {
        Ok(u) => u,
        Err(error) => return send(ProxyEvent::Failed { id, error }).await,
    };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => {
            return send(ProxyEvent::Failed {
                id,
                error: e.to_string(),
            })
            .await;
        }
    };
    let token = match Token::generate() {
        Ok(t) => t,
        Err(error) => return send(ProxyEvent::Failed { id, error }).await,
    };
    let (guard, what) = match &remote {
        Remote::Notebook { namespace, name } => (
            Guard::new(token.clone(), port, namespace, name),
            "the notebook".to_string(),
        ),
        Remote::Forward(f) => (Guard::whole_port(token.clone(), port), f.label()),
    };
    let via = upstream.via();
    send(ProxyEvent::Opened { id, port, via, token }).await;
    let report_tx = tx.clone();
    // Open sockets are state the list shows: every change arrives, in order.
    let (socket_tx, mut socket_rx) = tokio::sync::mpsc::unbounded_channel();
    let socket_news = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = socket_rx.recv().await {
            let _ = socket_news.send(T::from(event)).await;
        }
    });
    let report = move |event: ProxyEvent| {
        if matches!(event, ProxyEvent::Socket { .. }) {
            let _ = socket_tx.send(event);
        } else {
            // Counting requests is news, not a duty: a full channel drops it rather than
            // stall a request.
            let _ = report_tx.try_send(T::from(event));
        }
    };
    if let Err(e) = serve(listener, upstream, what, guard, id, report, cancel).await {
        send(ProxyEvent::Failed {
            id,
            error: e.to_string(),
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_follow_the_notebook_prefix() {
        assert_eq!(
            notebook_url(8123, "team-a", "nb1"),
            "http://127.0.0.1:8123/notebook/team-a/nb1/"
        );
        assert_eq!(
            notebook_url_with_token(8123, "team-a", "nb1", &Token::from_text("t0k")),
            "http://127.0.0.1:8123/notebook/team-a/nb1/?kftui-token=t0k"
        );
        assert_eq!(
            service_proxy_base("team-a", "nb1"),
            "/api/v1/namespaces/team-a/services/nb1:http-nb1/proxy"
        );
    }

    #[test]
    fn forwards_go_through_the_api_servers_pod_or_service_proxy() {
        let pod = Forward {
            target: ForwardTarget::pod("team-a", "web-0"),
            port: 8080,
        };
        assert_eq!(pod.label(), "pod/web-0:8080");
        assert_eq!(
            pod.target.proxy_base(pod.port),
            "/api/v1/namespaces/team-a/pods/web-0:8080/proxy"
        );
        let svc = ForwardTarget::service("team-a", "web");
        assert_eq!(svc.label(), "svc/web");
        assert_eq!(
            svc.proxy_base(80),
            "/api/v1/namespaces/team-a/services/web:80/proxy"
        );
        assert_eq!(
            forward_url_with_token(8080, &Token::from_text("t0k")),
            "http://127.0.0.1:8080/?kftui-token=t0k"
        );
        // Links the API server rewrote lead back to the pod's own paths.
        let base = pod.target.proxy_base(pod.port);
        assert_eq!(
            unprefixed(&format!("{base}/static/app.js"), &base),
            "/static/app.js"
        );
        assert_eq!(local_location(&format!("{base}/login"), &base), "/login");
    }

    #[test]
    fn a_pods_ports_are_its_containers_tcp_first_each_once() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p"},
            "spec": {"containers": [
                {"name": "app", "ports": [
                    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                    {"containerPort": 8080, "name": "http"}
                ]},
                {"name": "sidecar", "ports": [
                    {"containerPort": 8080},
                    {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}
                ]}
            ]}
        }))
        .unwrap();
        let ports: Vec<(u16, String)> = pod_ports(&pod)
            .into_iter()
            .map(|p| (p.port, p.container.unwrap_or_default()))
            .collect();
        assert_eq!(
            ports,
            vec![
                (8080, "app".to_string()),
                (9090, "sidecar".to_string()),
                (53, "app".to_string())
            ]
        );
    }

    #[test]
    fn links_the_api_server_rewrote_lead_back_to_the_notebook() {
        let base = service_proxy_base("ns", "nb");
        assert_eq!(
            unprefixed(&format!("{base}/notebook/ns/nb/static/x.js?v=1"), &base),
            "/notebook/ns/nb/static/x.js?v=1"
        );
        assert_eq!(unprefixed(&base, &base), "/");
        assert_eq!(unprefixed("/notebook/ns/nb/lab", &base), "/notebook/ns/nb/lab");
        assert_eq!(unprefixed(&format!("{base}x/y"), &base), format!("{base}x/y"));
        assert_eq!(
            local_location(&format!("{base}/notebook/ns/nb/lab"), &base),
            "/notebook/ns/nb/lab"
        );
        assert_eq!(
            local_location(&format!("https://10.0.0.1:6443{base}/notebook/ns/nb/lab"), &base),
            "/notebook/ns/nb/lab"
        );
        assert_eq!(
            local_location("https://accounts.example.com/login", &base),
            "https://accounts.example.com/login"
        );
        assert_eq!(
            local_location("/notebook/ns/nb/lab", &base),
            "/notebook/ns/nb/lab"
        );
    }

    #[test]
    fn hop_by_hop_headers_include_those_named_by_connection() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "keep-alive, X-Private".parse().unwrap());
        assert!(is_hop_by_hop(&header::TRANSFER_ENCODING, &h));
        assert!(is_hop_by_hop(&HeaderName::from_static("x-private"), &h));
        assert!(!is_hop_by_hop(&header::COOKIE, &h));
    }
}
