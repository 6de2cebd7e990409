#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `screenshots/` comes from the real render path: each pane of the seeded demo cluster, drawn
//! with a fixed clock and saved as SVG. This test fails when a committed screenshot no longer
//! matches what the code renders; `KFTUI_UPDATE_SCREENSHOTS=1 cargo test --test screenshots`
//! rewrites them.

mod support;

use kftui::app::pane::PaneId;
use kftui::app::state::State;
use kftui::kube::resources::inference_service::IsvcRow;
use kftui::kube::resources::notebook::NotebookRow;
use kftui::kube::resources::workflow::{RunRow, WorkflowLite};
use kftui::sim::store::{Filter, Store};
use kftui::sim::{seed, types};
use support::*;

const NAMESPACE: &str = "kubeflow-user-example-com";

/// The demo cluster's runs as the seed creates them at the fixed clock.
fn seeded_runs() -> Vec<RunRow> {
    let store = Store::new(42, 10_000);
    seed::seed(&store, 42, 0, now()).unwrap();
    let filter = Filter {
        namespace: Some(NAMESPACE.into()),
        ..Filter::default()
    };
    let page = store.list(types::workflow_type(), &filter, None, None).unwrap();
    page.items
        .iter()
        .map(|s| {
            let wf: WorkflowLite = serde_json::from_value(s.value().unwrap()).unwrap();
            RunRow::from_workflow(&wf)
        })
        .collect()
}

/// The seeded objects of a kind in the demo namespace, projected by `project`.
fn seeded<K: serde::de::DeserializeOwned, R>(group: &str, plural: &str, project: fn(&K) -> R) -> Vec<R> {
    let store = Store::new(42, 10_000);
    seed::seed(&store, 42, 0, now()).unwrap();
    let filter = Filter {
        namespace: Some(NAMESPACE.into()),
        ..Filter::default()
    };
    let rt = types::find(group, plural).unwrap();
    let page = store.list(rt, &filter, None, None).unwrap();
    page.items
        .iter()
        .map(|s| project(&serde_json::from_value(s.value().unwrap()).unwrap()))
        .collect()
}

/// The demo namespace's pods as the API server's Table serves them to the resource view.
fn seeded_pods() -> (
    std::sync::Arc<[kftui::kube::resources::table::Column]>,
    std::sync::Arc<[kftui::kube::resources::table::TableRow]>,
) {
    use kftui::kube::resources::table::{Column, TableRow};
    let pods: Vec<serde_json::Value> = seeded("", "pods", |p: &serde_json::Value| p.clone());
    let rt = types::find("", "pods").unwrap();
    let table = kftui::sim::api::render::table(
        rt,
        "v1",
        &pods,
        kftui::sim::api::render::IncludeObject::Object,
        serde_json::json!({}),
        true,
    );
    let columns: Vec<Column> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(Column::from_definition)
        .collect();
    let pods = kftui::kube::discovery::pods();
    let rows: Vec<TableRow> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| TableRow::from_table_row(pods, &columns, r))
        .collect();
    (columns.into(), rows.into())
}

/// The demo's pipelines as the Pipelines pane lists them through KFP's API, and its templates.
fn seeded_pipelines() -> Vec<kftui::kube::resources::pipeline::PipelineRow> {
    use kftui::kube::resources::pipeline::{PipelineRow, PipelineSource};
    let versions: Vec<serde_json::Value> = seeded(
        "pipelines.kubeflow.org",
        "pipelineversions",
        |v: &serde_json::Value| v.clone(),
    );
    let mut rows: Vec<PipelineRow> =
        seeded("pipelines.kubeflow.org", "pipelines", |p: &serde_json::Value| {
            p.clone()
        })
        .iter()
        .map(|p| {
            let uid = p["metadata"]["uid"].clone();
            let mine: Vec<serde_json::Value> = versions
                .iter()
                .filter(|v| v["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"] == uid)
                .cloned()
                .collect();
            PipelineRow {
                source: PipelineSource::KfpApi,
                ..PipelineRow::from_crd(p, &mine)
            }
        })
        .collect();
    rows.extend(
        seeded("argoproj.io", "workflowtemplates", |t: &serde_json::Value| {
            t.clone()
        })
        .iter()
        .map(|t| PipelineRow::from_template(t, false)),
    );
    rows
}

