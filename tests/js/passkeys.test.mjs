import assert from "node:assert/strict";
import test from "node:test";

import {
  creationOptions,
  credentialJSON,
  fromBase64url,
  requestOptions,
  toBase64url,
} from "../../static/js/passkeys.js";

const bytes = (...values) => Uint8Array.from(values);
const NO_PARSERS = {}; // a browser without parseCreationOptionsFromJSON / parseRequestOptionsFromJSON

test("base64url round-trips every byte, without padding", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const text = toBase64url(all);
  assert.doesNotMatch(text, /[+/=]/);
  assert.deepEqual(fromBase64url(text), all);
  assert.equal(toBase64url(bytes(0xfb, 0xff)), "-_8");
});

test("without the browser's parsers, creation options get their binary fields as bytes", () => {
  const json = {
    challenge: "AAEC",
    rp: { id: "localhost", name: "Hearth" },
    user: { id: "_w", name: "ada", displayName: "Ada" },
    excludeCredentials: [{ id: "AQ", type: "public-key" }],
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
  };
  const options = creationOptions(json, NO_PARSERS);
  assert.deepEqual(options.challenge, bytes(0, 1, 2));
  assert.deepEqual(options.user.id, bytes(0xff));
  assert.equal(options.user.name, "ada");
  assert.deepEqual(options.excludeCredentials[0].id, bytes(1));
  assert.equal(options.authenticatorSelection.residentKey, "required");
});

test("the browser's own parsers are used when it has them", () => {
  const parsed = { from: "the browser" };
  const PKC = { parseCreationOptionsFromJSON: () => parsed, parseRequestOptionsFromJSON: () => parsed };
  assert.equal(creationOptions({}, PKC), parsed);
  assert.equal(requestOptions({}, PKC), parsed);
});

test("request options without allowCredentials stay discoverable (an empty list)", () => {
  const options = requestOptions({ challenge: "AAEC", rpId: "localhost", userVerification: "required" }, NO_PARSERS);
  assert.deepEqual(options.challenge, bytes(0, 1, 2));
  assert.deepEqual(options.allowCredentials, []);
});

test("without toJSON(), an assertion becomes the JSON the server verifies", () => {
  const credential = {
    id: "AQI",
    rawId: bytes(1, 2).buffer,
    type: "public-key",
    authenticatorAttachment: "platform",
    getClientExtensionResults: () => ({}),
    response: {
      clientDataJSON: bytes(123, 125).buffer,
      authenticatorData: bytes(9).buffer,
      signature: bytes(8, 7).buffer,
      userHandle: bytes(0xff).buffer,
    },
  };
  assert.deepEqual(credentialJSON(credential), {
    id: "AQI",
    rawId: "AQI",
    type: "public-key",
    authenticatorAttachment: "platform",
    clientExtensionResults: {},
    response: { clientDataJSON: "e30", authenticatorData: "CQ", signature: "CAc", userHandle: "_w" },
  });
});

test("without toJSON(), a registration carries its attestation and transports", () => {
  const credential = {
    id: "AQ",
    rawId: bytes(1).buffer,
    type: "public-key",
    response: { clientDataJSON: bytes(1).buffer, attestationObject: bytes(2).buffer, getTransports: () => ["internal"] },
  };
  const json = credentialJSON(credential);
  assert.deepEqual(json.response, { clientDataJSON: "AQ", attestationObject: "Ag", transports: ["internal"] });
  assert.equal(json.authenticatorAttachment, null);
});

test("a browser's own toJSON() is used when it has one", () => {
  const own = { id: "x" };
  assert.equal(credentialJSON({ toJSON: () => own }), own);
});
