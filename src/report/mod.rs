//! The dashboard and the written report: every figure of a campaign for a region, in the words
//! and tables of the source report, with charts and the Jilin map drawn by the server, and exports
//! to Word, Excel, CSV and printable HTML. Every figure links to the records it sums.
// Counts are far below 2^52, so drawing them as f64 loses nothing.
#![allow(clippy::cast_precision_loss)]

pub mod actions;
pub mod api;
pub mod docx;
pub mod edit;
pub mod export;
pub mod overview;
pub mod pages;
pub mod proof;
pub mod store;
pub mod text;

use std::collections::HashMap;

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use overview::Overview;

use crate::Result;
use crate::activity;
use crate::campaign::store::{self as campaigns, Campaign, Metric};
use crate::clock::show_date;
use crate::db::Db;
use crate::i18n::Lang;
use crate::org::Scope;
use crate::svg::{chart, map};

/// The figures of the source report's table, in its order: the dashboard's headline tiles and the
/// columns of the report's main table.
pub const HEADLINE: &[&str] = &[
    "leaders",
    "people_trained",
    "units_trained",
    "handouts",
    "posters",
    "venue_openings",
    "vehicle_outings",
    "livestream_views",
    "registrations",
    "parcel_stickers",
    "products_pushed",
    "news_central",
    "news_provincial",
    "news_matrix",
    "airings",
];

/// Metrics whose regions' values do not add up to the whole: the distinct products pushed (one
/// product pushed to every region is one product of the province).
const NOT_ADDITIVE: &[&str] = &["products_pushed"];

/// Metrics the source report states as "N余" (more than a round number).
const ABOUT: &[&str] = &["leaders", "people_trained", "registrations", "participants", "visitors"];

/// A piece of a paragraph: text, or a figure that links to the records it sums.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// A figure and where its records are.
    Figure {
        /// The figure as written.
        text: String,
        /// The records it sums.
        href: String,
        /// The figure's exact value.
        value: i64,
    },
    /// A record told by name, and where it is.
    Record {
        /// Its name as written.
        text: String,
        /// The record.
        href: String,
    },
}

/// A paragraph of the written report.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Paragraph {
    /// Its place in the report (its section's key and number: `media.1`), by which a hand edit is
    /// kept.
    pub key: String,
    /// Its pieces.
    pub segments: Vec<Segment>,
    /// Rewritten by hand.
    pub edited: bool,
    /// Rewritten by hand before the records changed what would be generated (see [`edit`]).
    pub stale: bool,
    /// When rewritten by hand: the paragraph generated from the records now (its text, in JSON).
    #[serde(serialize_with = "plain_of")]
    #[schema(value_type = Option<String>)]
    pub generated: Option<Box<Paragraph>>,
}

/// A paragraph as its text.
fn plain_of<S: serde::Serializer>(p: &Option<Box<Paragraph>>, s: S) -> std::result::Result<S::Ok, S::Error> {
    p.as_ref().map(|p| p.plain()).serialize(s)
}

impl Paragraph {
    fn text(&mut self, s: &str) -> &mut Self {
        match self.segments.last_mut() {
            Some(Segment::Text { text }) => text.push_str(s),
            _ => self.segments.push(Segment::Text { text: s.to_owned() }),
        }
        self
    }

    fn figure(&mut self, s: String, href: &str, value: i64) -> &mut Self {
        self.segments.push(Segment::Figure { text: s, href: href.to_owned(), value });
        self
    }

    fn record(&mut self, s: &str, href: &str) -> &mut Self {
        self.segments.push(Segment::Record { text: s.to_owned(), href: href.to_owned() });
        self
    }

    /// The paragraph as plain text.
    pub fn plain(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Text { text } | Segment::Figure { text, .. } | Segment::Record { text, .. } => text.as_str(),
            })
            .collect()
    }
}

/// A titled part of the report.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Section {
    /// What it tells: `lead`, `deploy`, `joint`, `channels`, `volunteers`, `media`, `compare`,
    /// `next`.
    pub key: String,
    /// Heading, e.g. 一、周密部署，高位推进 (none for the lead paragraph).
    pub heading: String,
    /// Its paragraphs.
    pub paragraphs: Vec<Paragraph>,
}

