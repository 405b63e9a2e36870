import assert from "node:assert/strict";
import { test } from "node:test";
import { metadataAdmin, metadataPublic } from "./helpers.mjs";

for (const [name, api] of [["public", metadataPublic], ["admin", metadataAdmin]]) {
  test(`isAlive and isReady report ok on the ${name} API`, async () => {
    assert.deepEqual(await api.isAlive(), { status: "ok" });
    assert.deepEqual(await api.isReady(), { status: "ok" });
  });

  test(`getVersion reports the Kratos v1.3 line on the ${name} API`, async () => {
    const { version } = await api.getVersion();
    assert.match(version, /^v1\.3\./);
  });
}
