//! The report's text, told from the records in the source report's sections: a lead paragraph,
//! then deployment and leaders, departments working together, new channels, volunteers and the
//! grass roots, media and shared products, and the next steps the authors wrote.
//!
//! What is told by name is chosen by salience: a record held with named partners, at a named
//! venue, with a description or a titled product, and with figures of reach, is told; a record of a
//! routine series (three or more records whose titles differ only by their numbers, such as
//! "消防站开放日（第3场）") is summed, never told by name. The report's authors pin a record into
//! the text or hide it. Figures stay in their scope: each is told with the record or the region it
//! belongs to, and a sum is written as the place's only when two or more of its subdivisions add to
//! it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use time::Date;
use utoipa::ToSchema;

use super::overview::DutyProgress;
use super::overview::{Overview, RegionRow};
use super::store::Authored;
use super::{Paragraph, Section, cn_number, href, shown};
use crate::activity::store::{Figure, ToldRecord};
use crate::org::UnitKind;

/// The themes of the text, in the source's order, with their headings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Theme {
    Deploy,
    Joint,
    Channels,
    Volunteers,
    Media,
}

impl Theme {
    const ALL: [Self; 5] = [Self::Deploy, Self::Joint, Self::Channels, Self::Volunteers, Self::Media];

    fn key(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Joint => "joint",
            Self::Channels => "channels",
            Self::Volunteers => "volunteers",
            Self::Media => "media",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Self::Deploy => "周密部署，高位推进",
            Self::Joint => "多方联动，凝聚力量",
            Self::Channels => "创新引领，拓展领域",
            Self::Volunteers => "志愿服务，精准发力",
            Self::Media => "媒体聚焦，产品共享",
        }
    }
}

/// Metrics that make a record notable (its reach), and how each is told after the record.
const REACH: &[(&str, &str, &str)] = &[
    ("registrations", "", "名群众报名参加"),
    ("livestream_views", "累计线上观看量达", "人次"),
    ("quiz_finalists", "选拔出", "名消防安全达人"),
    ("quiz_teams", "组成", "支代表队参赛"),
    ("challenge_teams", "来自", "支消防志愿服务队"),
    ("challenge_volunteers", "", "名消防志愿者同台竞技"),
    ("units_trained", "深入", "家行业、单位、企业、学校、社区开展培训授课"),
    ("vehicle_outings", "出动消防宣传车", "场次"),
    ("people_trained", "培训", "人"),
    ("parcel_stickers", "投放快递安全提示贴纸", "份"),
    ("visitors", "吸引", "人次参观"),
    ("short_videos", "制作短视频", "部"),
];

/// How a record's leaders and participants are told when it has no figure of reach.
const PRESENCE: &[(&str, &str, &str)] = &[("leaders", "", "名党政领导参加"), ("participants", "吸引群众", "人次参与")];

/// Verbs a title may start with: such a title is told as it is (联合美团……打造移动宣传阵地).
const LEADING_VERBS: &[&str] = &[
    "联合", "邀请", "走进", "利用", "组织", "开展", "举办", "举行", "深入", "拍摄", "发动", "协调", "推出", "开放",
    "在",
];

/// Words that make a partner a government body (a joint action of departments, not a platform).
const GOVERNMENT: &[&str] = &["厅", "局", "部门", "委", "政府", "院", "机关"];

/// A record with what the text needs of it.
struct Told<'a> {
    r: &'a ToldRecord,
    figures: Vec<(&'a str, i64)>,
    routine: bool,
    mark: Option<&'a str>,
}

