//! Statistics and selection of a quiz: per-question facility and discrimination indexes, the
//! weakest topics per region, finalists chosen by the leaderboard under eligibility rules (prize
//! threshold, flagged attempts, one per phone or device, region quotas), a reproducible seeded
//! prize draw, and teams formed from the finalists. This file holds the pure rules; SQL is in
//! `store.rs`, audited changes in `actions.rs`.

pub mod actions;
pub mod api;
pub mod pages;
pub mod queries;
pub mod stats;
pub mod store;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

use crate::i18n::keyed;
use crate::org::text_enum;
use crate::{Error, Result};

/// Fewer finished attempts than this and the discrimination index is not given.
pub const MIN_ATTEMPTS: i64 = 20;

/// The length of a prefecture-level region's path (`/22/2201/`).
pub const PREFECTURE_PATH_LEN: usize = 9;

/// How the prize draw works, as printed with every result.
pub const DRAW_ALGORITHM: &str = "sort the eligible participants by participant id; seed ChaCha20 (rand_chacha 0.9, ChaCha20Rng::from_seed) \
with the SHA-256 of the seed text (UTF-8); Fisher-Yates shuffle: for i from n-1 down to 1, j = next_u64() mod (i+1), swap items i and j; \
the first W of the shuffled list win, in that order";

/// The prefecture-level region of a region path (`/22/2201/220102/` → `/22/2201/`).
pub fn prefecture(path: &str) -> &str {
    path.get(..PREFECTURE_PATH_LEN).unwrap_or(path)
}

text_enum! {
    /// What a stored selection is.
    #[schema(as = SelectionKind)]
    Kind {
        /// The top N under the eligibility rules.
        Finalists = "finalists",
        /// A seeded prize draw.
        Draw = "draw",
        /// Teams formed from finalists.
        Teams = "teams",
    }
}

text_enum! {
    /// How teams are balanced.
    Balance {
        /// No two members of one prefecture-level region in a team when possible.
        Region = "region",
        /// Team totals as equal as possible (snake draft by score).
        Score = "score",
    }
}

/// An eligible participant with the attempt that counts for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub(crate) participant_id: i64,
    /// Their best eligible attempt.
    pub attempt_id: i64,
    /// Its score.
    pub score: i64,
    /// Its time.
    pub duration_ms: i64,
    /// Where they live.
    pub region_path: String,
}

/// Picks the finalists from candidates in leaderboard order: the first `count`, at most `quota`
/// of each prefecture-level region when given (the places a full region cannot take go to the
/// next in order). Returns the indexes picked, in order.
pub fn pick_finalists(candidates: &[Candidate], count: usize, quota: Option<usize>) -> Result<Vec<usize>> {
    if count == 0 {
        return Err(Error::invalid("count", "error.finalists_none"));
    }
    if count > candidates.len() {
        return Err(Error::invalid(
            "count",
            keyed("error.finalists_too_few", &[&candidates.len().to_string(), &count.to_string()]),
        ));
    }
    if quota == Some(0) {
        return Err(Error::invalid("region_quota", "error.quota_zero"));
    }
    let mut taken = std::collections::HashMap::<&str, usize>::new();
    let mut picked = Vec::with_capacity(count);
    for (i, c) in candidates.iter().enumerate() {
        if picked.len() == count {
            break;
        }
        let n = taken.entry(prefecture(&c.region_path)).or_default();
        if quota.is_none_or(|q| *n < q) {
            *n += 1;
            picked.push(i);
        }
    }
    if picked.len() < count {
        return Err(Error::invalid(
            "region_quota",
            keyed(
                "error.quota_unfilled",
                &[&quota.unwrap_or(0).to_string(), &picked.len().to_string(), &count.to_string()],
            ),
        ));
    }
    Ok(picked)
}

/// The seed of a draw as bytes: the SHA-256 of its text.
pub fn seed_bytes(seed: &str) -> [u8; 32] {
    Sha256::digest(seed.as_bytes()).into()
}

