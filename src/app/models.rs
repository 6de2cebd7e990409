//! The Models pane beyond its list: the detail of one InferenceService (enter), and test
//! requests to its predictor (`t`): a JSON body in an editor, sent with ctrl-s through the API
//! server's service proxy, the answer shown with its status and latency, and the last requests
//! of each model kept to load again.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use tui_textarea::TextArea;

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::form::to_input;
use crate::app::msg::Msg;
use crate::app::pane::PaneId;
use crate::app::state::{Level, Notice, State};
use crate::config::keymap::Key;
use crate::kube::predict::Answer;
use crate::kube::resources::inference_service::{IsvcRow, Protocol};

/// How many past requests each model keeps.
pub const HISTORY: usize = 10;

/// The model whose detail is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenModel {
    pub namespace: String,
    pub name: String,
    /// Lines scrolled off the top.
    pub scroll: usize,
}

/// One request sent, and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    pub at: DateTime<Utc>,
    pub body: String,
    /// The answer, or why there was none.
    pub result: Result<Answer, String>,
}

impl TestRecord {
    /// The status code, or `ERR` when no answer came.
    pub fn status_text(&self) -> String {
        match &self.result {
            Ok(a) => a.status.to_string(),
            Err(_) => "ERR".to_string(),
        }
    }

    /// The latency, or `—`.
    pub fn latency_text(&self) -> String {
        match &self.result {
            Ok(a) => format!("{} ms", a.latency_ms),
            Err(_) => "—".to_string(),
        }
    }

    /// The first line of the body sent, squeezed.
    pub fn first_line(&self) -> String {
        self.body.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// Which part of the test view has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestFocus {
    #[default]
    Editor,
    History,
}

/// The open test-request view of one model.
#[derive(Debug, Clone)]
pub struct TestView {
    pub namespace: String,
    pub name: String,
    pub protocol: Protocol,
    pub editor: TextArea<'static>,
    /// Why the body was refused, or the request failed to leave.
    pub error: Option<String>,
    /// The request in flight.
    pub pending: Option<u64>,
    /// The last answer shown (a record of the history, or the one just received).
    pub shown: Option<TestRecord>,
    pub focus: TestFocus,
    /// The selected row of the history list (0 = newest).
    pub history_selected: usize,
}

/// Everything the Models pane keeps beyond its list.
#[derive(Debug, Clone, Default)]
pub struct ModelsState {
    pub open: Option<OpenModel>,
    pub test: Option<TestView>,
    /// The last requests of each model, newest first, by (namespace, name).
    pub history: BTreeMap<(String, String), VecDeque<TestRecord>>,
}

impl ModelsState {
    /// The past requests of a model, newest first.
    pub fn history_of(&self, namespace: &str, name: &str) -> Option<&VecDeque<TestRecord>> {
        self.history.get(&(namespace.to_string(), name.to_string()))
    }
}

/// An example body for a model: v1 `instances` or a v2 `inputs` tensor.
pub fn example_body(protocol: Protocol, format: &str) -> String {
    match (protocol, format) {
        (Protocol::V2, _) => "{\n  \"inputs\": [\n    {\n      \"name\": \"input-0\",\n      \"shape\": [1, 4],\n      \"datatype\": \"FP32\",\n      \"data\": [6.8, 2.8, 4.8, 1.4]\n    }\n  ]\n}".to_string(),
        (Protocol::V1, "huggingface") => "{\n  \"instances\": [\"kftui makes serving easy to check\"]\n}".to_string(),
        (Protocol::V1, _) => "{\n  \"instances\": [\n    [6.8, 2.8, 4.8, 1.4],\n    [6.0, 3.4, 4.5, 1.6]\n  ]\n}".to_string(),
    }
}

/// The row of the open (or test) model, while it is listed.
pub fn row<'a>(state: &'a State, namespace: &str, name: &str) -> Option<&'a IsvcRow> {
    state
        .models
        .rows
        .iter()
        .find(|r| r.name == name && r.namespace == namespace)
}

/// The open model's row.
pub fn open_row(state: &State) -> Option<&IsvcRow> {
    let open = state.model.open.as_ref()?;
    row(state, &open.namespace, &open.name)
}

fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

/// Enter: opens the selected model's detail.
pub fn open(state: &mut State) {
    match state.models.selected_row() {
        Some(r) => {
            state.model.open = Some(OpenModel {
                namespace: r.namespace.clone(),
                name: r.name.clone(),
                scroll: 0,
            });
        }
        None => notice(state, Level::Info, "no model selected".into()),
    }
    state.dirty = true;
}

