//! Times are stored in UTC at whole seconds and shown in China Standard Time (UTC+8).

use time::{OffsetDateTime, UtcOffset, format_description::BorrowedFormatItem, macros::format_description};

/// China Standard Time.
pub const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

const SHOWN: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day] [hour]:[minute]");

/// The current time in UTC, truncated to whole seconds so stored values compare as text too.
pub fn now() -> OffsetDateTime {
    truncate(OffsetDateTime::now_utc())
}

/// The current time in UTC to the millisecond, for timing answers.
pub fn now_ms() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_millisecond(t.millisecond()).unwrap_or(t)
}

/// Today's date in China Standard Time.
pub fn today() -> time::Date {
    OffsetDateTime::now_utc().to_offset(CST).date()
}

/// Drops the sub-second part of a time.
pub fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// A time as people in Jilin read it: `2024-11-08 09:30` in China Standard Time.
pub fn show(t: OffsetDateTime) -> String {
    t.to_offset(CST).format(SHOWN).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn shows_utc_as_china_standard_time() {
        assert_eq!(show(datetime!(2024-11-07 23:30:15 UTC)), "2024-11-08 07:30");
    }

    #[test]
    fn now_has_no_subseconds() {
        assert_eq!(now().nanosecond(), 0);
    }
}
