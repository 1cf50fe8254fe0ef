//! Schematic choropleth map of Jilin province, drawn server-side as an SVG string.
//!
//! The boundaries come from `data/map/jilin-prefectures.geojson` (the 9 prefectures) and
//! `data/map/jilin-counties.geojson` (the 60 counties and districts), compiled into the binary and parsed
//! once. They are simplified and unofficial, so every map carries the label 示意图 (schematic map).
//! See `data/README.md` for their provenance.
//!
//! The projection is equirectangular with longitude scaled by cos 43.5°, fitted to the requested size with
//! a margin, north up. Both levels share one frame, so a prefecture map and a county map of the same size
//! line up exactly.
//!
//! Regions are coloured on a sequential scale of five classes from light to firecast red (`#c8281a`).
//! The classes are **quantiles** of the values shown: the sorted values are cut at the 20th, 40th, 60th
//! and 80th percentiles (nearest rank), and values equal to a cut point stay in the lower class. Ties
//! can leave a class empty; empty classes are dropped and the remaining ones keep the ends of the scale,
//! so the lowest value always gets the lightest colour and the highest the darkest. The legend shows,
//! for each class, the lowest and highest value that fell into it.
//!
//! Regions without a value are light grey and listed as 无数据 (no data) in the legend. Values for codes
//! the map does not know are ignored, among them the Changbaishan protection and development zone
//! (229900), which has no boundary of its own, and non-finite values count as missing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::LazyLock;

use serde_json::Value;

use crate::i18n::Lang;

/// Which boundaries to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The 9 prefecture-level divisions (市/州), with codes like `220100`.
    Prefecture,
    /// The 60 county-level divisions (县/区/县级市), with codes like `220102`.
    County,
}

/// A value for one region, by its 6-digit code (prefectures like "220100", counties like "220102").
#[derive(Clone, Debug, PartialEq)]
pub struct MapValue {
    /// GB/T 2260 code of the region: 6 digits.
    pub code: String,
    /// The value to show; non-finite values count as missing.
    pub value: f64,
}

/// Draws the map: regions coloured by value on a sequential scale, with a legend, hover titles,
/// prefecture labels, the title on top and 示意图 in the bottom-right corner.
///
/// Colours come from five quantile classes, light to firecast red `#c8281a` (see the module
/// documentation); regions without a value are light grey and listed as 无数据. The legend shows the
/// unit and each class's range with thousands separators. Every region is one `<path>` with
/// `data-code`, `data-value` (the value as a plain number, empty when there is none) and a `<title>`
/// child `"name: value unit"`. Prefecture maps label each region at an interior point; county maps
/// have no labels and draw the prefecture borders over the counties instead.
///
/// If a code occurs more than once in `values`, the last occurrence wins. The output depends only on
/// the arguments; coordinates are rounded to one decimal. `width` and `height` are in pixels and
/// become both the `viewBox` and the size of the image.
pub fn choropleth(
    lang: Lang,
    level: Level,
    values: &[MapValue],
    title: &str,
    unit: &str,
    width: u32,
    height: u32,
) -> String {
    let atlas = &*ATLAS;
    let regions = atlas.level(level);

    let mut known: BTreeMap<&str, f64> = BTreeMap::new();
    for item in values {
        if let Some(region) = regions.iter().find(|r| r.code == item.code) {
            if item.value.is_finite() {
                known.insert(region.code.as_str(), item.value);
            } else {
                known.remove(region.code.as_str());
            }
        }
    }
    let classes = Classes::new(known.values().copied().collect());

    let w = f64::from(width.max(1));
    let h = f64::from(height.max(1));
    let short = w.min(h);
    let font = (short / 45.0).clamp(12.0, 15.0);
    let title_size = font * 1.45;
    let margin = (short * 0.03).max(2.0);
    let top = margin + title_size * 1.6;
    let frame = Frame::fit(&atlas.bounds, margin, top, w - margin, h - margin);

    let mut svg = String::with_capacity(if level == Level::County { 120_000 } else { 40_000 });
    let title_text = escape_xml(title);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" \
         height=\"{height}\" role=\"img\" aria-label=\"{title_text}\" font-family=\"{FONTS}\">\
         <title>{title_text}</title>\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\
         <text class=\"map-title\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" font-size=\"{size}\" \
         font-weight=\"bold\" fill=\"#222222\">{title_text}</text>",
        x = num(w / 2.0),
        y = num(margin + title_size),
        size = num(title_size),
    );

    let stroke = if level == Level::County { "0.5" } else { "1" };
    let _ = write!(
        svg,
        "<g class=\"regions\" stroke=\"#ffffff\" stroke-width=\"{stroke}\" stroke-linejoin=\"round\" \
         fill-rule=\"evenodd\">"
    );
    for region in regions {
        let value = known.get(region.code.as_str()).copied();
        let (fill, data_value, shown) = match value {
            Some(v) => {
                let shown = if unit.is_empty() { format_number(v) } else { format!("{} {unit}", format_number(v)) };
                (classes.colour(v), v.to_string(), shown)
            }
            None => (NO_DATA, String::new(), lang.t("map.no_data").to_owned()),
        };
        let _ = write!(
            svg,
            "<path class=\"region\" data-code=\"{code}\" data-value=\"{data_value}\" fill=\"{fill}\" d=\"",
            code = escape_xml(&region.code),
        );
        for polygon in &region.polygons {
            for ring in polygon {
                frame.write_ring(&mut svg, ring);
            }
        }
        let _ = write!(svg, "\"><title>{}</title></path>", escape_xml(&format!("{}: {shown}", region.name)));
    }
    svg.push_str("</g>");

    if level == Level::County {
        svg.push_str(
            "<g class=\"outlines\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"1.6\" stroke-linejoin=\"round\" \
             pointer-events=\"none\"><path d=\"",
        );
        for region in &atlas.prefectures {
            for ring in region.polygons.iter().flatten() {
                frame.write_ring(&mut svg, ring);
            }
        }
        svg.push_str("\"/></g>");
    } else {
        let _ = write!(
            svg,
            "<g class=\"labels\" font-size=\"{size}\" text-anchor=\"middle\" fill=\"#222222\" stroke=\"#ffffff\" \
             stroke-width=\"{halo}\" stroke-linejoin=\"round\" paint-order=\"stroke\" pointer-events=\"none\">",
            size = num(font),
            halo = num(font / 4.0),
        );
        for region in regions {
            let (x, y) = frame.apply(region.label);
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" dy=\"0.35em\">{}</text>",
                num(x),
                num(y),
                escape_xml(&region.name)
            );
        }
        svg.push_str("</g>");
    }

    write_legend(&mut svg, lang, &classes, unit, known.len() < regions.len(), (margin, h - margin), font);

    let _ = write!(
        svg,
        "<text class=\"map-note\" x=\"{x}\" y=\"{y}\" text-anchor=\"end\" font-size=\"{size}\" font-weight=\"bold\" \
         fill=\"#555555\">{}</text></svg>",
        lang.t("map.schematic"),
        x = num(w - margin),
        y = num(h - margin),
        size = num(font * 1.2),
    );
    svg
}

