// dom.js - building elements without ever parsing HTML.
//
// h("p", {class: "x"}, "text", child) creates the element with
// document.createElement and appends strings as text nodes, so whatever a
// string holds (a post's title, a display name, an error's detail) is shown
// as those characters and never run.  Nothing in the console assigns
// innerHTML: the one place where HTML is parsed is markdown.js, through
// DOMPurify.  Attributes that could carry code are refused outright
// (on*=, style=), and a link's href must be one of ours or http(s)/mailto.

const SAFE_URL = /^(?:#\/|\/(?!\/)|https?:|mailto:)/i;

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "on") {
        for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
      } else if (key === "class") {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
      } else if (key === "dataset") {
        Object.assign(el.dataset, value);
      } else if (key === "value" || key === "checked" || key === "selected" || key === "disabled"
        || key === "required" || key === "readOnly" || key === "multiple") {
        el[key] = value;
      } else if (/^on/i.test(key) || key === "style" || key === "srcdoc") {
        throw new Error(`dom: attribute ${key} is not allowed`);
      } else if (key === "href" || key === "action" || key === "src") {
        if (!SAFE_URL.test(String(value))) throw new Error(`dom: unsafe URL in ${key}`);
        el.setAttribute(key, String(value));
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/** Append children (strings become text nodes; null, false and undefined are skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace every child of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let unique = 0;
/** A fresh element id (labels and descriptions point at it). */
export function uid(prefix = "f") {
  unique += 1;
  return `${prefix}-${unique}`;
}
