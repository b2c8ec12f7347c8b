// requests.js - requests to join a listed community: approve or deny
// (moderators and owners).
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { actionButton, communityContext, communityNav, paged, title, when, withSide } from "../ui.js";

export async function requestsScreen(ctx) {
  const { community, channels } = await communityContext(ctx.params.cid);
  const row = (r) => {
    const li = h("li", { class: "request" });
    const draw = (x) => replace(li,
      h("strong", null, x.user.display_name), h("span", { class: "muted" }, ` (${x.user.organisation.name})`),
      " · ", h("span", { class: `state state-${x.status}` }, x.status),
      h("p", { class: "meta" }, "asked ", when(x.created_at), x.decided_at ? [" · decided ", when(x.decided_at)] : null),
      x.message ? h("blockquote", null, x.message) : null,
      x.status === "pending" ? h("p", null,
        actionButton("Approve", async () => draw(await api.decideJoinRequest(community.id, x.id, "approve")), { cls: "primary" }),
        " ",
        actionButton("Deny", async () => draw(await api.decideJoinRequest(community.id, x.id, "deny")), { cls: "danger" })) : null);
    draw(r);
    return li;
  };
  return withSide(communityNav(community, channels, "requests"),
    title("Join requests"),
    community.join_policy === "request" && community.listed ? null
      : h("p", { class: "muted" }, "This community takes no join requests now (it is unlisted or joins by invitation only)."),
    await paged((cursor) => api.joinRequests(community.id, cursor), row, { empty: "No requests." }));
}
