// A DOM for the view (jsdom), installed as globals before any widget module runs.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
for (const name of ["window", "document", "Node", "HTMLElement", "Event", "MouseEvent", "KeyboardEvent", "getComputedStyle"]) {
  globalThis[name] = name === "window" ? dom.window : dom.window[name];
}
export { dom };
