//! The resource view: any kind, with the columns the API server's Table gives it (what
//! `kubectl get` prints), a live age, and a pod's GPUs; statuses and warnings coloured.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use crate::app::state::State;
use crate::config::theme::Role;
use crate::kube::resources::table::{Column, TableRow};
use crate::ui::View;
use crate::ui::format::age;
use crate::ui::panes::table::{self, Col, Nouns};

pub struct ClusterPane<'a> {
    pub state: &'a State,
    pub view: &'a View<'a>,
}

/// The role a status word (a pod's, a PVC's, a node's…) or an event's type is coloured with.
pub fn status_role(word: &str) -> Role {
    let w = word.trim();
    let failed = [
        "Error",
        "Failed",
        "CrashLoopBackOff",
        "OOMKilled",
        "ImagePullBackOff",
        "ErrImagePull",
        "Evicted",
        "Lost",
        "NotReady",
        "Warning",
        "CreateContainerConfigError",
        "InvalidImageName",
    ];
    if failed.iter().any(|f| w.contains(f)) || w.starts_with("Init:Error") || w.starts_with("Init:Crash") {
        Role::StatusFailed
    } else if ["Running", "Bound", "Ready", "Active", "True"].contains(&w) {
        Role::StatusRunning
    } else if ["Completed", "Succeeded"].contains(&w) {
        Role::StatusSucceeded
    } else if w.starts_with("Init:")
        || ["Pending", "ContainerCreating", "PodInitializing", "Terminating"].contains(&w)
    {
        Role::StatusPending
    } else {
        Role::Text
    }
}

/// Which server columns the view shows, by index: not the name (the view's own first column,
/// and an event's name says nothing kubectl shows) nor the namespace (the view's own too).
fn shown_columns(columns: &[Column]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.name.eq_ignore_ascii_case("name") && !c.name.eq_ignore_ascii_case("namespace"))
        .map(|(i, _)| i)
        .collect()
}

fn is_status(c: &Column) -> bool {
    ["status", "phase", "state", "type"]
        .iter()
        .any(|n| c.name.eq_ignore_ascii_case(n))
}

