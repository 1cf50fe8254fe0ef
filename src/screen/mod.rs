//! Screens that pull what to show: LED caption boards at stations, on buses and taxis, community
//! e-stations (科普服务e站) and outdoor screens on landmark buildings. Each screen belongs to a unit
//! and a region and has its own key; it pulls its playlist (`/screens/playlist?key=…`, as plain
//! text or JSON) — the warnings in force there first, then the running campaign's theme, the season's
//! tips and the events coming up — with captions cut to the screen's character limit. The staff
//! page shows when each screen last pulled, so that a silent screen is noticed. Staff schedule
//! captions by time slot (rush hours at stations, evenings on outdoor screens) over a run of days,
//! for one kind of screen or all, optionally tied to a campaign.

pub mod pages;
pub mod playlist;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::org::text_enum;

text_enum! {
    /// What kind of screen.
    #[schema(as = ScreenKind)]
    Kind {
        /// An LED caption board (stations, buses, taxis): one line of text.
        Caption = "caption",
        /// A community e-station: text and pictures.
        Estation = "estation",
        /// An outdoor screen on a building: text, pictures and video.
        Outdoor = "outdoor",
    }
}

impl Kind {
    /// The longest caption the kind shows when its screen does not say.
    pub fn default_chars(self) -> i64 {
        match self {
            Self::Caption => 20,
            Self::Estation => 60,
            Self::Outdoor => 40,
        }
    }

    /// Whether it shows pictures and files.
    pub fn shows_files(self) -> bool {
        self != Self::Caption
    }
}

/// A screen that has not pulled for this long is silent.
pub const SILENT_AFTER: time::Duration = time::Duration::hours(2);

/// Pulls one screen key may make in an hour.
pub const PULLS_PER_HOUR: i64 = 720;

/// A key's prefix, so that a leaked one is recognised.
pub const KEY_PREFIX: &str = "fcs_";

/// A caption cut to `chars` characters, with an ellipsis when it was longer.
pub fn caption(text: &str, chars: usize) -> String {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= chars {
        return text;
    }
    let mut out: String = text.chars().take(chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A time of day, `07:30`, as minutes from midnight; `24:00` is the end of the day.
pub fn parse_clock(field: &str, s: &str) -> crate::Result<i64> {
    let parsed = s.trim().split_once(':').filter(|(h, m)| h.len() <= 2 && m.len() == 2).and_then(|(h, m)| {
        let (h, m) = (h.parse::<u8>().ok()?, m.parse::<u8>().ok()?);
        (h < 24 && m < 60 || h == 24 && m == 0).then_some(i64::from(h) * 60 + i64::from(m))
    });
    parsed.ok_or_else(|| crate::Error::invalid(field, "error.clock_time"))
}

/// Minutes from midnight shown as `07:30`.
pub fn show_clock(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_parse_and_show() {
        assert_eq!(parse_clock("from", "07:30").unwrap(), 450);
        assert_eq!(parse_clock("from", " 7:05 ").unwrap(), 425);
        assert_eq!(parse_clock("to", "24:00").unwrap(), 1440);
        for bad in ["24:01", "7", "07:60", "-1:00", "ab:cd", ""] {
            assert!(parse_clock("to", bad).is_err(), "{bad}");
        }
        assert_eq!(show_clock(450), "07:30");
        assert_eq!(show_clock(1440), "24:00");
    }

    #[test]
    fn captions_fit_the_screen() {
        assert_eq!(caption("电暖器远离可燃物，人走断电", 20), "电暖器远离可燃物，人走断电");
        let cut = caption("电暖器远离可燃物，人走断电；不在楼道和室内给电动自行车充电", 12);
        assert_eq!(cut.chars().count(), 12);
        assert!(cut.ends_with('…'));
        assert_eq!(caption("a\n  b", 10), "a b");
        assert!(!Kind::Caption.shows_files() && Kind::Outdoor.shows_files());
    }
}
