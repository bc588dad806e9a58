// What the graph looks like: a colour and shape per kind, an icon per badge, edge styles per evidence.
// The legend (legend.js) explains each of these, from the same tables.
import { ROUTED } from "./route.js";

const svg = (body) =>
  `data:image/svg+xml;utf8,${encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="#343a40" stroke-width="1.3" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`,
  )}`;

// Drawn here for this widget: simple line icons, 16 x 16.
export const ICONS = {
  dataset: svg('<ellipse cx="8" cy="3.5" rx="5.5" ry="2"/><path d="M2.5 3.5v9c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2v-9"/><path d="M2.5 8c0 1.1 2.5 2 5.5 2s5.5-.9 5.5-2"/>'),
  model: svg('<path d="M8 1.5l5.5 3v7L8 14.5l-5.5-3v-7z"/><path d="M2.5 4.5L8 7.5l5.5-3M8 7.5v7"/>'),
  notebook: svg('<rect x="3" y="1.5" width="10.5" height="13" rx="1"/><path d="M1.5 4.5h3M1.5 8h3M1.5 11.5h3M7 5h4.5M7 8h4.5"/>'),
  script: svg('<path d="M3 1.5h6.5l3.5 3.5v9.5H3z"/><path d="M9.5 1.5V5H13"/><path d="M6.5 8.5L5 10l1.5 1.5M9.5 8.5L11 10l-1.5 1.5"/>'),
  job: svg('<circle cx="8" cy="8" r="2.2"/><path d="M8 1.5v2.2M8 12.3v2.2M1.5 8h2.2M12.3 8h2.2M3.4 3.4l1.6 1.6M11 11l1.6 1.6M3.4 12.6L5 11M11 5l1.6-1.6"/>'),
  external: svg('<path d="M4.5 12.5h7.5a3 3 0 0 0 .4-6A4.5 4.5 0 0 0 3.7 7.3 2.6 2.6 0 0 0 4.5 12.5z"/>'),
  cell: svg('<path d="M5 2H2.5v12H5M11 2h2.5v12H11"/><path d="M6 6h4M6 9.5h3"/>'),
  line: svg('<path d="M2 3.5h2M2 8h2M2 12.5h2"/><path d="M6 3.5h8M6 8h6M6 12.5h7"/>'),
  more: svg('<circle cx="3.5" cy="8" r="1"/><circle cx="8" cy="8" r="1"/><circle cx="12.5" cy="8" r="1"/>'),
};

// Canvas draws an SVG image by rasterizing it again on every frame; the icons are drawn once, as PNGs,
// as soon as a page loads this module (until then a graph uses the SVGs).
const bitmaps = {};
if (typeof document !== "undefined" && typeof Image !== "undefined") {
  for (const [badge, uri] of Object.entries(ICONS)) {
    const image = new Image();
    image.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 32;
      canvas.getContext("2d")?.drawImage(image, 0, 0, 32, 32);
      bitmaps[badge] = canvas.toDataURL("image/png");
    };
    image.src = uri;
  }
}
export const icon = (badge) => bitmaps[badge] || ICONS[badge];

// [badge, words for the legend, node colours]
export const KINDS = [
  ["dataset", "dataset", { "background-color": "#d3f9d8", "border-color": "#2b8a3e", shape: "round-rectangle" }],
  ["model", "model", { "background-color": "#e5dbff", "border-color": "#6741d9", shape: "cut-rectangle" }],
  ["notebook", "notebook", { "background-color": "#dbe4ff", "border-color": "#3b5bdb", shape: "round-rectangle" }],
  ["script", "script", { "background-color": "#dbe4ff", "border-color": "#3b5bdb", shape: "round-rectangle" }],
  ["job", "job", { "background-color": "#dbe4ff", "border-color": "#3b5bdb", shape: "round-rectangle" }],
  ["external", "external producer", { "background-color": "#f1f3f5", "border-color": "#495057", shape: "round-rectangle" }],
  ["cell", "notebook cell", { "background-color": "#edf2ff", "border-color": "#5c7cfa", shape: "rectangle" }],
  ["line", "script line or step", { "background-color": "#edf2ff", "border-color": "#5c7cfa", shape: "rectangle" }],
  ["more", "+N more: the next page", { "background-color": "#f8f9fa", "border-color": "#868e96", shape: "round-tag", "border-style": "dashed" }],
];

// [evidence, words for the legend, edge style]
export const EDGES = [
  ["direct", "read or written, as captured", { "line-style": "solid" }],
  ["inferred", "inferred (e.g. a model object used later)", { "line-style": "dashed", "line-dash-pattern": [7, 4], "line-color": "#868e96", "target-arrow-color": "#868e96" }],
  ["column_lineage", "from column lineage", { "line-style": "dashed", "line-dash-pattern": [2, 3], "line-color": "#0c8599", "target-arrow-color": "#0c8599" }],
];

export const HIGHLIGHTS = {
  focus: { "border-color": "#f08c00", "border-width": 4 },
  found: { "underlay-color": "#15aabf", "underlay-opacity": 0.45, "underlay-padding": 9, "underlay-shape": "round-rectangle" },
  path: "#1971c2",
  back: "#e03131",
};

export const FONT = "Helvetica Neue, Arial, Liberation Sans, sans-serif";

// A big graph (hundreds of nodes at a small size) is drawn without icons: they cost more than they tell.
export function stylesheet({ icons = true } = {}) {
  const style = [
    {
      selector: "node",
      style: {
        label: "data(caption)", width: 170, height: 36, "font-size": 11, "font-family": FONT, color: "#1f2328",
        "text-valign": "center", "text-halign": "center", "text-wrap": "wrap", "text-max-width": 140,
        "text-margin-x": 9, "border-width": 1.5,
        "background-width": 16, "background-height": 16, "background-position-x": 7, "background-position-y": "50%",
        "background-fit": "none", "background-clip": "none", "background-image-containment": "over",
      },
    },
    // The kernel sizes each node to its caption (lineage_nb/view/labels.py), and lays columns out to match.
    { selector: "node[width]", style: { width: "data(width)" } },
  ];
  for (const [badge, , colours] of KINDS) {
    style.push({ selector: `node[badge = "${badge}"]`, style: icons ? { ...colours, "background-image": icon(badge) } : colours });
  }
  style.push(
    { selector: 'node[kind = "more"]', style: { "font-style": "italic" } },
    {
      selector: "node[?compound]",
      style: {
        shape: "round-rectangle", "background-color": "#f8f9ff", "background-image": "none", "border-style": "dashed",
        "border-color": "#3b5bdb", padding: 8, "text-valign": "top", "text-halign": "center", "text-margin-x": 0,
        "text-margin-y": -3, "font-weight": "bold",
      },
    },
    { selector: "node[?collapsed]", style: { "border-style": "double", "border-width": 4 } },
    { selector: "node[?expandable][!expanded]", style: { "border-width": 3, "font-weight": "bold" } },
    { selector: "node[?focus]", style: { ...HIGHLIGHTS.focus, "font-weight": "bold" } },
    { selector: "node:selected", style: { "overlay-color": "#d6336c", "overlay-opacity": 0.16, "overlay-padding": 5 } },
    { selector: "node.lnb-found", style: HIGHLIGHTS.found },
    {
      selector: "edge",
      style: {
        width: 1.4, "curve-style": "bezier", "line-color": "#8c959f", "target-arrow-shape": "triangle",
        "target-arrow-color": "#8c959f", "arrow-scale": 0.9,
      },
    },
  );
  style.push({ selector: "edge[route]", style: ROUTED }); // round the nodes in its way, as the kernel routed it
  for (const [evidence, , edgeStyle] of EDGES) style.push({ selector: `edge[evidence = "${evidence}"]`, style: edgeStyle });
  style.push(
    {
      selector: "edge[?back]",
      style: {
        "curve-style": "unbundled-bezier", "control-point-distances": [-70], "control-point-weights": [0.5],
        "line-color": HIGHLIGHTS.back, "target-arrow-color": HIGHLIGHTS.back,
      },
    },
    { selector: ".lnb-faded", style: { opacity: 0.22 } },
    { selector: "node.lnb-path", style: { "border-color": HIGHLIGHTS.path, "border-width": 3 } },
    { selector: "edge.lnb-path", style: { width: 3, "line-color": HIGHLIGHTS.path, "target-arrow-color": HIGHLIGHTS.path, "z-index": 10 } },
    { selector: "edge.lnb-new", style: { width: 3.5, "line-color": "#f08c00", "target-arrow-color": "#f08c00" } },
  );
  return style;
}
