//! What reporters and reviewers do, shared by the JSON API, the pages and the importer: write a
//! record (checked against its campaign, the catalogue and the writer's area), send it up, approve
//! or return it, attach photos, register news and airings. Every change is audited.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use super::store::{self, NewActivity, NewAiring, NewNews};
use super::{AiringKind, State, Transition, can_report, can_review, check_figures, parse_kind, parse_news_level};
use crate::campaign;
use crate::clock::{parse_date, show_date};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::org::{self, parse_name};
use crate::{Error, Result};

/// An activity record as written in a form, a JSON body or a spreadsheet row.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ActivityInput {
    pub(crate) campaign_id: i64,
    /// The duty it answers (one of the writer's unit).
    pub duty_id: Option<i64>,
    /// Kind (see the catalogue of kinds).
    pub kind: String,
    pub(crate) title: String,
    /// First day, `2024-11-08`.
    pub starts_on: String,
    /// Last day (defaults to the first).
    #[serde(default)]
    pub ends_on: String,
    /// Where it took place: a region code inside the writer's area.
    pub region_code: String,
    /// Co-organisers.
    #[serde(default)]
    pub co_organisers: String,
    /// Venue.
    #[serde(default)]
    pub venue: String,
    /// What happened.
    #[serde(default)]
    pub description: String,
    /// Figures by metric code.
    #[serde(default)]
    pub figures: BTreeMap<String, i64>,
}

/// Files the record of work done in another area (a volunteer event completed, a public event
/// finished) for review: in the campaign running on its first day over the organiser's area, its
/// place already resolved to `region` (code, path), `organiser` the unit's (id, region path).
/// Returns the record's and the campaign's ids, or `None` when no campaign runs on that day.
pub async fn file_for_review(
    db: &Db,
    mut input: ActivityInput,
    region: (String, String),
    organiser: (i64, &str),
    by: i64,
) -> Result<Option<(i64, i64)>> {
    let day = parse_date("starts_on", &input.starts_on)?;
    let running = campaign::store::campaigns(db, &org::Scope::under(organiser.1))
        .await?
        .into_iter()
        .find(|c| c.status == campaign::Status::Running && c.starts_on <= day && day <= c.ends_on);
    let Some(c) = running else { return Ok(None) };
    input.campaign_id = c.id;
    let catalogue = campaign::store::metrics(db).await?;
    let mut record = check_record(&input, &c, &catalogue, Some(region), organiser, by)?;
    record.state = State::Submitted;
    Ok(Some((store::insert(db, &record).await?, c.id)))
}

fn limit(field: &str, s: &str, max: usize) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > max {
        return Err(Error::invalid(field, keyed("error.at_most_chars", &[&max.to_string()])));
    }
    Ok(s.to_owned())
}

/// Checks a record against its campaign and the catalogue, with its place already resolved:
/// `region` is the (code, path) of the place when it lies within the organiser's area, `None`
/// when it does not. `organiser` is the organising unit's (id, region path).
pub fn check_record(
    input: &ActivityInput,
    c: &campaign::store::Campaign,
    catalogue: &[campaign::store::Metric],
    region: Option<(String, String)>,
    organiser: (i64, &str),
    created_by: i64,
) -> Result<NewActivity> {
    if c.status == campaign::Status::Closed {
        return Err(Error::invalid("campaign_id", "error.campaign_closed"));
    }
    let kind = parse_kind(&input.kind)?;
    let title = parse_name("title", &input.title)?;
    let starts_on = parse_date("starts_on", &input.starts_on)?;
    let ends_on = if input.ends_on.trim().is_empty() { starts_on } else { parse_date("ends_on", &input.ends_on)? };
    if ends_on < starts_on {
        return Err(Error::invalid("ends_on", "error.ends_before_starts"));
    }
    if starts_on < c.starts_on || ends_on > c.ends_on {
        return Err(Error::invalid(
            "starts_on",
            keyed("error.dates_outside", &[&show_date(c.starts_on), &show_date(c.ends_on)]),
        ));
    }
    let region = region.filter(|(_, path)| path.starts_with(organiser.1)).ok_or_else(|| {
        Error::invalid("region_code", keyed("error.region_not_organisers", &[input.region_code.trim()]))
    })?;
    Ok(NewActivity {
        campaign_id: c.id,
        duty_id: input.duty_id,
        kind: kind.to_owned(),
        title,
        starts_on,
        ends_on,
        region,
        organiser: (organiser.0, organiser.1.to_owned()),
        co_organisers: limit("co_organisers", &input.co_organisers, 200)?,
        venue: limit("venue", &input.venue, 100)?,
        description: limit("description", &input.description, 4000)?,
        figures: check_figures(&input.figures, catalogue)?,
        state: State::Draft,
        created_by,
    })
}

