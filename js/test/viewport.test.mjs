import "./setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { createGraph } from "../src/graph.js";
import { READABLE_ZOOM, allInside, inside, panFor, reveal, showAll, uncover, viewFor } from "../src/viewport.js";
import { chainElements, node } from "./fake-model.mjs";

const AREA = { x1: 0, y1: 0, x2: 700, y2: 400 }; // a 1,000 px wide graph with a 300 px panel over its right

test("the view centres a box in the free area at the zoom that fits it", () => {
  const box = { x1: 0, y1: 0, x2: 1000, y2: 200, w: 1000, h: 200 };
  const { zoom, pan } = viewFor(box, AREA, 0);
  assert.equal(zoom, 0.7);
  assert.deepEqual(pan, { x: 0, y: 130 });
  assert.ok(inside(box, AREA, zoom, pan));
  assert.ok(!inside(box, { ...AREA, x2: 600 }, zoom, pan));
  assert.deepEqual(panFor(box, AREA, 1), { x: -150, y: 100 });
});

test("a graph that fits readably is shown whole beside the panel", () => {
  const cy = createGraph(undefined, chainElements(), { headless: true });
  assert.equal(showAll(cy, AREA), true);
  assert.ok(cy.zoom() >= READABLE_ZOOM && allInside(cy, AREA));
});

test("a graph too big to read whole shows the new nodes at a readable zoom instead", () => {
  const wide = Array.from({ length: 40 }, (_, i) => node(`n${i}`, { position: { x: i * 210, y: 0 } }));
  const cy = createGraph(undefined, wide, { headless: true });
  assert.equal(showAll(cy, AREA), false);
  reveal(cy, ["n30", "n31"], AREA);
  assert.ok(cy.zoom() >= READABLE_ZOOM);
  for (const id of ["n30", "n31"]) assert.ok(inside(cy.getElementById(id).boundingBox({ includeLabels: false }), AREA, cy.zoom(), cy.pan()), id);
  assert.ok(!allInside(cy, AREA));
  const zoom = cy.zoom();
  reveal(cy, ["n2"], AREA, false); // far off: panned to, at the same zoom
  assert.equal(cy.zoom(), zoom);
  assert.ok(inside(cy.getElementById("n2").boundingBox({ includeLabels: false }), AREA, cy.zoom(), cy.pan()));
  const pan = { ...cy.pan() };
  reveal(cy, ["n2"], AREA, false); // already in view: nothing moves
  assert.deepEqual(cy.pan(), pan);
});

test("a node the opening panel would cover is panned into the free area", () => {
  const cy = createGraph(undefined, chainElements(), { headless: true });
  cy.viewport({ zoom: 1, pan: { x: 0, y: 100 } });
  const train = cy.getElementById("train"); // at x 630, under a panel that starts at 700 - 24 padding
  uncover(cy, train, { ...AREA, x2: 500 });
  assert.ok(inside(train.boundingBox({ includeLabels: false }), { ...AREA, x2: 500 }, cy.zoom(), cy.pan()));
  assert.equal(cy.zoom(), 1, "uncovering pans, it does not zoom");
});
