// audit.js - a community's audit trail: who changed what, to whom, when
// (moderators, owners and staff).
import * as api from "../api.js";
import { h } from "../dom.js";
import { communityContext, communityNav, paged, person, title, when, withSide } from "../ui.js";

function detail(value) {
  if (value === null || typeof value !== "object") return String(value);
  const entries = Object.entries(value);
  if (!entries.length) return null;
  return h("dl", { class: "detail" }, entries.map(([k, v]) => [h("dt", null, k), h("dd", null,
    v !== null && typeof v === "object" && !Array.isArray(v) ? detail(v) : Array.isArray(v) ? v.join(", ") : String(v))]));
}

export async function auditScreen(ctx) {
  const { community, channels } = await communityContext(ctx.params.cid);
  const list = await paged((cursor) => api.audit(community.id, cursor), (a) => h("li", { class: "audit" },
    h("p", null, h("code", null, a.action), " · ", when(a.at)),
    h("p", { class: "meta" }, "by ", person(a.actor, "nobody named"), a.subject ? [" · about ", person(a.subject)] : null),
    detail(a.detail)), { empty: "Nothing recorded yet.", more: "Show older entries" });
  return withSide(communityNav(community, channels, "audit"), title("Audit trail"), list);
}
