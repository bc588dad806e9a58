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

// The weights and distances are kept in the edge's data (data(weights), data(distances) in the style), worked
// out when the edge arrives and again when one of its ends moves: a style function would work them out on
// every style pass, and cytoscape's first build of a big view makes several.
export function withSegments(elements) {
  const at = new Map();
  for (const e of elements) if (e.group === "nodes" && e.position) at.set(e.data.id, e.position);
  return elements.map((e) => {
    if (e.group !== "edges" || !e.data.route) return e;
    const from = at.get(e.data.source);
    const to = at.get(e.data.target);
    return from && to ? { ...e, data: { ...e.data, ...toSegments(e.data.route, from, to) } } : e;
  });
}

export function resegment(edges) {
  edges.forEach((edge) => {
    edge.data(toSegments(edge.data("route"), edge.source().position(), edge.target().position()));
  });
}

export const ROUTED = {
  "curve-style": "round-segments",
  "segment-radius": 6,
  "edge-distances": "node-position",
  "segment-weights": "data(weights)",
  "segment-distances": "data(distances)",
};
