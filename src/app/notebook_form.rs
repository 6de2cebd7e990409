//! The new-notebook form: name, image, CPU, memory, GPUs, workspace volume and PodDefaults,
//! validated as you type; submit creates the workspace PVC and the Notebook as the Jupyter web
//! app does.

use crate::app::action::Action;
use serde_json::{Map, json};

use crate::app::effect::Effect;
use crate::app::form::{FormField, check_name, to_input};
use crate::app::msg::Msg;
use crate::app::pane::PaneId;
use crate::app::state::{Level, Notice, State};
use crate::config::keymap::Key;
pub use crate::kube::new_notebook::{NewNotebook, PodDefault};
use crate::kube::resources::notebook::{GPU, SERVER_TYPE};

/// The images the Kubeflow notebook working group publishes, offered with `ctrl-n`.
pub const IMAGES: &[&str] = &[
    "kubeflownotebookswg/jupyter-scipy:v1.10.0",
    "kubeflownotebookswg/jupyter-pytorch-full:v1.10.0",
    "kubeflownotebookswg/jupyter-tensorflow-full:v1.10.0",
    "kubeflownotebookswg/codeserver-python:v1.10.0",
    "kubeflownotebookswg/rstudio-tidyverse:v1.10.0",
];

/// The field order.
pub const NAME: usize = 0;
pub const IMAGE: usize = 1;
pub const CPU: usize = 2;
pub const MEMORY: usize = 3;
pub const GPUS: usize = 4;
pub const WORKSPACE: usize = 5;
pub const POD_DEFAULTS: usize = 6;

/// News for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotebookFormEvent {
    /// The namespace's PodDefaults, or why they could not be listed.
    PodDefaults {
        request: u64,
        result: Result<Vec<PodDefault>, String>,
    },
    /// The notebook was created (its name), or the error.
    Created {
        request: u64,
        result: Result<String, String>,
    },
}

/// The open form.
#[derive(Debug, Clone)]
pub struct NotebookForm {
    pub namespace: String,
    pub fields: Vec<FormField>,
    pub focus: usize,
    /// The namespace's PodDefaults; `None` while loading.
    pub pod_defaults: Option<Vec<PodDefault>>,
    /// The request listing them.
    pub loading: u64,
    /// Why the last submit did not happen.
    pub error: Option<String>,
    /// The create request in flight.
    pub submitting: Option<u64>,
}

/// A Kubernetes quantity (`500m`, `1.5`, `1Gi`, `2e3`), non-negative.
pub fn check_quantity(text: &str) -> Result<(), String> {
    let bad = || Err(format!("{text:?} is not a quantity (like 500m, 1.5, 1Gi)"));
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, suffix) = t.split_at(split);
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if digits == 0 || number.matches('.').count() > 1 {
        return bad();
    }
    let suffix_ok = matches!(
        suffix,
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()));
    if suffix_ok { Ok(()) } else { bad() }
}

fn check_gpus(text: &str) -> Result<(), String> {
    match text.trim().parse::<u32>() {
        Ok(_) => Ok(()),
        Err(_) => Err(format!("{:?} is not a whole number ≥ 0", text.trim())),
    }
}

/// The kind of server an image runs, as the Jupyter web app names it.
fn server_type(image: &str) -> &'static str {
    if image.contains("codeserver") {
        "group-one"
    } else if image.contains("rstudio") {
        "group-two"
    } else {
        "jupyter"
    }
}