impl Told<'_> {
    fn value(&self, metric: &str) -> i64 {
        self.figures.iter().filter(|(m, _)| *m == metric).map(|(_, v)| v).sum()
    }

    /// How notable the record is (see the module's comment).
    fn salience(&self, own_path: &str) -> i32 {
        let r = self.r;
        let mut s = 0;
        s += if r.co_organisers.trim().is_empty() { 0 } else { 2 };
        s += i32::from(!r.venue.trim().is_empty());
        s += i32::from(!r.description.trim().is_empty());
        s += i32::from(r.title.contains('《') || r.title.contains('“'));
        s += i32::from(r.organiser_path == own_path);
        // The place's own launch (its subdivisions' launches are summed).
        s += i32::from(r.kind == "launch_ceremony" && r.organiser_path == own_path);
        s += i32::try_from(REACH.iter().filter(|(m, _, _)| self.value(m) > 0).count()).unwrap_or(0);
        s += i32::from(self.value("participants") > 0);
        if self.routine { s - 10 } else { s }
    }

    fn theme(&self) -> Theme {
        let r = self.r;
        let government = GOVERNMENT.iter().any(|w| r.co_organisers.contains(w));
        if r.organiser_kind == UnitKind::Department {
            return Theme::Joint;
        }
        match r.kind.as_str() {
            "launch_ceremony" | "drill" => Theme::Deploy,
            "campus" | "street_campaign" => Theme::Joint,
            "training" if self.value("leaders") > 0 => Theme::Joint,
            "partner_placement" if government => Theme::Joint,
            "partner_placement" | "carnival" | "contest" | "livestream" | "exhibition" => Theme::Channels,
            "short_video" | "other" => Theme::Media,
            _ => Theme::Volunteers,
        }
    }
}

/// A title with its numbers and numbered brackets taken out: records sharing it form a series.
fn stem(title: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in title.chars() {
        match c {
            '（' | '(' => depth += 1,
            '）' | ')' => depth -= 1,
            _ if depth == 0 && !c.is_ascii_digit() => out.push(c),
            _ => {}
        }
    }
    out
}

/// The records of routine series (three or more sharing a title's [`stem`]).
pub fn routine(records: &[ToldRecord]) -> HashSet<i64> {
    let mut stems: HashMap<String, Vec<i64>> = HashMap::new();
    for r in records {
        stems.entry(stem(&r.title)).or_default().push(r.id);
    }
    stems.into_values().filter(|ids| ids.len() >= 3).flatten().collect()
}

/// The records whose figures the text may tell: those of no routine series, and those marked
/// (routine records are told in sums, whose figures the overview holds).
pub fn figures_wanted(records: &[ToldRecord], series: &HashSet<i64>, marks: &[(i64, String)]) -> Vec<i64> {
    records.iter().map(|r| r.id).filter(|id| !series.contains(id) || marks.iter().any(|(m, _)| m == id)).collect()
}

/// The short name of a unit after its first mention: 长春市消防救援支队 → 长春支队, 吉林省消防救援总队 →
/// 总队, 吉林省商务厅 → 省商务厅.
pub fn short_name(name: &str) -> String {
    for (full, short) in [("消防救援支队", "支队"), ("消防救援大队", "大队")] {
        if let Some(place) = name.strip_suffix(full) {
            let place = ["朝鲜族自治州", "自治州", "市", "州", "区", "县"]
                .iter()
                .find_map(|s| place.strip_suffix(s).filter(|p| p.chars().count() >= 2))
                .unwrap_or(place);
            return format!("{place}{short}");
        }
    }
    if name.ends_with("消防救援总队") {
        return "总队".to_owned();
    }
    name.strip_prefix("吉林省").map_or_else(|| name.to_owned(), |rest| format!("省{rest}"))
}

/// A day of the narrative: 11月8日 (the year is the campaign's).
fn md(d: Date) -> String {
    format!("{}月{}日", u8::from(d.month()), d.day())
}

/// A piece of a paragraph before it is written: text, or a figure with its metric and records.
enum Item {
    Text(String),
    Figure { metric: String, value: i64, href: String },
    Record { title: String, href: String },
}

/// A paragraph being told; written out once its figures are known, in one number style.
#[derive(Default)]
struct Draft {
    items: Vec<Item>,
    /// The organiser of the record told last, whose next record continues its sentence.
    last: Option<String>,
}

impl Draft {
    /// Turns the sentence just ended into a clause (。 → ；) so that the next one continues it.
    fn go_on(&mut self) {
        if let Some(Item::Text(t)) = self.items.last_mut()
            && t.ends_with('。')
        {
            t.pop();
            t.push('；');
        }
    }

    fn text(&mut self, s: &str) -> &mut Self {
        if let Some(Item::Text(t)) = self.items.last_mut() {
            t.push_str(s);
        } else {
            self.items.push(Item::Text(s.to_owned()));
        }
        self
    }

