//! Simulated controllers that move time forward: Argo workflows and a tiny kubelet.

pub mod argo;
pub mod katib;
pub mod kit;
pub mod kserve;
pub mod notebooks;
pub mod pod_events;
pub mod pods;
pub mod trainer;
pub mod workflow;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Shared;
use super::selector::{FieldSelector, LabelSelector};
use super::store::{Filter, Part, Store};
use super::types;

/// How often the controllers look at the cluster.
pub const TICK: Duration = Duration::from_millis(500);

/// Runs every controller until the server shuts down; `pod_events` records what happens to
/// pods from where it started.
pub fn run(shared: Arc<Shared>, seed: u64, mut pod_events: pod_events::PodEvents) {
    let mut workflows = workflow::WorkflowController::new(shared.store.clone(), seed, true);
    let mut kubelet = Kubelet::default();
    let mut loops = kubeflow_loops();
    let mut next = std::time::Instant::now();
    while !shared.cancel.is_cancelled() {
        let now = Utc::now();
        workflows.tick(now);
        kubelet.tick(&shared.store, now);
        for l in &mut loops {
            l.tick(&shared.store, now);
        }
        pod_events.tick(&shared.store, now);
        super::events::expire(&shared.store, now);
        // The next pass, or at once when this one ran long; a stop is seen within a slice.
        next = (next + TICK).max(std::time::Instant::now());
        while !shared.cancel.is_cancelled() {
            let left = next.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(STOP_SLICE));
        }
    }
}

/// How often a sleeping controller thread looks for a stop.
const STOP_SLICE: Duration = Duration::from_millis(20);

/// The reconcile loops of the Kubeflow controllers (notebooks, KServe, Trainer, Katib).
pub fn kubeflow_loops() -> Vec<kit::Loop> {
    vec![
        kit::Loop::new("kubeflow.org", "notebooks", notebooks::reconcile),
        kit::Loop::new("serving.kserve.io", "inferenceservices", kserve::reconcile),
        kit::Loop::new("trainer.kubeflow.org", "trainjobs", trainer::reconcile_trainjob),
        kit::Loop::new("kubeflow.org", "pytorchjobs", trainer::reconcile_pytorchjob),
        kit::Loop::new("kubeflow.org", "experiments", katib::reconcile),
    ]
}

/// Starts and stops pods created directly through the API (not by a workflow).
/// Per pod: the resourceVersion last seen and when it next needs a look.
type KubeletMemo = HashMap<(String, String), (u64, Option<DateTime<Utc>>)>;

#[derive(Default)]
pub struct Kubelet {
    memo: KubeletMemo,
}

impl Kubelet {
    pub fn tick(&mut self, store: &Store, now: DateTime<Utc>) {
        let pod_type = types::pod_type();
        let filter = Filter {
            namespace: None,
            labels: LabelSelector::parse("!workflows.argoproj.io/workflow").unwrap_or_default(),
            fields: FieldSelector::parse("status.phase!=Succeeded,status.phase!=Failed", pod_type)
                .unwrap_or_default(),
        };
        let mut seen = HashMap::new();
        for meta in store.metas(pod_type, &filter) {
            if !meta.owners.is_empty() {
                continue; // a controller moves its own pods
            }
            let key = (meta.namespace.clone(), meta.name.clone());
            if let Some(&(rv, due)) = self.memo.get(&key)
                && rv == meta.rv
                && due.is_none_or(|d| d > now)
                && meta
                    .fields
                    .iter()
                    .any(|(k, v)| *k == "status.phase" && v == "Running")
            {
                seen.insert(key, (rv, due));
                continue;
            }
            let Ok(pod) = store
                .get(pod_type, &meta.namespace, &meta.name)
                .and_then(|s| s.value())
            else {
                continue;
            };
            match pods::kubelet_step(&pod, now) {
                Some((next, due)) => {
                    if let Ok(s) = store.replace(
                        pod_type,
                        &meta.namespace,
                        &meta.name,
                        next,
                        Some(meta.rv),
                        Part::All,
                    ) {
                        seen.insert(key, (s.meta.rv, due));
                    }
                }
                None => {
                    seen.insert(key, (meta.rv, None));
                }
            }
        }
        self.memo = seen;
    }
}
