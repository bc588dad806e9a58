// Builds DOM nodes. Text always goes in through textContent, so data from the store is never parsed as HTML.
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function link(text, onClick) {
  return h("button", { class: "lnb-link", type: "button", text, onclick: onClick });
}

export function facts(pairs) {
  const list = h("dl", { class: "lnb-facts" });
  for (const [term, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    list.append(h("dt", { text: term }), h("dd", { text: value }));
  }
  return list;
}
