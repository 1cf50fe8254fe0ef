//! Scoring the orienteering and skills challenge (定向赛 + 技能PK赛), as pure functions.
//!
//! Orienteering time is finish − start plus the penalty of every checkpoint not punched;
//! orienteering points are 100 × the fastest time ÷ one's own time (0 without a finish). Skill
//! points are the sum of station scores scaled to 100 (the sum of the stations' maxima). An
//! individual's total is the two added; ties go to the faster orienteering time. A team's total
//! is the sum of its best five members' totals.

use serde::Serialize;
use utoipa::ToSchema;

/// How many members count towards a team's total.
pub const TEAM_BEST: usize = 5;

/// One competitor's raw results.
#[derive(Clone, Debug)]
pub struct Raw {
    /// Entry id.
    pub entry_id: i64,
    pub(crate) member_id: i64,
    /// Member's name.
    pub member_name: String,
    /// Team (unit) id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Seconds from start to finish, when both are recorded.
    pub elapsed_seconds: Option<i64>,
    /// Penalty seconds of the checkpoints missed.
    pub penalty_seconds: i64,
    /// Checkpoints missed.
    pub missed: usize,
    /// Sum of the station scores.
    pub station_sum: i64,
}

/// One competitor's place on the board.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Ranked {
    /// Place (1 is first; equal totals and times share a place).
    pub rank: usize,
    /// Entry id.
    pub entry_id: i64,
    pub(crate) member_id: i64,
    /// Member's name.
    pub member_name: String,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Orienteering time with penalties, seconds (none without a finish).
    pub time_seconds: Option<i64>,
    /// Checkpoints missed.
    pub missed: usize,
    /// Orienteering points (0–100).
    pub orienteering_points: f64,
    /// Skill points (0–100).
    pub skill_points: f64,
    /// The two added.
    pub total: f64,
}

/// A team's place on the board.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamRanked {
    pub(crate) rank: usize,
    /// Team id.
    pub team_id: i64,
    /// Team name.
    pub team_name: String,
    /// Members who competed.
    pub members: usize,
    /// Sum of the best five totals.
    pub total: f64,
}

/// Orienteering time: elapsed plus penalties, when the competitor finished.
pub fn orienteering_time(elapsed_seconds: Option<i64>, penalty_seconds: i64) -> Option<i64> {
    elapsed_seconds.filter(|e| *e >= 0).map(|e| e + penalty_seconds.max(0))
}

/// 100 × fastest ÷ own (0 without a time).
#[allow(clippy::cast_precision_loss)]
pub fn orienteering_points(fastest: Option<i64>, own: Option<i64>) -> f64 {
    match (fastest, own) {
        (Some(f), Some(o)) if o > 0 => round2(100.0 * f as f64 / o as f64),
        (Some(_), Some(_)) => 100.0,
        _ => 0.0,
    }
}

