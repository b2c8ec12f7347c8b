// home.js - my communities, and the directory of listed ones I may ask to
// join (GET /me for my memberships and pending requests, GET /communities
// for the directory: mine plus listed ones; staff see every community).
import * as api from "../api.js";
import { h } from "../dom.js";
import { all, field, form, notice, title } from "../ui.js";

export async function homeScreen(ctx) {
  const me = await ctx.refreshMe();
  const list = await all((cursor) => api.communities(cursor));
  const pending = new Map(me.memberships.filter((m) => m.status === "pending").map((m) => [m.community_id, m]));
  const mine = list.filter((c) => c.membership);
  const others = list.filter((c) => !c.membership);
  const staff = me.platform_role === "staff";

  const card = (c) => h("li", { class: "card" },
    h("h3", null, h("a", { href: `#/c/${c.id}` }, c.name)),
    h("p", { class: "meta" }, h("span", { class: "kind" }, c.kind),
      c.membership ? [" · ", c.membership.role, c.membership.status === "suspended" ? h("strong", { class: "warn" }, " · suspended") : null] : null,
      c.member_count !== null ? ` · ${c.member_count} member${c.member_count === 1 ? "" : "s"}` : null),
    c.description ? h("p", null, c.description) : null);

  const joinable = (c) => {
    const item = card(c);
    if (pending.has(c.id)) {
      item.append(h("p", { class: "muted" }, "You asked to join; the moderators will decide."));
    } else if (c.listed && c.join_policy === "request" && !staff) {
      item.append(form({
        submit: "Ask to join",
        className: "inline-form",
        onSubmit: async (v) => {
          await api.askToJoin(c.id, v.message.trim() ? { message: v.message.trim() } : {});
          await ctx.refreshMe();
          ctx.go("/");
        },
      }, field({ label: `A note for the moderators of ${c.name} (optional)`, name: "message", type: "textarea", rows: 2 })));
    }
    return item;
  };

  return h("section", null,
    title("My communities"),
    mine.length
      ? h("ul", { class: "cards" }, mine.map(card))
      : notice(staff
        ? "You are not a member of any community. As staff you onboard clusters and see their settings and audit trails, not their content."
        : "You are not a member of any community yet. Open an invitation link, or ask to join a listed community below."),
    others.length ? [
      h("h2", null, staff ? "All other communities" : "Listed communities"),
      h("ul", { class: "cards" }, others.map(joinable)),
    ] : null);
}
