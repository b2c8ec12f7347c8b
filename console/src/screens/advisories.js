// advisories.js - the agency's advisories (#/advisories, #/advisories/new,
// #/advisories/<id>).
//
// Staff publish one advisory to many communities at once (all, by kind, or
// chosen ones) and watch how the organisations acknowledge it: counts per
// community and state only, never an organisation or a note, refreshed
// every few seconds while the screen is open.  A member of a target
// community reads it and acknowledges for their organisation (one state
// per organisation; the latest wins).  A community's moderators and owners
// see the state and note of each of its organisations.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { markdown } from "../markdown.js";
import {
  all, confirmButton, field, form, notice, paged, radios, severityBadge, title, tlpLabel, when,
} from "../ui.js";

const ADVISORY_TLPS = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER"];
const SEVERITIES = ["info", "low", "medium", "high", "critical"];
const STATES = [
  ["read", "Read"],
  ["applies", "Applies to us"],
  ["does_not_apply", "Does not apply to us"],
  ["mitigated", "Mitigated"],
];
const stateName = (s) => (STATES.find(([k]) => k === s) || [null, "not yet acknowledged"])[1];
const REFRESH_MS = 5000;

function advisoryRow(a) {
  return h("li", { class: "post-row advisory-row", dataset: { advisory: a.id } },
    h("div", { class: "labels" }, tlpLabel(a.tlp), severityBadge(a.severity),
      a.version > 1 ? h("span", { class: "kind" }, `version ${a.version}`) : null,
      a.status === "withdrawn" ? h("span", { class: "kind" }, "withdrawn") : null),
    h("h3", null, h("a", { href: `#/advisories/${a.id}` }, a.title)),
    h("p", { class: "meta" }, when(a.created_at),
      a.target_count !== null && a.target_count !== undefined ? ` · sent to ${a.target_count} communit${a.target_count === 1 ? "y" : "ies"}` : null,
      a.acknowledgement ? ` · your organisation: ${stateName(a.acknowledgement.status)}` : null),
    a.summary ? h("p", null, a.summary) : null);
}

export async function advisoriesScreen(ctx) {
  const staff = ctx.me.platform_role === "staff";
  const list = await paged((cursor) => api.advisories(cursor), advisoryRow, {
    empty: staff ? "No advisory published yet." : "No advisory has been sent to your communities.",
    cls: "posts", more: "Show older advisories",
  });
  return h("section", null,
    title("Advisories", staff ? h("a", { class: "button primary", href: "#/advisories/new" }, "Publish an advisory") : null),
    h("p", { class: "lead" }, staff
      ? "Advice from the agency to many communities at once, and how their organisations acknowledge it."
      : "Advice from the agency to your communities. Acknowledge each for your organisation."),
    list);
}

const lines = (text) => String(text || "").split("\n").map((s) => s.trim()).filter(Boolean);

