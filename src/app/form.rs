//! The new-run form: a run name, the experiment (KFP), and one typed field per parameter,
//! validated as you type; `ctrl-e` turns it into the full object in a YAML editor.
//!
//! A run starts from a KFP pipeline version (the body of `POST /apis/v2beta1/runs`), from a
//! WorkflowTemplate or ClusterWorkflowTemplate (a Workflow with `workflowTemplateRef`), or from
//! an existing run (a copy of its Workflow with the parameters edited).

use crate::app::action::Action;
use serde_json::{Map, Value, json};
use tui_textarea::{Input, Key as TaKey, TextArea};

use crate::config::keymap::{Key, KeyCode};
use crate::runs::params::{self, ParamSpec};

pub use crate::kube::new_run::{NewRun, RunFormSeed, RunOrigin};

/// One input of the form.
#[derive(Debug, Clone)]
pub struct FormField {
    pub label: String,
    /// Type and default, shown beside the label.
    pub hint: String,
    pub spec: Option<ParamSpec>,
    pub input: TextArea<'static>,
    pub error: Option<String>,
}

impl FormField {
    pub fn new(
        label: String,
        hint: String,
        spec: Option<ParamSpec>,
        value: &str,
        placeholder: &str,
    ) -> FormField {
        let mut input = TextArea::new(vec![value.to_string()]);
        input.move_cursor(tui_textarea::CursorMove::End);
        input.set_placeholder_text(placeholder);
        let mut f = FormField {
            label,
            hint,
            spec,
            input,
            error: None,
        };
        f.error = f.check().err();
        f
    }

    pub fn text(&self) -> String {
        self.input.lines().join("\n")
    }

    fn check(&self) -> Result<Option<Value>, String> {
        match &self.spec {
            Some(spec) => params::check(spec, &self.text()),
            None => Ok(None),
        }
    }
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    Stay,
    Close,
    Submit(NewRun),
}

/// The open form.
#[derive(Debug, Clone)]
pub struct RunForm {
    pub namespace: String,
    pub title: String,
    pub origin: RunOrigin,
    pub fields: Vec<FormField>,
    /// Index of the first parameter field.
    pub first_param: usize,
    pub focus: usize,
    /// The full object in an editor, when the user asked for it.
    pub yaml: Option<TextArea<'static>>,
    /// Why the last submit did not happen (invalid YAML, the server's answer).
    pub error: Option<String>,
    /// The request in flight.
    pub submitting: Option<u64>,
}

/// A Kubernetes object name: lower-case alphanumerics and `-`, at most 63, alphanumeric at
/// both ends.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err("lower-case letters, digits and '-', at most 63".into())
    }
}

/// The key as tui-textarea wants it.
pub fn to_input(key: &Key) -> Input {
    let k = match key.code {
        KeyCode::Char(c) => TaKey::Char(c),
        KeyCode::Enter => TaKey::Enter,
        KeyCode::Esc => TaKey::Esc,
        KeyCode::Tab => TaKey::Tab,
        KeyCode::Backspace => TaKey::Backspace,
        KeyCode::Delete => TaKey::Delete,
        KeyCode::Up => TaKey::Up,
        KeyCode::Down => TaKey::Down,
        KeyCode::Left => TaKey::Left,
        KeyCode::Right => TaKey::Right,
        KeyCode::Home => TaKey::Home,
        KeyCode::End => TaKey::End,
        KeyCode::PageUp => TaKey::PageUp,
        KeyCode::PageDown => TaKey::PageDown,
        KeyCode::F(n) => TaKey::F(n),
        KeyCode::Insert | KeyCode::Unknown => TaKey::Null,
    };
    Input {
        key: k,
        ctrl: key.mods.ctrl,
        alt: key.mods.alt,
        shift: key.mods.shift,
    }
}

