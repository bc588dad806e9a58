// Side panel (artifact, workload and step overviews). Every value is set as text.
import { facts, h, link } from "./dom.js";
import { exactTime, relativeTime } from "./format.js";
import { qualitySections } from "./quality.js";

function when(value) {
  if (!value) return null;
  const relative = relativeTime(value);
  return relative ? `${relative} (${exactTime(value)})` : value;
}

function workloadLinks(entries, count, go) {
  const list = h("ul");
  for (const entry of entries || []) {
    list.append(h("li", {}, link(entry.name, () => go(entry.id)), h("span", { class: "lnb-dim", text: ` (${entry.type || "workload"})` })));
  }
  if (count > (entries || []).length) list.append(h("li", { text: `… ${count - entries.length} more` }));
  return list;
}

function artifactPanel(data, go) {
  const written = data.written_by || {};
  const model = data.model || {};
  const parts = [
    h("h3", { text: `${data.kind === "model" ? "Model" : "Dataset"}: ${model.display_name || data.name}` }),
    facts([
      ["Name", model.display_name ? data.name : null],
      ["Registered", model.registered ? `${model.registered}${model.registered_version ? ` v${model.registered_version}` : ""}` : null],
      ["Flavours", model.flavors],
      ["MLflow run", model.run_id],
      ["URI", data.uri],
      ["Namespace", data.namespace],
      ["Format", data.format],
      ["Created", when(data.created_at)],
      ["Created by", data.created_by],
      ["Version", data.version],
      ["Last seen", when(data.last_seen)],
    ]),
  ];
  if ((data.schema || []).length) {
    const table = h("table", { class: "lnb-schema" }, h("tr", {}, h("th", { text: "column" }), h("th", { text: "type" })));
    for (const field of data.schema) table.append(h("tr", {}, h("td", { text: field.name }), h("td", { text: field.type || "" })));
    parts.push(h("h4", { text: "Schema" }), table);
  }
  if (written.cell_source) {
    parts.push(h("h4", { text: `Written by cell [${written.cell ?? " "}]` }), h("pre", { class: "lnb-cell", text: written.cell_source }));
  } else if (written.script) {
    parts.push(h("h4", { text: "Written by script" }), h("pre", { text: `${written.script}${written.script_line ? `:${written.script_line}` : ""}` }));
  }
  parts.push(...qualitySections(data));
  parts.push(
    h("h4", { text: "Related workloads" }),
    h("div", { class: "lnb-related-up" }, h("div", { text: `Upstream producers (${data.upstream_count})` }), workloadLinks(data.upstream, data.upstream_count, go)),
    h("div", { class: "lnb-related-down" }, h("div", { text: `Downstream consumers (${data.downstream_count})` }), workloadLinks(data.downstream, data.downstream_count, go)),
  );
  return parts;
}

function artifactList(title, entries, count, go) {
  const list = h("ul");
  for (const entry of entries || []) {
    list.append(h("li", {}, link(entry.name, () => go(entry.id)), h("span", { text: ` (${entry.kind})` })));
  }
  if (count > (entries || []).length) list.append(h("li", { text: `… ${count - entries.length} more` }));
  return h("details", { class: "lnb-related" }, h("summary", { text: `${title}: ${count}` }), list);
}

function workloadPanel(data, go) {
  const f = data.facts || {};
  const run = data.last_run || {};
  return [
    h("h3", { text: `${data.type || "workload"}: ${data.name}` }),
    facts([
      ["Type", data.type],
      ["Name", data.name],
      ["Namespace", data.namespace],
      ["Id", f.workloadId],
      ["Owner", f.owner],
      ["Project", f.project],
      ["Host", f.host],
      ["Ray", f.rayVersion],
      ["Python", f.pythonVersion],
      ["OS", f.osVersion],
      ["Last run", [when(data.last_run_at), run.state].filter(Boolean).join(" · ")],
    ]),
    h("h4", { text: "Related artifacts" }),
    artifactList("Upstream (read)", data.upstream, data.upstream_count, go),
    artifactList("Downstream (written)", data.downstream, data.downstream_count, go),
  ];
}

function stepPanel(data, go) {
  const workload = data.workload || {};
  return [
    h("h3", { text: `${data.type || "step"}: ${data.label || data.name}` }),
    facts([["Name", data.name], ["Namespace", data.namespace]]),
    h("h4", { text: "Part of" }),
    h("p", {}, link(workload.name || workload.id || "", () => go(workload.id)), h("span", { class: "lnb-dim", text: ` (${workload.type || "workload"})` })),
  ];
}

function nodePanel(data) {
  return [h("h3", { text: `${data.kind}: ${data.label || data.name}` }), facts([["Namespace", data.namespace], ["Format", data.format], ["Type", data.type]])];
}

const BUILDERS = { artifact: artifactPanel, workload: workloadPanel, step: stepPanel, node: nodePanel, more: nodePanel };

// `go(id)` opens a related node's graph; `extra` are the action buttons for the selected node.
export function renderPanel(container, panel, go, onClose, extra) {
  container.replaceChildren();
  if (!panel || !panel.kind) return;
  const builder = BUILDERS[panel.kind] || nodePanel;
  const close = h("button", { type: "button", class: "lnb-close", title: "close", "aria-label": "close the panel", text: "×", onclick: onClose });
  container.append(close, ...builder(panel.data || {}, go), ...(extra || []));
}
