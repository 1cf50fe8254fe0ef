//! Times are stored in UTC at whole seconds and shown in China Standard Time (UTC+8); dates are
//! read and written `2024-11-08`.

use time::{Date, OffsetDateTime, UtcOffset, format_description::BorrowedFormatItem, macros::format_description};

use crate::{Error, Result};

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

/// Parses a date written `2024-11-08`, naming the field when it is not one.
pub fn parse_date(field: &str, s: &str) -> Result<Date> {
    Date::parse(s.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| Error::invalid(field, crate::i18n::keyed("error.not_a_date", &[s.trim()])))
}

/// Parses a time as people write it in China Standard Time (`2026-11-20 09:30`, a `T` instead of
/// the space, optional seconds) or with an explicit offset (RFC 3339), into UTC at whole seconds.
pub fn parse_time(field: &str, s: &str) -> Result<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(truncate(t.to_offset(time::UtcOffset::UTC)));
    }
    let text = s.replace('T', " ");
    let local =
        time::PrimitiveDateTime::parse(&text, format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"))
            .or_else(|_| {
                time::PrimitiveDateTime::parse(&text, format_description!("[year]-[month]-[day] [hour]:[minute]"))
            })
            .map_err(|_| Error::invalid(field, crate::i18n::keyed("error.not_a_time", &[s])))?;
    Ok(local.assume_offset(CST).to_offset(time::UtcOffset::UTC))
}

/// A time for a `datetime-local` form field, in China Standard Time.
pub fn local_input(t: OffsetDateTime) -> String {
    use time::macros::format_description;
    t.to_offset(CST).format(format_description!("[year]-[month]-[day]T[hour]:[minute]")).unwrap_or_default()
}

/// A date as written in forms and files.
pub fn show_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn times_parse_as_written_in_china() {
        assert_eq!(parse_time("at", "2026-11-20 09:30").unwrap(), datetime!(2026-11-20 01:30 UTC));
        assert_eq!(parse_time("at", "2026-11-20T09:30").unwrap(), datetime!(2026-11-20 01:30 UTC));
        assert_eq!(parse_time("at", "2026-11-20T09:30:15").unwrap(), datetime!(2026-11-20 01:30:15 UTC));
        assert_eq!(parse_time("at", "2026-11-20T09:30:00+08:00").unwrap(), datetime!(2026-11-20 01:30 UTC));
        assert!(parse_time("at", "soon").is_err());
        assert_eq!(local_input(datetime!(2026-11-20 01:30 UTC)), "2026-11-20T09:30");
    }

    #[test]
    fn dates_parse_and_name_the_field() {
        assert_eq!(parse_date("starts_on", "2024-11-01").unwrap(), date!(2024 - 11 - 01));
        let err = parse_date("starts_on", "11/01/2024").unwrap_err();
        assert!(matches!(&err, Error::Invalid { field: Some(f), .. } if f == "starts_on"), "{err:?}");
        assert_eq!(show_date(date!(2024 - 11 - 08)), "2024-11-08");
    }

    #[test]
    fn shows_utc_as_china_standard_time() {
        assert_eq!(show(datetime!(2024-11-07 23:30:15 UTC)), "2024-11-08 07:30");
    }

    #[test]
    fn now_has_no_subseconds() {
        assert_eq!(now().nanosecond(), 0);
    }
}
