// Listing tables: sortable columns, relative times (exact on hover), long paths cut from the middle
// (full on hover), and filters that ask the kernel again.
import { h, link } from "./dom.js";
import { PATH_COLUMNS, TIME_COLUMNS, compareBy, relativeTime, shortenMiddle } from "./format.js";

const HEADINGS = { created_by: "created by", created_at: "created", last_run_at: "last run", reads: "read", writes: "written" };
const FILTERS = [["search", "name contains…"], ["created_by", "created by…"], ["project", "project…"]];
const sorting = new WeakMap(); // container -> {column, descending}, kept while the table re-renders

function cell(row, column, go) {
  const value = row[column];
  if (column === "name") {
    const text = row.label && row.label !== row.name ? `${row.label} (${shortenMiddle(row.name, 24)})` : shortenMiddle(row.name);
    const button = link(text, () => go(row.id));
    button.title = row.name;
    return h("td", {}, button);
  }
  if (value === null || value === undefined) return h("td");
  if (TIME_COLUMNS.has(column)) return h("td", { title: value }, relativeTime(value) || value);
  if (PATH_COLUMNS.has(column)) return h("td", { title: value }, shortenMiddle(value));
  return h("td", { class: typeof value === "number" ? "lnb-number" : null }, String(value));
}

function filterBar(table, send) {
  const filters = table.filters;
  const shown = FILTERS.filter(([key]) => key !== "created_by" || filters.kind !== "workload");
  const inputs = shown.map(([key, placeholder]) => {
    const input = h("input", { type: "search", placeholder, class: `lnb-filter-${key.replace("_", "-")}` });
    input.value = filters[key] || "";
    return [key, input];
  });
  const apply = () => send.filter(Object.fromEntries(inputs.map(([key, input]) => [key, input.value])));
  for (const [, input] of inputs) input.addEventListener("keydown", (e) => e.key === "Enter" && apply());
  return h("div", { class: "lnb-table-filters" }, inputs.map(([, input]) => input), h("button", { type: "button", text: "Filter", onclick: apply }));
}

export function renderTable(container, table, send) {
  container.replaceChildren();
  if (!table || !table.columns) return;
  container.append(h("h3", { text: table.title || "" }));
  if (table.filters) container.append(filterBar(table, send));
  const order = sorting.get(container) || {};
  const rows = [...(table.rows || [])];
  if (order.column) rows.sort(compareBy(order.column, order.descending));
  const heading = (column) => {
    const arrow = order.column === column ? (order.descending ? " ▼" : " ▲") : "";
    const sort = () => {
      sorting.set(container, { column, descending: order.column === column && !order.descending });
      renderTable(container, table, send);
    };
    return h("th", { class: "lnb-sortable", title: "sort", onclick: sort }, (HEADINGS[column] || column) + arrow);
  };
  const body = rows.map((row) => h("tr", {}, table.columns.map((column) => cell(row, column, send.navigate))));
  container.append(h("table", { class: "lnb-table" }, h("tr", {}, table.columns.map(heading)), body));
  if (!body.length) container.append(h("p", { text: "(none)" }));
}
