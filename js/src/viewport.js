// Where the view looks. The side panel floats over the graph's right side, so "in view" means inside
// the free area beside it. Labels stay readable: the view never zooms out below READABLE_ZOOM; when
// the whole graph does not fit at that zoom, it shows what just changed (and the node that caused it).

export const READABLE_ZOOM = 0.5;
export const MAX_ZOOM = 1.2;
export const PADDING = 24;
const BOX = { includeLabels: false, includeOverlays: false };

// The zoom at which `box` (graph coordinates) fills `area` (pixels of the container), and the pan centring it.
export function viewFor(box, area, padding = PADDING) {
  const width = Math.max(area.x2 - area.x1 - 2 * padding, 1);
  const height = Math.max(area.y2 - area.y1 - 2 * padding, 1);
  const zoom = Math.min(width / Math.max(box.w, 1), height / Math.max(box.h, 1));
  return { zoom, pan: panFor(box, area, zoom) };
}

export function panFor(box, area, zoom) {
  return {
    x: (area.x1 + area.x2) / 2 - ((box.x1 + box.x2) / 2) * zoom,
    y: (area.y1 + area.y2) / 2 - ((box.y1 + box.y2) / 2) * zoom,
  };
}

// Whether `box` (graph coordinates) is drawn inside `area` at this zoom and pan.
export function inside(box, area, zoom, pan) {
  return (
    box.x1 * zoom + pan.x >= area.x1 - 0.5 && box.x2 * zoom + pan.x <= area.x2 + 0.5 &&
    box.y1 * zoom + pan.y >= area.y1 - 0.5 && box.y2 * zoom + pan.y <= area.y2 + 0.5
  );
}

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

function show(cy, box, area, zoom) {
  cy.viewport({ zoom, pan: panFor(box, area, zoom) });
}

// Fit the whole graph into `area` if it is readable there; returns whether it was.
export function showAll(cy, area) {
  const elements = cy.elements();
  if (elements.empty()) return true;
  const box = elements.boundingBox(BOX);
  const { zoom } = viewFor(box, area);
  if (zoom < READABLE_ZOOM) return false;
  show(cy, box, area, Math.min(zoom, MAX_ZOOM));
  return true;
}

// Bring `nodes` into `area`, zooming only as far as readable.
export function showSome(cy, nodes, area) {
  if (nodes.empty()) return;
  const box = nodes.boundingBox(BOX);
  show(cy, box, area, clamp(viewFor(box, area).zoom, READABLE_ZOOM, MAX_ZOOM));
}

// After a change: everything if it fits readably (a small graph), else the nodes named in `ids`
// (new ones, and the node that brought them): left alone if in view, panned to if they fit at this
// zoom (a big graph keeps its zoom, so its labels need no redrawing at a new size), else fitted.
export function reveal(cy, ids, area, wholeGraph = true) {
  if (wholeGraph && showAll(cy, area)) return true;
  const nodes = cy.collection(ids.map((id) => cy.getElementById(id)).filter((n) => n.nonempty()));
  const target = nodes.nonempty() ? nodes : cy.nodes("[?focus]");
  if (target.empty()) return false;
  const box = target.boundingBox(BOX);
  const zoom = cy.zoom();
  const readable = zoom >= READABLE_ZOOM;
  if (readable && inside(box, area, zoom, cy.pan())) return false;
  if (readable && viewFor(box, area).zoom >= zoom) cy.pan(panFor(box, area, zoom));
  else showSome(cy, target, area);
  return false;
}

// A node stays visible when the panel opens over the graph: pan just enough to uncover it.
export function uncover(cy, node, area) {
  if (!node || node.empty()) return;
  const box = node.boundingBox(BOX);
  const zoom = cy.zoom();
  const pan = { ...cy.pan() };
  const dx = Math.min(0, area.x2 - PADDING - (box.x2 * zoom + pan.x)) || Math.max(0, area.x1 + PADDING - (box.x1 * zoom + pan.x));
  const dy = Math.min(0, area.y2 - PADDING - (box.y2 * zoom + pan.y)) || Math.max(0, area.y1 + PADDING - (box.y1 * zoom + pan.y));
  if (dx || dy) cy.pan({ x: pan.x + dx, y: pan.y + dy });
}

// Every node's drawn box is inside `area` (what the browser tests measure, too).
export function allInside(cy, area) {
  return cy.nodes().every((n) => inside(n.boundingBox(BOX), area, cy.zoom(), cy.pan()));
}
