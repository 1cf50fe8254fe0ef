//! Server-drawn charts rendered as standalone SVG strings.
//!
//! The charts are used inline on web pages and rasterised into Word reports, so the output is plain SVG with
//! presentation attributes only: no scripts, no `<style>` blocks, no element ids and no external resources.
//! Several charts can therefore be inlined into the same HTML page without interfering with each other or with
//! the page's own CSS. Elements carry `fc-*` class names (`fc-chart`, `fc-bar`, `fc-seg`, `fc-pt`, `fc-line`,
//! `fc-legend`, `fc-grid`) so that pages may add hover styles if they wish.
//!
//! Every chart has an accessible `<title>`, a visible title, and a `<title>` tooltip on each bar, segment and
//! point carrying the exact value. Axis labels use compact Chinese abbreviations (`万`, `亿`).
//!
//! Input is sanitised rather than rejected: negative, `NaN` and infinite values count as zero, values above
//! 10^15 are clamped, magnitudes below 10^-6 count as zero, missing values (a series shorter than the categories)
//! count as zero and extra values are ignored. A chart without categories or with only zero values shows
//! "暂无数据" instead of axes. Width and height are clamped to 160–10000 and 120–10000 pixels.
//!
//! The output is deterministic: the same input always produces the same bytes.

use std::fmt::Write as _;

use crate::i18n::Lang;

/// One named series of values (same length as the categories).
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Series name, shown in the legend and in tooltips.
    pub name: String,
    /// One value per category.
    pub values: Vec<f64>,
}

/// A chart's content.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    /// Chart title, shown at the top and used as the accessible name.
    pub title: String,
    /// Unit of the values (for example "人", "次" or "%"); may be empty.
    pub unit: String,
    /// Category labels: x axis of vertical charts, rows of horizontal bars, segments of a ring.
    pub categories: Vec<String>,
    /// Data series, one value per category each.
    pub series: Vec<Series>,
    /// The language of the words the chart writes itself (no data, unit, total, others).
    pub lang: Lang,
}

/// Fill colours, used in order and cycled.
const PALETTE: [&str; 8] = ["#c8281a", "#1f6fb2", "#f2a900", "#2e8b57", "#7a4fbf", "#e0662a", "#4a9fb5", "#8c8c8c"];
const FONT_FAMILY: &str = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif";
/// Bar charts with more categories than this are drawn horizontally.
const HORIZONTAL_AFTER: usize = 12;

const MIN_WIDTH: u32 = 160;
const MIN_HEIGHT: u32 = 120;
const MAX_SIZE: u32 = 10_000;
const MAX_VALUE: f64 = 1e15;
const MIN_VALUE: f64 = 1e-6;

const PAD: f64 = 12.0;
const TITLE_SIZE: f64 = 16.0;
const FONT_SIZE: f64 = 12.0;
/// Estimated advance of one narrow character, in em; wide (CJK) characters count double.
const CHAR_EM: f64 = 0.55;
const LEGEND_ROW: f64 = 20.0;
const LEGEND_GAP: f64 = 14.0;
const LEGEND_UNITS: f64 = 20.0;
const LINE_LABEL_UNITS: f64 = 14.0;
const SIN45: f64 = std::f64::consts::FRAC_1_SQRT_2;

const TITLE_COLOR: &str = "#222222";
const TEXT_COLOR: &str = "#333333";
const MUTED_COLOR: &str = "#666666";
const EMPTY_COLOR: &str = "#888888";
const GRID_COLOR: &str = "#e6e6e6";
const AXIS_COLOR: &str = "#999999";

/// A chart drawn twice, for a wide screen and for a phone's, of which the page shows one
/// (`.chart-wide` and `.chart-narrow` in `firecast.css`): each keeps its text at 12 px.
pub fn for_screens(draw: impl Fn(u32, u32) -> String, wide: (u32, u32), narrow: (u32, u32)) -> String {
    format!(
        r#"<div class="chart-wide">{}</div><div class="chart-narrow">{}</div>"#,
        draw(wide.0, wide.1),
        draw(narrow.0, narrow.1)
    )
}

/// Draws grouped vertical bars, one group per category and one bar per series.
///
/// With more than 12 categories the bars are drawn horizontally, categories down the left side.
pub fn bar(chart: &Chart, width: u32, height: u32) -> String {
    let mut svg = Svg::new(chart, width, height);
    let data = Data::new(chart);
    if data.is_empty() {
        return svg.empty();
    }
    if data.categories.len() > HORIZONTAL_AFTER {
        horizontal_bars(&mut svg, &data);
    } else {
        vertical_bars(&mut svg, &data, false);
    }
    svg.finish()
}

/// Draws stacked vertical bars, one stack per category with the series stacked bottom-up in order.
pub fn stacked(chart: &Chart, width: u32, height: u32) -> String {
    let mut svg = Svg::new(chart, width, height);
    let data = Data::new(chart);
    if data.is_empty() {
        return svg.empty();
    }
    vertical_bars(&mut svg, &data, true);
    svg.finish()
}

/// Draws one polyline with dots per series; x labels are thinned so that they do not overlap.
pub fn line(chart: &Chart, width: u32, height: u32) -> String {
    let mut svg = Svg::new(chart, width, height);
    let data = Data::new(chart);
    if data.is_empty() {
        return svg.empty();
    }
    let ticks = nice_ticks(data.max());
    if data.series.len() > 1 {
        series_legend(&mut svg, &data, true);
    }
    let (frame, plan) = vertical_frame(&mut svg, &data, &ticks, XMode::Line);
    y_grid(&mut svg, &frame, &ticks);
    let band = frame.width() / count_f(data.categories.len());
    let top = ticks.top();
    let radius = (band / 3.0).clamp(1.5, 3.5);
    for (si, series) in data.series.iter().enumerate() {
        let color = color(si);
        let points: Vec<(f64, f64)> = series
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| (frame.left + band * (count_f(i) + 0.5), frame.bottom - v / top * frame.height()))
            .collect();
        let joined: Vec<String> = points.iter().map(|&(x, y)| format!("{},{}", num(x), num(y))).collect();
        let _ = write!(
            svg.out,
            r#"<polyline class="fc-line" points="{}" fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>"#,
            joined.join(" ")
        );
        for ((x, y), (category, value)) in points.iter().zip(data.categories.iter().zip(&series.values)) {
            let _ = write!(
                svg.out,
                r##"<circle class="fc-pt" cx="{}" cy="{}" r="{}" fill="{color}" stroke="#ffffff" stroke-width="1"><title>{}</title></circle>"##,
                num(*x),
                num(*y),
                num(radius),
                escape(&tooltip(category, series.name, *value, data.unit))
            );
        }
    }
    x_labels(&mut svg, &frame, &plan, band);
    axis_line(&mut svg, frame.left, frame.bottom, frame.right, frame.bottom);
    svg.finish()
}

