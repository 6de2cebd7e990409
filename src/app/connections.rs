//! Open connections (local proxies) to notebooks and forwarded ports, and their list: the part of
//! `update` that drives `connect`, `port-forward` (`F`, `:pf PORT`) and `connections` (`:pf`).

use crate::app::action::Action;
use crate::app::effect::Effect;
use crate::app::msg::Msg;
use crate::app::pane::PaneId;
use crate::app::picker::{Picker, PickerItem, PickerKind};
use crate::app::state::{Level, Notice, State};
pub use crate::kube::connect::{
    Forward, ForwardKind, ForwardLookup, ForwardPort, ForwardTarget, PortChoice, ProxyEvent, Remote, Token,
    Via,
};
use crate::kube::resources::notebook::NotebookStatus;

/// One local proxy to a notebook, or to a port of a pod or Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: u64,
    pub context: String,
    /// The notebook's, pod's or Service's.
    pub namespace: String,
    pub name: String,
    /// The port forwarded (`None`: a notebook's connection).
    pub forward: Option<Forward>,
    /// The local port, once listening.
    pub port: Option<u16>,
    /// How requests reach the notebook, once listening.
    pub via: Option<Via>,
    /// The secret that opens it, once listening.
    pub token: Option<Token>,
    /// Requests forwarded so far.
    pub requests: u64,
    /// Requests refused (403, not forwarded) so far, and why the last one was.
    pub refused: u64,
    pub last_refused: Option<String>,
    /// WebSockets (kernels, terminals) open through it now.
    pub sockets: u32,
    pub last_error: Option<String>,
}

impl Connection {
    /// A connection being opened: nothing listens or has been served yet.
    pub fn opening(
        id: u64,
        context: String,
        namespace: String,
        name: String,
        forward: Option<Forward>,
    ) -> Connection {
        Connection {
            id,
            context,
            namespace,
            name,
            forward,
            port: None,
            via: None,
            token: None,
            requests: 0,
            refused: 0,
            last_refused: None,
            sockets: 0,
            last_error: None,
        }
    }

    /// The URL a browser opens, once listening: it carries the connection's token.
    pub fn url(&self) -> Option<String> {
        let (port, token) = (self.port?, self.token.as_ref()?);
        Some(match &self.forward {
            Some(_) => crate::kube::connect::forward_url_with_token(port, token),
            None => crate::kube::connect::notebook_url_with_token(port, &self.namespace, &self.name, token),
        })
    }

    /// What it reaches, as the list shows it: `NS/NAME` for a notebook, `pod/NAME:PORT` or
    /// `svc/NAME:PORT` for a forward.
    pub fn target(&self) -> String {
        match &self.forward {
            Some(f) => f.label(),
            None => format!("{}/{}", self.namespace, self.name),
        }
    }

    /// What it reaches, in a sentence (`notebook NAME`, `pod/NAME:PORT`).
    pub fn what(&self) -> String {
        match &self.forward {
            Some(f) => f.label(),
            None => format!("notebook {}", self.name),
        }
    }
}

/// The open connections and their list popup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connections {
    pub list: Vec<Connection>,
    /// The list popup is open.
    pub open: bool,
    pub selected: usize,
    next_id: u64,
    /// The port lookup awaited (its request number and where it looks), for `F` and `:pf PORT`.
    pub lookup: Option<(u64, ForwardLookup)>,
    /// The target whose port the open picker chooses.
    pub picking: Option<ForwardTarget>,
    next_request: u64,
}

fn notice(state: &mut State, level: Level, text: String) {
    state.notice = Some(Notice { level, text });
    state.dirty = true;
}

/// `connect`: a local proxy to the selected notebook, its URL shown and copied; on
/// `connect_port` or above when configured, on any free port otherwise.
pub fn connect(state: &mut State, effects: &mut Vec<Effect>) {
    let port = state.connect_port.map_or(PortChoice::Any, PortChoice::From);
    connect_on(state, port, effects);
}

/// `connect PORT`: as [`connect`], on exactly that port.
pub fn connect_command(state: &mut State, port: &str, effects: &mut Vec<Effect>) {
    match port.parse::<u16>() {
        Ok(p) if p > 0 => connect_on(state, PortChoice::Exactly(p), effects),
        _ => notice(
            state,
            Level::Error,
            format!("connect takes a port from 1 to 65535, not {port:?}"),
        ),
    }
}

