//! Typed views of the resources kftui lists, each with its projection to a row.

pub mod namespace;
pub mod pod;
pub mod workflow;

use chrono::{DateTime, Utc};
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