/// Draws a donut of the first series' values by category, with percentages in the legend and the total in the
/// middle.
///
/// At most eight segments are drawn so that every segment has its own colour: with more categories (or more than
/// the legend can hold) the largest ones are kept in their original order and the rest are merged into "其他".
pub fn ring(chart: &Chart, width: u32, height: u32) -> String {
    let mut svg = Svg::new(chart, width, height);
    let data = Data::new(chart);
    let Some(first) = data.series.first() else {
        return svg.empty();
    };
    let total: f64 = first.values.iter().sum();
    if data.categories.is_empty() || total <= 0.0 {
        return svg.empty();
    }
    let area = Frame { left: PAD, right: svg.width - PAD, top: svg.top + 4.0, bottom: svg.height - PAD };
    let pct_w = text_px("100.0%", FONT_SIZE);
    let widest_category = data
        .categories
        .iter()
        .map(|c| text_px(&truncate(c, 16.0), FONT_SIZE))
        .fold(text_px(svg.lang.t("chart.others"), FONT_SIZE), f64::max);
    let beside = area.width() >= area.height() * 1.2;

    // Legend grid: `cols` columns of `col_w` pixels, at most `rows_cap` rows.
    let (cols, col_w, rows_cap) = if beside {
        let col_w = (12.0 + 6.0 + widest_category + 10.0 + pct_w).min(area.width() * 0.5);
        (1, col_w, fit_count(area.height(), LEGEND_ROW))
    } else {
        let col_w =
            (12.0 + 6.0 + widest_category.min(12.0 * FONT_SIZE * CHAR_EM) + 10.0 + pct_w + 16.0).min(area.width());
        let cols = fit_count(area.width(), col_w);
        (cols, col_w, fit_count(area.height() * 0.4, LEGEND_ROW))
    };
    let slices = merge_slices(svg.lang, data.categories, &first.values, (cols * rows_cap).min(PALETTE.len()));
    let cols = cols.min(slices.len()).max(1);
    let rows = slices.len().div_ceil(cols);
    let legend_h = count_f(rows) * LEGEND_ROW;
    let (legend_x, legend_y, donut) = if beside {
        let x = area.right - col_w;
        let y = area.top + (area.height() - legend_h).max(0.0) / 2.0;
        (x, y, Frame { left: area.left, right: x - 16.0, top: area.top, bottom: area.bottom })
    } else {
        let grid_w = count_f(cols) * col_w;
        let x = area.left + (area.width() - grid_w).max(0.0) / 2.0;
        let y = area.bottom - legend_h;
        (x, y, Frame { left: area.left, right: area.right, top: area.top, bottom: y - 8.0 })
    };
    let label_units = ((col_w - 12.0 - 6.0 - 10.0 - pct_w - if beside { 0.0 } else { 16.0 }) / (FONT_SIZE * CHAR_EM))
        .clamp(4.0, 16.0);

    // Donut segments, clockwise from twelve o'clock.
    let cx = f64::midpoint(donut.left, donut.right);
    let cy = f64::midpoint(donut.top, donut.bottom);
    let outer = (donut.width().min(donut.height()) / 2.0 - 2.0).max(10.0);
    let inner = outer * 0.58;
    let percents = percentages(&slices.iter().map(|s| s.value).collect::<Vec<_>>());
    let last_nonzero = slices.iter().rposition(|s| s.value > 0.0);
    let mut cumulative = 0.0;
    for (i, slice) in slices.iter().enumerate() {
        if slice.value <= 0.0 {
            continue;
        }
        let start = cumulative / total * 360.0;
        cumulative += slice.value;
        let end = if Some(i) == last_nonzero { 360.0 } else { cumulative / total * 360.0 };
        let tip = format!("{} ({}%)", tooltip(&slice.tip_label, first.name, slice.value, data.unit), percents[i]);
        let _ = write!(
            svg.out,
            r##"<path class="fc-seg" d="{}" fill="{}" fill-rule="evenodd" stroke="#ffffff" stroke-width="1"><title>{}</title></path>"##,
            sector(cx, cy, outer, inner, start, end),
            color(i),
            escape(&tip)
        );
    }

    // Total in the middle.
    let total_text = with_unit(&format_compact(total, 2), data.unit);
    let size = (inner * 2.0 * 0.85 / (text_units(&total_text) * CHAR_EM)).clamp(8.0, 22.0);
    let _ = write!(
        svg.out,
        "<g><title>{}</title>",
        escape(&svg.lang.text("chart.total_is", &[&with_unit(&format_exact(total), data.unit)]))
    );
    if inner >= 24.0 {
        text(&mut svg.out, cx, cy - size * 0.45, Style { anchor: "middle", ..MUTED }, svg.lang.t("chart.total"));
    }
    text(
        &mut svg.out,
        cx,
        cy + size * if inner >= 24.0 { 0.75 } else { 0.35 },
        Style { size, fill: TITLE_COLOR, anchor: "middle", bold: true },
        &total_text,
    );
    svg.out.push_str("</g>");

    // Legend with percentages.
    svg.out.push_str(r#"<g class="fc-legend">"#);
    for (i, slice) in slices.iter().enumerate() {
        let x = legend_x + count_f(i % cols) * col_w;
        let y = legend_y + LEGEND_ROW * (count_f(i / cols) + 0.5);
        let right = x + col_w - if beside { 0.0 } else { 16.0 };
        let full =
            format!("{}: {} ({}%)", slice.tip_label, with_unit(&format_exact(slice.value), data.unit), percents[i]);
        let _ = write!(
            svg.out,
            r#"<g><title>{}</title><rect x="{}" y="{}" width="12" height="12" rx="2" fill="{}"/>"#,
            escape(&full),
            num(x),
            num(y - 6.0),
            color(i)
        );
        text(
            &mut svg.out,
            x + 18.0,
            y + 4.0,
            Style { anchor: "start", fill: TEXT_COLOR, ..MUTED },
            &truncate(&slice.label, label_units),
        );
        text(&mut svg.out, right, y + 4.0, Style { anchor: "end", ..MUTED }, &format!("{}%", percents[i]));
        svg.out.push_str("</g>");
    }
    svg.out.push_str("</g>");
    svg.finish()
}

/// Sanitised chart data: one value per category in every series.
struct Data<'a> {
    unit: &'a str,
    categories: &'a [String],
    series: Vec<Prepared<'a>>,
}

/// One sanitised series.
struct Prepared<'a> {
    name: &'a str,
    values: Vec<f64>,
}

impl<'a> Data<'a> {
    fn new(chart: &'a Chart) -> Self {
        let n = chart.categories.len();
        let series = chart
            .series
            .iter()
            .map(|s| Prepared {
                name: s.name.trim(),
                values: (0..n).map(|i| s.values.get(i).copied().map_or(0.0, clean)).collect(),
            })
            .collect();
        Self { unit: chart.unit.trim(), categories: &chart.categories, series }
    }

    fn is_empty(&self) -> bool {
        self.categories.is_empty() || self.series.iter().all(|s| s.values.iter().all(|&v| v <= 0.0))
    }

    /// Largest single value.
    fn max(&self) -> f64 {
        self.series.iter().flat_map(|s| s.values.iter().copied()).fold(0.0, f64::max)
    }

    /// Largest per-category sum over all series.
    fn stack_max(&self) -> f64 {
        (0..self.categories.len()).map(|i| self.series.iter().map(|s| s.values[i]).sum::<f64>()).fold(0.0, f64::max)
    }
}

/// The SVG document being written, plus the first free y coordinate below the title and legend.
struct Svg {
    out: String,
    lang: Lang,
    width: f64,
    height: f64,
    top: f64,
}