/// The regions the map knows at a level: (code, name), sorted by code.
pub fn regions(level: Level) -> Vec<(String, String)> {
    ATLAS.level(level).iter().map(|r| (r.code.clone(), r.name.clone())).collect()
}

/// Whether the point (longitude, latitude) lies inside the outline of a region the map knows
/// (a prefecture such as "220100"); `None` when the map has no outline for the code.
pub fn prefecture_contains(code: &str, lon: f64, lat: f64) -> Option<bool> {
    let region = ATLAS.level(Level::Prefecture).iter().find(|r| r.code == code)?;
    let point = [lon * MID_LATITUDE.to_radians().cos(), lat];
    Some(region.polygons.iter().any(|polygon| polygon_contains(polygon, point)))
}

const PREFECTURES_GEOJSON: &str = include_str!("../../data/map/jilin-prefectures.geojson");
const COUNTIES_GEOJSON: &str = include_str!("../../data/map/jilin-counties.geojson");

/// Class colours, lightest to darkest; the last is firecast red.
const PALETTE: [&str; 5] = ["#fee5d9", "#fcae91", "#f5775a", "#e0452f", "#c8281a"];
/// Fill of regions without a value.
const NO_DATA: &str = "#d4d4d4";
/// Legend and hover text for regions without a value.
/// The label every map carries: the boundaries are schematic, not an approved map.
/// Font stack with CJK fonts first; single quotes so it fits in a double-quoted attribute.
const FONTS: &str = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif";
/// Latitude whose cosine scales longitude in the projection: the middle of Jilin.
const MID_LATITUDE: f64 = 43.5;
/// Rings smaller than this (projected square degrees, about 1 km²) are slivers left by simplifying and
/// joining boundaries, not real territory, and are dropped.
const SLIVER_AREA: f64 = 1e-4;

/// A point in projected map units: x = longitude × cos 43.5°, y = latitude.
type Point = [f64; 2];
/// A closed ring without the repeated closing point.
type Ring = Vec<Point>;

/// One region with its projected polygons (outer ring first, then holes).
struct Region {
    code: String,
    name: String,
    polygons: Vec<Vec<Ring>>,
    label: Point,
}

/// Extent of the projected boundaries.
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

/// Both levels, parsed and projected once.
struct Atlas {
    prefectures: Vec<Region>,
    counties: Vec<Region>,
    bounds: Bounds,
}

static ATLAS: LazyLock<Atlas> = LazyLock::new(Atlas::load);

