//! The context, namespace, log container and forwarded port pickers: a filterable list in a popup.

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::filter::contains_ignore_case;
use crate::app::state::LineInput;
use crate::app::state::State;

/// What a picker chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PickerKind {
    Namespace,
    Context,
    /// The container of the open logs (`None`: all containers).
    Container,
    /// What a new run starts from.
    RunSource,
    /// The port of a pod or Service to forward.
    ForwardPort,
}

/// One choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerItem {
    /// What choosing it sets; `None` is "all namespaces".
    pub value: Option<String>,
    pub label: String,
    /// A second column: "Kubeflow profile · owner …", the cluster of a context, …
    pub detail: String,
}

/// An open picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub kind: PickerKind,
    pub items: Vec<PickerItem>,
    pub filter: LineInput,
    /// Indices into `items` that match the filter.
    pub visible: Vec<usize>,
    pub selected: usize,
    /// Why the list may be incomplete (e.g. listing namespaces is forbidden).
    pub note: Option<String>,
    /// Waiting for the first list.
    pub loading: bool,
    /// The value in use when the picker opened; selected once it is listed.
    pub current: Option<String>,
}

impl Picker {
    pub fn new(kind: PickerKind, items: Vec<PickerItem>, current: Option<&str>) -> Picker {
        let mut p = Picker {
            kind,
            items,
            filter: LineInput::default(),
            visible: Vec::new(),
            selected: 0,
            note: None,
            loading: false,
            current: current.map(str::to_string),
        };
        p.refilter();
        if let Some(pos) = p
            .visible
            .iter()
            .position(|i| p.items.get(*i).is_some_and(|it| it.value.as_deref() == current))
        {
            p.selected = pos;
        }
        p
    }

    /// Replaces the items (a namespace list arrived), keeping the selected value.
    pub fn set_items(&mut self, items: Vec<PickerItem>) {
        let keep = if self.loading || self.items.len() <= 1 {
            Some(self.current.clone())
        } else {
            self.selected_item().map(|i| i.value.clone())
        };
        self.items = items;
        self.loading = false;
        self.refilter();
        if let Some(pos) = keep.and_then(|v| {
            self.visible
                .iter()
                .position(|i| self.items.get(*i).is_some_and(|it| it.value == v))
        }) {
            self.selected = pos;
        }
    }

    pub fn refilter(&mut self) {
        let needle = self.filter.text.to_lowercase();
        self.visible = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                contains_ignore_case(&it.label, &needle) || contains_ignore_case(&it.detail, &needle)
            })
            .map(|(i, _)| i)
            .collect();
        // Typing narrows to the best match first, as fuzzy finders do.
        self.selected = 0;
    }

    pub fn move_by(&mut self, delta: isize) {
        let len = self.visible.len() as isize;
        if len == 0 {
            return;
        }
        self.selected = (self.selected as isize + delta).clamp(0, len - 1) as usize;
    }

    pub fn selected_item(&self) -> Option<&PickerItem> {
        self.visible.get(self.selected).and_then(|i| self.items.get(*i))
    }

    /// What enter chooses: the selected item, or the typed text when nothing matches (a
    /// namespace the user may use but cannot list).
    pub fn choice(&self) -> Option<Option<String>> {
        match self.selected_item() {
            Some(item) => Some(item.value.clone()),
            None if !self.filter.text.trim().is_empty() => Some(Some(self.filter.text.trim().to_string())),
            None => None,
        }
    }
}

/// An action while a picker is open: move, choose, close.
pub fn picker_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let page = state.list_height.max(1) as isize;
    let Some(picker) = state.picker.as_mut() else {
        return;
    };
    match action {
        Action::Cancel => state.picker = None,
        Action::Quit => state.running = false,
        Action::Up => picker.move_by(-1),
        Action::Down => picker.move_by(1),
        Action::PageUp => picker.move_by(-page),
        Action::PageDown => picker.move_by(page),
        Action::Accept => {
            let kind = picker.kind;
            let choice = picker.choice();
            state.picker = None;
            match (kind, choice) {
                (PickerKind::Namespace, Some(ns)) => crate::app::update::set_namespace(state, ns, effects),
                (PickerKind::Context, Some(Some(ctx))) => {
                    crate::app::update::set_context(state, &ctx, effects)
                }
                (PickerKind::Container, Some(c)) => crate::app::logs::choose_container(state, c, effects),
                (PickerKind::RunSource, Some(v)) => crate::app::run_actions::choose_source(state, v),
                (PickerKind::ForwardPort, Some(Some(port))) => {
                    crate::app::connections::choose_port(state, &port, effects)
                }
                _ => {}
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(v: &str, detail: &str) -> PickerItem {
        PickerItem {
            value: Some(v.into()),
            label: v.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn filter_selection_and_typed_choice() {
        let items = vec![
            item("team-a", "Kubeflow profile"),
            item("team-b", "Kubeflow profile"),
            item("default", ""),
        ];
        let mut p = Picker::new(PickerKind::Namespace, items, Some("team-b"));
        assert_eq!(p.selected, 1, "starts on the current value");
        p.filter.insert_str("def");
        p.refilter();
        assert_eq!(p.choice(), Some(Some("default".into())));
        p.filter.clear();
        p.filter.insert_str("secret-ns");
        p.refilter();
        assert_eq!(
            p.choice(),
            Some(Some("secret-ns".into())),
            "a name that cannot be listed can be typed"
        );
        p.filter.clear();
        p.refilter();
        p.move_by(10);
        assert_eq!(p.selected, 2);
        p.set_items(vec![item("default", ""), item("team-a", "")]);
        assert_eq!(
            p.selected_item().unwrap().label,
            "default",
            "selection survives a new list"
        );
    }
}