impl Svg {
    fn new(chart: &Chart, width: u32, height: u32) -> Self {
        let lang = chart.lang;
        let width = width.clamp(MIN_WIDTH, MAX_SIZE);
        let height = height.clamp(MIN_HEIGHT, MAX_SIZE);
        let title = chart.title.trim();
        let mut out = String::with_capacity(8192);
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" class="fc-chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" font-family="{FONT_FAMILY}" font-size="12"><title>{}</title><rect width="{width}" height="{height}" fill="#ffffff"/>"##,
            escape(if title.is_empty() { lang.t("chart.untitled") } else { title })
        );
        let (width, height) = (f64::from(width), f64::from(height));
        let mut top = PAD;
        if !title.is_empty() {
            let shown = truncate(title, (width - 2.0 * PAD) / (TITLE_SIZE * CHAR_EM));
            let style = Style { size: TITLE_SIZE, fill: TITLE_COLOR, anchor: "middle", bold: true };
            text(&mut out, width / 2.0, PAD + TITLE_SIZE - 2.0, style, &shown);
            top = PAD + TITLE_SIZE + 10.0;
        }
        Self { out, lang, width, height, top }
    }

    /// Finishes the document with the "no data" message instead of a chart.
    fn empty(mut self) -> String {
        let y = f64::midpoint(self.top, self.height);
        let style = Style { size: 14.0, fill: EMPTY_COLOR, anchor: "middle", bold: false };
        text(&mut self.out, self.width / 2.0, y, style, self.lang.t("chart.no_data"));
        self.finish()
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

/// The plot rectangle; `bottom` is the value baseline of vertical charts.
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

impl Frame {
    fn width(&self) -> f64 {
        (self.right - self.left).max(1.0)
    }

    fn height(&self) -> f64 {
        (self.bottom - self.top).max(1.0)
    }
}

/// Text appearance.
#[derive(Clone, Copy)]
struct Style {
    size: f64,
    fill: &'static str,
    anchor: &'static str,
    bold: bool,
}

/// Small grey label text.
const MUTED: Style = Style { size: FONT_SIZE, fill: MUTED_COLOR, anchor: "middle", bold: false };

fn text(out: &mut String, x: f64, y: f64, style: Style, content: &str) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="{}"{}>{}</text>"#,
        num(x),
        num(y),
        num(style.size),
        style.fill,
        style.anchor,
        if style.bold { r#" font-weight="bold""# } else { "" },
        escape(content)
    );
}

fn axis_line(svg: &mut Svg, x1: f64, y1: f64, x2: f64, y2: f64) {
    let _ = write!(
        svg.out,
        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{AXIS_COLOR}" stroke-width="1" shape-rendering="crispEdges"/>"#,
        num(x1),
        num(y1),
        num(x2),
        num(y2)
    );
}

/// Writes the "单位：…" caption above the plot and returns the top of the plot area.
fn unit_caption(svg: &mut Svg, unit: &str) -> f64 {
    if unit.is_empty() {
        return svg.top + 8.0;
    }
    let caption = truncate(&svg.lang.text("chart.unit", &[unit]), (svg.width - 2.0 * PAD) / (FONT_SIZE * CHAR_EM));
    text(&mut svg.out, PAD, svg.top + FONT_SIZE, Style { anchor: "start", ..MUTED }, &caption);
    svg.top + FONT_SIZE + 14.0
}

/// Legend of the series names, centred in rows below the title.
fn series_legend(svg: &mut Svg, data: &Data<'_>, line_style: bool) {
    let swatch = if line_style { 18.0 } else { 12.0 };
    let items: Vec<(String, String, f64)> = data
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let full = if s.name.is_empty() { format!("系列{}", i + 1) } else { s.name.to_owned() };
            let label = truncate(&full, LEGEND_UNITS);
            let w = swatch + 4.0 + text_px(&label, FONT_SIZE);
            (full, label, w)
        })
        .collect();
    let avail = svg.width - 2.0 * PAD;
    let mut rows: Vec<(Vec<usize>, f64)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match rows.last_mut() {
            Some((members, w)) if *w + LEGEND_GAP + item.2 <= avail => {
                members.push(i);
                *w += LEGEND_GAP + item.2;
            }
            _ => rows.push((vec![i], item.2)),
        }
    }
    svg.out.push_str(r#"<g class="fc-legend">"#);
    for (r, (members, row_w)) in rows.iter().enumerate() {
        let cy = svg.top + LEGEND_ROW * (count_f(r) + 0.5);
        let mut x = ((svg.width - row_w) / 2.0).max(PAD);
        for &i in members {
            let (full, label, w) = &items[i];
            let color = color(i);
            let _ = write!(svg.out, "<g><title>{}</title>", escape(full));
            if line_style {
                let _ = write!(
                    svg.out,
                    r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="2"/><circle cx="{}" cy="{}" r="3" fill="{color}"/>"#,
                    num(x),
                    num(cy),
                    num(x + swatch),
                    num(cy),
                    num(x + swatch / 2.0),
                    num(cy)
                );
            } else {
                let _ = write!(
                    svg.out,
                    r#"<rect x="{}" y="{}" width="12" height="12" rx="2" fill="{color}"/>"#,
                    num(x),
                    num(cy - 6.0)
                );
            }
            text(&mut svg.out, x + swatch + 4.0, cy + 4.0, Style { anchor: "start", fill: TEXT_COLOR, ..MUTED }, label);
            svg.out.push_str("</g>");
            x += w + LEGEND_GAP;
        }
    }
    svg.out.push_str("</g>");
    svg.top += LEGEND_ROW * count_f(rows.len()) + 4.0;
}

/// How category labels are placed under a vertical chart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum XMode {
    /// Horizontal if they fit, otherwise rotated by 45°.
    Bars,
    /// Always horizontal, truncated and thinned.
    Line,
}

/// Category label placement: every `step`-th label is drawn.
struct XPlan {
    step: usize,
    rotated: bool,
    labels: Vec<String>,
    extent: f64,
}

fn plan_x(categories: &[String], band: f64, mode: XMode, height: f64) -> XPlan {
    let n = categories.len();
    let flat_extent = FONT_SIZE + 10.0;
    let widest = |labels: &[String]| labels.iter().map(|l| text_px(l, FONT_SIZE)).fold(0.0, f64::max);
    match mode {
        XMode::Line => {
            let labels: Vec<String> = categories.iter().map(|c| truncate(c, LINE_LABEL_UNITS)).collect();
            let need = widest(&labels) + 10.0;
            XPlan { step: thin_step(band, need, n), rotated: false, labels, extent: flat_extent }
        }
        XMode::Bars if widest(categories) <= band - 4.0 => {
            XPlan { step: 1, rotated: false, labels: categories.to_vec(), extent: flat_extent }
        }
        XMode::Bars => {
            let max_extent = (height * 0.3).max(40.0);
            let max_w = (max_extent - FONT_SIZE - 8.0) / SIN45;
            let units = (max_w / (FONT_SIZE * CHAR_EM)).clamp(4.0, 16.0);
            let labels: Vec<String> = categories.iter().map(|c| truncate(c, units)).collect();
            let extent = widest(&labels) * SIN45 + FONT_SIZE + 8.0;
            XPlan { step: thin_step(band, FONT_SIZE * 1.5, n), rotated: true, labels, extent }
        }
    }
}

/// Smallest step `k` (at most `n`) such that `k` bands are at least `need` pixels wide.
fn thin_step(band: f64, need: f64, n: usize) -> usize {
    let mut k = 1;
    while count_f(k) * band < need && k < n.max(1) {
        k += 1;
    }
    k
}

/// Lays out a chart with categories along the bottom and values up the left.
fn vertical_frame(svg: &mut Svg, data: &Data<'_>, ticks: &Ticks, mode: XMode) -> (Frame, XPlan) {
    let n = data.categories.len();
    let tick_w = ticks.labels().iter().map(|l| text_px(l, FONT_SIZE)).fold(0.0, f64::max);
    let top = unit_caption(svg, data.unit);
    let mut left = PAD + tick_w + 6.0;
    let mut right = svg.width - PAD;
    let mut plan = plan_x(data.categories, (right - left) / count_f(n), mode, svg.height);
    // Keep the first and last labels inside the image.
    let band = (right - left) / count_f(n);
    if let Some(first) = plan.labels.first() {
        let w = text_px(first, FONT_SIZE);
        let overhang = if plan.rotated { w * SIN45 - 4.0 } else { w / 2.0 } - band / 2.0;
        left = left.max((PAD + overhang).min(svg.width * 0.35));
    }
    let last = n.saturating_sub(1);
    if !plan.rotated && last.is_multiple_of(plan.step) {
        let w = text_px(&plan.labels[last], FONT_SIZE);
        right = right.min(svg.width - PAD - (w / 2.0 - band / 2.0).max(0.0));
    }
    if right - left < 20.0 {
        right = left + 20.0;
    }
    plan = plan_x(data.categories, (right - left) / count_f(n), mode, svg.height);
    let bottom = (svg.height - PAD - plan.extent).max(top + 20.0);
    (Frame { left, right, top, bottom }, plan)
}

