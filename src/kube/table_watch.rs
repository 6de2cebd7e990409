//! The resource view's watch: lists any kind as the server's Table (what `kubectl get` prints),
//! in pages, then follows a watch in the same format, and sends whole snapshots of rows at most
//! once per [`COALESCE`] ([`COALESCE_BIG`] past [`BIG_LIST`] rows). A watch that ends resumes
//! from the last resource version; one too old lists again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{AsyncBufReadExt, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::kube::describe_error;
use crate::kube::discovery::ResKind;
use crate::kube::event::{DataEvent, SubStatus};
use crate::kube::key::SubKey;
use crate::kube::resources::table::{Column, Shared, TableDoc, TableRow};
use crate::kube::subscribe::{BIG_LIST, COALESCE, COALESCE_BIG};

/// The Table format, in the versions servers since 1.15 serve, as `kubectl get` asks.
pub const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

/// Rows per list page (`kubectl get` asks for 500; a page of full pods is held whole while it
/// is read).
const PAGE: usize = 250;

/// Query values as a URL carries them.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a row needs of the object beside its metadata: an event's subject and type, a pod's
/// GPU requests.
fn include_object(res: &ResKind) -> &'static str {
    if res.is_pods() || res.is_events() {
        "Object"
    } else {
        "Metadata"
    }
}

fn query(key: &SubKey, res: &ResKind) -> String {
    let mut q = format!("includeObject={}", include_object(res));
    if let Some(s) = &key.selector {
        q.push_str(&format!("&labelSelector={}", encode(s)));
    }
    if let Some(f) = &key.field {
        q.push_str(&format!("&fieldSelector={}", encode(f)));
    }
    q
}

fn request(path: &str) -> Result<http::Request<Vec<u8>>, kube::Error> {
    http::Request::get(path)
        .header(http::header::ACCEPT, TABLE_ACCEPT)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)
}

/// What a failure means for the view.
fn status_of(e: &kube::Error, attempt: u32) -> SubStatus {
    match e {
        kube::Error::Api(s) if s.code == 403 => SubStatus::Forbidden {
            message: s.message.clone(),
        },
        kube::Error::Api(s) if s.code == 404 => SubStatus::NotInstalled,
        kube::Error::Api(s) if (400..500).contains(&s.code) && s.code != 410 && s.code != 429 => {
            SubStatus::Failed {
                message: format!("{} ({})", s.message, s.code),
            }
        }
        other => SubStatus::Retrying {
            attempt,
            error: describe_error(other),
        },
    }
}

/// The rows and the columns, and when they were last sent.
struct Rows<'a, T> {
    key: &'a SubKey,
    res: &'static ResKind,
    tx: &'a mpsc::Sender<T>,
    columns: Arc<[Column]>,
    rows: HashMap<String, TableRow>,
    shared: Shared,
    dirty: bool,
    sent: tokio::time::Instant,
}

impl<T: From<DataEvent>> Rows<'_, T> {
    fn period(&self) -> Duration {
        if self.rows.len() > BIG_LIST {
            COALESCE_BIG
        } else {
            COALESCE
        }
    }

    async fn status(&self, status: SubStatus) -> Result<(), ()> {
        let event = DataEvent::Status {
            key: self.key.clone(),
            status,
        };
        self.tx.send(T::from(event)).await.map_err(|_| ())
    }

    async fn flush(&mut self) -> Result<(), ()> {
        if !self.dirty {
            return Ok(());
        }
        self.dirty = false;
        self.sent = tokio::time::Instant::now();
        self.shared.prune();
        let rows: Arc<[TableRow]> = self.rows.values().cloned().collect();
        let event = DataEvent::Table {
            key: self.key.clone(),
            columns: self.columns.clone(),
            rows,
        };
        self.tx.send(T::from(event)).await.map_err(|_| ())
    }

    /// Sends when the interval since the last snapshot has passed.
    async fn maybe_flush(&mut self) -> Result<(), ()> {
        if self.dirty && self.sent.elapsed() >= self.period() {
            self.flush().await
        } else {
            Ok(())
        }
    }

    fn set_columns(&mut self, table: &TableDoc) {
        if !table.column_definitions.is_empty() {
            let columns: Arc<[Column]> = table
                .column_definitions
                .iter()
                .map(Column::from_definition)
                .collect();
            if columns != self.columns {
                self.columns = columns;
                self.dirty = true;
            }
        }
    }

    /// Takes a Table's rows; with `into`, into that map instead of the live rows.
    fn take_rows(&mut self, table: TableDoc, into: Option<&mut HashMap<String, TableRow>>, delete: bool) {
        let map = match into {
            Some(m) => m,
            None => &mut self.rows,
        };
        for r in table.rows {
            let Some(row) = TableRow::from_row(self.res, &self.columns, r, &mut self.shared) else {
                continue;
            };
            let k = format!("{}/{}", row.namespace, row.name);
            if delete {
                map.remove(&k);
            } else {
                map.insert(k, row);
            }
        }
        self.dirty = true;
    }
}

/// One line of a watch in the Table format.
#[derive(serde::Deserialize)]
struct WatchDoc {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    object: TableDoc,
}

enum WatchEnd {
    /// The version is too old: list again.
    Relist,
    /// The stream ended or failed: watch again from the last version.
    Resume,
    Cancelled,
}