impl Atlas {
    /// Parses the compiled-in files. They are fixed at build time and checked by the tests, so a level
    /// that does not parse is left empty rather than failing at run time.
    fn load() -> Self {
        let lon_scale = MID_LATITUDE.to_radians().cos();
        let prefectures = parse_regions(PREFECTURES_GEOJSON, lon_scale).unwrap_or_default();
        let counties = parse_regions(COUNTIES_GEOJSON, lon_scale).unwrap_or_default();
        let mut bounds =
            Bounds { min_x: f64::INFINITY, min_y: f64::INFINITY, max_x: f64::NEG_INFINITY, max_y: f64::NEG_INFINITY };
        for point in prefectures.iter().chain(&counties).flat_map(|r| r.polygons.iter().flatten().flatten()) {
            bounds.min_x = bounds.min_x.min(point[0]);
            bounds.min_y = bounds.min_y.min(point[1]);
            bounds.max_x = bounds.max_x.max(point[0]);
            bounds.max_y = bounds.max_y.max(point[1]);
        }
        if !bounds.min_x.is_finite() {
            bounds = Bounds { min_x: 0.0, min_y: 0.0, max_x: 1.0, max_y: 1.0 };
        }
        Self { prefectures, counties, bounds }
    }

    fn level(&self, level: Level) -> &[Region] {
        match level {
            Level::Prefecture => &self.prefectures,
            Level::County => &self.counties,
        }
    }
}

/// Reads a `GeoJSON` feature collection whose features carry `code` and `name` properties and a
/// Polygon or `MultiPolygon` geometry in longitude/latitude.
fn parse_regions(text: &str, lon_scale: f64) -> Result<Vec<Region>, String> {
    let root: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let features = root.get("features").and_then(Value::as_array).ok_or("no features")?;
    let mut regions = Vec::with_capacity(features.len());
    for feature in features {
        let properties = feature.get("properties").ok_or("feature without properties")?;
        let text_property = |key: &str| {
            properties.get(key).and_then(Value::as_str).map(str::to_owned).ok_or(format!("feature without {key}"))
        };
        let code = text_property("code")?;
        let name = text_property("name")?;
        let geometry = feature.get("geometry").ok_or_else(|| format!("{code}: no geometry"))?;
        let coordinates = geometry.get("coordinates").ok_or_else(|| format!("{code}: no coordinates"))?;
        let raw = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![parse_polygon(coordinates, lon_scale)?],
            Some("MultiPolygon") => coordinates
                .as_array()
                .ok_or_else(|| format!("{code}: bad MultiPolygon"))?
                .iter()
                .map(|p| parse_polygon(p, lon_scale))
                .collect::<Result<_, _>>()?,
            other => return Err(format!("{code}: unsupported geometry {other:?}")),
        };
        let polygons: Vec<Vec<Ring>> = raw
            .into_iter()
            .filter(|polygon| polygon.first().is_some_and(|outer| ring_area(outer).abs() >= SLIVER_AREA))
            .map(|polygon| polygon.into_iter().filter(|ring| ring_area(ring).abs() >= SLIVER_AREA).collect())
            .collect();
        let label = label_point(&polygons).ok_or_else(|| format!("{code}: no polygon"))?;
        regions.push(Region { code, name, polygons, label });
    }
    regions.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(regions)
}

/// Reads one polygon (an array of rings), projecting and dropping each ring's closing point.
fn parse_polygon(value: &Value, lon_scale: f64) -> Result<Vec<Ring>, String> {
    let rings = value.as_array().ok_or("polygon is not an array")?;
    let mut polygon = Vec::with_capacity(rings.len());
    for ring in rings {
        let positions = ring.as_array().ok_or("ring is not an array")?;
        let mut points: Ring = Vec::with_capacity(positions.len());
        for position in positions {
            let lon = position.get(0).and_then(Value::as_f64).ok_or("bad longitude")?;
            let lat = position.get(1).and_then(Value::as_f64).ok_or("bad latitude")?;
            points.push([lon * lon_scale, lat]);
        }
        if points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        if points.len() >= 3 {
            polygon.push(points);
        }
    }
    Ok(polygon)
}

/// Signed area of a ring (shoelace formula).
fn ring_area(ring: &[Point]) -> f64 {
    let mut sum = 0.0;
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        sum += a[0] * b[1] - b[0] * a[1];
    }
    sum / 2.0
}

/// Area centroid of a ring.
fn ring_centroid(ring: &[Point]) -> Option<Point> {
    let area = ring_area(ring);
    if area.abs() < f64::EPSILON {
        return None;
    }
    let (mut x, mut y) = (0.0, 0.0);
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        let cross = a[0] * b[1] - b[0] * a[1];
        x += (a[0] + b[0]) * cross;
        y += (a[1] + b[1]) * cross;
    }
    Some([x / (6.0 * area), y / (6.0 * area)])
}

