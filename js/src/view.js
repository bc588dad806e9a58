// The widget's view: toolbar, graph, side panel, tables and messages, over any model that speaks the
// protocol (src/protocol.js): anywidget's in a notebook, snapshot.js's in the offline HTML export.
import { h } from "./dom.js";
import { BIG_GRAPH, applyDelta, createGraph, frame, replaceAll, search } from "./graph.js";
import { legend } from "./legend.js";
import { renderPanel } from "./panel.js";
import { intents, onKernelMessage } from "./protocol.js";
import { renderTable } from "./table.js";
import { MAX_ZOOM, PADDING, reveal, showAll, showSome, uncover } from "./viewport.js";

const DIRECTIONS = [["both", "both"], ["up", "upstream"], ["down", "downstream"]];
const MAX_DEPTH = 10;
const HEIGHT = { min: 320, max: 760, big: 600 };
const NODE_HEIGHT = 36;
const COMPOUND_TITLE = 30;
const PANEL_GAP = 12;
const REFIT_DELAY_MS = 400;

function select(options, value, onChange) {
  const node = h("select", { onchange: (e) => onChange(e.target.value) });
  for (const [key, text] of options) node.append(h("option", { value: key, text }));
  node.value = String(value);
  return node;
}

// Waits for the output area to have a size: cytoscape created in a zero-size element misbehaves.
function whenSized(element, callback, headless) {
  if (headless || element.clientWidth > 0) return callback();
  const observer = new ResizeObserver(() => {
    if (element.clientWidth > 0) {
      observer.disconnect();
      callback();
    }
  });
  observer.observe(element);
}

