//! What hosts, judges and team phones do, shared by the JSON API and the pages: set up a match
//! (teams, rounds, questions from the bank), move it (start, open, close, reveal, next), correct
//! a score with a reason, and for a team: stake a wager, buzz, answer. Each move is decided by the
//! database and then told to the open screens through the hub.

use rand::seq::SliceRandom as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::hub::{self, Event};
use super::store::{self, AnswerLine, Correction, Item, Match, NewAnswer, NewItem, NewMatch, Round, ScoreLine, Team};
use super::{Control, ItemState, MatchState, Mode, RoundInput, RoundKind, TeamInput};
use crate::audit::{self, Outcome};
use crate::db::Db;
use crate::i18n::keyed;
use crate::org::Scope;
use crate::org::caller::Principal;
use crate::quiz::actions::can_manage;
use crate::quiz::{Answer, Kind, Question, letter};
use crate::{Error, Result, clock};

/// A match as set up in a form or a JSON body.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct MatchInput {
    /// Title (2024年全省知消杯消防安全知识竞赛决赛).
    pub title: String,
    /// The teams in order.
    pub teams: Vec<TeamInput>,
    /// The rounds in order.
    pub rounds: Vec<RoundInput>,
}

fn host(me: &Principal) -> Result<()> {
    if can_manage(me.role) { Ok(()) } else { Err(Error::Forbidden) }
}

/// Sets up a match owned by the caller's unit: its questions are drawn now from the bank the unit
/// sees (or taken by id), no question twice. Returns its id.
pub async fn create(db: &Db, me: &Principal, input: &MatchInput) -> Result<i64> {
    let r = async {
        host(me)?;
        let title = crate::org::parse_name("title", &input.title)?;
        super::check_teams(&input.teams)?;
        if input.rounds.is_empty() || input.rounds.len() > 20 {
            return Err(Error::invalid("rounds", "error.rounds_count"));
        }
        let pool = crate::quiz::store::pool(db, &me.user.region_path).await?;
        let mut used = std::collections::HashSet::new();
        let mut items = Vec::new();
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
        let teams = i64::try_from(input.teams.len()).unwrap_or(0);
        for (i, r) in input.rounds.iter().enumerate() {
            let round_no = i64::try_from(i + 1).unwrap_or(0);
            let field = format!("rounds[{i}]");
            r.check(&field)?;
            let ids: Vec<i64> = if r.question_ids.is_empty() {
                let want = usize::try_from(if r.mode() == Mode::Each { r.count * teams } else { r.count }).unwrap_or(0);
                let mut fit: Vec<i64> = pool
                    .iter()
                    .filter(|q| !used.contains(&q.id))
                    // A match's screens and buzzers take one option, a truth or a text, not pairs.
                    .filter(|q| q.kind != crate::quiz::Kind::Matching)
                    .filter(|q| r.category.as_ref().is_none_or(|c| crate::quiz::category_within(&q.category, c)))
                    .filter(|q| r.difficulty.is_none_or(|d| q.difficulty == d))
                    .map(|q| q.id)
                    .collect();
                if fit.len() < want {
                    return Err(Error::invalid(
                        field,
                        keyed(
                            "error.round_bank_short",
                            &[&round_no.to_string(), &want.to_string(), &fit.len().to_string()],
                        ),
                    ));
                }
                fit.shuffle(&mut rng);
                fit.truncate(want);
                fit
            } else {
                for id in &r.question_ids {
                    if !pool.iter().any(|q| q.id == *id) {
                        return Err(Error::invalid(field, keyed("error.not_bank_question", &[&id.to_string()])));
                    }
                }
                r.question_ids.clone()
            };
            for (k, id) in ids.iter().enumerate() {
                if !used.insert(*id) {
                    return Err(Error::invalid(field, keyed("error.question_twice", &[&id.to_string()])));
                }
                let k = i64::try_from(k).unwrap_or(0);
                let team = (r.mode() == Mode::Each).then(|| k % teams + 1);
                items.push(NewItem { round_no, position: k + 1, question_id: *id, team });
            }
        }
        let teams: Vec<(TeamInput, String)> =
            input.teams.iter().map(|t| (t.clone(), crate::org::new_secret())).collect();
        store::insert_match(
            db,
            &NewMatch {
                title: &title,
                owner: (me.user.unit_id, &me.user.region_path),
                created_by: me.user.id,
                teams: &teams,
                rounds: &input.rounds,
                items: &items,
            },
        )
        .await
    }
    .await;
    me.audited(db, "quiz.live_create", ("live_match", ""), r).await
}

