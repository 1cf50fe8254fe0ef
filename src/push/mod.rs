//! The four-level push: a library of publicity products (videos, posters, audio, articles and
//! short tips, in Chinese and Korean, tagged by audience, place and theme) pushed from the province
//! down to cities, counties and communities with sign-off at every level, and delivered directly to
//! subscribed households (in-app inbox, SMS) and partner platforms (webhooks).
//!
//! This file holds the types and rules; `store` every SQL statement, `actions` what people do,
//! `delivery` the worker that sends, its outbound clients and the optional NATS `JetStream` queue.

pub mod actions;
pub mod api;
pub mod delivery;
pub mod feeds;
pub mod pages;
pub mod public;
pub mod queries;
pub mod store;

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime, Time};
use utoipa::ToSchema;

use crate::clock::CST;
use crate::org::text_enum;
use crate::{Error, Result};

text_enum! {
    /// What a product is.
    ProductKind {
        /// A video.
        Video = "video",
        /// A poster.
        Poster = "poster",
        /// Audio (radio spot, loudspeaker broadcast).
        Audio = "audio",
        /// An article.
        Article = "article",
        /// A short tip of at most 70 characters, for SMS and LED screens.
        Tip = "tip",
    }
}

text_enum! {
    /// Whom a product speaks to.
    Audience {
        /// Elderly people living alone.
        Elderly = "elderly",
        /// Children and students.
        Students = "students",
        /// Migrant workers.
        MigrantWorkers = "migrant_workers",
        /// Delivery riders.
        Riders = "delivery_riders",
        /// Owners of small venues.
        VenueOwners = "venue_owners",
        /// High-rise residents.
        HighRiseResidents = "high_rise_residents",
        /// Rural households.
        Rural = "rural_households",
        /// Enterprises.
        Enterprises = "enterprises",
    }
}

text_enum! {
    /// Where a product is used.
    Place {
        /// Homes.
        Homes = "homes",
        /// High-rise buildings.
        HighRises = "high_rises",
        /// Small venues (三小场所).
        SmallVenues = "small_venues",
        /// Schools.
        Schools = "schools",
        /// Hospitals.
        Hospitals = "hospitals",
        /// Markets.
        Markets = "markets",
        /// Factories.
        Factories = "factories",
        /// Tourist sites.
        TouristSites = "tourist_sites",
    }
}

text_enum! {
    /// The theme or season of a product; residents subscribe to themes.
    Theme {
        /// Heating season.
        Heating = "heating",
        /// E-bike charging.
        Ebike = "ebike",
        /// Gas.
        Gas = "gas",
        /// Fireworks and the Spring Festival.
        SpringFestival = "spring_festival",
        /// Forest-fire season.
        ForestFire = "forest_fire",
        /// Blocked fire lanes (生命通道).
        FireLanes = "fire_lanes",
    }
}

impl Theme {
    /// The theme of the season in Jilin on `day`: the Spring Festival in January and February,
    /// forest fires in spring (March to May) and autumn (September and October), e-bikes in the
    /// summer, heating in November and December.
    pub fn of_season(day: time::Date) -> Self {
        match u8::from(day.month()) {
            1 | 2 => Self::SpringFestival,
            3..=5 | 9 | 10 => Self::ForestFire,
            6..=8 => Self::Ebike,
            _ => Self::Heating,
        }
    }
}

text_enum! {
    /// Where a product is in its review.
    ProductState {
        /// Being written; cannot be pushed.
        Draft = "draft",
        /// Reviewed and approved; may be pushed.
        Approved = "approved",
        /// Withdrawn from the library.
        Retired = "retired",
    }
}

text_enum! {
    /// A language variant of a product.
    Lang {
        /// Chinese (every product has it).
        Zh = "zh",
        /// Korean (延边).
        Ko = "ko",
    }
}

text_enum! {
    /// How a delivery travels.
    Channel {
        /// The resident's personal in-app inbox page.
        Inbox = "inbox",
        /// A text message.
        Sms = "sms",
        /// A signed JSON post to a partner platform.
        Webhook = "webhook",
    }
}

text_enum! {
    /// Where a push is.
    PushState {
        /// Waiting for its scheduled time.
        Scheduled = "scheduled",
        /// Sent down the hierarchy (and fanned out to households when its time came).
        Active = "active",
        /// Recalled: forwarding stopped, undelivered sends cancelled.
        Recalled = "recalled",
    }
}