/// Lists and watches `res` for `key` until `cancel` fires.
pub async fn run<T: From<DataEvent> + Send>(
    client: kube::Client,
    key: SubKey,
    res: &'static ResKind,
    tx: mpsc::Sender<T>,
    cancel: CancellationToken,
) {
    let base = res.path(key.namespace.as_deref());
    let q = query(&key, res);
    let mut state = Rows {
        key: &key,
        res,
        tx: &tx,
        columns: Arc::from(Vec::new()),
        rows: HashMap::new(),
        shared: Shared::default(),
        dirty: false,
        sent: tokio::time::Instant::now(),
    };
    let mut failures: u32 = 0;
    loop {
        // List, page by page, showing what has arrived while a long list goes on.
        let mut listed: HashMap<String, TableRow> = HashMap::new();
        let mut cont: Option<String> = None;
        let mut version = String::new();
        let mut listing_said = false;
        let started = tokio::time::Instant::now();
        let list_result: Result<(), kube::Error> = loop {
            let mut path = format!("{base}?{q}&limit={PAGE}");
            if let Some(c) = &cont {
                path.push_str(&format!("&continue={}", encode(c)));
            }
            let page = tokio::select! {
                _ = cancel.cancelled() => return,
                page = async { client.request::<TableDoc>(request(&path)?).await } => page,
            };
            let page = match page {
                Ok(p) => p,
                Err(e) => break Err(e),
            };
            state.set_columns(&page);
            version = page.metadata.resource_version.clone().unwrap_or_default();
            cont = page.metadata.continue_.clone().filter(|c| !c.is_empty());
            state.take_rows(page, Some(&mut listed), false);
            if cont.is_none() {
                break Ok(());
            }
            if started.elapsed() >= COALESCE && state.sent.elapsed() >= COALESCE {
                if !listing_said {
                    listing_said = true;
                    if state.status(SubStatus::Listing).await.is_err() {
                        return;
                    }
                }
                state.rows.clone_from(&listed);
                if state.flush().await.is_err() {
                    return;
                }
            }
        };
        if let Err(e) = list_result {
            failures += 1;
            tracing::warn!(resource = %res.resource, "list failed: {}", describe_error(&e));
            let status = status_of(&e, failures);
            let retry = matches!(status, SubStatus::Retrying { .. });
            if state.status(status).await.is_err() {
                return;
            }
            let wait = if retry {
                Duration::from_millis(500 * u64::from(failures.min(20)))
            } else {
                Duration::from_secs(30)
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => continue,
            }
        }
        state.rows = listed;
        state.dirty = true;
        if state.flush().await.is_err() {
            return;
        }
        if failures > 0 || listing_said {
            failures = 0;
            if state.status(SubStatus::Live).await.is_err() {
                return;
            }
        }
        // Watch from the list's version until it is too old.
        loop {
            match watch(&client, &base, &q, &mut version, &mut state, &cancel).await {
                Ok(WatchEnd::Cancelled) | Err(()) => return,
                Ok(WatchEnd::Relist) => break,
                Ok(WatchEnd::Resume) => {
                    tokio::select! {
                        _ = cancel.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                    }
                }
            }
        }
    }
}

/// One watch request, followed until it ends.
async fn watch<T: From<DataEvent> + Send>(
    client: &kube::Client,
    base: &str,
    q: &str,
    version: &mut String,
    state: &mut Rows<'_, T>,
    cancel: &CancellationToken,
) -> Result<WatchEnd, ()> {
    let path = format!(
        "{base}?{q}&watch=true&allowWatchBookmarks=true&timeoutSeconds=290&resourceVersion={}",
        encode(version)
    );
    let opened = tokio::select! {
        _ = cancel.cancelled() => return Ok(WatchEnd::Cancelled),
        r = async { client.request_stream(request(&path)?).await } => r,
    };
    let body = match opened {
        Ok(b) => b,
        Err(kube::Error::Api(s)) if s.code == 410 => return Ok(WatchEnd::Relist),
        Err(e) => {
            tracing::info!(resource = %state.res.resource, "watch failed: {}", describe_error(&e));
            state.status(status_of(&e, 1)).await?;
            return Ok(WatchEnd::Relist);
        }
    };
    let mut lines = Box::pin(body).lines();
    let mut ticker = tokio::time::interval(COALESCE);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return Ok(WatchEnd::Cancelled),
            _ = ticker.tick() => state.maybe_flush().await?,
            line = lines.next() => {
                let Some(Ok(line)) = line else {
                    state.flush().await?;
                    return Ok(WatchEnd::Resume);
                };
                let Ok(event) = serde_json::from_str::<WatchDoc>(&line) else { continue };
                let object = event.object;
                if event.ty == "ERROR" {
                    state.flush().await?;
                    return Ok(if object.code == Some(410) { WatchEnd::Relist } else { WatchEnd::Resume });
                }
                if let Some(rv) = object
                    .rows
                    .first()
                    .and_then(|r| r.object.metadata.resource_version.as_ref())
                    .or(object.metadata.resource_version.as_ref())
                {
                    rv.clone_into(version);
                }
                match event.ty.as_str() {
                    "ADDED" | "MODIFIED" => {
                        state.set_columns(&object);
                        state.take_rows(object, None, false);
                    }
                    "DELETED" => state.take_rows(object, None, true),
                    _ => {}
                }
                state.maybe_flush().await?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_encoded_for_a_query() {
        assert_eq!(encode("app=x,tier!=web"), "app%3Dx%2Ctier%21%3Dweb");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
