//! One watch per subscription: kube-runtime's watcher, projected to rows on arrival and sent to
//! the app as whole snapshots, at most one per 250 ms.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::describe_error;
use crate::kube::event::{DataEvent, SubStatus};
use crate::kube::key::{Kind, SubKey};
use crate::kube::resources::inference_service::{IsvcLite, IsvcRow};
use crate::kube::resources::namespace::NamespaceRow;
use crate::kube::resources::notebook::{NotebookLite, NotebookRow};
use crate::kube::resources::pod::PodRow;
use crate::kube::resources::workflow::{RunRow, WorkflowLite};
use k8s_openapi::api::core::v1::{Namespace, Pod};

/// How often at most a subscription sends a snapshot.
pub const COALESCE: Duration = Duration::from_millis(250);

/// How often at most a subscription of more than [`BIG_LIST`] rows sends a snapshot: each one
/// copies, sorts and filters every row, and a second is still faster than k9s' refresh.
pub const COALESCE_BIG: Duration = Duration::from_secs(1);

/// Rows beyond which a list's snapshots come at most once per [`COALESCE_BIG`].
pub const BIG_LIST: usize = 2_000;

fn coalesce_for(rows: usize) -> Duration {
    if rows > BIG_LIST { COALESCE_BIG } else { COALESCE }
}

/// Watches `key` until `cancel` fires, sending [`DataEvent`]s to `tx`.
pub async fn run<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    match key.kind {
        Kind::Workflows => {
            let api: Api<WorkflowLite> = match &key.namespace {
                Some(ns) => Api::namespaced(client, ns),
                None => Api::all(client),
            };
            watch_rows(api, key, tx, cancel, RunRow::from_workflow).await;
        }
        Kind::Namespaces => {
            let api: Api<Namespace> = Api::all(client);
            watch_rows(api, key, tx, cancel, NamespaceRow::from_namespace).await;
        }
        Kind::Notebooks => {
            let api: Api<NotebookLite> = match &key.namespace {
                Some(ns) => Api::namespaced(client, ns),
                None => Api::all(client),
            };
            watch_rows(api, key, tx, cancel, NotebookRow::from_notebook).await;
        }
        Kind::InferenceServices => {
            let api: Api<IsvcLite> = match &key.namespace {
                Some(ns) => Api::namespaced(client, ns),
                None => Api::all(client),
            };
            watch_rows(api, key, tx, cancel, IsvcRow::from_isvc).await;
        }
        Kind::RunGraph => watch_graph(client, key, tx, cancel).await,
        Kind::KfpRuns => crate::kube::kfp_history::poll(client, key, tx, cancel).await,
        Kind::Pipelines => crate::kube::pipelines::poll(client, key, tx, cancel).await,
        Kind::PipelineObjects
        | Kind::WorkflowTemplates
        | Kind::ClusterWorkflowTemplates
        | Kind::ScheduledWorkflows
        | Kind::CronWorkflows => {
            tracing::warn!(kind = ?key.kind, "listed through the Pipelines poll, not watched");
        }
        Kind::Training(_)
        | Kind::TrainingRuntimes
        | Kind::ClusterTrainingRuntimes
        | Kind::Experiments
        | Kind::Trials => crate::kube::subscribe_kubeflow::run(client, key, tx, cancel).await,
        Kind::ModelTraffic | Kind::ModelHistory | Kind::TrainingHardware => {
            crate::kube::prometheus::poll(client, key, None, tx, cancel).await;
        }
        Kind::Pods => {
            let api: Api<Pod> = match &key.namespace {
                Some(ns) => Api::namespaced(client, ns),
                None => Api::all(client),
            };
            watch_rows(api, key, tx, cancel, PodRow::from_pod).await;
        }
        Kind::Resource(res) if res.is_pods() => {
            // The pods, and what they use.
            let usage = crate::kube::pod_usage::poll(client.clone(), key.clone(), tx.clone(), cancel.clone());
            tokio::join!(crate::kube::table_watch::run(client, key, res, tx, cancel), usage);
        }
        Kind::Resource(res) => crate::kube::table_watch::run(client, key, res, tx, cancel).await,
    }
}

/// Classifies a watch error into what the pane should say.
fn status_for(error: &watcher::Error, attempt: u32) -> SubStatus {
    let api_error = match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => match e {
            kube::Error::Api(s) => Some((s.code, s.message.clone())),
            _ => None,
        },
        watcher::Error::WatchError(s) => Some((s.code, s.message.clone())),
        watcher::Error::NoResourceVersion => None,
    };
    match api_error {
        Some((403, message)) => SubStatus::Forbidden { message },
        Some((404, _)) => SubStatus::NotInstalled,
        Some((code, message)) if (400..500).contains(&code) && code != 410 && code != 429 => {
            SubStatus::Failed {
                message: format!("{message} ({code})"),
            }
        }
        _ => SubStatus::Retrying {
            attempt,
            error: match error {
                watcher::Error::InitialListFailed(e)
                | watcher::Error::WatchStartFailed(e)
                | watcher::Error::WatchFailed(e) => describe_error(e),
                other => other.to_string(),
            },
        },
    }
}