/// `t`: opens the test-request editor for the open model, else the selected one.
pub fn open_test(state: &mut State) {
    if state.pane != PaneId::Models {
        return notice(
            state,
            Level::Info,
            "test works on models: go to the Models pane".into(),
        );
    }
    let target = match &state.model.open {
        Some(o) => row(state, &o.namespace, &o.name),
        None => state.models.selected_row(),
    };
    let Some(r) = target else {
        return notice(state, Level::Info, "no model selected".into());
    };
    let (namespace, name, protocol) = (r.namespace.clone(), r.name.clone(), r.protocol);
    let last = state
        .model
        .history_of(&namespace, &name)
        .and_then(|h| h.front())
        .cloned();
    let body = last
        .as_ref()
        .map_or_else(|| example_body(protocol, &r.format), |l| l.body.clone());
    state.model.test = Some(TestView {
        namespace,
        name,
        protocol,
        editor: editor(&body),
        error: None,
        pending: None,
        shown: last,
        focus: TestFocus::Editor,
        history_selected: 0,
    });
    state.dirty = true;
}

fn editor(body: &str) -> TextArea<'static> {
    let mut editor = TextArea::new(body.lines().map(String::from).collect());
    editor.set_tab_length(2);
    editor
}

/// ctrl-s: checks the body and the model, then sends the request.
fn send(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(test) = state.model.test.as_ref() else {
        return;
    };
    let body = test.editor.lines().join("\n");
    let (namespace, name, protocol) = (test.namespace.clone(), test.name.clone(), test.protocol);
    let refusal = match serde_json::from_str::<serde_json::Value>(&body) {
        Err(e) => Some(format!("not valid JSON: {e}")),
        Ok(_) => match row(state, &namespace, &name) {
            None => Some(format!("model {name} is no longer listed")),
            Some(r) => r.not_serving(),
        },
    };
    if let Some(error) = refusal {
        if let Some(t) = state.model.test.as_mut() {
            t.error = Some(error);
        }
        state.dirty = true;
        return;
    }
    state.request_seq += 1;
    let request = state.request_seq;
    if let Some(t) = state.model.test.as_mut() {
        t.error = None;
        t.pending = Some(request);
    }
    effects.push(Effect::Predict {
        request,
        context: state.target.context.clone(),
        namespace,
        name,
        protocol,
        body,
    });
    state.dirty = true;
}

/// The answer to a test request: shown if its view is still open, kept in the model's history
/// either way.
pub fn on_msg(state: &mut State, msg: &Msg) -> bool {
    let Msg::Predicted {
        request,
        namespace,
        name,
        body,
        result,
    } = msg
    else {
        return false;
    };
    let record = TestRecord {
        at: state.now,
        body: body.clone(),
        result: result.clone(),
    };
    let history = state
        .model
        .history
        .entry((namespace.clone(), name.clone()))
        .or_default();
    history.push_front(record.clone());
    history.truncate(HISTORY);
    if let Some(t) = state.model.test.as_mut().filter(|t| t.pending == Some(*request)) {
        t.pending = None;
        t.shown = Some(record);
        t.history_selected = 0;
    }
    state.dirty = true;
    true
}

/// Pasted text goes into the open test body (lines kept, other control characters dropped).
pub fn paste(state: &mut State, text: &str) -> bool {
    let Some(t) = state.model.test.as_mut().filter(|t| t.focus == TestFocus::Editor) else {
        return false;
    };
    if state.pane != PaneId::Models {
        return false;
    }
    let clean: String = text
        .replace("\r\n", "\n")
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    t.editor.insert_str(clean);
    t.error = None;
    true
}

/// Whether the open test request's model has past requests to pick from.
pub fn has_history(state: &State) -> bool {
    state
        .model
        .test
        .as_ref()
        .and_then(|t| state.model.history_of(&t.namespace, &t.name))
        .is_some_and(|h| !h.is_empty())
}

/// Whether the open test request's body is the model's example body as it is.
pub fn body_is_example(state: &State) -> bool {
    let Some(t) = state.model.test.as_ref() else {
        return true;
    };
    let format = row(state, &t.namespace, &t.name)
        .map(|r| r.format.clone())
        .unwrap_or_default();
    t.editor.lines().join("\n") == example_body(t.protocol, &format)
}