impl RunForm {
    pub fn new(seed: RunFormSeed) -> RunForm {
        let kfp = matches!(seed.origin, RunOrigin::Kfp { .. });
        let mut fields = vec![FormField::new(
            "run name".into(),
            if kfp {
                "the run's display name".into()
            } else {
                "the Workflow's name; empty: a generated one".into()
            },
            None,
            &seed.run_name,
            if kfp { "" } else { "generated" },
        )];
        if let Some(exp) = &seed.experiment {
            fields.push(FormField::new(
                "experiment".into(),
                "found by name, created when new".into(),
                None,
                exp,
                "Default",
            ));
        }
        let first_param = fields.len();
        for (spec, value) in seed.params {
            let mut hint = spec.ty.word().to_string();
            if let Some(d) = &spec.default {
                hint.push_str(&format!(", default {d}"));
            } else if spec.optional {
                hint.push_str(", optional");
            }
            if !spec.choices.is_empty() {
                hint.push_str(&format!(", one of {}", spec.choices.join("|")));
            }
            let placeholder = spec.default.clone().unwrap_or_default();
            let start = value.or_else(|| spec.default.clone()).unwrap_or_default();
            fields.push(FormField::new(
                spec.name.clone(),
                hint,
                Some(spec),
                &start,
                &placeholder,
            ));
        }
        let mut form = RunForm {
            namespace: seed.namespace,
            title: seed.title,
            origin: seed.origin,
            fields,
            first_param,
            focus: 0,
            yaml: None,
            error: None,
            submitting: None,
        };
        form.check_name_field();
        form
    }

    fn is_kfp(&self) -> bool {
        matches!(self.origin, RunOrigin::Kfp { .. })
    }

    fn check_name_field(&mut self) {
        let kfp = self.is_kfp();
        if let Some(f) = self.fields.first_mut() {
            let name = f.text();
            let name = name.trim();
            f.error = if kfp {
                name.is_empty().then(|| "required".to_string())
            } else if name.is_empty() {
                None
            } else {
                check_name(name).err()
            };
        }
    }

    /// Every field valid.
    pub fn is_valid(&self) -> bool {
        self.fields.iter().all(|f| f.error.is_none())
    }

    /// The number of fields with an error.
    pub fn errors(&self) -> usize {
        self.fields.iter().filter(|f| f.error.is_some()).count()
    }

    fn values(&self) -> Result<Vec<(String, Value)>, String> {
        let mut out = Vec::new();
        for f in &self.fields[self.first_param..] {
            match f.check() {
                Ok(Some(v)) => out.push((f.label.clone(), v)),
                Ok(None) => {}
                Err(e) => return Err(format!("{}: {e}", f.label)),
            }
        }
        Ok(out)
    }

    /// The run the fields describe.
    pub fn build(&self) -> Result<NewRun, String> {
        if let Some(bad) = self.fields.iter().find(|f| f.error.is_some()) {
            return Err(format!(
                "{}: {}",
                bad.label,
                bad.error.as_deref().unwrap_or("invalid")
            ));
        }
        let name = self.fields[0].text().trim().to_string();
        let values = self.values()?;
        Ok(match &self.origin {
            RunOrigin::Kfp {
                pipeline_id,
                version_id,
            } => {
                let parameters: Map<String, Value> = values.into_iter().collect();
                let experiment = (self.first_param > 1)
                    .then(|| self.fields[1].text().trim().to_string())
                    .filter(|e| !e.is_empty());
                NewRun::Kfp {
                    namespace: self.namespace.clone(),
                    experiment,
                    body: json!({
                        "display_name": name,
                        "pipeline_version_reference": {
                            "pipeline_id": pipeline_id,
                            "pipeline_version_id": version_id,
                        },
                        "runtime_config": {"parameters": parameters},
                    }),
                }
            }
            RunOrigin::Workflow { object } => {
                let mut object = object.clone();
                object["metadata"]["namespace"] = json!(self.namespace);
                if !name.is_empty() {
                    object["metadata"]["name"] = json!(name);
                    if let Some(m) = object["metadata"].as_object_mut() {
                        m.remove("generateName");
                    }
                }
                if !values.is_empty() || object.pointer("/spec/arguments/parameters").is_some() {
                    let mut merged = params::argo_params(&object["spec"])
                        .into_iter()
                        .filter(|p| !values.iter().any(|(k, _)| *k == p.name))
                        .filter_map(|p| Some((p.name, Value::String(p.default?))))
                        .collect::<Vec<_>>();
                    merged.extend(values);
                    object["spec"]["arguments"]["parameters"] = params::argo_arguments(&merged);
                }
                NewRun::Workflow {
                    namespace: self.namespace.clone(),
                    object,
                }
            }
        })
    }

    /// Opens the YAML editor on what the fields describe.
    fn open_yaml(&mut self) {
        let text = match self.build() {
            Ok(NewRun::Kfp { body, experiment, .. }) => {
                let mut body = body;
                if let Some(e) = experiment {
                    body["experiment_name"] = json!(e);
                }
                serde_saphyr::to_string(&body)
            }
            Ok(NewRun::Workflow { object, .. }) => serde_saphyr::to_string(&object),
            Err(e) => {
                self.error = Some(format!("fix the fields first: {e}"));
                return;
            }
        };
        match text {
            Ok(text) => {
                let lines: Vec<String> = text.lines().map(String::from).collect();
                let mut editor = TextArea::new(lines);
                editor.set_line_number_style(ratatui::style::Style::default());
                self.yaml = Some(editor);
                self.error = None;
            }
            Err(e) => self.error = Some(format!("cannot write the YAML: {e}")),
        }
    }

