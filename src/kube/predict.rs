//! Test requests to a model's predictor through the API server's service proxy
//! (`/api/v1/namespaces/{ns}/services/{isvc}-predictor:80/proxy/…`): the v1 protocol's
//! `/v1/models/<name>:predict` or the Open Inference Protocol's `/v2/models/<name>/infer`.
//!
//! Every request has a deadline: a predictor without endpoints answers 503, which the client may
//! retry for a long time, and a test request must answer in seconds either way.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::kube::resources::inference_service::{IsvcLite, IsvcRow, Protocol};

/// How long one test request may take.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The path of a test request, through the API server.
pub fn proxy_path(namespace: &str, name: &str, protocol: Protocol) -> String {
    let base = format!("/api/v1/namespaces/{namespace}/services/{name}-predictor:80/proxy");
    match protocol {
        Protocol::V1 => format!("{base}/v1/models/{name}:predict"),
        Protocol::V2 => format!("{base}/v2/models/{name}/infer"),
    }
}

/// What the predictor answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub latency_ms: u64,
    /// The body, pretty-printed when it is JSON, without control characters.
    pub body: String,
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PredictError {
    #[error("the request could not be sent: {0}")]
    Send(String),
    #[error("no answer in {} s", DEADLINE.as_secs())]
    Timeout,
    /// The model is stopped or not ready: nothing would answer.
    #[error("{0}")]
    NotServing(String),
}

/// The body as shown: pretty JSON, or the text itself, sanitized either way.
pub fn pretty(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(body).to_string(),
    }
    .lines()
    .map(crate::text::sanitized)
    .collect::<Vec<_>>()
    .join("\n")
}

/// Sends `body` to the model's predictor and times the answer.
pub async fn send(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    protocol: Protocol,
    body: String,
) -> Result<Answer, PredictError> {
    // A predictor without endpoints answers 503, which the client retries until the deadline:
    // a model that cannot answer is told apart first, in one quick read.
    let api: kube::Api<IsvcLite> = kube::Api::namespaced(client.clone(), namespace);
    let isvc = tokio::time::timeout(DEADLINE, api.get(name))
        .await
        .map_err(|_| PredictError::Timeout)?
        .map_err(|e| PredictError::Send(crate::kube::describe_error(&e)))?;
    if let Some(why) = IsvcRow::from_isvc(&isvc).not_serving() {
        return Err(PredictError::NotServing(why));
    }
    let req = http::Request::builder()
        .method(http::Method::POST)
        .uri(proxy_path(namespace, name, protocol))
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "application/json")
        .body(kube::client::Body::from(body.into_bytes()))
        .map_err(|e| PredictError::Send(e.to_string()))?;
    let started = Instant::now();
    let (status, bytes) = tokio::time::timeout(DEADLINE, async {
        let res = client
            .send(req)
            .await
            .map_err(|e| PredictError::Send(crate::kube::describe_error(&e)))?;
        let status = res.status().as_u16();
        let bytes = res
            .into_body()
            .collect_bytes()
            .await
            .map_err(|e| PredictError::Send(crate::kube::describe_error(&e)))?;
        Ok::<_, PredictError>((status, bytes))
    })
    .await
    .map_err(|_| PredictError::Timeout)??;
    Ok(Answer {
        status,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        body: pretty(&bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_protocol() {
        assert_eq!(
            proxy_path("team", "iris", Protocol::V1),
            "/api/v1/namespaces/team/services/iris-predictor:80/proxy/v1/models/iris:predict"
        );
        assert_eq!(
            proxy_path("team", "iris", Protocol::V2),
            "/api/v1/namespaces/team/services/iris-predictor:80/proxy/v2/models/iris/infer"
        );
    }

    #[test]
    fn bodies_are_pretty_and_clean() {
        assert_eq!(pretty(br#"{"a":[1]}"#), "{\n  \"a\": [\n    1\n  ]\n}");
        assert_eq!(pretty(b"oops\x1b[2J"), "oops\u{241b}[2J");
    }
}
