//! Namespaces, as the namespace picker lists them: Kubeflow profiles first.

use k8s_openapi::api::core::v1::Namespace;

use crate::text::sanitized;

/// Label the profile controller sets on every profile namespace.
pub const PROFILE_LABEL: &str = "app.kubernetes.io/part-of";
pub const PROFILE_VALUE: &str = "kubeflow-profile";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceRow {
    pub name: String,
    /// A Kubeflow profile namespace.
    pub profile: bool,
    /// The profile owner (annotation `owner`), when known.
    pub owner: Option<String>,
    pub phase: String,
}

impl NamespaceRow {
    pub fn from_namespace(ns: &Namespace) -> NamespaceRow {
        let meta = &ns.metadata;
        let profile = meta
            .labels
            .as_ref()
            .and_then(|l| l.get(PROFILE_LABEL))
            .is_some_and(|v| v == PROFILE_VALUE);
        NamespaceRow {
            name: sanitized(meta.name.as_deref().unwrap_or("")),
            profile,
            owner: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get("owner"))
                .map(|o| sanitized(o)),
            phase: ns
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_default(),
        }
    }
}

/// Profiles first, then the rest, each by name.
pub fn picker_order(rows: &mut [NamespaceRow]) {
    rows.sort_by(|a, b| b.profile.cmp(&a.profile).then_with(|| a.name.cmp(&b.name)));
}
