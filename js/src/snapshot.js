// The offline HTML export's stand-in for the kernel: the widget's intents (protocol.js), answered from
// the snapshot the export carries (every hop it was exported with, laid out once, and each node's panel).
// There a `+` means "more in this file": expand, collapse, a smaller depth, one direction, find and reset
// all work; what needs the store (the next page of a "+N more", hiding steps, other graphs) says so.

const FLOWS = { both: ["up", "down"], up: ["up"], down: ["down"] };

function withPlus(data, plus) {
  const base = data.expandable && data.kind !== "more" && String(data.caption).startsWith("+ ") ? data.caption.slice(2) : data.caption;
  return { ...data, expandable: plus, caption: plus ? `+ ${base}` : base };
}

export function snapshotModel(state) {
  const values = { ...state };
  const listeners = new Map();
  const exported = state.exported || { depth: state.depth, direction: state.direction };
  const everything = new Map(state.snapshot.map((element) => [element.data.id, element]));
  const nodes = state.snapshot.filter((e) => e.group === "nodes").map((e) => e.data.id);
  const edges = state.snapshot.filter((e) => e.group === "edges").map((e) => e.data);
  const focus = nodes.filter((id) => everything.get(id).data.focus);
  let shown = new Set(nodes);
  let direction = exported.direction;
  const broughtBy = new Map(); // node -> the nodes expanding it added
  let revision = state.revision || 0;

  const emit = (message) => (listeners.get("msg:custom") || []).forEach((f) => f(message));
  const set = (name, value) => {
    values[name] = value;
    (listeners.get(`change:${name}`) || []).forEach((f) => f());
  };
  const parentOf = (id) => everything.get(id)?.data.parent;
  const label = (id) => everything.get(id)?.data.label || id;

  // Neighbours of `id` in the snapshot, following the current direction (a compound counts its steps').
  function neighbours(id, flows = FLOWS[direction]) {
    const members = new Set([id, ...nodes.filter((n) => parentOf(n) === id)]);
    const found = new Set();
    for (const edge of edges) {
      if (flows.includes("down") && members.has(edge.source)) found.add(edge.target);
      if (flows.includes("up") && members.has(edge.target)) found.add(edge.source);
    }
    for (const member of members) found.delete(member);
    return [...found];
  }
  const hidden = (id) => neighbours(id).filter((n) => !shown.has(n));

  function element(id) {
    const original = everything.get(id);
    const data = original.group === "nodes" ? withPlus({ ...original.data, expanded: broughtBy.has(id) }, !broughtBy.has(id) && hidden(id).length > 0) : original.data;
    return { ...original, data };
  }

  // Shown nodes with their compound parents, and the edges between shown nodes.
  function elements() {
    const ids = new Set(shown);
    for (const id of shown) if (parentOf(id)) ids.add(parentOf(id));
    const drawn = nodes.filter((id) => ids.has(id)).map(element);
    return drawn.concat(edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => element(e.id)));
  }

  // Nodes within `depth` hops of the focus, following `flows` (the query's own walk).
  function within(depth, flows) {
    const reached = new Set(focus);
    let frontier = [...focus];
    for (let hop = 0; hop < depth && frontier.length; hop += 1) {
      frontier = frontier.flatMap((id) => neighbours(id, flows)).filter((id) => !reached.has(id) && reached.add(id));
    }
    for (const id of reached) if (parentOf(id)) reached.add(parentOf(id));
    return reached;
  }

  function sendDelta(before, reveal = []) {
    const after = new Map(elements().map((e) => [e.data.id, e]));
    const delta = { type: "delta", revision: ++revision, added: [], removed: [], updated: [], moved: [], reveal };
    for (const [id, e] of after) {
      if (!before.has(id)) delta.added.push(e);
      else if (JSON.stringify(before.get(id).data) !== JSON.stringify(e.data)) delta.updated.push(e.data);
    }
    delta.removed = [...before.keys()].filter((id) => !after.has(id));
    delta.added.sort((a, b) => (a.group === b.group ? (a.data.compound ? -1 : 0) : a.group === "nodes" ? -1 : 1));
    emit(delta);
  }

  function change(update, reveal) {
    const before = new Map(elements().map((e) => [e.data.id, e]));
    update();
    sendDelta(before, typeof reveal === "function" ? reveal() : reveal);
  }

  function replace() {
    emit({ type: "replace", revision: ++revision, elements: elements() });
  }

  const beyond = "open the notebook to go further than this export";
  const answers = {
    ready: () => {},
    select: ({ id }) => {
      if (!id) return set("selected", "") || set("panel", {});
      const node = everything.get(id);
      set("selected", id);
      set("panel", (state.panels || {})[id] || { kind: "node", data: node ? node.data : {} });
    },
    expand: ({ id }) => {
      const data = everything.get(id)?.data || {};
      if (data.kind === "more") return set("message", `this export holds the first page of these neighbours: ${beyond}`);
      if (broughtBy.has(id)) return set("message", `${label(id)} is expanded already: double-click it to collapse`);
      const adding = hidden(id);
      if (!adding.length) return set("message", `nothing more in this export around ${label(id)}: ${beyond}`);
      set("message", "");
      change(() => {
        broughtBy.set(id, adding);
        adding.forEach((n) => shown.add(n));
      }, [id, ...adding]);
    },
    expand_all: () => {
      const todo = [...shown].filter((id) => !broughtBy.has(id) && hidden(id).length);
      if (!todo.length) return set("message", `nothing left to expand in this export: ${beyond}`);
      set("message", "");
      const added = [];
      change(() => {
        for (const id of todo) {
          const adding = hidden(id);
          broughtBy.set(id, adding);
          adding.forEach((n) => shown.add(n));
          added.push(...adding);
        }
      }, () => added);
    },
    collapse: ({ id }) => {
      if (!broughtBy.has(id)) return set("message", `${label(id)} has nothing expanded to collapse`);
      set("message", "");
      change(() => {
        const doomed = [...broughtBy.get(id)];
        broughtBy.delete(id);
        while (doomed.length) {
          const node = doomed.pop();
          if (focus.includes(node)) continue;
          shown.delete(node);
          doomed.push(...(broughtBy.get(node) || []));
          broughtBy.delete(node);
        }
      }, [id]);
    },
    toggle_steps: () => set("message", `showing or hiding steps needs the store: ${beyond}`),
    navigate: ({ id }) => {
      if (!shown.has(id)) return set("message", `${label(id)} is not in this export's view: ${beyond}`);
      answers.select({ id });
      emit({ type: "delta", revision: ++revision, added: [], removed: [], updated: [], moved: [], reveal: [id] });
    },
    options: ({ depth, direction: wanted }) => {
      if (depth > exported.depth) return set("message", `this export holds ${exported.depth} hop(s): ${beyond}`);
      if (exported.direction !== "both" && wanted !== exported.direction) return set("message", `this export holds only ${exported.direction}stream lineage: ${beyond}`);
      direction = wanted;
      shown = within(depth, FLOWS[wanted]);
      broughtBy.clear();
      set("depth", depth);
      set("direction", wanted);
      set("message", "");
      replace();
      if (values.selected && !shown.has(values.selected)) answers.select({ id: "" });
    },
    reset: () => {
      direction = exported.direction;
      shown = new Set(nodes);
      broughtBy.clear();
      set("depth", exported.depth);
      set("direction", exported.direction);
      set("message", "back to the exported view");
      replace();
    },
    search: ({ text }) => set("message", `nothing named like "${text}" in this export`),
    filter: () => {},
    back: () => {},
  };

  values.snapshot = elements();
  return {
    get: (name) => values[name],
    set,
    on: (name, f) => listeners.set(name, [...(listeners.get(name) || []), f]),
    off: (name, f) => listeners.set(name, (listeners.get(name) || []).filter((g) => g !== f)),
    save_changes: () => {},
    send: (message) => answers[message.type]?.(message),
  };
}
