//! Europe/Oslo local time, the one place that knows it: Norway follows the
//! EU rule, CET (UTC+1) in winter and CEST (UTC+2) in summer, summer time
//! running from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
//! last Sunday of October. Staff pages show times with it; the forms that
//! take a date and time read it back with [`from_local`].

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// A moment in Oslo: the local date and time and the zone's abbreviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OsloTime {
    /// The local date and time.
    pub local: PrimitiveDateTime,
    /// `CET` or `CEST`.
    pub zone: &'static str,
}

/// The last Sunday of `month` in `year`, at 01:00 UTC (the EU switch).
fn switch(year: i32, month: Month) -> Option<OffsetDateTime> {
    let last = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    let back = last.weekday().number_days_from_sunday();
    let sunday = last.checked_sub(time::Duration::days(i64::from(back)))?;
    debug_assert_eq!(sunday.weekday(), Weekday::Sunday);
    Some(sunday.with_time(Time::from_hms(1, 0, 0).ok()?).assume_utc())
}

/// Whether summer time (CEST) is in force at `at`.
pub fn is_summer_time(at: OffsetDateTime) -> bool {
    let at = at.to_offset(UtcOffset::UTC);
    match (
        switch(at.year(), Month::March),
        switch(at.year(), Month::October),
    ) {
        (Some(start), Some(end)) => at >= start && at < end,
        _ => false,
    }
}

/// The offset of Oslo from UTC at `at`.
pub fn offset_at(at: OffsetDateTime) -> UtcOffset {
    let hours = if is_summer_time(at) { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// `at` (UNIX seconds) in Oslo; `None` if out of range.
pub fn at(unix: i64) -> Option<OsloTime> {
    let utc = OffsetDateTime::from_unix_timestamp(unix).ok()?;
    let summer = is_summer_time(utc);
    let local = utc.to_offset(offset_at(utc));
    Some(OsloTime {
        local: PrimitiveDateTime::new(local.date(), local.time()),
        zone: if summer { "CEST" } else { "CET" },
    })
}

/// The UNIX time of an Oslo local date and time. A time in the hour the
/// clocks skip in March is read as winter time (so 02:30 is 01:30 UTC); a
/// time in the hour that happens twice in October is read as its first,
/// summer-time occurrence.
pub fn from_local(local: PrimitiveDateTime) -> i64 {
    let summer = local.assume_offset(UtcOffset::from_hms(2, 0, 0).unwrap_or(UtcOffset::UTC));
    if is_summer_time(summer) {
        return summer.unix_timestamp();
    }
    local
        .assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC))
        .unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn shown(unix: i64) -> (String, &'static str) {
        let t = at(unix).unwrap();
        (t.local.to_string(), t.zone)
    }

    #[test]
    fn spring_switch_is_the_last_sunday_of_march_at_one_utc() {
        // 2026: the last Sunday of March is the 29th.
        let before = datetime!(2026-03-29 00:59:59 UTC).unix_timestamp();
        let after = datetime!(2026-03-29 01:00:00 UTC).unix_timestamp();
        assert_eq!(shown(before), ("2026-03-29 1:59:59.0".to_owned(), "CET"));
        assert_eq!(shown(after), ("2026-03-29 3:00:00.0".to_owned(), "CEST"));
    }

    #[test]
    fn autumn_switch_is_the_last_sunday_of_october_at_one_utc() {
        // 2026: the last Sunday of October is the 25th.
        let before = datetime!(2026-10-25 00:59:59 UTC).unix_timestamp();
        let after = datetime!(2026-10-25 01:00:00 UTC).unix_timestamp();
        assert_eq!(shown(before), ("2026-10-25 2:59:59.0".to_owned(), "CEST"));
        assert_eq!(shown(after), ("2026-10-25 2:00:00.0".to_owned(), "CET"));
    }

    #[test]
    fn other_years_switch_on_their_own_sundays() {
        // 2027: 28 March and 31 October; 2024: 31 March and 27 October.
        assert!(!is_summer_time(datetime!(2027-03-28 00:59 UTC)));
        assert!(is_summer_time(datetime!(2027-03-28 01:00 UTC)));
        assert!(is_summer_time(datetime!(2027-10-31 00:59 UTC)));
        assert!(!is_summer_time(datetime!(2027-10-31 01:00 UTC)));
        assert!(is_summer_time(datetime!(2024-03-31 01:00 UTC)));
        assert!(!is_summer_time(datetime!(2024-10-27 01:00 UTC)));
        assert!(!is_summer_time(datetime!(2026-01-15 12:00 UTC)));
        assert!(is_summer_time(datetime!(2026-07-15 12:00 UTC)));
    }

    #[test]
    fn local_times_are_read_back() {
        assert_eq!(
            from_local(datetime!(2026-07-01 14:30)),
            datetime!(2026-07-01 12:30 UTC).unix_timestamp()
        );
        assert_eq!(
            from_local(datetime!(2026-01-10 14:30)),
            datetime!(2026-01-10 13:30 UTC).unix_timestamp()
        );
        // The skipped hour reads as winter time; the doubled hour as summer time.
        assert_eq!(
            from_local(datetime!(2026-03-29 02:30)),
            datetime!(2026-03-29 01:30 UTC).unix_timestamp()
        );
        assert_eq!(
            from_local(datetime!(2026-10-25 02:30)),
            datetime!(2026-10-25 00:30 UTC).unix_timestamp()
        );
    }
}
