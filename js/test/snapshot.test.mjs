// The offline export answers the widget's intents from its snapshot.
import assert from "node:assert/strict";
import { test } from "node:test";
import { snapshotModel } from "../src/snapshot.js";
import { chainElements, edge, node } from "./fake-model.mjs";

function exported(extra = []) {
  // raw -> prepare -> features (focus) -> train -> model: exported with depth 2, both directions.
  const elements = [
    ...chainElements(),
    node("model", { kind: "model", badge: "model", position: { x: 840, y: 0 } }),
    edge("train", "model"),
    node("more:features:down:25", { kind: "more", badge: "more", caption: "+7 more", label: "+7 more", expandable: true }),
    edge("features", "more:features:down:25"),
    ...extra,
  ];
  const panels = { features: { kind: "artifact", data: { name: "features" } } };
  return snapshotModel({ snapshot: elements, revision: 1, depth: 2, direction: "both", panels, exported: { depth: 2, direction: "both" } });
}

function listen(model) {
  const messages = [];
  model.on("msg:custom", (m) => messages.push(m));
  return messages;
}

const ids = (elements) => elements.map((e) => e.data.id).sort();

test("the export opens with every exported hop, and no `+` where the file has nothing more", () => {
  const model = exported();
  const captions = Object.fromEntries(model.get("snapshot").filter((e) => e.group === "nodes").map((e) => [e.data.id, e.data.caption]));
  assert.equal(captions.train, "train", "the store has more, but this file does not: no promise it cannot keep");
  assert.equal(model.get("depth"), 2, "the controls show the depth it was exported with");
});

test("a smaller depth hides the far hops; expand and collapse bring them back and take them away", () => {
  const model = exported();
  const messages = listen(model);
  model.send({ type: "options", depth: 1, direction: "both" });
  const shown = messages.at(-1);
  assert.equal(shown.type, "replace");
  assert.deepEqual(ids(shown.elements.filter((e) => e.group === "nodes")), ["features", "more:features:down:25", "prepare", "train"]);
  assert.equal(shown.elements.find((e) => e.data.id === "train").data.caption, "+ train");
  model.send({ type: "expand", id: "train" });
  const expanded = messages.at(-1);
  assert.equal(expanded.type, "delta");
  assert.deepEqual(ids(expanded.added), ["e|train|model", "model"]);
  assert.deepEqual(expanded.reveal, ["train", "model"]);
  assert.equal(expanded.updated.find((d) => d.id === "train").caption, "train");
  model.send({ type: "collapse", id: "train" });
  assert.deepEqual(messages.at(-1).removed.sort(), ["e|train|model", "model"]);
  model.send({ type: "options", depth: 3, direction: "both" });
  assert.match(model.get("message"), /holds 2 hop/);
});

test("one direction follows only that way from the focus", () => {
  const model = exported();
  const messages = listen(model);
  model.send({ type: "options", depth: 2, direction: "up" });
  assert.deepEqual(ids(messages.at(-1).elements.filter((e) => e.group === "nodes")), ["features", "prepare", "raw"]);
  assert.equal(model.get("direction"), "up");
  model.send({ type: "reset" });
  assert.equal(messages.at(-1).elements.filter((e) => e.group === "nodes").length, 6);
  assert.equal(model.get("direction"), "both");
});

test("panels come from the snapshot; what needs the store says so", () => {
  const model = exported();
  model.send({ type: "select", id: "features" });
  assert.deepEqual(model.get("panel"), { kind: "artifact", data: { name: "features" } });
  model.send({ type: "select", id: "raw" });
  assert.equal(model.get("panel").kind, "node", "a node without a stored panel shows its own fields");
  model.send({ type: "select", id: "" });
  assert.deepEqual(model.get("panel"), {});
  model.send({ type: "expand", id: "more:features:down:25" });
  assert.match(model.get("message"), /first page/);
  model.send({ type: "toggle_steps", id: "train" });
  assert.match(model.get("message"), /needs the store/);
  model.send({ type: "expand", id: "raw" });
  assert.match(model.get("message"), /nothing more in this export/);
  model.send({ type: "search", text: "nope" });
  assert.match(model.get("message"), /nothing named like "nope"/);
});
