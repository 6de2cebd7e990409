//! Watch streams: newline-delimited `{"type","object"}` events over a chunked response.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::render::{Format, IncludeObject, object_body};
use crate::sim::Shared;
use crate::sim::error::ApiError;
use crate::sim::store::{Change, Filter, Stored, WatchFrom};
use crate::sim::types::ResourceType;

/// What a watch request asked for.
pub struct WatchRequest {
    pub rt: &'static ResourceType,
    pub filter: Filter,
    pub from: WatchFrom,
    pub format: Format,
    pub include: IncludeObject,
    pub bookmarks: bool,
    /// `sendInitialEvents=true`: end the initial burst with an annotated bookmark.
    pub initial_events_end: bool,
    pub timeout: Duration,
}

/// Parses `resourceVersion` for a watch.
pub fn watch_from(rv: Option<&str>) -> Result<WatchFrom, ApiError> {
    match rv {
        None | Some("") | Some("0") => Ok(WatchFrom::Now),
        Some(s) => s
            .parse()
            .map(WatchFrom::Rv)
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {s}"))),
    }
}

struct Encoder {
    rt: &'static ResourceType,
    format: Format,
    include: IncludeObject,
    columns_sent: bool,
}

impl Encoder {
    fn event(&mut self, kind: &str, change: &Change) -> Result<Bytes, ApiError> {
        let stored = Stored {
            meta: change.meta.clone(),
            json: change.json.clone(),
        };
        let object = object_body(self.rt, &stored, self.format, self.include, !self.columns_sent)?;
        self.columns_sent = true;
        let mut line = Vec::with_capacity(object.len() + 32);
        line.extend_from_slice(format!("{{\"type\":\"{kind}\",\"object\":").as_bytes());
        line.extend_from_slice(&object);
        line.extend_from_slice(b"}\n");
        Ok(Bytes::from(line))
    }

    fn raw(kind: &str, object: &Value) -> Bytes {
        Bytes::from(format!("{}\n", json!({ "type": kind, "object": object })))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({ "resourceVersion": rv.to_string() });
        if initial_end && let Some(m) = meta.as_object_mut() {
            m.insert(
                "annotations".into(),
                json!({ "k8s.io/initial-events-end": "true" }),
            );
        }
        Self::raw(
            "BOOKMARK",
            &json!({ "kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": meta }),
        )
    }
}

/// Starts a watch; the receiver yields the response body's chunks.
pub fn start(shared: &Arc<Shared>, req: WatchRequest) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(256);
    let started = shared.store.watch(req.rt, &req.filter, req.from);
    // A drop from now on ends this watch, even one before its task first runs.
    let mut drops = shared.drops.subscribe();
    drops.mark_unchanged();
    let shared = shared.clone();
    tokio::spawn(async move {
        let watch = match started {
            Ok(w) => w,
            Err(e) => {
                let _ = tx.send(Encoder::raw("ERROR", &e.status())).await;
                return;
            }
        };
        let mut enc = Encoder {
            rt: req.rt,
            format: req.format,
            include: req.include,
            columns_sent: false,
        };
        for change in &watch.initial {
            if !send_change(&tx, &mut enc, &req.filter, change).await {
                return;
            }
        }
        if req.initial_events_end && tx.send(enc.bookmark(watch.start_rv, true)).await.is_err() {
            return;
        }
        run(shared, req, watch.rx, watch.start_rv, enc, tx, drops).await;
    });
    rx
}

async fn send_change(tx: &mpsc::Sender<Bytes>, enc: &mut Encoder, filter: &Filter, change: &Change) -> bool {
    if change.ty != enc.rt.key() {
        return true;
    }
    let Some(kind) = filter.view(change) else {
        return true;
    };
    match enc.event(kind.as_str(), change) {
        Ok(line) => tx.send(line).await.is_ok(),
        Err(_) => true,
    }
}

async fn run(
    shared: Arc<Shared>,
    req: WatchRequest,
    mut rx: broadcast::Receiver<Arc<Change>>,
    start_rv: u64,
    mut enc: Encoder,
    tx: mpsc::Sender<Bytes>,
    mut drops: tokio::sync::watch::Receiver<u64>,
) {
    let deadline = tokio::time::sleep(req.timeout);
    tokio::pin!(deadline);
    let mut bookmark = tokio::time::interval(shared.bookmark_interval);
    bookmark.tick().await;
    let mut last_rv = start_rv;
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => return,
            _ = drops.changed() => return,
            () = &mut deadline => return,
            () = tx.closed() => return,
            _ = bookmark.tick(), if req.bookmarks => {
                // Everything up to `current` is already queued for us: drain it, then the
                // bookmark's RV is safe to resume from.
                let current = shared.store.current_rv();
                loop {
                    match rx.try_recv() {
                        Ok(change) => {
                            if change.rv > last_rv {
                                last_rv = change.rv;
                                if !send_change(&tx, &mut enc, &req.filter, &change).await {
                                    return;
                                }
                            }
                        }
                        Err(broadcast::error::TryRecvError::Empty) => break,
                        Err(_) => {
                            expired(&tx, last_rv).await;
                            return;
                        }
                    }
                }
                last_rv = last_rv.max(current);
                if tx.send(enc.bookmark(last_rv, false)).await.is_err() {
                    return;
                }
            }
            msg = rx.recv() => match msg {
                Ok(change) => {
                    if change.rv <= last_rv {
                        continue;
                    }
                    last_rv = change.rv;
                    if !send_change(&tx, &mut enc, &req.filter, &change).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    expired(&tx, last_rv).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

/// A watcher too slow to keep up is told its position expired, like the apiserver's cache does.
async fn expired(tx: &mpsc::Sender<Bytes>, rv: u64) {
    let err = ApiError::gone(format!("too old resource version: {rv}"));
    let _ = tx.send(Encoder::raw("ERROR", &err.status())).await;
}
