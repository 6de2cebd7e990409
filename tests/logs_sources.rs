#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Logs of anything with pods, end to end against the embedded cluster: the real `update`, the
//! real effect runner, the real pods watch and log streams over HTTP, and the Logs pane rendered
//! into a test terminal. Notebooks, InferenceServices, TrainJobs and trials; the container picker;
//! since and tail.

#[path = "support/sim.rs"]
mod simsupport;

use std::time::{Duration, Instant};

use chrono::{FixedOffset, Utc};
use k8s_openapi::api::core::v1::Pod;
use kftui::app::effect::Effect;
use kftui::app::msg::Msg;
use kftui::app::pane::PaneId;
use kftui::app::picker::PickerKind;
use kftui::app::runner::EffectRunner;
use kftui::app::state::{ConnState, State, Target};
use kftui::app::update::update;
use kftui::config::keymap::{Key, Keymap, parse_keys};
use kftui::config::theme::Theme;
use kftui::kube::ClusterSource;
use kftui::logs::StreamState;
use kftui::sim::SimHandle;
use kube::api::{Api, ListParams};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use simsupport::{NS, client, start};
use tokio::sync::mpsc;

const TIMEOUT: Duration = Duration::from_secs(30);
const W: u16 = 160;
const H: u16 = 40;

/// A stream asked for: pod, container, since, tail.
type Asked = (String, Option<String>, Option<i64>, Option<i64>);

/// The app without a terminal: State, keymap, effect runner and the message channel.
struct App {
    sim: SimHandle,
    state: State,
    keymap: Keymap,
    runner: EffectRunner,
    rx: mpsc::Receiver<Msg>,
    /// Every `StreamLogs` effect.
    streams: Vec<Asked>,
}

impl App {
    async fn start() -> App {
        let sim = start().await;
        let (tx, rx) = mpsc::channel(1024);
        let source = ClusterSource::Yaml(sim.kubeconfig_yaml());
        let runner = EffectRunner::new(source, None, tx, None);
        let target = Target {
            context: kftui::sim::CONTEXT.into(),
            namespace: Some(NS.into()),
            server_version: None,
            conn: ConnState::Connecting,
            demo: true,
        };
        let mut app = App {
            sim,
            state: State::new(target, Utc::now()),
            keymap: Keymap::builtin("default").unwrap(),
            runner,
            rx,
            streams: Vec::new(),
        };
        app.send(Msg::Resize { width: W, height: H });
        app
    }

    fn send(&mut self, msg: Msg) {
        for effect in update(&mut self.state, &self.keymap, msg) {
            if let Effect::StreamLogs {
                pod,
                container,
                since_seconds,
                tail_lines,
                ..
            } = &effect
            {
                self.streams
                    .push((pod.clone(), container.clone(), *since_seconds, *tail_lines));
            }
            match effect {
                Effect::Suspend | Effect::FullRedraw => {}
                other => self.runner.run(other),
            }
        }
    }

    fn press(&mut self, keys: &str) {
        for k in parse_keys(keys).unwrap() {
            self.send(Msg::Key(k));
        }
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(Msg::Key(Key::char(c)));
        }
    }

    /// `:LINE` and enter.
    fn command(&mut self, line: &str) {
        self.press(":");
        self.type_text(line);
        self.press("enter");
    }

    /// Handles messages until `cond` holds.
    async fn until(&mut self, what: &str, cond: impl Fn(&State) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        while !cond(&self.state) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(msg)) => self.send(msg),
                Ok(None) => panic!("every sender is gone while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; {}", self.describe()),
            }
        }
    }

    /// Handles messages for a while.
    async fn pump(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline.into(), self.rx.recv()).await {
            self.send(msg);
        }
    }

    fn describe(&self) -> String {
        match &self.state.logs {
            Some(s) => format!(
                "title {:?}, sources {:?}, {} lines, notice {:?}",
                s.view.title(),
                s.view
                    .sources()
                    .iter()
                    .map(|s| format!("{} ({})", s.name, s.state))
                    .collect::<Vec<_>>(),
                s.view.buffer().len(),
                self.state.notice
            ),
            None => format!("no logs open; notice {:?}", self.state.notice),
        }
    }

    fn sources(&self) -> Vec<String> {
        self.state
            .logs
            .as_ref()
            .map(|s| s.view.sources().iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The screen as text, one string per row.
    fn screen(&self) -> Vec<String> {
        let theme = Theme::builtin("default").unwrap();
        let view = kftui::ui::View {
            theme: &theme,
            keymap: &self.keymap,
            tz: FixedOffset::east_opt(0).unwrap(),
        };
        let mut term = Terminal::new(TestBackend::new(W, H)).unwrap();
        term.draw(|f| kftui::ui::render(&self.state, &view, f)).unwrap();
        let buf = term.backend().buffer();
        (0..H)
            .map(|y| (0..W).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect()
    }

    async fn stop(mut self) {
        self.send(Msg::Terminate);
        self.runner.shutdown().await;
        self.sim.shutdown().await;
    }
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
    assert_eq!(app.sources(), ["jupyter-scipy-0"]);
    assert_eq!(
        app.streams,
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
    assert_eq!(app.sources(), ["jupyter-scipy-0"]);
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
        app.sources()[0].starts_with("predictor-00001-"),
        "{:?}",
        app.sources()
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
    let sources = app.sources();
    assert!(
        sources.iter().all(|s| s.starts_with("predictor-0000")),
        "{sources:?}"
    );
    assert_ne!(sources[0], sources[1]);
    assert!(
        app.streams
            .iter()
            .all(|s| s.1.as_deref() == Some("kserve-container")),
        "{:?}",
        app.streams
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
    let mut sources = app.sources();
    sources.sort();
    assert!(
        sources[0].starts_with("predictor-00001-") && sources[1].starts_with("transformer-00001-"),
        "{sources:?}"
    );
    assert!(
        app.streams
            .iter()
            .all(|s| s.1.as_deref() == Some("kserve-container")),
        "{:?}",
        app.streams
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_train_jobs_nodes_are_merged_with_prefixes() {
    let mut app = App::start().await;
    app.command("logs trainjob/llama-finetune");
    app.until("both nodes' lines", |s| each_has(s, 2, 5)).await;
    app.pump(Duration::from_secs(2)).await;
    assert_eq!(app.sources(), ["node-0-0", "node-0-1"]);
    assert!(
        app.streams.iter().all(|s| s.1.as_deref() == Some("node")),
        "{:?}",
        app.streams
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
    assert_eq!(app.streams[0].1.as_deref(), Some("training-container"));
    assert!(app.sources()[0].starts_with(&trial), "{:?}", app.sources());
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
    let asked = app.streams.len();
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
        app.streams[asked..]
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
    let asked = app.streams.len();
    app.command("container all");
    let mut wanted: Vec<Option<String>> = app.streams[asked..].iter().map(|s| s.1.clone()).collect();
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
    let sources = app.sources();
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
    let asked = app.streams.len();
    app.command("container sidecar");
    assert_eq!(app.streams.len(), asked);
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
    assert!(app.streams.iter().rev().take(2).all(|s| s.3 == Some(5)));
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
        app.streams
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