    fn figure(&mut self, metric: &str, value: i64, href: String) -> &mut Self {
        self.items.push(Item::Figure { metric: metric.to_owned(), value, href });
        self
    }

    fn record(&mut self, title: &str, href: String) -> &mut Self {
        self.items.push(Item::Record { title: title.to_owned(), href });
        self
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The paragraph, its counts in 万 when one of them must be (one style a paragraph).
    fn write(self) -> Paragraph {
        let wan = super::in_wan(self.items.iter().filter_map(|i| match i {
            Item::Figure { metric, value, .. } => Some((metric.clone(), *value)),
            Item::Text(_) | Item::Record { .. } => None,
        }));
        let mut p = Paragraph::default();
        for i in self.items {
            match i {
                Item::Text(t) => {
                    p.text(&t);
                }
                Item::Figure { metric, value, href } => {
                    p.figure(shown(&metric, value, wan), &href, value);
                }
                Item::Record { title, href } => {
                    p.record(&title, &href);
                }
            }
        }
        p
    }
}

/// What the text is told from.
pub struct Material<'a> {
    /// The overview (the campaign, the region and its subdivisions, duties).
    pub o: &'a Overview,
    /// The approved records in the region.
    pub records: &'a [ToldRecord],
    /// Those of routine series ([`routine`]).
    pub series: &'a HashSet<i64>,
    /// The figures of those [`figures_wanted`].
    pub figures: &'a [Figure],
    /// Pinned and hidden records.
    pub marks: &'a [(i64, String)],
    /// The authors' fields.
    pub authored: &'a Authored,
    /// Sign-ups of the campaign's events by channel: (channel name, count).
    pub sources: Vec<(String, i64)>,
    /// Livestream views by platform.
    pub platforms: Vec<(String, i64)>,
    /// Volunteer teams that served in the campaign's days.
    pub teams: Vec<String>,
    /// The day the figures stand at.
    pub until: Date,
}

/// The teller: remembers whom it has named (the full name first, the short one after).
struct Teller<'a> {
    m: &'a Material<'a>,
    named: HashSet<String>,
    place: String,
}

