//! WebSocket upgrades: the handshake answer (101 Switching Protocols) and the upgraded stream,
//! for Jupyter's kernel channels behind a notebook and for `pods/portforward`.

use std::future::Future;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::Request;
use crate::sim::error::ApiError;

/// The server side of an upgraded connection.
pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// True when the request asks to switch to WebSocket.
pub fn wants_websocket(req: &Request<'_>) -> bool {
    req.header(header::UPGRADE)
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// Answers the handshake and runs `session` on the socket once the client has switched.
/// `protocols` are the subprotocols this end speaks, preferred first; when the client offers
/// some, one of them must match.
pub fn accept<F, Fut>(req: &Request<'_>, protocols: &[&str], session: F) -> Result<Response, ApiError>
where
    F: FnOnce(Socket, Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if !wants_websocket(req) {
        return Err(ApiError::bad_request("Upgrade request required"));
    }
    let key = req
        .header(header::SEC_WEBSOCKET_KEY)
        .ok_or_else(|| ApiError::bad_request("missing Sec-WebSocket-Key"))?;
    let offered: Vec<&str> = req
        .header(header::SEC_WEBSOCKET_PROTOCOL)
        .map(|p| p.split(',').map(str::trim).filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let protocol = protocols
        .iter()
        .find(|p| offered.contains(p))
        .map(|p| (*p).to_string());
    if !offered.is_empty() && !protocols.is_empty() && protocol.is_none() {
        return Err(ApiError::bad_request(format!(
            "none of the offered subprotocols {offered:?} is supported (supported: {protocols:?})"
        )));
    }
    let on_upgrade: OnUpgrade = req
        .upgrade
        .lock()
        .ok()
        .and_then(|mut u| u.take())
        .ok_or_else(|| ApiError::bad_request("this connection cannot be upgraded"))?;
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = resp.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    let accept = derive_accept_key(key.as_bytes());
    if let Ok(v) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if let Some(v) = protocol.as_deref().and_then(|p| HeaderValue::from_str(p).ok()) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, v);
    }
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(io) => {
                let ws = WebSocketStream::from_raw_socket(TokioIo::new(io), Role::Server, None).await;
                session(ws, protocol).await;
            }
            Err(e) => tracing::debug!("sim: upgrade failed: {e}"),
        }
    });
    Ok(resp)
}
