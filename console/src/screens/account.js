// account.js - my account: name, password and two-step sign-in (TOTP:
// enrol shows the secret and the otpauth URI as text to type or paste into
// an authenticator app, then a code confirms it; a code removes it).  API
// tokens have their own screen (tokens.js).  My data: everything isacd
// keeps about me as one JSON file (GET /me/export, handed to the browser
// as a download), and deleting my account (DELETE /me, with the password
// and a second confirmation), which signs this tab out.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import * as realtime from "../realtime.js";
import { actionButton, copyField, download, field, form, notice, title } from "../ui.js";


export async function accountScreen(ctx) {
  const me = await ctx.refreshMe();
  const totpBox = h("section", { class: "panel", "aria-labelledby": "totp-h" });

  const drawTotp = (user, enrolment) => {
    const heading = h("h2", { id: "totp-h" }, "Two-step sign-in (TOTP)");
    if (user.totp_enabled) {
      replace(totpBox, heading,
        notice("On: signing in asks for the code from your authenticator app."),
        form({
          submit: "Turn off",
          danger: true,
          label: "Turn off two-step sign-in",
          onSubmit: async (v, formEl) => {
            await api.totpRemove(v.code.trim());
            formEl.reset();
            drawTotp(await ctx.refreshMe());
          },
        }, field({ label: "Current code", name: "code", autocomplete: "one-time-code", inputmode: "numeric", required: true })));
      return;
    }
    if (!enrolment) {
      replace(totpBox, heading,
        h("p", null, "Off. Turn it on to ask for a code from an authenticator app at every sign-in; some communities require it."),
        form({
          submit: "Turn on",
          label: "Start turning on two-step sign-in",
          onSubmit: async () => drawTotp(user, await api.totpEnrol()),
        }));
      return;
    }
    replace(totpBox, heading,
      h("ol", { class: "steps" },
        h("li", null, "Add this account to your authenticator app: paste the link, or type the secret."),
        h("li", null, "Type the 6-digit code the app shows to confirm.")),
      copyField("Secret", enrolment.secret),
      copyField("otpauth link", enrolment.otpauth_uri),
      form({
        submit: "Confirm",
        label: "Confirm two-step sign-in",
        onSubmit: async (v) => {
          await api.totpConfirm(v.code.trim());
          drawTotp(await ctx.refreshMe());
        },
      }, field({ label: "Code from the app", name: "code", autocomplete: "one-time-code", inputmode: "numeric", required: true })));
  };
  drawTotp(me);

  const nameStatus = h("p", { class: "muted", role: "status" });
  const pwStatus = h("p", { class: "muted", role: "status" });
  const exportStatus = h("div", { role: "status" });
  return h("section", null,
    title("Account"),
    h("dl", { class: "facts" },
      h("dt", null, "E-mail address"), h("dd", null, me.email),
      h("dt", null, "Organisation"), h("dd", null, me.organisation ? me.organisation.name : "—"),
      h("dt", null, "Platform role"), h("dd", null, me.platform_role)),
    h("p", null, h("a", { href: "#/account/tokens" }, "API tokens for scripts and tools")),
    h("section", { class: "panel" }, h("h2", null, "Name"),
      form({
        submit: "Save name",
        label: "Change your name",
        onSubmit: async (v) => {
          const user = await api.updateMe({ display_name: v.display_name.trim() });
          ctx.signedIn(user);
          replace(nameStatus, "Saved.");
        },
      }, field({ label: "Name others see", name: "display_name", value: me.display_name, required: true, autocomplete: "name" })),
      nameStatus),
    h("section", { class: "panel" }, h("h2", null, "Password"),
      form({
        submit: "Change password",
        label: "Change your password",
        onSubmit: async (v, formEl) => {
          await api.updateMe({ password: { current: v["password.current"], new: v["password.new"] } });
          formEl.reset();
          replace(pwStatus, "Changed. Your other sessions have been signed out.");
        },
      },
      field({ label: "Current password", name: "password.current", type: "password", autocomplete: "current-password", required: true }),
      field({ label: "New password", name: "password.new", type: "password", autocomplete: "new-password", required: true, hint: "At least 12 characters." })),
      pwStatus),
    totpBox,
    h("section", { class: "panel", "aria-labelledby": "data-h" },
      h("h2", { id: "data-h" }, "My data"),
      h("p", null, "Everything this platform keeps about you, as one JSON file: your account, organisation, memberships, sessions and tokens (never a secret), the audit entries about you, and every post, comment and sighting you wrote, anonymous ones included."),
      exportStatus,
      actionButton("Download my data", async () => {
        const data = await api.exportMe();
        download("isacd-export.json", data);
        replace(exportStatus, notice(`Downloaded: ${data.posts?.length ?? 0} posts, ${data.comments?.length ?? 0} comments, ${data.sightings?.length ?? 0} sightings.`));
      })),
    h("section", { class: "panel danger-zone", "aria-labelledby": "erase-h" },
      h("h2", { id: "erase-h" }, "Delete my account"),
      notice("Your name, e-mail address, password, two-step secret, tokens, sessions and memberships are erased for good. What you posted stays, shown as written by \"former member\", unless a community deletes it with your account."),
      form({
        submit: "Delete my account",
        danger: true,
        label: "Delete my account",
        onSubmit: async (v) => {
          if (!v.sure) {
            throw new api.ApiError(400, { detail: "tick the box to confirm", errors: [{ field: "sure", message: "tick to confirm" }] });
          }
          await api.deleteMe(v.password);
          realtime.stop();
          api.clearToken();
          ctx.signedIn(null);
          ctx.go("/signin?erased=1");
        },
      },
      field({ label: "Your password", name: "password", type: "password", autocomplete: "current-password", required: true }),
      field({ label: "I understand that this cannot be undone", name: "sure", type: "checkbox" }))));
}
