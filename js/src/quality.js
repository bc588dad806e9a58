// Artifact panel sections for what other producers state about a dataset: how its writes went, its
// test summary (green when every test passed, red otherwise), column lineage, statistics and SQL.
// Styles are inline so this file stands alone; every value is set as text (dom.js).
import { facts, h } from "./dom.js";

const GREEN = "#1a7f37";
const RED = "#cf222e";

function writeNote(data) {
  if (!data.only_failed_writes) return [];
  return [h("p", { class: "lnb-write-failed", style: `color:${RED}`, text: "Only failed writes: this dataset was never created." })];
}

function testSummary(quality) {
  const assertions = (quality && quality.assertions) || [];
  if (!assertions.length) return [];
  const failed = quality.failed || 0;
  const summary = h("div", {
    class: `lnb-tests-summary ${failed ? "lnb-tests-failed" : "lnb-tests-passed"}`,
    style: `display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;background:${failed ? RED : GREEN}`,
    text: failed ? `${failed} of ${assertions.length} tests failed` : `all ${assertions.length} tests passed`,
  });
  const list = h("ul", { class: "lnb-tests", style: "list-style:none;padding-left:0;margin:4px 0" });
  for (const test of assertions) {
    list.append(
      h("li", { class: test.success ? "lnb-test-pass" : "lnb-test-fail" },
        h("span", { style: `color:${test.success ? GREEN : RED};font-weight:bold`, text: test.success ? "✓ " : "✗ " }),
        h("span", { text: test.name || test.assertion }),
        test.column ? h("span", { class: "lnb-dim", text: ` (${test.column})` }) : null),
    );
  }
  return [h("h4", { text: "Tests" }), summary, list];
}

function columnLineage(rows, total) {
  if (!(rows || []).length) return [];
  const table = h("table", { class: "lnb-schema lnb-column-lineage" }, h("tr", {}, h("th", { text: "column" }), h("th", { text: "from" })));
  for (const row of rows) {
    const sources = (row.inputs || []).map((input) => {
      const table_ = input.name.split(".").pop();
      return h("div", { title: `${input.namespace} ${input.name}`, text: input.column ? `${table_}.${input.column}` : table_ });
    });
    table.append(h("tr", {}, h("td", { text: row.column }), h("td", {}, sources)));
  }
  const more = total > rows.length ? [h("p", { class: "lnb-dim", text: `… ${total - rows.length} more columns` })] : [];
  return [h("h4", { text: "Column lineage" }), table, ...more];
}

function statistics(data) {
  const stats = data.output_statistics || data.input_statistics;
  const source = data.data_source || {};
  const rows = [["Data source", source.uri || source.name], ["Rows", stats && stats.rowCount], ["Bytes", stats && stats.size], ["Files", stats && stats.fileCount]];
  return rows.some(([, value]) => value !== undefined && value !== null) ? [facts(rows)] : [];
}

function sql(query) {
  if (!query || !query.query) return [];
  const title = `SQL${query.dialect ? ` (${query.dialect})` : ""}${query.workload ? ` of ${query.workload.name}` : ""}`;
  return [h("details", { class: "lnb-sql" }, h("summary", { text: title }), h("pre", { class: "lnb-cell", text: query.query }))];
}

export function qualitySections(data) {
  return [...writeNote(data), ...statistics(data), ...testSummary(data.quality), ...columnLineage(data.column_lineage, data.column_lineage_count), ...sql(data.sql)];
}
