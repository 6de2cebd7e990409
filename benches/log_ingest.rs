//! Log engine benchmarks: ingest (split + sanitise + SGR + store) in lines per second for
//! 200-byte lines, search and filter over a full 100,000-line buffer, and the render of one
//! screen of the log pane from a full buffer.
//!
//! `cargo bench --bench log_ingest` (criterion; `-- ingest` etc. to pick a group).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use chrono::FixedOffset;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use kftui::config::theme::Theme;
use kftui::logs::search::{MatchSet, Query};
use kftui::logs::{DEFAULT_CAPACITY, IngestOptions, LineSplitter, LogBuffer, LogLine, LogView, Timestamp};
use kftui::ui::panes::logs::LogsPane;

const LINE_BYTES: usize = 200;
const CHUNK: usize = 64 * 1024;

/// The text of line `i`: training-log-like, with some variety for search.
fn body(i: usize) -> String {
    match i % 10 {
        0 => format!(
            "Epoch {}/20 step {}/50 - loss: 0.{:04} - accuracy: 0.{:04} - lr: 3.0e-04",
            i / 500 + 1,
            i % 50 + 1,
            i % 9973,
            i % 7919
        ),
        3 => format!(
            "WARNING: gradient norm {}.{} exceeds clip threshold 5.0; clipping",
            i % 30,
            i % 10
        ),
        7 => format!(
            "ERROR worker {} failed to fetch shard-{:04}.csv: connection reset by peer",
            i % 8,
            i % 1000
        ),
        _ => format!(
            "Processed {} rows from gs://kf-demo-data/raw/shard-{:04}.csv ({} rows/s)",
            i * 125,
            i % 1000,
            20_000 + i % 5000
        ),
    }
}

