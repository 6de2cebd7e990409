//! core/v1 Events as the controllers' event recorders write them.
//!
//! Like client-go's recorder, a repeat of the same event (same object, source, type, reason and
//! message) is not a new object: the stored one gets its `count` bumped and its `lastTimestamp`
//! moved. The name is `<object>.<16 hex digits>`, the shape the recorder gives events (there it
//! is the first occurrence's time in nanoseconds; here a hash of what makes the event the same,
//! so a repeat finds it without an index). Like the API server's `--event-ttl`, events live an
//! hour after their last write ([`TTL`], [`crate::sim::store::Store::expire_events`]), and the
//! store keeps at most [`CAP`] of them.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::rng::hash64;
use super::store::{Part, Store, timestamp};
use super::types;

/// How long an event lives after its last write (the API server's default `--event-ttl`).
pub const TTL: TimeDelta = TimeDelta::hours(1);
/// At most this many events are kept; the oldest go first.
pub const CAP: usize = 10_000;

/// What an event is about (`involvedObject`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Involved {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// Empty for cluster-scoped objects (their events live in `default`).
    pub namespace: String,
    pub uid: String,
    /// A part of the object (`spec.containers{main}`), as the kubelet names containers.
    pub field_path: String,
}

impl Involved {
    /// The object itself.
    pub fn of(obj: &Value) -> Self {
        let s = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
        Self {
            api_version: s("/apiVersion"),
            kind: s("/kind"),
            name: s("/metadata/name"),
            namespace: s("/metadata/namespace"),
            uid: s("/metadata/uid"),
            field_path: String::new(),
        }
    }

    /// The controller that owns `obj` (its controller ownerReference), in `obj`'s namespace.
    pub fn controller_of(obj: &Value) -> Option<Self> {
        let refs = obj.pointer("/metadata/ownerReferences")?.as_array()?;
        let r = refs
            .iter()
            .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))?;
        let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Some(Self {
            api_version: s("apiVersion"),
            kind: s("kind"),
            name: s("name"),
            namespace: obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            uid: s("uid"),
            field_path: String::new(),
        })
    }

    /// A node, as the kubelet and node-problem-detector refer to one (the name is the uid).
    pub fn node(name: &str) -> Self {
        Self {
            api_version: "v1".into(),
            kind: "Node".into(),
            name: name.into(),
            namespace: String::new(),
            uid: name.into(),
            field_path: String::new(),
        }
    }

    /// The same object, a part of it.
    pub fn part(mut self, field_path: &str) -> Self {
        self.field_path = field_path.into();
        self
    }

    /// The namespace the event is stored in.
    fn event_namespace(&self) -> &str {
        if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }
}

/// One occurrence: who reports what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// `Normal` or `Warning`.
    pub kind: &'static str,
    pub reason: String,
    pub message: String,
    /// `source.component` and `reportingComponent` (`kubelet`, `default-scheduler`, …).
    pub component: &'static str,
    /// `source.host` (the kubelet's node), empty when none.
    pub host: String,
    pub at: DateTime<Utc>,
}

impl Occurrence {
    pub fn normal(
        reason: &str,
        message: impl Into<String>,
        component: &'static str,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            kind: "Normal",
            reason: reason.into(),
            message: message.into(),
            component,
            host: String::new(),
            at,
        }
    }

    pub fn warning(
        reason: &str,
        message: impl Into<String>,
        component: &'static str,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            kind: "Warning",
            ..Self::normal(reason, message, component, at)
        }
    }

    /// Reported from `host` (a node).
    pub fn on(mut self, host: &str) -> Self {
        self.host = host.into();
        self
    }
}

/// The stored name of the event `occ` about `inv`: the same for every repeat.
pub fn event_name(inv: &Involved, occ: &Occurrence) -> String {
    let key = format!(
        "{}/{}/{}/{}/{}/{}/{}/{}",
        inv.uid, inv.kind, inv.name, inv.field_path, occ.component, occ.host, occ.kind, occ.reason
    );
    let h = hash64(&format!("{key}/{}", occ.message));
    // Object names may hold upper case in other kinds; event names must not.
    format!("{}.{h:016x}", inv.name.to_ascii_lowercase())
}

