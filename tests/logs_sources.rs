#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Logs of anything with pods, end to end against the embedded cluster: the real `update`, the
//! real effect runner, the real pods watch and log streams over HTTP, and the Logs pane rendered
//! into a test terminal. Notebooks, InferenceServices, TrainJobs and trials; the container picker;
//! since and tail.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use std::time::{Duration, Instant};

use app_support::{App, TIMEOUT};
use k8s_openapi::api::core::v1::Pod;
use kftui::app::effect::Effect;
use kftui::app::pane::PaneId;
use kftui::app::picker::PickerKind;
use kftui::app::state::State;
use kftui::logs::StreamState;
use kube::api::{Api, ListParams};
use sim_support::{NS, client};

/// One `StreamLogs` effect: pod, container, since seconds, tail lines.
type Stream = (String, Option<String>, Option<i64>, Option<i64>);

/// Every `StreamLogs` effect so far.
fn streams(app: &App) -> Vec<Stream> {
    app.effects
        .iter()
        .filter_map(|e| match e {
            Effect::StreamLogs {
                pod,
                container,
                since_seconds,
                tail_lines,
                ..
            } => Some((pod.clone(), container.clone(), *since_seconds, *tail_lines)),
            _ => None,
        })
        .collect()
}

/// The names of the open log view's sources.
fn sources(app: &App) -> Vec<String> {
    app.state
        .logs
        .as_ref()
        .map(|s| s.view.sources().iter().map(|s| s.name.clone()).collect())
        .unwrap_or_default()
}

/// Lines of each source in the view, by source name.
fn lines_by_source(state: &State) -> Vec<(String, usize)> {
    let Some(s) = &state.logs else {
        return Vec::new();
    };
    let mut counts = vec![0usize; s.view.sources().len()];
    for line in s.view.buffer().iter() {
        if let Some(c) = counts.get_mut(line.source()) {
            *c += 1;
        }
    }
    s.view
        .sources()
        .iter()
        .map(|s| s.name.clone())
        .zip(counts)
        .collect()
}

fn texts(state: &State) -> Vec<String> {
    let Some(s) = &state.logs else {
        return Vec::new();
    };
    s.view.buffer().iter().map(|l| l.text().to_string()).collect()
}

