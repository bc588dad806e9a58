import assert from "node:assert/strict";
import { test } from "node:test";
import { INTENT_TYPES, intents, onKernelMessage } from "../src/protocol.js";
import { FakeModel } from "./fake-model.mjs";

test("every intent is a message of a known type", () => {
  const model = new FakeModel({ revision: 4 });
  const send = intents(model);
  send.ready();
  send.select("a1");
  send.select(null);
  send.expand("w1");
  send.toggleSteps("w1");
  send.options(3, "up");
  send.filter({ search: "x", project: "p" });
  assert.deepEqual(model.sent, [
    { type: "ready", revision: 4 },
    { type: "select", id: "a1" },
    { type: "select", id: "" },
    { type: "expand", id: "w1" },
    { type: "toggle_steps", id: "w1" },
    { type: "options", depth: 3, direction: "up" },
    { type: "filter", search: "x", project: "p" },
  ]);
  for (const message of model.sent) assert.ok(INTENT_TYPES.includes(message.type));
});

test("kernel messages go to the handler of their type; others are left alone", () => {
  const seen = [];
  assert.equal(onKernelMessage({ type: "delta", added: [] }, { delta: (m) => seen.push(m.type) }), true);
  assert.equal(onKernelMessage({ type: "something-else" }, { delta: () => seen.push("wrong") }), false);
  assert.equal(onKernelMessage(null, {}), false);
  assert.deepEqual(seen, ["delta"]);
});
