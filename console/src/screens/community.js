// community.js - one community: what it is, how it is run, and the channels
// the caller reads (with links to manage it for moderators and owners).
// A channel the reader loses while the screen is open (realtime.js:
// `revoked`) leaves its list and the side navigation.
import * as api from "../api.js";
import { h } from "../dom.js";
import * as realtime from "../realtime.js";
import { communityNav, confirmButton, notice, title, withSide } from "../ui.js";

export async function communityScreen(ctx) {
  const c = await api.community(ctx.params.cid);
  const m = c.membership;
  let channels = [];
  let blocked = null;
  if (m && m.status === "active") {
    try {
      channels = (await api.channels(c.id)).items;
    } catch (err) {
      if (!(err instanceof api.ApiError) || err.status !== 403) throw err;
      blocked = err;
    }
  }
  const mod = m && m.status === "active" && (m.role === "owner" || m.role === "moderator");
  const staff = ctx.me.platform_role === "staff";
  const facts = [
    ["Kind", c.kind],
    ["Listed in the directory", c.listed ? "yes" : "no"],
    ["Joining", c.join_policy === "request" ? "by invitation or request" : "by invitation only"],
    ["Roster", c.roster === "members" ? "members see every member" : "members see the moderators and owners"],
    ["Two-step sign-in required", c.require_totp ? "yes" : "no"],
    ["Posts kept", (c.effective_retention_days ?? c.retention_days) ? `${c.effective_retention_days ?? c.retention_days} days` : "until deleted"],
    c.legal_hold ? ["Legal hold", "yes: nothing here is purged"] : null,
    ["Members", c.member_count ?? "—"],
    ["Your role", m ? `${m.role}${m.status === "suspended" ? " (suspended)" : ""}` : staff ? "staff (not a member)" : "not a member"],
  ];
  const content = [
    title(c.name),
    c.description ? h("p", { class: "lead" }, c.description) : null,
    m && m.status === "suspended" ? notice("Your membership is suspended: you can read and post nothing here until a moderator reactivates it.", "error") : null,
    blocked ? [notice(blocked.detail, "error"),
      blocked.type === "totp-required" ? h("p", null, h("a", { href: "#/account" }, "Turn on two-step sign-in")) : null] : null,
    m && m.status === "active" && !blocked ? [
      h("h2", null, "Channels"),
      channels.length
        ? h("ul", { class: "cards" }, channels.map((ch) => h("li", { class: "card" },
          h("h3", null, h("a", { href: `#/ch/${ch.id}` }, `# ${ch.name}`)),
          h("p", { class: "meta" }, ch.visibility === "restricted" ? "restricted · " : "",
            ch.posting === "moderators" ? "moderators post" : "members post"),
          ch.description ? h("p", null, ch.description) : null)))
        : notice("There is no channel you can read yet."),
      mod ? h("p", null, h("a", { class: "button", href: `#/c/${c.id}/channels/new` }, "New channel")) : null,
    ] : null,
    h("h2", null, "About"),
    h("dl", { class: "facts" }, facts.filter(Boolean).map(([k, v]) => [h("dt", null, k), h("dd", null, String(v))])),
    staff && !mod ? h("p", null, h("a", { href: `#/c/${c.id}/audit` }, "Audit trail"), " · ",
      h("a", { href: `#/c/${c.id}/retention` }, "Retention and legal hold")) : null,
    m ? h("p", null, confirmButton("Leave this community", `Leave ${c.name}?`, async () => {
      await api.removeMember(c.id, ctx.me.id);
      await ctx.refreshMe();
      ctx.go("/");
    })) : null,
  ];
  const side = communityNav(c, channels, null);
  const page = withSide(side, content);
  for (const ch of channels) {
    ctx.onLeave(realtime.watch(ch.id, (msg) => {
      if (msg.type !== "revoked") return;
      for (const a of page.querySelectorAll(`a[href="#/ch/${CSS.escape(ch.id)}"]`)) a.closest("li")?.remove();
    }));
  }
  return page;
}