/// The station scores scaled to 100.
#[allow(clippy::cast_precision_loss)]
pub fn skill_points(sum: i64, max_sum: i64) -> f64 {
    if max_sum <= 0 { 0.0 } else { round2(100.0 * sum.clamp(0, max_sum) as f64 / max_sum as f64) }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The individual board: totals, best first; ties broken by the faster orienteering time (no
/// time last), then by entry.
pub fn rank_individuals(raw: &[Raw], max_station_sum: i64) -> Vec<Ranked> {
    let times: Vec<Option<i64>> = raw.iter().map(|r| orienteering_time(r.elapsed_seconds, r.penalty_seconds)).collect();
    let fastest = times.iter().flatten().min().copied();
    let mut out: Vec<Ranked> = raw
        .iter()
        .zip(&times)
        .map(|(r, t)| {
            let o = orienteering_points(fastest, *t);
            let s = skill_points(r.station_sum, max_station_sum);
            Ranked {
                rank: 0,
                entry_id: r.entry_id,
                member_id: r.member_id,
                member_name: r.member_name.clone(),
                team_id: r.team_id,
                team_name: r.team_name.clone(),
                time_seconds: *t,
                missed: r.missed,
                orienteering_points: o,
                skill_points: s,
                total: round2(o + s),
            }
        })
        .collect();
    let key = |r: &Ranked| r.time_seconds.unwrap_or(i64::MAX);
    out.sort_by(|a, b| b.total.total_cmp(&a.total).then(key(a).cmp(&key(b))).then(a.entry_id.cmp(&b.entry_id)));
    for i in 0..out.len() {
        let tied = i > 0 && out[i].total.total_cmp(&out[i - 1].total).is_eq() && key(&out[i]) == key(&out[i - 1]);
        out[i].rank = if tied { out[i - 1].rank } else { i + 1 };
    }
    out
}

/// The team board from the individual one: the sum of each team's best five totals, best first.
pub fn rank_teams(individuals: &[Ranked]) -> Vec<TeamRanked> {
    let mut teams: Vec<TeamRanked> = Vec::new();
    // Individuals come best first, so the first five of a team are its best five.
    for r in individuals {
        let i = if let Some(i) = teams.iter().position(|t| t.team_id == r.team_id) {
            i
        } else {
            teams.push(TeamRanked {
                rank: 0,
                team_id: r.team_id,
                team_name: r.team_name.clone(),
                members: 0,
                total: 0.0,
            });
            teams.len() - 1
        };
        let team = &mut teams[i];
        team.members += 1;
        if team.members <= TEAM_BEST {
            team.total = round2(team.total + r.total);
        }
    }
    teams.sort_by(|a, b| b.total.total_cmp(&a.total).then(a.team_id.cmp(&b.team_id)));
    for i in 0..teams.len() {
        let tied = i > 0 && teams[i].total.total_cmp(&teams[i - 1].total).is_eq();
        teams[i].rank = if tied { teams[i - 1].rank } else { i + 1 };
    }
    teams
}

/// Seconds as `m:ss` (or `h:mm:ss`).
pub fn show_seconds(s: i64) -> String {
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(entry: i64, team: i64, elapsed: Option<i64>, penalty: i64, stations: i64) -> Raw {
        Raw {
            entry_id: entry,
            member_id: entry,
            member_name: format!("m{entry}"),
            team_id: team,
            team_name: format!("t{team}"),
            elapsed_seconds: elapsed,
            penalty_seconds: penalty,
            missed: usize::from(penalty > 0),
            station_sum: stations,
        }
    }

    #[test]
    fn penalties_add_to_the_time_and_points_follow_the_fastest() {
        assert_eq!(orienteering_time(Some(1_200), 300), Some(1_500));
        assert_eq!(orienteering_time(None, 300), None);
        assert!((orienteering_points(Some(1_000), Some(1_000)) - 100.0).abs() < f64::EPSILON);
        assert!((orienteering_points(Some(1_000), Some(2_000)) - 50.0).abs() < f64::EPSILON);
        assert!(orienteering_points(Some(1_000), None).abs() < f64::EPSILON);
        assert!((skill_points(45, 60) - 75.0).abs() < f64::EPSILON);
        assert!((skill_points(80, 60) - 100.0).abs() < f64::EPSILON, "capped");
        assert_eq!(show_seconds(754), "12:34");
        assert_eq!(show_seconds(3_754), "1:02:34");
    }

    #[test]
    fn individuals_rank_by_total_then_time() {
        let board = rank_individuals(
            &[
                raw(1, 1, Some(1_000), 0, 30),     // 100 + 50 = 150
                raw(2, 1, Some(2_000), 0, 60),     // 50 + 100 = 150, slower: second
                raw(3, 2, Some(1_000), 1_000, 60), // 50 + 100 = 150, same time as 2: shares second
                raw(4, 2, None, 0, 60),            // 0 + 100
            ],
            60,
        );
        let order: Vec<i64> = board.iter().map(|r| r.entry_id).collect();
        assert_eq!(order, vec![1, 2, 3, 4]);
        assert_eq!(board.iter().map(|r| r.rank).collect::<Vec<_>>(), vec![1, 2, 2, 4]);
        assert!((board[0].total - 150.0).abs() < f64::EPSILON);
        assert_eq!(board[3].time_seconds, None);
    }

    #[test]
    fn a_team_counts_its_best_five() {
        let mut raws: Vec<Raw> = (1..=7).map(|i| raw(i, 1, Some(1_000), 0, 60)).collect();
        raws.push(raw(8, 2, Some(1_000), 0, 60));
        let board = rank_individuals(&raws, 60);
        let teams = rank_teams(&board);
        assert_eq!(teams[0].team_id, 1);
        assert_eq!(teams[0].members, 7);
        assert!((teams[0].total - 1_000.0).abs() < f64::EPSILON, "five of seven count");
        assert!((teams[1].total - 200.0).abs() < f64::EPSILON);
        assert_eq!(teams[1].rank, 2);
    }
}