impl Teller<'_> {
    fn name(&mut self, full: &str) -> String {
        if self.named.insert(full.to_owned()) { full.to_owned() } else { short_name(full) }
    }

    /// What the place's subdivisions are called: 地区 of the province, 县（市、区） of a city,
    /// 乡镇（街道） of a county.
    fn parts(&self) -> &'static str {
        match self.m.o.level {
            0 => "地区",
            1 => "县（市、区）",
            _ => "乡镇（街道）",
        }
    }

    fn campaign(&self) -> i64 {
        self.m.o.campaign.id
    }

    fn region_figure(&self, d: &mut Draft, row: &RegionRow, metric: &str) {
        d.figure(metric, row.value(metric), href(self.campaign(), &row.code, metric));
    }

    /// How many subdivisions add to a metric (a sum is the place's only when two or more do).
    fn spread(&self, metric: &str) -> usize {
        self.m.o.children.iter().filter(|c| c.value(metric) > 0).count()
    }

    /// Whether the place's sum of a metric may be written as the place's.
    fn place_owns(&self, metric: &str) -> bool {
        self.m.o.children.is_empty() || self.spread(metric) >= 2
    }

    /// "{before}{figure}{after}" clauses of a region's figures that have a value and that `keep`,
    /// the first after `lead` and the others after "，"; returns whether any.
    fn clauses(
        &self,
        d: &mut Draft,
        row: &RegionRow,
        lead: &str,
        clauses: &[(&str, &str, &str)],
        keep: impl Fn(&str) -> bool,
    ) -> bool {
        let mut any = false;
        for (metric, before, after) in clauses {
            if row.value(metric) == 0 || !keep(metric) {
                continue;
            }
            d.text(if any { "，" } else { lead }).text(before);
            self.region_figure(d, row, metric);
            d.text(after);
            any = true;
        }
        any
    }

    /// One record told as a sentence: who, with whom, where, what, and its figures.
    fn tell(&mut self, d: &mut Draft, t: &Told<'_>, dated: bool) {
        let r = t.r;
        let same = d.last.as_deref() == Some(r.organiser_name.as_str()) && r.kind != "launch_ceremony";
        d.last = Some(r.organiser_name.clone());
        // The same organiser's next record continues its sentence.
        if same {
            d.go_on();
        }
        if dated {
            d.text(&format!("{}，", md(r.starts_on)));
        }
        let co = r.co_organisers.trim();
        let title = r.title.trim();
        let href = format!("/activities/{}", r.id);
        if r.kind == "launch_ceremony" && !co.is_empty() {
            d.text(&format!("{co}相关领导出席")).record(title, href.clone()).text("，对宣传月活动进行了部署");
        } else {
            if !same {
                let who = self.name(&r.organiser_name);
                d.text(&who);
            }
            let verb_led = LEADING_VERBS.iter().any(|v| title.starts_with(v));
            if !co.is_empty() && !title.contains(co) && !title.starts_with("联合") {
                d.text(&format!("联合{co}"));
            }
            let venue = r.venue.trim();
            let home = r.organiser_name.starts_with(venue);
            if !venue.is_empty()
                && venue != "线上"
                && venue != co
                && !title.contains(venue)
                && !co.contains(venue)
                && !home
            {
                d.text(&format!("在{venue}"));
            }
            if !verb_led {
                d.text(match r.kind.as_str() {
                    _ if title.ends_with("行动") || title.ends_with("活动") => "开展",
                    _ if ["赛", "展", "会", "展览"].iter().any(|e| title.ends_with(e)) => "举办",
                    "launch_ceremony" => "举行",
                    "carnival" | "contest" | "exhibition" | "campus" => "举办",
                    "livestream" => "组织开展",
                    "short_video" if title.contains('《') => "拍摄播发",
                    "short_video" => "拍摄",
                    _ if title.contains("开展") => "组织",
                    _ => "开展",
                });
            }
            d.record(title, href.clone());
        }
        // What was done, when its organiser wrote it as a clause of its own.
        let what = r.description.trim().trim_end_matches('。');
        if !what.is_empty() && what.chars().count() <= 120 && !what.contains('\n') {
            d.text("，").text(what);
        }
        let mut told = false;
        for (metric, before, after) in REACH {
            let v = t.value(metric);
            // A single video is its title.
            if v == 0 || (*metric == "short_videos" && v == 1) {
                continue;
            }
            // 来自10支队伍的50名志愿者: the volunteers continue the teams' clause.
            let joined = *metric == "challenge_volunteers" && t.value("challenge_teams") > 0;
            d.text(if joined { "的" } else { "，" });
            let (before, after) = if *metric == "short_videos" && r.kind == "contest" {
                ("征集短视频作品", "部")
            } else {
                (*before, *after)
            };
            d.text(before).figure(metric, v, href.clone()).text(after);
            told = true;
            self.tell_sources(d, t, metric);
        }
        // A launch attended by named leaders has told who came.
        let attended = r.kind == "launch_ceremony" && !co.is_empty();
        if !told && !attended {
            for (metric, before, after) in PRESENCE {
                let v = t.value(metric);
                if v > 0 {
                    d.text("，").text(before).figure(metric, v, href.clone()).text(after);
                }
            }
        }
        d.text("。");
    }

    /// Where a record's sign-ups and views came from, when the registers say.
    fn tell_sources(&self, d: &mut Draft, t: &Told<'_>, metric: &str) {
        let (list, lead, unit) = match metric {
            "registrations" if t.r.kind == "carnival" => (&self.m.sources, "，其中", "名"),
            "livestream_views" => (&self.m.platforms, "，其中", "人次"),
            _ => return,
        };
        if list.is_empty() {
            return;
        }
        let each: Vec<String> = list.iter().map(|(name, n)| format!("{name}{}{unit}", cn_number(*n))).collect();
        d.text(lead).text(&each.join("、"));
    }
}

/// A record its authors may pin into the report or hide: every record not of a routine series,
/// and every record pinned or hidden.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Choice {
    /// The record.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its organiser.
    pub organiser: String,
    /// Told by name in the text.
    pub told: bool,
    /// `pinned`, `hidden`, or none (its salience decides).
    pub mark: Option<String>,
}

