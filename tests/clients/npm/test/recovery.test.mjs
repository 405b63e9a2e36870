// Verification and recovery by code, with the codes read back through CourierApi (the
// server runs with --dev, so message bodies are visible), and the admin recovery code.
import assert from "node:assert/strict";
import { test } from "node:test";
import { courier, expectError, frontend, identityAdmin, randomId } from "./helpers.mjs";

const password = "Tr0ub4dor-and-a-long-unique-tail-7731";
const newEmail = () => `npm-${randomId().slice(0, 12)}@example.com`;

async function register(email) {
  const flow = await frontend.createNativeRegistrationFlow();
  return frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", password, traits: { email } },
  });
}

async function codeSentTo(recipient, templateType) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const messages = await courier.listCourierMessages({ recipient });
    const message = messages.find((m) => m.template_type === templateType);
    if (message) return (await courier.getCourierMessage({ id: message.id })).body.match(/\b(\d{6})\b/)[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`no ${templateType} message to ${recipient}`);
}

const messageIds = (ui) => (ui.messages ?? []).map((m) => m.id);

test("the code sent on registration verifies the address", async () => {
  const email = newEmail();
  const registered = await register(email);
  const shown = registered.continue_with.find((c) => c.action === "show_verification_ui");
  assert.equal(shown.flow.verifiable_address, email);

  const code = await codeSentTo(email, "verification_code_valid");
  const verified = await frontend.updateVerificationFlow({
    flow: shown.flow.id,
    updateVerificationFlowBody: { method: "code", code },
  });
  assert.equal(verified.state, "passed_challenge");
  assert.ok(messageIds(verified.ui).includes(1080002));
  const whoami = await frontend.toSession({ xSessionToken: registered.session_token });
  assert.equal(whoami.identity.verifiable_addresses[0].verified, true);
});

test("native recovery by code signs in and continues to settings", async () => {
  const email = newEmail();
  await register(email);
  const flow = await frontend.createNativeRecoveryFlow();
  const sent = await frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: "code", email } });
  assert.equal(sent.state, "sent_email");
  assert.ok(messageIds(sent.ui).includes(1060003));

  const code = await codeSentTo(email, "recovery_code_valid");
  const recovered = await frontend.updateRecoveryFlow({ flow: flow.id, updateRecoveryFlowBody: { method: "code", code } });
  assert.equal(recovered.state, "passed_challenge");
  const token = recovered.continue_with.find((c) => c.action === "set_ory_session_token").ory_session_token;
  const settings = recovered.continue_with.find((c) => c.action === "show_settings_ui");
  assert.ok(settings.flow.id);
  assert.equal((await frontend.toSession({ xSessionToken: token })).identity.traits.email, email);
});

test("an admin recovery code recovers the identity through a native flow", async () => {
  const registered = await register(newEmail());
  const created = await identityAdmin.createRecoveryCodeForIdentity({
    createRecoveryCodeForIdentityBody: { identity_id: registered.identity.id, flow_type: "api" },
  });
  assert.match(created.recovery_code, /^\d{6}$/);
  assert.ok(created.expires_at instanceof Date);
  const flowId = new URL(created.recovery_link).searchParams.get("flow");
  const recovered = await frontend.updateRecoveryFlow({
    flow: flowId,
    updateRecoveryFlowBody: { method: "code", code: created.recovery_code },
  });
  assert.equal(recovered.state, "passed_challenge");

  await expectError(
    identityAdmin.createRecoveryCodeForIdentity({ createRecoveryCodeForIdentityBody: { identity_id: randomId() } }),
    404,
  );
});
