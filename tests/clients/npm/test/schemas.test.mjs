import assert from "node:assert/strict";
import { test } from "node:test";
import { expectError, identityPublic, nextPageToken } from "./helpers.mjs";

test("listIdentitySchemas returns every configured schema", async () => {
  const schemas = await identityPublic.listIdentitySchemas();
  assert.deepEqual(schemas.map((s) => s.id).sort(), ["default", "employee"]);
  const employee = schemas.find((s) => s.id === "employee");
  assert.deepEqual(employee.schema.properties.traits.required, ["email", "department"]);
});

test("listIdentitySchemas pages with the Link header's page_token", async () => {
  const first = await identityPublic.listIdentitySchemasRaw({ pageSize: 1 });
  const firstPage = await first.value();
  assert.equal(firstPage.length, 1);
  const token = nextPageToken(first.raw.headers.get("link"));
  assert.ok(token, first.raw.headers.get("link"));
  const second = await identityPublic.listIdentitySchemasRaw({ pageSize: 1, pageToken: token });
  const secondPage = await second.value();
  assert.deepEqual([firstPage[0].id, secondPage[0].id].sort(), ["default", "employee"]);
  assert.equal(nextPageToken(second.raw.headers.get("link")), undefined);
});

test("getIdentitySchema returns the raw schema", async () => {
  const schema = await identityPublic.getIdentitySchema({ id: "default" });
  assert.equal(schema.title, "Person");
  assert.equal(schema.$id, "https://example.com/client-tests/default.schema.json");
});

test("getIdentitySchema of an unknown id fails with 404", async () => {
  await expectError(identityPublic.getIdentitySchema({ id: "no-such-schema" }), 404);
});