/// The prize draw: a permutation of `0..n` (indexes into the eligible list sorted by participant
/// id) by [`DRAW_ALGORITHM`]; its first `winners` win.
pub fn draw(seed: &str, n: usize, winners: usize) -> Result<Vec<usize>> {
    if winners == 0 {
        return Err(Error::invalid("winners", "error.winners_none"));
    }
    if winners > n {
        return Err(Error::invalid("winners", keyed("error.winners_too_few", &[&n.to_string(), &winners.to_string()])));
    }
    let mut rng = ChaCha20Rng::from_seed(seed_bytes(seed));
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let bound = u64::try_from(i + 1).unwrap_or(u64::MAX);
        let j = usize::try_from(rng.next_u64() % bound).unwrap_or(0);
        order.swap(i, j);
    }
    order.truncate(winners);
    Ok(order)
}

/// A finalist to place in a team.
#[derive(Clone, Debug)]
pub struct Member {
    /// Where they live.
    pub region_path: String,
    pub(crate) score: i64,
    pub(crate) duration_ms: i64,
}

/// Forms `teams` teams of `size` from the finalists (in leaderboard order): returns the team
/// (0-based) of each. By region: members grouped by prefecture-level region (largest group
/// first, leaderboard order inside), dealt round-robin, so no team gets two of one region while
/// no region has more members than there are teams. By score: a snake draft down the
/// leaderboard (1, 2, …, N, N, …, 2, 1, …), which keeps the team totals close.
pub fn form_teams(members: &[Member], teams: usize, size: usize, balance: Balance) -> Result<Vec<usize>> {
    if teams == 0 || size == 0 {
        return Err(Error::invalid("teams", "error.teams_empty"));
    }
    if teams.saturating_mul(size) != members.len() {
        return Err(Error::invalid(
            "teams",
            keyed(
                "error.teams_finalists",
                &[
                    &teams.to_string(),
                    &size.to_string(),
                    &teams.saturating_mul(size).to_string(),
                    &members.len().to_string(),
                ],
            ),
        ));
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    let mut team = vec![0; members.len()];
    match balance {
        Balance::Score => {
            order.sort_by_key(|&i| (std::cmp::Reverse(members[i].score), members[i].duration_ms, i));
            for (k, &i) in order.iter().enumerate() {
                let (round, at) = (k / teams, k % teams);
                team[i] = if round % 2 == 0 { at } else { teams - 1 - at };
            }
        }
        Balance::Region => {
            let mut sizes = std::collections::HashMap::<&str, usize>::new();
            for m in members {
                *sizes.entry(prefecture(&m.region_path)).or_default() += 1;
            }
            order.sort_by_key(|&i| {
                let r = prefecture(&members[i].region_path);
                (std::cmp::Reverse(sizes[r]), r, i)
            });
            for (k, &i) in order.iter().enumerate() {
                team[i] = k % teams;
            }
        }
    }
    Ok(team)
}

/// The facility index: the share of right answers.
#[allow(clippy::cast_precision_loss)]
pub fn facility(answers: i64, right: i64) -> Option<f64> {
    (answers > 0).then(|| right as f64 / answers as f64)
}

/// The discrimination index `p_upper` − `p_lower` of the upper and lower 27% of attempts by score;
/// `None` with fewer than [`MIN_ATTEMPTS`] finished attempts or an empty group.
pub fn discrimination(finished: i64, upper: (i64, i64), lower: (i64, i64)) -> Option<f64> {
    if finished < MIN_ATTEMPTS {
        return None;
    }
    Some(facility(upper.0, upper.1)? - facility(lower.0, lower.1)?)
}

/// A share as a percentage with one decimal.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

/// A team's name.
pub fn team_name(number: i64) -> String {
    format!("第{number}队")
}

/// A nickname as published: its first character, then `**`.
pub fn mask_name(name: &str) -> String {
    let first: String = name.chars().take(1).collect();
    format!("{first}**")
}

/// A selection's entries as CSV (names masked): for a draw, the whole eligible list in
/// participant-id order, which is the list the draw shuffles.
pub fn entries_csv(entries: &[store::Entry]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let broken = |e: csv::Error| Error::Internal(anyhow::anyhow!("csv: {e}"));
    w.write_record([
        "position",
        "participant_id",
        "nickname",
        "phone",
        "region",
        "score",
        "duration_ms",
        "chosen",
        "team",
    ])
    .map_err(broken)?;
    for e in entries {
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        w.write_record([
            e.position.to_string(),
            e.participant_id.to_string(),
            mask_name(&e.nickname),
            e.phone_masked.clone(),
            e.region_name.clone(),
            e.score.to_string(),
            e.duration_ms.to_string(),
            opt(e.chosen),
            opt(e.team),
        ])
        .map_err(broken)?;
    }
    w.into_inner().map_err(|e| Error::Internal(anyhow::anyhow!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: i64, score: i64, region: &str) -> Candidate {
        Candidate {
            participant_id: id,
            attempt_id: id,
            score,
            duration_ms: 1000,
            region_path: format!("/22/{region}/{region}01/"),
        }
    }

    #[test]
    fn quotas_pass_places_on_in_order() {
        let c = vec![
            cand(1, 100, "2201"),
            cand(2, 90, "2201"),
            cand(3, 80, "2201"),
            cand(4, 70, "2202"),
            cand(5, 60, "2203"),
        ];
        assert_eq!(pick_finalists(&c, 3, None).unwrap(), vec![0, 1, 2]);
        assert_eq!(pick_finalists(&c, 3, Some(2)).unwrap(), vec![0, 1, 3]);
        assert_eq!(pick_finalists(&c, 3, Some(1)).unwrap(), vec![0, 3, 4]);
        assert!(pick_finalists(&c, 4, Some(1)).is_err());
        assert!(pick_finalists(&c, 6, None).is_err());
    }

    #[test]
    fn the_draw_is_fixed_by_its_seed() {
        // Fixed expectation: anyone repeating the stated algorithm gets these winners.
        let a = draw("知消杯-2026-12-01", 10, 3).unwrap();
        assert_eq!(a, draw("知消杯-2026-12-01", 10, 3).unwrap());
        assert_eq!(a, vec![8, 6, 9]);
        assert_ne!(a, draw("知消杯-2026-12-02", 10, 3).unwrap());
        let all = draw("x", 50, 50).unwrap();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert!(draw("x", 2, 3).is_err());
    }

    #[test]
    fn teams_by_region_never_repeat_a_region_when_possible() {
        let regions = ["2201", "2201", "2201", "2202", "2202", "2203", "2204", "2205", "2206"];
        let m: Vec<Member> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| Member {
                region_path: format!("/22/{r}/"),
                score: 100 - i64::try_from(i).unwrap(),
                duration_ms: 0,
            })
            .collect();
        let t = form_teams(&m, 3, 3, Balance::Region).unwrap();
        for team in 0..3 {
            let mut seen: Vec<&str> = (0..9).filter(|&i| t[i] == team).map(|i| regions[i]).collect();
            assert_eq!(seen.len(), 3);
            seen.dedup();
            let n = seen.len();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), n, "team {team} has two of one region");
        }
        assert!(form_teams(&m, 2, 4, Balance::Region).is_err());
    }

    #[test]
    fn snake_draft_keeps_totals_close() {
        let m: Vec<Member> =
            (0..30).map(|i| Member { region_path: "/22/2201/".into(), score: 100 - i, duration_ms: 0 }).collect();
        let t = form_teams(&m, 10, 3, Balance::Score).unwrap();
        let mut totals = [0; 10];
        for (i, team) in t.iter().enumerate() {
            totals[*team] += m[i].score;
        }
        let spread = totals.iter().max().unwrap() - totals.iter().min().unwrap();
        assert!(spread <= 9, "{totals:?}");
    }

    #[test]
    fn indexes() {
        assert_eq!(facility(4, 1), Some(0.25));
        assert_eq!(discrimination(19, (5, 5), (5, 0)), None);
        assert_eq!(discrimination(20, (5, 5), (5, 1)), Some(0.8));
        assert_eq!(prefecture("/22/2201/220102/"), "/22/2201/");
    }
}
