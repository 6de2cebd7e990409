#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Step-graph benchmark: a Workflow of 2,000 tasks built, laid out and rendered into 200x50.
//!
//! `cargo bench --bench graph` (release) or `cargo bench --bench graph --profile dev` (debug).
//! `KFTUI_BENCH_ITERS=200` sets the iterations per measure (default 50). The budget is one
//! frame: layout + render of 2,000 nodes under 16 ms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use kftui::config::theme::Theme;
use kftui::runs::synthetic::wide_deep_dag;
use kftui::runs::{GraphLayout, GraphView, LayoutMode, RunGraph, ViewMode};
use kftui::ui::widgets::graph::GraphWidget;

const BUDGET: Duration = Duration::from_millis(16);

fn measure(label: &str, iters: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..iters)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "{label:<58} median {:>9.3?}  min {:>9.3?}  max {:>9.3?}",
        median,
        times[0],
        times[times.len() - 1]
    );
    median
}

fn render(graph: &RunGraph, view: &GraphView, theme: &Theme, now: DateTime<Utc>) {
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    GraphWidget {
        graph,
        view,
        theme,
        now,
    }
    .render(area, &mut buf);
    black_box(&buf);
}

fn main() {
    let iters: usize = std::env::var("KFTUI_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let theme = Theme::default();
    let now = DateTime::parse_from_rfc3339("2024-05-01T11:00:00Z")
        .map(|t| t.to_utc())
        .unwrap_or_default();
    let cases = [
        ("deep: 40 layers x 50 tasks", wide_deep_dag("deep", 40, 50)),
        ("wide: 6 layers x 334 tasks", wide_deep_dag("wide", 6, 334)),
    ];
    let mut worst_frame = Duration::ZERO;
    for (name, wf) in &cases {
        let graph = RunGraph::from_workflow(wf).unwrap_or_default();
        let edges: usize = graph.nodes.iter().map(|n| n.children.len()).sum();
        let raw = wf
            .pointer("/status/nodes")
            .and_then(|n| n.as_object())
            .map_or(0, |m| m.len());
        println!(
            "\n{name}: {} tasks, {edges} edges, {raw} Argo nodes",
            graph.nodes.len()
        );
        measure("from_workflow (fold + edges + order)", iters, || {
            black_box(RunGraph::from_workflow(black_box(wf)).ok());
        });
        let auto = GraphLayout::compute(&graph, 200, 50, ViewMode::Auto);
        let auto_word = if auto.mode == LayoutMode::Layered {
            "layered"
        } else {
            "tree"
        };
        measure(
            &format!("layout auto 200x50 (chooses {auto_word})"),
            iters,
            || {
                black_box(GraphLayout::compute(&graph, 200, 50, ViewMode::Auto));
            },
        );
        measure("layout layered (forced)", iters, || {
            black_box(GraphLayout::compute(&graph, 200, 50, ViewMode::Layered));
        });
        measure("layout tree", iters, || {
            black_box(GraphLayout::tree(&graph, 200));
        });
        for mode in [ViewMode::Auto, ViewMode::Layered, ViewMode::Tree] {
            let mut view = GraphView::new(&graph);
            view.set_mode(mode);
            view.select_last(&graph);
            view.keep_visible(&graph, Rect::new(0, 0, 200, 50));
            let t = measure(
                &format!("frame: layout + render 200x50 ({})", mode.word()),
                iters,
                || {
                    render(&graph, &view, &theme, now);
                },
            );
            worst_frame = worst_frame.max(t);
        }
    }
    let verdict = if worst_frame < BUDGET { "within" } else { "OVER" };
    println!("\nworst frame median {worst_frame:.3?}: {verdict} the 16 ms budget");
}
