// Side panel (artifact and workload overviews) and listing tables. Every value is set as text.
import { facts, h, link } from "./dom.js";
import { qualitySections } from "./quality.js";

function workloadLinks(entries, count, intent) {
  const list = h("ul");
  for (const entry of entries || []) {
    list.append(h("li", {}, link(entry.name, () => intent("navigate", entry.id)), h("span", { class: "lnb-dim", text: ` (${entry.type || "workload"})` })));
  }
  if (count > (entries || []).length) list.append(h("li", { text: `… ${count - entries.length} more` }));
  return list;
}

function artifactPanel(data, intent) {
  const written = data.written_by || {};
  const parts = [
    h("h3", { text: `${data.kind === "model" ? "Model" : "Dataset"}: ${data.name}` }),
    facts([
      ["URI", data.uri],
      ["Namespace", data.namespace],
      ["Format", data.format],
      ["Created at", data.created_at],
      ["Created by", data.created_by],
      ["Version", data.version],
      ["Last seen", data.last_seen],
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
    h("div", { class: "lnb-related-up" }, h("div", { text: `Upstream producers (${data.upstream_count})` }), workloadLinks(data.upstream, data.upstream_count, intent)),
    h("div", { class: "lnb-related-down" }, h("div", { text: `Downstream consumers (${data.downstream_count})` }), workloadLinks(data.downstream, data.downstream_count, intent)),
  );
  return parts;
}

function artifactList(title, entries, count, intent) {
  const list = h("ul");
  for (const entry of entries || []) {
    list.append(h("li", {}, link(entry.name, () => intent("navigate", entry.id)), h("span", { text: ` (${entry.kind})` })));
  }
  if (count > (entries || []).length) list.append(h("li", { text: `… ${count - entries.length} more` }));
  return h("details", { class: "lnb-related" }, h("summary", { text: `${title}: ${count}` }), list);
}

function workloadPanel(data, intent) {
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
      ["Last run", [data.last_run_at, run.state].filter(Boolean).join(" · ")],
    ]),
    h("h4", { text: "Related artifacts" }),
    artifactList("Upstream (read)", data.upstream, data.upstream_count, intent),
    artifactList("Downstream (written)", data.downstream, data.downstream_count, intent),
  ];
}

function nodePanel(data) {
  return [h("h3", { text: `${data.kind}: ${data.name || data.label}` }), facts([["Namespace", data.namespace], ["Format", data.format], ["Type", data.type]])];
}

export function renderPanel(container, panel, intent, extra) {
  container.replaceChildren();
  if (!panel || !panel.kind) return;
  const builders = { artifact: artifactPanel, workload: workloadPanel, node: nodePanel, more: nodePanel };
  const builder = builders[panel.kind] || nodePanel;
  container.append(...builder(panel.data || {}, intent), ...(extra || []));
}

export function renderTable(container, table, intent) {
  container.replaceChildren();
  if (!table || !table.columns) return;
  container.append(h("h3", { text: table.title || "" }));
  if (table.filters) {
    const search = h("input", { type: "search", placeholder: "name contains…", class: "lnb-filter-search" });
    const owner = h("input", { type: "search", placeholder: "created by…", class: "lnb-filter-owner" });
    search.value = table.filters.search || "";
    owner.value = table.filters.created_by || "";
    const apply = () => intent("filter", null, { search: search.value, created_by: owner.value });
    for (const input of [search, owner]) input.addEventListener("keydown", (e) => e.key === "Enter" && apply());
    container.append(h("div", { class: "lnb-table-filters" }, search, owner, h("button", { type: "button", text: "Filter", onclick: apply })));
  }
  const head = h("tr", {}, table.columns.map((c) => h("th", { text: c })));
  const rows = (table.rows || []).map((row) =>
    h("tr", {}, table.columns.map((c) => h("td", {}, c === "name" ? link(row.name, () => intent("navigate", row.id)) : h("span", { text: row[c] ?? "" })))),
  );
  container.append(h("table", { class: "lnb-table" }, head, rows));
  if (!rows.length) container.append(h("p", { text: "(none)" }));
}
