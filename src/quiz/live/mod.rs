//! Live team competitions (the 知消杯 final): a match has teams (each with a secret link for its
//! phone) and rounds in order — compulsory (必答: each team its own question in turn, or all teams
//! the same one), buzzer (抢答: the first team to buzz answers; a wrong answer costs points or
//! passes the question on) and risk (风险题: a wager of 10, 20 or 30 points staked before the
//! question is shown). The server times every question, takes one answer per team while it is
//! open, decides the buzzer by arrival order in the database, and scores; judges correct scores
//! with a reason. Everything is stored, so a restarted server resumes the match; [`hub`] only
//! tells the open screens that something changed.

pub mod actions;
pub mod api;
pub mod hub;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::i18n::keyed;
use crate::org::text_enum;
use crate::{Error, Result};

/// The wagers a team may stake on a risk question.
pub const WAGERS: [i64; 3] = [10, 20, 30];

/// The most teams of a match.
pub const MAX_TEAMS: usize = 30;

text_enum! {
    /// The kind of a round.
    RoundKind {
        /// 必答: every team answers.
        Compulsory = "compulsory",
        /// 抢答: the first team to buzz answers.
        Buzzer = "buzzer",
        /// 风险题: a wager staked before the question is shown.
        Risk = "risk",
    }
}

text_enum! {
    /// Who answers a compulsory round's question.
    Mode {
        /// Each team its own question, in turn.
        Each = "each",
        /// All teams the same question.
        All = "all",
    }
}

text_enum! {
    /// Where a match is.
    MatchState {
        /// Teams and rounds set, not started.
        Setup = "setup",
        /// Under way.
        Running = "running",
        /// Over.
        Finished = "finished",
    }
}

text_enum! {
    /// Where a question of a match is.
    ItemState {
        /// Not shown yet.
        Pending = "pending",
        /// Risk round: teams stake their wagers; the question is not shown.
        Wager = "wager",
        /// Shown and taking answers until its deadline.
        Open = "open",
        /// No more answers.
        Closed = "closed",
        /// The right answer and who got it are shown.
        Revealed = "revealed",
    }
}

text_enum! {
    /// What the host does.
    Control {
        /// Starts the match at its first question.
        Start = "start",
        /// Opens the current question (a risk question first takes wagers, then opens).
        Open = "open",
        /// Stops taking answers.
        Close = "close",
        /// Shows the right answer and who got it.
        Reveal = "reveal",
        /// Goes to the next question (or the next round after the last one).
        Next = "next",
        /// Skips to the first question of the next round.
        NextRound = "next_round",
        /// Ends the match.
        Finish = "finish",
    }
}

/// A team as typed: name, region, 2 to 5 members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = LiveTeamInput)]
pub struct TeamInput {
    /// Team name (长春代表队).
    pub name: String,
    /// Region it represents.
    #[serde(default)]
    pub region: String,
    /// Its members' names.
    pub members: Vec<String>,
}

impl TeamInput {
    /// Checks names and the number of members.
    pub fn check(&self, field: &str) -> Result<()> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(Error::invalid(field, "error.team_name"));
        }
        if !(2..=5).contains(&self.members.len()) {
            return Err(Error::invalid(field, keyed("error.team_size", &[name, &self.members.len().to_string()])));
        }
        if self.members.iter().any(|m| m.trim().is_empty() || m.chars().count() > 40)
            || self.region.chars().count() > 40
        {
            return Err(Error::invalid(field, keyed("error.team_names", &[name])));
        }
        Ok(())
    }
}

fn split_names(s: &str) -> Vec<String> {
    s.split(|c: char| matches!(c, '、' | '，' | ',' | ';' | '；' | '/' | '|') || c.is_whitespace())
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads a typed or pasted team list, one team a line: `name, region, member member member`
/// (commas, tabs or `|` between the three parts; members apart by spaces or `、`). Errors name the
/// line.
pub fn parse_teams(text: &str) -> Result<Vec<TeamInput>> {
    let mut teams = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split(['\t', ',', '，', '|']).map(str::trim).collect();
        let team = match parts.as_slice() {
            [name, region, rest @ ..] if !rest.is_empty() => TeamInput {
                name: (*name).to_owned(),
                region: (*region).to_owned(),
                members: rest.iter().flat_map(|m| split_names(m)).collect(),
            },
            _ => return Err(Error::invalid("teams", keyed("error.team_line", &[&(n + 1).to_string()]))),
        };
        team.check("teams")
            .map_err(|e| Error::invalid("teams", keyed("error.on_line", &[&(n + 1).to_string(), &message(&e)])))?;
        teams.push(team);
    }
    check_teams(&teams)?;
    Ok(teams)
}

fn message(e: &Error) -> String {
    match e {
        Error::Invalid { message, .. } => message.clone(),
        e => e.to_string(),
    }
}

/// Checks a whole team list: 2 to [`MAX_TEAMS`] teams with different names.
pub fn check_teams(teams: &[TeamInput]) -> Result<()> {
    if !(2..=MAX_TEAMS).contains(&teams.len()) {
        return Err(Error::invalid(
            "teams",
            keyed("error.teams_count", &[&MAX_TEAMS.to_string(), &teams.len().to_string()]),
        ));
    }
    let mut names: Vec<&str> = teams.iter().map(|t| t.name.trim()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::invalid("teams", "error.team_name_twice"));
    }
    teams.iter().try_for_each(|t| t.check("teams"))
}

/// Points for a right answer when a round names none.
pub const DEFAULT_POINTS: i64 = 10;

/// Seconds a question is open when a round names none.
pub const DEFAULT_SECONDS: i64 = 30;