fn event_json(inv: &Involved, occ: &Occurrence, first: DateTime<Utc>, count: i64) -> Value {
    let mut involved = json!({
        "apiVersion": inv.api_version,
        "kind": inv.kind,
        "name": inv.name,
        "uid": inv.uid,
    });
    if !inv.namespace.is_empty() {
        involved["namespace"] = json!(inv.namespace);
    }
    if !inv.field_path.is_empty() {
        involved["fieldPath"] = json!(inv.field_path);
    }
    let mut source = json!({"component": occ.component});
    if !occ.host.is_empty() {
        source["host"] = json!(occ.host);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": event_name(inv, occ),
            "namespace": inv.event_namespace(),
            "creationTimestamp": timestamp(first),
        },
        "involvedObject": involved,
        "reason": occ.reason,
        "message": occ.message,
        "type": occ.kind,
        "source": source,
        "reportingComponent": occ.component,
        "reportingInstance": occ.host,
        "firstTimestamp": timestamp(first),
        "lastTimestamp": timestamp(occ.at),
        "count": count,
    })
}

/// Whether an occurrence at `at` would already have expired.
fn expired(at: DateTime<Utc>) -> bool {
    at < Utc::now() - TTL
}

/// Records one occurrence: a new event, or a repeat (`count` + 1, `lastTimestamp` moved).
/// An occurrence older than the [`TTL`] is not written (it would already be gone).
pub fn record(store: &Store, inv: &Involved, occ: &Occurrence) {
    if expired(occ.at) {
        return;
    }
    let ns = inv.event_namespace();
    match store.create(
        types::event_type(),
        ns,
        event_json(inv, occ, occ.at, 1),
        true,
        occ.at,
    ) {
        Ok(_) => return,
        Err(e) if e.code == 409 => {}
        Err(e) => {
            tracing::debug!("event about {} {}: {e}", inv.kind, inv.name);
            return;
        }
    }
    let name = event_name(inv, occ);
    let last = timestamp(occ.at);
    let result = store.mutate(types::event_type(), ns, &name, Part::All, |ev| {
        let count = ev.get("count").and_then(Value::as_i64).unwrap_or(1);
        ev["count"] = json!(count + 1);
        let newer = ev
            .get("lastTimestamp")
            .and_then(Value::as_str)
            .is_none_or(|t| t < last.as_str());
        if newer {
            ev["lastTimestamp"] = json!(last);
        }
        Ok(())
    });
    if let Err(e) = result {
        tracing::debug!("event about {} {}: {e}", inv.kind, inv.name);
    }
}

/// Records a repeating occurrence whose repeats follow from time (an image pull retried with
/// back-off): the event holds `count` occurrences from `first` to `occ.at`. Writes only when
/// that says more than the stored event, so it can be called on every pass.
pub fn record_series(store: &Store, inv: &Involved, occ: &Occurrence, first: DateTime<Utc>, count: i64) {
    if expired(occ.at) || count < 1 {
        return;
    }
    let ns = inv.event_namespace();
    let name = event_name(inv, occ);
    let stored = store
        .get(types::event_type(), ns, &name)
        .ok()
        .and_then(|s| s.value().ok());
    let Some(stored) = stored else {
        if let Err(e) = store.create(
            types::event_type(),
            ns,
            event_json(inv, occ, first, count),
            true,
            first,
        ) && e.code != 409
        {
            tracing::debug!("event about {} {}: {e}", inv.kind, inv.name);
        }
        return;
    };
    let have = stored.get("count").and_then(Value::as_i64).unwrap_or(1);
    if have >= count {
        return;
    }
    let last = timestamp(occ.at);
    let result = store.mutate(types::event_type(), ns, &name, Part::All, |ev| {
        ev["count"] = json!(count);
        ev["lastTimestamp"] = json!(last);
        Ok(())
    });
    if let Err(e) = result {
        tracing::debug!("event about {} {}: {e}", inv.kind, inv.name);
    }
}