/// Horizontal gridlines and value labels of a vertical chart.
fn y_grid(svg: &mut Svg, frame: &Frame, ticks: &Ticks) {
    let labels = ticks.labels();
    let y_at = |i: usize| frame.bottom - frame.height() * count_f(i) / count_f(ticks.intervals);
    let _ =
        write!(svg.out, r#"<g class="fc-grid" stroke="{GRID_COLOR}" stroke-width="1" shape-rendering="crispEdges">"#);
    for i in 1..=ticks.intervals {
        let y = num(y_at(i));
        let _ = write!(svg.out, r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#, num(frame.left), num(frame.right));
    }
    svg.out.push_str("</g>");
    for (i, label) in labels.iter().enumerate() {
        text(&mut svg.out, frame.left - 6.0, y_at(i) + 4.0, Style { anchor: "end", ..MUTED }, label);
    }
}

fn x_labels(svg: &mut Svg, frame: &Frame, plan: &XPlan, band: f64) {
    for (i, label) in plan.labels.iter().enumerate() {
        if !i.is_multiple_of(plan.step) {
            continue;
        }
        let cx = frame.left + band * (count_f(i) + 0.5);
        if plan.rotated {
            let (x, y) = (num(cx + 4.0), num(frame.bottom + 12.0));
            let _ = write!(
                svg.out,
                r#"<text x="{x}" y="{y}" font-size="12" fill="{MUTED_COLOR}" text-anchor="end" transform="rotate(-45 {x} {y})">{}</text>"#,
                escape(label)
            );
        } else {
            text(&mut svg.out, cx, frame.bottom + FONT_SIZE + 6.0, MUTED, label);
        }
    }
}

fn vertical_bars(svg: &mut Svg, data: &Data<'_>, stacked: bool) {
    let ticks = nice_ticks(if stacked { data.stack_max() } else { data.max() });
    if data.series.len() > 1 {
        series_legend(svg, data, false);
    }
    let (frame, plan) = vertical_frame(svg, data, &ticks, XMode::Bars);
    y_grid(svg, &frame, &ticks);
    let n = data.categories.len();
    let ns = count_f(data.series.len());
    let band = frame.width() / count_f(n);
    let scale = frame.height() / ticks.top();
    let slot = if stacked { (band * 0.6).min(64.0) } else { (band * 0.8 / ns).min(48.0) };
    let gap = if stacked || data.series.len() == 1 { 0.0 } else { (slot * 0.12).min(2.0) };
    let group_w = if stacked { slot } else { slot * ns };
    for (ci, category) in data.categories.iter().enumerate() {
        let gx = frame.left + band * count_f(ci) + (band - group_w) / 2.0;
        let mut base = frame.bottom;
        for (si, series) in data.series.iter().enumerate() {
            let value = series.values[ci];
            let h = value * scale;
            let (x, y) = if stacked { (gx, base - h) } else { (gx + slot * count_f(si) + gap / 2.0, frame.bottom - h) };
            if stacked {
                base -= h;
            }
            let _ = write!(
                svg.out,
                r#"<rect class="fc-bar" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
                num(x),
                num(y),
                num(slot - gap),
                num(h),
                color(si),
                escape(&tooltip(category, series.name, value, data.unit))
            );
        }
    }
    x_labels(svg, &frame, &plan, band);
    axis_line(svg, frame.left, frame.bottom, frame.right, frame.bottom);
}

fn horizontal_bars(svg: &mut Svg, data: &Data<'_>) {
    let ticks = nice_ticks(data.max());
    if data.series.len() > 1 {
        series_legend(svg, data, false);
    }
    let top = unit_caption(svg, data.unit);
    let units = (svg.width * 0.3 / (FONT_SIZE * CHAR_EM)).max(4.0);
    let labels: Vec<String> = data.categories.iter().map(|c| truncate(c, units)).collect();
    let label_w = labels.iter().map(|l| text_px(l, FONT_SIZE)).fold(0.0, f64::max);
    let tick_labels = ticks.labels();
    let last_w = tick_labels.last().map_or(0.0, |l| text_px(l, FONT_SIZE));
    let left = PAD + label_w + 8.0;
    let right = (svg.width - PAD - last_w / 2.0).max(left + 20.0);
    let bottom = (svg.height - PAD - FONT_SIZE - 6.0).max(top + 20.0);
    let frame = Frame { left, right, top, bottom };

    let x_at = |i: usize| frame.left + frame.width() * count_f(i) / count_f(ticks.intervals);
    let _ =
        write!(svg.out, r#"<g class="fc-grid" stroke="{GRID_COLOR}" stroke-width="1" shape-rendering="crispEdges">"#);
    for i in 1..=ticks.intervals {
        let x = num(x_at(i));
        let _ = write!(svg.out, r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#, num(frame.top), num(frame.bottom));
    }
    svg.out.push_str("</g>");
    for (i, label) in tick_labels.iter().enumerate() {
        text(&mut svg.out, x_at(i), frame.bottom + FONT_SIZE + 4.0, MUTED, label);
    }

    let n = data.categories.len();
    let ns = count_f(data.series.len());
    let band = frame.height() / count_f(n);
    let scale = frame.width() / ticks.top();
    let slot = (band * 0.8 / ns).min(28.0);
    let gap = if data.series.len() == 1 { 0.0 } else { (slot * 0.12).min(2.0) };
    let group_h = slot * ns;
    let step = thin_step(band, FONT_SIZE + 2.0, n);
    for (ci, category) in data.categories.iter().enumerate() {
        let gy = frame.top + band * count_f(ci) + (band - group_h) / 2.0;
        for (si, series) in data.series.iter().enumerate() {
            let value = series.values[ci];
            let _ = write!(
                svg.out,
                r#"<rect class="fc-bar" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
                num(frame.left),
                num(gy + slot * count_f(si) + gap / 2.0),
                num(value * scale),
                num(slot - gap),
                color(si),
                escape(&tooltip(category, series.name, value, data.unit))
            );
        }
        if ci.is_multiple_of(step) {
            let cy = frame.top + band * (count_f(ci) + 0.5);
            text(&mut svg.out, frame.left - 6.0, cy + 4.0, Style { anchor: "end", ..MUTED }, &labels[ci]);
        }
    }
    axis_line(svg, frame.left, frame.top, frame.left, frame.bottom);
}

/// One segment of a ring.
struct Slice {
    label: String,
    tip_label: String,
    value: f64,
}

/// Keeps every category when they fit in `capacity` legend entries; otherwise keeps the largest ones (in their
/// original order) and merges the rest into "其他".
fn merge_slices(lang: Lang, categories: &[String], values: &[f64], capacity: usize) -> Vec<Slice> {
    let n = categories.len();
    let slice = |i: usize| Slice { label: categories[i].clone(), tip_label: categories[i].clone(), value: values[i] };
    if n <= capacity.max(1) {
        return (0..n).map(slice).collect();
    }
    let keep = capacity.saturating_sub(1).max(1);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    let mut kept = order[..keep].to_vec();
    kept.sort_unstable();
    let rest = &order[keep..];
    let mut slices: Vec<Slice> = kept.into_iter().map(slice).collect();
    slices.push(Slice {
        label: lang.t("chart.others").to_owned(),
        tip_label: lang.text("chart.others_n", &[&rest.len().to_string()]),
        value: rest.iter().map(|&i| values[i]).sum(),
    });
    slices
}

/// Percentages with one decimal that add up to exactly 100.0 (largest remainder method).
fn percentages(values: &[f64]) -> Vec<String> {
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        return values.iter().map(|_| "0.0".to_owned()).collect();
    }
    let raw: Vec<f64> = values.iter().map(|v| v / total * 1000.0).collect();
    let mut tenths: Vec<f64> = raw.iter().map(|r| r.floor()).collect();
    let mut missing = 1000.0 - tenths.iter().sum::<f64>();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| (raw[b] - tenths[b]).total_cmp(&(raw[a] - tenths[a])).then(a.cmp(&b)));
    for i in order {
        if missing < 0.5 {
            break;
        }
        tenths[i] += 1.0;
        missing -= 1.0;
    }
    tenths.iter().map(|t| format!("{:.1}", t / 10.0)).collect()
}

/// Path of a ring segment between two angles, in degrees clockwise from twelve o'clock.
fn sector(cx: f64, cy: f64, outer: f64, inner: f64, start: f64, end: f64) -> String {
    let (ro, ri) = (num(outer), num(inner));
    if end - start >= 359.9 {
        let (l, r) = (num(cx - outer), num(cx + outer));
        let (il, ir) = (num(cx - inner), num(cx + inner));
        let y = num(cy);
        return format!(
            "M{l} {y}A{ro} {ro} 0 1 1 {r} {y}A{ro} {ro} 0 1 1 {l} {y}ZM{il} {y}A{ri} {ri} 0 1 0 {ir} {y}A{ri} {ri} 0 1 0 {il} {y}Z"
        );
    }
    let point = |radius: f64, deg: f64| {
        let rad = deg.to_radians();
        format!("{} {}", num(cx + radius * rad.sin()), num(cy - radius * rad.cos()))
    };
    let large = u8::from(end - start > 180.0);
    format!(
        "M{}A{ro} {ro} 0 {large} 1 {}L{}A{ri} {ri} 0 {large} 0 {}Z",
        point(outer, start),
        point(outer, end),
        point(inner, end),
        point(inner, start)
    )
}

/// Value axis ticks: `intervals + 1` ticks from zero, `step` apart.
#[derive(Debug)]
struct Ticks {
    step: f64,
    intervals: usize,
    decimals: usize,
}

impl Ticks {
    fn top(&self) -> f64 {
        self.step * count_f(self.intervals)
    }

    /// Tick labels; all non-zero labels share one magnitude suffix, chosen by the step.
    fn labels(&self) -> Vec<String> {
        (0..=self.intervals)
            .map(|i| {
                let value = self.step * count_f(i);
                if i == 0 {
                    "0".to_owned()
                } else if self.step >= 1e7 {
                    scaled(value, 1e8, "亿")
                } else if self.step >= 1e4 {
                    scaled(value, 1e4, "万")
                } else {
                    let decimals = self.decimals;
                    group_digits(&trim_decimals(&format!("{value:.decimals$}")))
                }
            })
            .collect()
    }
}

/// Picks 4–6 ticks with a step of 1, 2, 2.5 or 5 × 10^n whose top is the smallest one reaching `max`.
fn nice_ticks(max: f64) -> Ticks {
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let mut exp: i32 = 0;
    while 10f64.powi(exp + 1) <= max && exp < 300 {
        exp += 1;
    }
    while 10f64.powi(exp) > max && exp > -300 {
        exp -= 1;
    }
    let mut best: Option<Ticks> = None;
    for e in (exp - 2)..=exp {
        for mantissa in [1.0, 2.0, 2.5, 5.0] {
            // 2.5 × 10^n would need an extra decimal for n < 1.
            if mantissa > 2.0 && mantissa < 5.0 && e < 1 {
                continue;
            }
            let step = mantissa * 10f64.powi(e);
            let mut intervals = 1;
            while step * count_f(intervals) < max * (1.0 - 1e-9) && intervals <= 5 {
                intervals += 1;
            }
            if !(3..=5).contains(&intervals) {
                continue;
            }
            let candidate = Ticks { step, intervals, decimals: usize::try_from(-e).unwrap_or(0) };
            if best.as_ref().is_none_or(|b| candidate.top() < b.top() * (1.0 - 1e-9)) {
                best = Some(candidate);
            }
        }
    }
    best.unwrap_or(Ticks { step: max / 4.0, intervals: 4, decimals: 2 })
}

/// Compact label: thousands separators below 10,000, then "万" and "亿" with up to two decimals.
fn format_compact(value: f64, decimals: usize) -> String {
    if value >= 99_999_995.0 {
        scaled(value, 1e8, "亿")
    } else if value >= 10_000.0 {
        scaled(value, 1e4, "万")
    } else {
        group_digits(&trim_decimals(&format!("{value:.decimals$}")))
    }
}

/// `value / divisor` with up to two decimals, thousands separators and a suffix.
fn scaled(value: f64, divisor: f64, suffix: &str) -> String {
    format!("{}{suffix}", group_digits(&trim_decimals(&format!("{:.2}", value / divisor))))
}

/// Exact value with thousands separators (up to six decimals).
fn format_exact(value: f64) -> String {
    group_digits(&trim_decimals(&format!("{value:.6}")))
}

fn trim_decimals(s: &str) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s.to_owned() }
}

