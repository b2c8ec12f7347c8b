// invite.js - an invitation link, <origin>/#/invite/<token>.
//
// Signed out: create the account (display name and password) and join in
// one step; the answer carries a session, so the new member lands in the
// community at once.  Signed in: accept into this account (the server checks
// that the invitation is for its e-mail address and organisation).  The
// token stays in the fragment, which browsers never send to a server.
import * as api from "../api.js";
import { h } from "../dom.js";
import { field, form, notice, title } from "../ui.js";

export async function inviteScreen(ctx) {
  const token = ctx.params.token;
  const here = `/invite/${encodeURIComponent(token)}`;
  if (api.token() && ctx.me) {
    return h("section", { class: "narrow" },
      title("Accept the invitation"),
      h("p", null, "You are signed in as ", h("strong", null, ctx.me.display_name), ` (${ctx.me.email}).`),
      form({
        submit: "Accept and join",
        onSubmit: async () => {
          const res = await api.acceptInvite({ token });
          await ctx.refreshMe();
          ctx.go(`/c/${res.community_id}`);
        },
      }),
      h("p", { class: "muted" }, "The invitation is for someone else? Sign out first, then open the link again."));
  }
  const name = field({ label: "Your name, as other members will see it", name: "display_name", autocomplete: "name", required: true });
  name.querySelector("input").setAttribute("autofocus", "");
  return h("section", { class: "narrow" },
    title("Join with your invitation"),
    h("p", null, "Choose the name others will see and a password; your e-mail address and organisation come with the invitation."),
    form({
      submit: "Create my account and join",
      label: "Create an account",
      onSubmit: async (v, formEl) => {
        if (v.password !== v.password2) {
          throw new api.ApiError(400, {
            detail: "the two passwords differ",
            errors: [{ field: "password2", message: "does not match the password above" }],
          });
        }
        const res = await api.acceptInvite({ token, display_name: v.display_name.trim(), password: v.password });
        api.setToken(res.token);
        ctx.signedIn(res.user);
        formEl.reset();
        ctx.go(`/c/${res.community_id}`);
      },
    },
    name,
    field({
      label: "Password", name: "password", type: "password", autocomplete: "new-password", required: true,
      hint: "At least 12 characters; a few unrelated words work well.",
    }),
    field({ label: "Password again", name: "password2", type: "password", autocomplete: "new-password", required: true })),
    notice("You have an account already? Sign in first; you come back here to accept."),
    h("p", null, h("a", { href: `#/signin?next=${encodeURIComponent(here)}` }, "Sign in and accept")));
}
