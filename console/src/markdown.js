// markdown.js - a post's or comment's Markdown as safe DOM.
//
// Two walls, each enough on its own:
// 1. markdown-it with `html: false` never emits the author's HTML: a body
//    holding <img src=x onerror=...> is shown as those characters.  Its link
//    check refuses javascript:, vbscript:, file: and data: targets, and the
//    image rule is off, so a post never makes the reader's browser load
//    anything (not even from this origin).
// 2. DOMPurify then keeps only the tags and attributes listed below, and
//    links only to http(s) and mailto.  It returns a DocumentFragment, so no
//    innerHTML is assigned here either; under the console's Trusted Types
//    policy only DOMPurify may turn a string into DOM.
// Links open in a new tab with no opener and no referrer.
import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: false, typographer: false }).disable(["image"]);

const ALLOWED_TAGS = ["p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
  "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "s", "del"];

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("rel", "noopener noreferrer nofollow");
    node.setAttribute("target", "_blank");
  }
});

/** text (Markdown) → a DocumentFragment of sanitised HTML. */
export function markdown(text) {
  return DOMPurify.sanitize(md.render(String(text ?? "")), {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title", "start"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    RETURN_DOM_FRAGMENT: true,
  });
}
