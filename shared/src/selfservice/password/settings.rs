//! Changing the password in settings: always a privileged change.

use serde_json::{Value, json};

use super::{PasswordStrategy, password_config, password_identifiers};
use crate::app::App;
use crate::config::Config;
use crate::flow::FlowType;
use crate::flow::store::StoredFlow;
use crate::identity::{CredentialsType, Identity};
use crate::secret::Secret;
use crate::selfservice::settings::{SettingsFlow, SettingsStrategy, is_privileged, pause};
use crate::selfservice::{CurrentSession, Submission, SubmitContext, SubmitError};
use crate::ui::{PasswordPurpose, UiNodeGroup, method_button, password_node, text};

#[async_trait::async_trait]
impl SettingsStrategy for PasswordStrategy {
    fn id(&self) -> &'static str {
        Self::METHOD
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.password.enabled
    }

    fn populate(
        &self,
        _app: &App,
        _identity: &Identity,
        flow: &mut SettingsFlow,
        csrf_token: &str,
    ) {
        let ui = &mut flow.common.ui;
        ui.set_csrf(csrf_token);
        ui.upsert(password_node(PasswordPurpose::New));
        ui.append(method_button(
            Self::METHOD,
            UiNodeGroup::Password,
            text::label_save(),
        ));
    }

    async fn update(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<SettingsFlow>,
        submission: &Submission,
        current: &CurrentSession,
        identity: &mut Identity,
    ) -> Result<(), SubmitError> {
        if submission.method() != Some(Self::METHOD) {
            return Err(SubmitError::NotResponsible);
        }
        let result = self
            .change(ctx, stored, submission, current, identity)
            .await;
        if result.is_err() {
            stored.flow.common.ui.reset_nodes(&["password"]);
        }
        result
    }

    async fn resume(
        &self,
        ctx: &SubmitContext<'_>,
        data: &Value,
        identity: &mut Identity,
    ) -> Result<(), SubmitError> {
        let hash = data
            .get("hashed_password")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                SubmitError::Internal(anyhow::anyhow!("a paused password change has no hash"))
            })?;
        identity.upsert_credentials(CredentialsType::Password, password_config(hash), ctx.now);
        Ok(())
    }
}

impl PasswordStrategy {
    async fn change(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<SettingsFlow>,
        submission: &Submission,
        current: &CurrentSession,
        identity: &mut Identity,
    ) -> Result<(), SubmitError> {
        let app = ctx.app;
        let mut messages = Vec::new();
        let password = submission
            .required_string("password")
            .map_err(|m| messages.push(m))
            .ok();
        if let Err(m) = submission.transient_payload() {
            messages.push(m);
        }
        if !messages.is_empty() {
            return Err(SubmitError::Form(messages));
        }
        let password = Secret::new(password.unwrap_or_default());
        stored.flow.common.transient_payload = submission.transient_payload()?;
        ctx.csrf.enforce()?;
        let privileged = is_privileged(app, current, ctx.now);
        // A browser sent to re-authenticate comes back to a change already validated and
        // hashed, so the password itself never waits in the store.
        let pausable = stored.flow.common.flow_type == FlowType::Browser && !ctx.wants_json;
        if !privileged && !pausable {
            return Err(SubmitError::RefreshRequired);
        }
        if identity.credentials(CredentialsType::Password).is_none() {
            identity.upsert_credentials(CredentialsType::Password, json!({}), ctx.now);
        }
        identity.validate(&app.schemas, ctx.now)?;
        let identifiers = password_identifiers(identity);
        if identifiers.is_empty() {
            return Err(SubmitError::form(text::validation_identifier_missing()));
        }
        app.password_policy
            .check(&identifiers, &password)
            .await
            .map_err(|violation| SubmitError::field("password", violation.0))?;
        let hash = app.hasher.hash_async(password).await?;
        if !privileged {
            pause(
                stored,
                Self::METHOD,
                json!({ "hashed_password": hash }),
                ctx.now,
            );
            return Err(SubmitError::RefreshRequired);
        }
        identity.upsert_credentials(CredentialsType::Password, password_config(&hash), ctx.now);
        Ok(())
    }
}
