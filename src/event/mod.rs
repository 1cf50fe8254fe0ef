//! Public events residents register for: a science carnival, open days, contests, garden parties.
//! An event has places, a registration deadline and a waiting list that moves up when someone
//! cancels; a registration is a ticket with a QR code and a short door code, checked in by staff
//! on a phone. Each channel the event is advertised on (微博, 微信, 抖音, 快手, a partner, a poster)
//! has its own link, so the event's figures show registrations by source. Finishing an event files
//! its registrations and attendance as an activity record for review, the way every figure reaches
//! a campaign; its iCalendar feed lets calendars and partner screens list what is coming.
//!
//! Organisers are fire-service staff over the event's unit; staff, community workers and volunteers
//! in the event's area may check tickets at the door.

pub mod actions;
pub mod api;
pub mod calendar;
pub mod pages;
pub mod public;
pub mod store;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::org::{Role, text_enum};
use crate::{Error, Result};

text_enum! {
    /// What kind of public event.
    #[schema(as = PublicEventKind)]
    Kind {
        /// 科普嘉年华: a science carnival.
        Carnival = "carnival",
        /// 消防站开放日: an open day at a station or venue.
        OpenDay = "open_day",
        /// 知识竞赛: a contest.
        Contest = "contest",
        /// 游园会: a garden party.
        GardenParty = "garden_party",
        /// 讲座: a talk.
        Lecture = "lecture",
        /// 展览: an exhibition.
        Exhibition = "exhibition",
    }
}

impl Kind {
    /// The kind of the activity record an event of this kind files.
    pub fn activity_kind(self) -> &'static str {
        match self {
            Self::Carnival | Self::GardenParty => "carnival",
            Self::OpenDay => "open_venue",
            Self::Contest => "contest",
            Self::Lecture => "lecture",
            Self::Exhibition => "exhibition",
        }
    }
}

text_enum! {
    /// Where a registration came from: the link or QR code it was made through.
    #[schema(as = EventChannelKind)]
    Channel {
        /// The event's own page (no channel link).
        Site = "site",
        /// 微博.
        Weibo = "weibo",
        /// 微信.
        Wechat = "wechat",
        /// 抖音.
        Douyin = "douyin",
        /// 快手.
        Kuaishou = "kuaishou",
        /// A partner platform (named in the label).
        Partner = "partner",
        /// A printed poster.
        Poster = "poster",
    }
}

text_enum! {
    /// Where an event stands.
    #[schema(as = PublicEventState)]
    State {
        /// Taking registrations until its deadline, and check-ins.
        Open = "open",
        /// Over, with its figures filed.
        Finished = "finished",
        /// Called off.
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// Where a registration stands.
    #[schema(as = RegistrationStatus)]
    Status {
        /// Has a place.
        Confirmed = "confirmed",
        /// On the waiting list.
        Waitlisted = "waitlisted",
        /// Cancelled by the registrant.
        Cancelled = "cancelled",
    }
}

/// Places an event may have.
pub const MAX_CAPACITY: i64 = 100_000;

/// Registrations one address may make in an hour.
pub const REGISTRATIONS_PER_HOUR: i64 = 20;

/// The channels an event is advertised on from the start.
pub const FIRST_CHANNELS: &[Channel] = &[Channel::Site, Channel::Weibo, Channel::Wechat, Channel::Douyin];

/// Whether a role organises public events (sets them up, adds channels, finishes or calls them off).
pub fn may_organise(role: Role) -> bool {
    role.is_fire_staff()
}

/// Whether a role checks tickets at the door (in the event's area).
pub fn may_check_in(role: Role) -> bool {
    may_organise(role) || matches!(role, Role::CommunityWorker | Role::Volunteer)
}

/// Checks an event's times: it ends after it starts, and registration closes by its end.
pub fn check_times(starts_at: OffsetDateTime, ends_at: OffsetDateTime, closes_at: OffsetDateTime) -> Result<()> {
    if ends_at <= starts_at {
        return Err(Error::invalid("ends_at", "error.event_ends_early"));
    }
    if closes_at > ends_at {
        return Err(Error::invalid("closes_at", "error.registration_closes_late"));
    }
    Ok(())
}

/// The figures of an event: registrations by status, check-ins and no-shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Figures {
    /// With a place.
    pub confirmed: i64,
    /// On the waiting list.
    pub waitlisted: i64,
    /// Cancelled.
    pub cancelled: i64,
    /// Checked in at the door.
    pub checked_in: i64,
}

impl Figures {
    /// Everyone who registered and did not cancel (what the campaign counts as registrations).
    pub fn registered(&self) -> i64 {
        self.confirmed + self.waitlisted
    }

    /// Confirmed but not checked in: no-shows once the event is over.
    pub fn not_arrived(&self) -> i64 {
        self.confirmed - self.checked_in
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn enums_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
            assert!(crate::activity::parse_kind(k.activity_kind()).is_ok(), "{k}");
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn times_and_roles() {
        let (a, b) = (datetime!(2026-11-20 01:00 UTC), datetime!(2026-11-20 05:00 UTC));
        assert!(check_times(a, b, a).is_ok());
        assert!(check_times(b, a, a).is_err());
        assert!(check_times(a, b, b + time::Duration::minutes(1)).is_err());
        assert!(may_organise(Role::BrigadeStaff) && !may_organise(Role::Volunteer));
        assert!(may_check_in(Role::Volunteer) && !may_check_in(Role::Leader));
        let f = Figures { confirmed: 10, waitlisted: 3, cancelled: 2, checked_in: 7 };
        assert_eq!((f.registered(), f.not_arrived()), (13, 3));
    }
}
