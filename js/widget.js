// anywidget front end for lineage_nb: shows what the kernel sends, and sends back user intents.
import css from "./src/styles.css";
import { h } from "./src/dom.js";
import { applyDelta, createGraph, frame, replaceAll, search } from "./src/graph.js";
import { renderPanel, renderTable } from "./src/panel.js";

const DIRECTIONS = [["both", "both"], ["up", "upstream"], ["down", "downstream"]];

function select(options, value, onChange) {
  const node = h("select", { onchange: (e) => onChange(e.target.value) });
  for (const [key, text] of options) node.append(h("option", { value: key, text }));
  node.value = String(value);
  return node;
}

// Waits for the output area to have a size: cytoscape created in a zero-size element misbehaves.
function whenSized(element, callback) {
  if (element.clientWidth > 0) return callback();
  const observer = new ResizeObserver(() => {
    if (element.clientWidth > 0) {
      observer.disconnect();
      callback();
    }
  });
  observer.observe(element);
}

function render({ model, el }) {
  performance.mark("lineage-nb:view-created");
  const intent = (type, id, extra) => model.send({ type, ...(id === null || id === undefined ? {} : { id }), ...(extra || {}) });
  let cy = null;

  const graphBox = h("div", { class: "lnb-graph" });
  const panel = h("div", { class: "lnb-panel" });
  const message = h("div", { class: "lnb-message" });
  const tableBox = h("div", { class: "lnb-table-view" });
  const searchBox = h("input", { type: "search", placeholder: "search…", class: "lnb-search" });
  const runSearch = () => {
    if (cy && !search(cy, searchBox.value)) intent("search", null, { text: searchBox.value });
  };
  searchBox.addEventListener("keydown", (e) => e.key === "Enter" && runSearch());
  const depthOptions = [1, 2, 3, 4, 5].map((d) => [String(d), String(d)]);
  const depth = select(depthOptions, Math.min(model.get("depth"), 5), (v) => intent("options", null, { depth: Number(v), direction: direction.value }));
  const direction = select(DIRECTIONS, model.get("direction"), (v) => intent("options", null, { depth: Number(depth.value), direction: v }));
  const toolbar = h(
    "div",
    { class: "lnb-toolbar" },
    h("label", {}, "depth", depth),
    h("label", {}, "direction", direction),
    h("button", { type: "button", class: "lnb-expand-all", text: "Expand all", onclick: () => intent("expand_all") }),
    h("button", { type: "button", class: "lnb-fit", text: "Fit", onclick: () => cy && cy.fit(undefined, 30) }),
    h("button", { type: "button", class: "lnb-reset", text: "Reset", onclick: () => intent("reset") }),
    h("button", { type: "button", class: "lnb-png", text: "Export PNG", onclick: () => cy && downloadPng(cy) }),
    searchBox,
    h("button", { type: "button", text: "Find", onclick: runSearch }),
  );
  const graphView = h("div", { class: "lnb-graph-view" }, toolbar, h("div", { class: "lnb-main" }, graphBox, panel));
  el.append(h("style", { text: css }), h("div", { class: "lnb-root" }, graphView, tableBox, message));

  const panelActions = () => {
    const id = model.get("selected");
    const node = cy && id ? cy.getElementById(id) : null;
    if (!node || node.empty()) return [];
    const actions = [h("button", { type: "button", class: "lnb-focus-here", text: "Centre graph here", onclick: () => intent("navigate", id) })];
    if (node.data("expanded")) actions.push(h("button", { type: "button", class: "lnb-collapse", text: "Collapse", onclick: () => intent("collapse", id) }));
    return [h("div", { class: "lnb-actions" }, actions)];
  };
  const showPanel = () => renderPanel(panel, model.get("panel"), intent, panelActions());
  const showMode = () => {
    const table = model.get("mode") === "table";
    graphView.classList.toggle("lnb-hidden", table);
    tableBox.classList.toggle("lnb-hidden", !table);
    if (!table) startGraph();
  };

  function startGraph() {
    if (cy) return;
    whenSized(graphBox, () => {
      if (cy) return;
      performance.mark("lineage-nb:graph-creating");
      cy = createGraph(graphBox, model.get("snapshot"));
      performance.mark("lineage-nb:graph-created");
      cy.one("render", () => performance.mark("lineage-nb:painted"));
      cy.on("tap", "node", (e) => {
        const data = e.target.data();
        // Expand goes first so the kernel answers it before it builds the panel.
        if (data.kind === "more" || (data.expandable && !data.expanded)) {
          performance.mark("lineage-nb:expand-sent");
          intent("expand", data.id);
        }
        if (data.kind !== "more") intent("select", data.id);
      });
      cy.on("dbltap", "node[?expanded]", (e) => intent("collapse", e.target.id()));
      model.send({ type: "ready", revision: model.get("revision") });
    });
  }

  const onMessage = (msg) => {
    if (!cy) return;
    performance.mark("lineage-nb:delta-received");
    if (msg.type === "delta") applyDelta(cy, msg);
    else if (msg.type === "replace") replaceAll(cy, msg.elements);
    else return;
    cy.one("render", () => performance.mark("lineage-nb:delta-painted"));
    showPanel();
  };
  const onSnapshot = () => {
    if (!cy) return;
    replaceAll(cy, model.get("snapshot"));
    depth.value = String(Math.min(model.get("depth"), 5));
    direction.value = model.get("direction");
  };
  const onSelected = () => {
    if (!cy) return;
    cy.nodes(":selected").unselect();
    const node = cy.getElementById(model.get("selected"));
    if (node.nonempty()) node.select();
  };
  const showTable = () => renderTable(tableBox, model.get("table"), intent);
  const showMessage = () => (message.textContent = model.get("message") || "");
  const handlers = [
    ["msg:custom", onMessage],
    ["change:snapshot", onSnapshot],
    ["change:panel", showPanel],
    ["change:selected", () => { onSelected(); showPanel(); }],
    ["change:mode", showMode],
    ["change:table", showTable],
    ["change:message", showMessage],
  ];
  for (const [name, handler] of handlers) model.on(name, handler);
  showMode();
  showTable();
  showPanel();
  showMessage();
  return () => {
    for (const [name, handler] of handlers) model.off(name, handler);
    if (cy) cy.destroy();
  };
}