fn connect_on(state: &mut State, port: PortChoice, effects: &mut Vec<Effect>) {
    if state.pane != PaneId::Notebooks {
        notice(
            state,
            Level::Info,
            "connect works on a notebook, in the Notebooks pane".into(),
        );
        return;
    }
    let Some(row) = state.notebooks.selected_row() else {
        notice(state, Level::Info, "no notebook selected".into());
        return;
    };
    let (namespace, name, status) = (row.namespace.clone(), row.name.clone(), row.status);
    let context = state.target.context.clone();
    if let Some(c) = state
        .connections
        .list
        .iter()
        .find(|c| c.context == context && c.namespace == namespace && c.name == name)
    {
        match c.url() {
            Some(url) if matches!(port, PortChoice::Exactly(p) if c.port != Some(p)) => notice(
                state,
                Level::Warn,
                format!("notebook {name} is already at {url}: close that connection first (:pf lists them)"),
            ),
            Some(url) => {
                effects.push(Effect::Copy(url.clone()));
                notice(
                    state,
                    Level::Info,
                    format!("notebook {name} is at {url} (copied)"),
                );
            }
            None => notice(state, Level::Info, format!("connecting to notebook {name}…")),
        }
        return;
    }
    if matches!(status, NotebookStatus::Stopped) {
        notice(
            state,
            Level::Warn,
            format!("notebook {name} is stopped: start it first (S)"),
        );
        return;
    }
    let conns = &mut state.connections;
    conns.next_id += 1;
    let id = conns.next_id;
    conns.list.push(Connection::opening(
        id,
        context.clone(),
        namespace.clone(),
        name.clone(),
        None,
    ));
    notice(state, Level::Info, format!("connecting to notebook {name}…"));
    effects.push(Effect::Connect {
        id,
        context,
        namespace,
        name,
        port,
    });
}

/// `port-forward` on the selected row (`F`): its pod's ports, one forwarded straight away or
/// several to pick from; `port` forwards that one.
pub fn port_forward_selected(state: &mut State, port: Option<u16>, effects: &mut Vec<Effect>) {
    let Some(lookup) = selected_lookup(state) else {
        notice(
            state,
            Level::Info,
            "port-forward works on a pod, a service, a notebook or a model (or `:pf` lists the connections)"
                .into(),
        );
        return;
    };
    match lookup {
        Ok(lookup) => look_up(state, lookup, port, effects),
        Err(e) => notice(state, Level::Info, e),
    }
}

/// `:pf PORT` (`:port-forward PORT`): forwards that port of the selection's pod.
pub fn port_forward_command(state: &mut State, port: &str, effects: &mut Vec<Effect>) {
    match parse_port(port) {
        Some(p) => port_forward_selected(state, Some(p), effects),
        None => notice(
            state,
            Level::Error,
            format!("port-forward takes a port from 1 to 65535, not {port:?}"),
        ),
    }
}

fn parse_port(text: &str) -> Option<u16> {
    text.trim().parse::<u16>().ok().filter(|p| *p > 0)
}

/// Where the selection's pod is found: a notebook's (`notebook-name=NAME`), a model's predictor
/// (`serving.kserve.io/inferenceservice=NAME,component=predictor`).
fn selected_lookup(state: &State) -> Option<Result<ForwardLookup, String>> {
    let (namespace, selector, what) = match state.pane {
        PaneId::Notebooks => {
            let Some(r) = state.notebooks.selected_row() else {
                return Some(Err("no notebook selected".into()));
            };
            if matches!(r.status, NotebookStatus::Stopped) {
                return Some(Err(format!("notebook {} is stopped: start it first (S)", r.name)));
            }
            (
                r.namespace.clone(),
                format!("notebook-name={}", r.name),
                format!("notebook/{}", r.name),
            )
        }
        PaneId::Models => {
            let Some(r) = state.models.selected_row() else {
                return Some(Err("no model selected".into()));
            };
            (
                r.namespace.clone(),
                format!(
                    "serving.kserve.io/inferenceservice={},component=predictor",
                    r.name
                ),
                format!("isvc/{}", r.name),
            )
        }
        // The resource view: the selected pod or service itself.
        PaneId::Cluster => {
            let kind = state.cluster.kind;
            if !kind.is_pods() && !kind.is("", "services") {
                return Some(Err(format!(
                    "port-forward works on pods and services, not {}",
                    kind.plural
                )));
            }
            let Some(r) = state.cluster.list.selected_row() else {
                return Some(Err(format!("no {} selected", kind.singular)));
            };
            let target = if kind.is_pods() {
                ForwardTarget::pod(r.namespace.as_ref(), r.name.as_ref())
            } else {
                ForwardTarget::service(r.namespace.as_ref(), r.name.as_ref())
            };
            return Some(Ok(ForwardLookup::Target(target)));
        }
        _ => return None,
    };
    Some(Ok(ForwardLookup::Selector {
        namespace,
        selector,
        what,
    }))
}

