// organisations.js - the platform's organisations (staff): add one,
// suspend one (which ends every session and API token of its people at
// once and refuses their sign-in) or reactivate it.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { actionButton, confirmButton, field, form, paged, title, when } from "../ui.js";

export async function organisationsScreen() {
  const row = (o) => {
    const li = h("li", { class: "org" });
    const draw = (x) => replace(li,
      h("strong", null, x.name), x.status === "suspended" ? h("strong", { class: "warn" }, " · suspended") : null,
      h("p", { class: "meta" }, [x.sector, x.country].filter(Boolean).join(" · ") || "no sector or country", " · added ", when(x.created_at)),
      x.status === "active"
        ? confirmButton("Suspend", `Suspend ${x.name}? Its people are signed out at once and cannot sign in.`,
          async () => draw(await api.updateOrganisation(x.id, { status: "suspended" })))
        : actionButton("Reactivate", async () => draw(await api.updateOrganisation(x.id, { status: "active" }))));
    draw(o);
    return li;
  };
  const list = await paged((cursor) => api.organisations(cursor, 50), row, { empty: "No organisations." });
  const name = field({ label: "Name", name: "name", required: true });
  return h("section", null,
    title("Organisations"),
    h("section", { class: "panel" }, h("h2", null, "Add an organisation"),
      form({
        submit: "Add",
        label: "Add an organisation",
        onSubmit: async (v, formEl) => {
          const body = { name: v.name.trim() };
          if (v.sector.trim()) body.sector = v.sector.trim();
          if (v.country.trim()) body.country = v.country.trim();
          const o = await api.createOrganisation(body);
          formEl.reset();
          list.querySelector(".list").prepend(row(o));
          list.querySelector(".empty")?.remove();
        },
      }, name,
      h("div", { class: "row" },
        field({ label: "Sector (optional)", name: "sector" }),
        field({ label: "Country (optional)", name: "country", maxlength: 2, hint: "Two letters, e.g. NL." })))),
    h("h2", null, "All organisations"),
    list);
}
