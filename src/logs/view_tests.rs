//! Tests of the log view: follow/pause/resume, scrolling, wrap, search, filter, merge.

use super::*;
use crate::logs::Timestamp;

fn view_with(n: usize) -> LogView {
    let mut v = LogView::new(1, "pod/p");
    v.add_source("p");
    v.set_viewport(20, 3);
    push(&mut v, 0, 0..n);
    v
}

fn push(v: &mut LogView, source: usize, range: Range<usize>) {
    let lines = range
        .map(|i| LogLine::new(source, None, &format!("line {i}")))
        .collect();
    v.push_lines(source, lines);
}

fn shown(v: &LogView) -> Vec<String> {
    let (w, h) = v.viewport();
    v.window(w, h)
        .rows
        .iter()
        .map(|r| {
            let marker = LogView::cut_marker(r.line).unwrap_or_default();
            let all = format!("{}{marker}", r.line.text());
            all[r.range.clone()].to_string()
        })
        .collect()
}

#[test]
fn following_shows_the_newest_lines() {
    let mut v = view_with(10);
    assert!(v.is_following());
    assert_eq!(shown(&v), ["line 7", "line 8", "line 9"]);
    push(&mut v, 0, 10..12);
    assert_eq!(shown(&v), ["line 9", "line 10", "line 11"]);
    assert_eq!(v.new_lines(), 0);
}

#[test]
fn scrolling_up_pauses_counts_new_lines_and_g_resumes() {
    let mut v = view_with(10);
    v.scroll_up(2);
    assert!(!v.is_following());
    assert_eq!(shown(&v), ["line 5", "line 6", "line 7"]);
    push(&mut v, 0, 10..15);
    assert_eq!(
        shown(&v),
        ["line 5", "line 6", "line 7"],
        "the screen does not move while paused"
    );
    assert_eq!(v.new_lines(), 5);
    v.scroll_down(100);
    assert!(!v.is_following(), "reaching the bottom does not resume by itself");
    assert_eq!(shown(&v), ["line 12", "line 13", "line 14"]);
    v.bottom();
    assert!(v.is_following());
    assert_eq!(v.new_lines(), 0);
    push(&mut v, 0, 15..16);
    assert_eq!(shown(&v), ["line 13", "line 14", "line 15"]);
}

#[test]
fn f_pauses_exactly_where_the_screen_is_and_resumes() {
    let mut v = view_with(10);
    v.toggle_follow();
    assert!(!v.is_following());
    push(&mut v, 0, 10..13);
    assert_eq!(shown(&v), ["line 7", "line 8", "line 9"]);
    assert_eq!(v.new_lines(), 3);
    v.toggle_follow();
    assert_eq!(shown(&v), ["line 10", "line 11", "line 12"]);
}

#[test]
fn top_pages_and_clamping() {
    let mut v = view_with(10);
    v.top();
    assert_eq!(shown(&v), ["line 0", "line 1", "line 2"]);
    v.scroll_up(5);
    assert_eq!(shown(&v), ["line 0", "line 1", "line 2"]);
    v.page_down();
    assert_eq!(shown(&v), ["line 2", "line 3", "line 4"]);
    v.page_up();
    assert_eq!(shown(&v), ["line 0", "line 1", "line 2"]);
    let mut short = view_with(2);
    short.scroll_up(1);
    assert_eq!(shown(&short), ["line 0", "line 1"]);
}

#[test]
fn eviction_under_a_paused_screen_moves_it_to_the_oldest_line() {
    let mut v = LogView::with_capacity(1, "t", 5);
    v.add_source("p");
    v.set_viewport(20, 2);
    push(&mut v, 0, 0..5);
    v.top();
    push(&mut v, 0, 5..8);
    assert_eq!(v.buffer().evicted(), 3);
    assert_eq!(shown(&v), ["line 3", "line 4"]);
    assert_eq!(v.new_lines(), 3);
}

#[test]
fn wrapping_scrolls_by_rows_and_nowrap_scrolls_sideways() {
    let mut v = LogView::new(1, "t");
    v.add_source("p");
    v.set_viewport(4, 3);
    v.push_lines(
        0,
        vec![LogLine::new(0, None, "aaaabbbbcc"), LogLine::new(0, None, "dd")],
    );
    assert_eq!(shown(&v), ["bbbb", "cc", "dd"]);
    v.scroll_up(1);
    assert_eq!(shown(&v), ["aaaa", "bbbb", "cc"]);
    v.scroll_down(1);
    assert_eq!(shown(&v), ["bbbb", "cc", "dd"]);
    v.toggle_wrap();
    assert!(!v.wrap());
    assert_eq!(shown(&v), ["aaaa", "dd"]);
    v.scroll_right(3);
    assert_eq!(shown(&v), ["abbb", ""]);
    v.scroll_left(10);
    assert_eq!(v.hscroll(), 0);
}