/// Forwards `port` of `target` through a local proxy on 127.0.0.1, with the same token, cookie
/// and Host/Origin checks as a notebook's connection; with no `port`, its declared ports are
/// looked up: one is forwarded, several are offered in a picker, none is said.
pub fn port_forward(state: &mut State, target: ForwardTarget, port: Option<u16>, effects: &mut Vec<Effect>) {
    match port {
        Some(port) => start_forward(state, Forward { target, port }, effects),
        None => look_up(state, ForwardLookup::Target(target), None, effects),
    }
}

/// Asks for the pod or Service `lookup` finds and its ports; the answer is a
/// `ProxyEvent::Ports`.
fn look_up(state: &mut State, lookup: ForwardLookup, port: Option<u16>, effects: &mut Vec<Effect>) {
    let conns = &mut state.connections;
    conns.next_request += 1;
    let request = conns.next_request;
    conns.lookup = Some((request, lookup.clone()));
    let what = lookup.what();
    notice(
        state,
        Level::Info,
        match port {
            Some(p) => format!("port-forward to {what}:{p}…"),
            None => format!("looking up the ports of {what}…"),
        },
    );
    effects.push(Effect::ForwardPorts {
        request,
        context: state.target.context.clone(),
        lookup,
        port,
    });
}

/// The ports of a looked-up target arrived: forward the one asked for or the only one, offer
/// several in a picker, say that there are none.
fn on_ports(
    state: &mut State,
    request: u64,
    port: Option<u16>,
    result: &Result<(ForwardTarget, Vec<ForwardPort>), String>,
    effects: &mut Vec<Effect>,
) {
    if state.connections.lookup.as_ref().map(|(r, _)| *r) != Some(request) {
        return;
    }
    let Some((_, lookup)) = state.connections.lookup.take() else {
        return;
    };
    let (target, ports) = match result {
        Ok(found) => found,
        Err(e) => {
            return notice(
                state,
                Level::Error,
                format!("cannot port-forward to {}: {e}", lookup.what()),
            );
        }
    };
    if let Some(port) = port {
        return start_forward(
            state,
            Forward {
                target: target.clone(),
                port,
            },
            effects,
        );
    }
    match ports.as_slice() {
        [] => notice(
            state,
            Level::Info,
            format!(
                "{} declares no ports; `:pf PORT` forwards one by number",
                target.label()
            ),
        ),
        [only] => start_forward(
            state,
            Forward {
                target: target.clone(),
                port: only.port,
            },
            effects,
        ),
        several => {
            let items = several
                .iter()
                .map(|p| PickerItem {
                    value: Some(p.port.to_string()),
                    label: match &p.name {
                        Some(n) => format!("{} ({n})", p.port),
                        None => p.port.to_string(),
                    },
                    detail: [
                        p.protocol.clone().filter(|pr| pr != "TCP"),
                        p.container.as_ref().map(|c| format!("container {c}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                })
                .collect();
            let mut picker = Picker::new(PickerKind::ForwardPort, items, None);
            picker.note = Some(format!(
                "{}: the port to forward (or type another number)",
                target.label()
            ));
            state.connections.picking = Some(target.clone());
            state.picker = Some(picker);
            state.dirty = true;
        }
    }
}

/// The port picker chose `value` (a listed port, or a number typed).
pub fn choose_port(state: &mut State, value: &str, effects: &mut Vec<Effect>) {
    let Some(target) = state.connections.picking.take() else {
        return;
    };
    match parse_port(value) {
        Some(port) => start_forward(state, Forward { target, port }, effects),
        None => notice(
            state,
            Level::Error,
            format!("port-forward takes a port from 1 to 65535, not {value:?}"),
        ),
    }
}

/// The local port of a forward: the remote one or the next free above it where that is not a
/// privileged port, else as `connect` chooses.
fn local_port(state: &State, remote: u16) -> PortChoice {
    if remote >= 1024 {
        PortChoice::From(remote)
    } else {
        state.connect_port.map_or(PortChoice::Any, PortChoice::From)
    }
}

fn start_forward(state: &mut State, forward: Forward, effects: &mut Vec<Effect>) {
    let context = state.target.context.clone();
    let label = forward.label();
    if let Some(c) = state
        .connections
        .list
        .iter()
        .find(|c| c.context == context && c.forward.as_ref() == Some(&forward))
    {
        match c.url() {
            Some(url) => {
                effects.push(Effect::Copy(url.clone()));
                notice(state, Level::Info, format!("{label} is at {url} (copied)"));
            }
            None => notice(state, Level::Info, format!("forwarding {label}…")),
        }
        return;
    }
    let port = local_port(state, forward.port);
    let conns = &mut state.connections;
    conns.next_id += 1;
    let id = conns.next_id;
    conns.list.push(Connection::opening(
        id,
        context.clone(),
        forward.target.namespace.clone(),
        forward.target.name.clone(),
        Some(forward.clone()),
    ));
    notice(state, Level::Info, format!("forwarding {label}…"));
    effects.push(Effect::Forward {
        id,
        context,
        forward,
        port,
    });
}

/// `connections`: open the list.
pub fn open_list(state: &mut State) {
    let c = &mut state.connections;
    c.open = true;
    c.selected = c.selected.min(c.list.len().saturating_sub(1));
    state.dirty = true;
}

/// Keys while the list is open.
pub fn list_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    state.dirty = true;
    let c = &mut state.connections;
    let n = c.list.len();
    match action {
        Action::Cancel => c.open = false,
        Action::Down => c.selected = (c.selected + 1).min(n.saturating_sub(1)),
        Action::Up => c.selected = c.selected.saturating_sub(1),
        Action::Copy => {
            if let Some(url) = c.list.get(c.selected).and_then(Connection::url) {
                effects.push(Effect::Copy(url.clone()));
                notice(state, Level::Info, format!("copied {url}"));
            }
        }
        Action::Disconnect => close_selected(state, effects),
        _ => {}
    }
}

fn close_selected(state: &mut State, effects: &mut Vec<Effect>) {
    let c = &mut state.connections;
    if c.selected >= c.list.len() {
        return;
    }
    let gone = c.list.remove(c.selected);
    c.selected = c.selected.min(c.list.len().saturating_sub(1));
    effects.push(Effect::Disconnect { id: gone.id });
    let port = gone.port.map(|p| format!(" (port {p})")).unwrap_or_default();
    notice(
        state,
        Level::Info,
        format!("closed the connection to {}{port}", gone.what()),
    );
}

/// Handles proxy news; true when `msg` was one.
pub fn on_msg(state: &mut State, msg: &Msg, effects: &mut Vec<Effect>) -> bool {
    let Msg::Proxy(event) = msg else {
        return false;
    };
    match event {
        ProxyEvent::Ports {
            request,
            port,
            result,
        } => on_ports(state, *request, *port, result, effects),
        ProxyEvent::Opened { id, port, via, token } => {
            let Some(c) = state.connections.list.iter_mut().find(|c| c.id == *id) else {
                // Closed before it opened.
                effects.push(Effect::Disconnect { id: *id });
                return true;
            };
            c.port = Some(*port);
            c.via = Some(via.clone());
            c.token = Some(token.clone());
            let name = c.name.clone();
            let how = match via {
                Via::ServiceProxy | Via::PodProxy => String::new(),
                Via::PortForward { .. } if c.forward.is_some() => {
                    format!(", by {via}: the pod proxy is forbidden")
                }
                Via::PortForward { .. } => format!(", by {via}: the service proxy is forbidden"),
            };
            let namespace = c.namespace.clone();
            if let Some(forward) = &c.forward
                && let Some(url) = c.url()
            {
                effects.push(Effect::Copy(url.clone()));
                let label = forward.label();
                notice(
                    state,
                    Level::Info,
                    format!("open {url} · {label} (copied{how}; :pf lists connections)"),
                );
            } else if let Some(url) = c.url() {
                effects.push(Effect::Copy(url.clone()));
                // Said up front: a notebook that is not ready answers 503 for a while.
                let unready = state
                    .notebooks
                    .rows
                    .iter()
                    .find(|r| r.namespace == namespace && r.name == name)
                    .filter(|r| r.status != NotebookStatus::Ready)
                    .map(|r| {
                        let why = if r.reason.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", r.reason)
                        };
                        format!(" — not ready yet{why}; it answers once ready")
                    });
                let level = if unready.is_some() {
                    Level::Warn
                } else {
                    Level::Info
                };
                notice(
                    state,
                    level,
                    // The URL first, so that a narrow status line still shows all of it.
                    format!(
                        "open {url} · notebook {name} (copied{how}; C lists connections){}",
                        unready.unwrap_or_default()
                    ),
                );
            }
        }
        ProxyEvent::Failed { id, error } => {
            let c = &mut state.connections;
            if let Some(i) = c.list.iter().position(|c| c.id == *id) {
                let gone = c.list.remove(i);
                c.selected = c.selected.min(c.list.len().saturating_sub(1));
                notice(
                    state,
                    Level::Error,
                    format!("cannot connect to {}: {error}", gone.what()),
                );
            }
        }
        ProxyEvent::Served { id, outcome } => {
            if let Some(c) = state.connections.list.iter_mut().find(|c| c.id == *id) {
                c.requests += 1;
                if let Err(e) = outcome {
                    c.last_error = Some(e.clone());
                }
                if state.connections.open {
                    state.dirty = true;
                }
            }
        }
        ProxyEvent::Refused { id, why } => {
            if let Some(c) = state.connections.list.iter_mut().find(|c| c.id == *id) {
                c.refused += 1;
                c.last_refused = Some(why.clone());
                if state.connections.open {
                    state.dirty = true;
                }
            }
        }
        ProxyEvent::Socket { id, open } => {
            if let Some(c) = state.connections.list.iter_mut().find(|c| c.id == *id) {
                c.sockets = if *open {
                    c.sockets.saturating_add(1)
                } else {
                    c.sockets.saturating_sub(1)
                };
                if state.connections.open {
                    state.dirty = true;
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(id: u64, port: Option<u16>) -> Connection {
        Connection {
            id,
            context: "c".into(),
            namespace: "team-a".into(),
            name: format!("nb{id}"),
            forward: None,
            port,
            via: None,
            token: port.map(|_| Token::from_text("t0k")),
            requests: 0,
            refused: 0,
            last_refused: None,
            sockets: 0,
            last_error: None,
        }
    }

    fn state() -> State {
        State::new(crate::app::state::Target::default(), chrono::Utc::now())
    }

    #[test]
    fn opened_copies_the_url_and_served_counts_requests() {
        let mut s = state();
        s.connections.list.push(conn(1, None));
        let mut fx = Vec::new();
        on_msg(
            &mut s,
            &Msg::Proxy(ProxyEvent::Opened {
                id: 1,
                port: 8123,
                via: Via::ServiceProxy,
                token: Token::from_text("t0k"),
            }),
            &mut fx,
        );
        let url = "http://127.0.0.1:8123/notebook/team-a/nb1/?kftui-token=t0k";
        assert_eq!(fx, vec![Effect::Copy(url.into())]);
        assert!(s.notice.as_ref().is_some_and(|n| n.text.contains(url)));
        let served = |outcome| Msg::Proxy(ProxyEvent::Served { id: 1, outcome });
        on_msg(&mut s, &served(Ok(200)), &mut fx);
        on_msg(&mut s, &served(Err("503 Service Unavailable".into())), &mut fx);
        assert_eq!(s.connections.list[0].requests, 2);
        assert_eq!(
            s.connections.list[0].last_error.as_deref(),
            Some("503 Service Unavailable")
        );
        on_msg(
            &mut s,
            &Msg::Proxy(ProxyEvent::Refused {
                id: 1,
                why: "no token or a wrong one".into(),
            }),
            &mut fx,
        );
        let c = &s.connections.list[0];
        assert_eq!((c.requests, c.refused), (2, 1));
        assert_eq!(c.last_refused.as_deref(), Some("no token or a wrong one"));
    }

    #[test]
    fn delete_in_the_list_closes_the_selected_proxy() {
        let mut s = state();
        s.connections.list = vec![conn(1, Some(1)), conn(2, Some(2))];
        open_list(&mut s);
        let mut fx = Vec::new();
        let km = crate::config::keymap::Keymap::default();
        let press = |s: &mut State, k: &str, fx: &mut Vec<Effect>| {
            crate::app::views::on_key(s, &km, k.parse().unwrap(), fx)
        };
        press(&mut s, "j", &mut fx);
        press(&mut s, "D", &mut fx);
        assert_eq!(fx, vec![Effect::Disconnect { id: 2 }]);
        assert_eq!(s.connections.list.len(), 1);
        assert_eq!(s.connections.selected, 0);
        press(&mut s, "esc", &mut fx);
        assert!(!s.connections.open);
    }
}
