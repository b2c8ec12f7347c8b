// onboard.js - onboard a cluster (staff): create the community with its
// first owner's invitation, and show the link to hand to that owner.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { copyField, field, form, notice, title, when } from "../ui.js";
import { inviteLink, organisationPicker } from "./invites.js";

export async function onboardScreen() {
  const done = h("div", { "aria-live": "polite" });
  const [orgFields, resolveOrg] = await organisationPicker("The owner's organisation");
  const name = field({ label: "Name of the community", name: "name", required: true });
  name.querySelector("input").setAttribute("autofocus", "");
  return h("section", null,
    title("Onboard a cluster"),
    h("p", { class: "lead" }, "A new community and an invitation for its first owner, who then invites the members."),
    form({
      submit: "Create the community",
      label: "Onboard a cluster",
      onSubmit: async (v, formEl) => {
        const orgId = await resolveOrg(v);
        const body = {
          name: v.name.trim(),
          kind: v.kind,
          listed: v.listed,
          join_policy: v.join_policy,
          roster: v.roster,
          require_totp: v.require_totp,
          owner: { email: v.owner_email.trim(), organisation_id: orgId },
        };
        if (v.description.trim()) body.description = v.description.trim();
        let res;
        try {
          res = await api.createCommunity(body);
        } catch (err) {
          const rename = { "owner.email": "owner_email", "owner.organisation_id": "organisation_id" };
          for (const e of err.errors || []) e.field = rename[e.field] || e.field;
          throw err;
        }
        formEl.reset();
        replace(done,
          notice(`${res.community.name} is created. Send this link to its owner yourself (isacd sends no e-mail): it works once, until the date below.`),
          copyField("The owner's invitation link", inviteLink(res.owner_invite.token)),
          h("p", { class: "meta" }, "Expires ", when(res.owner_invite.expires_at), " · ",
            h("a", { href: `#/c/${res.community.id}` }, `Open ${res.community.name}`)));
        done.querySelector("input").focus();
      },
    },
    name,
    field({ label: "Kind", name: "kind", type: "select", value: "sector", options: [["sector", "sector"], ["regional", "regional"], ["thematic", "thematic"]] }),
    field({ label: "Description (optional)", name: "description", type: "textarea", rows: 2 }),
    field({ label: "Listed in the directory", name: "listed", type: "checkbox", hint: "Every signed-in user sees it (and may ask to join, if joining is by request)." }),
    field({ label: "Joining", name: "join_policy", type: "select", value: "invite", options: [["invite", "by invitation only"], ["request", "by invitation or request"]] }),
    field({ label: "Roster", name: "roster", type: "select", value: "moderators", options: [["moderators", "members see the moderators and owners"], ["members", "members see every member"]] }),
    field({ label: "Require two-step sign-in", name: "require_totp", type: "checkbox" }),
    h("fieldset", { class: "group" }, h("legend", null, "First owner"),
      field({ label: "The owner's e-mail address", name: "owner_email", type: "email", required: true }),
      orgFields)),
    done);
}
