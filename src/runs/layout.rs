//! Where each task goes on a terminal canvas.
//!
//! **Layered** (left to right, one column per longest-path layer) when it fits the width: each
//! task is one row `✓ name   3m12s ↻1`, edges are box-drawing lines routed through the gap
//! between columns, long edges run through placeholder rows. Column order comes from a few
//! barycenter sweeps; rows follow the first parent so chains stay straight.
//!
//! **Tree** (indented, nesting by sub-DAG / step group / loop, tasks in dependency order) when it
//! does not, or when asked for. Everything is O(nodes + edges + placeholders) plus a sort per
//! column; no clock, no IO.

use unicode_width::UnicodeWidthStr;

use super::model::{Item, RunGraph};

/// Widest name a layered column shows, tried in turn until the graph fits the width.
const NAME_CAPS: [usize; 5] = [32, 24, 16, 12, 8];
/// Columns a duration takes (`human_duration` is at most `9m59s`).
pub const DURATION_WIDTH: u32 = 5;
/// Vertical channels at most per gap; more sources share them.
const MAX_CHANNELS: u32 = 3;
/// Placeholder rows for long edges beyond which the layered layout gives up.
const MAX_PLACEHOLDERS: usize = 200_000;

/// Which layout the user wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewMode {
    /// Layered when it fits the width, else the tree.
    #[default]
    Auto,
    /// Always layered (scrolls sideways when too wide).
    Layered,
    /// Always the indented tree.
    Tree,
}

impl ViewMode {
    /// Auto → Tree → Layered → Auto.
    pub fn next(self) -> ViewMode {
        match self {
            ViewMode::Auto => ViewMode::Tree,
            ViewMode::Tree => ViewMode::Layered,
            ViewMode::Layered => ViewMode::Auto,
        }
    }

    /// A word for the status line.
    pub fn word(self) -> &'static str {
        match self {
            ViewMode::Auto => "auto",
            ViewMode::Layered => "graph",
            ViewMode::Tree => "tree",
        }
    }
}

/// The layout chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutMode {
    /// Columns of layers with edges.
    Layered,
    /// The indented tree.
    Tree,
}

/// Where a task's label is on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodePos {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Width of the label.
    pub w: u32,
}

/// A straight run of edge line on the canvas (ends inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// From `x0` to `x1` on row `y`.
    H {
        /// Row.
        y: u32,
        /// First column.
        x0: u32,
        /// Last column.
        x1: u32,
    },
    /// From `y0` to `y1` in column `x`.
    V {
        /// Column.
        x: u32,
        /// First row.
        y0: u32,
        /// Last row.
        y1: u32,
    },
}

/// One layer of the layered layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Column {
    /// Left edge.
    pub x: u32,
    /// Width.
    pub width: u32,
    /// Width given to names.
    pub name_width: u32,
    /// Width given to the retry count (` ↻2`), 0 when no task here retried.
    pub retry_width: u32,
    /// Its tasks, top to bottom.
    pub nodes: Vec<usize>,
}

/// A group's name shown above its first task in a column (layered mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caption {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Width available.
    pub w: u32,
    /// The group (index into [`RunGraph::groups`]).
    pub group: usize,
}

/// One row of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    /// Branch characters before the glyph (`│  ├─ `).
    pub prefix: String,
    /// What the row shows.
    pub item: Item,
}

/// A computed layout: positions, edges or rows, and the canvas size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphLayout {
    /// Layered or tree.
    pub mode: LayoutMode,
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Label position of each task (index as in [`RunGraph::nodes`]).
    pub pos: Vec<NodePos>,
    /// Layered: the columns.
    pub columns: Vec<Column>,
    /// Layered: edge lines.
    pub segments: Vec<Segment>,
    /// Layered: arrowheads (x, y) just before a target.
    pub arrows: Vec<(u32, u32)>,
    /// Layered: group names above the first of their tasks in a column.
    pub captions: Vec<Caption>,
    /// Tree: the rows.
    pub rows: Vec<TreeRow>,
    /// Tree: columns taken by prefix, glyph and name before the duration.
    pub tree_name_width: u32,
}