text_enum! {
    /// Where a unit is with a push it received.
    NodeState {
        /// Received, not signed.
        Pending = "pending",
        /// Signed for (签收), not yet passed on.
        Signed = "signed",
        /// Forwarded to the level below.
        Forwarded = "forwarded",
        /// Passed on to households; channel and reach confirmed.
        Confirmed = "confirmed",
        /// The push was recalled before this unit finished.
        Recalled = "recalled",
    }
}

text_enum! {
    /// Where one delivery is.
    DeliveryState {
        /// Waiting for a worker (or for the end of quiet hours, or a retry).
        Pending = "pending",
        /// Claimed by a worker; returns to pending when its lease runs out.
        Sending = "sending",
        /// Delivered.
        Delivered = "delivered",
        /// Opened by the resident.
        Read = "read",
        /// Refused for good by the provider or partner.
        Failed = "failed",
        /// Given up after too many tries (dead letter).
        Dead = "dead",
        /// Cancelled by a recall.
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// How a community passed a product on.
    Way {
        /// Residents' chat groups.
        ChatGroup = "chat_group",
        /// Notice boards.
        NoticeBoard = "notice_board",
        /// Community e-station screens.
        Screen = "screen",
        /// Door to door.
        DoorToDoor = "door_to_door",
        /// Loudspeaker.
        Loudspeaker = "loudspeaker",
    }
}

/// Characters an SMS or LED tip may have.
pub const TIP_MAX_CHARS: usize = delivery::sms::SMS_MAX_CHARS;
/// Direct deliveries a household receives in one week at most.
pub const WEEKLY_CAP: i64 = 5;
/// Subscriptions one address may make in an hour (a household subscribing its phones).
pub const SUBSCRIPTIONS_PER_HOUR: i64 = 5;
/// Minutes a verification code sent to a phone holds.
pub const CODE_MINUTES: i64 = 10;
/// Wrong codes typed before a new one must be sent.
pub const CODE_TRIES: i64 = 5;
/// Verification codes one number may be sent in an hour, whoever asks.
pub const CODES_PER_NUMBER_HOUR: i64 = 5;
/// Seconds before a code may be sent again.
pub const CODE_GAP_SECONDS: i64 = 60;
/// Tries before a webhook or SMS delivery goes to the dead letters.
pub const MAX_ATTEMPTS: i64 = 8;
/// The node levels a push passes: city (detachment), county (brigade), community.
pub const LEVELS: [i64; 3] = [1, 2, 4];
/// Default hours to sign and pass on, per level.
pub const DEFAULT_SIGN_HOURS: [i64; 3] = [24, 48, 72];

/// The level below `level` on a push's way down, if any.
pub fn next_level(level: i64) -> Option<i64> {
    LEVELS.iter().position(|l| *l == level).and_then(|i| LEVELS.get(i + 1)).copied()
}

/// The index of a node level in [`LEVELS`] (for its deadline).
pub fn level_index(level: i64) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(LEVELS.len() - 1)
}

/// Tags as stored: `,a,b,` (so one `like '%,a,%'` finds them on both backends), sorted, unique.
pub fn join_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> String {
    let mut v: Vec<&str> = tags.into_iter().map(str::trim).filter(|t| !t.is_empty()).collect();
    v.sort_unstable();
    v.dedup();
    if v.is_empty() { String::new() } else { format!(",{},", v.join(",")) }
}

/// The tags of a stored `,a,b,` list.
pub fn split_tags(s: &str) -> Vec<&str> {
    s.split(',').filter(|t| !t.is_empty()).collect()
}

/// Parses a list of tag names of one kind, naming the field and the first unknown one.
pub fn parse_tags<T: Copy>(field: &str, items: &[String], parse: fn(&str) -> Option<T>) -> Result<Vec<T>> {
    items
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| parse(s).ok_or_else(|| Error::invalid(field, crate::i18n::keyed("error.unknown_tag", &[s.trim()]))))
        .collect()
}

/// Whether `tag` is one of the known audience, place or theme tags.
pub fn is_tag(tag: &str) -> bool {
    Audience::parse(tag).is_some() || Place::parse(tag).is_some() || Theme::parse(tag).is_some()
}