/// A match the caller may host.
pub async fn hosted(db: &Db, me: &Principal, id: i64) -> Result<Match> {
    let m = store::find(db, &me.scope, id).await?;
    host(me)?;
    Ok(m)
}

fn current_round(rounds: &[Round], item: &Item) -> Result<Round> {
    rounds.iter().find(|r| r.position == item.round_no).cloned().ok_or(Error::NotFound)
}

/// The host moves the match. Moves that do not apply (opening a revealed question, starting a
/// running match) are refused with 409 and change nothing.
pub async fn control(db: &Db, me: &Principal, id: i64, control: Control) -> Result<()> {
    let r = async {
        let m = hosted(db, me, id).await?;
        let refused = || Error::Conflict(keyed("error.live_refused", &[&crate::i18n::term("live", control.as_str())]));
        let items = store::items(db, m.id).await?;
        let rounds = store::rounds(db, m.id).await?;
        let current = m.item_id.and_then(|i| items.iter().find(|it| it.id == i));
        let event = match (control, m.state, current) {
            (Control::Start, MatchState::Setup, _) => {
                let first = items.first().ok_or_else(refused)?;
                store::set_position(db, m.id, MatchState::Running, first.round_no, Some(first.id)).await?;
                Event { kind: "start", item_id: Some(first.id), answered: 0 }
            }
            (Control::Open | Control::Close | Control::Reveal, MatchState::Running, Some(item)) => {
                let round = current_round(&rounds, item)?;
                let to = super::step(round.kind, item.state, control).ok_or_else(refused)?;
                let now = clock::now();
                let times = (to == ItemState::Open).then(|| (now, now + time::Duration::seconds(round.seconds)));
                if !store::move_item(db, item.id, &[item.state], to, times).await? {
                    return Err(refused());
                }
                Event { kind: to.as_str(), item_id: Some(item.id), answered: store::answer_count(db, item.id).await? }
            }
            (Control::Next | Control::NextRound, MatchState::Running, Some(item)) => {
                if matches!(item.state, ItemState::Open | ItemState::Wager) {
                    store::move_item(db, item.id, &[item.state], ItemState::Closed, None).await?;
                }
                let next = items.iter().find(|it| {
                    if control == Control::Next {
                        (it.round_no, it.position) > (item.round_no, item.position)
                    } else {
                        it.round_no > item.round_no
                    }
                });
                match next {
                    Some(n) => store::set_position(db, m.id, MatchState::Running, n.round_no, Some(n.id)).await?,
                    None => store::set_position(db, m.id, MatchState::Finished, m.round_no, None).await?,
                }
                Event { kind: if next.is_some() { "next" } else { "finish" }, item_id: next.map(|n| n.id), answered: 0 }
            }
            (Control::Finish, MatchState::Running | MatchState::Setup, _) => {
                store::set_position(db, m.id, MatchState::Finished, m.round_no, None).await?;
                Event { kind: "finish", item_id: None, answered: 0 }
            }
            _ => return Err(refused()),
        };
        hub::publish(m.id, event);
        Ok(())
    }
    .await;
    me.audited(db, &format!("quiz.live_{}", control.as_str()), ("live_match", &id.to_string()), r).await
}

/// A judge's correction as typed.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct CorrectionInput {
    /// The team.
    pub team_id: i64,
    /// Points to add (negative to take), -100 to 100 and not 0.
    pub points: i64,
    /// Why (shown with the scoreboard and kept in the audit log).
    pub reason: String,
}