impl GraphLayout {
    /// The layout for an area of `width` x `height` cells, as `mode` asks.
    pub fn compute(graph: &RunGraph, width: u16, height: u16, mode: ViewMode) -> GraphLayout {
        let layered = match mode {
            ViewMode::Tree => None,
            ViewMode::Auto => {
                Layered::build(graph, u32::from(height), Some(width)).and_then(|l| l.fit(graph, width))
            }
            ViewMode::Layered => {
                Layered::build(graph, u32::from(height), None).map(|l| l.fit_or_squeeze(graph, width))
            }
        };
        layered.unwrap_or_else(|| GraphLayout::tree(graph, width))
    }

    /// The indented tree for a width.
    pub fn tree(graph: &RunGraph, width: u16) -> GraphLayout {
        let mut rows = Vec::with_capacity(graph.nodes.len() + graph.groups.len());
        let mut stack: Vec<(Item, String, bool, usize)> = Vec::new();
        push_level(&mut stack, &graph.top, String::new(), 0);
        while let Some((item, cont, last, depth)) = stack.pop() {
            let prefix = if depth == 0 {
                String::new()
            } else {
                format!("{cont}{}", if last { "└─ " } else { "├─ " })
            };
            rows.push(TreeRow { prefix, item });
            if let Item::Group(g) = item {
                let next = if depth == 0 {
                    String::new()
                } else {
                    format!("{cont}{}", if last { "   " } else { "│  " })
                };
                if let Some(group) = graph.groups.get(g) {
                    push_level(&mut stack, &group.items, next, depth + 1);
                }
            }
        }
        let label = |row: &TreeRow| -> usize {
            let name = match row.item {
                Item::Node(u) => graph.nodes.get(u).map_or(0, |n| n.display_name.width()),
                Item::Group(g) => graph.groups.get(g).map_or(0, |g| g.display_name.width()),
            };
            row.prefix.width() + 2 + name
        };
        let widest = rows.iter().map(label).max().unwrap_or(0);
        let cap = (usize::from(width) / 2).max(16);
        let tree_name_width = widest.min(cap) as u32;
        let mut pos = vec![NodePos::default(); graph.nodes.len()];
        for (y, row) in rows.iter().enumerate() {
            if let Item::Node(u) = row.item
                && let Some(p) = pos.get_mut(u)
            {
                let x = row.prefix.width() as u32;
                *p = NodePos {
                    x,
                    y: y as u32,
                    w: tree_name_width.saturating_sub(x) + 1 + DURATION_WIDTH,
                };
            }
        }
        GraphLayout {
            mode: LayoutMode::Tree,
            width: u32::from(width).max(tree_name_width + 1 + DURATION_WIDTH),
            height: rows.len() as u32,
            pos,
            columns: Vec::new(),
            segments: Vec::new(),
            arrows: Vec::new(),
            captions: Vec::new(),
            rows,
            tree_name_width,
        }
    }

    /// The tree row of a task (tree mode).
    pub fn row_of(&self, node: usize) -> Option<u32> {
        (self.mode == LayoutMode::Tree)
            .then(|| self.pos.get(node).map(|p| p.y))
            .flatten()
    }

    /// The column (layer) a task is in, and its place in it (layered mode).
    pub fn column_of(&self, graph: &RunGraph, node: usize) -> Option<(usize, usize)> {
        let layer = graph.nodes.get(node)?.layer;
        let col = self.columns.get(layer)?;
        col.nodes.iter().position(|&n| n == node).map(|i| (layer, i))
    }
}

/// Pushes a level's items so they pop in order.
fn push_level(stack: &mut Vec<(Item, String, bool, usize)>, items: &[Item], cont: String, depth: usize) {
    let n = items.len();
    for (i, item) in items.iter().enumerate().rev() {
        stack.push((*item, cont.clone(), i + 1 == n, depth));
    }
}

/// The width of a task's retry marker, ` ↻N`.
pub fn retry_width(retries: usize) -> u32 {
    if retries == 0 {
        0
    } else {
        2 + retries.to_string().len() as u32
    }
}

/// The layered layout before widths are chosen: order and rows are width-independent.
struct Layered {
    /// Items: graph nodes first, then placeholders.
    layer_of: Vec<u32>,
    /// Per item: its predecessors and successors.
    preds: Vec<Vec<u32>>,
    succs: Vec<Vec<u32>>,
    /// Items per layer, in order.
    layers: Vec<Vec<u32>>,
    /// Row of each item.
    y: Vec<u32>,
    height: u32,
    nodes: usize,
}

