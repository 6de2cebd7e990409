#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The UI's hot paths at scale: a filter keystroke over 10,000 runs (update + a full frame), a
//! fresh snapshot of 10,000 runs arriving (alone, and merged with KFP's record of 200 runs), and
//! one frame of the Runs pane.
//!
//! `cargo bench --bench ui`

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use kftui::app::msg::{DataEvent, Msg};
use kftui::app::update::update;
use kftui::config::keymap::Key;
use kftui::kube::resources::table::{Column, TableRow};
use kftui::kube::resources::workflow::RunRow;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::*;

const NS: &str = "kubeflow-user-example-com";

fn many_runs(n: usize) -> Vec<RunRow> {
    let pipelines = [
        "xgboost-training",
        "bert-finetune",
        "data-prep",
        "nightly-etl",
        "image-classifier",
    ];
    let phases = [
        "Succeeded",
        "Succeeded",
        "Succeeded",
        "Failed",
        "Running",
        "Pending",
    ];
    (0..n)
        .map(|i| {
            let p = pipelines[i % pipelines.len()];
            let phase = phases[i % phases.len()];
            let finished = (phase == "Succeeded" || phase == "Failed").then_some(i as i64 * 60);
            let name = format!("{p}-{i:05}");
            let run_name = format!("{p} run {i}");
            let kfp = (i % 2 == 0).then_some((run_name.as_str(), p));
            row(workflow(
                &name,
                NS,
                phase,
                "12/20",
                i as i64 * 60 + 300,
                finished,
                kfp,
            ))
        })
        .collect()
}

