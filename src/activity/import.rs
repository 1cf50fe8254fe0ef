//! Bulk reporting: activity records from the spreadsheets regions keep today (XLSX, or CSV in
//! UTF-8 or GBK/GB18030). The whole file is checked first; any bad row or cell is named and
//! nothing is stored. Good files are stored in one transaction as submitted records.

use std::collections::{BTreeMap, HashMap};

use super::actions::{ActivityInput, check_record};
use super::store::{self, NewActivity};
use super::{KINDS, State, can_review};
use crate::campaign::store::{Campaign, Metric};
use crate::db::Db;
use crate::i18n::{Lang, keyed};
use crate::org;
use crate::org::caller::Principal;
use crate::sheet::{self, CellError, Sheet};
use crate::{Error, Result};

/// The fixed columns: (field, Chinese header, English header, required).
pub const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("title", "标题", "title", true),
    ("kind", "类型", "kind", true),
    ("starts_on", "开始日期", "starts_on", true),
    ("ends_on", "结束日期", "ends_on", false),
    ("region_code", "区划代码", "region_code", true),
    ("organiser", "主办单位", "organiser", false),
    ("co_organisers", "协办单位", "co_organisers", false),
    ("venue", "地点", "venue", false),
    ("description", "说明", "description", false),
];

/// The header row of the template: the fixed columns, then one column per countable metric.
pub fn template_headers(catalogue: &[Metric]) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| c.1.to_owned())
        .chain(catalogue.iter().filter(|m| m.source == "figure").map(|m| m.name.clone()))
        .collect()
}

/// What the template's example row says in its description: a row that still says it is the
/// example is refused, so that it is never stored as a record.
const EXAMPLE: &str = "示例：请删除此行";

/// One example row under the template's headers, at the region of the one who downloads it
/// (`region_path`; the province's first city for the province itself), so that it shows a code
/// they may use.
pub fn template_example(catalogue: &[Metric], campaign: &Campaign, region_path: &str) -> Vec<String> {
    let day = crate::clock::show_date(campaign.starts_on);
    let region = match crate::org::path::code_of(region_path) {
        Some(code) if region_path.len() > "/22/".len() => code,
        _ => "220100".to_owned(),
    };
    let mut row: Vec<String> =
        ["消防安全培训", "training", &day, &day, &region, "", "市应急管理局", "市政府会议中心", EXAMPLE]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    row.extend(
        catalogue
            .iter()
            .filter(|m| m.source == "figure")
            .map(|m| if m.code == "people_trained" { "120".to_owned() } else { String::new() }),
    );
    row
}

/// What the file's rows refer to, loaded once: the campaign, the catalogue, the regions and units
/// in the importer's area.
pub struct Context {
    campaign: Campaign,
    catalogue: Vec<Metric>,
    regions: HashMap<String, (String, String)>,
    units: HashMap<String, (i64, String, org::UnitKind)>,
}

impl Context {
    /// Loads the context of an import by `me` into a campaign.
    pub async fn load(db: &Db, me: &Principal, campaign_id: i64) -> Result<Self> {
        let campaign = crate::campaign::store::campaign(db, &me.scope, campaign_id)
            .await
            .map_err(|_| Error::invalid("campaign", "error.no_campaign"))?;
        let catalogue = crate::campaign::store::metrics(db).await?;
        let regions = org::store::regions_in(db, &me.scope, 4)
            .await?
            .into_iter()
            .map(|(code, path)| (code.clone(), (code, path)))
            .collect();
        let units = org::store::units(db, &me.scope, &org::store::UnitFilter::default(), 100_000)
            .await?
            .into_iter()
            .map(|u| (u.name, (u.id, u.region_path, u.kind)))
            .collect();
        Ok(Self { campaign, catalogue, regions, units })
    }
}

/// Activity kinds by their code and by their name in every UI language.
fn kind_names() -> HashMap<&'static str, &'static str> {
    let mut names = HashMap::new();
    for k in KINDS {
        names.insert(*k, *k);
        for lang in Lang::ALL {
            names.insert(lang.t(&format!("activity_kind.{k}")), *k);
        }
    }
    names
}

fn whole_number(cell: &str) -> Option<i64> {
    let cleaned: String = cell.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    cleaned.parse().ok()
}

