//! The embedded Kubeflow cluster: a real HTTP server on loopback speaking the Kubernetes API.
//!
//! [`start`] binds, seeds demo data, starts the controllers and serves in a spawned task. The
//! same kube-rs code paths (and real `kubectl`) work against it as against a real cluster.
//!
//! Layout: [`types`] is the registry of kinds; [`store`] the generic object store with
//! resourceVersions and watch history; [`api`] the HTTP handlers; [`controllers`] move time
//! forward; [`seed`] makes the demo data; [`logs`] computes container logs.

pub mod api;
pub mod controllers;
pub mod error;
pub mod events;
pub mod faults;
pub mod kfp;
pub mod logs;
pub mod managed;
pub mod metrics;
pub mod patch;
pub mod rng;
pub mod seed;
pub mod seed_kubeflow;
pub mod selector;
pub mod shell;
pub mod store;
pub mod types;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use error::{ApiError, SimError};
pub use faults::{Faults, parse_faults};

/// Knobs of the embedded cluster.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to listen (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Seed of every random choice: the same seed gives the same names, phases and parameters.
    pub seed: u64,
    /// Extra benchmark runs of ~20 steps each (0 = only the normal demo data).
    pub scale: usize,
    /// Log lines per second per running pod.
    pub log_rate: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 42,
            scale: 0,
            log_rate: 2.0,
        }
    }
}

/// What the handlers and controllers share.
pub struct Shared {
    pub store: Arc<store::Store>,
    pub log_rate: f64,
    pub cancel: CancellationToken,
    pub bookmark_interval: Duration,
    pub addr: SocketAddr,
    /// The faults in force (see [`faults`]).
    pub faults: std::sync::RwLock<Faults>,
    /// Bumped to drop every open watch connection.
    pub drops: tokio::sync::watch::Sender<u64>,
    /// KFP state that lives in KFP's database, not in Kubernetes (experiments).
    pub kfp: api::kfp_api::KfpState,
    /// Every request a notebook's Jupyter server received, oldest first.
    pub notebook_requests: std::sync::Mutex<Vec<NotebookRequest>>,
    /// The requests the model predictors served, for their `/metrics`.
    pub traffic: metrics::Traffic,
}

/// How many of the latest notebook requests are kept.
pub const NOTEBOOK_REQUESTS_KEPT: usize = 4096;

/// A request as a notebook's Jupyter server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotebookRequest {
    /// `namespace/name` of the notebook.
    pub notebook: String,
    pub method: String,
    pub path: String,
    /// The query's parameters, sorted.
    pub query: Vec<(String, String)>,
    /// The `Cookie` headers, joined with `; `.
    pub cookie: String,
}

impl Shared {
    /// A copy of the faults in force.
    pub fn faults(&self) -> Faults {
        self.faults
            .read()
            .map(|f| f.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Replaces the faults; `drop_watches` drops every open watch now.
    pub fn set_faults(&self, mut f: Faults) {
        if std::mem::take(&mut f.drop_watches) {
            self.drop_watches();
        }
        match self.faults.write() {
            Ok(mut g) => *g = f,
            Err(e) => *e.into_inner() = f,
        }
    }

    /// Ends every open watch connection (clients see the stream end and re-watch).
    pub fn drop_watches(&self) {
        self.drops.send_modify(|n| *n += 1);
    }
}

/// A running embedded cluster.
pub struct SimHandle {
    addr: SocketAddr,
    cancel: CancellationToken,
    server: JoinHandle<()>,
    controllers: std::thread::JoinHandle<()>,
    shared: Arc<Shared>,
}

/// The name of the kubeconfig cluster, user and context.
pub const CONTEXT: &str = "kftui-sim";

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The object store (for in-process tests and benchmarks).
    pub fn store(&self) -> Arc<store::Store> {
        self.shared.store.clone()
    }

    /// A kubeconfig whose cluster, user and context are all named `kftui-sim`.
    pub fn kubeconfig_yaml(&self) -> String {
        kubeconfig_yaml(&self.url(), seed::PROFILE_NAMESPACES[0].0)
    }

    /// Replaces the faults in force (as `POST /sim/faults` does).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.set_faults(faults);
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    /// Every request a notebook's Jupyter server received so far, oldest first.
    pub fn notebook_requests(&self) -> Vec<NotebookRequest> {
        self.shared
            .notebook_requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Stops serving: open watches and log streams end, the controllers stop.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        // A pass in progress ends on its own (every pass is bounded); the wait for it is too.
        let controllers = self.controllers;
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::task::spawn_blocking(move || controllers.join()),
        )
        .await;
        let _ = self.server.await;
    }
}