/// The text of the report: its sections, keyed for hand edits; and the records to choose from.
#[allow(clippy::too_many_lines)]
pub fn sections(m: &Material<'_>, compare: Option<Paragraph>) -> (Vec<Section>, Vec<Choice>) {
    let o = m.o;
    let c = &o.campaign;
    let own_path = o.region.path.as_str();
    let mut teller = Teller { m, named: HashSet::new(), place: place_word(o) };
    // The records with their figures, themes and salience.
    let mut by_id: HashMap<i64, Vec<(&str, i64)>> = HashMap::new();
    for f in m.figures {
        by_id.entry(f.activity_id).or_default().push((f.metric_code.as_str(), f.value));
    }
    let marks: HashMap<i64, &str> = m.marks.iter().map(|(id, mark)| (*id, mark.as_str())).collect();
    let all: Vec<Told<'_>> = m
        .records
        .iter()
        .map(|r| Told {
            r,
            figures: by_id.remove(&r.id).unwrap_or_default(),
            routine: m.series.contains(&r.id),
            mark: marks.get(&r.id).copied(),
        })
        .collect();
    let told: Vec<&Told<'_>> = all
        .iter()
        .filter(|t| match t.mark {
            Some("pinned") => true,
            Some(_) => false,
            None => t.salience(own_path) >= 2,
        })
        .collect();
    let told_ids: HashSet<i64> = told.iter().map(|t| t.r.id).collect();
    let choices = all
        .iter()
        .filter(|t| !t.routine || t.mark.is_some())
        .map(|t| Choice {
            id: t.r.id,
            title: t.r.title.clone(),
            organiser: t.r.organiser_name.clone(),
            told: told_ids.contains(&t.r.id),
            mark: t.mark.map(str::to_owned),
        })
        .collect();
    // The region each subdivision's records belong to, in the overview's order.
    let child_of = |path: &str| o.children.iter().position(|ch| path.starts_with(&ch.path));
    let mentioned: HashSet<usize> = told.iter().filter_map(|t| child_of(&t.r.region_path)).collect();

    let mut out: Vec<(String, String, Vec<Paragraph>)> = Vec::new();

    // The lead.
    let mut lead = Draft::default();
    lead.text(&crate::i18n::Lang::Zh.days(c.starts_on, c.ends_on)).text("，");
    let deployed = m.authored.deployed_by.trim();
    if !deployed.is_empty() {
        lead.text(&format!("按照{deployed}的统一部署，"));
    } else if o.level > 0 {
        let owner = teller.name(&c.owner_name);
        lead.text(&format!("按照{owner}的统一部署，"));
    }
    let theme = c.theme.trim();
    lead.text(&format!("{}各地紧紧围绕“{theme}”宣传主题", teller.place));
    let held = i64::try_from(m.records.len()).unwrap_or(0);
    if held == 0 {
        lead.text("组织开展消防宣传活动");
    } else {
        lead.text("，共组织开展各类消防宣传活动").figure(
            "activities",
            held,
            format!("/activities?campaign={}&region={}&state=approved", c.id, o.region.code),
        );
        lead.text("场次");
    }
    lead.text("。");
    out.push(("lead".into(), String::new(), vec![lead.write()]));

    for theme in Theme::ALL {
        let mut paragraphs = Vec::new();
        let mine: Vec<&&Told<'_>> = told.iter().filter(|t| t.theme() == theme).collect();
        let (own, below): (Vec<&&Told<'_>>, Vec<&&Told<'_>>) =
            mine.into_iter().partition(|t| child_of(&t.r.region_path).is_none());
        let mut first = Draft::default();
        match theme {
            Theme::Deploy => {
                for t in &own {
                    teller.tell(&mut first, t, true);
                }
                for line in documents(&m.authored.documents, false) {
                    first.text(&line);
                }
                let launches = o
                    .children
                    .iter()
                    .filter(|ch| {
                        all.iter().any(|t| t.r.kind == "launch_ceremony" && t.r.region_path.starts_with(&ch.path))
                    })
                    .count();
                if launches >= 2 {
                    first.text(&format!("{}{launches}个{}相继举行宣传月启动仪式。", teller.place, teller.parts()));
                }
                let mut leaders = Draft::default();
                // Unless the records told have said every leader already.
                let said: i64 = told.iter().map(|t| t.value("leaders")).sum();
                if o.region.value("leaders") > said {
                    leaders.text(&format!("{}各地", teller.place));
                    teller.region_figure(&mut leaders, &o.region, "leaders");
                    leaders.text("名党政领导，通过");
                    let ways = ways_of_taking_part(&all);
                    leaders.text(&if ways.is_empty() {
                        "多种".to_owned()
                    } else {
                        format!("{}等", ways.join("、"))
                    });
                    leaders.text("形式参与当地消防宣传活动。");
                }
                paragraphs.extend([first, leaders]);
            }
            Theme::Joint => {
                let depts: Vec<&DutyProgress> =
                    o.duties.iter().filter(|d| d.duty.unit_kind == UnitKind::Department).collect();
                if !depts.is_empty() {
                    let mut names: Vec<String> = depts.iter().map(|d| short_name(&d.duty.unit_name)).collect();
                    names.dedup();
                    teller.named.extend(depts.iter().map(|d| d.duty.unit_name.clone()));
                    let who = teller.name(&c.owner_name);
                    first.text(&format!(
                        "{who}坚持部门联动，协调{}等部门明确宣传职责、共同开展宣传活动。",
                        names.join("、")
                    ));
                    // Each department's duty, unless a joint record it organised or joined tells it.
                    let each: Vec<String> = depts
                        .iter()
                        .filter(|d| {
                            let name = &d.duty.unit_name;
                            !told.iter().any(|t| {
                                t.theme() == Theme::Joint
                                    && (&t.r.organiser_name == name || t.r.co_organisers.contains(name.as_str()))
                            })
                        })
                        .map(|d| format!("{}{}", short_name(&d.duty.unit_name), d.duty.title.trim()))
                        .collect();
                    if !each.is_empty() {
                        first.text(&format!("{}。", each.join("；")));
                    }
                }
                for t in &own {
                    teller.tell(&mut first, t, true);
                }
                paragraphs.push(first);
            }
            Theme::Volunteers => {
                for line in documents(&m.authored.documents, true) {
                    first.text(&line);
                }
                for t in &own {
                    teller.tell(&mut first, t, true);
                }
                let mut sums = Draft::default();
                let services: Vec<&Told<'_>> = all.iter().filter(|t| t.r.kind == "volunteer_service").collect();
                let service_regions = o
                    .children
                    .iter()
                    .filter(|ch| services.iter().any(|t| t.r.region_path.starts_with(&ch.path)))
                    .count();
                if services.len() >= 2 {
                    let slogans = slogans(services.iter().map(|t| t.r.title.as_str()));
                    sums.text("宣传月期间，").text(&teller.place);
                    if service_regions >= 2 {
                        sums.text(&format!("{service_regions}个{}", teller.parts()));
                    }
                    sums.text("开展");
                    if !slogans.is_empty() {
                        sums.text(&format!("以{slogans}为主要内容的"));
                    }
                    sums.text("消防志愿关爱服务").figure(
                        "activities",
                        i64::try_from(services.len()).unwrap_or(0),
                        format!("/activities?campaign={}&region={}&kind=volunteer_service", c.id, o.region.code),
                    );
                    sums.text("场次");
                    // The teams that served: by their hours, or named as the services' partners.
                    let mut teams = m.teams.clone();
                    for t in &services {
                        for team in t.r.co_organisers.split('、').map(str::trim) {
                            if team.ends_with("服务队") && !teams.iter().any(|x| x == team) {
                                teams.push(team.to_owned());
                            }
                        }
                    }
                    if !teams.is_empty() {
                        let n = teams.len();
                        let shown_teams: Vec<&str> = teams.iter().take(3).map(String::as_str).collect();
                        sums.text(&format!("，{}", shown_teams.join("、")));
                        sums.text(&if n > 3 {
                            format!("等{n}支志愿服务队参与服务")
                        } else {
                            "参与服务".to_owned()
                        });
                    }
                }
                let lead = if sums.is_empty() { "宣传月期间，" } else { "，" };
                let said = teller.clauses(
                    &mut sums,
                    &o.region,
                    lead,
                    &[
                        ("handouts", "累计发放宣传资料", "份"),
                        ("posters", "张贴宣传海报、挂图、标语", "份"),
                        ("venue_openings", "开放消防场馆", "场（次）"),
                        ("visitors", "组织群众参观体验", "人次"),
                        ("vehicle_outings", "出动消防宣传车", "场次"),
                        ("people_trained", "培训群众", "人"),
                    ],
                    |metric| teller.place_owns(metric),
                );
                if said || !sums.is_empty() {
                    sums.text("。");
                }
                paragraphs.extend([first, sums]);
            }
            Theme::Channels => {
                for t in &own {
                    teller.tell(&mut first, t, true);
                }
                paragraphs.push(first);
            }
            Theme::Media => {
                let mut media = Draft::default();
                let as_of = if teller.m.until.year() == c.starts_on.year() {
                    md(teller.m.until)
                } else {
                    crate::i18n::Lang::Zh.date(teller.m.until)
                };
                let news = [
                    ("news_central", "在中央级媒体发布新闻", "条"),
                    ("news_provincial", "在省级媒体发布新闻", "条"),
                    ("news_municipal", "在市级媒体发布新闻", "条"),
                    ("news_county", "在县级媒体发布新闻", "条"),
                    ("news_matrix", "通过消防宣传矩阵发布新闻", "条"),
                    ("airings", "在电视台、广播电台累计播出消防公益广告和提示字幕", "条（次）"),
                ];
                if news.iter().any(|(m, _, _)| o.region.value(m) > 0) {
                    media.text(&format!("截至{as_of}，{}消防救援队伍共", teller.place));
                    teller.clauses(&mut media, &o.region, "", &news, |_| true);
                    media.text("。");
                }
                if o.region.value("products_pushed") > 0 {
                    // A push is the province's; a region's residents receive it.
                    if o.level == 0 {
                        media.text("利用四级推送系统向社区居民推送消防宣传产品");
                    } else {
                        media.text(&format!("通过全省四级推送系统，{}居民共收到消防宣传产品", teller.place));
                    }
                    teller.region_figure(&mut media, &o.region, "products_pushed");
                    media.text("部。");
                }
                for t in &own {
                    teller.tell(&mut media, t, false);
                }
                paragraphs.push(media);
            }
        }
        // The subdivisions' records of the theme, region by region.
        let mut regional = Draft::default();
        let mut ordered = below;
        ordered.sort_by_key(|t| (child_of(&t.r.region_path), t.r.starts_on, t.r.id));
        for t in ordered {
            teller.tell(&mut regional, t, false);
        }
        // Subdivisions no record tells by name: a short sentence each when they are few, else
        // the table (never the same sentence for every one).
        if theme == Theme::Volunteers {
            let silent: Vec<&RegionRow> = o
                .children
                .iter()
                .enumerate()
                .filter(|(i, ch)| !mentioned.contains(i) && ch.value("handouts") + ch.value("venue_openings") > 0)
                .map(|(_, ch)| ch)
                .collect();
            if silent.len() > 3 {
                let which = if mentioned.is_empty() {
                    format!("各{}", teller.parts())
                } else {
                    format!("其余{}个{}", silent.len(), teller.parts())
                };
                regional.text(&format!("{which}的主要数据见表1。"));
            } else {
                for ch in silent {
                    regional.text(&ch.name);
                    let main = [("handouts", "发放宣传资料", "份"), ("venue_openings", "开放消防场馆", "场（次）")];
                    teller.clauses(&mut regional, ch, "", &main, |_| true);
                    regional.text("。");
                }
            }
        }
        paragraphs.push(regional);
        let paragraphs: Vec<Paragraph> = paragraphs.into_iter().filter(|d| !d.is_empty()).map(Draft::write).collect();
        if !paragraphs.is_empty() {
            out.push((theme.key().into(), theme.heading().into(), paragraphs));
        }
    }
    if let Some(p) = compare {
        out.push(("compare".into(), "与上届对比".into(), vec![p]));
    }
    let next: Vec<Paragraph> = m
        .authored
        .next_steps
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut p = Paragraph::default();
            p.text(l);
            p
        })
        .collect();
    if !next.is_empty() {
        out.push(("next".into(), "下一步工作".into(), next));
    }
    // Numbered headings, 一、 on.
    let mut n = 0;
    let sections = out
        .into_iter()
        .map(|(key, heading, mut paragraphs)| {
            for (i, p) in paragraphs.iter_mut().enumerate() {
                p.key = format!("{key}.{}", i + 1);
            }
            let heading = if heading.is_empty() {
                heading
            } else {
                n += 1;
                format!("{}、{heading}", cn_ordinal(n))
            };
            Section { key, heading, paragraphs }
        })
        .collect();
    (sections, choices)
}