#[test]
fn wide_characters_wrap_whole() {
    let mut out = Vec::new();
    wrap_ranges("ab漢字c", "", 3, &mut out);
    assert_eq!(out, [0..2, 2..5, 5..9]);
    assert_eq!(clip_range("漢字abc", "", 1, 3), 3..7);
    assert_eq!(clip_range("abc", "", 10, 3), 3..3);
}

#[test]
fn cut_lines_show_a_marker() {
    let mut v = LogView::new(1, "t");
    v.set_viewport(200, 2);
    let mut s = crate::logs::LineSplitter::new(
        0,
        crate::logs::IngestOptions {
            timestamps: false,
            max_line_bytes: 4,
        },
    );
    let mut lines = Vec::new();
    s.push(b"abcdefgh\n", &mut lines);
    v.push_lines(0, lines);
    assert_eq!(shown(&v), ["abcd ✂ line cut, 8 bytes"]);
}

#[test]
fn search_is_incremental_and_n_cycles() {
    let mut v = LogView::new(1, "t");
    v.add_source("p");
    v.set_viewport(20, 3);
    let texts = [
        "error one",
        "ok",
        "Error two",
        "ok",
        "ok",
        "ok",
        "error three",
        "ok",
        "ok",
        "ok",
    ];
    v.push_lines(0, texts.iter().map(|t| LogLine::new(0, None, t)).collect());
    v.search_start();
    for c in "err".chars() {
        v.search_input(c);
    }
    assert_eq!(v.search().matches().map(MatchSet::len), Some(3));
    // The newest match at or above the bottom of the screen, not yet visible: jump to it.
    assert_eq!(v.search().current(), Some(6));
    assert_eq!(v.search().position(), Some((3, 3)));
    v.search_commit();
    assert!(!v.search().editing());
    v.search_next();
    assert_eq!(v.search().current(), Some(0), "n wraps around to the first match");
    assert!(!v.is_following());
    assert!(shown(&v).contains(&"error one".to_string()));
    v.search_prev();
    assert_eq!(v.search().current(), Some(6));
    v.search_set("Error");
    assert_eq!(
        v.search().matches().map(MatchSet::len),
        Some(1),
        "upper case makes it case-sensitive"
    );
    v.search_set("re:(");
    assert!(v.search().error().is_some());
    assert!(v.search().matches().is_none());
}

#[test]
fn esc_restores_the_previous_search_and_position() {
    let mut v = view_with(50);
    v.search_set("line 1");
    v.search_commit();
    let before_current = v.search().current();
    let before_shown = shown(&v);
    v.search_start();
    for c in "line 3".chars() {
        v.search_input(c);
    }
    assert_ne!(shown(&v), before_shown);
    v.search_cancel();
    assert_eq!(v.search().input(), "line 1");
    assert_eq!(v.search().current(), before_current);
    assert_eq!(shown(&v), before_shown);
}

#[test]
fn new_lines_are_searched_and_filtered_as_they_land() {
    let mut v = view_with(5);
    v.search_set("line 1");
    assert_eq!(v.search().matches().map(MatchSet::len), Some(1));
    assert!(v.toggle_filter());
    v.bottom();
    push(&mut v, 0, 5..15);
    assert_eq!(v.search().matches().map(MatchSet::len), Some(6));
    assert_eq!(v.filter().map(MatchSet::len), Some(6));
    assert_eq!(shown(&v), ["line 12", "line 13", "line 14"]);
    v.scroll_up(1);
    push(&mut v, 0, 15..20);
    assert_eq!(v.new_lines(), 5, "only lines that pass the filter count");
    assert_eq!(shown(&v), ["line 11", "line 12", "line 13"]);
    assert!(!v.toggle_filter());
    assert_eq!(
        shown(&v),
        ["line 11", "line 12", "line 13"],
        "the top line stays when the filter goes"
    );
    assert_eq!(v.set_filter("re:line [0-2]$"), Ok(()));
    assert_eq!(v.filter().map(MatchSet::len), Some(3));
    assert!(v.set_filter("re:[").is_err());
    assert_eq!(v.set_filter(""), Ok(()));
    assert!(v.filter().is_none());
}

#[test]
fn a_filter_needs_a_search() {
    let mut v = view_with(3);
    assert!(!v.toggle_filter());
    assert!(v.filter().is_none());
}