/// A kubeconfig for a server at `url` with `namespace` as the context's default.
pub fn kubeconfig_yaml(url: &str, namespace: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {url}
users:
- name: {CONTEXT}
  user: {{}}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
    namespace: {namespace}
current-context: {CONTEXT}
preferences: {{}}
"
    )
}

/// Binds, seeds, starts the controllers and serves in a spawned task. Faults can be set with
/// the environment variable `KFTUI_SIM_FAULTS` (a [`parse_faults`] spec).
pub async fn start(opts: SimOptions) -> anyhow::Result<SimHandle> {
    let faults = match std::env::var("KFTUI_SIM_FAULTS") {
        Ok(spec) if !spec.trim().is_empty() => {
            parse_faults(&spec).map_err(|e| anyhow::anyhow!("KFTUI_SIM_FAULTS: {e}"))?
        }
        _ => Faults::default(),
    };
    Ok(start_sim(opts, faults).await?)
}

/// Like [`start`], with faults in force from the beginning.
pub async fn start_with_faults(opts: SimOptions, faults: Faults) -> anyhow::Result<SimHandle> {
    Ok(start_sim(opts, faults).await?)
}

async fn start_sim(opts: SimOptions, faults: Faults) -> Result<SimHandle, SimError> {
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|source| SimError::Bind {
            addr: opts.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind {
        addr: opts.listen,
        source,
    })?;
    let history = store::DEFAULT_HISTORY;
    let store = Arc::new(store::Store::new(opts.seed, history));
    let seed_store = store.clone();
    let (seed, scale) = (opts.seed, opts.scale);
    let pod_events = tokio::task::spawn_blocking(move || {
        seed::seed(&seed_store, seed, scale, chrono::Utc::now())?;
        // The live pods' events exist when the server answers, as on a cluster that ran them.
        Ok::<_, ApiError>(controllers::pod_events::PodEvents::start(
            &seed_store,
            chrono::Utc::now(),
        ))
    })
    .await
    .map_err(|e| SimError::Seed(ApiError::internal(e.to_string())))??;
    let cancel = CancellationToken::new();
    let shared = Arc::new(Shared {
        store,
        log_rate: opts.log_rate.max(0.0),
        cancel: cancel.clone(),
        bookmark_interval: Duration::from_secs(2),
        addr,
        faults: std::sync::RwLock::new(faults),
        drops: tokio::sync::watch::Sender::new(0),
        kfp: api::kfp_api::KfpState::default(),
        notebook_requests: std::sync::Mutex::new(Vec::new()),
        traffic: metrics::Traffic::default(),
    });
    tokio::spawn(periodic_drops(shared.clone()));
    // The controllers run on a thread of their own: however long a pass computes, the API's
    // tasks never wait behind it.
    let controller_shared = shared.clone();
    let seed = opts.seed;
    let controllers = std::thread::Builder::new()
        .name("sim-controllers".into())
        .spawn(move || controllers::run(controller_shared, seed, pod_events))
        .map_err(|e| SimError::Seed(ApiError::internal(format!("cannot start the controllers: {e}"))))?;
    let app = api::router(shared.clone());
    let stop = cancel.clone();
    let server = tokio::spawn(async move {
        // Small writes go out at once, as a Go API server's do (TCP_NODELAY).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
            let _ = tcp.set_nodelay(true);
        });
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            stop.cancelled().await;
        });
        if let Err(e) = serve.await {
            tracing::warn!("embedded cluster stopped: {e}");
        }
    });
    tracing::info!(%addr, "embedded cluster listening");
    Ok(SimHandle {
        addr,
        cancel,
        server,
        controllers,
        shared,
    })
}

/// Drops every watch each `drop_watches_every_s` seconds while that fault is set.
async fn periodic_drops(shared: Arc<Shared>) {
    let mut last = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = shared.cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
        match shared.faults().drop_watches_every_s {
            Some(n) if last.elapsed() >= Duration::from_secs(n) => {
                shared.drop_watches();
                last = tokio::time::Instant::now();
            }
            Some(_) => {}
            None => last = tokio::time::Instant::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeconfig_names_everything_kftui_sim() {
        let k = kubeconfig_yaml("http://127.0.0.1:1234", "team");
        assert!(k.contains("current-context: kftui-sim"));
        assert!(k.contains("server: http://127.0.0.1:1234"));
        assert!(k.contains("namespace: team"));
        assert_eq!(k.matches("name: kftui-sim").count(), 3);
    }
}
