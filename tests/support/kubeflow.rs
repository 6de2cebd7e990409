//! Training and Experiments pane states built from the real fixture objects in
//! `/work/shared/fixtures/objects` (`../shared/fixtures` from the crate), and from the seeded
//! demo cluster. A missing fixture folder makes the caller skip, saying so.

use std::sync::Arc;

use kftui::app::msg::{DataEvent, Msg};
use kftui::app::state::State;
use kftui::app::subs::Kind;
use kftui::app::update::update;
use kftui::kube::resources::experiment::{ExperimentLite, ExperimentRow, TrialLite, TrialRow};
use kftui::kube::resources::train_job::{
    self, ClusterScoped, JobKind, LegacyJobLite, RuntimeLite, RuntimeRow, TrainJobLite, TrainRow,
};

use super::{keymap, kind_key, loaded_state, now, press};

pub const NS: &str = "kubeflow-user-example-com";

/// The fixture folder, or `None` (after saying the test is skipped) when it is absent.
pub fn fixtures() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/objects");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: the fixture folder {} is absent; this test needs the real objects",
            dir.display()
        );
        None
    }
}

/// A fixture object as JSON (YAML and JSON files alike).
pub fn fixture(name: &str) -> serde_json::Value {
    let dir = fixtures().expect("fixture folder");
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    if name.ends_with(".json") {
        serde_json::from_str(&text).unwrap()
    } else {
        serde_saphyr::from_str(&text).unwrap()
    }
}

/// The complete TrainJob fixture, and the same job as Trainer reports it mid-run.
pub fn fixture_trainjobs() -> Vec<TrainRow> {
    let complete = fixture("SYNTHETIC_trainer.kubeflow.org_trainjob_status_complete.yaml");
    let mut running = complete.clone();
    running["metadata"]["name"] = "multi-node-running".into();
    running["metadata"]["uid"] = "00000000-0000-4000-8000-000000000002".into();
    running["metadata"]["creationTimestamp"] = "2026-11-28T14:48:00Z".into();
    running["status"] = serde_json::json!({
        "jobsStatus": [{"name": "node", "ready": 1, "active": 1, "succeeded": 0, "failed": 0, "suspended": 0}],
        "trainerStatus": {"progressPercentage": 45, "estimatedRemainingSeconds": 510,
            "metrics": [{"name": "loss", "value": "0.4121"}, {"name": "accuracy", "value": "0.8710"}],
            "lastUpdatedTime": "2026-11-28T14:59:55Z"}
    });
    let mut suspended = complete.clone();
    suspended["metadata"]["name"] = "multi-node-suspended".into();
    suspended["metadata"]["uid"] = "00000000-0000-4000-8000-000000000003".into();
    suspended["metadata"]["creationTimestamp"] = "2026-11-28T12:00:00Z".into();
    suspended["spec"]["suspend"] = true.into();
    suspended["status"] = serde_json::json!({
        "conditions": [{"type": "Suspended", "status": "True", "reason": "Suspended",
            "message": "TrainJob is suspended", "lastTransitionTime": "2026-11-28T12:01:00Z"}],
        "jobsStatus": [{"name": "node", "suspended": 1}]
    });
    [complete, running, suspended]
        .into_iter()
        .map(|v| TrainRow::from_trainjob(&serde_json::from_value::<TrainJobLite>(v).unwrap()))
        .collect()
}

/// The JAXJob and XGBoostJob fixtures (legacy `kubeflow.org/v1`).
pub fn fixture_legacy_jobs() -> Vec<TrainRow> {
    let jax: LegacyJobLite<train_job::Jax> =
        serde_json::from_value(fixture("kubeflow.org_jaxjob_status_succeeded.yaml")).unwrap();
    let xgb: LegacyJobLite<train_job::XgBoost> =
        serde_json::from_value(fixture("kubeflow.org_xgboostjob_status_succeeded.yaml")).unwrap();
    vec![TrainRow::from_legacy(&jax), TrainRow::from_legacy(&xgb)]
}