impl Widget for ClusterPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.view.theme;
        let c = &self.state.cluster;
        let list = &c.list;
        let title = match &c.scope {
            Some(scope) => format!("{} · {scope}", c.kind.title()),
            None => c.kind.title(),
        };
        let plural = c.kind.plural.clone();
        let nouns = Nouns {
            title: &title,
            plural: &plural,
            resource: &c.kind.resource,
        };
        let Some(inner) = table::frame(list, &nouns, self.state, theme, area, buf) else {
            return;
        };
        let server = shown_columns(&c.columns);
        let namespace = c.kind.namespaced && self.state.target.namespace.is_none();
        let gpus = c.kind.is_pods() && list.rows.iter().any(|r| r.gpus > 0);
        let titles: Vec<String> = server.iter().map(|i| c.columns[*i].name.to_uppercase()).collect();
        // Sizes from what the page on screen holds.
        let page: Vec<&TableRow> = list
            .visible
            .iter()
            .skip(list.offset)
            .take(usize::from(inner.height))
            .filter_map(|i| list.rows.get(*i))
            .collect();
        // Events are known by what they say, not by their generated names (as kubectl lists them).
        let own_name = !c.kind.is_events();
        let mut columns = Vec::new();
        if own_name {
            columns.push(Col::new("NAME", Constraint::Fill(2)).at_least(16).sorts("name"));
        }
        if namespace {
            columns.push(
                Col::new("NAMESPACE", Constraint::Max(20))
                    .at_least(10)
                    .gives_way(30)
                    .sorts("namespace"),
            );
        }
        for (n, (i, title)) in server.iter().zip(&titles).enumerate() {
            let def = &c.columns[*i];
            let widest = page
                .iter()
                .map(|r| r.cell(*i).width())
                .max()
                .unwrap_or(0)
                .max(title.width() + 1);
            let step = u8::try_from(n).unwrap_or(u8::MAX).min(20);
            let giving = if def.priority > 0 { 40 + step } else { 2 + step };
            let mut col = if def.is_age() {
                Col::new(title, Constraint::Length(6)).gives_way(1).sorts("age")
            } else if def.is_last_seen() && c.kind.is_events() {
                Col::new(title, Constraint::Length(9))
            } else if def.name.eq_ignore_ascii_case("message") && widest > 24 {
                // A message: wide enough to read before the wide columns get room, and the last
                // of the others to give way (it says more than the rest).
                let (min, giving) = if def.priority > 0 { (16, giving) } else { (30, 2) };
                Col::new(title, Constraint::Min(min)).gives_way(giving)
            } else if widest > 24 {
                // A long name (an event's object): shortened before a message is dropped.
                Col::new(title, Constraint::Min(16)).gives_way(giving)
            } else {
                let w = u16::try_from(widest).unwrap_or(40);
                Col::new(title, Constraint::Length(w))
                    .at_least(w)
                    .gives_way(giving)
            };
            if is_status(def) {
                col = col.sorts(if c.kind.is_events() { "type" } else { "status" });
            } else if def.name.eq_ignore_ascii_case("restarts") {
                col = col.sorts("restarts");
            }
            columns.push(col);
        }
        if gpus {
            columns.push(Col::new("GPU", Constraint::Length(3)).gives_way(3));
        }
        let usage = c.kind.is_pods() && !c.usage.is_empty();
        if usage {
            columns.push(Col::new("CPU", Constraint::Length(6)).gives_way(8));
            columns.push(Col::new("MEM", Constraint::Length(7)).gives_way(8));
        }
        let now = self.state.now;
        let defs = &c.columns;
        table::table(list, columns, theme, inner, buf, |r, marked| {
            let mut cells = Vec::with_capacity(defs.len() + 3);
            if own_name {
                cells.push(table::name_line(&r.name, marked, theme));
            }
            if namespace {
                cells.push(Line::from(&*r.namespace));
            }
            for i in &server {
                let def = &defs[*i];
                let text = r.cell(*i);
                cells.push(if def.is_age() {
                    Line::from(age(r.created, now))
                } else if is_status(def) {
                    Line::styled(text, theme.style(status_role(text)))
                } else if def.is_last_seen() && c.kind.is_events() {
                    Line::from(age(r.event.as_ref().and_then(|e| e.last_seen), now))
                } else {
                    Line::from(text)
                });
            }
            if gpus {
                cells.push(Line::from(if r.gpus > 0 {
                    r.gpus.to_string()
                } else {
                    String::new()
                }));
            }
            if usage {
                match c.usage.get(&format!("{}/{}", r.namespace, r.name)) {
                    Some(u) => cells.extend([
                        Line::from(crate::kube::pod_usage::cpu_text(u.cpu_milli)),
                        Line::from(crate::kube::pod_usage::memory_text(u.memory)),
                    ]),
                    None => cells.extend([Line::from(""), Line::from("")]),
                }
            }
            if !own_name
                && marked
                && let Some(first) = cells.first_mut()
            {
                first
                    .spans
                    .insert(0, ratatui::text::Span::styled("* ", theme.style(Role::Filter)));
            }
            cells
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_coloured_as_kubectl_users_read_them() {
        assert_eq!(status_role("CrashLoopBackOff"), Role::StatusFailed);
        assert_eq!(status_role("Init:CrashLoopBackOff"), Role::StatusFailed);
        assert_eq!(status_role("OOMKilled"), Role::StatusFailed);
        assert_eq!(status_role("Warning"), Role::StatusFailed);
        assert_eq!(status_role("Running"), Role::StatusRunning);
        assert_eq!(status_role("Bound"), Role::StatusRunning);
        assert_eq!(status_role("Completed"), Role::StatusSucceeded);
        assert_eq!(status_role("Init:0/2"), Role::StatusPending);
        assert_eq!(status_role("Normal"), Role::Text);
    }
}
