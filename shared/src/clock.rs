//! Time as an injected dependency, so expiry paths are testable without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> OffsetDateTime;

    /// Seconds since the Unix epoch; the unit of the table's TTL attribute.
    fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to. For tests.
#[derive(Debug)]
pub struct ManualClock {
    micros: AtomicI64,
}

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            micros: AtomicI64::new((start.unix_timestamp_nanos() / 1000) as i64),
        }
    }

    pub fn advance(&self, by: std::time::Duration) {
        self.micros
            .fetch_add(by.as_micros() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let micros = self.micros.load(Ordering::SeqCst) as i128;
        OffsetDateTime::from_unix_timestamp_nanos(micros * 1000).expect("clock in range")
    }
}
