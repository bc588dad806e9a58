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

export default { render };