/// 一, 二, … 十: the numbers of the headings.
fn cn_ordinal(n: usize) -> &'static str {
    ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"].get(n.saturating_sub(1)).copied().unwrap_or("十")
}

/// 全省, 全市, 全州 …: how the text names the place of the report.
fn place_word(o: &Overview) -> String {
    if o.level == 0 {
        return "全省".to_owned();
    }
    let name = o.region.name.as_str();
    for (end, word) in [("市", "全市"), ("州", "全州"), ("区", "全区"), ("县", "全县"), ("旗", "全旗")] {
        if name.ends_with(end) {
            return word.to_owned();
        }
    }
    name.to_owned()
}

/// The authors' documents as sentences: those about volunteers (`volunteers`) or the others.
fn documents(lines: &str, volunteers: bool) -> Vec<String> {
    lines
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.contains("志愿") == volunteers)
        .map(|l| if l.ends_with('。') { l.to_owned() } else { format!("{}。", l.trim_end_matches(['，', '；'])) })
        .collect()
}

/// How leaders took part, from the kinds of records that count them.
fn ways_of_taking_part(all: &[Told<'_>]) -> Vec<&'static str> {
    let mut ways = Vec::new();
    for t in all.iter().filter(|t| t.r.leaders > 0) {
        let found: &[&str] = match t.r.kind.as_str() {
            "launch_ceremony" if t.r.title.contains("演练") => &["出席启动仪式", "观摩消防演练"],
            "launch_ceremony" => &["出席启动仪式"],
            "drill" => &["观摩消防演练"],
            "training" | "lecture" => &["参加消防培训"],
            "campus" => &["参加进校园活动"],
            _ => &["参加宣传活动"],
        };
        for w in found {
            if !ways.contains(w) {
                ways.push(*w);
            }
        }
    }
    ways
}

/// The slogans in quotation marks that a series of titles shares: “查火患”“送平安”.
fn slogans<'a>(titles: impl Iterator<Item = &'a str>) -> String {
    let mut seen: Vec<String> = Vec::new();
    for t in titles {
        for part in t.split('“').skip(1) {
            if let Some((s, _)) = part.split_once('”')
                && !seen.iter().any(|x| x == s)
                && seen.len() < 4
            {
                seen.push(s.to_owned());
            }
        }
    }
    seen.iter().fold(String::new(), |out, s| out + "“" + s + "”")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_named_in_full_first_and_short_after() {
        assert_eq!(short_name("长春市消防救援支队"), "长春支队");
        assert_eq!(short_name("延边朝鲜族自治州消防救援支队"), "延边支队");
        assert_eq!(short_name("长白山消防救援支队"), "长白山支队");
        assert_eq!(short_name("吉林省消防救援总队"), "总队");
        assert_eq!(short_name("吉林省商务厅"), "省商务厅");
        assert_eq!(short_name("省委社会工作部"), "省委社会工作部");
        assert_eq!(short_name("长春市南关区消防救援大队"), "长春市南关大队");
    }

    #[test]
    fn a_series_shares_its_stem_and_its_slogans_are_gathered() {
        assert_eq!(stem("长春消防站开放日（第3场）"), stem("长春消防站开放日（第12场）"));
        assert_ne!(stem("长春消防站开放日"), stem("吉林消防站开放日"));
        assert_eq!(
            slogans(["长春“查火患”消防志愿关爱服务（第1批）", "长春“送平安”消防志愿关爱服务（第2批）"].into_iter()),
            "“查火患”“送平安”"
        );
    }

    #[test]
    fn documents_go_to_their_section_as_sentences() {
        let docs = "省安全委员会和省消防救援委员会首次联合下发通知\n\n总队联合省委社工部下发《意见》，部署开展消防志愿者冬季百日宣传活动。";
        assert_eq!(documents(docs, false), ["省安全委员会和省消防救援委员会首次联合下发通知。"]);
        assert_eq!(documents(docs, true).len(), 1);
    }
}
