// ui.js - the pieces every screen shares: labelled fields, forms that show
// the API's problem `detail` in place (next to the field that `errors[]`
// names), TLP 2.0 labels, times, paging, confirmations and copyable values.
import * as api from "./api.js";
import { append, h, replace, uid } from "./dom.js";

// ---- labels ------------------------------------------------------------------

export const TLPS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"];
export const KINDS = ["incident", "vulnerability", "advisory", "indicators", "question", "discussion"];
export const SEVERITIES = ["info", "low", "medium", "high", "critical"];

/** A TLP 2.0 label in FIRST's colours (style.css: .tlp-*). */
export function tlpLabel(tlp) {
  const cls = `tlp tlp-${String(tlp).slice(4).toLowerCase().replace("+", "-")}`;
  return h("span", { class: cls }, tlp);
}

export function severityBadge(severity) {
  return severity ? h("span", { class: `sev sev-${severity}` }, severity) : null;
}

export function kindBadge(kind) {
  return h("span", { class: "kind" }, kind);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
/** A <time> in the reader's locale. */
export function when(iso) {
  if (!iso) return null;
  return h("time", { datetime: iso }, dateFormat.format(new Date(iso)));
}

/** A person as the API shows them (null: anonymous to this reader). */
export function person(author, fallback = "anonymous") {
  if (!author) return h("span", { class: "muted" }, fallback);
  const org = author.organisation?.name;
  return h("span", { class: "person" }, author.display_name, org ? h("span", { class: "muted" }, ` (${org})`) : null);
}

// ---- page frame ------------------------------------------------------------------

/** The screen's heading; also the tab's title. */
export function title(text, ...extra) {
  document.title = `${text} · isacd`;
  return h("div", { class: "title" }, h("h1", null, text), extra);
}

export function notice(text, kind = "info") {
  return h("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** What a screen shows when its data could not be loaded. */
export function failure(err) {
  const status = err instanceof api.ApiError ? err.status : 0;
  const text = status === 404
    ? "Not found: it does not exist, or you may not see it."
    : (err && err.detail) || String(err);
  return h("div", { class: "failure" }, title(status === 404 ? "Not found" : "Something went wrong"),
    notice(text, "error"), h("p", null, h("a", { href: "#/" }, "Back to my communities")));
}

// ---- fields and forms ----------------------------------------------------------

/**
 * A labelled control.  o: {label, name, type, value, required, options:
 * [[value, text]...], rows, hint, autocomplete, placeholder, min, max}.
 * The error slot under it is filled by showErrors().
 */
export function field(o) {
  const id = uid(o.name || "f");
  const hintId = o.hint ? `${id}-hint` : null;
  const errId = `${id}-err`;
  const common = {
    id, name: o.name, required: o.required, autocomplete: o.autocomplete, placeholder: o.placeholder,
    "aria-describedby": [hintId, errId].filter(Boolean).join(" "), dataset: { field: o.name || "" },
  };
  let control;
  if (o.type === "select") {
    control = h("select", common, (o.options || []).map(([value, text]) =>
      h("option", { value, selected: String(value) === String(o.value ?? "") }, text)));
  } else if (o.type === "textarea") {
    control = h("textarea", { ...common, rows: o.rows || 6, spellcheck: o.spellcheck }, );
    control.value = o.value ?? "";
  } else if (o.type === "checkbox") {
    control = h("input", { ...common, type: "checkbox", checked: !!o.value });
  } else {
    control = h("input", {
      ...common, type: o.type || "text", value: o.value ?? "", min: o.min, max: o.max,
      inputmode: o.inputmode, pattern: o.pattern, maxlength: o.maxlength,
    });
  }
  const label = h("label", { for: id }, o.label);
  const parts = o.type === "checkbox"
    ? [h("div", { class: "check" }, control, label)]
    : [label, control];
  return h("div", { class: ["field", o.className] }, parts,
    o.hint ? h("p", { class: "hint", id: hintId }, o.hint) : null,
    h("p", { class: "field-error", id: errId, hidden: true }));
}

/** A group of radio buttons with a legend. */
export function radios({ legend, name, options, value }) {
  return h("fieldset", { class: "field radios", dataset: { field: name } }, h("legend", null, legend),
    options.map(([v, content]) => {
      const id = uid(name);
      return h("div", { class: "radio" },
        h("input", { type: "radio", id, name, value: v, checked: v === value }),
        h("label", { for: id }, content));
    }),
    h("p", { class: "field-error", hidden: true }));
}

/**
 * A form whose submit runs onSubmit(values, formEl); while it runs the
 * button is disabled; an ApiError is shown in place (showErrors).  values
 * holds each named control's value (checkboxes: booleans).
 */
export function form(o, ...children) {
  const alertBox = h("div", { class: "form-alert", role: "alert", hidden: true });
  const button = h("button", { type: "submit", class: o.danger ? "danger" : "primary" }, o.submit || "Save");
  const el = h("form", { class: ["form", o.className], novalidate: o.novalidate, "aria-label": o.label },
    alertBox, children, h("div", { class: "actions" }, button, o.extra));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(el);
    button.disabled = true;
    try {
      await o.onSubmit(values(el), el);
    } catch (err) {
      showErrors(el, err);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

export function values(formEl) {
  const out = {};
  for (const c of formEl.elements) {
    if (!c.name) continue;
    if (c.type === "checkbox") {
      if (c.dataset.multi) {
        out[c.name] = out[c.name] || [];
        if (c.checked) out[c.name].push(c.value);
      } else {
        out[c.name] = c.checked;
      }
    } else if (c.type === "radio") {
      if (c.checked) out[c.name] = c.value;
    } else {
      out[c.name] = c.value;
    }
  }
  return out;
}

export function clearErrors(formEl) {
  const alertBox = formEl.querySelector(".form-alert");
  if (alertBox) {
    alertBox.hidden = true;
    alertBox.replaceChildren();
  }
  for (const e of formEl.querySelectorAll(".field-error")) {
    e.hidden = true;
    e.replaceChildren();
  }
  for (const c of formEl.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
}

/**
 * Show an error in the form: the problem's detail at the top, and each of
 * errors[] under the field it names ("indicators[3].value" goes to the
 * "indicators" field when there is no closer one); what names no field of
 * this form is listed at the top.
 */
export function showErrors(formEl, err) {
  const alertBox = formEl.querySelector(".form-alert");
  const detail = (err && err.detail) || String(err);
  const unplaced = [];
  for (const e of (err && err.errors) || []) {
    const slot = fieldFor(formEl, e.field);
    if (!slot) {
      unplaced.push(`${e.field}: ${e.message}`);
      continue;
    }
    const { box, exact } = slot;
    const msg = box.querySelector(".field-error");
    append(msg, [msg.childNodes.length ? "; " : "", exact ? e.message : `${e.field}: ${e.message}`]);
    msg.hidden = false;
    const control = box.querySelector("input, select, textarea");
    if (control) control.setAttribute("aria-invalid", "true");
  }
  replace(alertBox, h("p", null, detail), unplaced.length ? h("ul", null, unplaced.map((u) => h("li", null, u))) : null);
  alertBox.hidden = false;
  const first = formEl.querySelector("[aria-invalid]") || alertBox;
  if (first !== alertBox) first.focus();
  else alertBox.scrollIntoView({ block: "nearest" });
}

function fieldFor(formEl, name) {
  let key = String(name || "");
  let exact = true;
  while (key) {
    for (const box of formEl.querySelectorAll("[data-field]")) {
      if (box.dataset.field === key) {
        return { box: box.classList.contains("field") ? box : box.closest(".field") || box, exact };
      }
    }
    const cut = Math.max(key.lastIndexOf("."), key.lastIndexOf("["));
    if (cut <= 0) break;
    key = key.slice(0, cut);
    exact = false;
  }
  return null;
}

// ---- actions -----------------------------------------------------------------------

/**
 * A button that asks once more inline before it acts ("Remove" → "Remove
 * Alex? Yes / No"); the API's refusal is shown next to it.
 */
export function confirmButton(label, question, action, { danger = true } = {}) {
  const box = h("span", { class: "confirm" });
  const error = h("span", { class: "inline-error", role: "alert" });
  const first = h("button", { type: "button", class: danger ? "danger" : "" }, label);
  const ask = () => {
    const yes = h("button", { type: "button", class: danger ? "danger" : "primary" }, "Yes");
    const no = h("button", { type: "button" }, "No");
    no.addEventListener("click", () => { replace(box, first, error); first.focus(); });
    yes.addEventListener("click", async () => {
      yes.disabled = true;
      error.replaceChildren();
      try {
        await action();
      } catch (err) {
        replace(box, first, error);
        replace(error, (err && err.detail) || String(err));
      }
    });
    replace(box, h("span", null, question), " ", yes, " ", no, error);
    yes.focus();
  };
  first.addEventListener("click", ask);
  return replace(box, first, error);
}

/** A button that runs action; a refusal is shown next to it. */
export function actionButton(label, action, { cls = "" } = {}) {
  const error = h("span", { class: "inline-error", role: "alert" });
  const button = h("button", { type: "button", class: cls }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    error.replaceChildren();
    try {
      await action();
    } catch (err) {
      replace(error, (err && err.detail) || String(err));
    } finally {
      button.disabled = false;
    }
  });
  return h("span", { class: "action" }, button, error);
}

/** Hand a JSON document to the browser as a file to save. */
export function download(name, data) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const a = h("a", { download: name });
  a.href = url;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A value to copy (an invitation link, a new token): read-only and selectable. */
export function copyField(label, value) {
  const id = uid("copy");
  const input = h("input", { id, type: "text", value, readOnly: true, class: "copy-value", spellcheck: "false" });
  const status = h("span", { class: "muted", role: "status" });
  const button = h("button", { type: "button" }, "Copy");
  input.addEventListener("focus", () => input.select());
  button.addEventListener("click", async () => {
    input.focus();
    input.select();
    try {
      await navigator.clipboard.writeText(value);
      replace(status, "Copied.");
    } catch {
      replace(status, "Selected: press Ctrl+C (or ⌘C) to copy.");
    }
  });
  return h("div", { class: "field copy" }, h("label", { for: id }, label),
    h("div", { class: "copy-row" }, input, button), status);
}

// ---- lists ----------------------------------------------------------------------------

/**
 * A list that pages with next_cursor: load(cursor) answers {items,
 * next_cursor}; each item becomes render(item).  "Show older" fetches the
 * next page into the same list.
 */
export async function paged(load, render, { empty = "Nothing here yet.", tag = "ul", cls = "list", more = "Show more" } = {}) {
  const list = h(tag, { class: cls });
  const foot = h("div", { class: "pager" });
  const box = h("div", null, list, foot);
  const fill = async (cursor) => {
    const page = await load(cursor);
    for (const item of page.items) {
      const node = render(item);
      if (node) list.append(node);
    }
    foot.replaceChildren();
    if (page.next_cursor) {
      foot.append(actionButton(more, () => fill(page.next_cursor)));
    } else if (!list.childNodes.length) {
      foot.append(h("p", { class: "muted empty" }, empty));
    }
  };
  await fill(undefined);
  return box;
}

/** Every item of a paged list (rosters, organisations: small). */
export async function all(load, max = 2000) {
  const out = [];
  let cursor;
  do {
    const page = await load(cursor);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

// ---- the community's side navigation ----------------------------------------------------

/**
 * A community's name, its channels and (for moderators and owners) its
 * management screens: beside every screen inside a community.
 */
export function communityNav(c, channelList, active) {
  const role = c.membership && c.membership.status === "active" ? c.membership.role : null;
  const mod = role === "owner" || role === "moderator";
  const link = (href, text, key, extra) =>
    h("li", null, h("a", { href, "aria-current": active === key ? "page" : null }, text, extra));
  return h("nav", { class: "side", "aria-label": `${c.name}` },
    h("h2", null, h("a", { href: `#/c/${c.id}` }, c.name)),
    h("h3", null, "Channels"),
    h("ul", null, channelList.map((ch) => link(`#/ch/${ch.id}`, `# ${ch.name}`, ch.id,
      ch.visibility === "restricted" ? h("span", { class: "muted" }, " (restricted)") : null))),
    channelList.length ? null : h("p", { class: "muted" }, "No channel you can read."),
    role && !mod ? [h("h3", null, "People"), h("ul", null, link(`#/c/${c.id}/members`, "Members", "members"))] : null,
    role ? [h("h3", null, "Insight"), h("ul", null, link(`#/c/${c.id}/threat-picture`, "Threat picture", "threat-picture"))] : null,
    mod ? [
      h("h3", null, "Manage"),
      h("ul", null,
        link(`#/c/${c.id}/members`, "Members", "members"),
        link(`#/c/${c.id}/invites`, "Invitations", "invites"),
        link(`#/c/${c.id}/requests`, "Join requests", "requests"),
        link(`#/c/${c.id}/channels/new`, "New channel", "new-channel"),
        link(`#/c/${c.id}/audit`, "Audit trail", "audit"),
        role === "owner" ? link(`#/c/${c.id}/retention`, "Retention and legal hold", "retention") : null),
    ] : null);
}

/** The community and the channels its caller reads (none when not allowed). */
export async function communityContext(cid) {
  const c = await api.community(cid);
  let list = [];
  if (c.membership && c.membership.status === "active") {
    try {
      list = (await api.channels(cid)).items;
    } catch (err) {
      if (!(err instanceof api.ApiError) || err.status !== 403) throw err;
    }
  }
  return { community: c, channels: list };
}

/** A screen inside a community: side navigation and content. */
export function withSide(side, ...content) {
  return h("div", { class: "layout" }, side, h("div", { class: "content" }, content));
}
