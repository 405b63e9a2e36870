//! Recovering an account with a code: `email` sends one (again, on resend), `code` uses it.
//! Browser flows check the anti-CSRF token on every submission, except flows an
//! administrator created (their code reaches the user out of band).

use super::{CodeStrategy, hidden_method_node, recovery_code_node, resend_node, submit_node};
use crate::config::Config;
use crate::flow::challenge::ChallengeKind;
use crate::flow::store::StoredFlow;
use crate::flow::{FlowError, FlowKind, FlowState, action_url};
use crate::selfservice::out_of_band::{
    RedirectRule, RetryAnswer, email_node, enforce_csrf, refuse_with_email, submitted_email,
};
use crate::selfservice::recovery::{
    self, RecoveryFlow, RecoveryRequest, RecoveryStrategy, Step, Submitted, skips_csrf,
};
use crate::selfservice::{FieldMessage, Submission, SubmitContext, SubmitError};
use crate::ui::{UiContainer, UiNodeGroup, text};

#[async_trait::async_trait]
impl RecoveryStrategy for CodeStrategy {
    fn id(&self) -> &'static str {
        Self::METHOD
    }

    fn group(&self) -> UiNodeGroup {
        UiNodeGroup::Code
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.code.enabled
    }

    fn populate(&self, flow: &mut RecoveryFlow, csrf_token: &str) {
        let ui = &mut flow.common.ui;
        ui.set_csrf(csrf_token);
        ui.upsert(email_node(UiNodeGroup::Code, None));
        ui.append(submit_node());
    }

    async fn recover(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<RecoveryFlow>,
        submission: &Submission,
        request: RecoveryRequest,
    ) -> Result<Step, SubmitError> {
        if stored.flow.active.as_deref() != Some(Self::METHOD) {
            return Err(SubmitError::NotResponsible);
        }
        if request.submitted == Submitted::Link {
            // Codes are typed into the form, never sent by link: a browser that navigates
            // here is shown the flow.
            return Ok(Step::ShowInUi);
        }
        let code = submission
            .optional_string("code")?
            .unwrap_or_default()
            .to_owned();
        let method = submission.optional_string("method")?.map(str::to_owned);
        let payload = submission.transient_payload()?;
        stored.flow.common.transient_payload = payload;
        let email = match submitted_email(submission) {
            Ok(email) => email,
            Err(message) => {
                return Err(refuse_with_email(
                    ctx,
                    stored,
                    submission,
                    UiNodeGroup::Code,
                    message,
                ));
            }
        };
        if !skips_csrf(stored) {
            enforce_csrf(ctx, stored, submission, UiNodeGroup::Code)?;
        }
        if stored.flow.common.state != FlowState::ChooseMethod && email.is_none() {
            return recovery::use_challenge(ctx, stored, ChallengeKind::Code, &code).await;
        }
        if request.has_session {
            return Err(FlowError::SessionAlreadyAvailable {
                kind: FlowKind::Recovery,
            }
            .into());
        }
        if method.as_deref() != Some(Self::METHOD) {
            return Err(SubmitError::NotResponsible);
        }
        match stored.flow.common.state {
            FlowState::ChooseMethod | FlowState::SentEmail => {}
            FlowState::PassedChallenge => {
                return recovery::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::recovery_retry_success(),
                    RetryAnswer::FetchRedirect,
                )
                .await;
            }
            FlowState::ShowForm | FlowState::Success => {
                return recovery::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::recovery_state_failure(),
                    RetryAnswer::FetchRedirect,
                )
                .await;
            }
        }
        let Some(email) = email else {
            let message = FieldMessage::on("email", text::validation_required("email"));
            return Err(refuse_with_email(
                ctx,
                stored,
                submission,
                UiNodeGroup::Code,
                message,
            ));
        };
        let flow = &mut stored.flow;
        let mut ui = UiContainer::new(action_url(
            &ctx.public_base,
            FlowKind::Recovery,
            flow.common.id,
        ));
        ui.set_csrf(&ctx.form_csrf_token);
        ui.add_message(text::recovery_email_with_code_sent());
        ui.append(recovery_code_node());
        ui.append(hidden_method_node());
        ui.append(submit_node());
        ui.append(resend_node(&email));
        flow.common.ui = ui;
        flow.active = Some(Self::METHOD.to_owned());
        flow.common.state = FlowState::SentEmail;
        recovery::send_to_address(ctx, stored, ChallengeKind::Code, &email).await?;
        Ok(Step::Show(RedirectRule::BrowserFlowUnlessJson))
    }
}
