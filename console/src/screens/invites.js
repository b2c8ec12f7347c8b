// invites.js - invitations into a community (moderators and owners): make
// one and get the link to pass on (isacd sends no e-mail), see them all,
// revoke a pending one.  The invitee's organisation is picked from the
// platform's list, or added on the spot.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import {
  all, communityContext, communityNav, confirmButton, copyField, field, form, notice, paged, title, when, withSide,
} from "../ui.js";

/** The link an invitation token opens: this console, on this origin. */
export function inviteLink(token) {
  return `${location.origin}/#/invite/${token}`;
}

/** An organisation select plus "or a new one": returns [fields, resolve(values) → id]. */
export async function organisationPicker(label) {
  const orgs = (await all((cursor) => api.organisations(cursor))).filter((o) => o.status === "active");
  orgs.sort((a, b) => a.name.localeCompare(b.name));
  const fields = [
    field({ label, name: "organisation_id", type: "select", options: [["", "— choose —"], ...orgs.map((o) => [o.id, o.name])] }),
    field({ label: "…or a new organisation", name: "new_organisation", hint: "Its name, when it is not in the list yet: it is added to the platform." }),
  ];
  const resolve = async (v) => {
    if (v.new_organisation.trim()) {
      try {
        return (await api.createOrganisation({ name: v.new_organisation.trim() })).id;
      } catch (err) {
        for (const e of err.errors || []) if (e.field === "name") e.field = "new_organisation";
        if (err.status === 409) err.errors = [{ field: "new_organisation", message: "exists already: choose it in the list" }];
        throw err;
      }
    }
    if (!v.organisation_id) {
      throw new api.ApiError(400, { detail: "choose the organisation", errors: [{ field: "organisation_id", message: "choose one, or name a new one" }] });
    }
    return v.organisation_id;
  };
  return [fields, resolve];
}

export async function invitesScreen(ctx) {
  const { community, channels } = await communityContext(ctx.params.cid);
  const owner = community.membership && community.membership.role === "owner";
  const made = h("div", { "aria-live": "polite" });
  const row = (i) => {
    const li = h("li", { class: "invite" },
      h("strong", null, i.email), ` · ${i.role} · ${i.organisation.name} · `,
      h("span", { class: `state state-${i.state}` }, i.state),
      h("p", { class: "meta" }, "made ", when(i.created_at), i.created_by ? ` by ${i.created_by.display_name}` : "",
        " · expires ", when(i.expires_at)),
      i.state === "pending" ? confirmButton("Revoke", `Revoke the invitation of ${i.email}?`, async () => {
        await api.revokeInvite(community.id, i.id);
        li.querySelector(".state").textContent = "revoked";
        li.querySelector(".confirm").remove();
      }) : null);
    return li;
  };
  const list = await paged((cursor) => api.invites(community.id, cursor), row, { empty: "No invitations yet." });
  const [orgFields, resolveOrg] = await organisationPicker("Their organisation");
  const email = field({ label: "E-mail address", name: "email", type: "email", required: true });
  email.querySelector("input").setAttribute("autofocus", "");
  return withSide(communityNav(community, channels, "invites"),
    title("Invitations"),
    h("section", { class: "panel" }, h("h2", null, "Invite someone"),
      form({
        submit: "Make the invitation",
        label: "Invite someone",
        onSubmit: async (v, formEl) => {
          const orgId = await resolveOrg(v);
          const inv = await api.createInvite(community.id, { email: v.email.trim(), organisation_id: orgId, role: v.role });
          formEl.reset();
          replace(made,
            notice(`Invitation made for ${inv.email}. Send them this link yourself (isacd sends no e-mail); it works once, until the date below.`),
            copyField("Invitation link", inviteLink(inv.token)),
            h("p", { class: "meta" }, "Expires ", when(inv.expires_at)));
          made.querySelector("input").focus();
          list.querySelector(".list").prepend(row(inv));
          list.querySelector(".empty")?.remove();
        },
      },
      email, orgFields,
      field({ label: "Role", name: "role", type: "select", value: "member", options: owner ? [["member", "member"], ["moderator", "moderator"]] : [["member", "member"]] })),
      made),
    h("h2", null, "All invitations"),
    list);
}
