// The whole view over a fake anywidget model: clicks become intents, kernel messages change the graph.
import { dom } from "./setup.mjs";
import assert from "node:assert/strict";
import { test } from "node:test";
import { mountView } from "../src/view.js";
import { FakeModel, chainElements, node } from "./fake-model.mjs";

function mount(state = {}) {
  const model = new FakeModel({
    mode: "graph", snapshot: chainElements(), revision: 1, focus: ["features"], depth: 1, direction: "both",
    selected: "", panel: {}, table: {}, back: "", message: "", node_count: 4, ...state,
  });
  const el = dom.window.document.createElement("div");
  dom.window.document.body.append(el);
  mountView({ model, el }, { headless: true });
  return { model, el, cy: el.lineageView.cy };
}

test("the view says it is ready, with the revision it drew", () => {
  const { model, cy } = mount();
  assert.equal(cy.nodes().length, 4);
  assert.deepEqual(model.sent, [{ type: "ready", revision: 1 }]);
});

test("a click on a `+` node expands it, then selects it; a double click collapses what it expanded", () => {
  const { model, cy } = mount();
  model.sent.length = 0;
  cy.getElementById("train").emit("tap");
  assert.deepEqual(model.sent, [{ type: "expand", id: "train" }, { type: "select", id: "train" }]);
  model.sent.length = 0;
  cy.getElementById("raw").emit("tap");
  assert.deepEqual(model.sent, [{ type: "select", id: "raw" }], "no `+`: only the panel");
  cy.getElementById("train").data("expanded", true);
  model.sent.length = 0;
  cy.getElementById("train").emit("dbltap");
  assert.deepEqual(model.sent, [{ type: "collapse", id: "train" }]);
});

test("a kernel delta lands in the graph, and the panel follows the selection", () => {
  const { model, el, cy } = mount();
  model.receive({ type: "delta", revision: 2, added: [node("model", { position: { x: 840, y: 0 } })], removed: [], updated: [], moved: [], reveal: ["model"] });
  assert.ok(cy.getElementById("model").nonempty());
  model.set("panel", { kind: "artifact", data: { name: "/data/model", kind: "model", upstream: [], downstream: [], upstream_count: 0, downstream_count: 0 } });
  model.set("selected", "model");
  assert.ok(cy.getElementById("model").selected());
  const panel = el.querySelector(".lnb-panel");
  assert.match(panel.querySelector("h3").textContent, /Model: \/data\/model/);
  model.sent.length = 0;
  panel.querySelector(".lnb-close").click();
  assert.deepEqual(model.sent, [{ type: "select", id: "" }]);
  model.sent.length = 0;
  panel.querySelector(".lnb-focus-here").click();
  assert.deepEqual(model.sent, [{ type: "navigate", id: "model" }]);
});

test("the message says why a click changed nothing", () => {
  const { model, el } = mount();
  model.set("message", "nothing more upstream of raw");
  assert.equal(el.querySelector(".lnb-message").textContent, "nothing more upstream of raw");
});

test("tables sort by a click on their heading, show times relative and paths shortened, and link back", () => {
  const rows = [
    { id: "w1", name: "b_job", type: "job", last_run_at: "2024-01-01T00:00:00Z", reads: 2 },
    { id: "w2", name: `/very/long/${"x".repeat(80)}/a_job.py`, type: "script", last_run_at: "2025-01-01T00:00:00Z", reads: 10 },
  ];
  const { model, el } = mount({ mode: "table", table: { title: "Workloads", rows, columns: ["name", "type", "last_run_at", "reads"], filters: { kind: "workload" } } });
  const names = () => [...el.querySelectorAll(".lnb-table tr td:first-child button")].map((b) => b.title);
  assert.equal(el.querySelector(".lnb-filter-created-by"), null, "workloads have no creator filter");
  const headings = [...el.querySelectorAll(".lnb-table th")];
  headings[3].click(); // reads, ascending
  assert.deepEqual(names(), ["b_job", rows[1].name]);
  el.querySelectorAll(".lnb-table th")[3].click(); // reads, descending
  assert.deepEqual(names(), [rows[1].name, "b_job"]);
  assert.match(el.querySelectorAll(".lnb-table th")[3].textContent, /▼/);
  const longName = el.querySelector(".lnb-table tr td:first-child button");
  assert.ok(longName.textContent.includes("…") && longName.textContent.length <= 48);
  const time = el.querySelector(".lnb-table tr td:nth-child(3)");
  assert.match(time.textContent, /ago$/);
  assert.equal(time.title, "2025-01-01T00:00:00Z");
  model.sent.length = 0;
  longName.click();
  assert.deepEqual(model.sent, [{ type: "navigate", id: "w2" }]);
  model.set("mode", "graph");
  model.set("back", "Workloads");
  const back = el.querySelector(".lnb-back");
  assert.equal(back.textContent, "← Workloads");
  back.click();
  assert.deepEqual(model.sent.at(-1), { type: "back" });
});
