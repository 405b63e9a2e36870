// Native self-service flows and live sessions through FrontendApi and IdentityApi, as a
// Node back end or a React Native app drives them with session tokens.
import assert from "node:assert/strict";
import { test } from "node:test";
import { expectError, frontend, identityAdmin, publicUrl, randomId } from "./helpers.mjs";

const password = "Tr0ub4dor-and-a-long-unique-tail-7731";
const newEmail = () => `npm-${randomId().slice(0, 12)}@example.com`;

async function register(email) {
  const flow = await frontend.createNativeRegistrationFlow();
  return frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", password, traits: { email } },
  });
}

async function login(email, secret = password) {
  const flow = await frontend.createNativeLoginFlow();
  return frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: "password", identifier: email, password: secret },
  });
}

const messageIds = (ui) => [...(ui.messages ?? []), ...ui.nodes.flatMap((n) => n.messages)].map((m) => m.id);

test("registration returns a session token, the identity and continue_with", async () => {
  const flow = await frontend.createNativeRegistrationFlow();
  assert.equal(flow.type, "api");
  assert.equal(flow.ui.action, `${publicUrl}/self-service/registration?flow=${flow.id}`);
  assert.ok(flow.expires_at instanceof Date && flow.expires_at > flow.issued_at);

  const email = newEmail();
  const registered = await frontend.updateRegistrationFlow({
    flow: flow.id,
    updateRegistrationFlowBody: { method: "password", password, traits: { email } },
  });
  assert.match(registered.session_token, /^ory_st_/);
  assert.deepEqual(registered.identity.traits, { email });
  assert.equal(registered.identity.state, "active");
  assert.equal(registered.session.identity.id, registered.identity.id);
  assert.equal(registered.session.authenticator_assurance_level, "aal1");
  const setToken = registered.continue_with.find((c) => c.action === "set_ory_session_token");
  assert.equal(setToken.ory_session_token, registered.session_token);
});

test("registration of a taken email fails with 400 and the flow's duplicate message", async () => {
  const email = newEmail();
  await register(email);
  const error = await register(email).catch((e) => e);
  assert.equal(error.response.status, 400);
  const returned = await error.response.json();
  assert.ok(messageIds(returned.ui).includes(4000007), JSON.stringify(returned.ui));
});

test("login, whoami and the admin session views agree", async () => {
  const email = newEmail();
  const registered = await register(email);
  const signedIn = await login(email);
  assert.match(signedIn.session_token, /^ory_st_/);
  assert.notEqual(signedIn.session.id, registered.session.id);

  const whoami = await frontend.toSession({ xSessionToken: signedIn.session_token });
  assert.equal(whoami.id, signedIn.session.id);
  assert.equal(whoami.identity.traits.email, email);
  assert.ok(whoami.expires_at instanceof Date && whoami.expires_at > new Date());

  const mine = await frontend.listMySessions({ xSessionToken: signedIn.session_token });
  assert.deepEqual(mine.map((s) => s.id), [registered.session.id]);

  const viaAdmin = await identityAdmin.getSession({ id: whoami.id, expand: ["identity"] });
  assert.equal(viaAdmin.identity.id, registered.identity.id);
  const ofIdentity = await identityAdmin.listIdentitySessions({ id: registered.identity.id });
  assert.deepEqual(ofIdentity.map((s) => s.id).sort(), [registered.session.id, signedIn.session.id].sort());
  const all = await identityAdmin.listSessions({ pageSize: 1000, active: true });
  assert.ok(all.some((s) => s.id === signedIn.session.id));
});

test("login with a wrong password fails with 400 and invalid credentials", async () => {
  const email = newEmail();
  await register(email);
  const error = await login(email, "definitely-not-it").catch((e) => e);
  assert.equal(error.response.status, 400);
  assert.ok(messageIds((await error.response.json()).ui).includes(4000006));
});

test("settings change the password and the profile", async () => {
  const email = newEmail();
  const token = (await register(email)).session_token;
  const flow = await frontend.createNativeSettingsFlow({ xSessionToken: token });
  assert.equal(flow.state, "show_form");
  assert.equal(flow.identity.traits.email, email);

  const changed = await frontend.updateSettingsFlow({
    flow: flow.id,
    xSessionToken: token,
    updateSettingsFlowBody: { method: "password", password: `${password}-new` },
  });
  assert.equal(changed.state, "success");
  assert.equal((await login(email, `${password}-new`)).session.identity.traits.email, email);

  const profileFlow = await frontend.createNativeSettingsFlow({ xSessionToken: token });
  const traits = { email, name: { first: "Ada", last: "Lovelace" } };
  const profile = await frontend.updateSettingsFlow({
    flow: profileFlow.id,
    xSessionToken: token,
    updateSettingsFlowBody: { method: "profile", traits },
  });
  assert.deepEqual(profile.identity.traits, traits);
});

test("session revocation: mine, others, admin disable, extend, delete all, logout", async () => {
  const email = newEmail();
  const a = await register(email);
  const b = await login(email);
  const c = await login(email);

  await frontend.disableMySession({ id: b.session.id, xSessionToken: a.session_token });
  await expectError(frontend.toSession({ xSessionToken: b.session_token }), 401, "session_inactive");
  assert.deepEqual(await frontend.disableMyOtherSessions({ xSessionToken: c.session_token }), { count: 1 });
  await expectError(frontend.toSession({ xSessionToken: a.session_token }), 401, "session_inactive");

  const before = (await identityAdmin.getSession({ id: c.session.id })).expires_at;
  const extended = await identityAdmin.extendSession({ id: c.session.id });
  assert.ok(extended.expires_at > before);

  const d = await login(email);
  await identityAdmin.disableSession({ id: d.session.id });
  assert.equal((await identityAdmin.getSession({ id: d.session.id })).active, false);

  await frontend.performNativeLogout({ performNativeLogoutBody: { session_token: c.session_token } });
  await expectError(frontend.toSession({ xSessionToken: c.session_token }), 401, "session_inactive");

  const e = await login(email);
  await identityAdmin.deleteIdentitySessions({ id: a.identity.id });
  assert.deepEqual(await identityAdmin.listIdentitySessions({ id: a.identity.id }), []);
  await expectError(frontend.toSession({ xSessionToken: e.session_token }), 401, "session_inactive");
});