fn names(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl NotebookForm {
    pub fn new(namespace: String, loading: u64) -> NotebookForm {
        let field = |label: &str, hint: &str, value: &str, placeholder: &str| {
            FormField::new(label.into(), hint.into(), None, value, placeholder)
        };
        let fields = vec![
            field("name", "lower-case letters, digits and '-'", "", "my-notebook"),
            field(
                "image",
                "suggested (the footer names the keys): jupyter-scipy, jupyter-pytorch-full, jupyter-tensorflow-full, codeserver-python, rstudio-tidyverse",
                IMAGES[0],
                "",
            ),
            field("cpu", "CPU request, e.g. 500m or 1", "0.5", ""),
            field("memory", "memory request, e.g. 1Gi", "1Gi", ""),
            field("gpus", "nvidia.com/gpu, a whole number", "0", ""),
            field(
                "workspace",
                "PVC <name>-workspace at /home/jovyan; empty: none",
                "5Gi",
                "none",
            ),
            field("pod defaults", "listing the namespace's PodDefaults…", "", "none"),
        ];
        let mut form = NotebookForm {
            namespace,
            fields,
            focus: 0,
            pod_defaults: None,
            loading,
            error: None,
            submitting: None,
        };
        form.check_all();
        form
    }

    fn check(&self, i: usize) -> Option<String> {
        let text = self.fields[i].text();
        let t = text.trim();
        let r = match i {
            NAME if t.is_empty() => Err("required".into()),
            NAME => check_name(t).and_then(|()| {
                if t.contains('.') {
                    Err("no '.': the name is also a Service's".into())
                } else if !t.starts_with(|c: char| c.is_ascii_lowercase()) {
                    Err("starts with a letter: the name is also a Service's".into())
                } else {
                    Ok(())
                }
            }),
            IMAGE if t.is_empty() => Err("required".into()),
            IMAGE if t.contains(char::is_whitespace) => Err("no spaces in an image".into()),
            CPU | MEMORY if t.is_empty() => Err("required".into()),
            CPU | MEMORY => check_quantity(t),
            WORKSPACE if t.is_empty() => Ok(()),
            WORKSPACE => check_quantity(t),
            GPUS => check_gpus(t),
            POD_DEFAULTS => match &self.pod_defaults {
                Some(known) => names(t)
                    .into_iter()
                    .find(|n| !known.iter().any(|p| p.name == *n))
                    .map_or(Ok(()), |n| {
                        Err(format!("no PodDefault {n:?} in {}", self.namespace))
                    }),
                None => Ok(()),
            },
            _ => Ok(()),
        };
        r.err()
    }

    fn check_all(&mut self) {
        for i in 0..self.fields.len() {
            self.fields[i].error = self.check(i);
        }
    }

    /// The number of fields with an error.
    pub fn errors(&self) -> usize {
        self.fields.iter().filter(|f| f.error.is_some()).count()
    }

    /// The namespace's PodDefaults arrived.
    pub fn set_pod_defaults(&mut self, result: Result<Vec<PodDefault>, String>) {
        let f = &mut self.fields[POD_DEFAULTS];
        match result {
            Ok(list) => {
                f.hint = if list.is_empty() {
                    format!("{} has no PodDefaults", self.namespace)
                } else {
                    let each: Vec<String> = list.iter().map(|p| format!("{} ({})", p.name, p.desc)).collect();
                    format!("comma-separated: {}", each.join(", "))
                };
                self.pod_defaults = Some(list);
            }
            Err(e) => {
                f.hint = format!("cannot list PodDefaults: {e}");
                self.pod_defaults = Some(Vec::new());
            }
        }
        self.check_all();
    }

    /// The PVC and Notebook the fields describe.
    pub fn build(&self) -> Result<NewNotebook, String> {
        if let Some(bad) = self.fields.iter().find(|f| f.error.is_some()) {
            return Err(format!(
                "{}: {}",
                bad.label,
                bad.error.as_deref().unwrap_or("invalid")
            ));
        }
        let v = |i: usize| self.fields[i].text().trim().to_string();
        let (name, image, ns) = (v(NAME), v(IMAGE), self.namespace.clone());
        let gpus: u32 = v(GPUS).parse().unwrap_or(0);
        let mut requests = Map::new();
        requests.insert("cpu".into(), json!(v(CPU)));
        requests.insert("memory".into(), json!(v(MEMORY)));
        let mut limits = requests.clone();
        if gpus > 0 {
            limits.insert(GPU.into(), json!(gpus.to_string()));
        }
        let mut labels = Map::new();
        labels.insert("app".into(), json!(name));
        let chosen = names(&v(POD_DEFAULTS));
        for pd in self.pod_defaults.iter().flatten() {
            if chosen.contains(&pd.name) {
                for (k, val) in &pd.labels {
                    labels.insert(k.clone(), json!(val));
                }
            }
        }
        let server = server_type(&image);
        let mut annotations = Map::new();
        annotations.insert(SERVER_TYPE.into(), json!(server));
        if server != "jupyter" {
            annotations.insert("notebooks.kubeflow.org/http-rewrite-uri".into(), json!("/"));
        }
        if server == "group-two" {
            annotations.insert(
                "notebooks.kubeflow.org/http-headers-request-set".into(),
                json!(format!("{{\"X-RStudio-Root-Path\":\"/notebook/{ns}/{name}/\"}}")),
            );
        }
        let mut mounts = vec![json!({"mountPath": "/dev/shm", "name": "dshm"})];
        let mut volumes = vec![json!({"name": "dshm", "emptyDir": {"medium": "Memory"}})];
        let size = v(WORKSPACE);
        let pvc = (!size.is_empty()).then(|| {
            let claim = format!("{name}-workspace");
            mounts.insert(0, json!({"mountPath": "/home/jovyan", "name": claim}));
            volumes.insert(
                0,
                json!({"name": claim, "persistentVolumeClaim": {"claimName": claim}}),
            );
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": ns},
                "spec": {"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": size}}}})
        });
        let notebook = json!({
            "apiVersion": "kubeflow.org/v1",
            "kind": "Notebook",
            "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": annotations},
            "spec": {"template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": "default-editor",
                    "containers": [{
                        "name": name,
                        "image": image,
                        "imagePullPolicy": "IfNotPresent",
                        "resources": {"requests": requests, "limits": limits},
                        "volumeMounts": mounts,
                    }],
                    "volumes": volumes,
                },
            }},
        });
        Ok(NewNotebook {
            namespace: ns,
            pvc,
            notebook,
        })
    }

    fn cycle_image(&mut self, step: isize) {
        let f = &mut self.fields[IMAGE];
        let now = f.text();
        let n = IMAGES.len() as isize;
        let at = IMAGES.iter().position(|i| *i == now.trim());
        let next = match at {
            Some(i) => (i as isize + step).rem_euclid(n),
            None if step > 0 => 0,
            None => n - 1,
        };
        let mut input = tui_textarea::TextArea::new(vec![IMAGES[next as usize].to_string()]);
        input.move_cursor(tui_textarea::CursorMove::End);
        f.input = input;
    }

    /// Handles one key.
    /// An action of the form.
    pub fn on_action(&mut self, action: Action) -> Outcome {
        if self.submitting.is_some() {
            return if action == Action::Cancel {
                Outcome::Close
            } else {
                Outcome::Stay
            };
        }
        let n = self.fields.len();
        match action {
            Action::Cancel => return Outcome::Close,
            Action::NextField => self.focus = (self.focus + 1) % n,
            Action::PrevField => self.focus = (self.focus + n - 1) % n,
            Action::Submit => return self.submit(),
            Action::Accept if self.focus + 1 == n => return self.submit(),
            Action::Accept => self.focus += 1,
            Action::NextChoice if self.on_image() => self.cycle_image(1),
            Action::PrevChoice if self.on_image() => self.cycle_image(-1),
            _ => {}
        }
        self.fields[self.focus].error = self.check(self.focus);
        Outcome::Stay
    }

    /// Whether the image field has the focus (where the suggested images can be cycled).
    pub fn on_image(&self) -> bool {
        self.focus == IMAGE
    }

    /// Typing into the focused field.
    pub fn on_typing(&mut self, key: &Key) {
        if self.submitting.is_some() {
            return;
        }
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.input.input(to_input(key));
        }
        self.fields[self.focus].error = self.check(self.focus);
    }

    /// Pasted text goes into the focused field.
    pub fn paste(&mut self, text: &str) {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.input.insert_str(&clean);
        }
        self.fields[self.focus].error = self.check(self.focus);
    }

    fn submit(&mut self) -> Outcome {
        self.check_all();
        match self.build() {
            Ok(nb) => Outcome::Submit(nb),
            Err(e) => {
                self.error = Some(e);
                if let Some(i) = self.fields.iter().position(|f| f.error.is_some()) {
                    self.focus = i;
                }
                Outcome::Stay
            }
        }
    }
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Stay,
    Close,
    Submit(NewNotebook),
}

fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

/// `new-notebook`: open the form, listing the namespace's PodDefaults meanwhile.
pub fn open(state: &mut State, effects: &mut Vec<Effect>) {
    let namespace = state
        .target
        .namespace
        .clone()
        .or_else(|| state.notebooks.selected_row().map(|r| r.namespace.clone()));
    let Some(namespace) = namespace else {
        notice(
            state,
            Level::Warn,
            "pick a namespace for the new notebook first (:ns NAME)".into(),
        );
        return;
    };
    state.pane = PaneId::Notebooks;
    state.request_seq += 1;
    let request = state.request_seq;
    state.notebook_form = Some(NotebookForm::new(namespace.clone(), request));
    effects.push(Effect::LoadPodDefaults {
        request,
        context: state.target.context.clone(),
        namespace,
    });
}

/// A key while the form is open.
pub fn form_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    state.dirty = true;
    let Some(form) = state.notebook_form.as_mut() else {
        return;
    };
    match form.on_action(action) {
        Outcome::Stay => {}
        Outcome::Close => state.notebook_form = None,
        Outcome::Submit(notebook) => {
            state.request_seq += 1;
            let request = state.request_seq;
            form.submitting = Some(request);
            form.error = None;
            effects.push(Effect::CreateNotebook {
                request,
                context: state.target.context.clone(),
                notebook,
            });
        }
    }
}