/// Whether a point lies inside a polygon (even-odd rule over all its rings).
fn polygon_contains(polygon: &[Ring], point: Point) -> bool {
    let mut inside = false;
    for ring in polygon {
        for (i, a) in ring.iter().enumerate() {
            let b = ring[(i + 1) % ring.len()];
            if (a[1] > point[1]) != (b[1] > point[1]) {
                let x = a[0] + (point[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1]);
                if point[0] < x {
                    inside = !inside;
                }
            }
        }
    }
    inside
}

/// Where to put a region's label: the centroid of its largest polygon if that lies inside it,
/// otherwise the middle of the widest inside stretch of the horizontal line through the centroid.
fn label_point(polygons: &[Vec<Ring>]) -> Option<Point> {
    let largest = polygons
        .iter()
        .filter(|p| !p.is_empty())
        .max_by(|a, b| ring_area(&a[0]).abs().total_cmp(&ring_area(&b[0]).abs()))?;
    let centroid = ring_centroid(&largest[0])?;
    if polygon_contains(largest, centroid) {
        return Some(centroid);
    }
    let y = centroid[1];
    let mut crossings: Vec<f64> = Vec::new();
    for ring in largest {
        for (i, a) in ring.iter().enumerate() {
            let b = ring[(i + 1) % ring.len()];
            if (a[1] > y) != (b[1] > y) {
                crossings.push(a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]));
            }
        }
    }
    crossings.sort_by(f64::total_cmp);
    crossings
        .chunks_exact(2)
        .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))
        .map(|pair| [f64::midpoint(pair[0], pair[1]), y])
        .or(Some(centroid))
}

/// Maps projected points into the drawing area: uniform scale, centred, y flipped.
struct Frame {
    scale: f64,
    offset_x: f64,
    offset_y: f64,
    min_x: f64,
    max_y: f64,
}

impl Frame {
    /// Fits `bounds` into the box from (`left`, `top`) to (`right`, `bottom`).
    fn fit(bounds: &Bounds, left: f64, top: f64, right: f64, bottom: f64) -> Self {
        let span_x = (bounds.max_x - bounds.min_x).max(f64::EPSILON);
        let span_y = (bounds.max_y - bounds.min_y).max(f64::EPSILON);
        let scale = ((right - left) / span_x).min((bottom - top) / span_y).max(0.0);
        Self {
            scale,
            offset_x: left + ((right - left) - span_x * scale).max(0.0) / 2.0,
            offset_y: top + ((bottom - top) - span_y * scale).max(0.0) / 2.0,
            min_x: bounds.min_x,
            max_y: bounds.max_y,
        }
    }

    fn apply(&self, point: Point) -> (f64, f64) {
        (self.offset_x + (point[0] - self.min_x) * self.scale, self.offset_y + (self.max_y - point[1]) * self.scale)
    }

    /// Appends a ring as `M…L…Z`, dropping points that round onto the previous one; rings that
    /// collapse below three points are left out.
    fn write_ring(&self, out: &mut String, ring: &[Point]) {
        let mut points: Vec<(String, String)> = Vec::with_capacity(ring.len());
        for &point in ring {
            let (x, y) = self.apply(point);
            let rounded = (num(x), num(y));
            if points.last() != Some(&rounded) {
                points.push(rounded);
            }
        }
        while points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        if points.len() < 3 {
            return;
        }
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(out, "{}{x} {y}", if i == 0 { 'M' } else { 'L' });
        }
        out.push('Z');
    }
}

/// Quantile classes of the values on the map.
struct Classes {
    /// Cut points: a value above `cuts[k]` is in class k + 1 or higher.
    cuts: Vec<f64>,
    /// For each non-empty class, lowest to highest: its raw class index, value range and colour.
    shown: Vec<(usize, f64, f64, &'static str)>,
}

impl Classes {
    fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        if n == 0 {
            return Self { cuts: Vec::new(), shown: Vec::new() };
        }
        let count = PALETTE.len();
        let cuts: Vec<f64> = (1..count).map(|k| values[(k * n).div_ceil(count) - 1]).collect();
        let mut ranges: Vec<Option<(f64, f64)>> = vec![None; count];
        for &v in &values {
            let class = cuts.iter().filter(|&&cut| v > cut).count();
            let range = ranges[class].get_or_insert((v, v));
            range.0 = range.0.min(v);
            range.1 = range.1.max(v);
        }
        let non_empty: Vec<(usize, (f64, f64))> =
            ranges.into_iter().enumerate().filter_map(|(i, r)| r.map(|r| (i, r))).collect();
        let m = non_empty.len();
        let shown = non_empty
            .into_iter()
            .enumerate()
            .map(|(j, (class, (low, high)))| {
                // Spread the classes that are left over the whole scale, ends fixed.
                let index = if m == 1 { count - 1 } else { (2 * j * (count - 1) + (m - 1)) / (2 * (m - 1)) };
                (class, low, high, PALETTE[index])
            })
            .collect();
        Self { cuts, shown }
    }