export async function newAdvisoryScreen(ctx) {
  if (ctx.me.platform_role !== "staff") {
    throw new api.ApiError(403, { detail: "only agency staff publish advisories" });
  }
  const communities = await all((cursor) => api.communities(cursor)).catch(() => []);
  const key = api.idempotencyKey();
  return h("section", null,
    title("Publish an advisory"),
    form({
      submit: "Publish the advisory",
      label: "Publish an advisory",
      onSubmit: async (v) => {
        const targets = {};
        if (v.all) targets.all = true;
        if (v.kinds.length) targets.kinds = v.kinds;
        if (v.community_ids.length) targets.community_ids = v.community_ids;
        const body = {
          title: v.title.trim(), summary: v.summary.trim(), body: v.body, severity: v.severity, tlp: v.tlp, targets,
        };
        if (v.source.trim()) body.source = v.source.trim();
        for (const k of ["cves", "products", "actions"]) if (lines(v[k]).length) body[k] = lines(v[k]);
        const a = await api.createAdvisory(body, key);
        ctx.go(`/advisories/${a.id}`);
      },
    },
    field({ label: "Title", name: "title", required: true, maxlength: 300 }),
    field({ label: "Summary", name: "summary", type: "textarea", rows: 2, required: true }),
    field({ label: "Advice (Markdown)", name: "body", type: "textarea", rows: 8, required: true }),
    field({ label: "Severity", name: "severity", type: "select", value: "high", options: SEVERITIES.map((s) => [s, s]) }),
    radios({ legend: "TLP", name: "tlp", value: "TLP:GREEN", options: ADVISORY_TLPS.map((t) => [t, tlpLabel(t)]) }),
    field({ label: "Source (optional)", name: "source" }),
    field({ label: "CVEs, one per line (optional)", name: "cves", type: "textarea", rows: 2 }),
    field({ label: "Products, one per line (optional)", name: "products", type: "textarea", rows: 2 }),
    field({ label: "Actions to take, one per line (optional)", name: "actions", type: "textarea", rows: 3 }),
    h("fieldset", { class: "field", dataset: { field: "targets" } },
      h("legend", null, "Send it to"),
      field({ label: "Every community", name: "all", type: "checkbox" }),
      h("p", { class: "hint" }, "…or communities of a kind:"),
      ["sector", "regional", "thematic"].map((k) => checkbox("kinds", k, `every ${k} community`)),
      communities.length ? [h("p", { class: "hint" }, "…or these communities:"),
        h("div", { class: "choices" }, communities.map((c) => checkbox("community_ids", c.id, c.name)))] : null,
      h("p", { class: "field-error", hidden: true }))));
}

function checkbox(name, value, text) {
  const id = `${name}-${value}`;
  return h("div", { class: "check" },
    h("input", { type: "checkbox", id, name, value, dataset: { multi: "1" } }),
    h("label", { for: id }, text));
}

