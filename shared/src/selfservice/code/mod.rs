//! The `code` method of the verification and recovery flows: a six-digit code sent to the
//! address, typed back into the flow (or carried by the link in the message, which
//! pre-fills it). The code itself is a [`crate::flow::challenge`] of the flow.

mod recovery;
mod verification;

use serde_json::Value;

use crate::flow::challenge::CODE_LENGTH;
use crate::ui::{InputType, UiNode, UiNodeGroup, UiText, method_button, text};

/// The code method. Stateless.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeStrategy;

impl CodeStrategy {
    pub const METHOD: &'static str = "code";
}

/// The `code` input, labelled `label`.
pub(crate) fn code_node(label: UiText) -> UiNode {
    UiNode::input("code", InputType::Text, UiNodeGroup::Code, None)
        .with_required()
        .with_label(label)
}

/// The recovery `code` input, which also says it is six digits.
pub(crate) fn recovery_code_node() -> UiNode {
    code_node(text::label_recovery_code())
        .with_pattern("[0-9]+")
        .with_maxlength(CODE_LENGTH as u32)
}

/// The hidden `method=code` that keeps a resend (which submits `email`) on this method.
pub(crate) fn hidden_method_node() -> UiNode {
    UiNode::input(
        "method",
        InputType::Hidden,
        UiNodeGroup::Code,
        Some(Value::String(CodeStrategy::METHOD.into())),
    )
}

/// The `method=code` submit button ("Continue").
pub(crate) fn submit_node() -> UiNode {
    method_button(
        CodeStrategy::METHOD,
        UiNodeGroup::Code,
        text::label_continue(),
    )
}

/// The button that sends a new code to `address` ("Send a new code").
pub(crate) fn resend_node(address: &str) -> UiNode {
    UiNode::input(
        "email",
        InputType::Submit,
        UiNodeGroup::Code,
        Some(Value::String(address.to_owned())),
    )
    .with_label(text::label_resend_otp())
}