    /// The run the YAML editor describes.
    fn build_from_yaml(&self, text: &str) -> Result<NewRun, String> {
        let mut v: Value =
            serde_saphyr::from_str(text).map_err(|e| format!("the YAML does not parse: {e}"))?;
        if !v.is_object() {
            return Err("the YAML must be a mapping".into());
        }
        Ok(match &self.origin {
            RunOrigin::Kfp { .. } => {
                let experiment = v
                    .as_object_mut()
                    .and_then(|m| m.remove("experiment_name"))
                    .and_then(|e| e.as_str().map(String::from))
                    .filter(|e| !e.is_empty());
                if v["display_name"].as_str().is_none_or(|n| n.trim().is_empty()) {
                    return Err("display_name is required".into());
                }
                NewRun::Kfp {
                    namespace: self.namespace.clone(),
                    experiment,
                    body: v,
                }
            }
            RunOrigin::Workflow { .. } => {
                if v["kind"] != "Workflow" {
                    return Err("kind must be Workflow".into());
                }
                let namespace = v
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or(&self.namespace)
                    .to_string();
                NewRun::Workflow { namespace, object: v }
            }
        })
    }

    /// Handles one key.
    /// An action of the form or of its YAML editor.
    pub fn on_action(&mut self, action: Action) -> FormOutcome {
        if self.submitting.is_some() {
            return if action == Action::Cancel {
                FormOutcome::Close
            } else {
                FormOutcome::Stay
            };
        }
        if let Some(editor) = self.yaml.as_ref() {
            match action {
                Action::Cancel => {
                    self.yaml = None;
                    self.error = None;
                }
                Action::Submit => {
                    let text = editor.lines().join("\n");
                    match self.build_from_yaml(&text) {
                        Ok(run) => return FormOutcome::Submit(run),
                        Err(e) => self.error = Some(e),
                    }
                }
                _ => {}
            }
            return FormOutcome::Stay;
        }
        let n = self.fields.len();
        match action {
            Action::Cancel => return FormOutcome::Close,
            Action::NextField => self.focus = (self.focus + 1) % n,
            Action::PrevField => self.focus = (self.focus + n - 1) % n,
            Action::EditYaml => self.open_yaml(),
            Action::Submit => return self.submit(),
            Action::Accept if self.focus + 1 == n => return self.submit(),
            Action::Accept => self.focus += 1,
            _ => {}
        }
        FormOutcome::Stay
    }

