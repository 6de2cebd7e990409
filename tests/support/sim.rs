//! Starting the embedded cluster for integration tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kftui::sim::{self, SimHandle, SimOptions};

/// The first demo profile namespace (the kubeconfig's default).
pub const NS: &str = "kubeflow-user-example-com";

/// Starts the embedded cluster on a free loopback port with the default demo seed.
pub async fn start() -> SimHandle {
    start_with(SimOptions::default()).await
}

pub async fn start_with(opts: SimOptions) -> SimHandle {
    match sim::start(opts).await {
        Ok(h) => h,
        Err(e) => panic!("embedded cluster did not start: {e:#}"),
    }
}

/// A kube client for the cluster, defaulting to [`NS`].
pub fn client(h: &SimHandle) -> kube::Client {
    let url = match h.url().parse() {
        Ok(u) => u,
        Err(e) => panic!("bad sim url {}: {e}", h.url()),
    };
    let mut config = kube::Config::new(url);
    config.default_namespace = NS.to_string();
    match kube::Client::try_from(config) {
        Ok(c) => c,
        Err(e) => panic!("kube client: {e}"),
    }
}

/// The ApiResource of Argo Workflows, for `DynamicObject` APIs.
pub fn workflow_resource() -> kube::api::ApiResource {
    kube::api::ApiResource {
        group: "argoproj.io".into(),
        version: "v1alpha1".into(),
        api_version: "argoproj.io/v1alpha1".into(),
        kind: "Workflow".into(),
        plural: "workflows".into(),
    }
}
