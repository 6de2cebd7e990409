#![allow(clippy::unwrap_used, clippy::expect_used)]
//! At 80x24 against the embedded cluster: the header keeps its markers, every tab shows whole,
//! a pipeline's side panel pages through all of its lines, and trials sorted by a column that
//! gives way at this width still show it with its arrow.

#[path = "support/app.rs"]
mod app_support;
#[path = "support/sim.rs"]
mod sim_support;

use app_support::App;
use kftui::app::msg::Msg;
use kftui::app::state::State;
use kftui::config::keymap::Keymap;

fn screen(state: &State, keymap: &Keymap) -> Vec<String> {
    app_support::screen_of(state, keymap, state.width, state.height)
}

async fn narrow_app(readonly: bool) -> App {
    let mut app = App::start().await;
    app.state.readonly = readonly;
    app.send(Msg::Resize {
        width: 80,
        height: 24,
    });
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn at_80_columns_the_header_keeps_its_markers_and_every_tab_shows() {
    let mut app = narrow_app(true).await;
    app.until("the runs", |s| !s.runs.rows.is_empty()).await;
    let rows = screen(&app.state, &app.keymap);
    assert!(rows[0].contains("read-only"), "{}", rows[0]);
    assert!(rows[0].contains("│ demo"), "{}", rows[0]);
    for tab in ["1 Pipelines", "4 Notebooks", "7 Experiments"] {
        assert!(rows[1].contains(tab), "{tab} is cut: {}", rows[1]);
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn at_80x24_a_pipelines_side_panel_pages_through_every_line() {
    let mut app = narrow_app(false).await;
    app.press("1");
    app.until("the pipelines", |s| !s.pipelines.rows.is_empty()).await;
    app.press("enter");
    app.until("the pipeline", |s| {
        s.pipeline
            .as_ref()
            .is_some_and(|p| matches!(p.detail, Some(Ok(_))))
    })
    .await;
    let panel = |app: &App| -> Vec<String> {
        let rows = screen(&app.state, &app.keymap);
        let top = rows.iter().position(|r| r.contains("┌ Pipeline")).unwrap();
        rows[top + 1..]
            .iter()
            .take_while(|r| !r.starts_with('└'))
            .map(|r| r.trim_matches(|c| c == '│' || c == ' ').to_string())
            .collect()
    };
    let mut seen = panel(&app);
    for _ in 0..20 {
        app.press("pagedown");
        let page = panel(&app);
        if seen.ends_with(&page) {
            break; // the last page
        }
        seen.extend(page);
    }
    let all = seen.join("\n");
    for head in ["PARAMETERS", "VERSIONS", "TASKS AND IMAGES"] {
        assert!(all.contains(head), "{head} never shows:\n{all}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn at_80_columns_trials_sorted_by_duration_show_it_with_its_arrow() {
    let mut app = narrow_app(false).await;
    app.press("7");
    app.until("the experiments", |s| !s.experiments.rows.is_empty())
        .await;
    app.press("enter");
    app.until("the trials", |s| {
        s.experiment.as_ref().is_some_and(|d| !d.order.is_empty())
    })
    .await;
    app.command("sort duration");
    let rows = screen(&app.state, &app.keymap).join("\n");
    assert!(
        rows.contains("DURATION▲") || rows.contains("DURATION▼"),
        "the sorted column is shown with its arrow:\n{rows}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn at_80_columns_events_keep_their_message_and_the_tab_its_gaps() {
    let mut app = narrow_app(false).await;
    app.until("the runs", |s| !s.runs.rows.is_empty()).await;
    app.press(":");
    app.type_text("events");
    app.press("enter");
    app.until("the events", |s| {
        s.cluster.kind.is_events() && !s.cluster.list.rows.is_empty()
    })
    .await;
    let rows = screen(&app.state, &app.keymap);
    let header = rows.iter().find(|r| r.contains("LAST SEEN")).unwrap();
    for col in ["TYPE", "REASON", "MESSAGE"] {
        assert!(header.contains(col), "{col} gave way: {header}");
    }
    assert!(rows[1].contains("7 Experiments 8 Even"), "{}", rows[1]);
    app.stop().await;
}