/// An action of the test view (editor or history focused).
pub fn test_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    state.dirty = true;
    match action {
        Action::Cancel => state.model.test = None,
        Action::Submit => send(state, effects),
        Action::Example => {
            let format = state
                .model
                .test
                .as_ref()
                .and_then(|t| row(state, &t.namespace, &t.name))
                .map(|r| r.format.clone())
                .unwrap_or_default();
            if let Some(t) = state.model.test.as_mut() {
                t.editor = editor(&example_body(t.protocol, &format));
                t.error = None;
            }
        }
        Action::NextField => {
            let history = has_history(state);
            if let Some(t) = state.model.test.as_mut() {
                t.focus = match t.focus {
                    TestFocus::Editor if history => TestFocus::History,
                    _ => TestFocus::Editor,
                };
            }
        }
        Action::Up | Action::Down | Action::Accept => {
            let history: Vec<TestRecord> = state
                .model
                .test
                .as_ref()
                .and_then(|t| state.model.history_of(&t.namespace, &t.name))
                .map(|h| h.iter().cloned().collect())
                .unwrap_or_default();
            let Some(t) = state.model.test.as_mut() else {
                return;
            };
            let n = history.len();
            let sel = match action {
                Action::Up => t.history_selected.saturating_sub(1),
                Action::Down => (t.history_selected + 1).min(n.saturating_sub(1)),
                _ => {
                    t.focus = TestFocus::Editor;
                    t.history_selected
                }
            };
            t.history_selected = sel;
            if let Some(rec) = history.get(sel) {
                t.editor = editor(&rec.body);
                t.shown = Some(rec.clone());
                t.error = None;
            }
        }
        _ => {}
    }
}

/// Typing into the test request's body.
pub fn test_typing(state: &mut State, key: &Key) {
    if let Some(t) = state.model.test.as_mut().filter(|t| t.focus == TestFocus::Editor) {
        t.editor.input(to_input(key));
        state.dirty = true;
    }
}

/// An action while a model's detail is open (the view stack routes only the detail's own here).
pub fn detail_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let page = state.list_height.max(1);
    let end = state.detail_end;
    let Some(open) = state.model.open.as_mut() else {
        return;
    };
    match action {
        _ if crate::app::training::scroll_detail(&mut open.scroll, action, page, end) => {}
        Action::Cancel => state.model.open = None,
        other => crate::app::update::apply(state, other, effects),
    }
    state.dirty = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_are_valid_json_of_their_protocol() {
        let v1: serde_json::Value = serde_json::from_str(&example_body(Protocol::V1, "sklearn")).unwrap();
        assert_eq!(v1["instances"][0].as_array().map(Vec::len), Some(4));
        let v2: serde_json::Value = serde_json::from_str(&example_body(Protocol::V2, "triton")).unwrap();
        assert_eq!(v2["inputs"][0]["shape"], serde_json::json!([1, 4]));
        assert_eq!(v2["inputs"][0]["datatype"], "FP32");
        let hf: serde_json::Value = serde_json::from_str(&example_body(Protocol::V1, "huggingface")).unwrap();
        assert!(hf["instances"][0].is_string());
    }

    #[test]
    fn each_model_keeps_its_last_ten_requests_newest_first() {
        let mut state = State::new(crate::app::state::Target::default(), Utc::now());
        for i in 0..12u64 {
            let name = if i % 2 == 0 { "a" } else { "b" };
            let msg = Msg::Predicted {
                request: i,
                namespace: "ns".into(),
                name: name.into(),
                body: format!("{{\"n\": {i}}}"),
                result: Err("no answer".into()),
            };
            assert!(on_msg(&mut state, &msg));
        }
        let a = state.model.history_of("ns", "a").unwrap();
        assert_eq!(a.len(), 6);
        assert_eq!(a[0].body, "{\"n\": 10}");
        for i in 12..20u64 {
            let msg = Msg::Predicted {
                request: i,
                namespace: "ns".into(),
                name: "a".into(),
                body: format!("{{\"n\": {i}}}"),
                result: Err("no answer".into()),
            };
            on_msg(&mut state, &msg);
        }
        let a = state.model.history_of("ns", "a").unwrap();
        assert_eq!(a.len(), HISTORY);
        assert_eq!(a[0].body, "{\"n\": 19}");
        assert_eq!(a[HISTORY - 1].body, "{\"n\": 8}");
        assert_eq!(a[0].status_text(), "ERR");
        assert_eq!(state.model.history_of("ns", "b").map(VecDeque::len), Some(6));
    }
}
