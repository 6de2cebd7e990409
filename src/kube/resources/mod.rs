//! Typed views of the resources kftui lists, each with its projection to a row.

pub mod experiment;
pub mod inference_service;
pub mod namespace;
pub mod notebook;
pub mod pipeline;
pub mod pod;
pub mod recurring;
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
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

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