/// Handles the form's news; true when `msg` was some.
pub fn on_msg(state: &mut State, msg: &Msg) -> bool {
    let Msg::NotebookForm(event) = msg else {
        return false;
    };
    match event {
        NotebookFormEvent::PodDefaults { request, result } => {
            if let Some(form) = state.notebook_form.as_mut().filter(|f| f.loading == *request) {
                form.set_pod_defaults(result.clone());
                state.dirty = true;
            }
        }
        NotebookFormEvent::Created { request, result } => {
            let Some(form) = state
                .notebook_form
                .as_mut()
                .filter(|f| f.submitting == Some(*request))
            else {
                return true;
            };
            match result {
                Ok(name) => {
                    let ns = form.namespace.clone();
                    state.notebook_form = None;
                    state.select_notebook = Some((ns, name.clone()));
                    select_created(state);
                    notice(
                        state,
                        Level::Info,
                        format!("created notebook {name}; it is starting"),
                    );
                }
                Err(e) => {
                    form.submitting = None;
                    form.error = Some(e.clone());
                    state.dirty = true;
                }
            }
        }
    }
    true
}

/// Selects the notebook just created once the list has it.
pub fn select_created(state: &mut State) {
    let Some((ns, name)) = state.select_notebook.clone() else {
        return;
    };
    let list = &mut state.notebooks;
    if let Some(pos) = list.visible.iter().position(|i| {
        list.rows
            .get(*i)
            .is_some_and(|r| r.namespace == ns && r.name == name)
    }) {
        list.selected = pos;
        list.clamp(state.list_height);
        state.select_notebook = None;
        state.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        s.parse().unwrap()
    }

    /// A key as the view stack routes it: the form's keymap section, else typing.
    fn press(f: &mut NotebookForm, k: &str) -> Outcome {
        use crate::config::keymap::{KeymapResult, Scope};
        match crate::config::keymap::Keymap::default().resolve_in(&[Scope::View("notebook-form")], &[key(k)])
        {
            KeymapResult::Matched(a) => f.on_action(a),
            _ => {
                f.on_typing(&key(k));
                Outcome::Stay
            }
        }
    }

    fn type_text(form: &mut NotebookForm, text: &str) {
        for c in text.chars() {
            form.on_typing(&Key::char(c));
        }
    }

    #[test]
    fn quantities_are_checked() {
        for ok in ["1", "500m", "1.5", "1Gi", "512Mi", "2e3", ".5"] {
            assert_eq!(check_quantity(ok), Ok(()), "{ok}");
        }
        for bad in ["", "1GB", "one", "1..2", "-1", "Gi"] {
            assert!(check_quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_form_builds_the_pvc_and_notebook_the_web_app_would() {
        let mut f = NotebookForm::new("team-a".into(), 1);
        f.set_pod_defaults(Ok(vec![PodDefault {
            name: "access-ml-pipeline".into(),
            desc: "KFP".into(),
            labels: vec![("access-ml-pipeline".into(), "true".into())],
        }]));
        type_text(&mut f, "My_NB");
        assert!(f.fields[NAME].error.is_some(), "checked as you type");
        for _ in 0..5 {
            press(&mut f, "backspace");
        }
        type_text(&mut f, "nb1");
        assert!(f.fields[NAME].error.is_none());
        press(&mut f, "home");
        type_text(&mut f, "1");
        assert!(
            f.fields[NAME]
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("starts with a letter"))
        );
        press(&mut f, "backspace");
        assert!(f.fields[NAME].error.is_none());
        press(&mut f, "tab");
        press(&mut f, "ctrl-n");
        assert_eq!(f.fields[IMAGE].text(), IMAGES[1]);
        f.focus = GPUS;
        press(&mut f, "backspace");
        type_text(&mut f, "1");
        f.focus = POD_DEFAULTS;
        type_text(&mut f, "nope");
        assert!(f.fields[POD_DEFAULTS].error.is_some());
        for _ in 0..4 {
            press(&mut f, "backspace");
        }
        type_text(&mut f, "access-ml-pipeline");
        let Outcome::Submit(nb) = press(&mut f, "enter") else {
            panic!("a valid form submits: {:?}", f.error);
        };
        let pvc = nb.pvc.unwrap();
        assert_eq!(pvc["metadata"]["name"], "nb1-workspace");
        assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "5Gi");
        let o = &nb.notebook;
        let c = &o["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["image"], IMAGES[1]);
        assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1");
        assert_eq!(c["volumeMounts"][0]["mountPath"], "/home/jovyan");
        assert_eq!(o["metadata"]["annotations"][SERVER_TYPE], "jupyter");
        assert_eq!(
            o["spec"]["template"]["metadata"]["labels"]["access-ml-pipeline"],
            "true"
        );
    }
}