/// Checks a record written by `me` for their own unit, looking up its campaign, place and duty.
async fn check(db: &Db, me: &Principal, input: &ActivityInput) -> Result<NewActivity> {
    let c = campaign::store::campaign(db, &me.scope, input.campaign_id)
        .await
        .map_err(|_| Error::invalid("campaign_id", "error.no_campaign"))?;
    let catalogue = campaign::store::metrics(db).await?;
    let region = match org::RegionCode::parse(&input.region_code) {
        Ok(code) => org::store::region(db, &me.scope, code.as_str()).await.ok().map(|r| (r.code, r.path)),
        Err(_) => None,
    };
    if let Some(duty) = input.duty_id {
        let d =
            campaign::store::duty(db, &me.scope, duty).await.map_err(|_| Error::invalid("duty_id", "error.no_duty"))?;
        if d.campaign_id != c.id || d.unit_id != me.user.unit_id {
            return Err(Error::invalid("duty_id", "error.duty_elsewhere"));
        }
    }
    check_record(input, &c, &catalogue, region, (me.user.unit_id, &me.user.region_path), me.user.id)
}

/// Refuses changes to the records of a closed campaign: its figures are final.
async fn open_for_records(db: &Db, me: &Principal, campaign_id: i64) -> Result<()> {
    let c = campaign::store::campaign(db, &me.scope, campaign_id).await?;
    if c.status == campaign::Status::Closed {
        return Err(Error::Conflict("error.campaign_closed".into()));
    }
    Ok(())
}

/// Writes a draft record organised by the writer's unit.
pub async fn create(db: &Db, me: &Principal, input: &ActivityInput) -> Result<i64> {
    let r = async {
        if !can_report(me.role) {
            return Err(Error::Forbidden);
        }
        store::insert(db, &check(db, me, input).await?).await
    }
    .await;
    me.audited(db, "activity.create", ("activity", &input.title), r).await
}

/// Changes a draft or returned record of the writer's unit.
pub async fn update(db: &Db, me: &Principal, id: i64, input: &ActivityInput) -> Result<()> {
    let r = async {
        let a = store::activity(db, &me.scope, me.user.unit_id, id).await?;
        if a.organiser_unit_id != me.user.unit_id || !can_report(me.role) {
            return Err(Error::Forbidden);
        }
        open_for_records(db, me, a.campaign_id).await?;
        store::update(db, id, &check(db, me, input).await?).await
    }
    .await;
    me.audited(db, "activity.update", ("activity", &id.to_string()), r).await
}

/// Submits, approves or returns a record.
pub async fn transition(db: &Db, me: &Principal, id: i64, t: Transition, reason: &str) -> Result<()> {
    let action = match t {
        Transition::Submit => "activity.submit",
        Transition::Approve => "activity.approve",
        Transition::Return => "activity.return",
    };
    let r = async {
        let a = store::activity(db, &me.scope, me.user.unit_id, id).await?;
        let from = a.state;
        match t {
            Transition::Submit if a.organiser_unit_id != me.user.unit_id || !can_report(me.role) => {
                return Err(Error::Forbidden);
            }
            Transition::Approve | Transition::Return => {
                let kind = me.user.unit_kind;
                if !can_review(
                    (me.role, me.user.unit_id, kind, &me.user.region_path),
                    (a.organiser_unit_id, &a.organiser_kind, &a.organiser_path),
                ) {
                    return Err(Error::Forbidden);
                }
            }
            Transition::Submit => {}
        }
        let to = from.after(t)?;
        open_for_records(db, me, a.campaign_id).await?;
        let reason = reason.trim();
        if t == Transition::Return && reason.is_empty() {
            return Err(Error::invalid("reason", "error.return_reason"));
        }
        let reviewer = (t != Transition::Submit).then_some(me.user.id);
        store::transition(db, id, from, to, reviewer, &limit("reason", reason, 500)?).await
    }
    .await;
    me.audited(db, action, ("activity", &id.to_string()), r).await
}

/// Attaches a photo (checked, re-encoded, stripped of metadata) to a record of the writer's unit.
/// Returns the photo id and another record that already carries the same picture, if any.
pub async fn add_photo(db: &Db, me: &Principal, id: i64, bytes: &[u8]) -> Result<(i64, Option<i64>)> {
    let r = async {
        let a = store::activity(db, &me.scope, me.user.unit_id, id).await?;
        if a.organiser_unit_id != me.user.unit_id || !can_report(me.role) {
            return Err(Error::Forbidden);
        }
        if !a.state.editable() {
            return Err(Error::Conflict("error.photos_while_editable".into()));
        }
        open_for_records(db, me, a.campaign_id).await?;
        let bytes = bytes.to_vec();
        let photo = tokio::task::spawn_blocking(move || crate::photo::process(&bytes))
            .await
            .map_err(|e| anyhow::anyhow!("photo: {e}"))?
            .map_err(|e| crate::hazard::actions::photo_refused(&e))?;
        let photo_id = store::insert_photo(db, id, &photo, me.user.id).await?;
        let elsewhere =
            store::photos(db, id).await?.into_iter().find(|p| p.id == photo_id).and_then(|p| p.used_elsewhere);
        Ok((photo_id, elsewhere))
    }
    .await;
    me.audited(db, "activity.photo", ("activity", &id.to_string()), r).await
}

