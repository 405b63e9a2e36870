//! How identity operations fail. No HTTP here: `crate::http` maps these to Kratos's errors.

use crate::ids::IdentityId;
use crate::schema::Violation;
use crate::store::StoreError;

use super::model::Claim;

/// Why creating, reading, validating, updating or deleting an identity failed.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// No identity has this ID.
    #[error("identity {0} not found")]
    NotFound(IdentityId),
    /// Another identity holds an identifier or address this one needs. Nothing was written.
    /// `holder` is the identity that held the claim when the write failed, if it still did
    /// when looked up.
    #[error("{claim} is already taken")]
    Conflict {
        claim: Claim,
        holder: Option<IdentityId>,
    },
    /// An identity with this ID exists already (creating a stored identity twice).
    #[error("identity {0} exists already")]
    DuplicateId(IdentityId),
    /// The identity changed since it was read (or is being changed concurrently). Nothing
    /// was written; read it again and retry.
    #[error("identity {0} was changed concurrently")]
    Stale(IdentityId),
    /// The traits do not satisfy the identity schema (or its `ory.sh/kratos` extension).
    #[error("the traits are invalid: {} violation(s)", .0.len())]
    Validation(Vec<Violation>),
    /// The identity names a schema that is not configured.
    #[error("identity schema `{0}` is not configured")]
    UnknownSchema(String),
    /// The identity is too big to store: too many identifiers and addresses for one atomic
    /// write, an identifier or address too long for a key, or a document over the item
    /// size limit. Nothing was written.
    #[error("the identity is too large to store: {0}")]
    TooLarge(String),
    /// The identity holds a value that cannot be stored (an empty identifier).
    #[error("the identity is invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why listing identities failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// More IDs than the `ids` filter accepts.
    #[error("the number of ids to filter must not exceed {max}, got {given}")]
    TooManyIds { given: usize, max: usize },
    /// `credentials_identifier` and `preview_credentials_identifier_similar` together.
    #[error(
        "cannot filter by credentials_identifier and preview_credentials_identifier_similar at once"
    )]
    ConflictingIdentifierFilters,
    /// The cursor does not belong to this kind of listing.
    #[error("the page cursor does not belong to this listing")]
    InvalidCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}
