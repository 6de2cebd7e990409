#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A new notebook from the keyboard against the embedded cluster: the form's checks as you
//! type, then the PVC and Notebook it creates, selected in the list and brought to Ready.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use app_support::App;
use kftui::app::notebook_form::{CPU, GPUS, MEMORY, POD_DEFAULTS, WORKSPACE};
use kftui::app::state::SourceState;
use kftui::kube::resources::notebook::NotebookStatus;
use kube::api::{Api, ApiResource, DynamicObject};
use serde_json::Value;
use sim_support::{NS, client};

async fn get(app: &App, ar: &ApiResource, name: &str) -> Value {
    let api: Api<DynamicObject> = Api::namespaced_with(client(&app.sim), NS, ar);
    serde_json::to_value(api.get(name).await.unwrap()).unwrap()
}

// An API resource by group, version, kind and plural.
use kftui::kube::fetch::resource as ar;

/// Replaces the focused field's text.
fn retype(app: &mut App, text: &str) {
    for _ in 0..60 {
        app.press("backspace");
    }
    app.type_text(text);
}

fn focus(app: &mut App, field: usize) {
    while app.state.notebook_form.as_ref().unwrap().focus != field {
        app.press("tab");
    }
}

#[tokio::test]
async fn the_form_checks_its_fields_and_creates_a_notebook_that_becomes_ready() {
    let mut app = App::start().await;
    app.press("4");
    app.until("the notebooks", |s| {
        s.notebooks.source == SourceState::Live && !s.notebooks.rows.is_empty()
    })
    .await;
    app.press("+");
    app.until("the PodDefaults listed", |s| {
        s.notebook_form.as_ref().is_some_and(|f| f.pod_defaults.is_some())
    })
    .await;
    assert!(app.screen_has("New notebook · in kubeflow-user-example-com"));
    assert!(app.screen_has("access-ml-pipeline (Allow access to Kubeflow Pipelines)"));

    app.type_text("Bad_Name");
    assert!(
        app.screen_has("✗ lower-case letters, digits and '-'"),
        "{}",
        app.screen().join("\n")
    );
    retype(&mut app, "scratch-nb");
    assert!(!app.screen_has("✗"));

    focus(&mut app, CPU);
    retype(&mut app, "lots");
    assert!(
        app.screen_has("✗ \"lots\" is not a quantity"),
        "{}",
        app.screen().join("\n")
    );
    app.press("ctrl-s");
    assert!(
        app.state.notebook_form.is_some(),
        "an invalid form does not submit"
    );
    assert!(app.screen_has("cpu: \"lots\" is not a quantity"));
    retype(&mut app, "2");
    focus(&mut app, MEMORY);
    retype(&mut app, "4Gi");
    focus(&mut app, GPUS);
    retype(&mut app, "1");
    focus(&mut app, WORKSPACE);
    retype(&mut app, "20Gi");
    focus(&mut app, POD_DEFAULTS);
    app.type_text("access-ml-pipeline");
    assert!(!app.screen_has("✗"), "{}", app.screen().join("\n"));
    app.press("ctrl-s");
    app.until("the form closed", |s| s.notebook_form.is_none()).await;
    app.until("the new notebook ready and selected", |s| {
        s.notebooks
            .selected_row()
            .is_some_and(|r| r.name == "scratch-nb" && r.status == NotebookStatus::Ready)
    })
    .await;
    assert!(app.screen_has("scratch-nb"));

    let nb = get(
        &app,
        &ar("kubeflow.org", "v1", "Notebook", "notebooks"),
        "scratch-nb",
    )
    .await;
    let c = &nb["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "kubeflownotebookswg/jupyter-scipy:v1.10.0");
    assert_eq!(c["resources"]["requests"]["cpu"], "2");
    assert_eq!(c["resources"]["requests"]["memory"], "4Gi");
    assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1");
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/home/jovyan");
    assert_eq!(
        nb["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "scratch-nb-workspace"
    );
    assert_eq!(
        nb["metadata"]["annotations"]["notebooks.kubeflow.org/server-type"],
        "jupyter"
    );
    assert_eq!(nb["metadata"]["labels"]["access-ml-pipeline"], "true");
    let pvc = get(
        &app,
        &ar("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
        "scratch-nb-workspace",
    )
    .await;
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "20Gi");
}
