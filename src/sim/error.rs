//! Errors of the embedded cluster: API errors rendered as Kubernetes `Status` objects, and
//! start-up errors.

use serde_json::{Value, json};

use super::types::ResourceType;

/// Why the embedded cluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("seeding the demo data failed: {0}")]
    Seed(#[from] ApiError),
}

/// An API failure, answered as a `Status` with the Kubernetes code, reason and message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    fn resource_details(rt: &ResourceType, name: &str) -> Value {
        let mut d = json!({ "name": name, "kind": rt.plural });
        if !rt.group.is_empty()
            && let Some(o) = d.as_object_mut()
        {
            o.insert("group".into(), Value::String(rt.group.into()));
        }
        d
    }

    /// 404 `workflows.argoproj.io "x" not found`.
    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", rt.qualified(), name),
        )
        .with_details(Self::resource_details(rt, name))
    }

    /// 404 for a path that names no resource.
    pub fn no_route() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    /// 409 `pods "x" already exists`.
    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", rt.qualified(), name),
        )
        .with_details(Self::resource_details(rt, name))
    }

    /// 409 on a stale `resourceVersion`.
    pub fn conflict(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                rt.qualified(),
                name
            ),
        )
        .with_details(Self::resource_details(rt, name))
    }

    /// 422 with one field cause.
    pub fn invalid(rt: &ResourceType, name: &str, field: &str, detail: &str) -> Self {
        let mut details = Self::resource_details(rt, name);
        if let Some(o) = details.as_object_mut() {
            o.insert("kind".into(), Value::String(rt.kind.into()));
            o.insert(
                "causes".into(),
                json!([{ "reason": "FieldValueInvalid", "message": format!("{field}: {detail}"), "field": field }]),
            );
        }
        Self::new(
            422,
            "Invalid",
            format!("{} \"{}\" is invalid: {}: {}", rt.kind, name, field, detail),
        )
        .with_details(details)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 410 for a watch or continue token older than the history window.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn method_not_allowed(method: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!("the server does not allow this method on the requested resource ({method})"),
        )
    }

    pub fn not_acceptable(accept: &str) -> Self {
        Self::new(
            406,
            "NotAcceptable",
            format!(
                "only the following media types are accepted: application/json, application/yaml (asked for {accept})"
            ),
        )
    }

    pub fn unsupported_media_type(content_type: &str, strategic: bool) -> Self {
        let accepted = if strategic {
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"
        } else {
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        };
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {accepted} (got {content_type})"
            ),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// The `Status` object for this error.
    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let (Some(d), Some(o)) = (&self.details, s.as_object_mut()) {
            o.insert("details".into(), d.clone());
        }
        s
    }
}

/// A `Status` reporting success (e.g. for collection deletes of kinds that return it).
pub fn success_status(details: Value) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::types;

    #[test]
    fn not_found_matches_apiserver_text() {
        let e = ApiError::not_found(types::workflow_type(), "x");
        assert_eq!(e.message, "workflows.argoproj.io \"x\" not found");
        let s = e.status();
        assert_eq!(s["code"], 404);
        assert_eq!(s["reason"], "NotFound");
        assert_eq!(s["details"]["group"], "argoproj.io");
        assert_eq!(s["details"]["kind"], "workflows");
        let p = ApiError::not_found(types::pod_type(), "p").status();
        assert!(p["details"].get("group").is_none());
    }
}
