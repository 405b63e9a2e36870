// Identity administration through IdentityApi on the admin API.
import assert from "node:assert/strict";
import { test } from "node:test";
import { expectError, frontend, identityAdmin, nextPageToken, randomId } from "./helpers.mjs";

const password = "Tr0ub4dor-and-a-long-unique-tail-7731";
const newEmail = () => `npm-admin-${randomId().slice(0, 12)}@example.com`;

const create = (email, extra = {}) =>
  identityAdmin.createIdentity({
    createIdentityBody: { schema_id: "default", traits: { email }, ...extra },
  });

test("createIdentity with a password that signs in, then getIdentity", async () => {
  const email = newEmail();
  const created = await create(email, {
    credentials: { password: { config: { password } } },
    metadata_public: { plan: "pro" },
  });
  assert.equal(created.state, "active");
  assert.deepEqual(created.traits, { email });
  assert.deepEqual(created.metadata_public, { plan: "pro" });
  assert.ok(created.created_at instanceof Date);
  assert.deepEqual(created.credentials.password.identifiers, [email]);
  assert.equal(created.verifiable_addresses[0].value, email);

  const fetched = await identityAdmin.getIdentity({ id: created.id, includeCredential: ["password"] });
  assert.ok(fetched.credentials.password.config.hashed_password);

  const flow = await frontend.createNativeLoginFlow();
  const signedIn = await frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: "password", identifier: email, password },
  });
  assert.equal(signedIn.session.identity.id, created.id);
});

test("createIdentity conflicts and bad input fail in Kratos's error format", async () => {
  const email = newEmail();
  await create(email);
  await expectError(create(email), 409, "conflict");
  await expectError(create(newEmail(), { schema_id: "employee" }), 400);
  await expectError(identityAdmin.getIdentity({ id: randomId() }), 404);
});

test("listIdentities filters and pages", async () => {
  const a = await create(newEmail());
  const b = await create(newEmail());
  const exact = await identityAdmin.listIdentities({ credentialsIdentifier: a.traits.email });
  assert.deepEqual(exact.map((i) => i.id), [a.id]);
  const byIds = await identityAdmin.listIdentities({ ids: [a.id, b.id] });
  assert.deepEqual(byIds.map((i) => i.id).sort(), [a.id, b.id].sort());

  const first = await identityAdmin.listIdentitiesRaw({ pageSize: 1 });
  const token = nextPageToken(first.raw.headers.get("link"));
  assert.ok(token);
  const second = await identityAdmin.listIdentities({ pageSize: 1, pageToken: token });
  assert.notEqual(second[0].id, (await first.value())[0].id);
});

test("updateIdentity, patchIdentity, batchPatchIdentities and deleteIdentity", async () => {
  const email = newEmail();
  const created = await create(email);
  const updated = await identityAdmin.updateIdentity({
    id: created.id,
    updateIdentityBody: { schema_id: "default", state: "inactive", traits: { email, name: { first: "Ada" } } },
  });
  assert.equal(updated.state, "inactive");
  assert.deepEqual(updated.traits.name, { first: "Ada" });

  const patched = await identityAdmin.patchIdentity({
    id: created.id,
    jsonPatch: [{ op: "replace", path: "/state", value: "active" }, { op: "add", path: "/metadata_admin", value: { n: 1 } }],
  });
  assert.equal(patched.state, "active");
  assert.deepEqual(patched.metadata_admin, { n: 1 });
  await expectError(identityAdmin.patchIdentity({ id: created.id, jsonPatch: [{ op: "replace", path: "/id", value: randomId() }] }), 400);

  const batch = await identityAdmin.batchPatchIdentities({
    patchIdentitiesBody: {
      identities: [
        { create: { schema_id: "default", traits: { email: newEmail() } } },
        { create: { schema_id: "default", traits: { email } } },
      ],
    },
  });
  assert.deepEqual(batch.identities.map((p) => p.action), ["create", "error"]);

  await identityAdmin.deleteIdentity({ id: created.id });
  await expectError(identityAdmin.getIdentity({ id: created.id }), 404);
  const withPassword = await create(newEmail(), { credentials: { password: { config: { password } } } });
  await expectError(identityAdmin.deleteIdentityCredentials({ id: withPassword.id, type: "password" }), 400);
  await expectError(identityAdmin.deleteIdentityCredentials({ id: withPassword.id, type: "totp" }), 404);
});
