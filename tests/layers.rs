#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Layers run one way: `ui → app → kube`, and `sim` stands apart. This reads the source tree and
//! fails, naming file and line, wherever a module reaches up or across:
//! - `crate::app` or `crate::ui` under `src/kube`;
//! - `crate::app`, `crate::ui` or `crate::kube` under `src/sim`;
//! - `crate::ui` under `src/app`, except `src/app/mod.rs` (the run loop that draws).
//!
//! Paths are found whole (`crate::app`, `$crate::app`) and inside groups (`crate::{app::x, …}`),
//! in code and comments alike.

use std::path::{Path, PathBuf};

/// A rule: files under `dir` (relative to `src`) may not name `crate::<module>`.
struct Rule {
    dir: &'static str,
    forbidden: &'static [&'static str],
    except: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule {
        dir: "kube",
        forbidden: &["app", "ui"],
        except: &[],
    },
    Rule {
        dir: "sim",
        forbidden: &["app", "ui", "kube"],
        except: &[],
    },
    Rule {
        dir: "app",
        forbidden: &["ui"],
        except: &["app/mod.rs"],
    },
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

/// Every `crate::<module>` the text names, as (line, module): direct paths and the first segment
/// of each item of a `crate::{…}` group.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("crate::") {
        let at = from + i;
        from = at + "crate::".len();
        if text[..at].chars().next_back().is_some_and(is_ident) {
            continue; // `mycrate::…`
        }
        let rest = &text[from..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group's items at depth 0, each named by its first segment.
            let mut depth = 0usize;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && is_ident(c) => {
                        item_start = false;
                        let name: String = group[j..].chars().take_while(|c| is_ident(*c)).collect();
                        found.push((line_of(text, from + 1 + j), name));
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            found.push((line_of(text, at), name));
        }
    }
    found
}

/// What breaks the rules in the tree at `src`, one line per offence.
fn offences(src: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for rule in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(rule.dir), &mut files);
        for file in files {
            let rel = file
                .strip_prefix(src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rule.except.contains(&rel.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (line, module) in crate_paths(&text) {
                if rule.forbidden.contains(&module.as_str()) {
                    out.push(format!(
                        "src/{rel}:{line}: src/{} may not use crate::{module}: {}",
                        rule.dir,
                        lines.get(line - 1).map_or("", |l| l.trim())
                    ));
                }
            }
        }
    }
    out
}

#[test]
fn layers_run_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = offences(&src);
    assert!(
        found.is_empty(),
        "{} import(s) run against the layers (ui → app → kube; sim apart):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn paths_are_found_whole_and_in_groups() {
    let text = "use crate::app::msg::Msg;\n\
                use crate::{\n    kube::x,\n    app::{a, b},\n};\n\
                let a = mycrate::app::x;\n\
                $crate::ui::y();\n\
                use crate::application::z;\n";
    assert_eq!(
        crate_paths(text),
        vec![
            (1, "app".to_string()),
            (3, "kube".to_string()),
            (4, "app".to_string()),
            (7, "ui".to_string()),
            (8, "application".to_string()),
        ]
    );
}
