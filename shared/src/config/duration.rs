//! Durations written as Go writes them (`1h`, `15m`, `1h30m`, `500ms`).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoDuration(pub Duration);

impl GoDuration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    pub fn as_duration(&self) -> Duration {
        self.0
    }

    /// As a `time` duration, for timestamp arithmetic.
    pub fn as_time(&self) -> time::Duration {
        time::Duration::try_from(self.0).unwrap_or(time::Duration::MAX)
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed == "0" {
            return Ok(Self(Duration::ZERO));
        }
        humantime::parse_duration(trimmed)
            .map(Self)
            .map_err(|e| format!("`{text}` is not a duration such as 1h or 15m: {e}"))
    }
}

impl fmt::Display for GoDuration {
    /// Go's style: `1h0m0s`, `15m0s`, `500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.0;
        if total < Duration::from_secs(1) {
            return write!(f, "{}ms", total.as_millis());
        }
        let secs = total.as_secs();
        let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
        if h > 0 {
            write!(f, "{h}h{m}m{s}s")
        } else if m > 0 {
            write!(f, "{m}m{s}s")
        } else {
            write!(f, "{s}s")
        }
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        GoDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_style_durations() {
        assert_eq!(
            GoDuration::parse("1h").unwrap().0,
            Duration::from_secs(3600)
        );
        assert_eq!(
            GoDuration::parse("15m").unwrap().0,
            Duration::from_secs(900)
        );
        assert_eq!(
            GoDuration::parse("1h30m").unwrap().0,
            Duration::from_secs(5400)
        );
        assert_eq!(
            GoDuration::parse("500ms").unwrap().0,
            Duration::from_millis(500)
        );
        assert!(GoDuration::parse("soon").is_err());
    }

    #[test]
    fn displays_like_go() {
        assert_eq!(GoDuration::from_secs(3600).to_string(), "1h0m0s");
        assert_eq!(GoDuration::from_secs(900).to_string(), "15m0s");
        assert_eq!(
            GoDuration::parse(&GoDuration::from_secs(5400).to_string()).unwrap(),
            GoDuration::from_secs(5400)
        );
    }
}
