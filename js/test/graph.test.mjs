import "./setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDelta, createGraph, search } from "../src/graph.js";
import { HIGHLIGHTS } from "../src/style.js";
import { chainElements, edge, node } from "./fake-model.mjs";

const headless = (elements = chainElements()) => createGraph(undefined, elements, { headless: true });

test("a delta adds, updates, moves and removes in place", () => {
  const cy = headless();
  applyDelta(cy, {
    added: [node("model", { position: { x: 840, y: 0 } }), edge("train", "model")],
    removed: ["e|raw|prepare", "raw"],
    updated: [{ id: "train", kind: "workload", badge: "job", label: "train", caption: "train", expanded: true }],
    moved: [{ id: "features", position: { x: 400, y: 50 } }],
  });
  assert.deepEqual(cy.nodes().map((n) => n.id()).sort(), ["features", "model", "prepare", "train"]);
  assert.equal(cy.getElementById("train").data("caption"), "train");
  assert.equal(cy.getElementById("train").data("expandable"), undefined, "data the kernel no longer sends is dropped");
  assert.deepEqual(cy.getElementById("features").position(), { x: 400, y: 50 });
  assert.ok(cy.getElementById("e|train|model").nonempty());
});

test("steps move into a new compound, and out of it before it goes", () => {
  const cy = headless([node("s1", { position: { x: 0, y: 0 } }), node("s2", { position: { x: 200, y: 0 } }), edge("s1", "s2")]);
  applyDelta(cy, {
    added: [{ group: "nodes", data: { id: "w", compound: true, caption: "w" } }],
    updated: [
      { id: "s1", kind: "dataset", caption: "s1", parent: "w" },
      { id: "s2", kind: "dataset", caption: "s2", parent: "w" },
    ],
  });
  assert.equal(cy.getElementById("s1").parent().id(), "w");
  assert.ok(cy.getElementById("e|s1|s2").nonempty(), "moving into a compound keeps the edges");
  applyDelta(cy, { removed: ["w"], updated: [{ id: "s1", kind: "dataset", caption: "s1" }, { id: "s2", kind: "dataset", caption: "s2" }] });
  assert.deepEqual(cy.nodes().map((n) => n.id()).sort(), ["s1", "s2"], "the steps outlive their compound");
  assert.ok(cy.getElementById("s1").parent().empty());
});

test("edges added without a node are flashed, so a click that only links shows something", () => {
  const cy = headless();
  applyDelta(cy, { added: [edge("raw", "train")] });
  assert.ok(cy.getElementById("e|raw|train").hasClass("lnb-new"));
});

test("a search match looks different from the focus", () => {
  const cy = headless();
  const found = search(cy, "TRAIN");
  assert.deepEqual(found.map((n) => n.id()), ["train"]);
  const match = cy.getElementById("train");
  const focus = cy.getElementById("features");
  assert.equal(match.style("underlay-color"), "rgb(21,170,191)");
  assert.equal(focus.style("underlay-opacity"), "0", "the focus has no halo");
  assert.equal(focus.style("border-color"), "rgb(240,140,0)");
  assert.notEqual(match.style("border-color"), focus.style("border-color"));
  assert.equal(HIGHLIGHTS.found["underlay-color"], "#15aabf");
  assert.equal(search(cy, "").length, 0);
  assert.ok(!match.hasClass("lnb-found"));
});

test("hovering a node highlights its upstream and downstream paths and fades the rest", () => {
  const cy = headless([...chainElements(), node("other", { position: { x: 0, y: 100 } })]);
  cy.getElementById("prepare").emit("mouseover");
  const path = cy.elements(".lnb-path").map((e) => e.id()).sort();
  assert.deepEqual(path, ["e|features|train", "e|prepare|features", "e|raw|prepare", "features", "prepare", "raw", "train"]);
  assert.ok(cy.getElementById("other").hasClass("lnb-faded"));
  cy.getElementById("prepare").emit("mouseout");
  assert.equal(cy.elements(".lnb-path, .lnb-faded").length, 0);
});

test("edges are styled by evidence, and a back edge curves against the flow", () => {
  const cy = headless([node("a"), node("b", { position: { x: 200, y: 0 } }), edge("a", "b", { evidence: "inferred" }), edge("b", "a", { back: true })]);
  assert.equal(cy.getElementById("e|a|b").style("line-style"), "dashed");
  assert.equal(cy.getElementById("e|b|a").style("curve-style"), "unbundled-bezier");
  assert.equal(cy.getElementById("e|b|a").style("line-color"), "rgb(224,49,49)");
});