export async function advisoryScreen(ctx) {
  const a = await api.advisory(ctx.params.aid);
  const staff = ctx.me.platform_role === "staff";
  const mods = new Set((ctx.me.memberships || [])
    .filter((m) => m.status === "active" && (m.role === "owner" || m.role === "moderator"))
    .map((m) => m.community_id));
  const modCommunities = (a.communities || []).filter((c) => mods.has(c.id));

  const facts = [
    a.source ? ["Source", a.source] : null,
    a.cves?.length ? ["CVEs", a.cves.join(", ")] : null,
    a.products?.length ? ["Products", a.products.join(", ")] : null,
  ].filter(Boolean);

  // members: acknowledge for the organisation
  let ackBox = null;
  if (!staff && a.status !== "withdrawn" && (a.communities || []).length) {
    ackBox = h("section", { class: "panel", "aria-labelledby": "ack-h" });
    const drawAck = (ack) => {
      replace(ackBox, h("h2", { id: "ack-h" }, "Your organisation's acknowledgement"),
        h("p", { class: "ack-state" }, ack
          ? [h("strong", null, stateName(ack.status)), ack.version && ack.version < a.version ? ` (for version ${ack.version})` : null,
            " · ", when(ack.updated_at), ack.note ? h("span", { class: "muted" }, ` · ${ack.note}`) : null]
          : "Not acknowledged yet."),
        form({
          submit: "Acknowledge",
          label: "Acknowledge the advisory",
          onSubmit: async (v) => {
            const body = { status: v.status };
            if (v.note.trim()) body.note = v.note.trim();
            drawAck(await api.acknowledge(a.id, body));
          },
        },
        radios({ legend: "For our organisation, this advisory…", name: "status", value: ack?.status || "read", options: STATES }),
        field({ label: "Note for your community's moderators (optional)", name: "note", type: "textarea", rows: 2, value: ack?.note || "" })));
    };
    drawAck(a.acknowledgement);
  }

  // moderators: each organisation of their community
  const modBoxes = await Promise.all(modCommunities.map(async (c) => {
    let got;
    try {
      got = await api.acks(a.id, c.id);
    } catch (err) {
      return h("section", { class: "panel" }, h("h2", null, `Acknowledgements in ${c.name}`), notice(err.detail, "error"));
    }
    return h("section", { class: "panel", "aria-label": `Acknowledgements in ${c.name}` },
      h("h2", null, `Acknowledgements in ${c.name}`),
      h("div", { class: "scroll" }, h("table", { class: "acks" },
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Organisation"), h("th", { scope: "col" }, "State"),
          h("th", { scope: "col" }, "Note"))),
        h("tbody", null, got.organisations.map((o) => h("tr", null,
          h("th", { scope: "row" }, o.organisation.name),
          h("td", null, stateName(o.status), o.status && o.version < got.version ? ` (v${o.version})` : null),
          h("td", null, o.note || "")))))));
  }));

  // staff: the counts, refreshed while the screen is open
  let countsBox = null;
  if (staff) {
    countsBox = h("section", { class: "panel", "aria-labelledby": "counts-h" });
    const drawCounts = (got) => {
      const cols = [["organisations", "Organisations"], ...STATES, ["pending", "Not yet"]];
      replace(countsBox, h("h2", { id: "counts-h" }, "Acknowledgements"),
        h("p", { class: "muted" }, `Counts per community and state; no organisation, person or note. Updated `, when(new Date().toISOString()), "."),
        h("div", { class: "scroll" }, h("table", { class: "counts" },
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Community"), cols.map(([, t]) => h("th", { scope: "col" }, t)))),
          h("tbody", null,
            got.communities.map((r) => h("tr", null, h("th", { scope: "row" }, r.community.name),
              cols.map(([k]) => h("td", { dataset: { state: k } }, String(r[k]))))),
            h("tr", { class: "totals" }, h("th", { scope: "row" }, "All (distinct organisations)"),
              cols.map(([k]) => h("td", { dataset: { state: k } }, String(got.totals[k]))))))));
    };
    drawCounts(await api.acks(a.id));
    const timer = setInterval(async () => {
      try {
        drawCounts(await api.acks(a.id));
      } catch {
        // shown again at the next tick
      }
    }, REFRESH_MS);
    ctx.onLeave(() => clearInterval(timer));
  }

  return h("section", null,
    h("article", { class: "post" },
      h("div", { class: "labels" }, tlpLabel(a.tlp), severityBadge(a.severity), h("span", { class: "kind" }, "advisory"),
        a.version > 1 ? h("span", { class: "kind" }, `version ${a.version}`) : null),
      title(a.title),
      a.status === "withdrawn" ? notice("This advisory has been withdrawn.", "error") : null,
      h("p", { class: "meta" }, "Published ", when(a.created_at), a.version > 1 ? [" · updated ", when(a.updated_at)] : null,
        staff && a.target_count !== null ? ` · sent to ${a.target_count} communit${a.target_count === 1 ? "y" : "ies"}` : null),
      h("p", { class: "lead" }, a.summary),
      h("div", { class: "markdown body" }, markdown(a.body || "")),
      a.actions?.length ? [h("h2", null, "What to do"), h("ol", null, a.actions.map((x) => h("li", null, x)))] : null,
      facts.length ? h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])) : null,
      !staff && a.communities?.length ? h("p", { class: "meta" }, "In ", a.communities.map((c, i) => [i ? ", " : "",
        c.post_id ? h("a", { href: `#/p/${c.post_id}` }, c.name) : c.name])) : null,
      staff && a.status !== "withdrawn" ? h("div", { class: "post-actions" },
        confirmButton("Withdraw", "Withdraw it from every community?", async () => {
          await api.withdrawAdvisory(a.id);
          ctx.go(`/advisories/${a.id}`);
        })) : null),
    ackBox, modBoxes, countsBox,
    h("p", null, h("a", { href: "#/advisories" }, "All advisories")));
}
