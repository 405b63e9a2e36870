//! Signing up with a password: traits plus `password`, validated against the identity
//! schema and the password policy, hashed off the async executor.

use serde_json::Value;

use super::{PasswordStrategy, password_config};
use crate::app::App;
use crate::config::Config;
use crate::flow::store::StoredFlow;
use crate::identity::{CredentialsType, Identity};
use crate::secret::Secret;
use crate::selfservice::registration::{RegisterStep, RegistrationFlow, RegistrationStrategy};
use crate::selfservice::{
    Submission, SubmitContext, SubmitError, restore_traits, submitted_traits, violation_messages,
};
use crate::ui::{PasswordPurpose, UiNodeGroup, method_button, password_node, text, trait_nodes};

#[async_trait::async_trait]
impl RegistrationStrategy for PasswordStrategy {
    fn id(&self) -> CredentialsType {
        CredentialsType::Password
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.password.enabled
    }

    fn populate(&self, app: &App, flow: &mut RegistrationFlow, csrf_token: &str) {
        let ui = &mut flow.common.ui;
        for node in trait_nodes(app.schemas.default_schema(), UiNodeGroup::Password) {
            ui.upsert(node);
        }
        ui.set_csrf(csrf_token);
        ui.upsert(password_node(PasswordPurpose::New));
        ui.append(method_button(
            Self::METHOD,
            UiNodeGroup::Password,
            text::registration(),
        ));
    }

    async fn register(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<RegistrationFlow>,
        submission: &Submission,
        identity: &mut Identity,
    ) -> Result<RegisterStep, SubmitError> {
        if submission.method() != Some(Self::METHOD) {
            return Err(SubmitError::NotResponsible);
        }
        let app = ctx.app;
        let traits = submitted_traits(submission);
        let result = self
            .build_identity(ctx, submission, traits.clone(), identity)
            .await;
        if result.is_err() {
            restore_traits(&mut stored.flow.common.ui, &traits);
        }
        result?;
        if let Some(payload) = submission.transient_payload()? {
            stored.flow.common.transient_payload = Some(payload);
        }
        tracing::debug!(flow.id = %stored.id(), schema = %app.schemas.default_id(), "password registration accepted");
        Ok(RegisterStep::Registered)
    }
}

impl PasswordStrategy {
    async fn build_identity(
        &self,
        ctx: &SubmitContext<'_>,
        submission: &Submission,
        traits: Value,
        identity: &mut Identity,
    ) -> Result<(), SubmitError> {
        let app = ctx.app;
        // What Kratos's payload schema reports, all at once: bad traits, a missing password.
        let mut messages = Vec::new();
        if let Err(message) = submission.optional_object("traits") {
            messages.push(message);
        }
        if let Err(message) = submission.transient_payload() {
            messages.push(message);
        }
        let password = match submission.required_string("password") {
            Ok(p) => Some(Secret::new(p)),
            Err(message) => {
                messages.push(message);
                None
            }
        };
        if let Err(violations) = app.schemas.default_schema().validate_traits(&traits) {
            messages.extend(violation_messages(&violations, &traits));
        }
        if !messages.is_empty() {
            return Err(SubmitError::Form(messages));
        }
        ctx.csrf.enforce()?;
        let password = password.unwrap_or_default();
        identity.traits = traits;
        identity.upsert_credentials(CredentialsType::Password, serde_json::json!({}), ctx.now);
        identity.validate(&app.schemas, ctx.now)?;
        let identifiers = super::password_identifiers(identity);
        if identifiers.is_empty() {
            return Err(SubmitError::form(text::validation_identifier_missing()));
        }
        app.password_policy
            .check(&identifiers, &password)
            .await
            .map_err(|violation| SubmitError::field("password", violation.0))?;
        let hash = app.hasher.hash_async(password).await?;
        identity.upsert_credentials(CredentialsType::Password, password_config(&hash), ctx.now);
        Ok(())
    }
}