/// Refuses a tip for SMS or LED screens over [`TIP_MAX_CHARS`], showing the count.
pub fn check_sms_length(field: &str, text: &str) -> Result<()> {
    let n = delivery::sms::sms_length(text.trim());
    if n > TIP_MAX_CHARS {
        return Err(Error::invalid(
            field,
            crate::i18n::keyed("error.sms_length", &[&n.to_string(), &TIP_MAX_CHARS.to_string()]),
        ));
    }
    Ok(())
}

/// Hours of the day (China Standard Time) when no SMS goes out: `22-8` (the default) holds
/// messages from 22:00 to 08:00; `none` sends at any hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours(Option<(u8, u8)>);

impl QuietHours {
    /// 22:00 to 08:00.
    pub const DEFAULT: Self = Self(Some((22, 8)));

    /// Parses `22-8` or `none`.
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") {
            return Ok(Self(None));
        }
        let bad = || Error::invalid("sms_quiet_hours", format!("'{s}': expected hours such as 22-8, or none"));
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let hour = |x: &str| x.trim().parse::<u8>().ok().filter(|h| *h < 24).ok_or_else(bad);
        let (a, b) = (hour(a)?, hour(b)?);
        Ok(Self(if a == b { None } else { Some((a, b)) }))
    }

    /// Whether the hour `h` (0–23, China Standard Time) is quiet.
    pub fn is_quiet(self, h: u8) -> bool {
        match self.0 {
            None => false,
            Some((a, b)) if a < b => h >= a && h < b,
            Some((a, b)) => h >= a || h < b,
        }
    }

    /// The earliest time at or after `t` when an SMS may go out.
    pub fn allowed_from(self, t: OffsetDateTime) -> OffsetDateTime {
        let Some((_, end)) = self.0 else { return t };
        let local = t.to_offset(CST);
        if !self.is_quiet(local.hour()) {
            return t;
        }
        let end_time = Time::from_hms(end, 0, 0).unwrap_or(Time::MIDNIGHT);
        let today = local.date().with_time(end_time).assume_offset(CST);
        let at = if today > local { today } else { today + Duration::days(1) };
        at.to_offset(time::UtcOffset::UTC)
    }
}

impl Default for QuietHours {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The start (Monday 00:00 China Standard Time) of the week holding `t`, for the weekly cap.
pub fn week_start(t: OffsetDateTime) -> OffsetDateTime {
    let local = t.to_offset(CST);
    let back = i64::from(local.weekday().number_days_from_monday());
    (local.date() - Duration::days(back)).midnight().assume_offset(CST).to_offset(time::UtcOffset::UTC)
}

/// Whether a node is overdue at `now`: past its deadline and not yet passed on.
pub fn is_overdue(state: NodeState, due_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    matches!(state, NodeState::Pending | NodeState::Signed) && due_at < now
}

/// The variant a recipient who reads `wanted` gets from the languages a product has, and whether
/// that is a fallback to Chinese.
pub fn variant_for(wanted: Lang, available: &[Lang]) -> (Lang, bool) {
    if available.contains(&wanted) { (wanted, false) } else { (Lang::Zh, wanted != Lang::Zh) }
}

/// A node's sign-off deadlines in hours, per level (city, county, community), from a form's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignHours(pub [i64; 3]);

impl SignHours {
    /// Parses `24,48,72`; each between 1 and 720 hours.
    pub fn parse(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let bad = || Error::invalid("sign_hours", crate::i18n::keyed("error.sign_hours", &[s]));
        if parts.len() != 3 {
            return Err(bad());
        }
        let mut out = [0; 3];
        for (slot, p) in out.iter_mut().zip(parts) {
            *slot = p.parse::<i64>().ok().filter(|h| (1..=720).contains(h)).ok_or_else(bad)?;
        }
        Ok(Self(out))
    }

