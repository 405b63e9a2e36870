//! Verifying an address with a code: `email` sends one (again, on resend), `code` uses it,
//! and following the message's link (`GET ?flow=&code=`) pre-fills it in the UI.

use super::{CodeStrategy, code_node, hidden_method_node, resend_node, submit_node};
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
impl VerificationStrategy for CodeStrategy {
    fn id(&self) -> &'static str {
        Self::METHOD
    }

    fn group(&self) -> UiNodeGroup {
        UiNodeGroup::Code
    }

    fn enabled(&self, config: &Config) -> bool {
        config.selfservice.methods.code.enabled
    }

    fn challenge_kind(&self) -> ChallengeKind {
        ChallengeKind::Code
    }

    fn populate(&self, flow: &mut VerificationFlow, csrf_token: &str) {
        let ui = &mut flow.common.ui;
        ui.append(email_node(UiNodeGroup::Code, None));
        ui.append(submit_node());
        if !csrf_token.is_empty() {
            ui.set_csrf(csrf_token);
        }
    }

    fn populate_sent(&self, flow: &mut VerificationFlow, csrf_token: &str) {
        let ui = &mut flow.common.ui;
        ui.nodes.clear();
        ui.reset_messages(&[]);
        ui.append(hidden_method_node());
        ui.append(code_node(text::label_verification_code()));
        ui.append(submit_node());
        if !csrf_token.is_empty() {
            ui.set_csrf(csrf_token);
        }
        ui.add_message(text::verification_email_with_code_sent());
        flow.common.state = FlowState::SentEmail;
    }

    async fn verify(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<VerificationFlow>,
        submission: &Submission,
        submitted: Submitted,
    ) -> Result<Step, SubmitError> {
        let code = submission
            .optional_string("code")?
            .filter(|c| !c.is_empty());
        let method = submission.optional_string("method")?;
        // A bare code (e.g. from the message's link) is meant for this method.
        if method.or(code.map(|_| Self::METHOD)) != Some(Self::METHOD) {
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
                    UiNodeGroup::Code,
                    message,
                ));
            }
        };
        match stored.flow.common.state {
            FlowState::PassedChallenge => {
                return verification::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::verification_retry_success(),
                    RetryAnswer::Replaced,
                )
                .await;
            }
            FlowState::ChooseMethod | FlowState::SentEmail => {}
            FlowState::ShowForm | FlowState::Success => {
                return verification::retry(
                    ctx,
                    stored,
                    stored.flow.common.flow_type,
                    text::verification_state_failure(),
                    RetryAnswer::Replaced,
                )
                .await;
            }
        }
        if let Some(code) = code {
            return match submitted {
                Submitted::Link => self.follow_link(ctx, stored, code).await,
                Submitted::Form => {
                    verification::use_challenge(
                        ctx,
                        stored,
                        ChallengeKind::Code,
                        code,
                        UiNodeGroup::Code,
                    )
                    .await
                }
            };
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
        enforce_csrf(ctx, stored, submission, UiNodeGroup::Code)?;
        let csrf_token = ctx.form_csrf_token.clone();
        // Sending moves the flow on; the form is that of a sent code plus a resend button.
        self.populate_sent(&mut stored.flow, &csrf_token);
        stored.flow.common.ui.append(resend_node(&email));
        verification::send_to_address(ctx, stored, self, &email).await?;
        Ok(Step::Show(RedirectRule::BrowserNavigation))
    }
}

impl CodeStrategy {
    /// The message's link was followed: the code is put into the form, and the browser
    /// (which may not be the one that started the flow) gets the flow's anti-CSRF token
    /// so it can go on.
    async fn follow_link(
        &self,
        ctx: &SubmitContext<'_>,
        stored: &mut StoredFlow<VerificationFlow>,
        code: &str,
    ) -> Result<Step, SubmitError> {
        let ui = &mut stored.flow.common.ui;
        ui.set_value("code", serde_json::Value::String(code.to_owned()));
        if !ctx.form_csrf_token.is_empty() {
            ui.set_csrf(&ctx.form_csrf_token);
            stored.csrf_token = Some(ctx.form_csrf_token.clone());
        }
        verification::save(ctx.app, stored).await?;
        Ok(Step::ShowInUi)
    }
}
