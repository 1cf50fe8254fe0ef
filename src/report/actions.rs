//! What a report's authors do, shared by the JSON API and the pages: write the deployment,
//! documents and next steps; pin a record into the text or hide it; rewrite a paragraph or go back
//! to the generated one. Each action is for planners, on a report of a region inside their area
//! (and, for a record, a record of that report), and is audited.

use serde::Deserialize;
use utoipa::ToSchema;

use super::edit::Base;
use super::store::{self, Authored};
use crate::campaign::require_planner;
use crate::db::Db;
use crate::org::caller::Principal;
use crate::org::parse_text;
use crate::{Error, Result, clock};

/// The longest text a field or paragraph takes, in characters.
const MAX_TEXT: usize = 4_000;

/// The report a caller may author: its campaign and region path, after the checks.
async fn authored_report(db: &Db, me: &Principal, campaign: i64, region: Option<&str>) -> Result<(i64, String)> {
    require_planner(me)?;
    let o = super::overview::overview(db, &me.scope, campaign, region, clock::today()).await?;
    Ok((o.campaign.id, o.region.path))
}

/// Writes the authors' fields of a region's report.
pub async fn set_authored(db: &Db, me: &Principal, campaign: i64, region: Option<&str>, a: &Authored) -> Result<()> {
    let r = async {
        let (id, path) = authored_report(db, me, campaign, region).await?;
        let a = Authored {
            deployed_by: parse_text("deployed_by", &a.deployed_by, MAX_TEXT)?,
            documents: parse_text("documents", &a.documents, MAX_TEXT)?,
            next_steps: parse_text("next_steps", &a.next_steps, MAX_TEXT)?,
        };
        if a.deployed_by.contains('\n') {
            return Err(Error::invalid("deployed_by", "error.report_one_line"));
        }
        store::set_authored(db, id, &path, &a, me.user.id).await
    }
    .await;
    me.audited(db, "report.text", ("campaign", &campaign.to_string()), r).await
}

/// A record pinned into a report, hidden from it, or left to its salience.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkInput {
    /// The record.
    pub activity_id: i64,
    /// `pinned`, `hidden`, or `auto` (salience decides).
    pub mark: String,
}

/// Pins a record into a region's report, hides it, or lets salience decide again.
pub async fn set_mark(db: &Db, me: &Principal, campaign: i64, region: Option<&str>, input: &MarkInput) -> Result<()> {
    let r = async {
        let mark = match input.mark.as_str() {
            "pinned" => Some("pinned"),
            "hidden" => Some("hidden"),
            "auto" => None,
            _ => return Err(Error::invalid("mark", "error.report_mark")),
        };
        let (id, path) = authored_report(db, me, campaign, region).await?;
        // Only a record the report tells from: approved, of this campaign, inside the region.
        if !crate::activity::store::approved_in(db, id, &path, input.activity_id).await? {
            return Err(Error::invalid("activity_id", "error.report_record_outside"));
        }
        store::set_mark(db, id, &path, input.activity_id, mark, me.user.id).await
    }
    .await;
    me.audited(db, "report.mark", ("activity", &input.activity_id.to_string()), r).await
}

/// A paragraph rewritten by hand, or (an empty text) given back to the generated one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EditInput {
    /// The paragraph's key (`media.1`).
    pub paragraph: String,
    /// The text; empty to go back to the generated paragraph.
    #[serde(default)]
    pub text: String,
}

/// Keeps a paragraph as rewritten, over the paragraph generated now; a text equal to the generated
/// one, or empty, drops the rewrite.
pub async fn edit(db: &Db, me: &Principal, campaign: i64, region: Option<&str>, input: &EditInput) -> Result<()> {
    let r = async {
        require_planner(me)?;
        let text = parse_text("text", &input.text, MAX_TEXT)?;
        if text.contains('\n') {
            return Err(Error::invalid("text", "error.report_one_paragraph"));
        }
        let report = super::build(db, &me.scope, campaign, region, clock::today()).await?;
        let o = report.overview.as_ref().ok_or(Error::NotFound)?;
        let (id, path) = (o.campaign.id, o.region.path.as_str());
        let p = report
            .sections
            .iter()
            .flat_map(|s| &s.paragraphs)
            .find(|p| p.key == input.paragraph)
            .ok_or_else(|| Error::invalid("paragraph", "error.report_paragraph"))?;
        // Rewritten before: the base is the paragraph generated now, without the rewrite.
        let generated = p.generated.as_deref().unwrap_or(p);
        let body = (!text.is_empty() && text != generated.plain()).then(|| (text.as_str(), Base::of(generated)));
        store::set_edit(db, (id, path), &input.paragraph, body.as_ref().map(|(t, b)| (*t, b.as_str())), me.user.id)
            .await
    }
    .await;
    me.audited(db, "report.edit", ("paragraph", &input.paragraph), r).await
}
