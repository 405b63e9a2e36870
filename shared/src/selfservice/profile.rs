//! The `profile` method: the first step of two-step registration (traits before
//! credentials) and changing traits in settings.

use serde_json::{Value, json};

use crate::app::App;
use crate::config::Config;
use crate::flow::FlowType;
use crate::flow::store::StoredFlow;
use crate::identity::{CredentialsType, Identity};
use crate::selfservice::registration::{
    RegisterStep, RegistrationFlow, RegistrationStrategy, STEP_ONE_NODES, STEP_TWO_NODES,
    step_nodes, two_steps,
};
use crate::selfservice::settings::{SettingsFlow, SettingsStrategy, is_privileged, pause};
use crate::selfservice::{
    CurrentSession, Submission, SubmitContext, SubmitError, restore_traits, submitted_traits,
};
use crate::ui::{InputType, UiNode, UiNodeGroup, method_button, text, trait_nodes};

/// The profile method. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileStrategy;

impl ProfileStrategy {
    pub const METHOD: &'static str = "profile";
}

/// `screen` values of two-step registration.
const SCREEN_CREDENTIAL_SELECTION: &str = "credential-selection";
const SCREEN_PREVIOUS: &str = "previous";

#[async_trait::async_trait]
impl RegistrationStrategy for ProfileStrategy {
    fn id(&self) -> CredentialsType {
        CredentialsType::Profile
    }

    /// Only two-step registration uses the profile method (as in Kratos, whatever
    /// `selfservice.methods.profile.enabled` says).
    fn enabled(&self, config: &Config) -> bool {
        two_steps(config)
    }

    fn populate(&self, app: &App, flow: &mut RegistrationFlow, csrf_token: &str) {
        let ui = &mut flow.common.ui;
        for node in trait_nodes(app.schemas.default_schema(), UiNodeGroup::Default) {
            ui.upsert(node);
        }
        ui.set_csrf(csrf_token);
        ui.append(method_button(
            Self::METHOD,
            UiNodeGroup::Profile,
            text::registration(),
        ));
    }

    async fn register(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<RegistrationFlow>,
        submission: &Submission,
        _identity: &mut Identity,
    ) -> Result<RegisterStep, SubmitError> {
        let screen = submission.get("screen").and_then(Value::as_str);
        let method = submission.method();
        if method == Some(Self::METHOD) || screen == Some(SCREEN_CREDENTIAL_SELECTION) {
            self.show_credentials_step(ctx, stored, submission).await
        } else if screen == Some(SCREEN_PREVIOUS) || method == Some("profile:back") {
            show_traits_step(stored, submission)
        } else {
            Err(SubmitError::NotResponsible)
        }
    }
}

impl ProfileStrategy {
    /// Validates the traits and moves the flow to the credential step: the other methods'
    /// nodes, the traits as hidden inputs, a message asking to choose, and a back button.
    async fn show_credentials_step(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<RegistrationFlow>,
        submission: &Submission,
    ) -> Result<RegisterStep, SubmitError> {
        let traits = submitted_traits(submission);
        let checked = self.check_traits(ctx, submission, &traits);
        if checked.is_err() {
            restore_traits(&mut stored.flow.common.ui, &traits);
            if stored.flow.common.flow_type == FlowType::Browser {
                stored.flow.common.ui.set_csrf(&ctx.form_csrf_token);
            }
        }
        checked?;
        let nodes = step_nodes(stored, STEP_TWO_NODES).unwrap_or_default();
        let flow = &mut stored.flow;
        flow.active = None;
        flow.common.state = crate::flow::FlowState::ChooseMethod;
        flow.common.transient_payload = submission.transient_payload()?;
        let ui = &mut flow.common.ui;
        ui.reset_messages(&[]);
        ui.nodes = nodes;
        ui.add_message(text::registration_choose_credentials());
        ui.append(
            UiNode::input(
                "screen",
                InputType::Submit,
                UiNodeGroup::Profile,
                Some(Value::String(SCREEN_PREVIOUS.into())),
            )
            .with_label(text::registration_back()),
        );
        ui.update_values_from_json(&traits, "traits", UiNodeGroup::Default);
        for node in &mut ui.nodes {
            if node.group == UiNodeGroup::Default
                && let Some(input) = node.input_attributes_mut()
            {
                input.input_type = InputType::Hidden;
            }
        }
        if stored.flow.common.flow_type == FlowType::Browser {
            stored.flow.common.ui.set_csrf(&ctx.form_csrf_token);
        }
        Ok(RegisterStep::ShowForm)
    }