function downloadPng(cy) {
  const anchor = h("a", { href: cy.png({ full: true, scale: 2, bg: "#ffffff" }), download: "lineage.png" });
  anchor.click();
}

// The offline HTML export: the same view over a fixed graph, with no kernel behind it.
export function renderStandalone(el, state) {
  const listeners = {};
  const model = {
    get: (name) => state[name],
    set: (name, value) => {
      state[name] = value;
      (listeners[`change:${name}`] || []).forEach((f) => f());
    },
    on: (name, f) => (listeners[name] = [...(listeners[name] || []), f]),
    off: () => {},
    save_changes: () => {},
    send: (msg) => {
      if (msg.type === "select") {
        const node = (state.snapshot || []).find((e) => e.data.id === msg.id);
        model.set("selected", msg.id);
        model.set("panel", { kind: "node", data: node ? node.data : {} });
      } else if (msg.type !== "ready") {
        model.set("message", "This export is a snapshot: open the notebook to expand, page or navigate.");
      }
    },
  };
  return render({ model, el });
}

// anywidget imports the bundle afresh for every widget, so every new graph would run on cold,
// unoptimised cytoscape code. The page keeps the first copy of this exact bundle and reuses it.
/* global __LINEAGE_NB_BUNDLE__ */
const shared = (globalThis[Symbol.for(`lineage_nb.widget.${__LINEAGE_NB_BUNDLE__}`)] ??= { render });

export default { render: (context) => shared.render(context) };
