//! Screens that pull what to show: LED caption boards at stations, on buses and taxis, community
//! e-stations (科普服务e站) and outdoor screens on landmark buildings. Each screen belongs to a unit
//! and a region and has its own key; it pulls its playlist (`/screens/playlist?key=…`, as plain
//! text or JSON) — the warnings in force there first, then the running campaign's theme, the season's
//! tips and the events coming up — with captions cut to the screen's character limit. The staff
//! page shows when each screen last pulled, so that a silent screen is noticed.

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

#[cfg(test)]
mod tests {
    use super::*;

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
