// Shared set-up for the npm SDK tests: SDK clients bound to the server under test, whose
// URLs scripts/client-tests.sh passes in KRATOS_PUBLIC_URL and KRATOS_ADMIN_URL.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Configuration, CourierApi, FrontendApi, IdentityApi, MetadataApi, ResponseError } from "@ory/kratos-client-fetch";

function url(name) {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through scripts/client-tests.sh)`);
  return value.replace(/\/$/, "");
}

export const publicUrl = url("KRATOS_PUBLIC_URL");
export const adminUrl = url("KRATOS_ADMIN_URL");

const on = (basePath) => new Configuration({ basePath });
export const frontend = new FrontendApi(on(publicUrl));
export const identityPublic = new IdentityApi(on(publicUrl));
export const identityAdmin = new IdentityApi(on(adminUrl));
export const courier = new CourierApi(on(adminUrl));
export const metadataPublic = new MetadataApi(on(publicUrl));
export const metadataAdmin = new MetadataApi(on(adminUrl));

/** Awaits an SDK call that must fail with `status`; checks Kratos's error body and returns its `error`. */
export async function expectError(call, status, id) {
  let failure;
  try {
    await call;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure instanceof ResponseError, `expected a ResponseError with ${status}, got ${failure}`);
  assert.equal(failure.response.status, status);
  const body = await failure.response.json();
  assert.equal(body.error.code, status, JSON.stringify(body));
  assert.equal(typeof body.error.message, "string");
  assert.equal(typeof body.error.status, "string");
  if (id !== undefined) assert.equal(body.error.id, id, JSON.stringify(body));
  return body.error;
}

/** The `page_token` of the `rel="next"` link in a Link header, or undefined. */
export function nextPageToken(link) {
  for (const part of (link ?? "").split(",")) {
    const [target, rel] = part.split(";");
    if (rel && rel.includes('rel="next"')) {
      return new URL(target.trim().replace(/^<|>$/g, ""), "http://x").searchParams.get("page_token") ?? undefined;
    }
  }
  return undefined;
}

export const randomId = () => randomUUID();
