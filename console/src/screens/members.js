// members.js - a community's members for its moderators and owners:
// suspend and reactivate, change roles (owners), remove.  The server judges
// each action (nobody acts on an equal or higher role, the last owner
// stays); a refusal is shown beside the button.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import {
  actionButton, all, communityContext, communityNav, confirmButton, notice, title, when, withSide,
} from "../ui.js";

export async function membersScreen(ctx) {
  const { community, channels } = await communityContext(ctx.params.cid);
  const list = await all((cursor) => api.members(community.id, cursor));
  const mine = community.membership;
  const active = mine && mine.status === "active";
  const owner = active && mine.role === "owner";
  const mod = active && (mine.role === "owner" || mine.role === "moderator");
  const body = h("tbody");

  const row = (m) => {
    const tr = h("tr", { dataset: { user: m.user_id } });
    const redraw = (next) => replace(tr, ...cells(next));
    const cells = (x) => {
      const self = x.user_id === ctx.me.id;
      const roleBox = h("span");
      if (owner && !self) {
        const id = `role-${x.user_id}`;
        const select = h("select", { id, "aria-label": `Role of ${x.display_name}` },
          ["member", "moderator", "owner"].map((r) => h("option", { value: r, selected: r === x.role }, r)));
        replace(roleBox, select, " ", actionButton("Set role", async () => redraw(await api.updateMember(community.id, x.user_id, { role: select.value }))));
      } else {
        replace(roleBox, x.role);
      }
      return [
        h("td", null, h("strong", null, x.display_name), self ? " (you)" : null, h("div", { class: "muted" }, x.organisation.name)),
        h("td", null, roleBox),
        h("td", null, x.status === "suspended" ? h("strong", { class: "warn" }, "suspended") : "active"),
        h("td", null, when(x.joined_at)),
        h("td", { class: "row-actions" }, self || !mod ? null : [
          x.status === "active"
            ? actionButton("Suspend", async () => redraw(await api.updateMember(community.id, x.user_id, { status: "suspended" })))
            : actionButton("Reactivate", async () => redraw(await api.updateMember(community.id, x.user_id, { status: "active" }))),
          " ",
          confirmButton("Remove", `Remove ${x.display_name} from ${community.name}?`, async () => {
            await api.removeMember(community.id, x.user_id);
            tr.remove();
          }),
        ]),
      ];
    };
    redraw(m);
    return tr;
  };
  body.append(...list.map(row));
  return withSide(communityNav(community, channels, "members"),
    title("Members"),
    community.roster === "moderators" ? notice("Plain members of this community see only themselves and its moderators and owners.") : null,
    h("div", { class: "table-wrap" }, h("table", { class: "members" },
      h("thead", null, h("tr", null, ["Member", "Role", "Status", "Joined", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
      body)),
    mod ? h("p", null, h("a", { class: "button", href: `#/c/${community.id}/invites` }, "Invite someone")) : null);
}
