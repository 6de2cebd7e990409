//! The KFP REST API (`/apis/v2beta1`), reached through the API server's service proxy
//! (`/api/v1/namespaces/kubeflow/services/ml-pipeline:8888/proxy/…`, research §1b).
//!
//! Every call has a deadline: a proxy to a Service without endpoints may answer 503 and the
//! client's retries must not leave a verb hanging. [`KfpError::Unreachable`] tells the caller to
//! fall back to the Workflow itself; [`KfpError::Api`] is KFP's own answer, shown as it is.

use std::time::Duration;

use serde_json::{Value, json};

/// Where KFP's API server runs in a standard install.
pub const KFP_NAMESPACE: &str = "kubeflow";
/// The service and its REST port.
pub const KFP_SERVICE: &str = "ml-pipeline:8888";
/// How long one KFP call may take.
const DEADLINE: Duration = Duration::from_secs(8);

/// Why a KFP call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KfpError {
    /// KFP is not there: no service, no endpoints, the proxy forbidden, or no answer in time.
    #[error("the KFP API is not reachable ({0})")]
    Unreachable(String),
    /// KFP answered with an error.
    #[error("{0}")]
    Api(String),
}

/// A KFP API client over a cluster's service proxy.
#[derive(Clone)]
pub struct Kfp {
    client: kube::Client,
    base: String,
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The message of an error body: KFP's `error_message`/`message`, a Kubernetes Status's
/// `message`, or the text itself.
fn error_text(body: &[u8]) -> (bool, String) {
    let text = String::from_utf8_lossy(body);
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let from_apiserver = v.get("kind").and_then(Value::as_str) == Some("Status");
            let msg = ["error_message", "message", "error"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
                .map_or_else(|| text.trim().to_string(), String::from);
            (from_apiserver, crate::text::sanitized(&msg))
        }
        Err(_) => (
            false,
            crate::text::sanitized(text.trim()).chars().take(300).collect(),
        ),
    }
}

impl Kfp {
    pub fn new(client: kube::Client) -> Kfp {
        Kfp {
            client,
            base: format!("/api/v1/namespaces/{KFP_NAMESPACE}/services/{KFP_SERVICE}/proxy/apis/v2beta1"),
        }
    }