/// A news item as registered.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct NewsInput {
    pub(crate) campaign_id: i64,
    /// central, provincial, municipal, county or matrix.
    pub level: String,
    pub(crate) outlet: String,
    pub(crate) title: String,
    /// Link.
    #[serde(default)]
    pub url: String,
    /// Publication date.
    pub published_on: String,
}

/// A run of airings as registered.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct AiringInput {
    pub(crate) campaign_id: i64,
    /// `psa` (public-service advertisement) or `caption`.
    #[schema(value_type = super::AiringKind)]
    pub kind: String,
    pub(crate) channel: String,
    /// Time slot.
    #[serde(default)]
    pub slot: String,
    /// Times aired.
    pub aired_count: i64,
    pub(crate) aired_on: String,
}

async fn open_campaign(db: &Db, me: &Principal, id: i64, on: time::Date, field: &str) -> Result<()> {
    let c = campaign::store::campaign(db, &me.scope, id)
        .await
        .map_err(|_| Error::invalid("campaign_id", "error.no_campaign"))?;
    if c.status == campaign::Status::Closed {
        return Err(Error::invalid("campaign_id", "error.campaign_closed"));
    }
    if on < c.starts_on || on > c.ends_on {
        return Err(Error::invalid(
            field,
            keyed("error.date_outside", &[&show_date(c.starts_on), &show_date(c.ends_on)]),
        ));
    }
    Ok(())
}

/// Registers a news item for the writer's unit; reposts of a story count once.
pub async fn add_news(db: &Db, me: &Principal, input: &NewsInput) -> Result<()> {
    let r = async {
        if !can_report(me.role) {
            return Err(Error::Forbidden);
        }
        let published_on = parse_date("published_on", &input.published_on)?;
        open_campaign(db, me, input.campaign_id, published_on, "published_on").await?;
        let url = limit("url", &input.url, 500)?;
        if !url.is_empty() && !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(Error::invalid("url", "error.link_scheme"));
        }
        let item = NewNews {
            campaign_id: input.campaign_id,
            unit: (me.user.unit_id, me.user.region_path.clone()),
            level: parse_news_level(&input.level)?.to_owned(),
            outlet: parse_name("outlet", &input.outlet)?,
            title: limit("title", &input.title, 200)
                .and_then(|t| if t.is_empty() { Err(Error::invalid("title", "error.required")) } else { Ok(t) })?,
            url,
            published_on,
            created_by: me.user.id,
        };
        store::insert_news(db, &[item]).await
    }
    .await;
    me.audited(db, "news.create", ("campaign", &input.campaign_id.to_string()), r).await
}

/// Registers airings for the writer's unit.
pub async fn add_airing(db: &Db, me: &Principal, input: &AiringInput) -> Result<()> {
    let r = async {
        if !can_report(me.role) {
            return Err(Error::Forbidden);
        }
        let aired_on = parse_date("aired_on", &input.aired_on)?;
        open_campaign(db, me, input.campaign_id, aired_on, "aired_on").await?;
        let kind = AiringKind::parse(&input.kind).ok_or_else(|| Error::invalid("kind", "error.airing_kind"))?;
        if !(1..=100_000).contains(&input.aired_count) {
            return Err(Error::invalid("aired_count", keyed("error.whole_number_range", &["100000"])));
        }
        let item = NewAiring {
            campaign_id: input.campaign_id,
            unit: (me.user.unit_id, me.user.region_path.clone()),
            kind,
            channel: parse_name("channel", &input.channel)?,
            slot: limit("slot", &input.slot, 60)?,
            aired_count: input.aired_count,
            aired_on,
            created_by: me.user.id,
        };
        store::insert_airings(db, &[item]).await
    }
    .await;
    me.audited(db, "airing.create", ("campaign", &input.campaign_id.to_string()), r).await
}

/// Records submitted by the units `me` reviews, oldest first (at most `limit` looked at).
pub async fn review_queue(db: &Db, me: &Principal, limit: i64) -> Result<Vec<store::Activity>> {
    Ok(store::submitted(db, &me.scope, me.user.unit_id, limit)
        .await?
        .into_iter()
        .filter(|a| {
            can_review(
                (me.role, me.user.unit_id, me.user.unit_kind, &me.user.region_path),
                (a.organiser_unit_id, &a.organiser_kind, &a.organiser_path),
            )
        })
        .collect())
}
