// channel.js - a channel's posts, newest first, with their TLP labels,
// kind and severity; filters by kind, TLP and tag; older posts page in
// with next_cursor.  New posts show on the next visit (live updates over
// the WebSocket come with realtime.js: see routes.js).
import * as api from "../api.js";
import { h } from "../dom.js";
import {
  KINDS, TLPS, communityContext, communityNav, field, kindBadge, paged, person, severityBadge, title, tlpLabel,
  when, withSide,
} from "../ui.js";

/** One post in a list (also used by search results). */
export function postRow(p) {
  return h("li", { class: "post-row", dataset: { post: p.id } },
    h("div", { class: "labels" }, tlpLabel(p.tlp), kindBadge(p.kind), severityBadge(p.severity)),
    h("h3", null, h("a", { href: `#/p/${p.id}` }, p.title)),
    h("p", { class: "meta" }, person(p.author), " · ", when(p.created_at),
      p.revision > 0 ? " · edited" : null,
      p.indicators && p.indicators.length ? ` · ${p.indicators.length} indicator${p.indicators.length === 1 ? "" : "s"}` : null,
      p.tags && p.tags.length ? [" · ", p.tags.map((t) => h("span", { class: "tag" }, t))] : null));
}

export async function channelScreen(ctx) {
  const ch = await api.channel(ctx.params.chid);
  const { community, channels } = await communityContext(ch.community_id);
  const filters = { kind: ctx.query.get("kind") || "", tlp: ctx.query.get("tlp") || "", tag: ctx.query.get("tag") || "" };
  const list = await paged(
    (cursor) => api.posts(ch.id, { ...filters, cursor }),
    postRow,
    { empty: filters.kind || filters.tlp || filters.tag ? "No post matches these filters." : "No posts yet.", cls: "posts", more: "Show older posts" },
  );
  const filterForm = h("form", { class: "filters", "aria-label": "Filter posts" },
    field({ label: "Kind", name: "kind", type: "select", value: filters.kind, options: [["", "any kind"], ...KINDS.map((k) => [k, k])] }),
    field({ label: "TLP", name: "tlp", type: "select", value: filters.tlp, options: [["", "any TLP"], ...TLPS.map((t) => [t, t])] }),
    field({ label: "Tag", name: "tag", value: filters.tag }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")));
  filterForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(filterForm)) if (String(v).trim()) q.set(k, String(v).trim());
    ctx.go(`/ch/${ch.id}${[...q].length ? `?${q}` : ""}`);
  });
  return withSide(communityNav(community, channels, ch.id),
    title(`# ${ch.name}`,
      ch.can_post ? h("a", { class: "button primary", href: `#/ch/${ch.id}/new` }, "Write a post") : null,
      ch.can_moderate ? h("a", { class: "button", href: `#/ch/${ch.id}/settings` }, "Channel settings") : null),
    ch.description ? h("p", { class: "lead" }, ch.description) : null,
    h("details", { class: "filter-box", open: filters.kind || filters.tlp || filters.tag ? true : null },
      h("summary", null, "Filters"), filterForm),
    list);
}