    async fn call(&self, method: http::Method, path: &str, body: Option<&Value>) -> Result<Value, KfpError> {
        let uri = format!("{}{path}", self.base);
        let bytes = body.map_or_else(Vec::new, |b| b.to_string().into_bytes());
        let req = http::Request::builder()
            .method(method)
            .uri(&uri)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::from(bytes))
            .map_err(|e| KfpError::Unreachable(e.to_string()))?;
        self.send(req).await
    }

    async fn send(&self, req: http::Request<kube::client::Body>) -> Result<Value, KfpError> {
        let answer = tokio::time::timeout(DEADLINE, async {
            let res = self
                .client
                .send(req)
                .await
                .map_err(|e| KfpError::Unreachable(crate::kube::describe_error(&e)))?;
            let status = res.status();
            let body = res
                .into_body()
                .collect_bytes()
                .await
                .map_err(|e| KfpError::Unreachable(crate::kube::describe_error(&e)))?;
            Ok::<_, KfpError>((status, body))
        })
        .await
        .map_err(|_| KfpError::Unreachable(format!("no answer in {} s", DEADLINE.as_secs())))??;
        let (status, body) = answer;
        if status.is_success() {
            if body.is_empty() {
                return Ok(json!({}));
            }
            return serde_json::from_slice(&body)
                .map_err(|e| KfpError::Api(format!("KFP answered something that is not JSON: {e}")));
        }
        let (from_apiserver, message) = error_text(&body);
        let code = status.as_u16();
        // The API server itself refused (no such service, RBAC on services/proxy) or the
        // service has nobody behind it: KFP is not reachable this way.
        if from_apiserver || matches!(code, 502..=504) {
            return Err(KfpError::Unreachable(format!("{message} ({code})")));
        }
        Err(KfpError::Api(format!("KFP: {message} ({code})")))
    }

    async fn get(&self, path: &str) -> Result<Value, KfpError> {
        self.call(http::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, KfpError> {
        self.call(http::Method::POST, path, Some(body)).await
    }

    /// `GET /healthz`: the version and storage mode (`pipeline_store`).
    pub async fn healthz(&self) -> Result<Value, KfpError> {
        self.get("/healthz").await
    }

    /// The pipelines visible in a namespace, shared ones included.
    pub async fn pipelines(&self, namespace: &str) -> Result<Vec<Value>, KfpError> {
        let mut all: Vec<Value> = Vec::new();
        for ns in [namespace, ""] {
            let page = self
                .get(&format!(
                    "/pipelines?namespace={}&page_size=200&sort_by={}",
                    enc(ns),
                    enc("created_at desc")
                ))
                .await?;
            for p in items(&page, "pipelines") {
                // Shared pipelines have no namespace; another profile's are not ours.
                let owner = p.get("namespace").and_then(Value::as_str).unwrap_or("");
                if !owner.is_empty() && owner != namespace {
                    continue;
                }
                if !all.iter().any(|q| q["pipeline_id"] == p["pipeline_id"]) {
                    all.push(p);
                }
            }
        }
        Ok(all)
    }

    /// The newest version of a pipeline, with its spec.
    pub async fn latest_version(&self, pipeline_id: &str) -> Result<Option<Value>, KfpError> {
        let page = self
            .get(&format!(
                "/pipelines/{}/versions?page_size=1&sort_by={}",
                enc(pipeline_id),
                enc("created_at desc")
            ))
            .await?;
        Ok(items(&page, "pipeline_versions").into_iter().next())
    }

    /// The versions of a pipeline, newest first, with their specs.
    pub async fn versions(&self, pipeline_id: &str) -> Result<Vec<Value>, KfpError> {
        let page = self
            .get(&format!(
                "/pipelines/{}/versions?page_size=200&sort_by={}",
                enc(pipeline_id),
                enc("created_at desc")
            ))
            .await?;
        Ok(items(&page, "pipeline_versions"))
    }

    /// A pipeline by its name in a namespace (`""`: shared).
    pub async fn pipeline_by_name(&self, namespace: &str, name: &str) -> Result<Value, KfpError> {
        self.get(&format!(
            "/pipelines/names/{}?namespace={}",
            enc(name),
            enc(namespace)
        ))
        .await
    }

    /// Deletes a pipeline version.
    pub async fn delete_version(&self, pipeline_id: &str, version_id: &str) -> Result<(), KfpError> {
        self.call(
            http::Method::DELETE,
            &format!("/pipelines/{}/versions/{}", enc(pipeline_id), enc(version_id)),
            None,
        )
        .await
        .map(drop)
    }

    /// Deletes a pipeline (KFP refuses while it has versions; they go first).
    pub async fn delete_pipeline(&self, pipeline_id: &str) -> Result<(), KfpError> {
        for v in self.versions(pipeline_id).await? {
            if let Some(vid) = v.get("pipeline_version_id").and_then(Value::as_str) {
                self.delete_version(pipeline_id, vid).await?;
            }
        }
        self.call(
            http::Method::DELETE,
            &format!("/pipelines/{}", enc(pipeline_id)),
            None,
        )
        .await
        .map(drop)
    }

    /// Uploads a pipeline spec file as a new pipeline (`pipeline_id: None`) or as a new version
    /// of one; KFP's multipart upload with the file in `uploadfile`.
    pub async fn upload(
        &self,
        namespace: &str,
        pipeline_id: Option<&str>,
        name: &str,
        file_name: &str,
        content: &[u8],
    ) -> Result<Value, KfpError> {
        let boundary = format!("kftui-{:016x}", content.len() as u64 ^ 0x5bd1_e995_u64);
        let mut body = Vec::with_capacity(content.len() + 256);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"uploadfile\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                file_name.replace('"', "")
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let path = match pipeline_id {
            None => format!(
                "/pipelines/upload?name={}&display_name={}&namespace={}",
                enc(name),
                enc(name),
                enc(namespace)
            ),
            Some(pid) => format!(
                "/pipelines/upload_version?pipelineid={}&name={}",
                enc(pid),
                enc(name)
            ),
        };
        let uri = format!("{}{path}", self.base);
        let req = http::Request::builder()
            .method(http::Method::POST)
            .uri(&uri)
            .header(
                http::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(kube::client::Body::from(body))
            .map_err(|e| KfpError::Unreachable(e.to_string()))?;
        self.send(req).await
    }

    /// One version of a pipeline, with its spec.
    pub async fn version(&self, pipeline_id: &str, version_id: &str) -> Result<Value, KfpError> {
        self.get(&format!(
            "/pipelines/{}/versions/{}",
            enc(pipeline_id),
            enc(version_id)
        ))
        .await
    }

    /// One run, by its KFP id.
    pub async fn run(&self, run_id: &str) -> Result<Value, KfpError> {
        self.get(&format!("/runs/{}", enc(run_id))).await
    }

    /// Creates a run (`POST /runs`); the answer is the run with its `run_id`.
    pub async fn create_run(&self, body: &Value) -> Result<Value, KfpError> {
        self.post("/runs", body).await
    }

    /// `POST /runs/{id}:terminate`.
    pub async fn terminate(&self, run_id: &str) -> Result<(), KfpError> {
        self.post(&format!("/runs/{}:terminate", enc(run_id)), &json!({}))
            .await
            .map(drop)
    }

    /// `POST /runs/{id}:retry`.
    pub async fn retry(&self, run_id: &str) -> Result<(), KfpError> {
        self.post(&format!("/runs/{}:retry", enc(run_id)), &json!({}))
            .await
            .map(drop)
    }

    /// The id of the experiment of this name in a namespace, created when there is none.
    pub async fn experiment_id(&self, namespace: &str, name: &str) -> Result<String, KfpError> {
        let filter =
            json!({"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": name}]});
        let page = self
            .get(&format!(
                "/experiments?namespace={}&page_size=10&filter={}",
                enc(namespace),
                enc(&filter.to_string())
            ))
            .await?;
        if let Some(id) = items(&page, "experiments")
            .iter()
            .find(|e| e["display_name"] == name)
            .and_then(|e| e["experiment_id"].as_str())
        {
            return Ok(id.to_string());
        }
        let created = self
            .post(
                "/experiments",
                &json!({"display_name": name, "namespace": namespace}),
            )
            .await?;
        created["experiment_id"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| KfpError::Api("KFP created the experiment but gave no id".into()))
    }

    /// `POST /recurringruns/{id}:enable` or `:disable`.
    pub async fn recurring_run_action(&self, id: &str, action: &str) -> Result<(), KfpError> {
        self.post(&format!("/recurringruns/{}:{action}", enc(id)), &json!({}))
            .await
            .map(drop)
    }

    /// The experiments of a namespace (one page).
    pub async fn experiments(&self, namespace: &str) -> Result<Vec<Value>, KfpError> {
        let page = self
            .get(&format!(
                "/experiments?namespace={}&page_size=200",
                enc(namespace)
            ))
            .await?;
        Ok(items(&page, "experiments"))
    }

    /// The runs KFP remembers in a namespace, newest first (one page).
    pub async fn runs(&self, namespace: &str, page_size: usize) -> Result<Vec<Value>, KfpError> {
        let page = self
            .get(&format!(
                "/runs?namespace={}&page_size={page_size}&sort_by={}",
                enc(namespace),
                enc("created_at desc")
            ))
            .await?;
        Ok(items(&page, "runs"))
    }
}

fn items(page: &Value, key: &str) -> Vec<Value> {
    page.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The Kubeflow profile namespaces (KFP keeps runs and pipelines per profile): what "all
/// namespaces" means to KFP, asked one namespace at a time.
pub async fn profile_namespaces(client: &kube::Client) -> Result<Vec<String>, kube::Error> {
    use crate::kube::resources::namespace::{PROFILE_LABEL, PROFILE_VALUE};
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client.clone());
    let lp = kube::api::ListParams::default().labels(&format!("{PROFILE_LABEL}={PROFILE_VALUE}"));
    Ok(api
        .list_metadata(&lp)
        .await?
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_say_who_answered() {
        let status = br#"{"kind":"Status","message":"services \"ml-pipeline\" not found","code":404}"#;
        assert_eq!(
            error_text(status),
            (true, "services \"ml-pipeline\" not found".to_string())
        );
        let kfp = br#"{"error_message":"Failed to retry run: not failed","code":9}"#;
        assert_eq!(
            error_text(kfp),
            (false, "Failed to retry run: not failed".to_string())
        );
        assert_eq!(error_text(b"upstream \x1b[2J gone").1, "upstream ␛[2J gone");
        assert_eq!(enc("created_at desc"), "created_at%20desc");
    }
}
