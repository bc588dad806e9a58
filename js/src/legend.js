// What the shapes, icons, `+` and edge styles mean: a drop-down beside the toolbar, closed by default
// so it never covers the graph.
import { h } from "./dom.js";
import { EDGES, HIGHLIGHTS, ICONS, KINDS } from "./style.js";

function swatch(style) {
  const node = h("span", { class: "lnb-swatch" });
  for (const [key, value] of Object.entries(style)) node.style.setProperty(key, value);
  return node;
}

function edgeSwatch(style) {
  const colour = style["line-color"] || "#8c959f";
  const dashed = style["line-style"] === "dashed";
  return swatch({ "border-top": `2px ${dashed ? (style["line-dash-pattern"][0] > 3 ? "dashed" : "dotted") : "solid"} ${colour}` });
}

export function legend() {
  const entries = [];
  for (const [badge, words, colours] of KINDS) {
    entries.push(h("li", {}, swatch({
      "background-color": colours["background-color"], "border-color": colours["border-color"],
      "background-image": `url("${ICONS[badge]}")`,
    }), words));
  }
  entries.push(
    h("li", {}, swatch({ "border-style": "dashed", "border-color": "#3b5bdb", "background-color": "#f8f9ff" }), "a workload holding its steps (double-click: hide them)"),
    h("li", {}, h("span", { class: "lnb-swatch lnb-plus", text: "+" }), "more lineage: click to expand, double-click to collapse"),
  );
  for (const [, words, style] of EDGES) entries.push(h("li", {}, edgeSwatch(style), words));
  entries.push(
    h("li", {}, edgeSwatch({ "line-color": HIGHLIGHTS.back }), "curved red: closes a cycle, drawn against the flow"),
    h("li", {}, swatch({ "border-color": HIGHLIGHTS.focus["border-color"], "border-width": "3px" }), "the graph's focus"),
    h("li", {}, swatch({ "box-shadow": `0 0 0 4px ${HIGHLIGHTS.found["underlay-color"]}80` }), "matches your search"),
    h("li", {}, swatch({ "border-color": HIGHLIGHTS.path, "border-width": "3px" }), "on hover: everything up- and downstream"),
  );
  return h("details", { class: "lnb-legend" }, h("summary", { text: "Legend" }), h("ul", {}, entries));
}
