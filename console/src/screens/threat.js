// threat.js - the threat picture: counts, never content.
//
// #/c/<id>/threat-picture: a member sees, per ISO week, how many posts of
// each kind and severity they may read in the community.
// #/staff/threat-picture: staff see the same over the communities whose
// owners opted in, grouped by community kind or sector; the server leaves
// out every cell of fewer than five organisations, and says so here.
// Drawn as a table (a chart would say no more, and a table reads aloud).
import * as api from "../api.js";
import { h } from "../dom.js";
import { KINDS, communityContext, communityNav, field, notice, title, withSide } from "../ui.js";

/** weeks × kinds, each cell the sum over severities (the severities in a title). */
function pictureTable(cells, caption) {
  const weeks = [...new Set(cells.map((c) => c.week))].sort();
  const kinds = KINDS.filter((k) => cells.some((c) => c.kind === k));
  if (!weeks.length) return notice("No posts in these weeks.");
  const cell = (w, k) => {
    const here = cells.filter((c) => c.week === w && c.kind === k);
    const n = here.reduce((s, c) => s + c.posts, 0);
    return h("td", { title: here.map((c) => `${c.severity || "no severity"}: ${c.posts}`).join(", ") || null }, n ? String(n) : "·");
  };
  return h("div", { class: "scroll" }, h("table", { class: "picture" },
    h("caption", null, caption),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Week"), kinds.map((k) => h("th", { scope: "col" }, k)),
      h("th", { scope: "col" }, "All"))),
    h("tbody", null, weeks.map((w) => h("tr", null, h("th", { scope: "row" }, w), kinds.map((k) => cell(w, k)),
      h("td", null, String(cells.filter((c) => c.week === w).reduce((s, c) => s + c.posts, 0))))))));
}

function severityTotals(cells) {
  const by = new Map();
  for (const c of cells) by.set(c.severity || "none", (by.get(c.severity || "none") || 0) + c.posts);
  return h("dl", { class: "facts" }, [...by].map(([s, n]) => [h("dt", null, s), h("dd", null, String(n))]));
}

function weeksForm(ctx, path, weeks, extra) {
  const f = h("form", { class: "filters", "aria-label": "Period" },
    field({ label: "Weeks", name: "weeks", type: "select", value: String(weeks), options: [4, 12, 26, 52].map((n) => [String(n), `last ${n} weeks`]) }),
    extra,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Show")));
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    ctx.go(`${path}?${new URLSearchParams(new FormData(f))}`);
  });
  return f;
}

export async function communityThreatScreen(ctx) {
  const weeks = Number.parseInt(ctx.query.get("weeks") || "12", 10) || 12;
  const { community, channels } = await communityContext(ctx.params.cid);
  const got = await api.threatPicture(community.id, weeks);
  const total = got.cells.reduce((s, c) => s + c.posts, 0);
  return withSide(communityNav(community, channels, "threat-picture"),
    title("Threat picture"),
    h("p", { class: "lead" }, `Posts you can read in ${community.name}, per week and kind: ${total} since week ${got.from}.`),
    weeksForm(ctx, `/c/${community.id}/threat-picture`, weeks),
    pictureTable(got.cells, `Posts per week and kind, last ${got.weeks} weeks`),
    h("h2", null, "By severity"), severityTotals(got.cells));
}

export async function agencyThreatScreen(ctx) {
  const weeks = Number.parseInt(ctx.query.get("weeks") || "12", 10) || 12;
  const groupBy = ctx.query.get("group_by") === "sector" ? "sector" : "community_kind";
  const got = await api.insightsThreat({ weeks, group_by: groupBy });
  const groups = [...new Set(got.cells.map((c) => c.group))];
  return h("section", null,
    title("Threat picture"),
    h("p", { class: "lead" }, "Posts per week and kind over the communities whose owners share statistics with the agency: ",
      "TLP:CLEAR, GREEN and AMBER only; no title, body, indicator, author or organisation."),
    notice(`Cells with fewer than ${got.min_organisations} contributing organisations are left out.`),
    weeksForm(ctx, "/staff/threat-picture", weeks,
      field({ label: "Grouped by", name: "group_by", type: "select", value: groupBy, options: [["community_kind", "community kind"], ["sector", "sector"]] })),
    groups.length
      ? groups.map((g) => h("section", { class: "panel", dataset: { group: g ?? "" } },
        h("h2", null, g ?? "(not given)"),
        pictureTable(got.cells.filter((c) => c.group === g), `${g ?? "(not given)"}: posts per week and kind`)))
      : notice("Nothing to show: no group reaches the minimum yet."));
}