/// The Katib experiment fixtures: the finished DARTS experiment and the random-search spec.
pub fn fixture_experiments() -> Vec<ExperimentRow> {
    let mut darts = fixture("kubeflow.org_experiment_status_darts-succeeded.json");
    // The captured object was being deleted; shown as it was listed.
    if let Some(m) = darts["metadata"].as_object_mut() {
        m.remove("deletionTimestamp");
    }
    let random = fixture("kubeflow.org_experiment_spec_random.yaml");
    [darts, random]
        .into_iter()
        .map(|v| ExperimentRow::from_experiment(&serde_json::from_value::<ExperimentLite>(v).unwrap()))
        .collect()
}

/// Delivers rows of one training API as its watch would.
pub fn deliver_training(state: &mut State, kind: JobKind, rows: Vec<TrainRow>) {
    let key = kind_key(Kind::Training(kind), Some(NS));
    assert!(state.subs.contains(&key), "the Training pane watches {kind:?}");
    update(
        state,
        &keymap(),
        Msg::Data(DataEvent::Training {
            key,
            rows: Arc::from(rows),
        }),
    );
}

/// The Training pane (key `6`) with the TrainJob fixtures and the legacy fixtures delivered.
pub fn training_state(width: u16, height: u16) -> State {
    let mut state = loaded_state(width, height);
    press(&mut state, "6");
    deliver_training(&mut state, JobKind::TrainJob, fixture_trainjobs());
    deliver_training(&mut state, JobKind::PyTorch, fixture_legacy_jobs());
    state
}

/// The Experiments pane (key `7`) with the experiment fixtures delivered.
pub fn experiments_state(width: u16, height: u16) -> State {
    let mut state = loaded_state(width, height);
    press(&mut state, "7");
    let key = kind_key(Kind::Experiments, Some(NS));
    assert!(
        state.subs.contains(&key),
        "the Experiments pane watches experiments"
    );
    update(
        &mut state,
        &keymap(),
        Msg::Data(DataEvent::Experiments {
            key,
            rows: Arc::from(fixture_experiments()),
        }),
    );
    state
}

/// The torch-distributed ClusterTrainingRuntime fixture.
pub fn fixture_runtime() -> RuntimeRow {
    let rt: RuntimeLite<ClusterScoped> = serde_json::from_value(fixture(
        "trainer.kubeflow.org_clustertrainingruntime_torch-distributed.yaml",
    ))
    .unwrap();
    RuntimeRow::from_cluster(&rt)
}

/// The seeded demo cluster's objects of a kind in the demo namespace, at the fixed clock.
pub fn seeded<K: serde::de::DeserializeOwned, R>(group: &str, plural: &str, project: fn(&K) -> R) -> Vec<R> {
    use kftui::sim::store::{Filter, Store};
    let store = Store::new(42, 10_000);
    kftui::sim::seed::seed(&store, 42, 0, now()).unwrap();
    let filter = Filter {
        namespace: Some(NS.into()),
        ..Filter::default()
    };
    let rt = kftui::sim::types::find(group, plural).unwrap();
    let page = store.list(rt, &filter, None, None).unwrap();
    page.items
        .iter()
        .map(|s| project(&serde_json::from_value(s.value().unwrap()).unwrap()))
        .collect()
}

/// The demo's experiments and the trials of one of them.
pub fn seeded_experiments() -> Vec<ExperimentRow> {
    seeded("kubeflow.org", "experiments", |e: &ExperimentLite| {
        ExperimentRow::from_experiment(e)
    })
}

pub fn seeded_trials(experiment: &str) -> Vec<TrialRow> {
    seeded("kubeflow.org", "trials", |t: &TrialLite| TrialRow::from_trial(t))
        .into_iter()
        .filter(|t| t.experiment == experiment)
        .collect()
}