/// A judge (fire-service staff of the owning unit or above) corrects a team's score with a reason;
/// the correction is its own row and is audited. Returns its id.
pub async fn correct(db: &Db, me: &Principal, id: i64, input: &CorrectionInput) -> Result<i64> {
    let reason = input.reason.trim();
    if input.points == 0 || !(-100..=100).contains(&input.points) {
        return Err(Error::invalid("points", "error.correction_points"));
    }
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(Error::invalid("reason", "error.correction_reason"));
    }
    let r = async {
        let m = hosted(db, me, id).await?;
        let cid = store::insert_correction(db, m.id, input.team_id, input.points, reason, me.user.id)
            .await?
            .ok_or_else(|| Error::invalid("team_id", "error.no_team"))?;
        hub::publish(m.id, Event { kind: "correct", item_id: None, answered: 0 });
        Ok(cid)
    }
    .await;
    let outcome = match &r {
        Ok(_) => Outcome::Ok,
        Err(Error::Forbidden | Error::NotFound) => Outcome::Denied,
        Err(_) => return r,
    };
    let detail = format!("team {}: {:+} ({reason})", input.team_id, input.points);
    audit::record(db, &me.actor(), "quiz.live_correct", ("live_match", &id.to_string()), outcome, &detail).await?;
    r
}

/// The current question of a team's match, checked to be `item_id` when one is named.
async fn team_item(db: &Db, token: &str, item_id: Option<i64>) -> Result<(Team, Match, Item, Round)> {
    let team = store::team_by_token(db, token).await?;
    let m = store::match_of_team(db, &team).await?;
    let (MatchState::Running, Some(current)) = (m.state, m.item_id) else {
        return Err(Error::Conflict("error.match_not_running".into()));
    };
    if item_id.is_some_and(|i| i != current) {
        return Err(Error::Conflict("error.question_closed".into()));
    }
    let item = store::item(db, m.id, current).await?;
    let round = current_round(&store::rounds(db, m.id).await?, &item)?;
    Ok((team, m, item, round))
}

/// A team stakes its wager (10, 20 or 30) on the coming risk question; it may change it until the
/// question opens.
pub async fn stake(db: &Db, token: &str, item_id: Option<i64>, amount: i64) -> Result<i64> {
    let amount = super::check_wager(amount)?;
    let (team, m, item, round) = team_item(db, token, item_id).await?;
    if round.kind != RoundKind::Risk {
        return Err(Error::Conflict("error.not_risk".into()));
    }
    if !store::stake(db, item.id, team.id, amount).await? {
        return Err(Error::Conflict("error.wager_late".into()));
    }
    hub::publish(
        m.id,
        Event { kind: "wager", item_id: Some(item.id), answered: store::wager_count(db, item.id).await? },
    );
    Ok(amount)
}

/// What a buzz came to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Buzzed {
    /// Whether this team answers.
    pub won: bool,
}

/// A team buzzes: the first buzz to reach the database after the question opens wins.
pub async fn buzz(db: &Db, token: &str, item_id: Option<i64>) -> Result<Buzzed> {
    let (team, m, item, round) = team_item(db, token, item_id).await?;
    if round.kind != RoundKind::Buzzer {
        return Err(Error::Conflict("error.not_buzzer".into()));
    }
    let won = store::buzz(db, item.id, team.id, clock::now()).await?;
    if won {
        hub::publish(
            m.id,
            Event { kind: "buzz", item_id: Some(item.id), answered: store::answer_count(db, item.id).await? },
        );
        return Ok(Buzzed { won: true });
    }
    let now = store::item(db, m.id, item.id).await?;
    if now.buzz_team_id == Some(team.id) {
        return Ok(Buzzed { won: true });
    }
    if !now.taking_answers(clock::now()) {
        return Err(Error::Conflict("error.question_not_open".into()));
    }
    Ok(Buzzed { won: false })
}

/// What an answer came to (the team learns whether it was right at the reveal).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = LiveAnswered)]
pub struct Answered {
    /// The question answered.
    pub item_id: i64,
}

