// A stand-in for anywidget's model: traits with change events, and the messages sent both ways.
export class FakeModel {
  constructor(state) {
    this.state = { ...state };
    this.listeners = new Map();
    this.sent = [];
  }

  get(name) {
    return this.state[name];
  }

  set(name, value) {
    this.state[name] = value;
    for (const listener of this.listeners.get(`change:${name}`) || []) listener();
  }

  on(event, callback) {
    this.listeners.set(event, [...(this.listeners.get(event) || []), callback]);
  }

  off(event, callback) {
    this.listeners.set(event, (this.listeners.get(event) || []).filter((l) => l !== callback));
  }

  save_changes() {}

  send(message) {
    this.sent.push(message);
  }

  // A custom message from the kernel.
  receive(message) {
    for (const listener of this.listeners.get("msg:custom") || []) listener(message);
  }
}

const node = (id, extra = {}) => ({ group: "nodes", data: { id, kind: "dataset", badge: "dataset", label: id, caption: id, ...extra }, position: extra.position || { x: 0, y: 0 } });
const edge = (source, target, extra = {}) => ({ group: "edges", data: { id: `e|${source}|${target}`, source, target, evidence: "direct", ...extra } });

// raw -> prepare -> features (focus) -> train, as the kernel lays it out.
export function chainElements() {
  return [
    node("raw", { position: { x: 0, y: 0 } }),
    node("prepare", { kind: "workload", badge: "job", position: { x: 210, y: 0 } }),
    node("features", { focus: true, position: { x: 420, y: 0 } }),
    node("train", { kind: "workload", badge: "job", expandable: true, caption: "+ train", position: { x: 630, y: 0 } }),
    edge("raw", "prepare"),
    edge("prepare", "features"),
    edge("features", "train"),
  ];
}

export { edge, node };
