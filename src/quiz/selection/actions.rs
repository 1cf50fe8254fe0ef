//! What the staff of a quiz's owner area do, shared by the JSON API and the pages: select the
//! finalists, run a seeded prize draw, form teams from finalists, clear a flagged attempt with a
//! reason. Every change is audited; a quiz owned above the caller's area is refused.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, NewEntry, NewSelection};
use super::{Balance, DRAW_ALGORITHM, Kind, Member, draw, form_teams, pick_finalists};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::caller::Principal;
use crate::quiz::actions::can_manage;
use crate::quiz::store::{self as quiz_store, Quiz};
use crate::{Error, Result};

/// The quiz, when `me` is staff of its owner area.
async fn owned(db: &Db, me: &Principal, quiz_id: i64) -> Result<Quiz> {
    let quiz = quiz_store::quiz(db, &me.scope, quiz_id).await?;
    if !can_manage(me.role) || !me.scope.contains(&quiz.owner_path) {
        return Err(Error::Forbidden);
    }
    Ok(quiz)
}

fn whole(field: &str, n: i64, max: i64) -> Result<usize> {
    if !(1..=max).contains(&n) {
        return Err(Error::invalid(field, keyed("error.whole_number_range", &[&max.to_string()])));
    }
    usize::try_from(n).map_err(|_| Error::invalid(field, keyed("error.whole_number_range", &[&max.to_string()])))
}

/// The rules of a finalist selection.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct FinalistRules {
    /// How many finalists.
    pub count: i64,
    /// At most this many per prefecture-level region (none: no quota).
    #[serde(default)]
    pub region_quota: Option<i64>,
}

/// Selects the finalists: the first `count` eligible participants by score, then time, within
/// the region quota; stored with the rules. Returns the selection's id.
pub async fn select_finalists(db: &Db, me: &Principal, quiz_id: i64, rules: &FinalistRules) -> Result<i64> {
    let r = async {
        let quiz = owned(db, me, quiz_id).await?;
        let count = whole("count", rules.count, 10_000)?;
        let quota = rules.region_quota.map(|q| whole("region_quota", q, 10_000)).transpose()?;
        let candidates = store::candidates(db, &me.scope, quiz.id, quiz.prize_min_score).await?;
        let picked = pick_finalists(&candidates, count, quota)?;
        let entries: Vec<NewEntry<'_>> =
            picked.iter().enumerate().map(|(k, &i)| (&candidates[i], Some(i64::try_from(k + 1).unwrap_or(0)), None)).collect();
        let rules = serde_json::json!({"count": rules.count, "region_quota": rules.region_quota, "min_score": quiz.prize_min_score,
            "flagged": "excluded unless cleared", "one_per": "phone or device", "order": "score desc, duration asc, participant id"});
        store::insert_selection(
            db,
            &NewSelection {
                quiz_id: quiz.id,
                kind: Kind::Finalists,
                source_id: None,
                rules: rules.to_string(),
                seed: "",
                algorithm: "",
                eligible: i64::try_from(candidates.len()).unwrap_or(0),
                created_by: me.user.id,
            },
            &entries,
        )
        .await
    }
    .await;
    me.audited(db, "quiz.select_finalists", ("quiz", &quiz_id.to_string()), r).await
}

/// The rules of a prize draw.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct DrawRules {
    /// How many winners.
    pub winners: i64,
    /// The seed text, chosen before the draw (empty: the current time, recorded).
    #[serde(default)]
    pub seed: String,
    /// The least score (default: the quiz's prize threshold).
    #[serde(default)]
    pub min_score: Option<i64>,
    /// Leave out the finalists of this selection.
    #[serde(default)]
    pub exclude_selection: Option<i64>,
}

/// Runs a prize draw by [`DRAW_ALGORITHM`] among the eligible participants; the whole eligible
/// list is stored with the seed, so anyone can repeat it. Returns the selection's id.
pub async fn run_draw(db: &Db, me: &Principal, quiz_id: i64, rules: &DrawRules) -> Result<i64> {
    let r = async {
        let quiz = owned(db, me, quiz_id).await?;
        let winners = whole("winners", rules.winners, 100_000)?;
        let seed = if rules.seed.trim().is_empty() { crate::clock::now().to_string() } else { rules.seed.trim().to_owned() };
        if seed.chars().count() > 200 {
            return Err(Error::invalid("seed", keyed("error.at_most_chars", &["200"])));
        }
        let min_score = rules.min_score.unwrap_or(quiz.prize_min_score);
        let mut eligible = store::candidates(db, &me.scope, quiz.id, min_score).await?;
        if let Some(exclude) = rules.exclude_selection {
            let s = store::selection(db, quiz.id, exclude).await.map_err(|_| Error::invalid("exclude_selection", "error.no_selection"))?;
            let out: std::collections::HashSet<i64> =
                store::entries(db, s.id, true).await?.into_iter().map(|e| e.participant_id).collect();
            eligible.retain(|c| !out.contains(&c.participant_id));
        }
        eligible.sort_by_key(|c| c.participant_id);
        let order = draw(&seed, eligible.len(), winners)?;
        let mut chosen = vec![None; eligible.len()];
        for (k, &i) in order.iter().enumerate() {
            chosen[i] = Some(i64::try_from(k + 1).unwrap_or(0));
        }
        let entries: Vec<NewEntry<'_>> = eligible.iter().zip(chosen).map(|(c, w)| (c, w, None)).collect();
        let rules = serde_json::json!({"winners": rules.winners, "min_score": min_score, "exclude_selection": rules.exclude_selection,
            "flagged": "excluded unless cleared", "one_per": "phone or device"});
        store::insert_selection(
            db,
            &NewSelection {
                quiz_id: quiz.id,
                kind: Kind::Draw,
                source_id: rules_source(rules.get("exclude_selection")),
                rules: rules.to_string(),
                seed: &seed,
                algorithm: DRAW_ALGORITHM,
                eligible: i64::try_from(eligible.len()).unwrap_or(0),
                created_by: me.user.id,
            },
            &entries,
        )
        .await
    }
    .await;
    me.audited(db, "quiz.prize_draw", ("quiz", &quiz_id.to_string()), r).await
}

