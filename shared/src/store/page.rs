//! Sealed page tokens.
//!
//! A page token is a [`PageCursor`] bound to the listing it came from, encrypted and
//! authenticated with the deployment's cipher secrets. Clients cannot read it or forge one
//! (Kratos advisory GHSA-hgx2-28f8-6g2r was about forged tokens), and a token from one
//! listing is refused by every other.

use serde::{Deserialize, Serialize};

use crate::crypto::Sealer;

/// A position in an index: the keys of the last item a page returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    #[serde(rename = "ip")]
    pub index_pk: String,
    #[serde(rename = "is")]
    pub index_sk: String,
    pub pk: String,
    pub sk: String,
}

#[derive(Serialize, Deserialize)]
struct SealedCursor {
    /// The listing this token belongs to.
    #[serde(rename = "s")]
    scope: String,
    #[serde(rename = "c")]
    cursor: PageCursor,
}

/// Why a page token was refused. Callers answer 400 and run no query.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageTokenError {
    #[error("the page token is invalid")]
    Invalid,
    #[error("the page token belongs to another listing")]
    WrongListing,
}

/// Seals and opens page tokens.
#[derive(Debug, Clone)]
pub struct PageTokens {
    sealer: Sealer,
}

impl PageTokens {
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Self {
        Self {
            sealer: Sealer::new("page-token", secrets),
        }
    }

    /// `scope` names the listing, including any filter that changes the result set.
    pub fn seal(&self, scope: &str, cursor: &PageCursor) -> String {
        let payload = SealedCursor {
            scope: scope.to_owned(),
            cursor: cursor.clone(),
        };
        let json = serde_json::to_vec(&payload).expect("a cursor always serialises");
        self.sealer.seal(&json)
    }

    pub fn open(&self, scope: &str, token: &str) -> Result<PageCursor, PageTokenError> {
        let json = self
            .sealer
            .open(token)
            .map_err(|_| PageTokenError::Invalid)?;
        let payload: SealedCursor =
            serde_json::from_slice(&json).map_err(|_| PageTokenError::Invalid)?;
        if payload.scope != scope {
            return Err(PageTokenError::WrongListing);
        }
        Ok(payload.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> PageCursor {
        PageCursor {
            index_pk: "IDNS".into(),
            index_sk: "a".into(),
            pk: "IDN#a".into(),
            sk: "IDN".into(),
        }
    }

    #[test]
    fn a_token_round_trips_within_its_listing() {
        let tokens = PageTokens::new(&["s"]);
        let token = tokens.seal("identities", &cursor());
        assert_eq!(tokens.open("identities", &token).unwrap(), cursor());
        assert!(!token.contains("IDN"), "tokens are opaque");
    }

    #[test]
    fn a_token_from_another_listing_is_refused() {
        let tokens = PageTokens::new(&["s"]);
        let token = tokens.seal("identities", &cursor());
        assert_eq!(
            tokens.open("sessions", &token),
            Err(PageTokenError::WrongListing)
        );
    }

    #[test]
    fn a_token_sealed_with_another_secret_is_refused() {
        let token = PageTokens::new(&["a"]).seal("identities", &cursor());
        assert_eq!(
            PageTokens::new(&["b"]).open("identities", &token),
            Err(PageTokenError::Invalid)
        );
    }
}