/// Objects per page when the server cannot stream its list: a page of big objects (a real
/// server's Workflows run to tens of kilobytes each) is held whole while it is decoded.
pub const PAGE_SIZE: u32 = 100;

/// How a watch lists first: a streaming list (the initial objects arrive one by one as watch
/// events, ended by a bookmark) where the server serves them, else pages of [`PAGE_SIZE`].
fn watch_config(key: &SubKey, streaming: bool) -> watcher::Config {
    let mut config = watcher::Config::default();
    if let Some(selector) = &key.selector {
        config = config.labels(selector);
    }
    if let Some(field) = &key.field {
        config = config.fields(field);
    }
    if streaming {
        config.streaming_lists()
    } else {
        config.page_size(PAGE_SIZE)
    }
}

/// Whether an error means the server does not serve streaming lists (older than the WatchList
/// feature, or with it off): it rejects `sendInitialEvents` as an invalid watch.
fn streaming_refused(error: &watcher::Error) -> bool {
    let code = match error {
        watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s))
        | watcher::Error::InitialListFailed(kube::Error::Api(s)) => s.code,
        watcher::Error::WatchError(s) => s.code,
        _ => return false,
    };
    matches!(code, 400 | 422)
}

/// The generic watch loop: keeps the current rows keyed by namespace/name, replaces them
/// wholesale on a relist, and sends a snapshot at most once per [`COALESCE`] ([`COALESCE_BIG`]
/// for a list of more than [`BIG_LIST`] rows). While the first
/// list takes longer than one interval, what has arrived so far is sent after each (status
/// `Listing`), so the first rows are on screen before the last.
pub(crate) async fn watch_rows<K, R, T>(
    api: Api<K>,
    key: SubKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
    project: fn(&K) -> R,
) where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
    R: Clone + Send + 'static,
    Arc<[R]>: Into<RowsFor>,
    T: From<DataEvent> + Send,
{
    let mut streaming = true;
    let mut stream = watcher::watcher(api.clone(), watch_config(&key, streaming))
        .default_backoff()
        .boxed();
    let mut rows: HashMap<String, R> = HashMap::new();
    let mut relist: Option<HashMap<String, R>> = None;
    let mut listed = false;
    let mut listing_sent = false;
    let mut dirty = false;
    let mut failures: u32 = 0;
    let mut ticker = tokio::time::interval(COALESCE);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let object_key = |o: &K| {
        let m = o.meta();
        format!(
            "{}/{}",
            m.namespace.as_deref().unwrap_or(""),
            m.name.as_deref().unwrap_or("")
        )
    };
    loop {
        let mut send_now = false;
        tokio::select! {
            _ = cancel.cancelled() => return,
            event = stream.next() => {
                let Some(event) = event else { return };
                match event {
                    Ok(ev) => {
                        if failures > 0 {
                            failures = 0;
                            if send(&tx, DataEvent::Status { key: key.clone(), status: SubStatus::Live }).await.is_err() {
                                return;
                            }
                        }
                        match ev {
                            Event::Init => {
                                relist = Some(HashMap::new());
                                // A list that is whole within one interval arrives whole; a
                                // longer one shows what it has after each interval.
                                ticker.reset();
                            }
                            Event::InitApply(o) => {
                                if let Some(r) = relist.as_mut() {
                                    r.insert(object_key(&o), project(&o));
                                    dirty |= !listed;
                                }
                            }
                            Event::InitDone => {
                                if let Some(r) = relist.take() {
                                    rows = r;
                                }
                                listed = true;
                                dirty = true;
                                send_now = true;
                            }
                            Event::Apply(o) => {
                                rows.insert(object_key(&o), project(&o));
                                dirty = true;
                            }
                            Event::Delete(o) => {
                                rows.remove(&object_key(&o));
                                dirty = true;
                            }
                        }
                    }
                    Err(e) if streaming && !listed && streaming_refused(&e) => {
                        tracing::info!(kind = ?key.kind, "no streaming lists here ({e}): listing in pages");
                        streaming = false;
                        relist = None;
                        stream = watcher::watcher(api.clone(), watch_config(&key, streaming))
                            .default_backoff()
                            .boxed();
                    }
                    Err(e) => {
                        failures += 1;
                        tracing::warn!(kind = ?key.kind, namespace = ?key.namespace, "watch failed: {e}");
                        let status = status_for(&e, failures);
                        if send(&tx, DataEvent::Status { key: key.clone(), status }).await.is_err() {
                            return;
                        }
                    }
                }
            }
            _ = ticker.tick(), if dirty => send_now = true,
        }
        if send_now && dirty {
            dirty = false;
            let partial = !listed;
            let snapshot: Arc<[R]> = match (partial, relist.as_ref()) {
                (true, Some(r)) => r.values().cloned().collect(),
                _ => rows.values().cloned().collect(),
            };
            if partial && !listing_sent {
                listing_sent = true;
                let status = SubStatus::Listing;
                if send(
                    &tx,
                    DataEvent::Status {
                        key: key.clone(),
                        status,
                    },
                )
                .await
                .is_err()
                {
                    return;
                }
            }
            if send(&tx, DataEvent::from_rows(key.clone(), snapshot.into()))
                .await
                .is_err()
            {
                return;
            }
            if !partial && listing_sent {
                listing_sent = false;
                if send(
                    &tx,
                    DataEvent::Status {
                        key: key.clone(),
                        status: SubStatus::Live,
                    },
                )
                .await
                .is_err()
                {
                    return;
                }
            }
            let period = coalesce_for(rows.len());
            if period != ticker.period() {
                ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            } else {
                ticker.reset();
            }
        }
    }
}

