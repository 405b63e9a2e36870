//! Identities: the domain model, what the identity schema derives from traits, the API
//! views, and the repository over the single table.
//!
//! A typical write path (admin create, registration):
//!
//! ```text
//! let mut identity = Identity::new(schema_id, traits, now);
//! identity.import_addresses(verifiable, recovery, now);      // create bodies only
//! identity.upsert_credentials(CredentialsType::Password, json!({"hashed_password": h}), now);
//! identity.validate(&app.schemas, now)?;                     // traits + derived identifiers/addresses
//! store.create(&mut identity).await?;                        // one atomic write
//! let body = identity.view(schema_url, &ViewOptions::admin_with_credentials(&[], None));
//! ```
//!
//! Updates read, change, re-validate and write back; a concurrent change makes the write
//! fail with `Stale` instead of being lost.
//!
//! [`IdentityManager`] performs the admin API's operations (create from import bodies,
//! batches, replace, JSON Patch, credential removal) on top of the store.

pub(crate) mod derive;
mod error;
pub mod import;
mod manage;
mod model;
pub mod normalize;
pub mod patch;
mod store;
pub mod timestamp;
mod view;

pub use derive::{CodeAddress, Derived, derive};
pub use error::{IdentityError, ListError};
pub use import::{BodyError, CreateIdentityBody, UpdateIdentityBody};
pub use manage::{
    BATCH_LIMIT, BATCH_PLAINTEXT_PASSWORD_LIMIT, BatchError, BatchOutcome, IdentityManager,
    ImportError, PatchIdentityError, RemoveCredentialsError, UPDATE_ATTEMPTS,
};
pub use model::{
    AddressVia, Claim, Credentials, CredentialsType, Identity, IdentityState,
    ImportedRecoveryAddress, ImportedVerifiableAddress, RecoveryAddress, VerifiableAddress,
    VerificationStatus, oidc_identifier,
};
pub use patch::PatchError;
pub(crate) use store::decode_identity as decode_identity_item;
pub use store::{
    DEFAULT_PAGE_SIZE, IdentifierClaim, IdentityPage, IdentityStore, ListQuery,
    MAX_CLAIM_VALUE_BYTES, MAX_CLAIMS, MAX_DOCUMENT_BYTES, MAX_IDS_FILTER, MAX_PAGE_SIZE,
    identity_cursor, owner_tag,
};
pub use view::{CredentialsView, CredentialsVisibility, IdentityView, TokenOpener, ViewOptions};

#[cfg(test)]
mod tests;
