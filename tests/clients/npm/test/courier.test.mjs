import assert from "node:assert/strict";
import { test } from "node:test";
import { courier, expectError, randomId } from "./helpers.mjs";

test("listCourierMessages filtered by an unknown recipient is empty", async () => {
  assert.deepEqual(await courier.listCourierMessages({ recipient: `nobody-${randomId()}@example.com` }), []);
});

test("getCourierMessage of an unknown id fails with 404 and of a malformed id with 400", async () => {
  await expectError(courier.getCourierMessage({ id: randomId() }), 404);
  await expectError(courier.getCourierMessage({ id: "not-a-uuid" }), 400);
});
