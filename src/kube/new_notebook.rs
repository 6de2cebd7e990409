//! New notebooks: the namespace's PodDefaults for the form, and creating the workspace PVC and
//! the Notebook.

use kube::api::{Api, DynamicObject, ListParams, PostParams};
use serde_json::Value;

use crate::kube::describe_error;
use crate::kube::fetch::resource;

/// A PodDefault of the namespace: its name, description and the labels that select it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodDefault {
    pub name: String,
    pub desc: String,
    pub labels: Vec<(String, String)>,
}

/// A notebook ready to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotebook {
    pub namespace: String,
    /// The workspace PersistentVolumeClaim, when one was asked for.
    pub pvc: Option<Value>,
    pub notebook: Value,
}

/// The `kubeflow.org/v1alpha1` PodDefaults of a namespace: name, description, selector labels.
pub async fn pod_defaults(client: kube::Client, namespace: &str) -> Result<Vec<PodDefault>, String> {
    let ar = resource("kubeflow.org", "v1alpha1", "PodDefault", "poddefaults");
    let api: Api<DynamicObject> = Api::namespaced_with(client, namespace, &ar);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| describe_error(&e))?;
    let mut out: Vec<PodDefault> = list
        .items
        .into_iter()
        .map(|o| {
            let spec = o.data.get("spec").cloned().unwrap_or(Value::Null);
            let labels = spec
                .pointer("/selector/matchLabels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            PodDefault {
                name: o.metadata.name.unwrap_or_default(),
                desc: spec["desc"].as_str().unwrap_or_default().to_string(),
                labels,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Creates the workspace PVC (an existing one is reused) and then the Notebook; returns the
/// notebook's name.
pub async fn create(client: kube::Client, nb: NewNotebook) -> Result<String, String> {
    let pp = PostParams::default();
    if let Some(pvc) = nb.pvc {
        let ar = resource("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims");
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &nb.namespace, &ar);
        let obj: DynamicObject = serde_json::from_value(pvc).map_err(|e| e.to_string())?;
        match api.create(&pp, &obj).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => {
                return Err(format!(
                    "cannot create the workspace volume: {}",
                    describe_error(&e)
                ));
            }
        }
    }
    let ar = resource("kubeflow.org", "v1", "Notebook", "notebooks");
    let api: Api<DynamicObject> = Api::namespaced_with(client, &nb.namespace, &ar);
    let obj: DynamicObject = serde_json::from_value(nb.notebook).map_err(|e| e.to_string())?;
    let created = api.create(&pp, &obj).await.map_err(|e| describe_error(&e))?;
    Ok(created.metadata.name.unwrap_or_default())
}
