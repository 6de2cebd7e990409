//! `connect`: a local HTTP proxy on 127.0.0.1 to a notebook's Service, through the API server's
//! service proxy (`/api/v1/namespaces/{ns}/services/{name}:http-{name}/proxy/...`).
//!
//! Every request is forwarded with its method, path, query, headers (less the hop-by-hop ones)
//! and body. Notebooks serve under `/notebook/<ns>/<name>/`, so paths are kept as they are and a
//! browser opens `http://127.0.0.1:PORT/notebook/<ns>/<name>/`. Works over SSH with
//! `ssh -L PORT:127.0.0.1:PORT`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::connections::ProxyEvent;
use crate::app::msg::Msg;

/// The longest a forwarded request may take, answer included. The client retries a 503 (a
/// stopped notebook has no endpoints) with backoff; the deadline turns that into a 504 soon.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The largest request body forwarded.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Headers that belong to one connection and are never forwarded.
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

/// The path under which a notebook serves (`/notebook/<ns>/<name>/`).
pub fn notebook_path(namespace: &str, name: &str) -> String {
    format!("/notebook/{namespace}/{name}/")
}

/// The URL a browser opens for a notebook served on `port`.
pub fn notebook_url(port: u16, namespace: &str, name: &str) -> String {
    format!("http://127.0.0.1:{port}{}", notebook_path(namespace, name))
}

/// The API server path of a notebook Service's proxy (port 80, named `http-<name>`).
pub fn service_proxy_base(namespace: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/services/{name}:http-{name}/proxy")
}

/// What one forwarded request came to: the status answered, or what went wrong.
pub type Outcome = Result<u16, String>;

struct Upstream {
    client: kube::Client,
    base: String,
    report: Box<dyn Fn(Outcome) + Send + Sync>,
}

/// Binds a free port on 127.0.0.1.
pub async fn bind() -> std::io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", 0)).await
}

/// Serves the proxy on `listener` until `cancel` fires; `report` hears about every request.
pub async fn serve(
    listener: TcpListener,
    client: kube::Client,
    namespace: &str,
    name: &str,
    report: impl Fn(Outcome) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    let upstream = Arc::new(Upstream {
        client,
        base: service_proxy_base(namespace, name),
        report: Box::new(report),
    });
    let app = Router::new().fallback(forward).with_state(upstream);
    axum::serve(listener, app)
        .with_graceful_shutdown(cancel.cancelled_owned())
        .await
}

fn is_hop_by_hop(name: &HeaderName, connection: &HeaderMap) -> bool {
    let n = name.as_str();
    HOP_BY_HOP.contains(&n)
        || connection
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|v| v.trim().eq_ignore_ascii_case(n))
}

fn text(status: StatusCode, body: String) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

async fn forward(State(up): State<Arc<Upstream>>, req: Request) -> Response {
    let (res, outcome) = forward_one(&up, req).await;
    (up.report)(outcome);
    res
}

async fn forward_one(up: &Upstream, req: Request) -> (Response, Outcome) {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            let e = format!("cannot read the request body: {e}");
            return (text(StatusCode::BAD_REQUEST, format!("{e}\n")), Err(e));
        }
    };
    let mut builder = http::Request::builder()
        .method(parts.method.clone())
        .uri(format!("{}{path}", up.base));
    for (name, value) in &parts.headers {
        // The API server takes kftui's credentials, never the browser's.
        if !is_hop_by_hop(name, &parts.headers) && name != header::AUTHORIZATION {
            builder = builder.header(name, value);
        }
    }
    let upstream_req = match builder.body(kube::client::Body::from(bytes.to_vec())) {
        Ok(r) => r,
        Err(e) => {
            let e = format!("cannot forward {path}: {e}");
            return (text(StatusCode::BAD_REQUEST, format!("{e}\n")), Err(e));
        }
    };
    let answer = tokio::time::timeout(DEADLINE, async {
        let res = up
            .client
            .send(upstream_req)
            .await
            .map_err(|e| crate::kube::describe_error(&e))?;
        let (parts, body) = res.into_parts();
        let body = body
            .collect_bytes()
            .await
            .map_err(|e| crate::kube::describe_error(&e))?;
        Ok::<_, String>((parts, body))
    })
    .await;
    match answer {
        Err(_) => {
            let e = format!("the notebook did not answer in {} s", DEADLINE.as_secs());
            (text(StatusCode::GATEWAY_TIMEOUT, format!("{e}\n")), Err(e))
        }
        Ok(Err(e)) => {
            let e = format!("cannot reach the notebook: {e}");
            (text(StatusCode::BAD_GATEWAY, format!("{e}\n")), Err(e))
        }
        Ok(Ok((head, body))) => {
            let status = head.status;
            let mut res = Response::new(Body::from(body));
            *res.status_mut() = status;
            for (name, value) in &head.headers {
                if !is_hop_by_hop(name, &head.headers) {
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
    }
}

/// Binds a port and serves the proxy until `cancel` fires, telling the app (as `Msg::Proxy`)
/// where it listens, or why it cannot, and about every request.
pub async fn run(
    id: u64,
    client: Result<kube::Client, String>,
    namespace: String,
    name: String,
    tx: tokio::sync::mpsc::Sender<Msg>,
    cancel: CancellationToken,
) {
    let send = |event| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(Msg::Proxy(event)).await;
        }
    };
    let client = match client {
        Ok(c) => c,
        Err(error) => return send(ProxyEvent::Failed { id, error }).await,
    };
    let listener = match bind().await {
        Ok(l) => l,
        Err(e) => {
            let error = format!("cannot listen on 127.0.0.1: {e}");
            return send(ProxyEvent::Failed { id, error }).await;
        }
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
    send(ProxyEvent::Opened { id, port }).await;
    let report_tx = tx.clone();
    let report = move |outcome| {
        // Counting is news, not a duty: a full channel drops it rather than stall a request.
        let _ = report_tx.try_send(Msg::Proxy(ProxyEvent::Served { id, outcome }));
    };
    if let Err(e) = serve(listener, client, &namespace, &name, report, cancel).await {
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
            service_proxy_base("team-a", "nb1"),
            "/api/v1/namespaces/team-a/services/nb1:http-nb1/proxy"
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