/// Inserts thousands separators into the integer part of a plain non-negative decimal number.
fn group_digits(s: &str) -> String {
    let (int, frac) = s.find('.').map_or((s, ""), |i| s.split_at(i));
    let len = int.chars().count();
    let mut out = String::with_capacity(s.len() + len / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

fn with_unit(value: &str, unit: &str) -> String {
    if unit.is_empty() {
        value.to_owned()
    } else if unit.starts_with(['%', '‰', '％']) {
        format!("{value}{unit}")
    } else {
        format!("{value} {unit}")
    }
}

/// Tooltip text "category · series: exact value unit".
fn tooltip(category: &str, series: &str, value: f64, unit: &str) -> String {
    let value = with_unit(&format_exact(value), unit);
    if series.is_empty() {
        format!("{}: {value}", category.trim())
    } else {
        format!("{} · {series}: {value}", category.trim())
    }
}

fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

fn clean(v: f64) -> f64 {
    if v.is_finite() && v >= MIN_VALUE { v.min(MAX_VALUE) } else { 0.0 }
}

fn count_f(n: usize) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

/// How many items of `size` fit in `space` (at least one).
fn fit_count(space: f64, size: f64) -> usize {
    let mut n = 1;
    while count_f(n + 1) * size <= space && n < 1000 {
        n += 1;
    }
    n
}

/// Coordinate rounded to one decimal, without a trailing ".0".
fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.1}");
    match s.strip_suffix(".0") {
        Some("-0") => "0".to_owned(),
        Some(int) => int.to_owned(),
        None => s,
    }
}

/// Escapes text for XML content and attributes, dropping characters XML cannot carry.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether a character is drawn double width (CJK and similar).
fn is_wide(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x115F
            | 0x2026
            | 0x2E80..=0x303E
            | 0x3041..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD
    )
}

fn char_units(c: char) -> f64 {
    if is_wide(c) { 2.0 } else { 1.0 }
}

/// Display width in narrow-character units.
fn text_units(s: &str) -> f64 {
    s.chars().map(char_units).sum()
}

/// Estimated rendered width in pixels.
fn text_px(s: &str, size: f64) -> f64 {
    text_units(s) * size * CHAR_EM
}