    fn colour(&self, value: f64) -> &'static str {
        let class = self.cuts.iter().filter(|&&cut| value > cut).count();
        self.shown.iter().find(|s| s.0 == class).map_or(NO_DATA, |s| s.3)
    }
}

/// Draws the legend with its bottom-left corner at (`left`, `bottom`): unit, classes from lowest to
/// highest, then 无数据 if some region has no value.
fn write_legend(
    out: &mut String,
    lang: Lang,
    classes: &Classes,
    unit: &str,
    missing: bool,
    (left, bottom): (f64, f64),
    font: f64,
) {
    let row = font * 1.6;
    let swatch = font * 1.1;
    let mut rows: Vec<(Option<&str>, String)> =
        classes.shown.iter().map(|&(_, low, high, colour)| (Some(colour), format_range(low, high))).collect();
    if missing {
        rows.push((Some(NO_DATA), lang.t("map.no_data").to_owned()));
    }
    if !unit.is_empty() {
        rows.insert(0, (None, lang.text("chart.unit", &[unit])));
    }
    let rows_f = f64::from(u32::try_from(rows.len()).unwrap_or(u32::MAX));
    let mut y = bottom - rows_f * row;
    let _ = write!(out, "<g class=\"legend\" font-size=\"{}\" fill=\"#333333\">", num(font));
    for (colour, text) in rows {
        let text = escape_xml(&text);
        match colour {
            Some(colour) => {
                let _ = write!(
                    out,
                    "<rect x=\"{}\" y=\"{}\" width=\"{s}\" height=\"{s}\" fill=\"{colour}\" stroke=\"#999999\" \
                     stroke-width=\"0.5\"/><text x=\"{}\" y=\"{}\">{text}</text>",
                    num(left),
                    num(y + (row - swatch) / 2.0),
                    num(left + swatch + font * 0.5),
                    num(y + row / 2.0 + font * 0.35),
                    s = num(swatch),
                );
            }
            None => {
                let _ =
                    write!(out, "<text x=\"{}\" y=\"{}\">{text}</text>", num(left), num(y + row / 2.0 + font * 0.35));
            }
        }
        y += row;
    }
    out.push_str("</g>");
}

/// A class range for the legend: "low–high", or one number if both are the same.
fn format_range(low: f64, high: f64) -> String {
    let (low, high) = (format_number(low), format_number(high));
    if low == high { low } else { format!("{low}–{high}") }
}