/// `n` pods as the API server's Table serves them (`kubectl get pods -A -o wide`'s columns),
/// the steps of runs of 20 steps each, a few failing.
fn many_pods(n: usize) -> (Arc<[Column]>, Arc<[TableRow]>) {
    let columns: Vec<Column> = [
        ("Name", "name", 0),
        ("Ready", "", 0),
        ("Status", "", 0),
        ("Restarts", "", 0),
        ("Age", "", 0),
        ("IP", "", 1),
        ("Node", "", 1),
        ("Nominated Node", "", 1),
        ("Readiness Gates", "", 1),
    ]
    .iter()
    .map(|(name, format, priority)| {
        Column::from_definition(
            &serde_json::json!({"name": name, "type": "string", "format": format, "priority": priority}),
        )
    })
    .collect();
    let pods = kftui::kube::discovery::pods();
    let statuses = [
        "Completed",
        "Completed",
        "Running",
        "Completed",
        "Error",
        "OOMKilled",
        "Init:0/1",
    ];
    let rows: Vec<TableRow> = (0..n)
        .map(|i| {
            let run = format!("xgboost-training-{:05}", i / 20);
            let name = format!("{run}-step-{}-{}", i % 20, 1_000_000_000 + i * 7919);
            let row = serde_json::json!({
                "cells": [name, "0/2", statuses[i % statuses.len()], (i % 4).to_string(), "5h",
                          format!("10.244.{}.{}", i % 4, i % 250), format!("worker-{}", i % 3), "<none>", "<none>"],
                "object": {"metadata": {"name": name, "namespace": NS, "uid": format!("uid-{i}"),
                    "creationTimestamp": "2026-12-04T10:00:00Z",
                    "labels": {"workflows.argoproj.io/workflow": run, "workflows.argoproj.io/completed": "true"},
                    "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "name": run, "controller": true}]}}
            });
            TableRow::from_table_row(pods, &columns, &row).unwrap()
        })
        .collect();
    (columns.into(), rows.into())
}

fn bench(c: &mut Criterion) {
    let km = keymap();
    let theme = theme("default");
    let view = kftui::ui::View {
        theme: &theme,
        keymap: &km,
        tz: chrono::FixedOffset::east_opt(0).unwrap(),
    };
    let rows: Arc<[RunRow]> = Arc::from(many_runs(10_000));
    let mut state = state_with(200, 50, NS, rows.to_vec());
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();

    // Open the filter bar and type "xgb", then alternate one more character and backspace.
    for k in ["/", "x", "g", "b"] {
        update(&mut state, &km, Msg::Key(k.parse::<Key>().unwrap()));
    }
    let mut toggle = false;
    c.bench_function("filter keystroke over 10k runs (update + frame 200x50)", |b| {
        b.iter(|| {
            toggle = !toggle;
            let key: Key = if toggle {
                "o".parse().unwrap()
            } else {
                "backspace".parse().unwrap()
            };
            update(&mut state, &km, Msg::Key(key));
            term.draw(|f| kftui::ui::render(&state, &view, f)).unwrap();
            black_box(state.runs.visible.len());
        })
    });

    let mut state = state_with(200, 50, NS, Vec::new());
    let key = key_for(Some(NS));
    c.bench_function("snapshot of 10k runs arrives (update + frame 200x50)", |b| {
        b.iter(|| {
            update(
                &mut state,
                &km,
                Msg::Data(DataEvent::Runs {
                    key: key.clone(),
                    rows: rows.clone(),
                }),
            );
            term.draw(|f| kftui::ui::render(&state, &view, f)).unwrap();
        })
    });

    // Where KFP's API answers, each snapshot is merged with KFP's record of the namespace's runs
    // (their experiments, and finished runs whose Workflows are gone).
    let mut with_kfp = state_with(200, 50, NS, Vec::new());
    with_kfp.kfp_runs = (0..200)
        .map(|i| {
            let run = serde_json::json!({"run_id": format!("history-{i:03}"), "display_name": format!("old run {i}"),
                "state": "SUCCEEDED", "created_at": "2026-11-20T10:00:00Z", "finished_at": "2026-11-20T10:05:00Z"});
            RunRow::from_kfp_history(NS, &run, "xgboost-training", "Default")
        })
        .collect::<Vec<_>>()
        .into();
    c.bench_function(
        "snapshot of 10k runs arrives, merged with 200 KFP runs (update + frame 200x50)",
        |b| {
            b.iter(|| {
                update(
                    &mut with_kfp,
                    &km,
                    Msg::Data(DataEvent::Runs {
                        key: key.clone(),
                        rows: rows.clone(),
                    }),
                );
                term.draw(|f| kftui::ui::render(&with_kfp, &view, f)).unwrap();
            })
        },
    );

    // The resource view with 50,000 pods (`kftui sim --scale 10000` holds about 47,000).
    let (columns, pods) = many_pods(50_000);
    let mut with_pods = state_with(200, 50, NS, Vec::new());
    update(&mut with_pods, &km, Msg::Key("8".parse::<Key>().unwrap()));
    let pods_key = kftui::app::subs::SubKey {
        kind: kftui::app::subs::Kind::Resource(kftui::kube::discovery::pods()),
        ..key_for(Some(NS))
    };
    let table = |rows: &Arc<[TableRow]>| {
        Msg::Data(DataEvent::Table {
            key: pods_key.clone(),
            columns: columns.clone(),
            rows: rows.clone(),
        })
    };
    update(&mut with_pods, &km, table(&pods));
    assert_eq!(with_pods.cluster.list.rows.len(), 50_000, "the pods arrived");
    c.bench_function("snapshot of 50k pods arrives (update + frame 200x50)", |b| {
        b.iter(|| {
            update(&mut with_pods, &km, table(&pods));
            term.draw(|f| kftui::ui::render(&with_pods, &view, f)).unwrap();
        })
    });
    for k in ["/", "s", "t", "e"] {
        update(&mut with_pods, &km, Msg::Key(k.parse::<Key>().unwrap()));
    }
    let mut toggle = false;
    c.bench_function("filter keystroke over 50k pods (update + frame 200x50)", |b| {
        b.iter(|| {
            toggle = !toggle;
            let key: Key = if toggle { "p" } else { "backspace" }.parse().unwrap();
            update(&mut with_pods, &km, Msg::Key(key));
            term.draw(|f| kftui::ui::render(&with_pods, &view, f)).unwrap();
            black_box(with_pods.cluster.list.visible.len());
        })
    });

    c.bench_function("frame of the Runs pane with 10k runs, 200x50", |b| {
        b.iter(|| {
            term.draw(|f| kftui::ui::render(&state, &view, f)).unwrap();
        })
    });

    // The view stack's own cost: a key routed through it (a movement in a list of 10k runs, with
    // its frame), the footer derived from the binding tables, and `?`'s entries derived.
    let mut state = state_with(200, 50, NS, many_runs(10_000));
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut down = false;
    c.bench_function(
        "a key through the view stack (j/k over 10k runs) + frame 200x50",
        |b| {
            b.iter(|| {
                down = !down;
                let key: Key = if down { "j" } else { "k" }.parse().unwrap();
                update(&mut state, &km, Msg::Key(key));
                term.draw(|f| kftui::ui::render(&state, &view, f)).unwrap();
            })
        },
    );
    c.bench_function("the footer derived from the binding tables", |b| {
        b.iter(|| black_box(kftui::app::views::footer(&state, &km)))
    });
    c.bench_function("help's entries derived from the binding tables", |b| {
        b.iter(|| black_box(kftui::app::views::help(&state, &km)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