// `options.headless` draws nothing (the JS unit tests); `options.css` is the stylesheet to add.
export function mountView({ model, el }, options = {}) {
  performance.mark("lineage-nb:view-created");
  const send = intents(model);
  let cy = null;
  let fitted = true; // the view shows the whole graph: it is fitted again when the panel opens or closes
  let refit = null;

  const canvas = h("div", { class: "lnb-graph" });
  const panel = h("div", { class: "lnb-panel" });
  const message = h("div", { class: "lnb-message", role: "status" });
  const tableBox = h("div", { class: "lnb-table-view" });
  const backLink = h("button", { type: "button", class: "lnb-back lnb-link", onclick: () => send.back() });
  const searchBox = h("input", { type: "search", placeholder: "find…", class: "lnb-search" });
  const exported = model.get("exported");
  const depthLimit = exported ? exported.depth : Math.max(MAX_DEPTH, model.get("depth"));
  const depthOptions = Array.from({ length: depthLimit }, (_, i) => [String(i + 1), String(i + 1)]);
  const depth = select(depthOptions, model.get("depth"), (v) => send.options(Number(v), direction.value));
  const direction = select(DIRECTIONS, model.get("direction"), (v) => send.options(Number(depth.value), v));

  // The area beside the panel, which floats over the graph's right side.
  const freeArea = () => {
    const width = canvas.clientWidth;
    const covered = panel.childElementCount ? panel.offsetWidth + PANEL_GAP : 0;
    return { x1: 0, y1: 0, x2: Math.max(width - covered, width * 0.3), y2: canvas.clientHeight };
  };
  const say = (text) => (message.textContent = text);
  const runSearch = () => {
    if (!cy) return;
    const found = search(cy, searchBox.value);
    if (found.nonempty()) {
      say(`${found.length} found in this graph`);
      if (!showAll(cy, freeArea())) showSome(cy, found.first(), freeArea());
    } else if (searchBox.value.trim()) {
      send.search(searchBox.value);
    } else say("");
  };
  searchBox.addEventListener("keydown", (e) => e.key === "Enter" && runSearch());
  const fit = () => {
    if (!cy) return;
    fitted = frame(cy, freeArea());
    if (!fitted) say("too big to show whole at a readable size: drag to pan, scroll to zoom");
  };
  const toolbar = h(
    "div",
    { class: "lnb-toolbar" },
    backLink,
    h("label", {}, "depth", depth),
    h("label", {}, "direction", direction),
    h("button", { type: "button", class: "lnb-expand-all", text: "Expand all", onclick: () => send.expandAll() }),
    h("button", { type: "button", class: "lnb-fit", text: "Fit", onclick: fit }),
    h("button", { type: "button", class: "lnb-reset", text: "Reset", onclick: () => send.reset() }),
    h("button", { type: "button", class: "lnb-png", text: "Export PNG", onclick: () => cy && downloadPng(cy) }),
    searchBox,
    h("button", { type: "button", class: "lnb-find", text: "Find", onclick: runSearch }),
    legend(),
  );
  const graphView = h("div", { class: "lnb-graph-view" }, toolbar, h("div", { class: "lnb-main" }, canvas, panel));
  el.append(h("style", { text: options.css || "" }), h("div", { class: "lnb-root" }, graphView, tableBox, message));

  // A small graph's area grows with its content (up to HEIGHT.max) so it stays readable when fitted.
  // It is sized from the elements before cytoscape draws them: a resize after would cost a frame.
  const heightFor = (box) => {
    const area = freeArea();
    const zoom = Math.min(MAX_ZOOM, (area.x2 - area.x1 - 2 * PADDING) / Math.max(box.w, 1));
    return Math.round(Math.min(HEIGHT.max, Math.max(HEIGHT.min, box.h * zoom + 2 * PADDING)));
  };
  const elementsBox = (elements) => {
    const placed = elements.filter((e) => e.position);
    const xs = placed.flatMap((e) => [e.position.x - (e.data.width || 0) / 2, e.position.x + (e.data.width || 0) / 2]);
    const ys = placed.map((e) => e.position.y);
    const title = elements.some((e) => e.data.compound) ? COMPOUND_TITLE : 0;
    return { w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) + NODE_HEIGHT + title };
  };
  // Returns whether the height changed (cytoscape then needs a resize).
  const sizeTo = (wanted, growOnly) => {
    if ((growOnly && wanted <= canvas.clientHeight) || `${wanted}px` === canvas.style.height) return false;
    canvas.style.height = `${wanted}px`;
    return true;
  };
  const sizeToElements = (elements) => {
    const nodes = elements.filter((e) => e.position).length;
    return sizeTo(nodes > BIG_GRAPH || !nodes ? HEIGHT.big : heightFor(elementsBox(elements)), false);
  };
  const growToGraph = () => cy.nodes().length <= BIG_GRAPH && sizeTo(heightFor(cy.elements().boundingBox({ includeLabels: false })), true);

  const selectedNode = () => (cy && model.get("selected") ? cy.getElementById(model.get("selected")) : null);
  const panelActions = () => {
    const node = selectedNode();
    if (!node || node.empty()) return [];
    const id = node.id();
    const data = node.data();
    const button = (cls, text, onclick) => h("button", { type: "button", class: cls, text, onclick });
    const actions = [button("lnb-focus-here", "Centre graph here", () => send.navigate(id))];
    if (data.expandable && !data.expanded) actions.push(button("lnb-expand", "Expand", () => send.expand(id)));
    if (data.expanded) actions.push(button("lnb-collapse", "Collapse", () => send.collapse(id)));
    if (data.compound) actions.push(button("lnb-toggle-steps", "Hide steps", () => send.toggleSteps(id)));
    if (data.collapsed) actions.push(button("lnb-toggle-steps", `Show ${data.steps} steps`, () => send.toggleSteps(id)));
    return [h("div", { class: "lnb-actions" }, actions)];
  };
  const showPanel = () => {
    const wasOpen = panel.childElementCount > 0;
    renderPanel(panel, model.get("panel"), (id) => send.navigate(id), () => send.select(""), panelActions());
    if (!cy || model.get("mode") !== "graph") return;
    if (fitted && wasOpen !== panel.childElementCount > 0) {
      // After a double click's second click, not between its two: a graph that moved under the
      // pointer would turn the double click into two single ones.
      clearTimeout(refit);
      canvas.dataset.pending = "refit"; // for tests: the view is about to move
      refit = setTimeout(() => {
        if (fitted) fitted = showAll(cy, freeArea());
        delete canvas.dataset.pending;
      }, REFIT_DELAY_MS);
    }
    if (!fitted) uncover(cy, selectedNode(), freeArea());
  };
  const showMode = () => {
    const table = model.get("mode") === "table";
    graphView.classList.toggle("lnb-hidden", table);
    tableBox.classList.toggle("lnb-hidden", !table);
    if (!table) startGraph();
  };
  const showBack = () => {
    const back = model.get("back");
    backLink.textContent = back ? `← ${back}` : "";
    backLink.classList.toggle("lnb-hidden", !back);
  };
  const freshView = (elements) => {
    if (sizeToElements(elements)) cy.resize();
    fit();
  };

  function startGraph() {
    if (cy) return;
    whenSized(canvas, () => {
      if (cy) return;
      performance.mark("lineage-nb:graph-creating");
      const elements = model.get("snapshot");
      sizeToElements(elements);
      cy = createGraph(options.headless ? undefined : canvas, elements, options);
      performance.mark("lineage-nb:graph-created");
      fit();
      // Ready once the first frame is up: the kernel answers with a big view's routes (or a newer view), and
      // working them out while this frame is being drawn would only slow it down. Headless, nothing renders.
      cy.one("render", () => {
        performance.mark("lineage-nb:painted");
        if (!options.headless) send.ready();
      });
      cy.on("tap", "node", (e) => {
        const data = e.target.data();
        // Expand goes first so the kernel answers it before it builds the panel.
        if (data.kind === "more" || (data.expandable && !data.expanded)) {
          performance.mark("lineage-nb:expand-sent");
          send.expand(data.id);
        }
        if (data.kind !== "more") send.select(data.id);
      });
      cy.on("dbltap", "node", (e) => {
        const data = e.target.data();
        if (data.compound || data.collapsed) send.toggleSteps(data.id);
        else if (data.expanded) send.collapse(data.id);
      });
      cy.on("dragpan scrollzoom pinchzoom", () => (fitted = false));
      onSelected();
      showPanel();
      if (options.headless) send.ready();
    }, options.headless);
  }

  const onMessage = (msg) => {
    if (!cy) return;
    // A view's routes, following its straight first frame, are timed apart from the deltas a user asked for.
    const kind = msg && msg.routes ? "routes" : "delta";
    performance.mark(`lineage-nb:${kind}-received`);
    const handled = onKernelMessage(msg, {
      delta: (delta) => {
        applyDelta(cy, delta);
        if (growToGraph()) cy.resize();
        if (delta.reveal && delta.reveal.length) fitted = reveal(cy, delta.reveal, freeArea(), cy.nodes().length <= BIG_GRAPH);
      },
      replace: (replacement) => {
        replaceAll(cy, replacement.elements);
        freshView(replacement.elements);
      },
    });
    if (!handled) return;
    cy.one("render", () => performance.mark(`lineage-nb:${kind}-painted`));
    onSelected();
    showPanel();
  };
  const onSnapshot = () => {
    depth.value = String(model.get("depth"));
    direction.value = model.get("direction");
    if (!cy) return;
    replaceAll(cy, model.get("snapshot"));
    freshView(model.get("snapshot"));
    onSelected();
  };
  const onSelected = () => {
    if (!cy) return;
    cy.nodes(":selected").unselect();
    const node = selectedNode();
    if (node && node.nonempty()) node.select();
  };
  const showTable = () => renderTable(tableBox, model.get("table"), send);
  const showMessage = () => say(model.get("message") || "");
  const handlers = [
    ["msg:custom", onMessage],
    ["change:snapshot", onSnapshot],
    ["change:panel", showPanel],
    ["change:selected", () => { onSelected(); showPanel(); }],
    ["change:mode", showMode],
    ["change:table", showTable],
    ["change:back", showBack],
    ["change:message", showMessage],
    ["change:depth", () => (depth.value = String(model.get("depth")))],
    ["change:direction", () => (direction.value = model.get("direction"))],
  ];
  for (const [name, handler] of handlers) model.on(name, handler);
  showMode();
  showTable();
  showBack();
  showPanel();
  showMessage();
  // Tests and the benchmark reach the graph through the container (cytoscape's own `_cyreg`); this is for the unit tests.
  el.lineageView = { get cy() { return cy; }, freeArea };
  return () => {
    for (const [name, handler] of handlers) model.off(name, handler);
    clearTimeout(refit);
    if (cy) cy.destroy();
  };
}

function downloadPng(cy) {
  const anchor = h("a", { href: cy.png({ full: true, scale: 2, bg: "#ffffff" }), download: "lineage.png" });
  anchor.click();
}