/// A table of the report.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Table {
    /// Caption, e.g. 表1 各地区主要数据.
    pub caption: String,
    /// Short name for a worksheet.
    pub sheet: String,
    /// Header row.
    pub headers: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

/// A chart or map of the report, as SVG.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Picture {
    /// Caption, e.g. 图1 ….
    pub caption: String,
    /// The SVG.
    pub svg: String,
}

/// The written report of a campaign for a region.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Report {
    pub(crate) title: String,
    /// The unit that issues it, who signs it at the end.
    pub signer: String,
    /// The date it is signed, as written (2026年12月2日).
    pub date: String,
    /// The text.
    pub sections: Vec<Section>,
    /// The tables.
    pub tables: Vec<Table>,
    /// Charts and the map.
    pub pictures: Vec<Picture>,
    /// What the proofreading pass found in the text (none in a report ready to send).
    pub findings: Vec<proof::Finding>,
    /// The records its authors may pin into the text or hide.
    pub choices: Vec<text::Choice>,
    /// What its authors wrote around the records (deployment, documents, next steps).
    pub authored: store::Authored,
    /// The overview it was written from.
    #[serde(skip)]
    pub overview: Option<Overview>,
}

impl Report {
    /// Every paragraph as plain text, one a line (what a reader of the text sees).
    pub fn plain_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for s in &self.sections {
            if !s.heading.is_empty() {
                out.push_str(&s.heading);
                out.push('\n');
            }
            for p in &s.paragraphs {
                out.push_str(&p.plain());
                out.push('\n');
            }
        }
        out.push_str(&format!("{}\n{}\n", self.signer, self.date));
        out
    }
}

/// A number as the source report writes it: 105万 for round ten-thousands from 100,000 up,
/// otherwise the digits.
pub fn cn_number(n: i64) -> String {
    if n >= 100_000 && n % 10_000 == 0 {
        format!("{}万", n / 10_000)
    } else if n >= 100_000 {
        let wan = format!("{:.1}", n as f64 / 10_000.0);
        format!("{}万", wan.trim_end_matches(".0"))
    } else {
        n.to_string()
    }
}

/// Whether a table's cell is a number (right-aligned): digits, with a sign, decimals or %.
pub fn is_number(cell: &str) -> bool {
    let body = cell.trim_start_matches(['+', '-']).trim_end_matches('%');
    !body.is_empty() && body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// "More than" a round number, as the source writes counts of people: 83 → 80余, 5,160 → 5000余.
/// The rule: 余 on the figure's leading digit only when that base is within a tenth of the figure;
/// otherwise the exact figure (470 stays 470, never 400余, which would understate it by 15%).
pub fn cn_about(n: i64) -> String {
    if n < 10 {
        return n.to_string();
    }
    let digits = u32::try_from(n.to_string().len() - 1).unwrap_or(0);
    let unit = 10_i64.pow(digits);
    let lead = n / unit * unit;
    if lead == n || (n - lead) * 10 >= n { cn_number(n) } else { format!("{}余", cn_number(lead)) }
}

/// A figure as the report writes it; `wan` when its paragraph writes counts in 万 (one number style
/// a paragraph: then every count from 10,000 up is written in 万 too).
fn shown(metric: &str, n: i64, wan: bool) -> String {
    if wan && n >= 10_000 {
        let w = format!("{:.1}", n as f64 / 10_000.0);
        format!("{}万", w.trim_end_matches(".0"))
    } else if ABOUT.contains(&metric) {
        cn_about(n)
    } else {
        cn_number(n)
    }
}

/// Whether a paragraph with these figures writes its counts in 万: when one of them is written so.
fn in_wan(values: impl IntoIterator<Item = (String, i64)>) -> bool {
    values.into_iter().any(|(metric, n)| !ABOUT.contains(&metric.as_str()) && cn_number(n).ends_with('万'))
}

/// Where the records behind a figure are.
fn href(campaign: i64, region: &str, metric: &str) -> String {
    if metric.starts_with("news_") || metric == "airings" {
        format!("/media?campaign={campaign}")
    } else {
        format!("/activities?campaign={campaign}&region={region}&state=approved")
    }
}

fn metric_name<'a>(catalogue: &'a [Metric], code: &str) -> (&'a str, &'a str) {
    catalogue.iter().find(|m| m.code == code).map_or(("", ""), |m| (m.name.as_str(), m.unit.as_str()))
}

