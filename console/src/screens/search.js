// search.js - full-text search over the posts the caller may read
// (GET /search: web search syntax, "quoted phrases", -exclusions), narrowed
// by community, kind and TLP.  The snippet's **marks** become <mark>; the
// rest of it stays text.
import * as api from "../api.js";
import { h } from "../dom.js";
import { KINDS, TLPS, all, field, kindBadge, paged, severityBadge, title, tlpLabel, when } from "../ui.js";

function snippet(text) {
  return h("p", { class: "snippet" }, String(text).split("**").map((part, i) => (i % 2 ? h("mark", null, part) : part)));
}

export async function searchScreen(ctx) {
  const q = ctx.query.get("q") || "";
  const filters = {
    community_id: ctx.query.get("community_id") || "",
    kind: ctx.query.get("kind") || "",
    tlp: ctx.query.get("tlp") || "",
  };
  const mine = (await all((cursor) => api.communities(cursor))).filter((c) => c.membership);
  const qField = field({ label: "Search for", name: "q", type: "search", value: q, required: true, hint: "Words, \"a phrase\", -excluded; English or Dutch." });
  qField.querySelector("input").setAttribute("autofocus", "");
  const searchForm = h("form", { class: "form search-form", role: "search" },
    qField,
    h("div", { class: "row" },
      field({ label: "Community", name: "community_id", type: "select", value: filters.community_id, options: [["", "all my communities"], ...mine.map((c) => [c.id, c.name])] }),
      field({ label: "Kind", name: "kind", type: "select", value: filters.kind, options: [["", "any kind"], ...KINDS.map((k) => [k, k])] }),
      field({ label: "TLP", name: "tlp", type: "select", value: filters.tlp, options: [["", "any TLP"], ...TLPS.map((t) => [t, t])] })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Search")));
  searchForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(searchForm)) if (String(v).trim()) params.set(k, String(v).trim());
    ctx.go(`/search?${params}`);
  });
  let results = null;
  if (q.trim()) {
    try {
      results = await paged((cursor) => api.search({ q, ...filters, cursor }), (r) => h("li", { class: "post-row" },
        h("div", { class: "labels" }, tlpLabel(r.post.tlp), kindBadge(r.post.kind), severityBadge(r.post.severity)),
        h("h3", null, h("a", { href: `#/p/${r.post.id}` }, r.post.title)),
        h("p", { class: "meta" }, r.post.community.name, " · # ", r.post.channel.name, " · ", when(r.post.created_at)),
        snippet(r.snippet)), { empty: "Nothing found in the posts you can read.", cls: "posts", more: "More results" });
    } catch (err) {
      if (!(err instanceof api.ApiError) || err.status !== 400) throw err;
      results = h("p", { class: "notice notice-error", role: "alert" }, err.detail);
    }
  }
  return h("section", null, title("Search"), searchForm, results ? h("h2", null, "Results") : null, results);
}
