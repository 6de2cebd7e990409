//! The cluster side: building a client from a kubeconfig, watches, and (later) operations.
//!
//! It sits below the app: it names nothing of it. Watches and proxies send their own events
//! ([`event::DataEvent`], [`connect::ProxyEvent`]) to any receiver that takes them through
//! `From`, and the rows they carry are [`row::ListRow`]s; the app maps these into its messages.

pub mod access;
pub mod connect;
pub mod describe;
pub mod discovery;
pub mod edit;
pub mod event;
pub mod fetch;
pub mod key;
pub mod kfp;
pub mod kfp_history;
pub mod kubeflow_ops;
pub mod logs;
pub mod model_canary;
pub mod new_notebook;
pub mod new_run;
pub mod ops;
pub mod pipelines;
pub mod pod_usage;
pub mod predict;
pub mod prometheus;
pub mod resources;
pub mod row;
pub mod shell;
pub mod subscribe;
pub mod subscribe_kubeflow;
pub mod table_watch;
pub mod training_ops;

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};

/// A client for one context, with the names the header shows.
#[derive(Clone)]
pub struct KubeHandle {
    pub client: kube::Client,
    pub context: String,
    /// The namespace the context (or `-n`) points at.
    pub namespace: String,
}

impl std::fmt::Debug for KubeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds credentials: never print it.
        f.debug_struct("KubeHandle")
            .field("context", &self.context)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// Errors at the cluster boundary, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("cannot read kubeconfig {path}: {message}")]
    Kubeconfig { path: String, message: String },
    #[error(
        "no kubeconfig found (looked at --kubeconfig, KUBECONFIG and ~/.kube/config) and not running inside a cluster"
    )]
    NoConfig,
    #[error("context {0:?} is not in the kubeconfig")]
    NoSuchContext(String),
    #[error("cannot build a client for context {context:?}: {message}")]
    Client { context: String, message: String },
}

/// Where the cluster's connection details come from.
#[derive(Debug, Clone)]
pub enum ClusterSource {
    /// `--kubeconfig FILE`, else `KUBECONFIG`, else `~/.kube/config`, else in-cluster.
    Kubeconfig(Option<PathBuf>),
    /// A kubeconfig held in memory (the embedded demo cluster's).
    Yaml(String),
}

fn read_kubeconfig(source: &ClusterSource) -> Option<Kubeconfig> {
    match source {
        ClusterSource::Yaml(yaml) => Kubeconfig::from_yaml(yaml).ok(),
        ClusterSource::Kubeconfig(Some(path)) => Kubeconfig::read_from(path).ok(),
        ClusterSource::Kubeconfig(None) => Kubeconfig::read().ok(),
    }
}

/// A context of the kubeconfig, for the picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    pub name: String,
    pub cluster: String,
    /// The namespace the kubeconfig gives this context.
    pub namespace: Option<String>,
}

/// The contexts of the kubeconfig, for the context picker (no credentials are read out).
pub fn contexts(source: &ClusterSource) -> Vec<ContextInfo> {
    let Some(kc) = read_kubeconfig(source) else {
        return Vec::new();
    };
    kc.contexts
        .iter()
        .map(|c| ContextInfo {
            name: c.name.clone(),
            cluster: c.context.as_ref().map(|x| x.cluster.clone()).unwrap_or_default(),
            namespace: c.context.as_ref().and_then(|x| x.namespace.clone()),
        })
        .collect()
}

/// Builds a client for the chosen context (or the kubeconfig's current one).
pub async fn connect(
    source: &ClusterSource,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Result<KubeHandle, KubeError> {
    let kubeconfig = match source {
        ClusterSource::Yaml(_) => read_kubeconfig(source),
        ClusterSource::Kubeconfig(Some(path)) => {
            Some(Kubeconfig::read_from(path).map_err(|e| KubeError::Kubeconfig {
                path: path.display().to_string(),
                message: e.to_string(),
            })?)
        }
        ClusterSource::Kubeconfig(None) => Kubeconfig::read().ok(),
    };
    let (config, context_name) = match kubeconfig {
        Some(kc) => {
            let name = context
                .map(str::to_string)
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            if context.is_some() && !kc.contexts.iter().any(|c| c.name == name) {
                return Err(KubeError::NoSuchContext(name));
            }
            let options = KubeConfigOptions {
                context: context.map(str::to_string),
                cluster: None,
                user: None,
            };
            let config = kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| KubeError::Client {
                    context: name.clone(),
                    message: e.to_string(),
                })?;
            (config, name)
        }
        None => {
            let config = kube::Config::incluster().map_err(|_| KubeError::NoConfig)?;
            (config, "in-cluster".to_string())
        }
    };
    let mut config = config;
    if let Some(ns) = namespace {
        config.default_namespace = ns.to_string();
    }
    let namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| KubeError::Client {
        context: context_name.clone(),
        message: e.to_string(),
    })?;
    Ok(KubeHandle {
        client,
        context: context_name,
        namespace,
    })
}

/// A short, credential-free description of a client error for the screen.
pub fn describe_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        kube::Error::HyperError(e) => format!("connection failed: {e}"),
        kube::Error::Service(e) => format!("connection failed: {e}"),
        other => other.to_string(),
    }
}
