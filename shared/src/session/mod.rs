//! Sessions: what a successful authentication leaves behind, and how a request proves
//! it has one.
//!
//! - [`model`]: the session as stored ([`Session`]) and as the APIs show it ([`SessionView`]).
//! - [`token`]: session tokens (`ory_st_…`, stored as SHA-256 digests) and logout tokens
//!   (`ory_lo_…`, derived with an HMAC, never stored).
//! - [`aal`]: assurance levels, the available one computed from live credentials.
//! - [`store`]: the repository over the single table (whoami is one `BatchGetItem`).
//! - [`manager`]: the use cases the flows and endpoints call.
//!
//! A login flow, for example:
//!
//! ```text
//! let device = http::session::client_device(&headers, &extensions);
//! let method = AuthenticationMethod::first_factor(CredentialsType::Password, app.clock.now());
//! let issued = app.sessions.issue(&identity, method, device).await?;   // 1 PutItem
//! // browser: Set-Cookie from http::session::set_session_cookie(&app, &headers, &issued)
//! // native:  {"session_token": issued.token.expose(), "session": ...}
//! ```

pub mod aal;
mod error;
pub mod manager;
pub mod model;
pub mod store;
pub mod token;

pub use aal::{Aal, AalPolicy, RequiredAal};
pub use error::SessionError;
pub use manager::{IssuedSession, SessionManager, SessionSettings};
pub use model::{AuthenticationMethod, Device, DeviceInfo, Session, SessionView};
pub use store::{
    Extension, MAX_PAGE_SIZE, SessionListQuery, SessionPage, SessionStore, can_extend,
};
pub use token::{LogoutToken, LogoutTokens, SessionToken, TokenDigest};
