//! The dashboard and the written report: every figure of a campaign for a region, in the words
//! and tables of the source report, with charts and the Jilin map drawn by the server, and exports
//! to Word, Excel, CSV and printable HTML. Every figure links to the records it sums.
// Counts are far below 2^52, so drawing them as f64 loses nothing.
#![allow(clippy::cast_precision_loss)]

pub mod api;
pub mod docx;
pub mod export;
pub mod overview;
pub mod pages;
pub mod proof;

use std::collections::HashMap;

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use overview::{Overview, RegionRow};

use crate::Result;
use crate::activity;
use crate::campaign::store::{self as campaigns, Campaign, Metric};
use crate::clock::show_date;
use crate::db::Db;
use crate::i18n::Lang;
use crate::org::Scope;
use crate::org::path::child_path_len;
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
    },
}

/// A paragraph of the written report.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Paragraph {
    /// Its pieces.
    pub segments: Vec<Segment>,
}

impl Paragraph {
    fn text(&mut self, s: &str) -> &mut Self {
        match self.segments.last_mut() {
            Some(Segment::Text { text }) => text.push_str(s),
            _ => self.segments.push(Segment::Text { text: s.to_owned() }),
        }
        self
    }

    fn figure(&mut self, s: String, href: &str) -> &mut Self {
        self.segments.push(Segment::Figure { text: s, href: href.to_owned() });
        self
    }

    /// The paragraph as plain text.
    pub fn plain(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Text { text } | Segment::Figure { text, .. } => text.as_str(),
            })
            .collect()
    }
}

/// A titled part of the report.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Section {
    /// Heading, e.g. 一、总体情况.
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
    /// The overview it was written from.
    #[serde(skip)]
    pub overview: Option<Overview>,
}

impl Report {
    /// Every paragraph as plain text, one a line (what a reader of the text sees).
    pub fn plain_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for s in &self.sections {
            out.push_str(&s.heading);
            out.push('\n');
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

/// Items in a Chinese list: 甲、乙和丙.
fn join_cn(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}和{last}", rest.join("、")),
        _ => items.concat(),
    }
}

/// "More than" a round number, as the source writes counts of people: 83 → 80余, 5,160 → 5000余.
pub fn cn_about(n: i64) -> String {
    if n < 10 {
        return n.to_string();
    }
    let digits = u32::try_from(n.to_string().len() - 1).unwrap_or(0);
    let unit = 10_i64.pow(digits);
    let lead = n / unit * unit;
    if lead == n { cn_number(n) } else { format!("{}余", cn_number(lead)) }
}

/// A figure as the report writes it; `wan` when its paragraph writes counts in 万 (one number style
/// a paragraph: then every count from 10,000 up is written in 万 too).
fn shown(metric: &str, n: i64, wan: bool) -> String {
    if ABOUT.contains(&metric) {
        cn_about(n)
    } else if wan && n >= 10_000 {
        let w = format!("{:.1}", n as f64 / 10_000.0);
        format!("{}万", w.trim_end_matches(".0"))
    } else {
        cn_number(n)
    }
}

/// Whether a paragraph with these figures writes its counts in 万: when one of them is written so.
fn in_wan(values: impl IntoIterator<Item = (String, i64)>) -> bool {
    values.into_iter().any(|(metric, n)| !ABOUT.contains(&metric.as_str()) && cn_number(n).ends_with('万'))
}

/// How a notable record's figures are told, in this order: metric, before, after.
const HIGHLIGHT_PROSE: &[(&str, &str, &str)] = &[
    ("units_trained", "深入", "家单位开展培训授课"),
    ("vehicle_outings", "出动消防宣传车", "场次"),
    ("people_trained", "培训", "人"),
    ("parcel_stickers", "投放快递安全提示贴纸", "份"),
    ("registrations", "", "名群众报名参加"),
    ("livestream_views", "线上观看量达", "人次"),
    ("visitors", "吸引", "人次参观体验"),
    ("short_videos", "制作短视频短剧", "部"),
];

/// A title in quotation marks, the quotation marks inside it turned to single ones (“‘平安寄递’……”).
fn quoted(title: &str) -> String {
    format!("“{}”", title.replace('“', "‘").replace('”', "’"))
}

/// Where the records behind a figure are.
fn href(campaign: i64, region: &str, metric: &str) -> String {
    if metric.starts_with("news_") || metric == "airings" {
        format!("/media?campaign={campaign}")
    } else {
        format!("/activities?campaign={campaign}&region={region}&state=approved")
    }
}

struct Writer<'a> {
    campaign: i64,
    row: &'a RegionRow,
}