    /// Typing into the focused field, or into the YAML editor.
    pub fn on_typing(&mut self, key: &Key) {
        if self.submitting.is_some() {
            return;
        }
        if let Some(editor) = self.yaml.as_mut() {
            editor.input(to_input(key));
            return;
        }
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.input.input(to_input(key));
            f.error = f.check().err();
        }
        if self.focus == 0 {
            self.check_name_field();
        }
    }

    fn submit(&mut self) -> FormOutcome {
        match self.build() {
            Ok(run) => FormOutcome::Submit(run),
            Err(e) => {
                self.error = Some(e);
                if let Some(i) = self.fields.iter().position(|f| f.error.is_some()) {
                    self.focus = i;
                }
                FormOutcome::Stay
            }
        }
    }

    /// Pasted text goes into the focused field (or the editor).
    pub fn paste(&mut self, text: &str) {
        if let Some(editor) = self.yaml.as_mut() {
            editor.insert_str(text);
            return;
        }
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.input.insert_str(&clean);
            f.error = f.check().err();
        }
        if self.focus == 0 {
            self.check_name_field();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::params::ParamType;

    fn key(s: &str) -> Key {
        s.parse().unwrap()
    }

    /// A key as the view stack routes it: the form's keymap section, else typing.
    fn press(f: &mut RunForm, k: &str) -> FormOutcome {
        use crate::config::keymap::{KeymapResult, Scope};
        let scope = if f.yaml.is_some() { "yaml-editor" } else { "form" };
        match crate::config::keymap::Keymap::default().resolve_in(&[Scope::View(scope)], &[key(k)]) {
            KeymapResult::Matched(a) => f.on_action(a),
            _ => {
                f.on_typing(&key(k));
                FormOutcome::Stay
            }
        }
    }

    fn type_text(form: &mut RunForm, text: &str) {
        for c in text.chars() {
            form.on_typing(&Key::new(KeyCode::Char(c), crate::config::keymap::Mods::NONE));
        }
    }

    fn spec(name: &str, ty: ParamType, default: Option<&str>) -> ParamSpec {
        ParamSpec {
            name: name.into(),
            ty,
            default: default.map(String::from),
            optional: false,
            description: None,
            choices: Vec::new(),
        }
    }

    fn kfp_form() -> RunForm {
        RunForm::new(RunFormSeed {
            namespace: "team-a".into(),
            title: "pipeline train (v1)".into(),
            origin: RunOrigin::Kfp {
                pipeline_id: "p1".into(),
                version_id: "v1".into(),
            },
            run_name: "train 2026-11-28".into(),
            experiment: Some("Default".into()),
            params: vec![
                (spec("epochs", ParamType::Int, Some("10")), None),
                (spec("lr", ParamType::Double, None), None),
            ],
        })
    }

    #[test]
    fn fields_validate_as_you_type_and_submit_builds_the_kfp_body() {
        let mut f = kfp_form();
        assert_eq!(f.errors(), 1, "lr has no default: required");
        press(&mut f, "tab");
        press(&mut f, "tab");
        assert_eq!(f.fields[2].text(), "10", "pre-filled with the default");
        press(&mut f, "backspace");
        press(&mut f, "backspace");
        type_text(&mut f, "ten");
        assert_eq!(f.fields[2].error.as_deref(), Some("\"ten\" is not an integer"));
        assert_eq!(press(&mut f, "ctrl-s"), FormOutcome::Stay);
        assert!(f.error.as_deref().unwrap_or("").starts_with("epochs"));
        for _ in 0..3 {
            press(&mut f, "backspace");
        }
        type_text(&mut f, "12");
        assert!(f.fields[2].error.is_none());
        press(&mut f, "enter");
        type_text(&mut f, "0.5");
        let FormOutcome::Submit(NewRun::Kfp { body, experiment, .. }) = press(&mut f, "enter") else {
            panic!("enter on the last valid field submits");
        };
        assert_eq!(experiment.as_deref(), Some("Default"));
        assert_eq!(body["display_name"], "train 2026-11-28");
        assert_eq!(
            body["runtime_config"]["parameters"],
            json!({"epochs": 12, "lr": 0.5})
        );
        assert_eq!(body["pipeline_version_reference"]["pipeline_version_id"], "v1");
    }

    #[test]
    fn the_yaml_editor_round_trips_and_reports_bad_yaml() {
        let mut f = RunForm::new(RunFormSeed {
            namespace: "team-a".into(),
            title: "template data-prep".into(),
            origin: RunOrigin::Workflow {
                object: json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                    "metadata": {"generateName": "data-prep-"},
                    "spec": {"workflowTemplateRef": {"name": "data-prep"},
                        "arguments": {"parameters": [{"name": "source", "value": "s3://a"}]}}}),
            },
            run_name: String::new(),
            experiment: None,
            params: vec![(
                spec("source", ParamType::String, Some("s3://a")),
                Some("s3://b".into()),
            )],
        });
        type_text(&mut f, "Bad_Name");
        assert!(f.fields[0].error.is_some(), "names are checked");
        for _ in 0..8 {
            press(&mut f, "backspace");
        }
        press(&mut f, "ctrl-e");
        let text = f.yaml.as_ref().unwrap().lines().join("\n");
        assert!(text.contains("value: s3://b"), "{text}");
        assert!(text.contains("generateName: data-prep-"), "{text}");
        f.yaml.as_mut().unwrap().insert_str("\n: : [");
        assert_eq!(press(&mut f, "ctrl-s"), FormOutcome::Stay);
        assert!(f.error.as_deref().unwrap_or("").contains("does not parse"));
        press(&mut f, "esc");
        assert!(f.yaml.is_none(), "esc leaves the editor, not the form");
        let FormOutcome::Submit(NewRun::Workflow { object, namespace }) = press(&mut f, "ctrl-s") else {
            panic!("a valid template form submits");
        };
        assert_eq!(namespace, "team-a");
        assert_eq!(object["metadata"]["namespace"], "team-a");
        assert_eq!(
            object["spec"]["arguments"]["parameters"],
            json!([{"name": "source", "value": "s3://b"}])
        );
        assert_eq!(press(&mut f, "esc"), FormOutcome::Close);
    }
}
