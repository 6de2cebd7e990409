//! Production monitoring: what Prometheus says about the models and training jobs on screen.
//!
//! Subscriptions follow the screen like every other: the Models list's traffic columns while the
//! list shows, one model's last 15 minutes while its detail is open, one training job's hardware
//! while its detail is open, and nothing otherwise. When no Prometheus answers, the status line
//! says so once per context and the panes work as without it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::app::pane::PaneId;
use crate::app::state::{Level, Notice, State};
use crate::kube::key::{Kind, SubKey};
use crate::kube::prometheus::{Metrics, Traffic};

/// Whether a kind is asked of Prometheus rather than watched.
pub fn is_metrics(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::ModelTraffic | Kind::ModelHistory | Kind::TrainingHardware
    )
}

/// What Prometheus said last.
#[derive(Debug, Clone, Default)]
pub struct MonitorState {
    /// Every listed model's traffic now, by (namespace, name); `None` until Prometheus answered.
    pub models: Option<BTreeMap<(String, String), Traffic>>,
    /// The open model's last 15 minutes, and the key it answers.
    pub model_history: Option<(SubKey, Arc<Metrics>)>,
    /// The open training job's hardware, and the key it answers.
    pub hardware: Option<(SubKey, Arc<Metrics>)>,
    /// Why the last question got no numbers, while that lasts.
    pub unavailable: Option<String>,
    /// The contexts whose missing Prometheus the status line told already.
    told: BTreeSet<String>,
}

impl MonitorState {
    /// A model's traffic now, if Prometheus knows it.
    pub fn traffic(&self, namespace: &str, name: &str) -> Option<&Traffic> {
        self.models
            .as_ref()?
            .get(&(namespace.to_string(), name.to_string()))
    }
}

fn history_key(state: &State, kind: Kind, namespace: &str, name: &str) -> SubKey {
    SubKey {
        context: state.target.context.clone(),
        namespace: Some(namespace.to_string()),
        kind,
        selector: None,
        field: Some(format!("metadata.name={name}")),
    }
}

/// The metrics the screen shows right now.
pub fn wanted(state: &State) -> Vec<SubKey> {
    let mut out = Vec::new();
    match state.pane {
        PaneId::Models if state.model.test.is_none() => match &state.model.open {
            None => out.push(SubKey {
                context: state.target.context.clone(),
                namespace: state.target.namespace.clone(),
                kind: Kind::ModelTraffic,
                selector: None,
                field: None,
            }),
            Some(open) => out.push(history_key(
                state,
                Kind::ModelHistory,
                &open.namespace,
                &open.name,
            )),
        },
        PaneId::Training => {
            if let Some(open) = &state.train.open {
                out.push(history_key(
                    state,
                    Kind::TrainingHardware,
                    &open.namespace,
                    &open.name,
                ));
            }
        }
        _ => {}
    }
    out
}

/// The answer to a metrics key: numbers, or why there are none.
pub fn on_metrics(state: &mut State, key: SubKey, result: Result<Arc<Metrics>, String>) {
    if !state.subs.contains(&key) {
        return; // asked for a screen no longer shown
    }
    state.dirty = true;
    let metrics = match result {
        Ok(m) => m,
        Err(why) => {
            let why = crate::text::sanitized(&why);
            // No numbers rather than old ones: the pane is as it is without Prometheus.
            match key.kind {
                Kind::ModelTraffic => state.monitor.models = None,
                Kind::ModelHistory => state.monitor.model_history = None,
                Kind::TrainingHardware => state.monitor.hardware = None,
                _ => {}
            }
            if state.monitor.told.insert(key.context.clone()) {
                state.notice = Some(Notice {
                    level: Level::Warn,
                    text: format!("{why}: no traffic or GPU numbers"),
                });
            }
            state.monitor.unavailable = Some(why);
            return;
        }
    };
    state.monitor.unavailable = None;
    // Prometheus answers again: tell again if it goes away again.
    state.monitor.told.remove(&key.context);
    match (key.kind, metrics.as_ref()) {
        (Kind::ModelTraffic, Metrics::Models(m)) => state.monitor.models = Some(m.clone()),
        (Kind::ModelHistory, Metrics::History { .. }) => {
            state.monitor.model_history = Some((key, metrics));
        }
        (Kind::TrainingHardware, Metrics::History { .. }) => {
            state.monitor.hardware = Some((key, metrics));
        }
        _ => tracing::warn!(kind = ?key.kind, "metrics of another shape than asked"),
    }
}

/// The open model's history, when it answers the open model.
pub fn model_history<'a>(state: &'a State, namespace: &str, name: &str) -> Option<&'a Metrics> {
    let (key, m) = state.monitor.model_history.as_ref()?;
    (key == &history_key(state, Kind::ModelHistory, namespace, name)).then_some(m.as_ref())
}

/// The open training job's hardware, when it answers that job.
pub fn hardware<'a>(state: &'a State, namespace: &str, name: &str) -> Option<&'a Metrics> {
    let (key, m) = state.monitor.hardware.as_ref()?;
    (key == &history_key(state, Kind::TrainingHardware, namespace, name)).then_some(m.as_ref())
}
