//! KFP's own record of runs, polled through its REST API while the Runs pane shows a namespace:
//! it names each run's experiment, and keeps runs whose Workflows Argo deleted after their TTL.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::event::{DataEvent, SubStatus};
use crate::kube::key::SubKey;
use crate::kube::kfp::{Kfp, KfpError};
use crate::kube::resources::workflow::RunRow;

/// How often KFP is asked again.
const EVERY: Duration = Duration::from_secs(30);
/// How often, when it did not answer.
const RETRY: Duration = Duration::from_secs(120);
/// The newest runs asked for.
const PAGE: usize = 200;

fn names(items: &[Value], id: &str) -> HashMap<String, String> {
    items
        .iter()
        .filter_map(|v| {
            Some((
                v.get(id)?.as_str()?.to_string(),
                v.get("display_name")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Every run KFP lists in the namespace, as rows (origin: history).
pub async fn rows(kfp: &Kfp, namespace: &str) -> Result<Vec<RunRow>, KfpError> {
    let runs = kfp.runs(namespace, PAGE).await?;
    let experiments = names(&kfp.experiments(namespace).await?, "experiment_id");
    let pipelines = names(&kfp.pipelines(namespace).await?, "pipeline_id");
    Ok(runs
        .iter()
        .map(|r| {
            let pid = r
                .pointer("/pipeline_version_reference/pipeline_id")
                .and_then(Value::as_str)
                .unwrap_or("");
            let eid = r.get("experiment_id").and_then(Value::as_str).unwrap_or("");
            RunRow::from_kfp_history(
                namespace,
                r,
                pipelines.get(pid).map_or("", String::as_str),
                experiments.get(eid).map_or("", String::as_str),
            )
        })
        .collect())
}

/// KFP's runs of one namespace, or (`None`) of every profile namespace.
async fn every_namespace(
    client: &kube::Client,
    kfp: &Kfp,
    namespace: Option<&str>,
) -> Result<Vec<RunRow>, KfpError> {
    let namespaces = match namespace {
        Some(ns) => vec![ns.to_string()],
        None => crate::kube::kfp::profile_namespaces(client)
            .await
            .map_err(|e| KfpError::Unreachable(format!("cannot list the profile namespaces: {e}")))?,
    };
    let mut all = Vec::new();
    for ns in &namespaces {
        all.extend(rows(kfp, ns).await?);
    }
    Ok(all)
}

/// Polls until cancelled. KFP not answering is not an error of the Runs pane: its rows are
/// simply the Workflows then.
pub async fn poll<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    let namespace = key.namespace.clone().unwrap_or_else(|| "all namespaces".into());
    let kfp = Kfp::new(client.clone());
    loop {
        let (rows, wait) = match every_namespace(&client, &kfp, key.namespace.as_deref()).await {
            Ok(rows) => (rows, EVERY),
            Err(e) => {
                tracing::info!("KFP history of {namespace}: {e}");
                let status = SubStatus::Failed {
                    message: e.to_string(),
                };
                let _ = tx
                    .send(T::from(DataEvent::Status {
                        key: key.clone(),
                        status,
                    }))
                    .await;
                (Vec::new(), RETRY)
            }
        };
        let event = DataEvent::KfpRuns {
            key: key.clone(),
            rows: Arc::from(rows),
        };
        if tx.send(T::from(event)).await.is_err() {
            return;
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