/// The campaign before this one for comparison: the one it was started from, else the latest
/// earlier campaign of the same owner.
async fn previous(db: &Db, scope: &Scope, c: &Campaign) -> Result<Option<Campaign>> {
    let all = campaigns::campaigns(db, scope).await?;
    let from = c.copied_from.and_then(|id| all.iter().find(|x| x.id == id));
    Ok(from
        .or_else(|| {
            all.iter()
                .filter(|x| x.owner_unit_id == c.owner_unit_id && x.ends_on < c.starts_on)
                .max_by_key(|x| x.ends_on)
        })
        .cloned())
}

/// How a comparison names a metric in prose (never a table label such as 培训人数).
const COMPARED: &[(&str, &str)] = &[
    ("leaders", "党政领导参与"),
    ("people_trained", "培训群众"),
    ("units_trained", "深入单位开展培训"),
    ("handouts", "发放宣传资料"),
    ("posters", "张贴宣传海报、挂图、标语"),
    ("venue_openings", "开放消防场馆"),
    ("vehicle_outings", "出动消防宣传车"),
    ("livestream_views", "直播观看量"),
    ("registrations", "活动报名"),
    ("parcel_stickers", "投放快递安全提示贴纸"),
    ("products_pushed", "推送消防宣传产品"),
    ("news_central", "在中央级媒体发布新闻"),
    ("news_provincial", "在省级媒体发布新闻"),
    ("news_matrix", "通过消防宣传矩阵发布新闻"),
    ("airings", "播出消防公益广告和提示字幕"),
];

/// The comparison with the campaign before: a paragraph wording the change of up to four headline
/// figures both have (the figures themselves are in the table, so that no count is written two
/// ways), and the table of all.
fn comparison(o: &Overview, prev: &Overview, p: &Campaign) -> (Option<Paragraph>, Vec<Vec<String>>) {
    let catalogue = &o.metrics;
    let mut rows = Vec::new();
    let mut worded = Vec::new();
    for m in HEADLINE {
        let (now, then) = (o.region.value(m), prev.region.value(m));
        if now == 0 && then == 0 {
            continue;
        }
        let change =
            if then > 0 { format!("{:+.1}%", (now - then) as f64 * 100.0 / then as f64) } else { "新增".into() };
        let (name, unit) = metric_name(catalogue, m);
        let said = COMPARED.iter().find(|(c, _)| c == m).map_or(name, |(_, s)| s);
        if worded.len() < 4 && now > 0 && then > 0 {
            // In prose a change is worded: 增长12.3%, 下降8.0%, 与上届持平.
            worded.push(match now.cmp(&then) {
                std::cmp::Ordering::Greater => format!("{said}增长{:.1}%", (now - then) as f64 * 100.0 / then as f64),
                std::cmp::Ordering::Less => format!("{said}下降{:.1}%", (then - now) as f64 * 100.0 / then as f64),
                std::cmp::Ordering::Equal => format!("{said}与上届持平"),
            });
        }
        rows.push(vec![format!("{name}（{unit}）"), now.to_string(), then.to_string(), change]);
    }
    let paragraph = (!worded.is_empty()).then(|| {
        let mut compare = Paragraph::default();
        compare.text(&format!("与{}相比，{}，各项数据对比见附表。", p.name, worded.join("，")));
        compare
    });
    (paragraph, rows)
}

