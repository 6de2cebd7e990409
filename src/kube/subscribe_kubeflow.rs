//! The watches of the Training and Experiments panes: each kind through the generic
//! [`watch_rows`], projected to its row on arrival.

use std::sync::Arc;

use kube::Api;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::event::DataEvent;
use crate::kube::key::{Kind, SubKey};
use crate::kube::resources::experiment::{ExperimentLite, ExperimentRow, TrialLite, TrialRow};
use crate::kube::resources::train_job::{
    self, ClusterScoped, JobKind, LegacyJobLite, Namespaced, RuntimeLite, RuntimeRow, TrainJobLite, TrainRow,
};
use crate::kube::subscribe::{RowsFor, watch_rows};

fn api<K>(client: kube::Client, ns: Option<&str>) -> Api<K>
where
    K: kube::Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>,
{
    match ns {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    }
}

/// Watches one of the Kubeflow training or tuning kinds until `cancel` fires.
pub async fn run<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    let ns = key.namespace.clone();
    let ns = ns.as_deref();
    match key.kind {
        Kind::Training(JobKind::TrainJob) => {
            let api: Api<TrainJobLite> = api(client, ns);
            watch_rows(api, key, tx, cancel, TrainRow::from_trainjob).await;
        }
        Kind::Training(JobKind::PyTorch) => {
            let api: Api<LegacyJobLite<train_job::PyTorch>> = api(client, ns);
            watch_rows(api, key, tx, cancel, TrainRow::from_legacy).await;
        }
        Kind::Training(JobKind::Tf) => {
            let api: Api<LegacyJobLite<train_job::Tf>> = api(client, ns);
            watch_rows(api, key, tx, cancel, TrainRow::from_legacy).await;
        }
        Kind::Training(JobKind::Jax) => {
            let api: Api<LegacyJobLite<train_job::Jax>> = api(client, ns);
            watch_rows(api, key, tx, cancel, TrainRow::from_legacy).await;
        }
        Kind::Training(JobKind::XgBoost) => {
            let api: Api<LegacyJobLite<train_job::XgBoost>> = api(client, ns);
            watch_rows(api, key, tx, cancel, TrainRow::from_legacy).await;
        }
        Kind::TrainingRuntimes => {
            let api: Api<RuntimeLite<Namespaced>> = api(client, ns);
            watch_rows(api, key, tx, cancel, RuntimeRow::from_namespaced).await;
        }
        Kind::ClusterTrainingRuntimes => {
            // Cluster-scoped: listed without a namespace whatever the app is looking at.
            let api: Api<RuntimeLite<ClusterScoped>> = Api::all(client);
            watch_rows(api, key, tx, cancel, RuntimeRow::from_cluster).await;
        }
        Kind::Experiments => {
            let api: Api<ExperimentLite> = api(client, ns);
            watch_rows(api, key, tx, cancel, ExperimentRow::from_experiment).await;
        }
        Kind::Trials => {
            let api: Api<TrialLite> = api(client, ns);
            watch_rows(api, key, tx, cancel, TrialRow::from_trial).await;
        }
        _ => {
            tracing::warn!(kind = ?key.kind, "not a Kubeflow training or tuning kind");
        }
    }
}

impl From<Arc<[TrainRow]>> for RowsFor {
    fn from(rows: Arc<[TrainRow]>) -> RowsFor {
        RowsFor::Training(rows)
    }
}

impl From<Arc<[RuntimeRow]>> for RowsFor {
    fn from(rows: Arc<[RuntimeRow]>) -> RowsFor {
        RowsFor::TrainingRuntimes(rows)
    }
}

impl From<Arc<[ExperimentRow]>> for RowsFor {
    fn from(rows: Arc<[ExperimentRow]>) -> RowsFor {
        RowsFor::Experiments(rows)
    }
}

impl From<Arc<[TrialRow]>> for RowsFor {
    fn from(rows: Arc<[TrialRow]>) -> RowsFor {
        RowsFor::Trials(rows)
    }
}
