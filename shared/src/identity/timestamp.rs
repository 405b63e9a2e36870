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

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    let text = String::deserialize(deserializer)?;
    OffsetDateTime::parse(&text, &Rfc3339)
        .map(truncate)
        .map_err(serde::de::Error::custom)
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
        text.map(|text| {
            OffsetDateTime::parse(&text, &Rfc3339)
                .map(truncate)
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}