impl Writer<'_> {
    /// Appends "{before}{figure}{after}" when the metric has a value; returns whether it did.
    fn clause(&self, p: &mut Paragraph, metric: &str, (before, after): (&str, &str), wan: bool) -> bool {
        let n = self.row.value(metric);
        if n == 0 {
            return false;
        }
        p.text(before).figure(shown(metric, n, wan), &href(self.campaign, &self.row.code, metric)).text(after);
        true
    }

    /// Whether these clauses' figures are written in 万 (see [`in_wan`]).
    fn wan(&self, clauses: &[(&str, &str, &str)]) -> bool {
        in_wan(clauses.iter().map(|(m, _, _)| ((*m).to_owned(), self.row.value(m))))
    }

    /// A sentence of clauses joined by "，", ended with "。", its counts in one style; nothing when
    /// no clause has a value.
    fn sentence(&self, p: &mut Paragraph, lead: &str, clauses: &[(&str, &str, &str)]) {
        self.sentence_in(p, lead, clauses, self.wan(clauses));
    }

    /// The same, its counts in 万 when `wan`.
    fn sentence_in(&self, p: &mut Paragraph, lead: &str, clauses: &[(&str, &str, &str)], wan: bool) {
        let mut any = false;
        for (metric, before, after) in clauses {
            if self.row.value(metric) == 0 {
                continue;
            }
            p.text(if any { "，" } else { lead });
            any |= self.clause(p, metric, (before, after), wan);
        }
        if any {
            p.text("。");
        }
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

/// Writes the report of campaign `id` for region `code` (the top of the scope when `None`).
pub async fn build(db: &Db, scope: &Scope, id: i64, code: Option<&str>, today: Date) -> Result<Report> {
    let o = overview::overview(db, scope, id, code, today).await?;
    let c = &o.campaign;
    let region_path = o.region.path.clone();
    let len = child_path_len(o.level);
    let highlights = activity::store::highlights(db, c.id, &region_path, len).await?;
    let figures = activity::store::figures_of(db, &highlights.iter().map(|h| h.id).collect::<Vec<_>>()).await?;
    let daily = activity::store::daily(db, c.id, &region_path).await?;
    let before = match previous(db, scope, c).await? {
        Some(p) => Some((overview::overview(db, scope, p.id, Some(&o.region.code), today).await?, p)),
        None => None,
    };
    let catalogue = &o.metrics;
    let w = Writer { campaign: c.id, row: &o.region };
    let place = if o.level == 0 { "全省".to_owned() } else { o.region.name.clone() };
    let until = if today < c.ends_on { today } else { c.ends_on };

    let mut general = Paragraph::default();
    general.text(&format!(
        "{}，{}各地紧紧围绕“{}”宣传主题，组织开展了内容丰富、形式多样的系列宣传活动。",
        crate::i18n::Lang::Zh.days(c.starts_on, c.ends_on),
        place,
        c.theme
    ));
    w.sentence(
        &mut general,
        "",
        &[("leaders", "各地", "名党政领导通过出席启动仪式、观摩消防演练、参加消防培训等形式参与当地消防宣传活动")],
    );
    let mut people = Paragraph::default();
    w.sentence(
        &mut people,
        "各地组织开展消防培训，",
        &[
            ("people_trained", "累计培训", "人"),
            ("units_trained", "深入", "家行业、单位、企业、学校、社区开展培训授课"),
        ],
    );
    let mut online = Paragraph::default();
    w.sentence(
        &mut online,
        "",
        &[
            ("livestream_views", "组织开展消防安全云直播，累计线上观看量达", "人次"),
            ("registrations", "", "名群众踊跃报名参加科普嘉年华等活动"),
            ("quiz_finalists", "通过线上答题选拔出", "名消防安全达人"),
            ("quiz_teams", "组成", "支代表队参加知识竞赛"),
            ("challenge_teams", "", "支消防志愿服务队参加消防技能定向挑战赛"),
            ("challenge_volunteers", "共", "名消防志愿者参赛"),
        ],
    );
    // Where the figures came from, when records say: the channels registrations came through, the
    // platforms that reported views.
    let zh = crate::i18n::Lang::Zh;
    let sources = crate::event::store::sources_in(db, c.id, &region_path).await?;
    if !sources.is_empty() {
        let each: Vec<String> = sources
            .iter()
            .map(|(channel, label, n)| {
                let name =
                    if label.is_empty() { zh.t(&format!("event_channel.{channel}")).to_owned() } else { label.clone() };
                format!("{name}（{}名）", cn_number(*n))
            })
            .collect();
        online.text(&format!("活动报名者分别来自{}。", join_cn(&each)));
    }
    let platforms = crate::stream::store::reported_in(db, c.id, &region_path).await?;
    if !platforms.is_empty() {
        let each: Vec<String> = platforms.iter().map(|(p, n)| format!("{p}（{}人次）", cn_number(*n))).collect();
        online.text(&format!("直播观看量由{}报送。", join_cn(&each)));
    }
    let mut service = Paragraph::default();
    w.sentence(
        &mut service,
        "宣传月期间，",
        &[
            ("handouts", "累计发放宣传资料", "份"),
            ("posters", "张贴宣传海报、挂图、标语", "份"),
            ("venue_openings", "开放消防场馆", "场（次）"),
            ("vehicle_outings", "出动消防宣传车", "场次"),
            ("parcel_stickers", "投放消防安全提示贴纸", "份"),
        ],
    );
    let mut media = Paragraph::default();
    let as_of = if until.year() == c.starts_on.year() {
        format!("{}月{}日", u8::from(until.month()), until.day())
    } else {
        crate::i18n::Lang::Zh.date(until)
    };
    media.text(&format!("截至{as_of}，{place}消防救援队伍"));
    let media_start = media.segments.len();
    w.sentence(
        &mut media,
        "共",
        &[
            ("news_central", "在中央级媒体发布新闻", "条"),
            ("news_provincial", "在省级媒体发布新闻", "条"),
            ("news_municipal", "在市级媒体发布新闻", "条"),
            ("news_county", "在县级媒体发布新闻", "条"),
            ("news_matrix", "在消防宣传矩阵发布新闻", "条"),
            ("airings", "在电视台、广播电台累计播出消防公益广告和提示字幕", "条（次）"),
            ("products_pushed", "利用四级推送系统向社区居民推送消防宣传产品", "部"),
        ],
    );
    if media.segments.len() == media_start {
        media.segments.clear();
    }
    let mut overview_paragraphs = vec![general];
    overview_paragraphs.extend([people, online, service].into_iter().filter(|p| !p.segments.is_empty()));
    let mut sections = vec![Section { heading: "一、总体情况".to_owned(), paragraphs: overview_paragraphs }];
    if !media.segments.is_empty() {
        sections.push(Section { heading: "二、媒体宣传".to_owned(), paragraphs: vec![media] });
    }

    // The regions, each with its notable record.
    let mut regional = Vec::new();
    for child in &o.children {
        let cw = Writer { campaign: c.id, row: child };
        let mut p = Paragraph::default();
        p.text(&format!("{}：", child.name));
        let start = p.segments.len();
        let clauses = [
            ("handouts", "发放宣传资料", "份"),
            ("posters", "张贴海报、挂图、标语", "份"),
            ("venue_openings", "开放消防场馆", "场（次）"),
            ("people_trained", "培训", "人"),
            ("news_matrix", "发布新闻", "条"),
        ];
        let highlight = highlights.iter().find(|h| h.region_path == child.path);
        let own: Vec<_> = figures
            .iter()
            .filter(|f| {
                highlight.is_some_and(|h| f.activity_id == h.id)
                    && activity::store::HIGHLIGHT_METRICS.contains(&f.metric_code.as_str())
            })
            .collect();
        let wan = cw.wan(&clauses) || in_wan(own.iter().map(|f| (f.metric_code.clone(), f.value)));
        cw.sentence_in(&mut p, "", &clauses, wan);
        if let Some(h) = highlight {
            // What the record did, told as prose (深入42家单位开展培训授课), not as table labels.
            let parts: Vec<String> = HIGHLIGHT_PROSE
                .iter()
                .filter_map(|(metric, before, after)| {
                    let f = own.iter().find(|f| f.metric_code == *metric)?;
                    Some(format!("{before}{}{after}", shown(metric, f.value, wan)))
                })
                .collect();
            // A title that holds the verb itself takes another one (not 开展“……开展……”).
            let verb = if h.title.contains("开展") { "组织" } else { "开展" };
            p.text(&format!("{}{verb}{}", h.organiser_name, quoted(&h.title)));
            if !parts.is_empty() {
                p.text("，").figure(parts.join("，"), &format!("/activities/{}", h.id));
            }
            p.text("。");
        }
        if p.segments.len() > start {
            regional.push(p);
        }
    }
    if !regional.is_empty() {
        sections.push(Section {
            heading: format!("{}、各地情况", if sections.len() == 2 { "三" } else { "二" }),
            paragraphs: regional,
        });
    }

    // Tables.
    let mut region_rows: Vec<Vec<String>> = o
        .children
        .iter()
        .chain(std::iter::once(&o.region))
        .map(|r| {
            let mut row =
                vec![if r.code == o.region.code { format!("{}合计", o.region.name) } else { r.name.clone() }];
            row.extend(HEADLINE.iter().map(|m| r.value(m).to_string()));
            row
        })
        .collect();
    if o.children.is_empty() {
        region_rows.truncate(1);
    }
    let mut headers = vec!["地区".to_owned()];
    headers.extend(HEADLINE.iter().map(|m| {
        let (name, unit) = metric_name(catalogue, m);
        format!("{name}（{unit}）")
    }));
    let mut tables =
        vec![Table {
            caption: "表1 各地区主要数据".into(), sheet: "各地区数据".into(), headers, rows: region_rows
        }];
    let duty_rows: Vec<Vec<String>> = o
        .duties
        .iter()
        .map(|d| {
            let targets = d
                .targets
                .iter()
                .map(|t| format!("{} {}/{}", metric_name(catalogue, &t.metric_code).0, t.progress, t.target))
                .collect::<Vec<_>>()
                .join("；");
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
        caption: "表2 任务完成情况".into(),
        sheet: "任务完成情况".into(),
        headers: ["任务", "责任单位", "截止日期", "目标与完成", "完成率", "状态"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        rows: duty_rows,
    });
    if let Some((prev, p)) = &before {
        let mut rows = Vec::new();
        let mut compare = Paragraph::default();
        compare.text(&format!("与{}相比，", p.name));
        let mut said = 0;
        let wan = in_wan(
            HEADLINE.iter().flat_map(|m| [(m.to_string(), o.region.value(m)), (m.to_string(), prev.region.value(m))]),
        );
        for m in HEADLINE {
            let (now, then) = (o.region.value(m), prev.region.value(m));
            if now == 0 && then == 0 {
                continue;
            }
            let change =
                if then > 0 { format!("{:+.1}%", (now - then) as f64 * 100.0 / then as f64) } else { "—".into() };
            let (name, unit) = metric_name(catalogue, m);
            if said < 4 && then > 0 {
                if said > 0 {
                    compare.text("，");
                }
                // In prose a change is worded: 增长12.3%, 下降8.0%, 与上届持平.
                let worded = match now.cmp(&then) {
                    std::cmp::Ordering::Greater => format!("增长{:.1}%", (now - then) as f64 * 100.0 / then as f64),
                    std::cmp::Ordering::Less => format!("下降{:.1}%", (then - now) as f64 * 100.0 / then as f64),
                    std::cmp::Ordering::Equal => "与上届持平".to_owned(),
                };
                compare
                    .text(name)
                    .figure(format!("{}{unit}", shown(m, now, wan)), &href(c.id, &o.region.code, m))
                    .text(&format!("（上届{}{unit}，{worded}）", shown(m, then, wan)));
                said += 1;
            }
            rows.push(vec![format!("{name}（{unit}）"), now.to_string(), then.to_string(), change]);
        }
        if said > 0 {
            compare.text("。");
            let n = ["一", "二", "三", "四", "五"].get(sections.len()).copied().unwrap_or("五");
            sections.push(Section { heading: format!("{n}、与上届对比"), paragraphs: vec![compare] });
        }
        tables.push(Table {
            caption: format!("表3 与{}对比", p.name),
            sheet: "与上届对比".into(),
            headers: vec!["指标".into(), "本届".into(), "上届".into(), "变化".into()],
            rows,
        });
    }
    let (days, day_totals) = by_day(&daily);
    let trend_metrics = ["handouts", "posters", "venue_openings", "people_trained", "participants"];
    let mut trend_headers = vec!["日期".to_owned()];
    trend_headers.extend(trend_metrics.iter().map(|m| metric_name(catalogue, m).0.to_owned()));
    tables.push(Table {
        caption: "表4 每日数据".into(),
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
    Ok(Report {
        title: format!("{title}工作总结"),
        signer,
        date: crate::i18n::Lang::Zh.date(today),
        sections,
        tables,
        pictures,
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
    let say = |key: &str, arg: &str| lang.fill([key, arg].into_iter());
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
    fn every_notable_figure_is_told_as_prose() {
        for m in crate::activity::store::HIGHLIGHT_METRICS {
            assert!(HIGHLIGHT_PROSE.iter().any(|(p, _, _)| p == m), "{m} has no prose");
        }
        assert_eq!(quoted("“平安寄递”消防安全提示贴纸投放"), "“‘平安寄递’消防安全提示贴纸投放”");
    }

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
    }

    #[test]
    fn paragraphs_join_text_and_figures() {
        let mut p = Paragraph::default();
        p.text("共").figure("45".into(), "/media").text("条").text("。");
        assert_eq!(p.plain(), "共45条。");
        assert_eq!(p.segments.len(), 3);
    }
}