/// Ends the events whose lease lapsed ([`TTL`]) and the oldest beyond [`CAP`].
pub fn expire(store: &Store, now: DateTime<Utc>) -> usize {
    store.expire_events(now - TTL, CAP)
}

/// When the `n`th try (0-based) of something retried with the kubelet's back-off happens:
/// 10 s after the first, doubling, at most 5 minutes apart.
pub fn backoff_try(first: DateTime<Utc>, n: i64) -> DateTime<Utc> {
    let mut at = first;
    let mut gap = 10;
    for _ in 0..n.clamp(0, 10_000) {
        at += TimeDelta::seconds(gap);
        gap = (gap * 2).min(300);
    }
    at
}

/// How many tries of something retried with back-off since `first` happened by `now`, and
/// when the last one was.
pub fn backoff_tries(first: DateTime<Utc>, now: DateTime<Utc>) -> (i64, DateTime<Utc>) {
    if now < first {
        return (0, first);
    }
    let elapsed = (now - first).num_seconds();
    // 10 + 20 + 40 + 80 + 160 = 310 s for the first six tries, then one every 300 s.
    let n = if elapsed < 310 {
        let mut n = 1;
        while backoff_try(first, n) <= now {
            n += 1;
        }
        n
    } else {
        6 + (elapsed - 310) / 300
    };
    (n, backoff_try(first, n - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let s = Store::new(1, 1000);
        let ns = json!({"metadata": {"name": "team"}});
        assert!(
            s.create(types::namespace_type(), "", ns, false, Utc::now())
                .is_ok()
        );
        s
    }

    fn pod() -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "team", "uid": "u-1"}})
    }

    #[test]
    fn repeats_bump_the_count() {
        let s = store();
        let now = Utc::now();
        let inv = Involved::of(&pod());
        let occ = Occurrence::normal("Pulled", "x", "kubelet", now - TimeDelta::seconds(5));
        record(&s, &inv, &occ);
        record(
            &s,
            &inv,
            &Occurrence {
                at: now,
                ..occ.clone()
            },
        );
        let ev = s
            .get(types::event_type(), "team", &event_name(&inv, &occ))
            .and_then(|e| e.value());
        let Ok(ev) = ev else { panic!("no event") };
        assert_eq!(ev["count"], 2);
        assert_eq!(ev["lastTimestamp"], json!(timestamp(now)));
        assert_eq!(
            ev["firstTimestamp"],
            json!(timestamp(now - TimeDelta::seconds(5)))
        );
        assert_eq!(s.event_count(), 1);
    }

    #[test]
    fn series_count_follows_time_and_never_goes_back() {
        let s = store();
        let first = Utc::now() - TimeDelta::seconds(40);
        let (n, last) = backoff_tries(first, Utc::now());
        assert_eq!(n, 3, "tries at 0, 10 and 30 s");
        let inv = Involved::of(&pod());
        let occ = Occurrence::warning("BackOff", "b", "kubelet", last);
        record_series(&s, &inv, &occ, first, n);
        record_series(&s, &inv, &occ, first, n - 1);
        let ev = s
            .get(types::event_type(), "team", &event_name(&inv, &occ))
            .and_then(|e| e.value());
        let Ok(ev) = ev else { panic!("no event") };
        assert_eq!(ev["count"], 3);
        assert_eq!(backoff_tries(first, first + TimeDelta::seconds(310 + 600)).0, 8);
    }

    #[test]
    fn stale_occurrences_are_not_written() {
        let s = store();
        let inv = Involved::of(&pod());
        let occ = Occurrence::normal("Started", "x", "kubelet", Utc::now() - TimeDelta::hours(2));
        record(&s, &inv, &occ);
        assert_eq!(s.event_count(), 0);
    }
}
