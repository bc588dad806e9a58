// The cytoscape side: styles, preset positions from the kernel, and deltas applied in place.
import cytoscape from "cytoscape";

const BIG_GRAPH = 800;

const STYLE = [
  {
    selector: "node",
    style: {
      label: "data(caption)",
      width: 170, height: 34, "font-size": 11, "text-valign": "center", "text-halign": "center",
      "text-wrap": "ellipsis", "text-max-width": 160, "border-width": 1.5, color: "#1f2328",
    },
  },
  { selector: 'node[kind = "workload"]', style: { shape: "round-rectangle", "background-color": "#dbe4ff", "border-color": "#3b5bdb" } },
  { selector: 'node[kind = "dataset"]', style: { shape: "barrel", "background-color": "#d3f9d8", "border-color": "#2b8a3e" } },
  { selector: 'node[kind = "model"]', style: { shape: "hexagon", "background-color": "#ffe8cc", "border-color": "#e8590c", width: 180 } },
  { selector: 'node[kind = "more"]', style: { shape: "round-tag", "background-color": "#f1f3f5", "border-color": "#868e96", "border-style": "dashed", width: 110 } },
  { selector: "node[?expandable][!expanded]", style: { "border-width": 3, "border-style": "double", "font-weight": "bold" } },
  { selector: "node[?focus]", style: { "border-width": 4, "border-color": "#f59f00", "background-blacken": -0.1, "font-weight": "bold" } },
  { selector: "node:selected", style: { "overlay-color": "#d6336c", "overlay-opacity": 0.18, "border-color": "#d6336c" } },
  { selector: "node.lnb-found", style: { "background-color": "#fff3bf", "border-color": "#f08c00", "border-width": 4 } },
  {
    selector: "edge",
    style: {
      width: 1.4, "curve-style": "straight", "line-color": "#8c959f",
      "target-arrow-shape": "triangle", "target-arrow-color": "#8c959f", "arrow-scale": 0.9,
    },
  },
];

export function createGraph(container, elements) {
  const big = elements.length > BIG_GRAPH;
  const cy = cytoscape({
    container,
    elements,
    style: STYLE,
    layout: { name: "preset" },
    minZoom: 0.05,
    maxZoom: 3,
    boxSelectionEnabled: false,
    hideEdgesOnViewport: big,
    textureOnViewport: big,
  });
  frame(cy);
  return cy;
}

// Views that fit at a readable zoom are fitted; bigger ones centre on the focus instead.
// A big view is not fitted at all: fitting measures every label.
export function frame(cy) {
  const focus = cy.nodes("[?focus]");
  if (cy.nodes().length > BIG_GRAPH) {
    cy.zoom(0.75);
  } else {
    cy.fit(undefined, 30);
    if (cy.zoom() > 1.2) cy.zoom(1.2);
    if (cy.zoom() < 0.6) cy.zoom(0.75);
  }
  cy.center(focus.length ? focus : undefined);
}

export function replaceAll(cy, elements) {
  cy.batch(() => {
    cy.elements().remove();
    cy.add(elements);
  });
  frame(cy);
}

export function applyDelta(cy, delta) {
  cy.batch(() => {
    for (const id of delta.removed || []) cy.getElementById(id).remove();
    cy.add(delta.added || []);
    for (const data of delta.updated || []) {
      const node = cy.getElementById(data.id);
      if (node.nonempty()) node.data(data);
    }
  });
}

export function search(cy, text) {
  const needle = text.trim().toLowerCase();
  cy.nodes().removeClass("lnb-found");
  if (!needle) return null;
  const found = cy.nodes().filter((n) => `${n.data("label") || ""} ${n.data("name") || ""}`.toLowerCase().includes(needle));
  if (!found.length) return null;
  found.addClass("lnb-found");
  cy.animate({ center: { eles: found.first() }, zoom: Math.max(cy.zoom(), 1) }, { duration: 150 });
  return found.first();
}
