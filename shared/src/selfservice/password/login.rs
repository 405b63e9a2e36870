//! Signing in with an identifier and a password.
//!
//! An unknown identifier, an identity without a password and a wrong password all answer
//! the same message (4000006) after the same work: one password verification of the
//! configured cost (a dummy one when there is no hash to check) and two reads (a dummy
//! identity read stands in for the identity an unknown identifier does not have).

use serde_json::Value;

use super::{PasswordStrategy, hashed_password, password_config};
use crate::app::App;
use crate::config::Config;
use crate::flow::store::StoredFlow;
use crate::hash;
use crate::identity::{CredentialsType, Identity};
use crate::ids::IdentityId;
use crate::secret::Secret;
use crate::selfservice::login::{Authenticated, LoginFlow, LoginPurpose, LoginStrategy};
use crate::selfservice::{FieldMessage, Submission, SubmitContext, SubmitError};
use crate::session::{Aal, AuthenticationMethod};
use crate::ui::{
    InputType, PasswordPurpose, UiNode, UiNodeGroup, identifier_label, identifier_node,
    method_button, password_node, text,
};

#[async_trait::async_trait]
impl LoginStrategy for PasswordStrategy {
    fn id(&self) -> CredentialsType {
        CredentialsType::Password
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.password.enabled
    }

    fn populate(
        &self,
        app: &App,
        flow: &mut LoginFlow,
        _csrf_token: &str,
        purpose: LoginPurpose<'_>,
    ) {
        let ui = &mut flow.common.ui;
        match purpose {
            LoginPurpose::FirstFactor => {
                ui.upsert(identifier_node(
                    identifier_label(app.schemas.default_schema()),
                    "",
                ));
                ui.upsert(password_node(PasswordPurpose::Current));
                ui.append(method_button(
                    Self::METHOD,
                    UiNodeGroup::Password,
                    text::login_password(),
                ));
            }
            LoginPurpose::Refresh(identity) => {
                // Only an identity that can sign in with a password is asked for one.
                let Some(identifier) = hashed_password(identity).and_then(|_| {
                    identity
                        .credentials(CredentialsType::Password)
                        .and_then(|c| c.identifiers.first().cloned())
                }) else {
                    return;
                };
                ui.upsert(UiNode::input(
                    "identifier",
                    InputType::Hidden,
                    UiNodeGroup::Default,
                    Some(Value::String(identifier)),
                ));
                ui.upsert(password_node(PasswordPurpose::Current));
                ui.append(method_button(
                    Self::METHOD,
                    UiNodeGroup::Password,
                    text::login(),
                ));
            }
            LoginPurpose::SecondFactor(_) => {}
        }
    }

    async fn login(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<LoginFlow>,
        submission: &Submission,
    ) -> Result<Authenticated, SubmitError> {
        if submission.method() != Some(Self::METHOD) || stored.flow.requested_aal != Aal::Aal1 {
            return Err(SubmitError::NotResponsible);
        }
        let submitted_identifier = submission
            .get("identifier")
            .or_else(|| submission.get("password_identifier"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let result = self.authenticate(ctx, stored, submission).await;
        if result.is_err() {
            let ui = &mut stored.flow.common.ui;
            ui.reset_nodes(&["password"]);
            ui.set_value("identifier", Value::String(submitted_identifier));
        }
        result
    }
}

impl PasswordStrategy {
    async fn authenticate(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<LoginFlow>,
        submission: &Submission,
    ) -> Result<Authenticated, SubmitError> {
        let app = ctx.app;
        let mut messages = Vec::new();
        // `password_identifier` is the deprecated name of `identifier`.
        let identifier_field = if submission.get("identifier").is_none()
            && submission.get("password_identifier").is_some()
        {
            "password_identifier"
        } else {
            "identifier"
        };
        let identifier = submission
            .required_string(identifier_field)
            .map_err(|m| FieldMessage {
                field: Some("identifier".into()),
                message: m.message,
            });
        let password = submission.required_string("password");
        let payload = submission.transient_payload();
        for error in [
            identifier.as_ref().err(),
            password.as_ref().err(),
            payload.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        {
            messages.push(error.clone());
        }
        if !messages.is_empty() {
            return Err(SubmitError::Form(messages));
        }
        let (Ok(identifier), Ok(password), Ok(payload)) = (identifier, password, payload) else {
            return Err(SubmitError::Form(messages));
        };
        stored.flow.common.transient_payload = payload;
        ctx.csrf.enforce()?;
        let password = Secret::new(password);
        let store = app.identities();
        let found = store
            .find_by_identifier(CredentialsType::Password, identifier)
            .await?;
        let invalid = || SubmitError::form(text::validation_invalid_credentials());
        let Some(mut identity) = found else {
            // The read an existing identity would have cost, so the answer takes as long.
            let _ = store.get(IdentityId::new()).await;
            app.hasher.verify_dummy_async(password).await;
            return Err(invalid());
        };
        let Some(stored_hash) = hashed_password(&identity).map(str::to_owned) else {
            app.hasher.verify_dummy_async(password).await;
            return Err(invalid());
        };
        match hash::verify_async(password.clone(), stored_hash.clone()).await {
            Ok(true) => {}
            Ok(false) => return Err(invalid()),
            Err(error) => {
                tracing::warn!(identity.id = %identity.id, error = %error, "a stored password hash cannot be verified");
                return Err(invalid());
            }
        }
        let identity_changed = app.hasher.needs_rehash(&stored_hash)
            && self.rehash(ctx, &mut identity, password).await;
        Ok(Authenticated {
            identity,
            method: AuthenticationMethod::first_factor(CredentialsType::Password, ctx.now),
            identity_changed,
        })
    }

    /// Replaces an imported or outdated hash with one of the configured algorithm. A
    /// failure here must not fail the login: it is logged and the old hash kept.
    async fn rehash(
        &self,
        ctx: &SubmitContext<'_>,
        identity: &mut Identity,
        password: Secret,
    ) -> bool {
        match ctx.app.hasher.hash_async(password).await {
            Ok(hash) => {
                let credentials = identity.upsert_credentials(
                    CredentialsType::Password,
                    password_config(&hash),
                    ctx.now,
                );
                tracing::debug!(
                    identifiers = credentials.identifiers.len(),
                    "rehashing a password on login"
                );
                true
            }
            Err(error) => {
                tracing::warn!(identity.id = %identity.id, error = %error, "could not rehash a password on login");
                false
            }
        }
    }
}
