//! Verifying an address with a link: `email` sends it, and following it (`GET
//! ?flow=&token=`) verifies the address.
//!
//! Kratos's link method sends e-mail only; here an SMS address gets its link by SMS (the
//! `verification_valid` SMS template), so phone numbers can be verified with either method.

use super::{LinkStrategy, submit_node};
use crate::config::Config;
use crate::flow::FlowState;
use crate::flow::challenge::ChallengeKind;
use crate::flow::store::StoredFlow;
use crate::selfservice::out_of_band::{
    RedirectRule, RetryAnswer, email_node, enforce_csrf, refuse_with_email, submitted_email,
};
use crate::selfservice::verification::{
    self, Step, Submitted, VerificationFlow, VerificationStrategy,
};
use crate::selfservice::{FieldMessage, Submission, SubmitContext, SubmitError};
use crate::ui::{UiNodeGroup, text};

#[async_trait::async_trait]
impl VerificationStrategy for LinkStrategy {
    fn id(&self) -> &'static str {
        Self::METHOD
    }

    fn group(&self) -> UiNodeGroup {
        UiNodeGroup::Link
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.link.enabled
    }

    fn challenge_kind(&self) -> ChallengeKind {
        ChallengeKind::Link
    }

    fn populate(&self, flow: &mut VerificationFlow, csrf_token: &str) {
        let ui = &mut flow.common.ui;
        ui.set_csrf(csrf_token);
        ui.upsert(email_node(UiNodeGroup::Link, None));
        ui.append(submit_node());
    }

    fn populate_sent(&self, flow: &mut VerificationFlow, csrf_token: &str) {
        // The same form: sending again is how a user asks for a new link.
        if flow.common.ui.node("email").is_none() {
            self.populate(flow, csrf_token);
        }
        flow.common.state = FlowState::SentEmail;
    }

    async fn verify(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<VerificationFlow>,
        submission: &Submission,
        submitted: Submitted,
    ) -> Result<Step, SubmitError> {
        let token = submission
            .optional_string("token")?
            .filter(|t| !t.is_empty());
        if let Some(token) = token
            && (submitted == Submitted::Link || submission.method().is_none())
        {
            return verification::use_challenge(
                ctx,
                stored,
                ChallengeKind::Link,
                token,
                UiNodeGroup::Link,
            )
            .await;
        }
        if submission.optional_string("method")? != Some(Self::METHOD) {
            return Err(SubmitError::NotResponsible);
        }
        let payload = submission.transient_payload()?;
        stored.flow.common.transient_payload = payload;
        let email = match submitted_email(submission) {
            Ok(email) => email,
            Err(message) => {
                return Err(refuse_with_email(
                    ctx,
                    stored,
                    submission,
                    UiNodeGroup::Link,
                    message,
                ));
            }
        };
        match stored.flow.common.state {
            FlowState::ChooseMethod | FlowState::SentEmail => {}
            FlowState::PassedChallenge => {
                return verification::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::verification_retry_success(),
                    RetryAnswer::FetchRedirect,
                )
                .await;
            }
            FlowState::ShowForm | FlowState::Success => {
                return verification::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::verification_state_failure(),
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
                UiNodeGroup::Link,
                message,
            ));
        };
        enforce_csrf(ctx, stored, submission, UiNodeGroup::Link)?;
        let flow = &mut stored.flow;
        flow.common.ui.set_csrf(&ctx.form_csrf_token);
        flow.common
            .ui
            .upsert(email_node(UiNodeGroup::Link, Some(&email)));
        flow.active = Some(Self::METHOD.to_owned());
        flow.common.state = FlowState::SentEmail;
        flow.common.ui.reset_messages(&[]);
        flow.common.ui.add_message(text::verification_email_sent());
        verification::send_to_address(ctx, stored, self, &email).await?;
        Ok(Step::Show(RedirectRule::BrowserNavigation))
    }
}