/// A team answers the current question: once, while it is open, its own question (or everyone's),
/// in a buzzer round only after winning the buzz. Anything else is refused with 409 and counts
/// nothing. A risk question without a wager plays for the lowest one.
pub async fn answer(db: &Db, token: &str, item_id: Option<i64>, given: &Answer) -> Result<Answered> {
    let (team, m, item, round) = team_item(db, token, item_id).await?;
    let q = question(db, &m, item.question_id).await?;
    let right = q.is_right(given);
    let kind = round.kind;
    let wager =
        if kind == RoundKind::Risk { store::wager(db, item.id, team.id).await?.unwrap_or(super::WAGERS[0]) } else { 0 };
    let points = super::points(kind, right, round.points, round.penalty, wager);
    let given_json = serde_json::to_string(given).unwrap_or_default();
    let now = clock::now();
    let taken = store::answer(
        db,
        &NewAnswer {
            item_id: item.id,
            team_id: team.id,
            given: &given_json,
            correct: right,
            points,
            at: now,
            buzzer: kind == RoundKind::Buzzer,
            rebound: round.rebound,
        },
    )
    .await?;
    if !taken {
        let why = if store::answer_of(db, item.id, team.id).await?.is_some() {
            "error.answered_already"
        } else if item.team_id.is_some_and(|t| t != team.id) {
            "error.other_team_question"
        } else if !item.taking_answers(now) {
            "error.question_not_open"
        } else if kind == RoundKind::Buzzer {
            "error.buzz_first"
        } else {
            "error.question_not_open"
        };
        return Err(Error::Conflict(why.into()));
    }
    hub::publish(
        m.id,
        Event { kind: "answer", item_id: Some(item.id), answered: store::answer_count(db, item.id).await? },
    );
    Ok(Answered { item_id: item.id })
}

async fn question(db: &Db, m: &Match, id: i64) -> Result<Question> {
    crate::quiz::store::question(db, &Scope::under(&m.owner_path), id).await?.question()
}

/// An answer written for the screen: option letters, ✓/✗, or the text.
pub fn answer_text(q: &Question, a: &Answer) -> String {
    match a {
        Answer::Choice(c) => c.iter().map(|&i| letter(i).to_string()).collect::<String>(),
        Answer::Truth(t) => if *t { "✓" } else { "✗" }.to_owned(),
        Answer::Text(t) => t.first().cloned().unwrap_or_default(),
        Answer::Number(keys) => keys.first().map(|k| k.value.to_string()).unwrap_or_default(),
        Answer::Match { pairs, .. } => pairs.join("、"),
        Answer::Open => String::new(),
    }
    .chars()
    .take(if q.kind == Kind::Fill { 100 } else { 10 })
    .collect()
}

/// The current question as a screen shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Current {
    /// The question of the match.
    pub item: Item,
    /// Its round.
    pub round: Round,
    /// How many rounds and questions in its round.
    pub of: (i64, i64),
    /// The team whose question it is.
    pub team: Option<String>,
    /// The question; hidden while wagers are taken.
    #[schema(value_type = Object)]
    pub question: Option<Question>,
    /// Seconds left.
    pub seconds_left: i64,
    /// Answers taken.
    pub answered: i64,
    /// Teams that may answer.
    pub expected: i64,
    /// Wagers staked (risk).
    pub wagers: i64,
    /// The team whose buzz won.
    pub buzz_team: Option<String>,
    /// After the reveal: the right answer and every team's answer.
    pub right: Option<String>,
    /// After the reveal: the answers.
    pub answers: Vec<AnswerLine>,
}

/// A match as the host and the big screen show it.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = LiveBoard)]
pub struct Board {
    /// The match.
    pub m: Match,
    /// Its teams.
    pub teams: Vec<Team>,
    /// Its rounds.
    pub rounds: Vec<Round>,
    /// The current question.
    pub current: Option<Current>,
    /// The scoreboard.
    pub scores: Vec<ScoreLine>,
    /// The judges' corrections.
    pub corrections: Vec<Correction>,
}

