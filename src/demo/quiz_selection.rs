//! Selection in the demo: on the demo quiz, the best 30 with at most 4 per prefecture-level
//! region (the demo residents live in nine of the ten regions, so 3 each would fill only 27), a prize draw of 10 among the other eligible participants with its published seed, and
//! 10 teams of 3 balanced by region. Loading twice changes nothing.

use anyhow::Context as _;

use crate::db::Db;
use crate::org::caller::Principal;
use crate::org::{Scope, store as org};
use crate::quiz::selection::actions::{self, DrawRules, FinalistRules, TeamRules};
use crate::quiz::selection::{Kind, store};

/// The seed published for the demo draw.
pub const DEMO_SEED: &str = "知消杯-2026-抽奖-公证处现场公布";

/// Runs the demo selections (once) as the provincial staff account.
pub async fn load(db: &Db) -> anyhow::Result<()> {
    let Ok(quiz) = crate::quiz::store::quiz_by_slug(db, "zhixiao-demo-2026").await else { return Ok(()) };
    if store::latest(db, quiz.id, Kind::Finalists).await?.is_some() {
        return Ok(());
    }
    let user = org::user_by_username(db, "province").await?.context("demo account province")?;
    let me = Principal::acting_as(user, "127.0.0.1");
    debug_assert!(me.scope.contains(Scope::province().path()));
    // The demo's answers are typed in by a loader in well under a second each, so its attempts
    // are flagged as too fast; a reviewer clears them with that reason, all but the three lowest
    // scores, which wait on the province's to-do list.
    let flagged = store::flagged(db, &me.scope, quiz.id, 10_000).await?;
    let ids: Vec<i64> = flagged
        .iter()
        .take(flagged.len().saturating_sub(3))
        .filter(|a| a.cleared_reason.is_empty())
        .map(|a| a.attempt_id)
        .collect();
    if !ids.is_empty() {
        actions::clear_flags(db, &me, quiz.id, &ids, "演示数据：由程序录入，复核后解除").await?;
    }
    let finalists =
        actions::select_finalists(db, &me, quiz.id, &FinalistRules { count: 30, region_quota: Some(4) }).await?;
    actions::run_draw(
        db,
        &me,
        quiz.id,
        &DrawRules { winners: 10, seed: DEMO_SEED.to_owned(), min_score: None, exclude_selection: Some(finalists) },
    )
    .await?;
    actions::make_teams(
        db,
        &me,
        quiz.id,
        &TeamRules { selection_id: Some(finalists), teams: 10, size: 3, balance: "region".to_owned() },
    )
    .await?;
    Ok(())
}