/// A round as set up: its kind, scoring, time and the questions it draws.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoundInput {
    /// compulsory, buzzer or risk.
    pub kind: RoundKind,
    /// Compulsory rounds: `each` team its own question (default) or `all` the same one.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Points for a right answer (compulsory and buzzer; a risk question scores its wager).
    #[serde(default = "ten")]
    pub points: i64,
    /// Buzzer rounds: points lost on a wrong answer.
    #[serde(default)]
    pub penalty: i64,
    /// Buzzer rounds: after a wrong answer the other teams may buzz again.
    #[serde(default)]
    pub rebound: bool,
    /// Seconds a question is open.
    #[serde(default = "thirty")]
    pub seconds: i64,
    /// Questions to draw (per team in a compulsory round of mode `each`).
    #[serde(default)]
    pub count: i64,
    /// Only questions of this category.
    #[serde(default)]
    pub category: Option<String>,
    /// Only questions of this difficulty.
    #[serde(default)]
    pub difficulty: Option<u8>,
    /// Exactly these questions of the bank, in this order (instead of a draw).
    #[serde(default)]
    pub question_ids: Vec<i64>,
}

fn ten() -> i64 {
    DEFAULT_POINTS
}

fn thirty() -> i64 {
    DEFAULT_SECONDS
}

impl RoundInput {
    /// The mode of a compulsory round (others: all teams see the same question).
    pub fn mode(&self) -> Mode {
        match self.kind {
            RoundKind::Compulsory => self.mode.unwrap_or(Mode::Each),
            _ => Mode::All,
        }
    }

    /// Checks the round's numbers and its question choice.
    pub fn check(&self, field: &str) -> Result<()> {
        if !(1..=100).contains(&self.points) {
            return Err(Error::invalid(field, "error.round_points"));
        }
        if !(0..=100).contains(&self.penalty) {
            return Err(Error::invalid(field, "error.round_penalty"));
        }
        if !(5..=600).contains(&self.seconds) {
            return Err(Error::invalid(field, "error.round_seconds"));
        }
        if self.question_ids.is_empty() && !(1..=50).contains(&self.count) {
            return Err(Error::invalid(field, "error.round_count"));
        }
        if self.question_ids.len() > 200 {
            return Err(Error::invalid(field, "error.round_questions"));
        }
        if let Some(c) = &self.category
            && super::category_path(c).as_ref() != Some(c)
        {
            return Err(Error::invalid(field, keyed("error.blueprint_category", &[c])));
        }
        if self.difficulty.is_some_and(|d| !(1..=3).contains(&d)) {
            return Err(Error::invalid(field, "error.difficulty"));
        }
        Ok(())
    }
}

/// Checks a wager.
pub fn check_wager(amount: i64) -> Result<i64> {
    if WAGERS.contains(&amount) { Ok(amount) } else { Err(Error::invalid("amount", "error.wager")) }
}

/// The points of an answer: a right one scores the round's points (a risk question its wager);
/// a wrong one scores nothing in a compulsory round, loses the penalty in a buzzer round and the
/// wager on a risk question.
pub fn points(kind: RoundKind, right: bool, round_points: i64, penalty: i64, wager: i64) -> i64 {
    match (kind, right) {
        (RoundKind::Compulsory | RoundKind::Buzzer, true) => round_points,
        (RoundKind::Compulsory, false) => 0,
        (RoundKind::Buzzer, false) => -penalty,
        (RoundKind::Risk, true) => wager,
        (RoundKind::Risk, false) => -wager,
    }
}

/// The next state of a question when the host does `control`, for a question of a round of
/// `kind` in state `from`; `None` when the control does not apply.
pub fn step(kind: RoundKind, from: ItemState, control: Control) -> Option<ItemState> {
    use ItemState::{Closed, Open, Pending, Revealed, Wager};
    match (control, from) {
        (Control::Open, Pending) if kind == RoundKind::Risk => Some(Wager),
        (Control::Open, Pending | Wager) => Some(Open),
        (Control::Close, Open) => Some(Closed),
        (Control::Reveal, Open | Closed) => Some(Revealed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_lists_are_read_by_line() {
        let t = parse_teams("长春代表队, 长春, 张伟 李娜 王芳\n吉林代表队\t吉林\t赵磊、孙丽、周强\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].members, vec!["赵磊", "孙丽", "周强"]);
        assert_eq!(t[0].region, "长春");
        let e = parse_teams("甲队, 长春, 张伟\n乙队, 吉林, 赵磊 孙丽").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        assert!(parse_teams("甲队, 长春, 张伟 李娜\n甲队, 吉林, 赵磊 孙丽").is_err());
        assert!(parse_teams("甲队, 长春, 张伟 李娜").is_err(), "one team is no match");
    }

    #[test]
    fn scoring_follows_the_round() {
        assert_eq!(points(RoundKind::Compulsory, false, 10, 5, 0), 0);
        assert_eq!(points(RoundKind::Buzzer, false, 20, 10, 0), -10);
        assert_eq!(points(RoundKind::Risk, true, 10, 0, 30), 30);
        assert_eq!(points(RoundKind::Risk, false, 10, 0, 20), -20);
        assert!(check_wager(25).is_err());
        assert_eq!(check_wager(20).unwrap(), 20);
    }

    #[test]
    fn questions_move_forward_only() {
        assert_eq!(step(RoundKind::Risk, ItemState::Pending, Control::Open), Some(ItemState::Wager));
        assert_eq!(step(RoundKind::Risk, ItemState::Wager, Control::Open), Some(ItemState::Open));
        assert_eq!(step(RoundKind::Buzzer, ItemState::Pending, Control::Open), Some(ItemState::Open));
        assert_eq!(step(RoundKind::Buzzer, ItemState::Revealed, Control::Open), None);
        assert_eq!(step(RoundKind::Compulsory, ItemState::Pending, Control::Reveal), None);
    }
}