#[test]
fn sources_merge_in_time_and_a_paused_screen_keeps_its_lines() {
    let mut v = LogView::new(7, "run r");
    let a = v.add_source("train");
    let b = v.add_source("eval-long-step-name-that-is-very-long");
    v.set_viewport(60, 2);
    let l = |s: usize, t: i64, x: &str| LogLine::new(s, Some(Timestamp(t)), x);
    v.push_lines(
        a,
        vec![l(a, 10, "a10"), l(a, 20, "a20"), l(a, 30, "a30"), l(a, 40, "a40")],
    );
    v.scroll_up(1);
    assert_eq!(shown(&v), ["a20", "a30"]);
    v.push_lines(b, vec![l(b, 15, "b15"), l(b, 25, "b25")]);
    let texts: Vec<&str> = v.buffer().iter().map(LogLine::text).collect();
    assert_eq!(texts, ["a10", "b15", "a20", "b25", "a30", "a40"]);
    assert_eq!(shown(&v)[0], "a20", "the top line stays the top line");
    assert_eq!(v.buffer().get(1).map(LogLine::source), Some(b));
    assert_eq!(v.prefix_width(), MAX_PREFIX_NAME + 3);
    v.toggle_timestamps();
    assert_eq!(v.gutter_width(), MAX_PREFIX_NAME + 3 + TIMESTAMP_COLUMNS);
}

#[test]
fn events_for_other_views_are_left_alone() {
    let mut v = view_with(0);
    let lines = vec![LogLine::new(0, None, "x")];
    assert!(!v.apply(LogEvent::Lines {
        view: 2,
        source: 0,
        lines: lines.clone()
    }));
    assert!(v.apply(LogEvent::Lines {
        view: 1,
        source: 0,
        lines
    }));
    let waiting = StreamState::Waiting {
        reason: "ContainerCreating".into(),
    };
    assert!(v.apply(LogEvent::State {
        view: 1,
        source: 0,
        state: waiting.clone()
    }));
    assert_eq!(v.sources()[0].state, waiting);
    assert_eq!(waiting.to_string(), "waiting: ContainerCreating");
    assert!(v.apply(LogEvent::Dropped {
        view: 1,
        source: 0,
        count: 4
    }));
    assert_eq!(v.buffer().dropped(), 4);
    assert_eq!(v.buffer().len(), 1);
}

#[test]
fn saving_writes_plain_text() {
    let mut v = LogView::new(1, "t");
    v.add_source("a");
    v.add_source("b");
    v.push_lines(0, vec![LogLine::new(0, Some(Timestamp(0)), "\x1b[31mred\x1b[0m")]);
    v.push_lines(1, vec![LogLine::new(1, Some(Timestamp(1_000_000)), "two")]);
    let mut out = Vec::new();
    assert_eq!(v.write_to(&mut out, false).unwrap(), 2);
    assert_eq!(String::from_utf8(out).unwrap(), "a │ red\nb │ two\n");
    v.toggle_timestamps();
    v.search_set("two");
    v.toggle_filter();
    let mut out = Vec::new();
    assert_eq!(v.write_to(&mut out, true).unwrap(), 1);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "1970-01-01T00:00:00.001000000Z b │ two\n"
    );
}

#[test]
fn names_and_titles_are_sanitised() {
    let mut v = LogView::new(1, "evil\x1b]0;x\x07");
    v.add_source("step\x1b[2J");
    assert_eq!(v.title(), "evil␛]0;x␇");
    assert_eq!(v.sources()[0].name, "step␛[2J");
}

#[test]
fn n_skips_matches_the_filter_hides_and_scrolling_moves_through_the_filter() {
    let mut v = LogView::new(1, "t");
    v.add_source("p");
    v.set_viewport(30, 2);
    let texts = ["a error", "b", "a warn", "b error", "a error", "b", "a"];
    v.push_lines(0, texts.iter().map(|t| LogLine::new(0, None, t)).collect());
    v.set_filter("a ").unwrap();
    assert_eq!(shown(&v), ["a warn", "a error"]);
    v.search_set("error");
    v.search_commit();
    let mut seen = Vec::new();
    for _ in 0..3 {
        v.search_next();
        seen.push(v.search().current().unwrap());
    }
    assert_eq!(seen, [0, 4, 0], "line 3 (b error) is filtered out and skipped");
    v.top();
    assert_eq!(shown(&v), ["a error", "a warn"]);
    v.scroll_down(1);
    assert_eq!(shown(&v), ["a warn", "a error"]);
}

#[test]
fn a_renewed_view_is_empty_and_keeps_the_settings() {
    let mut v = view_with(10);
    v.toggle_wrap();
    v.toggle_timestamps();
    v.search_set("line 1");
    v.search_commit();
    assert!(v.toggle_filter());
    let r = v.renewed(2, "pod/p · since 5m");
    assert_eq!((r.id(), r.title()), (2, "pod/p · since 5m"));
    assert!(r.buffer().is_empty() && r.sources().is_empty());
    assert_eq!(
        (r.wrap(), r.timestamps(), r.viewport()),
        (v.wrap(), v.timestamps(), v.viewport())
    );
    assert_eq!(r.search().input(), "line 1");
    let mut r = r;
    r.add_source("p");
    push(&mut r, 0, 0..15);
    assert_eq!(
        r.filter().map(|f| f.len()),
        Some(6),
        "the filter applies to the new lines: line 1 and line 10..14"
    );
}
