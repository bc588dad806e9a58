// The widget's protocol, in one place: what the front end asks of the kernel (intents, sent as custom
// messages) and what the kernel sends back. The kernel side is lineage_nb/notebook/widget.py; the
// offline HTML export answers the same intents from a snapshot (snapshot.js).
//
// Traits (kernel -> front end, synced): mode ("graph" | "table"), snapshot (every element of a freshly
// laid-out view), revision, focus, depth, direction, selected, panel, table, back (title of the table
// a graph was opened from), message (why a request changed nothing), node_count.
//
// Custom messages, kernel -> front end:
//   {type: "delta", revision, added: [element], removed: [id], updated: [data], moved: [{id, position}],
//    reveal: [id]}   after an intent changed the view; `reveal` lists what to bring into view
//   {type: "delta", routes: true, revision, updated: [edge data], ...}   a big view's edge routes, right after
//    its snapshot (sent with straight edges so that it is drawn without waiting for them)
//   {type: "replace", revision, elements}   the whole view, to a front end that missed deltas

export const INTENT_TYPES = [
  "ready", "select", "expand", "collapse", "toggle_steps", "expand_all", "navigate", "options", "reset", "search", "filter", "back",
];

export function intents(model) {
  const send = (type, fields = {}) => model.send({ type, ...fields });
  return {
    ready: () => send("ready", { revision: model.get("revision") }),
    select: (id) => send("select", { id: id ?? "" }),
    expand: (id) => send("expand", { id }), // a `+` node, or the next page behind a "+N more" node
    collapse: (id) => send("collapse", { id }),
    toggleSteps: (id) => send("toggle_steps", { id }), // show or hide a compound workload's steps
    expandAll: () => send("expand_all"),
    navigate: (id) => send("navigate", { id }), // a new view centred on this node
    options: (depth, direction) => send("options", { depth, direction }),
    reset: () => send("reset"),
    search: (text) => send("search", { text }), // only when nothing drawn matches
    filter: (filters) => send("filter", filters), // a table's search, created_by, project
    back: () => send("back"), // to the table this graph was opened from
  };
}

// Dispatch a kernel message to the handler for its type; other messages are not the widget's.
export function onKernelMessage(message, handlers) {
  const handler = message && handlers[message.type];
  if (handler) handler(message);
  return Boolean(handler);
}
