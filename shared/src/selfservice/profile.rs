//! The `profile` method: the first step of two-step registration (traits before
//! credentials) and changing traits in settings.

use serde_json::Value;

use crate::app::App;
use crate::config::Config;
use crate::flow::FlowType;
use crate::flow::store::StoredFlow;
use crate::identity::{CredentialsType, Identity};
use crate::selfservice::registration::{
    RegisterStep, RegistrationFlow, RegistrationStrategy, STEP_ONE_NODES, STEP_TWO_NODES,
    step_nodes, two_steps,
};
use crate::selfservice::{
    SubmitContext, SubmitError, Submission, restore_traits, submitted_traits,
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

    fn group(&self) -> UiNodeGroup {
        UiNodeGroup::Profile
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