/// Shortens a label to `max_units` narrow-character units, ending it with "…" when cut.
fn truncate(s: &str, max_units: f64) -> String {
    let s = s.trim();
    // Tolerates rounding in widths computed from pixel sizes.
    let max_units = max_units + 1e-6;
    if text_units(s) <= max_units {
        return s.to_owned();
    }
    let budget = max_units - char_units('…');
    let mut out = String::new();
    let mut used = 0.0;
    for c in s.chars() {
        let u = char_units(c);
        if used + u > budget {
            break;
        }
        used += u;
        out.push(c);
    }
    let mut out = out.trim_end().to_owned();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that `svg` is well-formed XML with a single `<svg>` root; returns the error otherwise.
    fn check_xml(svg: &str) -> Result<(), String> {
        let mut stack: Vec<String> = Vec::new();
        let mut roots = 0;
        let mut rest = svg;
        while !rest.is_empty() {
            let lt = rest.find('<').unwrap_or(rest.len());
            check_text(&rest[..lt])?;
            if stack.is_empty() && !rest[..lt].trim().is_empty() {
                return Err("text outside the root".into());
            }
            rest = &rest[lt..];
            if rest.is_empty() {
                break;
            }
            let end = tag_end(rest).ok_or("unterminated tag")?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let open = stack.pop().ok_or("close without open")?;
                if open != name.trim() {
                    return Err(format!("</{name}> closes <{open}>"));
                }
                continue;
            }
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') {
                return Err(format!("bad tag name in <{tag}>"));
            }
            check_attributes(&body[name.len()..])?;
            if stack.is_empty() {
                roots += 1;
            }
            if !self_closing {
                stack.push(name);
            }
        }
        if !stack.is_empty() {
            return Err(format!("unclosed {stack:?}"));
        }
        if roots != 1 {
            return Err(format!("{roots} roots"));
        }
        Ok(())
    }

    /// Index of the `>` closing the tag at the start of `s`, skipping quoted attribute values.
    fn tag_end(s: &str) -> Option<usize> {
        let mut quote = None;
        for (i, c) in s.char_indices().skip(1) {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => return Some(i),
                (None, '<') => return None,
                _ => {}
            }
        }
        None
    }

    fn check_text(s: &str) -> Result<(), String> {
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            rest = &rest[i + 1..];
            let semi = rest.find(';').ok_or("bare &")?;
            if !["amp", "lt", "gt", "quot", "apos"].contains(&&rest[..semi]) {
                return Err(format!("unknown entity &{};", &rest[..semi]));
            }
        }
        if s.contains('<') { Err("raw < in text".into()) } else { Ok(()) }
    }

    fn check_attributes(s: &str) -> Result<(), String> {
        let mut names = Vec::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            let eq = rest.find('=').ok_or_else(|| format!("attribute without value: {rest}"))?;
            let name = rest[..eq].trim();
            if name.is_empty() || name.contains(char::is_whitespace) || names.contains(&name) {
                return Err(format!("bad or duplicate attribute {name:?}"));
            }
            names.push(name);
            let after = &rest[eq + 1..];
            let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'').ok_or("unquoted attribute")?;
            let close = after[1..].find(quote).ok_or("unterminated attribute")?;
            check_text(&after[1..=close])?;
            rest = after[close + 2..].trim_start();
        }
        Ok(())
    }

    /// Opening tags (without `<`) of elements with the given class.
    fn tags_with_class<'a>(svg: &'a str, class: &str) -> Vec<&'a str> {
        let needle = format!("class=\"{class}\"");
        svg.split('<').filter(|t| t.contains(&needle)).map(|t| t.split('>').next().unwrap_or("")).collect()
    }

    fn attr(tag: &str, name: &str) -> f64 {
        let tag = format!(" {tag}");
        let key = format!(" {name}=\"");
        let start = tag.find(&key).unwrap() + key.len();
        let len = tag[start..].find('"').unwrap();
        tag[start..start + len].parse().unwrap()
    }

    /// Content of every `<text>` element, in document order.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text ")
            .skip(1)
            .map(|t| t.split_once('>').unwrap().1.split("</text>").next().unwrap().to_owned())
            .collect()
    }

    fn legend_texts(svg: &str) -> Vec<String> {
        let start = svg.find(r#"<g class="fc-legend">"#).unwrap();
        texts(&svg[start..])
    }

    fn sample() -> Chart {
        Chart {
            lang: Lang::Zh,
            title: "各市宣传活动参与人数".into(),
            unit: "人".into(),
            categories: ["广州", "深圳", "珠海", "汕头", "佛山"].map(String::from).to_vec(),
            series: vec![
                Series { name: "2023年".into(), values: vec![1200.0, 3400.0, 560.0, 980.0, 2100.0] },
                Series { name: "2024年".into(), values: vec![1500.0, 3900.0, 610.0, 1020.0, 2600.0] },
                Series { name: "2025年".into(), values: vec![1800.0, 4200.0, 700.0, 1100.0, 3000.0] },
            ],
        }
    }

    fn daily() -> Chart {
        Chart {
            lang: Lang::Zh,
            title: "每日访问量".into(),
            unit: "次".into(),
            categories: (1..=60).map(|d| format!("2025-{:02}-{:02}", 3 + (d - 1) / 30, 1 + (d - 1) % 30)).collect(),
            series: vec![Series { name: "访问".into(), values: (0..60).map(|i| f64::from(i * 37 % 101)).collect() }],
        }
    }

    fn many() -> Chart {
        Chart {
            lang: Lang::Zh,
            title: "各县区".into(),
            unit: String::new(),
            categories: (1..=15).map(|i| format!("第{i}区")).collect(),
            series: vec![Series { name: "数量".into(), values: (1..=15).map(f64::from).collect() }],
        }
    }

    type Draw = fn(&Chart, u32, u32) -> String;
    const KINDS: [(&str, Draw); 4] = [("bar", bar), ("stacked", stacked), ("line", line), ("ring", ring)];

    #[test]
    fn every_kind_is_well_formed_svg() {
        let empty = Chart { title: "空".into(), ..Chart::default() };
        for chart in [sample(), daily(), many(), empty] {
            for (kind, draw) in KINDS {
                for (w, h) in [(640, 400), (300, 480), (0, 0)] {
                    let svg = draw(&chart, w, h);
                    check_xml(&svg).unwrap_or_else(|e| panic!("{kind} {w}x{h}: {e}\n{svg}"));
                    assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#), "{kind}");
                    assert!(svg.contains(" role=\"img\"") && svg.contains(" viewBox=\"0 0 "), "{kind}");
                    assert!(svg.contains(&format!("<title>{}</title>", chart.title)), "{kind}");
                    assert!(svg.contains(FONT_FAMILY), "{kind}");
                }
            }
        }
    }

    #[test]
    fn checker_rejects_broken_xml() {
        for bad in [
            "<svg><g></svg>",
            "<svg>a & b</svg>",
            "<svg x=\"1\" x=\"2\"/>",
            "<svg><text>1 < 2</text></svg>",
            "<svg/><svg/>",
        ] {
            assert!(check_xml(bad).is_err(), "{bad}");
        }
        assert!(check_xml("<svg a=\"x &amp; y\"><g/>text</svg>").is_ok());
    }

    #[test]
    fn contains_title_and_every_category_label() {
        let chart = sample();
        for (kind, draw) in KINDS {
            let svg = draw(&chart, 640, 400);
            let texts = texts(&svg);
            assert!(texts.contains(&chart.title), "{kind}: visible title");
            for category in &chart.categories {
                assert!(texts.contains(category), "{kind}: {category}");
            }
        }
        let svg = bar(&many(), 640, 600);
        let texts = texts(&svg);
        for category in &many().categories {
            assert!(texts.contains(category), "horizontal: {category}");
        }
    }

    #[test]
    fn long_labels_are_truncated() {
        let long = "某某市消防救援支队防火监督处宣传教育科第一小组";
        assert_eq!(truncate("abc", 3.0), "abc");
        assert_eq!(truncate("abcdef", 5.0), "abc…");
        assert_eq!(truncate(long, 10.0), "某某市消…");
        assert!(text_units(&truncate(long, 9.0)) <= 9.0);
        let mut chart = sample();
        chart.categories[0] = long.into();
        for (kind, draw) in KINDS {
            let svg = draw(&chart, 480, 320);
            assert!(!svg.contains(&format!(">{long}<")), "{kind}: label not truncated");
            let shown = texts(&svg).into_iter().find(|t| t.starts_with("某某市") && t.ends_with('…'));
            assert!(shown.is_some(), "{kind}: no truncated label");
            assert!(svg.contains(&format!("<title>{long} · ")), "{kind}: tooltip keeps the full label");
        }
    }

    #[test]
    fn bar_heights_are_proportional_to_values() {
        let chart = Chart {
            lang: Lang::Zh,
            title: "对比".into(),
            unit: "次".into(),
            categories: vec!["甲".into(), "乙".into()],
            series: vec![Series { name: "次数".into(), values: vec![100.0, 40.0] }],
        };
        let svg = bar(&chart, 400, 300);
        let bars = tags_with_class(&svg, "fc-bar");
        assert_eq!(bars.len(), 2);
        let (a, b) = (attr(bars[0], "height"), attr(bars[1], "height"));
        assert!(a > 100.0, "bar should fill most of the plot: {a}");
        assert!((a / b - 2.5).abs() < 0.01, "{a} / {b}");
        // Both bars stand on the same baseline.
        assert!((attr(bars[0], "y") + a - attr(bars[1], "y") - b).abs() < 0.15);
        assert!(svg.contains("<title>甲 · 次数: 100 次</title>"));
    }

    #[test]
    fn stacked_segments_add_up() {
        let chart = Chart {
            lang: Lang::Zh,
            title: "堆叠".into(),
            unit: String::new(),
            categories: vec!["一".into(), "二".into()],
            series: vec![
                Series { name: "a".into(), values: vec![30.0, 10.0] },
                Series { name: "b".into(), values: vec![10.0, 10.0] },
            ],
        };
        let svg = stacked(&chart, 400, 300);
        let bars = tags_with_class(&svg, "fc-bar");
        let h: Vec<f64> = bars.iter().map(|t| attr(t, "height")).collect();
        assert_eq!(h.len(), 4);
        assert!(((h[0] + h[1]) / (h[2] + h[3]) - 2.0).abs() < 0.01, "{h:?}");
        // The second segment sits on top of the first.
        assert!((attr(bars[1], "y") + h[1] - attr(bars[0], "y")).abs() < 0.15);
    }

    #[test]
    fn many_categories_draw_horizontal_bars() {
        let svg = bar(&many(), 640, 600);
        let bars = tags_with_class(&svg, "fc-bar");
        assert_eq!(bars.len(), 15);
        let x0 = attr(bars[0], "x");
        for pair in bars.windows(2) {
            assert!((attr(pair[0], "x") - x0).abs() < f64::EPSILON, "bars start at the axis");
            assert!(attr(pair[1], "y") > attr(pair[0], "y"), "categories go down");
        }
        let ratio = attr(bars[14], "width") / attr(bars[0], "width");
        assert!((ratio - 15.0).abs() < 0.2, "{ratio}");
        // Twelve categories stay vertical.
        let mut twelve = many();
        twelve.categories.truncate(12);
        let bars = tags_with_class(&bar(&twelve, 640, 400), "fc-bar").iter().map(|t| attr(t, "y")).collect::<Vec<_>>();
        assert!(bars[11] < bars[0], "vertical bars grow upwards");
    }

    #[test]
    fn line_labels_are_thinned_without_overlap() {
        let chart = daily();
        let svg = line(&chart, 600, 300);
        assert_eq!(tags_with_class(&svg, "fc-pt").len(), 60);
        assert_eq!(tags_with_class(&svg, "fc-line").len(), 1);
        let shown: Vec<(f64, String)> = svg
            .split("<text ")
            .skip(1)
            .filter_map(|t| {
                let content = t.split_once('>')?.1.split("</text>").next()?;
                content.starts_with("2025-").then(|| (attr(t, "x"), content.to_owned()))
            })
            .collect();
        assert!(shown.len() > 3 && shown.len() < 20, "{}", shown.len());
        for pair in shown.windows(2) {
            let gap = pair[1].0 - pair[0].0;
            assert!(gap >= text_px(&pair[0].1, FONT_SIZE), "{pair:?}");
        }
        assert!(shown.iter().all(|(x, label)| x - text_px(label, FONT_SIZE) / 2.0 >= 0.0));
    }

    #[test]
    fn ring_percentages_sum_to_100() {
        for values in [vec![1.0, 1.0, 1.0], vec![5.0, 3.0, 1.5, 0.25, 0.0, 7.0], vec![1.0; 7], vec![42.0]] {
            let chart = Chart {
                lang: Lang::Zh,
                title: "占比".into(),
                unit: "起".into(),
                categories: (0..values.len()).map(|i| format!("类{i}")).collect(),
                series: vec![Series { name: "数量".into(), values: values.clone() }],
            };
            for (w, h) in [(600, 360), (320, 480)] {
                let svg = ring(&chart, w, h);
                let sum: f64 = legend_texts(&svg)
                    .iter()
                    .filter_map(|t| t.strip_suffix('%'))
                    .map(|p| p.parse::<f64>().unwrap())
                    .sum();
                assert!((sum - 100.0).abs() <= 0.1, "{values:?}: {sum}");
                let drawn = values.iter().filter(|v| **v > 0.0).count();
                assert_eq!(tags_with_class(&svg, "fc-seg").len(), drawn);
            }
        }
        assert_eq!(percentages(&[1.0, 1.0, 1.0]), ["33.4", "33.3", "33.3"]);
    }

    #[test]
    fn ring_shows_total_and_merges_small_slices() {
        let chart = Chart {
            lang: Lang::Zh,
            title: "警情分类".into(),
            unit: "起".into(),
            categories: (0..40).map(|i| format!("类型{i}")).collect(),
            series: vec![Series { name: "2024".into(), values: (0..40).map(|i| f64::from(1000 - i * 20)).collect() }],
        };
        let total: f64 = chart.series[0].values.iter().sum();
        for (w, h) in [(480, 260), (300, 400)] {
            let svg = ring(&chart, w, h);
            check_xml(&svg).unwrap();
            assert!(svg.contains(&format!("合计：{} 起", format_exact(total))));
            assert!(texts(&svg).contains(&format!("{} 起", format_compact(total, 2))));
            let legend = legend_texts(&svg);
            assert!(legend.contains(&"其他".to_owned()));
            assert!(legend.contains(&"类型0".to_owned()));
            assert!(!legend.contains(&"类型39".to_owned()));
            let segments = tags_with_class(&svg, "fc-seg");
            assert_eq!(segments.len(), PALETTE.len());
            assert!(segments[7].contains(&format!("fill=\"{}\"", PALETTE[7])));
            assert!(svg.contains("<title>其他（33项） · 2024: "));
        }
    }

    #[test]
    fn labels_are_escaped() {
        let mut chart = sample();
        chart.categories[1] = "<script>alert('x')</script>".into();
        chart.series[0].name = "A & \"B\"".into();
        chart.title = "<b>标题</b>".into();
        for (kind, draw) in KINDS {
            let svg = draw(&chart, 640, 400);
            check_xml(&svg).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(!svg.contains("<script"), "{kind}");
            assert!(!svg.contains("<b>"), "{kind}");
            assert!(svg.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"), "{kind}");
        }
        assert!(bar(&chart, 640, 400).contains("A &amp; &quot;B&quot;"));
        assert_eq!(escape("a\u{1}b\nc"), "ab c");
    }

    #[test]
    fn empty_data_shows_message() {
        let base = sample();
        let zeros = Chart { series: vec![Series { name: "a".into(), values: vec![0.0; 5] }], ..base.clone() };
        let junk = Chart {
            lang: Lang::Zh,
            series: vec![Series { name: "a".into(), values: vec![f64::NAN, -3.0, f64::INFINITY, f64::NEG_INFINITY] }],
            ..base.clone()
        };
        let cases = [
            Chart { categories: Vec::new(), ..base.clone() },
            Chart { series: Vec::new(), ..base.clone() },
            zeros,
            junk,
        ];
        for chart in &cases {
            for (kind, draw) in KINDS {
                let svg = draw(chart, 640, 400);
                assert!(svg.contains("暂无数据"), "{kind}");
                assert!(!svg.contains("fc-grid") && !svg.contains("fc-bar") && !svg.contains("fc-seg"), "{kind}");
                check_xml(&svg).unwrap();
            }
        }
        for (kind, draw) in KINDS {
            assert!(!draw(&base, 640, 400).contains("暂无数据"), "{kind}");
            let korean = Chart { lang: Lang::Ko, series: Vec::new(), ..base.clone() };
            assert!(draw(&korean, 640, 400).contains("데이터 없음"), "{kind}");
        }
    }

    #[test]
    fn invalid_values_count_as_zero() {
        let chart = Chart {
            lang: Lang::Zh,
            title: "t".into(),
            unit: String::new(),
            categories: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            series: vec![Series { name: "s".into(), values: vec![f64::NAN, -5.0, 10.0] }],
        };
        let svg = bar(&chart, 400, 300);
        let heights: Vec<f64> = tags_with_class(&svg, "fc-bar").iter().map(|t| attr(t, "height")).collect();
        assert_eq!(heights.len(), 4);
        assert!(heights[0].abs() < f64::EPSILON && heights[1].abs() < f64::EPSILON && heights[3].abs() < f64::EPSILON);
        assert!(heights[2] > 0.0);
        assert!(svg.contains("<title>a · s: 0</title>"));
    }

    #[test]
    fn nice_ticks_for_typical_maxima() {
        let expect = [(7.0, 2.0, 4), (355.0, 100.0, 4), (28_560.0, 10_000.0, 3), (1_050_000.0, 250_000.0, 5)];
        for (max, step, intervals) in expect {
            let t = nice_ticks(max);
            assert!((t.step - step).abs() < 1e-6 * step && t.intervals == intervals, "{max}: {t:?}");
        }
        assert_eq!(nice_ticks(1_050_000.0).labels(), ["0", "25万", "50万", "75万", "100万", "125万"]);
        assert_eq!(nice_ticks(7.0).labels(), ["0", "2", "4", "6", "8"]);
        assert_eq!(nice_ticks(12_000.0).labels(), ["0", "2,500", "5,000", "7,500", "10,000", "12,500"]);
        assert_eq!(nice_ticks(28_560.0).labels(), ["0", "1万", "2万", "3万"]);
        assert_eq!(nice_ticks(105_000_000.0).labels(), ["0", "0.25亿", "0.5亿", "0.75亿", "1亿", "1.25亿"]);
        assert_eq!(nice_ticks(9_000.0).labels(), ["0", "2,000", "4,000", "6,000", "8,000", "10,000"]);
        assert_eq!(nice_ticks(0.7).labels(), ["0", "0.2", "0.4", "0.6", "0.8"]);
        let mut max = 0.013;
        while max < 1e14 {
            let t = nice_ticks(max);
            assert!((3..=5).contains(&t.intervals), "{max}: {t:?}");
            assert!(t.top() >= max * (1.0 - 1e-9), "{max}: {t:?}");
            let mut mantissa = t.step;
            while mantissa >= 10.0 - 1e-9 {
                mantissa /= 10.0;
            }
            while mantissa < 1.0 - 1e-9 {
                mantissa *= 10.0;
            }
            assert!([1.0, 2.0, 2.5, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-6), "{max}: {t:?}");
            let labels = t.labels();
            let mut unique = labels.clone();
            unique.dedup();
            assert_eq!(unique.len(), labels.len(), "{max}: {labels:?}");
            max *= 1.37;
        }
    }

    #[test]
    fn compact_and_exact_formatting() {
        assert_eq!(format_compact(0.0, 0), "0");
        assert_eq!(format_compact(9_999.0, 0), "9,999");
        assert_eq!(format_compact(10_000.0, 0), "1万");
        assert_eq!(format_compact(25_000.0, 0), "2.5万");
        assert_eq!(format_compact(1_050_000.0, 0), "105万");
        assert_eq!(format_compact(12_345_678.0, 0), "1,234.57万");
        assert_eq!(format_compact(99_999_999.0, 0), "1亿");
        assert_eq!(format_compact(123_456_789.0, 0), "1.23亿");
        assert_eq!(format_compact(250_000_000.0, 0), "2.5亿");
        assert_eq!(format_compact(1e12, 0), "10,000亿");
        assert_eq!(format_compact(0.25, 2), "0.25");
        assert_eq!(format_exact(1_050_000.0), "1,050,000");
        assert_eq!(format_exact(1_234.5), "1,234.5");
        assert_eq!(format_exact(999.0), "999");
        assert_eq!(format_exact(1e15), "1,000,000,000,000,000");
        assert_eq!(with_unit("12.5", "%"), "12.5%");
        assert_eq!(with_unit("3", "人"), "3 人");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
    }

    #[test]
    fn tooltips_keep_exact_values() {
        let chart = Chart {
            lang: Lang::Zh,
            title: "人数".into(),
            unit: "人".into(),
            categories: vec!["广州".into(), "深圳".into()],
            series: vec![Series { name: "2024".into(), values: vec![1_050_000.0, 28_560.5] }],
        };
        for (kind, draw) in KINDS {
            let svg = draw(&chart, 640, 400);
            assert!(svg.contains("<title>广州 · 2024: 1,050,000 人"), "{kind}");
            assert!(svg.contains("<title>深圳 · 2024: 28,560.5 人"), "{kind}");
        }
        assert!(bar(&chart, 640, 400).contains(">125万<"));
    }

    #[test]
    fn legend_only_with_several_series_and_palette_cycles() {
        let mut chart = sample();
        chart.series.truncate(1);
        for (kind, draw) in [("bar", bar as Draw), ("stacked", stacked), ("line", line)] {
            assert!(!draw(&chart, 640, 400).contains("fc-legend"), "{kind}");
        }
        chart.series = (0..9).map(|i| Series { name: format!("S{i}"), values: vec![1.0; 5] }).collect();
        let svg = bar(&chart, 800, 400);
        assert!(svg.contains("fc-legend"));
        let fills: Vec<&str> = tags_with_class(&svg, "fc-bar")
            .iter()
            .take(9)
            .map(|t| t.split("fill=\"").nth(1).and_then(|f| f.split('"').next()).unwrap())
            .collect();
        assert_eq!(&fills[..8], &PALETTE);
        assert_eq!(fills[8], PALETTE[0]);
    }

    #[test]
    fn coordinates_have_at_most_one_decimal() {
        for chart in [sample(), daily(), many()] {
            for (kind, draw) in KINDS {
                let svg = draw(&chart, 617, 389);
                for part in svg.split(['"', ' ', ',', 'M', 'A', 'L', 'Z', '(', ')']) {
                    if let Some((int, frac)) = part.split_once('.')
                        && !int.is_empty()
                        && int.chars().all(|c| c.is_ascii_digit() || c == '-')
                        && frac.chars().all(|c| c.is_ascii_digit())
                    {
                        assert!(frac.len() <= 1, "{kind}: {part}");
                    }
                }
            }
        }
    }

    #[test]
    fn output_is_deterministic() {
        for chart in [sample(), daily(), many()] {
            for (kind, draw) in KINDS {
                assert_eq!(draw(&chart, 640, 400), draw(&chart.clone(), 640, 400), "{kind}");
            }
        }
    }
}