async fn current(db: &Db, m: &Match, teams: &[Team], rounds: &[Round], reveal_to_all: bool) -> Result<Option<Current>> {
    let Some(item_id) = m.item_id else { return Ok(None) };
    let item = store::item(db, m.id, item_id).await?;
    let round = current_round(rounds, &item)?;
    let in_round = store::items(db, m.id).await?.iter().filter(|i| i.round_no == item.round_no).count();
    let q = question(db, m, item.question_id).await?;
    let state = item.state;
    let now = clock::now();
    let name = |id: Option<i64>| id.and_then(|id| teams.iter().find(|t| t.id == id).map(|t| t.name.clone()));
    let revealed = state == ItemState::Revealed && reveal_to_all;
    Ok(Some(Current {
        of: (i64::try_from(rounds.len()).unwrap_or(0), i64::try_from(in_round).unwrap_or(0)),
        team: name(item.team_id),
        question: (!matches!(state, ItemState::Pending | ItemState::Wager)).then(|| q.clone()),
        seconds_left: item.seconds_left(now),
        answered: store::answer_count(db, item.id).await?,
        expected: if item.team_id.is_some() || round.kind == RoundKind::Buzzer {
            1
        } else {
            i64::try_from(teams.len()).unwrap_or(0)
        },
        wagers: store::wager_count(db, item.id).await?,
        buzz_team: name(item.buzz_team_id),
        right: revealed.then(|| answer_text(&q, &q.answer)),
        answers: if revealed { store::answers(db, item.id).await? } else { Vec::new() },
        round,
        item,
    }))
}

/// The whole state of a match for its host and big screen.
pub async fn board(db: &Db, m: Match) -> Result<Board> {
    let teams = store::teams(db, m.id).await?;
    let rounds = store::rounds(db, m.id).await?;
    Ok(Board {
        current: current(db, &m, &teams, &rounds, true).await?,
        scores: store::scoreboard(db, m.id).await?,
        corrections: store::corrections(db, m.id).await?,
        teams,
        rounds,
        m,
    })
}

/// What a team's phone shows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamView {
    /// The match's title.
    pub title: String,
    /// Where the match is.
    pub state: MatchState,
    /// The match's id (for its event stream).
    pub match_id: i64,
    /// The team's name.
    pub team: String,
    /// Its members.
    pub members: Vec<String>,
    /// Its score.
    pub score: i64,
    /// Its place on the scoreboard.
    pub rank: i64,
    /// The current question.
    pub current: Option<Current>,
    /// Its wager on the current question.
    pub wager: Option<i64>,
    /// Its answer to the current question.
    pub answer: Option<String>,
    /// Whether it was right (after the reveal).
    pub correct: Option<bool>,
    /// Whether it may answer now.
    pub can_answer: bool,
    /// Whether it may buzz now.
    pub can_buzz: bool,
    /// Whether it may stake a wager now.
    pub can_wager: bool,
}

/// The state of a match as a team's phone shows it.
pub async fn team_view(db: &Db, token: &str) -> Result<TeamView> {
    let team = store::team_by_token(db, token).await?;
    let m = store::match_of_team(db, &team).await?;
    let teams = store::teams(db, m.id).await?;
    let rounds = store::rounds(db, m.id).await?;
    let current = current(db, &m, &teams, &rounds, true).await?;
    let scores = store::scoreboard(db, m.id).await?;
    let (score, rank) = scores
        .iter()
        .position(|s| s.team_id == team.id)
        .map_or((0, 0), |i| (scores[i].total, i64::try_from(i + 1).unwrap_or(0)));
    let now = clock::now();
    let (mut wager, mut answer, mut correct, mut can_answer, mut can_buzz, mut can_wager) =
        (None, None, None, false, false, false);
    if let Some(c) = &current {
        let mine = c.item.team_id.is_none_or(|t| t == team.id);
        let a = store::answer_of(db, c.item.id, team.id).await?;
        let q = question(db, &m, c.item.question_id).await?;
        wager = store::wager(db, c.item.id, team.id).await?;
        if let Some(a) = &a {
            answer = serde_json::from_str::<Answer>(&a.given).ok().map(|g| answer_text(&q, &g));
            correct = (c.item.state == ItemState::Revealed).then_some(a.correct);
        }
        let open = c.item.taking_answers(now) && a.is_none() && mine;
        match c.round.kind {
            RoundKind::Buzzer => {
                can_buzz = open && c.item.buzz_team_id.is_none();
                can_answer = open && c.item.buzz_team_id == Some(team.id);
            }
            _ => can_answer = open,
        }
        can_wager = c.round.kind == RoundKind::Risk && c.item.state == ItemState::Wager;
    }
    Ok(TeamView {
        title: m.title.clone(),
        state: m.state,
        match_id: m.id,
        members: team.member_names(),
        team: team.name,
        score,
        rank,
        current,
        wager,
        answer,
        correct,
        can_answer,
        can_buzz,
        can_wager,
    })
}
