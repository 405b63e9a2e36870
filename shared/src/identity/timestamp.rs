//! Timestamps as Kratos prints them: RFC 3339 in UTC, fractional seconds without trailing
//! zeros (Go's `RFC3339Nano`), at the microsecond precision Kratos's SQL stores.
//!
//! Use with `#[serde(with = "timestamp")]` or `#[serde(with = "timestamp::option")]`.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// `at` in UTC, cut to whole microseconds, so that what is stored reads back identical.
pub fn truncate(at: OffsetDateTime) -> OffsetDateTime {
    let utc = at.to_offset(UtcOffset::UTC);
    let micros = utc.nanosecond() / 1_000;
    utc.replace_nanosecond(micros * 1_000)
        .expect("whole microseconds are a valid nanosecond value")
}

/// The text form, e.g. `2026-01-02T03:04:05.12Z`.
pub fn format(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .expect("any UTC timestamp formats as RFC 3339")
}

pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*at))
}

/// Reads the text form: RFC 3339 whose UTC instant lies in the years 0 to 9999, the range
/// RFC 3339 can print. (`to_offset` would panic past `time`'s range, and `format` would
/// fail past RFC 3339's, on values a client sent.)
pub fn parse(text: &str) -> Result<OffsetDateTime, String> {
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| e.to_string())?;
    at.checked_to_offset(UtcOffset::UTC)
        .filter(|utc| (0..=9999).contains(&utc.year()))
        .map(truncate)
        .ok_or_else(|| format!("{text:?} is outside the years 0 to 9999 in UTC"))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(serde::de::Error::custom)
}

/// The same for optional timestamps; `None` is `null`.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(
        at: &Option<OffsetDateTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_str(&format(*at)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.map(|text| parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_rfc3339_cannot_print_are_refused_not_panicked_on() {
        for text in ["9999-12-31T23:59:59-01:00", "0000-01-01T00:30:00+01:00"] {
            assert!(parse(text).is_err(), "{text}");
        }
        let edge = parse("9999-12-31T23:59:59.1234567Z").unwrap();
        assert_eq!(format(edge), "9999-12-31T23:59:59.123456Z");
    }
}