    fn check_traits(
        &self,
        ctx: &SubmitContext<'_>,
        submission: &Submission,
        traits: &Value,
    ) -> Result<(), SubmitError> {
        let mut messages = Vec::new();
        if let Err(message) = submission.optional_object("traits") {
            messages.push(message);
        }
        if let Err(message) = submission.transient_payload() {
            messages.push(message);
        }
        if !messages.is_empty() {
            return Err(SubmitError::Form(messages));
        }
        ctx.csrf.enforce()?;
        let mut candidate = Identity::new(ctx.app.schemas.default_id(), traits.clone(), ctx.now);
        candidate.validate(&ctx.app.schemas, ctx.now)?;
        Ok(())
    }
}

/// Back to the traits step, keeping what was typed.
fn show_traits_step(
    stored: &mut StoredFlow<RegistrationFlow>,
    submission: &Submission,
) -> Result<RegisterStep, SubmitError> {
    let traits = submitted_traits(submission);
    let nodes = step_nodes(stored, STEP_ONE_NODES).unwrap_or_default();
    let ui = &mut stored.flow.common.ui;
    ui.reset_messages(&[]);
    ui.nodes = nodes;
    ui.update_values_from_json(&traits, "traits", UiNodeGroup::Default);
    Ok(RegisterStep::ShowForm)
}

#[async_trait::async_trait]
impl SettingsStrategy for ProfileStrategy {
    fn id(&self) -> &'static str {
        Self::METHOD
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.profile.enabled
    }

    fn populate(&self, app: &App, identity: &Identity, flow: &mut SettingsFlow, csrf_token: &str) {
        let schema = app
            .schemas
            .get(&identity.schema_id)
            .unwrap_or_else(|| app.schemas.default_schema());
        let ui = &mut flow.common.ui;
        for node in trait_nodes(schema, UiNodeGroup::Profile) {
            ui.upsert(node);
        }
        ui.set_csrf(csrf_token);
        ui.update_values_from_json(&identity.traits, "traits", UiNodeGroup::Profile);
        ui.append(method_button(
            Self::METHOD,
            UiNodeGroup::Profile,
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
        let traits = match submission.optional_object("traits") {
            Ok(Some(traits)) => Value::Object(traits.clone()),
            Ok(None) => {
                return Err(SubmitError::field(
                    "traits",
                    text::validation_required("traits"),
                ));
            }
            Err(message) => return Err(message.into()),
        };
        stored.flow.common.transient_payload = submission.transient_payload()?;
        ctx.csrf.enforce()?;
        let ui = &mut stored.flow.common.ui;
        ui.nodes.retain(|n| !n.id().starts_with("traits."));
        let schema = ctx
            .app
            .schemas
            .get(&identity.schema_id)
            .unwrap_or_else(|| ctx.app.schemas.default_schema());
        for node in trait_nodes(schema, UiNodeGroup::Profile) {
            ui.upsert(node);
        }
        ui.update_values_from_json(&traits, "traits", UiNodeGroup::Profile);
        let original = identity.clone();
        identity.traits = traits.clone();
        identity.validate(&ctx.app.schemas, ctx.now)?;
        if changes_protected_fields(&original, identity)
            && !is_privileged(ctx.app, current, ctx.now)
        {
            if stored.flow.common.flow_type == FlowType::Browser && !ctx.wants_json {
                pause(stored, Self::METHOD, json!({ "traits": traits }), ctx.now);
            }
            return Err(SubmitError::RefreshRequired);
        }
        Ok(())
    }

    async fn resume(
        &self,
        ctx: &SubmitContext<'_>,
        data: &Value,
        identity: &mut Identity,
    ) -> Result<(), SubmitError> {
        identity.traits = data.get("traits").cloned().unwrap_or(Value::Null);
        identity.validate(&ctx.app.schemas, ctx.now)?;
        Ok(())
    }
}

/// Whether an identity change touches what Kratos protects: credential identifiers and
/// verifiable addresses.
fn changes_protected_fields(original: &Identity, updated: &Identity) -> bool {
    let identifiers = |i: &Identity| {
        i.credentials
            .iter()
            .map(|(t, c)| (*t, c.identifiers.clone()))
            .collect::<Vec<_>>()
    };
    let addresses = |i: &Identity| {
        i.verifiable_addresses
            .iter()
            .map(|a| (a.via, a.value.clone()))
            .collect::<Vec<_>>()
    };
    identifiers(original) != identifiers(updated) || addresses(original) != addresses(updated)
}
