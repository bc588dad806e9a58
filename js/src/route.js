// Edges the kernel routed round the nodes in their way (lineage_nb/view/routing.py) carry their
// waypoints in data.route, in model coordinates. Cytoscape draws them as segments given relative to the
// line between the two node centres (edge-distances: node-position): a weight along it, and a distance
// along its normal (-dy, dx) / length.

export function toSegments(route, from, to) {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const squared = dx * dx + dy * dy || 1;
  const length = Math.sqrt(squared);
  const weights = [];
  const distances = [];
  for (const [x, y] of route) {
    weights.push(((x - from.x) * dx + (y - from.y) * dy) / squared);
    distances.push(((y - from.y) * dx - (x - from.x) * dy) / length);
  }
  return { weights, distances };
}

const segmentsOf = (edge) => toSegments(edge.data("route") || [], edge.source().position(), edge.target().position());

export const ROUTED = {
  "curve-style": "round-segments",
  "segment-radius": 6,
  "edge-distances": "node-position",
  "segment-weights": (edge) => segmentsOf(edge).weights,
  "segment-distances": (edge) => segmentsOf(edge).distances,
};