fn rules_source(v: Option<&serde_json::Value>) -> Option<i64> {
    v.and_then(serde_json::Value::as_i64)
}

/// The rules of a team formation.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub struct TeamRules {
    /// The finalist selection the teams are formed from (default: the newest).
    #[serde(default)]
    pub selection_id: Option<i64>,
    /// How many teams.
    pub teams: i64,
    /// Members per team.
    pub size: i64,
    /// region or score.
    #[schema(value_type = super::Balance)]
    pub balance: String,
}

/// Forms teams from a finalist selection (teams × size must equal its finalists); stored as a
/// team list. Returns its id.
pub async fn make_teams(db: &Db, me: &Principal, quiz_id: i64, rules: &TeamRules) -> Result<i64> {
    let r = async {
        let quiz = owned(db, me, quiz_id).await?;
        let balance = Balance::parse(&rules.balance).ok_or_else(|| Error::invalid("balance", "error.team_balance"))?;
        let teams = whole("teams", rules.teams, 1000)?;
        let size = whole("size", rules.size, 1000)?;
        let source = match rules.selection_id {
            Some(id) => store::selection(db, quiz.id, id).await.map_err(|_| Error::invalid("selection_id", "error.no_selection"))?,
            None => store::latest(db, quiz.id, Kind::Finalists).await?.ok_or_else(|| Error::invalid("selection_id", "error.finalists_first"))?,
        };
        if source.kind != Kind::Finalists {
            return Err(Error::invalid("selection_id", "error.teams_from_finalists"));
        }
        let finalists = store::entries(db, source.id, true).await?;
        let members: Vec<Member> =
            finalists.iter().map(|e| Member { region_path: e.region_path.clone(), score: e.score, duration_ms: e.duration_ms }).collect();
        let team = form_teams(&members, teams, size, balance)?;
        let candidates: Vec<super::Candidate> = finalists
            .iter()
            .map(|e| super::Candidate { participant_id: e.participant_id, attempt_id: e.attempt_id, score: e.score, duration_ms: e.duration_ms, region_path: e.region_path.clone() })
            .collect();
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by_key(|&i| (team[i], i));
        let entries: Vec<NewEntry<'_>> = order
            .iter()
            .map(|&i| (&candidates[i], finalists[i].chosen, Some(i64::try_from(team[i] + 1).unwrap_or(0))))
            .collect();
        let rules = serde_json::json!({"teams": rules.teams, "size": rules.size, "balance": balance.as_str(), "selection_id": source.id});
        store::insert_selection(
            db,
            &NewSelection {
                quiz_id: quiz.id,
                kind: Kind::Teams,
                source_id: Some(source.id),
                rules: rules.to_string(),
                seed: "",
                algorithm: "",
                eligible: i64::try_from(finalists.len()).unwrap_or(0),
                created_by: me.user.id,
            },
            &entries,
        )
        .await
    }
    .await;
    me.audited(db, "quiz.form_teams", ("quiz", &quiz_id.to_string()), r).await
}

/// Clears the flags of attempts so they count for the board and for selection, with the
/// reviewer's one reason (a school's room that shared one browser is cleared at once); all or
/// none. Refused when every one was cleared already.
pub async fn clear_flags(db: &Db, me: &Principal, quiz_id: i64, attempt_ids: &[i64], reason: &str) -> Result<()> {
    let ids: Vec<String> = attempt_ids.iter().map(i64::to_string).collect();
    let r = async {
        let quiz = owned(db, me, quiz_id).await?;
        if attempt_ids.is_empty() {
            return Err(Error::invalid("attempt_id", "error.choose_flagged"));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(Error::invalid("reason", "error.clear_reason"));
        }
        let done = store::clear_flags(db, &me.scope, quiz.id, attempt_ids, reason, me.user.id).await?;
        if done == 0 { Err(Error::invalid("attempt_id", "error.flag_cleared")) } else { Ok(()) }
    }
    .await;
    me.audited(db, "quiz.clear_flag", ("attempt", &ids.join(",")), r).await
}
