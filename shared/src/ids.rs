//! Identifier newtypes, so an identity ID can never be passed where a session ID is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// An identity's ID.
    IdentityId
);
uuid_id!(
    /// A session's ID (not its token).
    SessionId
);
uuid_id!(
    /// A self-service flow's ID.
    FlowId
);
uuid_id!(
    /// A stored self-service error's ID (`GET /self-service/errors?id=`).
    SelfServiceErrorId
);
uuid_id!(
    /// A courier message's ID.
    MessageId
);
uuid_id!(
    /// A verifiable or recovery address's ID.
    AddressId
);
