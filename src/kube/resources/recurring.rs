//! Recurring runs: KFP's ScheduledWorkflows (`kubeflow.org/v1beta1`, behind KFP's recurring
//! runs) and Argo CronWorkflows, as one row type.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::kube::key::Kind;
use crate::kube::resources::parse_time;
use crate::kube::row::ListRow;
use crate::runs::cron::Cron;
use crate::text::sanitized;

/// What kind of schedule a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScheduleSource {
    /// KFP's ScheduledWorkflow (a recurring run).
    Kfp,
    /// Argo's CronWorkflow.
    Cron,
}

impl ScheduleSource {
    pub fn word(self) -> &'static str {
        match self {
            ScheduleSource::Kfp => "KFP",
            ScheduleSource::Cron => "CronWorkflow",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecurringRow {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    pub source: ScheduleSource,
    /// `cron 0 2 * * *` or `every 3600s`.
    pub schedule: String,
    pub enabled: bool,
    pub last: Option<DateTime<Utc>>,
    pub next: Option<DateTime<Utc>>,
    /// What it starts: a KFP pipeline id or an Argo template.
    pub target: String,
    pub created: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

impl RecurringRow {
    /// A ScheduledWorkflow; `pipelines` names pipeline ids.
    pub fn from_swf(v: &Value, pipelines: &BTreeMap<String, String>) -> RecurringRow {
        let cron = s(v, "/spec/trigger/cronSchedule/cron");
        let schedule = if cron.is_empty() {
            match v.pointer("/spec/trigger/periodicSchedule/intervalSecond") {
                Some(n) => format!("every {}s", n.as_i64().unwrap_or(0)),
                None => String::new(),
            }
        } else {
            format!("cron {cron}")
        };
        let pid = s(v, "/spec/pipelineId");
        let enabled = v.pointer("/spec/enabled").and_then(Value::as_bool) == Some(true);
        RecurringRow {
            uid: s(v, "/metadata/uid").to_string(),
            namespace: sanitized(s(v, "/metadata/namespace")),
            name: sanitized(s(v, "/metadata/name")),
            source: ScheduleSource::Kfp,
            schedule: sanitized(&schedule),
            enabled,
            last: parse_time(s(v, "/status/trigger/lastTriggeredTime")),
            // A disabled schedule fires never, whatever its status last said.
            next: parse_time(s(v, "/status/trigger/nextTriggeredTime")).filter(|_| enabled),
            target: sanitized(pipelines.get(pid).map_or(pid, String::as_str)),
            created: parse_time(s(v, "/metadata/creationTimestamp")),
            labels: BTreeMap::new(),
        }
    }

    /// A CronWorkflow; the next time is computed from its schedule (UTC schedules only).
    pub fn from_cron_workflow(v: &Value, now: DateTime<Utc>) -> RecurringRow {
        let schedules: Vec<String> = v
            .pointer("/spec/schedules")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .filter(|a: &Vec<String>| !a.is_empty())
            .unwrap_or_else(|| vec![s(v, "/spec/schedule").to_string()]);
        let tz = s(v, "/spec/timezone");
        let suspended = v.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
        let next = if suspended || !(tz.is_empty() || tz == "UTC" || tz == "Etc/UTC") {
            None
        } else {
            schedules
                .iter()
                .filter_map(|c| Cron::parse(c).ok()?.next_after(now))
                .min()
        };
        let template = v
            .pointer("/spec/workflowSpec/workflowTemplateRef/name")
            .and_then(Value::as_str)
            .map_or_else(|| "(inline spec)".to_string(), |t| format!("template {t}"));
        RecurringRow {
            uid: s(v, "/metadata/uid").to_string(),
            namespace: sanitized(s(v, "/metadata/namespace")),
            name: sanitized(s(v, "/metadata/name")),
            source: ScheduleSource::Cron,
            schedule: sanitized(&format!(
                "cron {}{}",
                schedules.join(", "),
                if tz.is_empty() {
                    String::new()
                } else {
                    format!(" ({tz})")
                }
            )),
            enabled: !suspended,
            last: parse_time(s(v, "/status/lastScheduledTime")),
            next,
            target: sanitized(&template),
            created: parse_time(s(v, "/metadata/creationTimestamp")),
            labels: BTreeMap::new(),
        }
    }
}

impl ListRow for RecurringRow {
    const KIND: Kind = Kind::ScheduledWorkflows;
    const SORT_COLUMNS: &'static [&'static str] = &["name", "source", "enabled", "last", "next", "age"];
    crate::list_row_fields!();

    fn kind(&self) -> Kind {
        match self.source {
            ScheduleSource::Kfp => Kind::ScheduledWorkflows,
            ScheduleSource::Cron => Kind::CronWorkflows,
        }
    }
    fn search_fields(&self) -> Vec<&str> {
        vec![&self.name, &self.schedule, &self.target, self.source.word()]
    }
    fn compare(&self, other: &Self, column: &str, _now: DateTime<Utc>) -> Ordering {
        match column {
            "source" => self.source.cmp(&other.source),
            "enabled" => other.enabled.cmp(&self.enabled),
            "last" => other.last.cmp(&self.last),
            "next" => self.next.cmp(&other.next),
            "age" => other.created.cmp(&self.created),
            _ => self.name.cmp(&other.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schedules_of_both_kinds() {
        let now: DateTime<Utc> = "2026-11-28T19:30:00Z".parse().unwrap();
        let cw = json!({"metadata": {"name": "nightly", "namespace": "ns", "uid": "c1"},
            "spec": {"schedules": ["0 2 * * *"], "timezone": "UTC",
                "workflowSpec": {"workflowTemplateRef": {"name": "data-prep"}}},
            "status": {"lastScheduledTime": "2026-11-28T02:00:00Z"}});
        let r = RecurringRow::from_cron_workflow(&cw, now);
        assert_eq!(r.next, Some("2026-11-29T02:00:00Z".parse().unwrap()));
        assert!(r.enabled);
        assert_eq!(r.target, "template data-prep");
        let mut suspended = cw.clone();
        suspended["spec"]["suspend"] = json!(true);
        let r = RecurringRow::from_cron_workflow(&suspended, now);
        assert!(!r.enabled && r.next.is_none(), "a suspended schedule fires never");
        let swf = json!({"metadata": {"name": "weekly", "namespace": "ns", "uid": "s1"},
            "spec": {"enabled": false, "pipelineId": "p1", "trigger": {"periodicSchedule": {"intervalSecond": 3600}}},
            "status": {"trigger": {"nextTriggeredTime": "2026-11-29T00:00:00Z"}}});
        let names = BTreeMap::from([("p1".to_string(), "train".to_string())]);
        let r = RecurringRow::from_swf(&swf, &names);
        assert_eq!(
            (r.schedule.as_str(), r.target.as_str(), r.enabled),
            ("every 3600s", "train", false)
        );
        assert_eq!(r.next, None, "disabled: no next time");
    }
}
