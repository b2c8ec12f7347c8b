// signin.js - sign in with e-mail, password and, when the account has
// turned TOTP on, the current code.  The server answers every bad
// credential with the same 401 (it never says whether the account exists
// or has TOTP), so the code field is always there, marked optional.
import * as api from "../api.js";
import { h } from "../dom.js";
import { field, form, notice, title } from "../ui.js";

export async function signinScreen(ctx) {
  const next = ctx.query.get("next");
  const target = next && next.startsWith("/") && !next.startsWith("/signin") ? next : "/";
  if (api.token() && ctx.me) {
    ctx.go(target);
    return h("p", null, "Signed in.");
  }
  const email = field({ label: "E-mail address", name: "email", type: "email", autocomplete: "username", required: true });
  email.querySelector("input").setAttribute("autofocus", "");
  return h("section", { class: "narrow" },
    title("Sign in"),
    ctx.query.get("expired") ? notice("Your session has ended. Sign in again to go on.") : null,
    ctx.query.get("erased") ? notice("Your account has been deleted.") : null,
    form({
      submit: "Sign in",
      label: "Sign in",
      onSubmit: async (v) => {
        const res = await api.login(v.email.trim(), v.password, v.totp.trim() || undefined);
        api.setToken(res.token);
        ctx.signedIn(res.user);
        ctx.go(target);
      },
    },
    email,
    field({ label: "Password", name: "password", type: "password", autocomplete: "current-password", required: true }),
    field({
      label: "Authenticator code (optional)", name: "totp", autocomplete: "one-time-code", inputmode: "numeric",
      hint: "Only if you turned on two-step sign-in: the 6 digits your authenticator app shows now.",
    })),
    h("p", { class: "muted" }, "New here? Open the invitation link you were sent; it creates your account."));
}
