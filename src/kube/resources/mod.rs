//! Typed views of the resources kftui lists, each with its projection to a row.

pub mod experiment;
pub mod inference_service;
pub mod namespace;
pub mod notebook;
pub mod pipeline;
pub mod pod;
pub mod recurring;
pub mod table;
pub mod train_job;
pub mod workflow;

use chrono::{DateTime, Utc};

/// Implements `kube::Resource` for a namespaced "lite" type: a struct with a `metadata` field that
/// names only the fields a row needs, so a watch of thousands of big objects stays small.
#[macro_export]
macro_rules! lite_resource {
    ($ty:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = kube::core::NamespaceResourceScope;

            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($kind)
            }
            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($group)
            }
            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($version)
            }
            fn api_version(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(concat!($group, "/", $version))
            }
            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed($plural)
            }
            fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};

/// The annotation `kubectl apply` writes: a whole copy of the object, never shown in a row.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Deserialises `metadata` as a row needs it: `managedFields` (on a real server the largest part
/// of most objects' metadata) is skipped without being built, and `kubectl apply`'s copy of the
/// object is dropped from the annotations.
pub fn slim_meta<'de, D: serde::Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    use std::collections::BTreeMap;
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Slim {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        generate_name: Option<String>,
        #[serde(default)]
        namespace: Option<String>,
        #[serde(default)]
        uid: Option<String>,
        #[serde(default)]
        resource_version: Option<String>,
        #[serde(default)]
        generation: Option<i64>,
        #[serde(default)]
        creation_timestamp: Option<Time>,
        #[serde(default)]
        deletion_timestamp: Option<Time>,
        #[serde(default)]
        labels: Option<BTreeMap<String, String>>,
        #[serde(default)]
        annotations: Option<BTreeMap<String, String>>,
        #[serde(default)]
        owner_references: Option<Vec<OwnerReference>>,
    }
    let m = <Option<Slim> as serde::Deserialize>::deserialize(d)?;
    Ok(m.map(|m| ObjectMeta {
        name: m.name,
        generate_name: m.generate_name,
        namespace: m.namespace,
        uid: m.uid,
        resource_version: m.resource_version,
        generation: m.generation,
        creation_timestamp: m.creation_timestamp,
        deletion_timestamp: m.deletion_timestamp,
        labels: m.labels,
        annotations: m.annotations.map(|mut a| {
            a.remove(LAST_APPLIED);
            a
        }),
        owner_references: m.owner_references,
        ..ObjectMeta::default()
    })
    .unwrap_or_default())
}

/// Parses an RFC 3339 timestamp as the API server writes it.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Converts a metadata timestamp to chrono.
pub fn meta_time(t: Option<&Time>) -> Option<DateTime<Utc>> {
    let ts = t?.0;
    DateTime::from_timestamp(ts.as_second(), ts.subsec_nanosecond().max(0) as u32)
}

/// A status condition as every Kubeflow API writes it (`metav1.Condition`, Knative's, the
/// training operator's).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConditionLite {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub last_transition_time: Option<String>,
    #[serde(default)]
    pub last_update_time: Option<String>,
}

impl ConditionLite {
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }
}