impl Layered {
    fn build(graph: &RunGraph, area_height: u32, max_width: Option<u16>) -> Option<Layered> {
        let n = graph.nodes.len();
        if n == 0 {
            return None;
        }
        if max_width.is_some_and(|w| narrowest(graph) > u32::from(w)) {
            return None;
        }
        let mut l = Layered::items(graph)?;
        l.order();
        // A free top row lets the first task of a group carry the group's name above it.
        let top = u32::from(!graph.groups.is_empty());
        l.place(2, top);
        if l.height > area_height {
            l.place(1, top);
        }
        Some(l)
    }

    /// Items and edges, long edges cut into placeholder chains.
    fn items(graph: &RunGraph) -> Option<Layered> {
        let n = graph.nodes.len();
        let mut layer_of: Vec<u32> = graph.nodes.iter().map(|g| g.layer as u32).collect();
        let mut preds = vec![Vec::new(); n];
        let mut succs = vec![Vec::new(); n];
        for (u, node) in graph.nodes.iter().enumerate() {
            for &v in &node.children {
                let (lu, lv) = (layer_of[u], layer_of[v]);
                if lv <= lu {
                    continue;
                }
                let mut prev = u as u32;
                for layer in lu + 1..lv {
                    let d = layer_of.len() as u32;
                    if layer_of.len() - n > MAX_PLACEHOLDERS {
                        return None;
                    }
                    layer_of.push(layer);
                    preds.push(vec![prev]);
                    succs.push(Vec::new());
                    succs[prev as usize].push(d);
                    prev = d;
                }
                succs[prev as usize].push(v as u32);
                preds[v].push(prev);
            }
        }
        let layer_count = layer_of.iter().copied().max().map_or(0, |m| m as usize + 1);
        let mut layers = vec![Vec::new(); layer_count];
        for (item, &layer) in layer_of.iter().enumerate() {
            layers[layer as usize].push(item as u32);
        }
        let y = vec![0; layer_of.len()];
        Some(Layered {
            layer_of,
            preds,
            succs,
            layers,
            y,
            height: 0,
            nodes: n,
        })
    }

    /// Barycenter sweeps: down, up, down. Placeholders start next to their source.
    fn order(&mut self) {
        // Positions in fixed point (x256) so the keys sort as integers; ties keep the current
        // order. Layer 0 starts in tree order; the first sweep places everything else.
        let mut pos = vec![0u64; self.layer_of.len()];
        for layer in &self.layers {
            for (i, &item) in layer.iter().enumerate() {
                pos[item as usize] = i as u64;
            }
        }
        let count = self.layers.len();
        let mut keyed: Vec<(u64, u32)> = Vec::new();
        for pass in 0..3 {
            let down = pass % 2 == 0;
            let adj = if down { &self.preds } else { &self.succs };
            for step in 0..count.saturating_sub(1) {
                let l = if down { step + 1 } else { count - 2 - step };
                let layer = &mut self.layers[l];
                keyed.clear();
                for &item in layer.iter() {
                    let own = pos[item as usize];
                    let ns = &adj[item as usize];
                    let mut sum = 0u64;
                    for &p in ns {
                        sum += pos[p as usize];
                    }
                    let bary = if ns.is_empty() {
                        own * 256
                    } else {
                        sum * 256 / ns.len() as u64
                    };
                    keyed.push(((bary << 24) | own, item));
                }
                if !keyed.is_sorted_by_key(|k| k.0) {
                    keyed.sort_unstable_by_key(|k| k.0);
                }
                for (i, &(_, item)) in keyed.iter().enumerate() {
                    layer[i] = item;
                    pos[item as usize] = i as u64;
                }
            }
        }
    }

    /// Rows: each item as high as its first parent allows, `spacing` rows apart in a column.
    fn place(&mut self, spacing: u32, top: u32) {
        let mut height = 0;
        for layer in &self.layers {
            let mut next_free = top;
            for &item in layer {
                let desired = self.preds[item as usize]
                    .iter()
                    .map(|&p| self.y[p as usize])
                    .min()
                    .unwrap_or(0);
                let y = desired.max(next_free);
                self.y[item as usize] = y;
                next_free = y + spacing;
                height = height.max(y + 1);
            }
        }
        self.height = height;
    }