/// Watches one Workflow in full and sends its step graph, rebuilt off the UI thread, at most
/// once per [`COALESCE`].
async fn watch_graph<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    let ar = crate::kube::fetch::api_resource(Kind::RunGraph);
    let ns = key.namespace.clone().unwrap_or_default();
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(client, &ns, &ar);
    let mut stream = watcher::watcher(api, watch_config(&key, false))
        .default_backoff()
        .boxed();
    let mut latest: Option<kube::api::DynamicObject> = None;
    let mut dirty = false;
    let mut ticker = tokio::time::interval(COALESCE);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            event = stream.next() => match event {
                None => return,
                Some(Ok(Event::Apply(o) | Event::InitApply(o))) => {
                    latest = Some(o);
                    dirty = true;
                }
                Some(Ok(Event::Delete(_))) => {
                    let graph = Err("the run was deleted".to_string());
                    if tx.send(T::from(DataEvent::RunGraph { key: key.clone(), graph })).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Event::Init | Event::InitDone)) => {}
                Some(Err(e)) => {
                    let status = status_for(&e, 1);
                    if send(&tx, DataEvent::Status { key: key.clone(), status }).await.is_err() {
                        return;
                    }
                }
            },
            _ = ticker.tick(), if dirty => {
                dirty = false;
                let Some(obj) = latest.take() else { continue };
                let graph = tokio::task::spawn_blocking(move || {
                    serde_json::to_value(&obj)
                        .map_err(|e| e.to_string())
                        .and_then(|v| crate::runs::model::RunGraph::from_workflow(&v).map_err(|e| e.to_string()))
                        .map(Arc::new)
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()));
                if tx.send(T::from(DataEvent::RunGraph { key: key.clone(), graph })).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Rows of any kind, on their way to a `DataEvent`.
pub enum RowsFor {
    Runs(Arc<[RunRow]>),
    Pods(Arc<[PodRow]>),
    Namespaces(Arc<[NamespaceRow]>),
    Notebooks(Arc<[NotebookRow]>),
    Models(Arc<[IsvcRow]>),
    Training(Arc<[crate::kube::resources::train_job::TrainRow]>),
    TrainingRuntimes(Arc<[crate::kube::resources::train_job::RuntimeRow]>),
    Experiments(Arc<[crate::kube::resources::experiment::ExperimentRow]>),
    Trials(Arc<[crate::kube::resources::experiment::TrialRow]>),
}

impl From<Arc<[NotebookRow]>> for RowsFor {
    fn from(rows: Arc<[NotebookRow]>) -> RowsFor {
        RowsFor::Notebooks(rows)
    }
}

impl From<Arc<[IsvcRow]>> for RowsFor {
    fn from(rows: Arc<[IsvcRow]>) -> RowsFor {
        RowsFor::Models(rows)
    }
}

impl From<Arc<[PodRow]>> for RowsFor {
    fn from(rows: Arc<[PodRow]>) -> RowsFor {
        RowsFor::Pods(rows)
    }
}

impl From<Arc<[NamespaceRow]>> for RowsFor {
    fn from(rows: Arc<[NamespaceRow]>) -> RowsFor {
        RowsFor::Namespaces(rows)
    }
}

impl From<Arc<[RunRow]>> for RowsFor {
    fn from(rows: Arc<[RunRow]>) -> RowsFor {
        RowsFor::Runs(rows)
    }
}

impl DataEvent {
    fn from_rows(key: SubKey, rows: RowsFor) -> DataEvent {
        match rows {
            RowsFor::Runs(rows) => DataEvent::Runs { key, rows },
            RowsFor::Pods(rows) => DataEvent::Pods { key, rows },
            RowsFor::Namespaces(rows) => DataEvent::Namespaces { key, rows },
            RowsFor::Notebooks(rows) => DataEvent::Notebooks { key, rows },
            RowsFor::Models(rows) => DataEvent::Models { key, rows },
            RowsFor::Training(rows) => DataEvent::Training { key, rows },
            RowsFor::TrainingRuntimes(rows) => DataEvent::TrainingRuntimes { key, rows },
            RowsFor::Experiments(rows) => DataEvent::Experiments { key, rows },
            RowsFor::Trials(rows) => DataEvent::Trials { key, rows },
        }
    }
}

async fn send<T: From<DataEvent>>(tx: &mpsc::Sender<T>, event: DataEvent) -> Result<(), ()> {
    tx.send(T::from(event)).await.map_err(|_| ())
}