/// Every source has at least `n` lines (and there are `sources` of them).
fn each_has(state: &State, sources: usize, n: usize) -> bool {
    let by = lines_by_source(state);
    by.len() == sources && by.iter().all(|(_, c)| *c >= n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notebooks_logs_come_from_its_own_container() {
    let mut app = App::start().await;
    app.command("logs notebook/jupyter-scipy");
    assert_eq!(app.state.pane, PaneId::Logs);
    app.until("the notebook's lines", |s| each_has(s, 1, 5)).await;
    assert_eq!(sources(&app), ["jupyter-scipy-0"]);
    assert_eq!(
        streams(&app),
        [("jupyter-scipy-0".into(), Some("jupyter-scipy".into()), None, None)],
        "the container named like the notebook"
    );
    assert!(
        texts(&app.state)
            .iter()
            .any(|t| t.contains("ServerApp] Jupyter Server")),
        "{:?}",
        texts(&app.state)
    );
    let screen = app.screen().join("\n");
    assert!(screen.contains("Logs notebook/jupyter-scipy"), "{screen}");
    assert!(
        screen.contains("ServerApp] 200 GET /notebook/kubeflow-user-example-com/jupyter-scipy/"),
        "{screen}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_in_the_notebooks_pane_opens_the_selected_notebooks_logs() {
    let mut app = App::start().await;
    app.press("4");
    app.until("the notebooks", |s| !s.notebooks.rows.is_empty()).await;
    app.press("/");
    app.type_text("jupyter-scipy");
    app.press("enter");
    assert_eq!(
        app.state.notebooks.selected_row().map(|r| r.name.as_str()),
        Some("jupyter-scipy")
    );
    app.press("l");
    assert_eq!(app.state.pane, PaneId::Logs);
    app.until("the notebook's lines", |s| each_has(s, 1, 3)).await;
    assert_eq!(
        app.state.logs.as_ref().unwrap().view.title(),
        "notebook/jupyter-scipy"
    );
    assert_eq!(sources(&app), ["jupyter-scipy-0"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l_in_the_models_pane_opens_the_selected_models_logs() {
    let mut app = App::start().await;
    app.press("5");
    app.until("the models", |s| !s.models.rows.is_empty()).await;
    app.press("/");
    app.type_text("sklearn-iris");
    app.press("enter");
    app.press("l");
    assert_eq!(app.state.pane, PaneId::Logs);
    assert_eq!(app.state.logs.as_ref().unwrap().view.title(), "isvc/sklearn-iris");
    app.until("the model server's lines", |s| each_has(s, 1, 3)).await;
    assert!(
        sources(&app)[0].starts_with("predictor-00001-"),
        "{:?}",
        sources(&app)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_models_predictor_revisions_are_merged_with_prefixes() {
    let mut app = App::start().await;
    // The canary: two revisions, one predictor pod each.
    app.command("logs isvc/fraud-detector");
    app.until("both predictors' lines", |s| each_has(s, 2, 3)).await;
    // Both histories in: the newest lines on screen come from both, merged by time.
    app.pump(Duration::from_secs(2)).await;
    let sources = sources(&app);
    assert!(
        sources.iter().all(|s| s.starts_with("predictor-0000")),
        "{sources:?}"
    );
    assert_ne!(sources[0], sources[1]);
    assert!(
        streams(&app)
            .iter()
            .all(|s| s.1.as_deref() == Some("kserve-container")),
        "{:?}",
        streams(&app)
    );
    let screen = app.screen();
    for source in &sources {
        assert!(
            screen.iter().any(|row| row.contains(&format!("{source} │"))),
            "no line prefixed {source}:\n{}",
            screen.join("\n")
        );
    }
    // `inferenceservice/` names the same thing; the old session's streams stop.
    let old = app.state.logs.as_ref().unwrap().id();
    app.command("logs inferenceservice/sklearn-iris");
    assert_ne!(app.state.logs.as_ref().unwrap().id(), old);
    app.until("the predictor's lines", |s| each_has(s, 1, 3)).await;
    assert!(
        texts(&app.state)
            .iter()
            .any(|t| t.contains("Registering model: sklearn-iris")),
        "{:?}",
        texts(&app.state)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_models_transformer_joins_its_predictor() {
    let mut app = App::start().await;
    let isvc = kube::api::ApiResource {
        group: "serving.kserve.io".into(),
        version: "v1beta1".into(),
        api_version: "serving.kserve.io/v1beta1".into(),
        kind: "InferenceService".into(),
        plural: "inferenceservices".into(),
    };
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(client(&app.sim), NS, &isvc);
    let obj: kube::api::DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "digits", "namespace": NS},
        "spec": {
            "predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "gs://models/digits"}},
            "transformer": {"containers": [{"name": "kserve-container", "image": "kserve/image-transformer:v0.14.1"}]}
        }
    }))
    .unwrap();
    api.create(&kube::api::PostParams::default(), &obj).await.unwrap();
    app.command("logs isvc/digits");
    app.until("the predictor's and the transformer's lines", |s| {
        each_has(s, 2, 3)
    })
    .await;
    let mut sources = sources(&app);
    sources.sort();
    assert!(
        sources[0].starts_with("predictor-00001-") && sources[1].starts_with("transformer-00001-"),
        "{sources:?}"
    );
    assert!(
        streams(&app)
            .iter()
            .all(|s| s.1.as_deref() == Some("kserve-container")),
        "{:?}",
        streams(&app)
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_train_jobs_nodes_are_merged_with_prefixes() {
    let mut app = App::start().await;
    app.command("logs trainjob/llama-finetune");
    app.until("both nodes' lines", |s| each_has(s, 2, 5)).await;
    app.pump(Duration::from_secs(2)).await;
    assert_eq!(sources(&app), ["node-0-0", "node-0-1"]);
    assert!(
        streams(&app).iter().all(|s| s.1.as_deref() == Some("node")),
        "{:?}",
        streams(&app)
    );
    let screen = app.screen();
    for node in ["node-0-0 │", "node-0-1 │"] {
        assert!(
            screen.iter().any(|r| r.contains(node) && r.contains("Epoch")),
            "{node}:\n{}",
            screen.join("\n")
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trials_pod_logs_its_training_container() {
    let mut app = App::start().await;
    let pods: Api<Pod> = Api::namespaced(client(&app.sim), NS);
    let deadline = Instant::now() + TIMEOUT;
    let trial = loop {
        let list = pods
            .list(
                &ListParams::default()
                    .labels("katib.kubeflow.org/trial")
                    .fields("status.phase=Running"),
            )
            .await
            .unwrap();
        let found = list.items.into_iter().find_map(|p| {
            p.metadata
                .labels
                .and_then(|l| l.get("katib.kubeflow.org/trial").cloned())
        });
        if let Some(t) = found {
            break t;
        }
        assert!(Instant::now() < deadline, "no running trial pod");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    app.command(&format!("logs trial/{trial}"));
    app.until("the trial's lines", |s| each_has(s, 1, 3)).await;
    assert_eq!(streams(&app)[0].1.as_deref(), Some("training-container"));
    assert!(sources(&app)[0].starts_with(&trial), "{:?}", sources(&app));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_container_picker_switches_to_another_container_and_to_all() {
    let mut app = App::start().await;
    app.command("logs isvc/sklearn-iris");
    app.until("the model server's lines", |s| each_has(s, 1, 3)).await;
    app.press("c");
    let picker = app.state.picker.as_ref().expect("c opens the container picker");
    assert_eq!(picker.kind, PickerKind::Container);
    let items: Vec<(String, String)> = picker
        .items
        .iter()
        .map(|i| (i.label.clone(), i.detail.clone()))
        .collect();
    assert_eq!(
        items.iter().map(|i| i.0.as_str()).collect::<Vec<_>>(),
        [
            "all containers",
            "kserve-container",
            "queue-proxy",
            "storage-initializer"
        ]
    );
    assert!(items[1].1.contains("default"), "{items:?}");
    assert!(items[3].1.contains("init container"), "{items:?}");
    assert_eq!(
        picker.selected_item().map(|i| i.label.as_str()),
        Some("kserve-container"),
        "the picker starts on the container shown"
    );
    let screen = app.screen().join("\n");
    assert!(screen.contains("Container — type to filter"), "{screen}");
    assert!(screen.contains("init container"), "{screen}");

    // Another container: the streams restart with it.
    let before = app.state.logs.as_ref().unwrap().id();
    let asked = streams(&app).len();
    app.type_text("queue");
    app.press("enter");
    assert!(app.state.picker.is_none());
    let session = app.state.logs.as_ref().unwrap();
    assert_ne!(session.id(), before, "a fresh view");
    assert_eq!(
        session.view.buffer().len(),
        0,
        "the old container's lines are gone"
    );
    assert!(session.view.title().contains("container queue-proxy"));
    assert_eq!(
        streams(&app)[asked..]
            .iter()
            .map(|s| s.1.clone())
            .collect::<Vec<_>>(),
        [Some("queue-proxy".to_string())]
    );
    app.until("queue-proxy's lines", |s| each_has(s, 1, 3)).await;
    assert!(
        app.screen().join("\n").contains("container queue-proxy"),
        "the title says which container"
    );

    // All containers: one source per container, prefixed pod/container.
    let asked = streams(&app).len();
    app.command("container all");
    let mut wanted: Vec<Option<String>> = streams(&app)[asked..].iter().map(|s| s.1.clone()).collect();
    wanted.sort();
    assert_eq!(
        wanted,
        [
            Some("kserve-container".to_string()),
            Some("queue-proxy".to_string()),
            Some("storage-initializer".to_string())
        ]
    );
    app.until("the running containers' lines", |s| {
        let by = lines_by_source(s);
        by.len() == 3
            && by
                .iter()
                .filter(|(n, _)| !n.ends_with("/storage-initializer"))
                .all(|(_, c)| *c >= 3)
    })
    .await;
    let sources = sources(&app);
    assert!(
        sources[0].ends_with("/storage-initializer"),
        "init containers first: {sources:?}"
    );
    assert!(
        sources[1..]
            .iter()
            .all(|s| s.ends_with("/kserve-container") || s.ends_with("/queue-proxy")),
        "{sources:?}"
    );
    assert!(
        app.state
            .logs
            .as_ref()
            .unwrap()
            .view
            .title()
            .contains("all containers")
    );
    // Every history in: the newest lines come from both running containers, merged by time.
    app.pump(Duration::from_secs(2)).await;
    let screen = app.screen();
    assert!(
        screen.iter().any(|r| r.contains("/kserve-container │"))
            && screen.iter().any(|r| r.contains("/queue-proxy │")),
        "{}",
        screen.join("\n")
    );
    // A name no pod has is refused, and the streams stay.
    let asked = streams(&app).len();
    app.command("container sidecar");
    assert_eq!(streams(&app).len(), asked);
    let notice = app.state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("no container \"sidecar\""), "{notice}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_and_tail_limit_what_arrives() {
    let mut app = App::start().await;
    // Running for twelve minutes at two lines a second: well over a thousand lines a node.
    app.command("logs trainjob/llama-finetune");
    app.until("the whole logs", |s| each_has(s, 2, 1000)).await;
    let whole = lines_by_source(&app.state);

    app.command("tail 5");
    let session = app.state.logs.as_ref().unwrap();
    assert!(
        session.view.title().ends_with("· last 5 lines"),
        "{}",
        session.view.title()
    );
    assert!(streams(&app).iter().rev().take(2).all(|s| s.3 == Some(5)));
    let started = Instant::now();
    app.until("the tails", |s| each_has(s, 2, 5)).await;
    app.pump(Duration::from_millis(500)).await;
    let grace = 2 * (started.elapsed().as_secs() as usize + 1) + 1;
    for (name, n) in lines_by_source(&app.state) {
        assert!(
            (5..=5 + grace).contains(&n),
            "{name}: {n} lines with tail 5 (the whole log had {whole:?})"
        );
    }
    assert!(app.screen().join("\n").contains("· last 5 lines"));

    app.command("tail all");
    app.command("since 10s");
    let session = app.state.logs.as_ref().unwrap();
    assert!(
        session.view.title().ends_with("· since 10s"),
        "{}",
        session.view.title()
    );
    assert!(
        streams(&app)
            .iter()
            .rev()
            .take(2)
            .all(|s| (s.2, s.3) == (Some(10), None))
    );
    let started = Instant::now();
    app.until("ten seconds of lines", |s| each_has(s, 2, 15)).await;
    app.pump(Duration::from_millis(500)).await;
    let most = 2 * (10 + started.elapsed().as_secs() as usize + 2);
    for (name, n) in lines_by_source(&app.state) {
        assert!(
            (15..=most).contains(&n),
            "{name}: {n} lines since 10s, expected at most {most}"
        );
    }
    for s in app.state.logs.as_ref().unwrap().view.sources() {
        assert_eq!(s.state, StreamState::Streaming, "{}", s.name);
    }

    // The keys cycle: s → 1m, T → 100 lines.
    app.press("s");
    assert!(app.state.logs.as_ref().unwrap().view.title().contains("since 1m"));
    app.press("T");
    assert!(
        app.state
            .logs
            .as_ref()
            .unwrap()
            .view
            .title()
            .contains("since 1m · last 100 lines")
    );
    app.command("since soon");
    let notice = app.state.notice.as_ref().unwrap().text.clone();
    assert!(notice.contains("since takes a duration"), "{notice}");
    app.stop().await;
}