/// `n` lines of exactly `LINE_BYTES` bytes (newline included), optionally timestamped or coloured.
fn corpus(n: usize, timestamps: bool, sgr: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * LINE_BYTES);
    for i in 0..n {
        let mut line = String::new();
        if timestamps {
            let ns = 1_714_564_800_000_000_000i64 + i as i64 * 1_000_017;
            line.push_str(&Timestamp(ns).to_rfc3339());
            line.push(' ');
        }
        if sgr && i % 2 == 0 {
            line.push_str("\x1b[33mWARN\x1b[0m ");
        }
        line.push_str(&body(i));
        while line.len() < LINE_BYTES - 1 {
            line.push_str(" pad");
        }
        line.truncate(LINE_BYTES - 1);
        line.push('\n');
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn bench_ingest(c: &mut Criterion) {
    let n = DEFAULT_CAPACITY;
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(n as u64));
    g.sample_size(20);
    for (name, ts, sgr) in [
        ("plain_200B", false, false),
        ("timestamped_200B", true, false),
        ("sgr_timestamped_200B", true, true),
    ] {
        let data = corpus(n, ts, sgr);
        let opts = IngestOptions {
            timestamps: ts,
            ..IngestOptions::default()
        };
        let mut buffer = LogBuffer::new(DEFAULT_CAPACITY);
        let mut splitter = LineSplitter::new(0, opts);
        let mut out = Vec::with_capacity(1024);
        g.bench_function(name, |b| {
            b.iter(|| {
                for chunk in data.chunks(CHUNK) {
                    splitter.push(chunk, &mut out);
                    for line in out.drain(..) {
                        buffer.push(line);
                    }
                }
                black_box(buffer.len())
            })
        });
    }
    // Into a view (merge by time, search and filter upkeep), in batches of 1,024 lines as the
    // streams send them; timestamps keep increasing, as a live log's do.
    let mut view = LogView::new(1, "bench");
    view.add_source("a");
    view.search_set("error");
    view.toggle_filter();
    view.bottom();
    let mut round = 0i64;
    g.bench_function("view_push_batches_with_search_and_filter", |b| {
        b.iter_batched(
            || {
                round += 1;
                batches(n, 1024, |i| (0, round * 1_000_000_000_000 + i as i64 * 1000))
            },
            |batches| {
                for (source, lines) in batches {
                    view.push_lines(source, lines);
                }
                black_box(view.buffer().len())
            },
            BatchSize::LargeInput,
        )
    });
    // Merging two steps' whole histories, interleaved in time: in alternating batches (each
    // lands inside the other's last batch), and the worst case, one whole history after the
    // other (each batch of the second lands deep inside the first).
    for (name, sequential) in [
        ("view_push_two_histories_alternating_batches", false),
        ("view_push_history_after_history", true),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let mut v = LogView::new(2, "bench");
                    v.add_source("a");
                    v.add_source("b");
                    v.search_set("error");
                    v.toggle_filter();
                    v.bottom();
                    let a = batches(n / 2, 1024, |i| (0, 2 * i as i64));
                    let b = batches(n / 2, 1024, |i| (1, 2 * i as i64 + 1));
                    let mixed: Vec<_> = if sequential {
                        a.into_iter().chain(b).collect()
                    } else {
                        a.into_iter().zip(b).flat_map(|(x, y)| [x, y]).collect()
                    };
                    (v, mixed)
                },
                |(mut v, batches)| {
                    for (source, lines) in batches {
                        v.push_lines(source, lines);
                    }
                    black_box(v.buffer().len())
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// `n` lines in batches of `size`; `at(i)` gives line `i`'s source and timestamp.
fn batches(n: usize, size: usize, at: impl Fn(usize) -> (usize, i64)) -> Vec<(usize, Vec<LogLine>)> {
    let mut out: Vec<(usize, Vec<LogLine>)> = Vec::new();
    for i in 0..n {
        let (source, ts) = at(i);
        if out.last().is_none_or(|(_, b)| b.len() == size) {
            out.push((source, Vec::with_capacity(size)));
        }
        let mut text = body(i);
        while text.len() < LINE_BYTES - 31 {
            text.push_str(" pad");
        }
        text.truncate(LINE_BYTES - 31);
        if let Some((_, b)) = out.last_mut() {
            b.push(LogLine::new(source, Some(Timestamp(ts)), &text));
        }
    }
    out
}

fn full_buffer() -> LogBuffer {
    let data = corpus(DEFAULT_CAPACITY, true, true);
    let mut splitter = LineSplitter::new(
        0,
        IngestOptions {
            timestamps: true,
            ..IngestOptions::default()
        },
    );
    let mut out = Vec::new();
    splitter.push(&data, &mut out);
    let mut buffer = LogBuffer::new(DEFAULT_CAPACITY);
    for line in out {
        buffer.push(line);
    }
    buffer
}

fn bench_search(c: &mut Criterion) {
    let buffer = full_buffer();
    let mut g = c.benchmark_group("search_100k");
    g.sample_size(20);
    for (name, q) in [
        ("plain_smartcase_error", "error"),
        ("plain_casesensitive_ERROR", "ERROR"),
        ("plain_rare_shard-0999", "shard-0999"),
        ("regex_loss", r"re:loss: 0\.0[0-4]\d\d"),
    ] {
        let query = Query::parse(q).unwrap().unwrap();
        g.bench_function(name, |b| {
            b.iter(|| black_box(MatchSet::new(query.clone(), &buffer).len()))
        });
    }
    let wide = MatchSet::new(Query::parse("shard-").unwrap().unwrap(), &buffer);
    let narrow = Query::parse("shard-0").unwrap().unwrap();
    g.bench_function("keystroke_narrowing_shard-_to_shard-0", |b| {
        b.iter(|| black_box(MatchSet::narrowed(narrow.clone(), &wide, &buffer).len()))
    });
    g.finish();

    let mut g = c.benchmark_group("filter_100k");
    g.sample_size(20);
    let mut view = LogView::new(1, "bench");
    view.add_source("a");
    for line in buffer.iter() {
        view.push_lines(0, vec![line.clone()]);
    }
    g.bench_function("set_filter_error", |b| {
        b.iter(|| black_box(view.set_filter("error").is_ok()))
    });
    view.set_filter("").unwrap();
    view.search_set("warning");
    g.bench_function("toggle_filter_from_search_warning", |b| {
        b.iter_batched(
            || view.clone(),
            |mut v| {
                black_box(v.toggle_filter());
                v
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn full_view(sources: usize) -> LogView {
    let buffer = full_buffer();
    let mut view = LogView::new(1, "run demo-train-xyz");
    for s in 0..sources {
        view.add_source(format!("step-{s}"));
    }
    let lines: Vec<LogLine> = buffer.iter().cloned().collect();
    for (i, chunk) in lines.chunks(1000).enumerate() {
        view.push_lines(i % sources, chunk.to_vec());
    }
    view
}

fn bench_render(c: &mut Criterion) {
    let mut g = c.benchmark_group("render_screen_full_buffer");
    let theme = Theme::default();
    let tz = FixedOffset::east_opt(3600).unwrap();
    for (name, w, h) in [("80x24", 80u16, 24u16), ("200x50", 200, 50)] {
        let area = Rect::new(0, 0, w, h);
        let mut view = full_view(3);
        let body = LogsPane::body_area(area);
        view.set_viewport(body.width, body.height);
        view.toggle_timestamps();
        let mut buf = Buffer::empty(area);
        g.bench_function(format!("follow_wrap_ts_3_sources_{name}"), |b| {
            b.iter(|| {
                LogsPane {
                    view: &view,
                    theme: &theme,
                    tz,
                }
                .render(area, &mut buf);
                black_box(&buf);
            })
        });
        view.search_set("shard");
        view.search_commit();
        view.scroll_up(30_000);
        g.bench_function(format!("paused_search_highlight_{name}"), |b| {
            b.iter(|| {
                LogsPane {
                    view: &view,
                    theme: &theme,
                    tz,
                }
                .render(area, &mut buf);
                black_box(&buf);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_ingest, bench_search, bench_render);
criterion_main!(benches);
