//! Livestreams: a page per broadcast with a player for the stream the staff enter (an HLS or video
//! address played in the page, or the platform's own page linked), unique viewers counted per day
//! by a keyed cookie (no personal data), a comment and question box that staff moderate before
//! anything shows, and the quiz to take during the stream. Views an outside platform reports (抖音,
//! 快手, a partner) are entered with their evidence and kept apart, labelled as reported. Finishing
//! a broadcast files its views as the `livestream_views` figure of an activity record for review.

pub mod actions;
pub mod api;
pub mod pages;
pub mod public;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::org::{Role, text_enum};

text_enum! {
    /// Where a broadcast stands.
    #[schema(as = LivestreamState)]
    State {
        /// Scheduled or on air: counting viewers, taking comments.
        Open = "open",
        /// Over, with its views filed.
        Finished = "finished",
    }
}

text_enum! {
    /// Where a comment stands.
    #[schema(as = LivestreamCommentState)]
    CommentState {
        /// Waiting for staff.
        Waiting = "waiting",
        /// Shown on the page.
        Shown = "shown",
        /// Hidden by staff.
        Hidden = "hidden",
    }
}

/// Comments one address may post in an hour.
pub const COMMENTS_PER_HOUR: i64 = 30;

/// The longest comment.
pub const COMMENT_CHARS: usize = 200;

/// Whether a role runs broadcasts (sets them up, moderates, enters reported views, finishes).
pub fn may_run(role: Role) -> bool {
    role.is_fire_staff()
}

/// How the page plays a stream address: in the page (HLS, MP4, WebM), or by linking to the
/// platform's page; `None` for an address that is not http(s).
pub fn playback(url: &str) -> Option<Playback> {
    let url = url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
    Some(if [".m3u8", ".mp4", ".webm"].iter().any(|e| path.ends_with(e)) { Playback::Video } else { Playback::Link })
}

/// How a stream is played.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Playback {
    /// A `<video>` element plays it.
    Video,
    /// A link opens the platform's page.
    Link,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_play_in_the_page_or_on_their_platform() {
        assert_eq!(playback("https://live.example.cn/jlxf/index.m3u8?t=1"), Some(Playback::Video));
        assert_eq!(playback("https://v.douyin.com/abc/"), Some(Playback::Link));
        assert_eq!(playback("javascript:alert(1)"), None);
        assert_eq!(playback(""), None);
        assert!(may_run(Role::BrigadeStaff) && !may_run(Role::CommunityWorker));
    }
}