/// Writes the report of campaign `id` for region `code` (the top of the scope when `None`).
pub async fn build(db: &Db, scope: &Scope, id: i64, code: Option<&str>, today: Date) -> Result<Report> {
    let o = overview::overview(db, scope, id, code, today).await?;
    let c = &o.campaign;
    let region_path = o.region.path.clone();
    let records = activity::store::told_records(db, c.id, &region_path).await?;
    let marks = store::marks(db, c.id, &region_path).await?;
    let series = text::routine(&records);
    let figures = activity::store::figures_of(db, &text::figures_wanted(&records, &series, &marks)).await?;
    let authored = store::authored(db, c.id, &region_path).await?;
    let daily = activity::store::daily(db, c.id, &region_path).await?;
    let before = match previous(db, scope, c).await? {
        Some(p) => Some((overview::overview(db, scope, p.id, Some(&o.region.code), today).await?, p)),
        None => None,
    };
    let catalogue = &o.metrics;
    let until = if today < c.ends_on { today } else { c.ends_on };
    let zh = Lang::Zh;
    let sources = crate::event::store::sources_in(db, c.id, &region_path)
        .await?
        .into_iter()
        .map(|(channel, label, n)| {
            (if label.is_empty() { zh.t(&format!("event_channel.{channel}")).to_owned() } else { label }, n)
        })
        .collect();
    let platforms = crate::stream::store::reported_in(db, c.id, &region_path).await?;
    let teams = crate::volunteer::store::serving_teams(db, c.starts_on, c.ends_on, &region_path).await?;
    let (compare, compare_rows) = match &before {
        Some((prev, p)) => comparison(&o, prev, p),
        None => (None, Vec::new()),
    };
    let material = text::Material {
        o: &o,
        records: &records,
        series: &series,
        figures: &figures,
        marks: &marks,
        authored: &authored,
        sources,
        platforms,
        teams,
        until,
    };
    let (mut sections, choices) = text::sections(&material, compare);
    let edits = store::edits(db, c.id, &region_path).await?;
    edit::apply(&mut sections, &edits);

    // Tables: the regions with the place's own row (本级) so that the columns add up to the total.
    let mut region_rows: Vec<Vec<String>> = Vec::new();
    let row_of = |name: String, value: &dyn Fn(&str) -> Option<i64>| {
        let mut row = vec![name];
        row.extend(HEADLINE.iter().map(|m| value(m).map_or_else(|| "—".to_owned(), |v| v.to_string())));
        row
    };
    if !o.children.is_empty() {
        region_rows.extend(o.children.iter().map(|r| row_of(r.name.clone(), &|m| Some(r.value(m)))));
        // A count of distinct products pushed does not add up over regions: no own share of it.
        let own = |m: &str| {
            (!NOT_ADDITIVE.contains(&m)).then(|| o.region.value(m) - o.children.iter().map(|r| r.value(m)).sum::<i64>())
        };
        if HEADLINE.iter().any(|m| own(m).is_some_and(|v| v != 0)) {
            let name = if o.level == 0 { "省本级".to_owned() } else { format!("{}本级", o.region.name) };
            region_rows.push(row_of(name, &own));
        }
    }
    region_rows.push(row_of(format!("{}合计", o.region.name), &|m| Some(o.region.value(m))));
    let mut headers = vec!["地区".to_owned()];
    headers.extend(HEADLINE.iter().map(|m| {
        let (name, unit) = metric_name(catalogue, m);
        format!("{name}（{unit}）")
    }));
    let mut tables =
        vec![Table {
            caption: "各地区主要数据".into(), sheet: "各地区数据".into(), headers, rows: region_rows
        }];
    let duty_rows: Vec<Vec<String>> = o
        .duties
        .iter()
        .map(|d| {
            let targets = d
                .targets
                .iter()
                .map(|t| format!("{}\n{}/{}", metric_name(catalogue, &t.metric_code).0, t.progress, t.target))
                .collect::<Vec<_>>()
                .join("\n");
            vec![
                d.duty.title.clone(),
                d.duty.unit_name.clone(),
                show_date(d.duty.due_on),
                targets,
                format!("{}%", d.percent),
                if d.overdue { "逾期".into() } else { String::new() },
            ]
        })
        .collect();
    tables.push(Table {
        caption: "任务完成情况".into(),
        sheet: "任务完成情况".into(),
        headers: ["任务", "责任单位", "截止日期", "目标与完成", "完成率", "状态"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        rows: duty_rows,
    });
    if let Some((_, p)) = &before {
        tables.push(Table {
            caption: format!("与{}对比", p.name),
            sheet: "与上届对比".into(),
            headers: vec!["指标".into(), "本届".into(), "上届".into(), "变化".into()],
            rows: compare_rows,
        });
    }
    let (days, day_totals) = by_day(&daily);
    let trend_metrics = ["handouts", "posters", "venue_openings", "people_trained", "participants"];
    let mut trend_headers = vec!["日期".to_owned()];
    trend_headers.extend(trend_metrics.iter().map(|m| metric_name(catalogue, m).0.to_owned()));
    tables.push(Table {
        caption: "每日数据".into(),
        sheet: "每日数据".into(),
        headers: trend_headers,
        rows: days
            .iter()
            .map(|d| {
                let mut row = vec![show_date(*d)];
                row.extend(trend_metrics.iter().map(|m| day_totals.get(&(*d, *m)).copied().unwrap_or(0).to_string()));
                row
            })
            .collect(),
    });

    // Tables with rows, numbered without gaps.
    tables.retain(|t| !t.rows.is_empty());
    for (i, t) in tables.iter_mut().enumerate() {
        t.caption = format!("表{} {}", i + 1, t.caption);
    }
    // Pictures.
    let pictures = pictures(&o, catalogue, &days, &day_totals, "handouts", Drawing::Document, None);
    // A region's report is its own: titled with its name (never 全省) and signed by its fire-service
    // unit (the detachment of a city), else by the campaign's owner.
    let (title, signer) = if o.level == 0 {
        (c.name.clone(), c.owner_name.clone())
    } else {
        let own = crate::org::store::units(db, &Scope::under(&o.region.path), &Default::default(), 500)
            .await?
            .into_iter()
            .find(|u| u.region_path == o.region.path && u.kind.is_fire_service());
        (
            format!("{}{}", o.region.name, c.name.replace("全省", "")),
            own.map_or_else(|| c.owner_name.clone(), |u| u.name),
        )
    };
    let findings = proof::check_sections(&sections);
    Ok(Report {
        title: format!("{title}工作总结"),
        signer,
        date: crate::i18n::Lang::Zh.date(today),
        sections,
        tables,
        pictures,
        findings,
        choices,
        authored,
        overview: Some(o),
    })
}

/// Daily totals as the days that have any, in order, and the total of each (day, metric).
pub fn by_day(daily: &[activity::store::DayTotal]) -> (Vec<Date>, HashMap<(Date, &str), i64>) {
    let mut totals: HashMap<(Date, &str), i64> = HashMap::new();
    for d in daily {
        *totals.entry((d.day, d.metric_code.as_str())).or_default() += d.value;
    }
    let mut days: Vec<Date> = daily.iter().map(|d| d.day).collect();
    days.sort();
    days.dedup();
    (days, totals)
}

/// How the report's charts and map are drawn: for the document (720 px wide, in Chinese, as it
/// prints), or for screens (a wide and a phone drawing each, in the reader's language).
#[derive(Clone, Copy, Debug)]
pub enum Drawing {
    /// For the written report.
    Document,
    /// For the dashboard, in a language.
    Screens(Lang),
}

impl Drawing {
    fn lang(self) -> Lang {
        match self {
            Self::Document => Lang::Zh,
            Self::Screens(lang) => lang,
        }
    }

    /// One picture, drawn at the document's size or at a wide and a phone's size.
    fn draw(self, size: (u32, u32), draw: impl Fn(u32, u32) -> String) -> String {
        match self {
            Self::Document => draw(size.0, size.1),
            Self::Screens(_) => chart::for_screens(&draw, size, (340, size.1.min(340))),
        }
    }
}

/// The report's charts and map, drawn for `metric`; the map shows `counties` when given (the
/// province by county), else the regions one level down.
#[allow(clippy::implicit_hasher)]
pub fn pictures(
    o: &Overview,
    catalogue: &[Metric],
    days: &[Date],
    day_totals: &HashMap<(Date, &str), i64>,
    metric: &str,
    drawing: Drawing,
    counties: Option<&[map::MapValue]>,
) -> Vec<Picture> {
    let lang = drawing.lang();
    let say = |key: &str, arg: &str| lang.text(key, &[arg]);
    let named = |code: &str| {
        catalogue
            .iter()
            .find(|m| m.code == code)
            .map_or((String::new(), String::new()), |m| (m.name_in(&lang).to_owned(), m.unit_in(&lang).to_owned()))
    };
    let (name, unit) = named(metric);
    let categories: Vec<String> = o.children.iter().map(|c| c.name.clone()).collect();
    let by_region = chart::Chart {
        title: say("report_chart.by_region", &name),
        lang,
        unit: unit.clone(),
        categories: categories.clone(),
        series: vec![chart::Series {
            name: name.clone(),
            values: o.children.iter().map(|c| c.value(metric) as f64).collect(),
        }],
    };
    let stacked = chart::Chart {
        title: lang.t("report_chart.materials").to_owned(),
        lang,
        unit: named("handouts").1,
        categories,
        series: ["handouts", "posters"]
            .iter()
            .map(|m| chart::Series { name: named(m).0, values: o.children.iter().map(|c| c.value(m) as f64).collect() })
            .collect(),
    };
    let trend = chart::Chart {
        title: say("report_chart.trend", &name),
        lang,
        unit: unit.clone(),
        categories: days.iter().map(|d| format!("{}-{}", u8::from(d.month()), d.day())).collect(),
        series: vec![chart::Series {
            name: name.clone(),
            values: days.iter().map(|d| day_totals.get(&(*d, metric)).copied().unwrap_or(0) as f64).collect(),
        }],
    };
    let levels = ["news_central", "news_provincial", "news_municipal", "news_county", "news_matrix"];
    let news = chart::Chart {
        title: lang.t("report_chart.news").to_owned(),
        lang,
        unit: named("news_central").1,
        categories: levels.iter().map(|m| named(m).0).collect(),
        series: vec![chart::Series {
            name: lang.t("report_chart.news_series").to_owned(),
            values: levels.iter().map(|m| o.region.value(m) as f64).collect(),
        }],
    };
    let (level, values, map_title) = match counties {
        Some(counties) => (map::Level::County, counties.to_vec(), say("report_chart.map_county", &name)),
        None => (
            if o.level == 0 { map::Level::Prefecture } else { map::Level::County },
            o.children.iter().map(|c| map::MapValue { code: c.code.clone(), value: c.value(metric) as f64 }).collect(),
            say("report_chart.map", &name),
        ),
    };
    let caption = |n: usize, title: &str| format!("{} {title}", say("report_chart.figure", &n.to_string()));
    vec![
        Picture {
            caption: caption(1, &by_region.title),
            svg: drawing.draw((720, 360), |w, h| chart::bar(&by_region, w, h)),
        },
        Picture {
            caption: caption(2, &say("report_chart.map_caption", &name)),
            svg: drawing.draw((720, 560), |w, h| map::choropleth(lang, level, &values, &map_title, &unit, w, h)),
        },
        Picture { caption: caption(3, &trend.title), svg: drawing.draw((720, 320), |w, h| chart::line(&trend, w, h)) },
        Picture {
            caption: caption(4, &stacked.title),
            svg: drawing.draw((720, 360), |w, h| chart::stacked(&stacked, w, h)),
        },
        Picture { caption: caption(5, &news.title), svg: drawing.draw((480, 320), |w, h| chart::ring(&news, w, h)) },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_in_the_source() {
        assert_eq!(cn_number(1_050_000), "105万");
        assert_eq!(cn_number(450_000), "45万");
        assert_eq!(cn_number(1_000_000), "100万");
        assert_eq!(cn_number(28_560), "28560");
        assert_eq!(cn_number(1_832), "1832");
        assert_eq!(cn_number(1_046_500), "104.7万");
        assert_eq!(cn_about(83), "80余");
        assert_eq!(cn_about(712), "700余");
        assert_eq!(cn_about(1_046), "1000余");
        assert_eq!(cn_about(5_160), "5000余");
        assert_eq!(cn_about(40_000), "40000");
        assert_eq!(cn_about(7), "7");
        // 余 only where the base is within a tenth of the figure.
        assert_eq!(cn_about(470), "470");
        assert_eq!(cn_about(180), "180");
        assert_eq!(cn_about(1_950), "1950");
    }

    #[test]
    fn paragraphs_join_text_and_figures() {
        let mut p = Paragraph::default();
        p.text("共").figure("45".into(), "/media", 45).text("条").text("。");
        assert_eq!(p.plain(), "共45条。");
        assert_eq!(p.segments.len(), 3);
    }
}
