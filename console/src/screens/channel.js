// channel.js - a channel's posts, newest first, with their TLP labels,
// kind and severity; filters by kind, TLP and tag; older posts page in
// with next_cursor.  The list is live (realtime.js): a new post that
// matches the filters appears at the top, an edited one is redrawn, a
// deleted one (or one the reader may no longer see) goes, and when the
// reader loses the channel (suspended, removed) the list goes with it.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import * as realtime from "../realtime.js";
import {
  KINDS, TLPS, communityContext, communityNav, field, kindBadge, notice, paged, person, severityBadge, title, tlpLabel,
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
  const load = () => paged(
    (cursor) => api.posts(ch.id, { ...filters, cursor }),
    postRow,
    { empty: filters.kind || filters.tlp || filters.tag ? "No post matches these filters." : "No posts yet.", cls: "posts", more: "Show older posts" },
  );
  const list = await load();
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
  const matches = (p) => (!filters.kind || p.kind === filters.kind) && (!filters.tlp || p.tlp === filters.tlp)
    && (!filters.tag || (p.tags || []).includes(filters.tag));
  const announce = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const side = communityNav(community, channels, ch.id);
  const write = ch.can_post ? h("a", { class: "button primary", href: `#/ch/${ch.id}/new` }, "Write a post") : null;
  const live = h("div", { class: "live" }, list);
  const rowOf = (postId) => live.querySelector(`li.post-row[data-post="${CSS.escape(postId)}"]`);
  const badge = h("span", { class: "live-badge", dataset: { live: "off" } }, "connecting…");
  ctx.onLeave(realtime.watch(ch.id, (msg) => {
    const ul = live.querySelector("ul.posts");
    if (msg.type === "subscribed" || msg.type === "offline") {
      const on = msg.type === "subscribed";
      badge.dataset.live = on ? "on" : "off";
      replace(badge, on ? "live" : "reconnecting…");
      badge.title = on ? "New posts appear here as they are made" : "The connection dropped; trying again";
      return;
    }
    if (msg.type === "revoked") {
      replace(live, notice("You can no longer read this channel: your access to it has ended.", "error"));
      write?.remove();
      badge.remove();
      side.querySelector(`a[href="#/ch/${CSS.escape(ch.id)}"]`)?.closest("li")?.remove();
      return;
    }
    if (msg.type === "resync") {
      // what was missed cannot be replayed: read the list again, in place
      load().then((fresh) => {
        if (live.querySelector("ul.posts")) replace(live, fresh);
      }, () => {});
      return;
    }
    if (msg.type !== "event" || !ul) return;
    const p = msg.data || {};
    if (msg.event === "post.created" || msg.event === "post.updated") {
      const old = rowOf(p.id);
      if (!matches(p)) {
        old?.remove();
        return;
      }
      const row = postRow(p);
      if (old) {
        old.replaceWith(row);
      } else if (msg.event === "post.created") {
        row.classList.add("fresh");
        ul.prepend(row);
        live.querySelector(".empty")?.remove();
        replace(announce, `New post: ${p.title}`);
      }
    } else if (msg.event === "post.deleted") {
      rowOf(p.id)?.remove();
    }
  }));
  return withSide(side,
    announce,
    title(`# ${ch.name}`,
      badge,
      write,
      ch.can_moderate ? h("a", { class: "button", href: `#/ch/${ch.id}/settings` }, "Channel settings") : null),
    ch.description ? h("p", { class: "lead" }, ch.description) : null,
    h("details", { class: "filter-box", open: filters.kind || filters.tlp || filters.tag ? true : null },
      h("summary", null, "Filters"), filterForm),
    live);
}
