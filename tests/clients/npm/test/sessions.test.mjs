import assert from "node:assert/strict";
import { test } from "node:test";
import { expectError, frontend, identityAdmin, randomId } from "./helpers.mjs";

test("toSession without credentials fails with 401 session_inactive", async () => {
  await expectError(frontend.toSession(), 401, "session_inactive");
  await expectError(frontend.toSession({ xSessionToken: `ory_st_${randomId()}` }), 401, "session_inactive");
});

test("my-session operations without credentials fail with 401", async () => {
  await expectError(frontend.listMySessions(), 401, "session_inactive");
  await expectError(frontend.disableMyOtherSessions(), 401, "session_inactive");
  await expectError(frontend.disableMySession({ id: randomId() }), 401, "session_inactive");
});

test("admin session operations on unknown ids fail with 404", async () => {
  await expectError(identityAdmin.getSession({ id: randomId() }), 404, "not_found");
  await expectError(identityAdmin.disableSession({ id: randomId() }), 404, "not_found");
  await expectError(identityAdmin.extendSession({ id: randomId() }), 404, "not_found");
  await expectError(identityAdmin.deleteIdentitySessions({ id: randomId() }), 404, "not_found");
  assert.deepEqual(await identityAdmin.listIdentitySessions({ id: randomId() }), []);
});