/// Formats a value for people: thousands separators, at most two decimals (four below 0.1),
/// trailing zeros dropped.
fn format_number(value: f64) -> String {
    let decimals = if value.abs() >= 0.1 { 2 } else { 4 };
    let text = format!("{:.*}", decimals, value.abs());
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    let (integer, fraction) = text.split_once('.').map_or((text, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(text.len() + text.len() / 3 + 1);
    if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        grouped.push('-');
    }
    for (i, digit) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

/// A coordinate or size rounded to one decimal, without a trailing ".0" or a negative zero.
fn num(value: f64) -> String {
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

/// Escapes text for XML content and attribute values, dropping characters XML 1.0 does not allow.
fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFECTURE_NAMES: [&str; 9] =
        ["长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市", "延边朝鲜族自治州"];

    fn values(pairs: &[(&str, f64)]) -> Vec<MapValue> {
        pairs.iter().map(|&(code, value)| MapValue { code: code.to_owned(), value }).collect()
    }

    /// One value per prefecture: 220100 gets `first`, the others 1000, 2000, … in code order.
    fn prefecture_values(first: f64) -> Vec<MapValue> {
        let mut out = Vec::new();
        let mut next = 1000.0;
        for (code, _) in regions(Level::Prefecture) {
            let value = if code == "220100" { first } else { next };
            next += 1000.0;
            out.push(MapValue { code, value });
        }
        out
    }

    /// The opening tag of the element with this data-code.
    fn element<'a>(svg: &'a str, code: &str) -> &'a str {
        let needle = format!("data-code=\"{code}\"");
        let at = svg.find(&needle).unwrap_or_else(|| panic!("no element for {code}"));
        let start = svg[..at].rfind('<').unwrap();
        let end = at + svg[at..].find('>').unwrap();
        &svg[start..=end]
    }

    fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
        let needle = format!(" {name}=\"");
        let start = tag.find(&needle).unwrap_or_else(|| panic!("no {name} in {tag}")) + needle.len();
        let len = tag[start..].find('"').unwrap();
        &tag[start..start + len]
    }

    fn fill_of(svg: &str, code: &str) -> String {
        attribute(element(svg, code), "fill").to_owned()
    }

    /// Minimal XML check: one root, balanced and properly nested tags, quoted attributes without `<`,
    /// and `&` only as one of the five predefined entities.
    fn check_well_formed(xml: &str) {
        let mut stack: Vec<&str> = Vec::new();
        let mut roots = 0;
        let mut rest = xml;
        while let Some(open) = rest.find('<') {
            check_text(&rest[..open]);
            let tag_start = &rest[open + 1..];
            let mut in_quote = None;
            let mut close = None;
            for (i, c) in tag_start.char_indices() {
                match (in_quote, c) {
                    (None, '"' | '\'') => in_quote = Some(c),
                    (Some(q), c) if c == q => in_quote = None,
                    (Some(_), '<') => panic!("< inside attribute: {}", &tag_start[..i]),
                    (None, '>') => {
                        close = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let close = close.expect("unterminated tag");
            let tag = &tag_start[..close];
            check_text(tag);
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
            } else {
                let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap();
                assert!(!name.is_empty(), "empty tag name");
                if stack.is_empty() {
                    roots += 1;
                }
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &tag_start[close + 1..];
        }
        check_text(rest);
        assert!(rest.trim().is_empty(), "text after the root");
        assert!(stack.is_empty(), "unclosed: {stack:?}");
        assert_eq!(roots, 1, "exactly one root element");
    }

    fn check_text(text: &str) {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|e| entity.starts_with(e)),
                "bare & in {text}"
            );
        }
    }

    /// All numbers in all `d` attributes, as (x, y) pairs.
    fn path_points(svg: &str) -> Vec<(f64, f64)> {
        let mut points = Vec::new();
        for chunk in svg.split(" d=\"").skip(1) {
            let d = &chunk[..chunk.find('"').unwrap()];
            assert!(d.chars().all(|c| "MLZ .-0123456789".contains(c)), "unexpected path data: {d}");
            for segment in d.split(['M', 'L', 'Z']).filter(|s| !s.is_empty()) {
                let (x, y) = segment.split_once(' ').unwrap();
                points.push((x.parse().unwrap(), y.parse().unwrap()));
            }
        }
        points
    }

    #[test]
    fn both_levels_parse() {
        let prefectures = regions(Level::Prefecture);
        let counties = regions(Level::County);
        assert_eq!(prefectures.len(), 9);
        assert_eq!(counties.len(), 60);
        for list in [&prefectures, &counties] {
            assert!(list.windows(2).all(|w| w[0].0 < w[1].0), "sorted by code, no duplicates");
            assert!(list.iter().all(|(code, name)| code.len() == 6 && code.starts_with("22") && !name.is_empty()));
        }
        for name in PREFECTURE_NAMES {
            assert!(prefectures.iter().any(|(_, n)| n == name), "{name}");
        }
        assert!(prefectures.iter().any(|(code, name)| code == "222400" && name == "延边朝鲜族自治州"));
        assert!(!prefectures.iter().any(|(code, _)| code == "229900"), "Changbaishan has no boundary");
        assert!(counties.iter().any(|(code, name)| code == "220184" && name == "公主岭市"));
        // Every county lies in one of the prefectures.
        for (code, _) in &counties {
            let prefecture = format!("{}00", &code[..4]);
            assert!(prefectures.iter().any(|(c, _)| *c == prefecture), "{code}");
        }
        for region in ATLAS.prefectures.iter().chain(&ATLAS.counties) {
            assert!(!region.polygons.is_empty(), "{}", region.code);
            assert!(region.polygons.iter().all(|p| !p.is_empty()), "{}", region.code);
        }
    }

    #[test]
    fn label_points_lie_inside_their_region() {
        for region in ATLAS.prefectures.iter().chain(&ATLAS.counties) {
            assert!(
                region.polygons.iter().any(|p| polygon_contains(p, region.label)),
                "label of {} {} outside",
                region.code,
                region.name
            );
        }
    }

    #[test]
    fn svg_is_well_formed_and_complete() {
        let svg = choropleth(Lang::Zh, Level::Prefecture, &prefecture_values(5000.0), "各地宣传活动", "次", 800, 600);
        check_well_formed(&svg);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 800 600\""));
        assert!(svg.contains(" width=\"800\" height=\"600\" role=\"img\""));
        assert!(svg.contains("示意图"));
        assert!(svg.contains("各地宣传活动"));
        for name in PREFECTURE_NAMES {
            assert!(svg.contains(&format!(">{name}</text>")), "label {name}");
        }
        assert_eq!(svg.matches("class=\"region\"").count(), 9);

        let county = choropleth(Lang::Zh, Level::County, &[], "各县", "次", 800, 600);
        check_well_formed(&county);
        assert!(county.contains("示意图"));
        assert_eq!(county.matches("class=\"region\"").count(), 60);
        for name in PREFECTURE_NAMES {
            assert!(!county.contains(&format!(">{name}</text>")), "no labels on county maps");
        }
        assert!(!county.contains("class=\"labels\""));
    }

    #[test]
    fn highest_is_darkest_and_missing_is_grey() {
        let mut input = prefecture_values(1_000_000.0);
        input.retain(|v| v.code != "222400");
        let svg = choropleth(Lang::Zh, Level::Prefecture, &input, "t", "人", 800, 600);
        assert_eq!(fill_of(&svg, "220100"), PALETTE[4]);
        assert_eq!(fill_of(&svg, "222400"), NO_DATA);
        assert_eq!(fill_of(&svg, "220200"), PALETTE[0], "lowest value, lightest class");
        assert!(svg.contains("无数据"));
        assert_eq!(attribute(element(&svg, "222400"), "data-value"), "");
        assert_eq!(attribute(element(&svg, "220100"), "data-value"), "1000000");
        assert!(svg.contains("<title>长春市: 1,000,000 人</title>"));
        assert!(svg.contains("<title>延边朝鲜族自治州: 无数据</title>"));
        // Every colour of the scale is used once there are enough distinct values.
        for colour in PALETTE {
            assert!(svg.contains(&format!("fill=\"{colour}\" d=")), "{colour}");
        }

        let full = choropleth(Lang::Zh, Level::Prefecture, &prefecture_values(1.0), "t", "人", 800, 600);
        assert!(!full.contains("无数据"), "no 无数据 entry when every region has a value");
    }

    #[test]
    fn colours_follow_the_values() {
        let high = choropleth(Lang::Zh, Level::Prefecture, &prefecture_values(50_000.0), "a", "次", 800, 600);
        let low = choropleth(Lang::Zh, Level::Prefecture, &prefecture_values(1.0), "b", "次", 800, 600);
        assert_eq!(fill_of(&high, "220100"), PALETTE[4]);
        assert_eq!(fill_of(&low, "220100"), PALETTE[0]);
        assert_ne!(fill_of(&high, "220100"), fill_of(&low, "220100"));

        let county_a =
            choropleth(Lang::Zh, Level::County, &values(&[("220102", 10.0), ("220184", 1.0)]), "a", "", 600, 400);
        let county_b =
            choropleth(Lang::Zh, Level::County, &values(&[("220102", 1.0), ("220184", 10.0)]), "b", "", 600, 400);
        assert_eq!(fill_of(&county_a, "220102"), PALETTE[4]);
        assert_eq!(fill_of(&county_b, "220102"), PALETTE[0]);
        assert_eq!(fill_of(&county_a, "220103"), NO_DATA);
    }

    #[test]
    fn ties_and_single_values_keep_the_ends_of_the_scale() {
        let same =
            choropleth(Lang::Zh, Level::Prefecture, &values(&[("220100", 7.0), ("220200", 7.0)]), "t", "", 800, 600);
        assert_eq!(fill_of(&same, "220100"), PALETTE[4]);
        assert_eq!(fill_of(&same, "220200"), PALETTE[4]);

        let two =
            choropleth(Lang::Zh, Level::Prefecture, &values(&[("220100", 1.0), ("220200", 2.0)]), "t", "", 800, 600);
        assert_eq!(fill_of(&two, "220100"), PALETTE[0]);
        assert_eq!(fill_of(&two, "220200"), PALETTE[4]);

        // Most regions tied at the top: the top group is still the darkest class.
        let mut tied = values(&[("220100", 1.0), ("220200", 2.0)]);
        tied.extend(regions(Level::Prefecture).into_iter().skip(2).map(|(code, _)| MapValue { code, value: 9.0 }));
        let svg = choropleth(Lang::Zh, Level::Prefecture, &tied, "t", "", 800, 600);
        assert_eq!(fill_of(&svg, "220100"), PALETTE[0]);
        assert_eq!(fill_of(&svg, "222400"), PALETTE[4]);
        assert_ne!(fill_of(&svg, "220200"), PALETTE[4]);
    }

    #[test]
    fn legend_shows_unit_and_ranges() {
        let input = values(&[("220100", 1_234_567.0), ("220200", 2500.5), ("220300", 12.0)]);
        let svg = choropleth(Lang::Zh, Level::Prefecture, &input, "t", "人次", 800, 600);
        let legend = &svg[svg.find("class=\"legend\"").unwrap()..];
        assert!(legend.contains(">单位：人次</text>"));
        assert!(legend.contains(">1,234,567</text>"));
        assert!(legend.contains(">2,500.5</text>"));
        assert!(legend.contains(">无数据</text>"));

        let many: Vec<MapValue> = regions(Level::Prefecture)
            .into_iter()
            .zip([1200.0, 3400.0, 5600.0, 7800.0, 9000.0, 11_000.0, 13_000.0, 15_000.0, 17_500.0])
            .map(|((code, _), value)| MapValue { code, value })
            .collect();
        let svg = choropleth(Lang::Zh, Level::Prefecture, &many, "t", "次", 800, 600);
        for range in ["1,200–3,400", "5,600–7,800", "9,000–11,000", "13,000–15,000", ">17,500<"] {
            assert!(svg.contains(range), "{range}");
        }
    }

    #[test]
    fn text_is_escaped() {
        let title = "<b>\"火灾\" & 'A'</b>\u{1}";
        let svg = choropleth(Lang::Zh, Level::Prefecture, &[], title, "<次>", 800, 600);
        check_well_formed(&svg);
        assert!(!svg.contains("<b>"));
        assert!(svg.contains(">&lt;b&gt;&quot;火灾&quot; &amp; &apos;A&apos;&lt;/b&gt;</text>"));
        assert!(svg.contains("aria-label=\"&lt;b&gt;&quot;火灾&quot; &amp; &apos;A&apos;&lt;/b&gt;\""));
        assert!(svg.contains("单位：&lt;次&gt;"));
        assert!(!svg.contains('\u{1}'));
    }

    #[test]
    fn output_is_deterministic() {
        let input = prefecture_values(3000.0);
        let a = choropleth(Lang::Zh, Level::Prefecture, &input, "t", "次", 800, 600);
        let b = choropleth(Lang::Zh, Level::Prefecture, &input, "t", "次", 800, 600);
        assert_eq!(a, b);
        let mut reversed = input;
        reversed.reverse();
        assert_eq!(a, choropleth(Lang::Zh, Level::Prefecture, &reversed, "t", "次", 800, 600));
        let county = values(&[("220102", 3.0), ("222401", 9.0)]);
        assert_eq!(
            choropleth(Lang::Zh, Level::County, &county, "t", "次", 1000, 700),
            choropleth(Lang::Zh, Level::County, &county, "t", "次", 1000, 700)
        );
    }

    #[test]
    fn unknown_codes_and_non_finite_values_are_ignored() {
        let base = values(&[("220100", 5.0), ("220200", 8.0)]);
        let mut extra = base.clone();
        extra.extend(values(&[("229900", 1e9), ("999999", 4.0), ("220102", 3.0), ("220300", f64::NAN)]));
        let plain = choropleth(Lang::Zh, Level::Prefecture, &base, "t", "次", 800, 600);
        assert_eq!(plain, choropleth(Lang::Zh, Level::Prefecture, &extra, "t", "次", 800, 600));
        assert!(!plain.contains("229900"));

        // A later value for the same code replaces the earlier one.
        let twice = values(&[("220100", 1.0), ("220200", 2.0), ("220100", 3.0)]);
        let svg = choropleth(Lang::Zh, Level::Prefecture, &twice, "t", "", 800, 600);
        assert_eq!(attribute(element(&svg, "220100"), "data-value"), "3");
        assert_eq!(fill_of(&svg, "220100"), PALETTE[4]);
    }

    #[test]
    fn coordinates_stay_inside_the_view_box() {
        for (width, height) in [(800, 600), (300, 200), (1200, 400), (400, 900), (1, 1)] {
            for level in [Level::Prefecture, Level::County] {
                let svg = choropleth(Lang::Zh, level, &prefecture_values(1.0), "t", "次", width, height);
                let points = path_points(&svg);
                assert!(width == 1 || points.len() > 500, "{level:?} {width}×{height}");
                let (w, h) = (f64::from(width), f64::from(height));
                for (x, y) in points {
                    assert!((0.0..=w).contains(&x) && (0.0..=h).contains(&y), "({x}, {y}) in {width}×{height}");
                }
            }
        }
        let svg = choropleth(Lang::Zh, Level::Prefecture, &[], "t", "", 800, 600);
        for chunk in svg.split(" d=\"").skip(1) {
            let d = &chunk[..chunk.find('"').unwrap()];
            for number in d.split(['M', 'L', 'Z', ' ']).filter(|s| !s.is_empty()) {
                let decimals = number.split_once('.').map_or(0, |(_, f)| f.len());
                assert!(decimals <= 1, "{number}");
            }
        }
    }

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(7.0), "7");
        assert_eq!(format_number(1234.0), "1,234");
        assert_eq!(format_number(123_456.0), "123,456");
        assert_eq!(format_number(1_234_567.891), "1,234,567.89");
        assert_eq!(format_number(-9876.5), "-9,876.5");
        assert_eq!(format_number(999.999), "1,000");
        assert_eq!(format_number(0.0456), "0.0456");
        assert_eq!(format_number(-0.000_01), "0");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(12.04), "12");
        assert_eq!(num(12.06), "12.1");
    }
}