    /// The layout at the widest name cap that fits `width`, if any does.
    fn fit(self, graph: &RunGraph, width: u16) -> Option<GraphLayout> {
        let widths = self.column_metrics(graph);
        let gaps = self.gap_widths();
        let cap = NAME_CAPS
            .into_iter()
            .find(|&cap| total_width(&widths, &gaps, cap) <= u32::from(width))?;
        Some(self.finish(graph, &widths, &gaps, cap))
    }

    /// The layout at the widest cap that fits, else at the narrowest.
    fn fit_or_squeeze(self, graph: &RunGraph, width: u16) -> GraphLayout {
        let widths = self.column_metrics(graph);
        let gaps = self.gap_widths();
        let cap = NAME_CAPS
            .into_iter()
            .find(|&cap| total_width(&widths, &gaps, cap) <= u32::from(width))
            .unwrap_or(NAME_CAPS[NAME_CAPS.len() - 1]);
        self.finish(graph, &widths, &gaps, cap)
    }

    /// Per layer: widest name, widest retry marker, and whether it holds any task.
    fn column_metrics(&self, graph: &RunGraph) -> Vec<(u32, u32, bool)> {
        self.layers
            .iter()
            .map(|layer| {
                let mut name = 0;
                let mut retry = 0;
                let mut real = false;
                for &item in layer {
                    if let Some(node) = graph
                        .nodes
                        .get(item as usize)
                        .filter(|_| (item as usize) < self.nodes)
                    {
                        real = true;
                        name = name.max(node.display_name.width() as u32);
                        retry = retry.max(retry_width(node.retries()));
                    }
                }
                (name, retry, real)
            })
            .collect()
    }

    /// Per gap after a layer: its width (channels for edges that bend).
    fn gap_widths(&self) -> Vec<(u32, u32)> {
        self.layers
            .iter()
            .map(|layer| {
                let bent = layer
                    .iter()
                    .filter(|&&s| {
                        self.succs[s as usize]
                            .iter()
                            .any(|&t| self.y[t as usize] != self.y[s as usize])
                    })
                    .count() as u32;
                let channels = bent.min(MAX_CHANNELS);
                (5 + channels, channels)
            })
            .collect()
    }

