// The cytoscape side: the graph drawn at the positions the kernel computed, and deltas applied in place.
import cytoscape from "cytoscape";
import { resegment, withSegments } from "./route.js";
import { stylesheet } from "./style.js";
import { panFor, showAll } from "./viewport.js";

export const BIG_GRAPH = 800;
const BIG_GRAPH_ZOOM = 0.75;
const NEW_EDGE_MS = 2500;
const KEPT_DATA = new Set(["id", "source", "target", "parent"]);

export function createGraph(container, elements, options = {}) {
  const big = elements.length > BIG_GRAPH;
  const cy = cytoscape({
    container,
    elements: withSegments(elements),
    style: stylesheet({ icons: !big }),
    layout: { name: "preset" },
    minZoom: 0.05,
    maxZoom: 3,
    boxSelectionEnabled: false,
    hideEdgesOnViewport: big,
    textureOnViewport: big,
    headless: Boolean(options.headless),
    styleEnabled: true,
  });
  highlightPaths(cy);
  return cy;
}

// A fresh view: all of it if readable in `area`, else its focus at a readable zoom.
// A big view is never fitted: measuring it would cost more than drawing it.
export function frame(cy, area) {
  if (cy.nodes().length <= BIG_GRAPH && showAll(cy, area)) return true;
  const focus = cy.nodes("[?focus]");
  const target = focus.nonempty() ? focus : cy.nodes().first();
  if (target.nonempty()) cy.viewport({ zoom: BIG_GRAPH_ZOOM, pan: panFor(target.boundingBox({ includeLabels: false }), area, BIG_GRAPH_ZOOM) });
  return false;
}

export function replaceAll(cy, elements) {
  cy.batch(() => {
    cy.elements().remove();
    cy.add(withSegments(elements));
  });
}

// Apply a kernel delta. Order matters for compounds: new parents exist before children move into
// them, and children move out of a parent before it is removed.
export function applyDelta(cy, delta) {
  const added = delta.added || [];
  const addedNodes = added.filter((e) => e.group === "nodes");
  const addedEdges = added.filter((e) => e.group === "edges");
  cy.batch(() => {
    cy.elements(".lnb-faded, .lnb-path").removeClass("lnb-faded lnb-path"); // nodes move: a hover highlight would be stale
    cy.add(addedNodes);
    for (const data of delta.updated || []) updateData(cy, data);
    for (const id of delta.removed || []) cy.getElementById(id).remove();
    const edges = cy.add(addedEdges);
    for (const { id, position } of delta.moved || []) {
      const node = cy.getElementById(id);
      if (node.nonempty() && node.isChildless()) node.position(position);
    }
    resegment(routedAgain(cy, delta, edges));
  });
  if (!addedNodes.length && addedEdges.length) flash(cy, addedEdges.map((e) => e.data.id));
}

// A routed edge's segments are relative to its ends (route.js): they are worked out for new and updated
// routes, and again for the routes whose ends moved.
function routedAgain(cy, delta, added) {
  const moved = cy.collection((delta.moved || []).map(({ id }) => cy.getElementById(id)));
  const changed = cy.collection((delta.updated || []).map(({ id }) => cy.getElementById(id)));
  return moved.connectedEdges("[route]").union(changed.filter("edge[route]")).union(added.filter("[route]"));
}

function updateData(cy, data) {
  let element = cy.getElementById(data.id);
  if (element.empty()) return;
  if (element.isNode() && (data.parent ?? null) !== (element.data("parent") ?? null)) {
    element.move({ parent: data.parent ?? null });
    element = cy.getElementById(data.id);
  }
  const stale = Object.keys(element.data()).filter((key) => !(key in data) && !KEPT_DATA.has(key));
  if (stale.length) element.removeData(stale.join(" "));
  const { parent: _parent, ...rest } = data;
  element.data(rest);
}

// Edges added without a node (their ends were drawn already) are shown for a moment.
function flash(cy, ids) {
  const edges = cy.collection(ids.map((id) => cy.getElementById(id)));
  edges.addClass("lnb-new");
  setTimeout(() => edges.removeClass("lnb-new"), NEW_EDGE_MS);
}

// Nodes whose label or name contains `text`: highlighted (differently from the focus); returns them.
export function search(cy, text) {
  const needle = text.trim().toLowerCase();
  cy.nodes().removeClass("lnb-found");
  if (!needle) return cy.collection();
  const found = cy.nodes().filter((n) => `${n.data("label") || ""} ${n.data("name") || ""}`.toLowerCase().includes(needle));
  found.addClass("lnb-found");
  return found;
}

// Hovering a node highlights everything upstream and downstream of it; a small graph fades the rest.
export function highlightPaths(cy) {
  cy.on("mouseover", "node", (event) => {
    const node = event.target;
    const roots = node.isParent() ? node.children().union(node) : node;
    const path = roots.union(roots.predecessors()).union(roots.successors());
    cy.batch(() => {
      if (cy.nodes().length <= BIG_GRAPH) {
        cy.elements().addClass("lnb-faded");
        path.union(path.ancestors()).removeClass("lnb-faded");
      }
      path.addClass("lnb-path");
    });
  });
  cy.on("mouseout", "node", () => cy.batch(() => cy.elements(".lnb-faded, .lnb-path").removeClass("lnb-faded lnb-path")));
}