/// The new-run form on the demo's xgboost-training pipeline, its latest version.
fn new_run_form(base: &State) -> State {
    let mut s = base.clone();
    let versions: Vec<serde_json::Value> = seeded(
        "pipelines.kubeflow.org",
        "pipelineversions",
        |v: &serde_json::Value| v.clone(),
    );
    let v = versions
        .iter()
        .find(|v| v["metadata"]["name"] == "xgboost-training-v2")
        .unwrap();
    let params = kftui::runs::params::kfp_params(&v["spec"]["pipelineSpec"]);
    s.form = Some(kftui::app::form::RunForm::new(kftui::app::form::RunFormSeed {
        namespace: NAMESPACE.into(),
        title: "pipeline xgboost-training · version xgboost-training v2".into(),
        origin: kftui::app::form::RunOrigin::Kfp {
            pipeline_id: "p".into(),
            version_id: "v".into(),
        },
        run_name: "Run of xgboost-training 2026-11-28 10:00".into(),
        experiment: Some("xgboost-tuning".into()),
        params: params.into_iter().map(|p| (p, None)).collect(),
    }));
    let depth = s
        .form
        .as_ref()
        .unwrap()
        .fields
        .iter()
        .position(|f| f.label == "max_depth")
        .unwrap();
    for _ in 0..depth {
        press(&mut s, "tab");
    }
    press(&mut s, "backspace");
    type_text(&mut s, "deep");
    s
}