/// Checks every row; returns the records, or every error with its row and column.
pub fn parse(sheet: &Sheet, ctx: &Context, me: &Principal) -> Result<Vec<NewActivity>, Vec<CellError>> {
    let mut errors = Vec::new();
    let col = |field: &str| COLUMNS.iter().find(|c| c.0 == field).and_then(|c| sheet.column(&[c.1, c.2]));
    for (field, zh, _, required) in COLUMNS {
        if *required && col(field).is_none() {
            errors.push(CellError { row: 1, column: (*zh).to_owned(), message: keyed("error.column_missing", &[zh]) });
        }
    }
    let metric_cols: Vec<(usize, &Metric)> = ctx
        .catalogue
        .iter()
        .filter(|m| m.source == "figure")
        .filter_map(|m| sheet.column(&[&m.name, &m.code]).map(|i| (i, m)))
        .collect();
    let known = |h: &str| {
        COLUMNS.iter().any(|c| c.1 == h || c.2 == h) || ctx.catalogue.iter().any(|m| m.name == h || m.code == h)
    };
    for h in &sheet.headers {
        if !known(h.trim()) {
            errors.push(CellError { row: 1, column: h.clone(), message: keyed("error.column_unknown", &[h]) });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let header = |field: &str| COLUMNS.iter().find(|c| c.0 == field).map_or(field, |c| c.1).to_owned();
    let kinds = kind_names();
    let mut records = Vec::with_capacity(sheet.rows.len());
    for row in &sheet.rows {
        let cell = |field: &str| col(field).and_then(|i| row.cells.get(i)).map_or("", |s| s.as_str());
        let mut figures = BTreeMap::new();
        let mut row_ok = true;
        for (i, metric) in &metric_cols {
            let text = row.cells.get(*i).map_or("", |s| s.trim());
            if text.is_empty() {
                continue;
            }
            if let Some(v) = whole_number(text) {
                figures.insert(metric.code.clone(), v);
            } else {
                row_ok = false;
                errors.push(CellError {
                    row: row.line,
                    column: metric.name.clone(),
                    message: keyed("error.not_whole_number", &[text]),
                });
            }
        }
        if cell("description").trim() == EXAMPLE {
            errors.push(CellError {
                row: row.line,
                column: header("description"),
                message: "error.example_row".to_owned(),
            });
            continue;
        }
        let organiser_name = cell("organiser").trim();
        let organiser = if organiser_name.is_empty() {
            Some((me.user.unit_id, me.user.region_path.clone()))
        } else {
            ctx.units
                .get(organiser_name)
                .map(|(id, path, kind)| (*id, path.clone(), *kind))
                // Records of another unit come only from the level that reviews it.
                .filter(|(id, path, kind)| {
                    *id == me.user.unit_id
                        || can_review(
                            (me.role, me.user.unit_id, me.user.unit_kind, &me.user.region_path),
                            (*id, kind.as_str(), path),
                        )
                })
                .map(|(id, path, _)| (id, path))
        };
        let Some(organiser) = organiser else {
            errors.push(CellError {
                row: row.line,
                column: header("organiser"),
                message: "error.organiser_not_yours".to_owned(),
            });
            continue;
        };
        let input = ActivityInput {
            campaign_id: ctx.campaign.id,
            duty_id: None,
            kind: kinds.get(cell("kind").trim()).map_or_else(|| cell("kind").trim().to_owned(), |k| (*k).to_owned()),
            title: cell("title").to_owned(),
            starts_on: cell("starts_on").to_owned(),
            ends_on: cell("ends_on").to_owned(),
            region_code: cell("region_code").to_owned(),
            co_organisers: cell("co_organisers").to_owned(),
            venue: cell("venue").to_owned(),
            description: cell("description").to_owned(),
            figures,
        };
        let region = ctx.regions.get(input.region_code.trim()).cloned();
        match check_record(&input, &ctx.campaign, &ctx.catalogue, region, (organiser.0, &organiser.1), me.user.id) {
            Ok(mut record) if row_ok => {
                record.state = State::Submitted;
                records.push(record);
            }
            Ok(_) => {}
            Err(Error::Invalid { field, message }) => {
                let field = field.unwrap_or_default();
                let column = match field.strip_prefix("figures.") {
                    Some(code) => {
                        ctx.catalogue.iter().find(|m| m.code == code).map_or(field.clone(), |m| m.name.clone())
                    }
                    None => header(&field),
                };
                errors.push(CellError { row: row.line, column, message });
            }
            Err(Error::Conflict(message) | Error::TooMany(message)) => {
                errors.push(CellError { row: row.line, column: String::new(), message });
            }
            Err(e) => errors.push(CellError { row: row.line, column: String::new(), message: e.to_string() }),
        }
    }
    if sheet.rows.is_empty() {
        errors.push(CellError { row: 0, column: String::new(), message: "error.no_data_rows".to_owned() });
    }
    if errors.is_empty() { Ok(records) } else { Err(errors) }
}

/// The outcome of an import that failed: every error, nothing stored.
#[derive(Debug)]
pub struct Rejected(pub Vec<CellError>);

/// Reads, checks and stores a file of activity records into a campaign, all or nothing.
/// `progress(done, total)` is called as rows are stored.
pub async fn run(
    db: &Db,
    me: &Principal,
    campaign_id: i64,
    bytes: &[u8],
    filename: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Result<Vec<i64>, Rejected>> {
    // The file is read while what its rows are checked against is loaded.
    let (sheet, ctx) = tokio::join!(sheet::read_apart(bytes, filename), Context::load(db, me, campaign_id));
    let ctx = ctx?;
    let sheet = match sheet {
        Ok(s) => s,
        Err(errors) => return Ok(Err(Rejected(errors))),
    };
    let records = match parse(&sheet, &ctx, me) {
        Ok(r) => r,
        Err(errors) => return Ok(Err(Rejected(errors))),
    };
    let total = records.len();
    let ids = store::insert_many(db, &records, &|done| progress(done, total)).await?;
    crate::audit::record(
        db,
        &me.actor(),
        "activity.import",
        ("campaign", &campaign_id.to_string()),
        crate::audit::Outcome::Ok,
        &format!("{total} rows from {filename}"),
    )
    .await?;
    Ok(Ok(ids))
}
