// anywidget front end for lineage_nb: shows what the kernel sends, and sends back user intents
// (the protocol, both ways, is in src/protocol.js; the view itself in src/view.js).
import css from "./src/styles.css";
import { snapshotModel } from "./src/snapshot.js";
import { mountView } from "./src/view.js";

function render(context) {
  return mountView(context, { css });
}

// The offline HTML export: the same view over a snapshot, with no kernel behind it.
export function renderStandalone(el, state) {
  return mountView({ model: snapshotModel(state), el }, { css });
}

// anywidget imports the bundle afresh for every widget, so every new graph would run on cold,
// unoptimised cytoscape code. The page keeps the first copy of this exact bundle and reuses it.
/* global __LINEAGE_NB_BUNDLE__ */
const shared = (globalThis[Symbol.for(`lineage_nb.widget.${__LINEAGE_NB_BUNDLE__}`)] ??= { render });

export default { render: (context) => shared.render(context) };