    fn finish(
        self,
        graph: &RunGraph,
        metrics: &[(u32, u32, bool)],
        gaps: &[(u32, u32)],
        cap: usize,
    ) -> GraphLayout {
        let mut columns = Vec::with_capacity(self.layers.len());
        let mut x = 0;
        for (l, layer) in self.layers.iter().enumerate() {
            let (name, retry, real) = metrics[l];
            let name_width = name.min(cap as u32);
            let width = if real { column_width(name_width, retry) } else { 1 };
            let mut nodes: Vec<usize> = layer
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| i < self.nodes)
                .collect();
            nodes.sort_by_key(|&i| self.y[i]);
            columns.push(Column {
                x,
                width,
                name_width,
                retry_width: retry,
                nodes,
            });
            x += width + gaps[l].0;
        }
        let total = x.saturating_sub(gaps.last().map_or(0, |g| g.0));
        let mut pos = vec![NodePos::default(); graph.nodes.len()];
        for col in &columns {
            for &n in &col.nodes {
                pos[n] = NodePos {
                    x: col.x,
                    y: self.y[n],
                    w: col.width,
                };
            }
        }
        let (segments, arrows) = self.route(&columns, gaps);
        let captions = self.captions(graph, &columns);
        GraphLayout {
            mode: LayoutMode::Layered,
            width: total,
            height: self.height,
            pos,
            columns,
            segments,
            arrows,
            captions,
            rows: Vec::new(),
            tree_name_width: 0,
        }
    }

    /// A group's name above the first of its tasks in each column, where that row is free.
    fn captions(&self, graph: &RunGraph, columns: &[Column]) -> Vec<Caption> {
        let mut out = Vec::new();
        for (l, col) in columns.iter().enumerate() {
            let mut taken: Vec<u32> = self.layers[l].iter().map(|&i| self.y[i as usize]).collect();
            taken.sort_unstable();
            let mut prev_group = None;
            for &n in &col.nodes {
                let group = graph.nodes[n].group;
                let y = self.y[n];
                if let Some(g) = group
                    && group != prev_group
                    && y > 0
                    && taken.binary_search(&(y - 1)).is_err()
                {
                    out.push(Caption {
                        x: col.x,
                        y: y - 1,
                        w: col.width,
                        group: g,
                    });
                }
                prev_group = group;
            }
        }
        out
    }

    /// Edge lines through the gaps, and placeholder lines through the columns.
    fn route(&self, columns: &[Column], gaps: &[(u32, u32)]) -> (Vec<Segment>, Vec<(u32, u32)>) {
        let mut segments = Vec::new();
        let mut arrows = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            let col = &columns[l];
            let (gap_w, channels) = gaps[l];
            let gap_x = col.x + col.width;
            let mut bent_rank = 0;
            let mut by_y: Vec<u32> = layer.clone();
            by_y.sort_by_key(|&i| self.y[i as usize]);
            for &s in &by_y {
                let s = s as usize;
                let ys = self.y[s];
                let dummy = s >= self.nodes;
                if dummy {
                    segments.push(Segment::H {
                        y: ys,
                        x0: col.x,
                        x1: gap_x,
                    });
                }
                let succs = &self.succs[s];
                if succs.is_empty() {
                    continue;
                }
                let bends = succs.iter().any(|&t| self.y[t as usize] != ys);
                let cx = gap_x + 2 + if channels == 0 { 0 } else { bent_rank % channels };
                if bends {
                    bent_rank += 1;
                }
                let start = if dummy { gap_x } else { gap_x + 1 };
                for &t in succs {
                    let (t, yt) = (t as usize, self.y[t as usize]);
                    let end = if t >= self.nodes {
                        gap_x + gap_w - 1
                    } else {
                        gap_x + gap_w - 3
                    };
                    if t < self.nodes {
                        arrows.push((gap_x + gap_w - 2, yt));
                    }
                    if yt == ys {
                        segments.push(Segment::H {
                            y: ys,
                            x0: start,
                            x1: end,
                        });
                    } else {
                        segments.push(Segment::H {
                            y: ys,
                            x0: start,
                            x1: cx,
                        });
                        segments.push(Segment::V {
                            x: cx,
                            y0: ys.min(yt),
                            y1: ys.max(yt),
                        });
                        segments.push(Segment::H {
                            y: yt,
                            x0: cx,
                            x1: end,
                        });
                    }
                }
            }
        }
        arrows.sort_unstable();
        arrows.dedup();
        (segments, arrows)
    }
}

/// The narrowest a layered layout of `graph` can be (smallest name cap, no channels): a cheap
/// early no before any ordering work.
fn narrowest(graph: &RunGraph) -> u32 {
    let cap = NAME_CAPS[NAME_CAPS.len() - 1] as u32;
    let layers = graph.nodes.iter().map(|n| n.layer + 1).max().unwrap_or(0);
    let mut widths = vec![(0u32, 0u32, false); layers];
    for n in &graph.nodes {
        let w = &mut widths[n.layer];
        *w = (
            w.0.max(n.display_name.width() as u32),
            w.1.max(retry_width(n.retries())),
            true,
        );
    }
    let cols: u32 = widths
        .iter()
        .map(|&(name, retry, real)| {
            if real {
                column_width(name.min(cap), retry)
            } else {
                1
            }
        })
        .sum();
    cols + (layers as u32).saturating_sub(1) * 5
}

/// A layered label: glyph, space, name, space, duration, retry marker.
pub fn column_width(name_width: u32, retry_width: u32) -> u32 {
    2 + name_width + 1 + DURATION_WIDTH + retry_width
}

fn total_width(metrics: &[(u32, u32, bool)], gaps: &[(u32, u32)], cap: usize) -> u32 {
    let cols: u32 = metrics
        .iter()
        .map(|&(name, retry, real)| {
            if real {
                column_width(name.min(cap as u32), retry)
            } else {
                1
            }
        })
        .sum();
    let gaps: u32 = gaps.iter().map(|g| g.0).sum::<u32>() - gaps.last().map_or(0, |g| g.0);
    cols + gaps
}