fn shots() -> Vec<(String, State, u16, u16)> {
    let mut out = Vec::new();
    let base = state_with(120, 32, NAMESPACE, seeded_runs());
    out.push(("runs".to_string(), base.clone(), 120, 32));
    out.push(("new-run".to_string(), new_run_form(&base), 120, 32));
    let mut filtered = base.clone();
    press(&mut filtered, "/");
    type_text(&mut filtered, "xgboost");
    press(&mut filtered, "enter");
    out.push(("runs-filtered".to_string(), filtered, 120, 32));
    let mut help = base.clone();
    press(&mut help, "?");
    out.push(("help".to_string(), help, 120, 32));
    for pane in PaneId::ALL.into_iter().filter(|p| *p != PaneId::Runs) {
        let mut s = base.clone();
        s.pane = pane;
        let key = |kind| kftui::app::subs::SubKey {
            kind,
            ..key_for(Some(NAMESPACE))
        };
        let data = match pane {
            PaneId::Notebooks => {
                press(&mut s, "4");
                Some(kftui::app::msg::DataEvent::Notebooks {
                    key: key(kftui::app::subs::Kind::Notebooks),
                    rows: seeded("kubeflow.org", "notebooks", NotebookRow::from_notebook).into(),
                })
            }
            PaneId::Models => {
                press(&mut s, "5");
                Some(kftui::app::msg::DataEvent::Models {
                    key: key(kftui::app::subs::Kind::InferenceServices),
                    rows: seeded("serving.kserve.io", "inferenceservices", IsvcRow::from_isvc).into(),
                })
            }
            PaneId::Training => {
                press(&mut s, "6");
                use kftui::kube::resources::train_job::{self, JobKind, LegacyJobLite, TrainRow};
                let legacy: Vec<TrainRow> = seeded(
                    "kubeflow.org",
                    "pytorchjobs",
                    |j: &LegacyJobLite<train_job::PyTorch>| TrainRow::from_legacy(j),
                )
                .into_iter()
                .chain(seeded(
                    "kubeflow.org",
                    "tfjobs",
                    |j: &LegacyJobLite<train_job::Tf>| TrainRow::from_legacy(j),
                ))
                .collect();
                kftui::app::update::update(
                    &mut s,
                    &keymap(),
                    kftui::app::msg::Msg::Data(kftui::app::msg::DataEvent::Training {
                        key: key(kftui::app::subs::Kind::Training(JobKind::PyTorch)),
                        rows: legacy.into(),
                    }),
                );
                Some(kftui::app::msg::DataEvent::Training {
                    key: key(kftui::app::subs::Kind::Training(JobKind::TrainJob)),
                    rows: seeded("trainer.kubeflow.org", "trainjobs", TrainRow::from_trainjob).into(),
                })
            }
            PaneId::Pipelines => {
                press(&mut s, "1");
                Some(kftui::app::msg::DataEvent::Pipelines {
                    key: key(kftui::app::subs::Kind::Pipelines),
                    rows: seeded_pipelines().into(),
                    recurring: Vec::new().into(),
                    notes: Vec::new(),
                })
            }
            PaneId::Experiments => {
                press(&mut s, "7");
                Some(kftui::app::msg::DataEvent::Experiments {
                    key: key(kftui::app::subs::Kind::Experiments),
                    rows: support::kubeflow::seeded_experiments().into(),
                })
            }
            PaneId::Cluster => {
                press(&mut s, "8");
                let (columns, rows) = seeded_pods();
                Some(kftui::app::msg::DataEvent::Table {
                    key: key(kftui::app::subs::Kind::Resource(kftui::kube::discovery::pods())),
                    columns,
                    rows,
                })
            }
            _ => None,
        };
        if let Some(data) = data {
            kftui::app::update::update(&mut s, &keymap(), kftui::app::msg::Msg::Data(data));
        }
        if pane == PaneId::Notebooks {
            // A notebook connected, a kernel's socket open through it, the connections listed.
            use kftui::app::connections::{ProxyEvent, Via};
            let mut conn = s.clone();
            press(&mut conn, "/");
            type_text(&mut conn, "jupyter-scipy");
            press(&mut conn, "enter");
            press(&mut conn, "c");
            let mut news = vec![ProxyEvent::Opened {
                id: 1,
                port: 8888,
                via: Via::ServiceProxy,
                token: kftui::app::connections::Token::from_text(
                    "Yq3v9kXw2bN7tR4mP8sLzA1cD6fH0jUeG5oWxVyKaQs",
                ),
            }];
            news.extend((0..12).map(|_| ProxyEvent::Served {
                id: 1,
                outcome: Ok(200),
            }));
            news.push(ProxyEvent::Socket { id: 1, open: true });
            for event in news {
                kftui::app::update::update(&mut conn, &keymap(), kftui::app::msg::Msg::Proxy(event));
            }
            press(&mut conn, "C");
            out.push(("notebook-connections".to_string(), conn, 120, 32));
        }
        if pane == PaneId::Experiments {
            // The first experiment open: its trials, the objective's chart, the optimal trial.
            let mut open = s.clone();
            press(&mut open, "g g");
            press(&mut open, "enter");
            let Some(name) = open.experiment.as_ref().map(|d| d.name.clone()) else {
                panic!("no experiment opened");
            };
            let trials = support::kubeflow::seeded_trials(&name);
            kftui::app::update::update(
                &mut open,
                &keymap(),
                kftui::app::msg::Msg::Data(kftui::app::msg::DataEvent::Trials {
                    key: kftui::app::subs::SubKey {
                        selector: Some(format!("katib.kubeflow.org/experiment={name}")),
                        ..key(kftui::app::subs::Kind::Trials)
                    },
                    rows: trials.into(),
                }),
            );
            out.push(("experiment-detail".to_string(), open, 120, 32));
        }
        out.push((pane.name().to_string(), s, 120, 32));
    }
    out
}

#[test]
fn committed_screenshots_match_the_render_path() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let update = std::env::var_os("KFTUI_UPDATE_SCREENSHOTS").is_some();
    let theme = theme("default");
    let mut stale = Vec::new();
    for (name, state, w, h) in shots() {
        let term = draw(&state, w, h, &theme);
        let svg = kftui::ui::svg::to_svg(term.backend().buffer());
        let path = dir.join(format!("{name}.svg"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &svg).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(svg.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "screenshots differ from the render path: {stale:?}\nregenerate: KFTUI_UPDATE_SCREENSHOTS=1 cargo test --test screenshots"
    );
}

#[test]
fn the_seeded_demo_has_a_believable_mix_of_runs() {
    let runs = seeded_runs();
    assert!(runs.len() >= 20, "{} runs", runs.len());
    for phase in ["Succeeded", "Failed", "Running"] {
        assert!(
            runs.iter().any(|r| r.phase.word() == phase),
            "no {phase} run in the demo"
        );
    }
}