    /// The hours for a node level.
    pub fn for_level(self, level: i64) -> i64 {
        self.0[level_index(level)]
    }
}

impl Default for SignHours {
    fn default() -> Self {
        Self(DEFAULT_SIGN_HOURS)
    }
}

impl fmt::Display for SignHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{},{}", self.0[0], self.0[1], self.0[2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn levels_go_city_county_community() {
        assert_eq!(next_level(1), Some(2));
        assert_eq!(next_level(2), Some(4));
        assert_eq!(next_level(4), None);
        assert_eq!(SignHours::default().for_level(4), 72);
    }

    #[test]
    fn tags_are_stored_sorted_between_commas() {
        assert_eq!(join_tags(["heating", "elderly", "heating", " "]), ",elderly,heating,");
        assert_eq!(join_tags([]), "");
        assert_eq!(split_tags(",elderly,heating,"), vec!["elderly", "heating"]);
        assert!(is_tag("small_venues") && is_tag("fire_lanes") && !is_tag("cats"));
        let err = parse_tags("themes", &["heating".into(), "cats".into()], Theme::parse).unwrap_err();
        assert!(err.to_string().contains("'cats'"), "{err}");
    }

    #[test]
    fn sms_tips_are_counted_and_refused_over_seventy() {
        let ok = "冬季取暖注意安全，电暖器远离可燃物，人走断电。";
        assert!(check_sms_length("body", ok).is_ok());
        let long = "冬".repeat(71);
        let err = check_sms_length("body", &long).unwrap_err().to_string();
        assert!(err.contains("71 characters") && err.contains("70"), "{err}");
    }

    #[test]
    fn no_sms_between_ten_at_night_and_eight_in_the_morning() {
        // 23:30 CST is 15:30 UTC: held until 08:00 CST (00:00 UTC) the next day.
        let q = QuietHours::DEFAULT;
        assert_eq!(q.allowed_from(datetime!(2024-11-08 15:30 UTC)), datetime!(2024-11-09 00:00 UTC));
        // 06:00 CST (22:00 UTC the day before): held until 08:00 CST the same day.
        assert_eq!(q.allowed_from(datetime!(2024-11-07 22:00 UTC)), datetime!(2024-11-08 00:00 UTC));
        // 10:00 CST goes at once; 21:59 too.
        assert_eq!(q.allowed_from(datetime!(2024-11-08 02:00 UTC)), datetime!(2024-11-08 02:00 UTC));
        assert_eq!(q.allowed_from(datetime!(2024-11-08 13:59 UTC)), datetime!(2024-11-08 13:59 UTC));
        assert_eq!(q.allowed_from(datetime!(2024-11-08 14:00 UTC)), datetime!(2024-11-09 00:00 UTC));
        let none = QuietHours::parse("none").unwrap();
        assert_eq!(none.allowed_from(datetime!(2024-11-08 15:30 UTC)), datetime!(2024-11-08 15:30 UTC));
        let day = QuietHours::parse("12-14").unwrap();
        assert!(day.is_quiet(13) && !day.is_quiet(14) && !day.is_quiet(11));
        assert!(QuietHours::parse("22-24").is_err() && QuietHours::parse("x").is_err());
    }

    #[test]
    fn weeks_start_on_monday_in_china() {
        // Sunday 2024-11-10 23:00 CST belongs to the week of Monday 2024-11-04.
        assert_eq!(week_start(datetime!(2024-11-10 15:00 UTC)), datetime!(2024-11-03 16:00 UTC));
        // Monday 00:30 CST starts a new week.
        assert_eq!(week_start(datetime!(2024-11-10 16:30 UTC)), datetime!(2024-11-10 16:00 UTC));
    }

    #[test]
    fn overdue_means_past_due_and_not_passed_on() {
        let due = datetime!(2024-11-08 00:00 UTC);
        let later = datetime!(2024-11-09 00:00 UTC);
        assert!(is_overdue(NodeState::Pending, due, later));
        assert!(is_overdue(NodeState::Signed, due, later));
        assert!(!is_overdue(NodeState::Forwarded, due, later));
        assert!(!is_overdue(NodeState::Pending, due, due));
    }

    #[test]
    fn korean_readers_fall_back_to_chinese_and_are_told() {
        assert_eq!(variant_for(Lang::Ko, &[Lang::Zh, Lang::Ko]), (Lang::Ko, false));
        assert_eq!(variant_for(Lang::Ko, &[Lang::Zh]), (Lang::Zh, true));
        assert_eq!(variant_for(Lang::Zh, &[Lang::Zh]), (Lang::Zh, false));
    }

    #[test]
    fn sign_hours_parse_with_clear_errors() {
        assert_eq!(SignHours::parse("12, 24,48").unwrap(), SignHours([12, 24, 48]));
        assert_eq!(SignHours::parse("24,48,72").unwrap().to_string(), "24,48,72");
        for bad in ["24,48", "0,1,2", "a,b,c", "24,48,721"] {
            assert!(SignHours::parse(bad).is_err(), "{bad}");
        }
    }
}
