// tokens.js - my personal API tokens: list, create (the secret is shown
// once, to copy), revoke.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { confirmButton, copyField, field, form, notice, paged, title, when } from "../ui.js";

export async function tokensScreen() {
  const fresh = h("div", { "aria-live": "polite" });
  const row = (t) => {
    const li = h("li", { class: "token" },
      h("strong", null, t.name), " ", h("span", { class: "muted" }, t.scopes.join(" + ")),
      h("p", { class: "meta" }, "created ", when(t.created_at), " · expires ", when(t.expires_at),
        " · ", t.last_used_at ? ["last used ", when(t.last_used_at)] : "never used"),
      confirmButton("Revoke", `Revoke "${t.name}"? Scripts using it stop working at once.`, async () => {
        await api.revokeToken(t.id);
        li.remove();
      }));
    return li;
  };
  const list = await paged((cursor) => api.tokens(cursor), row, { empty: "No API tokens." });
  const nameField = field({ label: "Name", name: "name", required: true, hint: "What it is for, e.g. \"SIEM import\"." });
  return h("section", null,
    title("API tokens"),
    h("p", { class: "lead" }, "Tokens let scripts call the API as you (", h("a", { href: "/docs" }, "API reference"),
      "). They cannot manage tokens or two-step sign-in."),
    h("section", { class: "panel" }, h("h2", null, "New token"),
      form({
        submit: "Create token",
        label: "Create an API token",
        onSubmit: async (v, formEl) => {
          const days = Number.parseInt(v.expires_in_days, 10);
          const t = await api.createToken({
            name: v.name.trim(),
            scopes: v.scopes === "read,write" ? ["read", "write"] : ["read"],
            ...(Number.isNaN(days) ? {} : { expires_in_days: days }),
          });
          formEl.reset();
          replace(fresh, notice(`Token "${t.name}" created. Copy it now: it is not shown again.`), copyField("New token", t.token));
          list.querySelector(".list").prepend(row(t));
          list.querySelector(".empty")?.remove();
        },
      },
      nameField,
      field({ label: "Access", name: "scopes", type: "select", value: "read", options: [["read", "read only"], ["read,write", "read and write"]] }),
      field({ label: "Expires after (days)", name: "expires_in_days", type: "number", value: "90", min: 1, max: 365 })),
      fresh),
    h("h2", null, "My tokens"),
    list);
}
