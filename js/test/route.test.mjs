import "./setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyDelta, createGraph } from "../src/graph.js";
import { toSegments } from "../src/route.js";
import { node } from "./fake-model.mjs";

const close = (a, b) => a.every((v, i) => Math.abs(v - b[i]) < 1e-9);

// Undo what cytoscape does with a weight and a distance (findSegmentsPoints): the point on the line
// between the centres at the weight, moved along the normal (-dy, dx) / length by the distance.
function pointsFrom({ weights, distances }, from, to) {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy);
  return weights.map((w, i) => [from.x + w * dx - (dy / length) * distances[i], from.y + w * dy + (dx / length) * distances[i]]);
}

test("waypoints become segment weights and distances that give the waypoints back", () => {
  const from = { x: 85, y: 0 };
  const to = { x: 715, y: 0 };
  const route = [[190, 0], [190, -52], [610, -52], [610, 0]];
  const segments = toSegments(route, from, to);
  assert.ok(close(segments.weights, [105 / 630, 105 / 630, 525 / 630, 525 / 630]));
  assert.ok(close(segments.distances, [0, -52, -52, 0]), "above a left-to-right line is a negative distance");
  const slanted = [[400, 0], [400, -364]];
  const back = pointsFrom(toSegments(slanted, { x: 300, y: 0 }, { x: 520, y: -364 }), { x: 300, y: 0 }, { x: 520, y: -364 });
  assert.ok(close(back.flat(), slanted.flat()));
});

test("a routed edge is drawn as segments, and follows its ends when they move", () => {
  const route = [[190, 0], [190, 104]];
  const cy = createGraph(undefined, [
    node("a", { position: { x: 85, y: 0 } }),
    node("b", { position: { x: 295, y: 104 } }),
    { group: "edges", data: { id: "e|a|b", source: "a", target: "b", evidence: "inferred", route } },
  ], { headless: true });
  const edge = cy.getElementById("e|a|b");
  assert.equal(edge.style("curve-style"), "round-segments");
  assert.equal(edge.style("line-style"), "dashed", "an inferred edge stays dashed");
  const drawn = () => pointsFrom({ weights: edge.pstyle("segment-weights").pfValue, distances: edge.pstyle("segment-distances").pfValue },
    edge.source().position(), edge.target().position());
  assert.ok(close(drawn().flat(), route.flat()));
  const moved = [[190, 0], [190, 156]];
  applyDelta(cy, { moved: [{ id: "b", position: { x: 295, y: 156 } }], updated: [{ id: "e|a|b", source: "a", target: "b", evidence: "inferred", route: moved }] });
  assert.ok(close(drawn().flat(), moved.flat()), "worked out again from the new positions");
  applyDelta(cy, { moved: [{ id: "a", position: { x: 85, y: -52 } }] });
  assert.ok(close(drawn().flat(), moved.flat()), "a route whose end moved (the route itself unchanged) keeps its waypoints");
  applyDelta(cy, { added: [node("c", { position: { x: 505, y: 0 } }),
    { group: "edges", data: { id: "e|b|c", source: "b", target: "c", evidence: "direct", route: [[400, 156], [400, 0]] } }] });
  const added = cy.getElementById("e|b|c");
  assert.deepEqual(added.data("weights"), toSegments([[400, 156], [400, 0]], { x: 295, y: 156 }, { x: 505, y: 0 }).weights,
    "an added route's segments are in its data");
  applyDelta(cy, { updated: [{ id: "e|a|b", source: "a", target: "b", evidence: "inferred" }] });
  assert.equal(edge.style("curve-style"), "bezier", "a route the kernel dropped: straight again");
  assert.equal(edge.data("weights"), undefined, "and its segments are gone from its data");
});
