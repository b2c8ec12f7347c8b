// lookup.js - which of a pasted list of indicators are known
// (POST /indicators/lookup: up to 1,000 at once, each normalised and
// matched against the posts the caller may read), and one indicator's
// correlation (GET /indicators: every readable post carrying it, IPv4-mapped
// forms and containing CIDRs included).
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { TYPES, parseIndicators } from "../indicators.js";
import { field, form, kindBadge, paged, severityBadge, title, tlpLabel, when } from "../ui.js";

function postLink(ref) {
  return h("li", null, tlpLabel(ref.tlp), " ", h("a", { href: `#/p/${ref.id}` }, ref.title),
    h("span", { class: "muted" }, ` · ${ref.community.name} · # ${ref.channel.name} · `), when(ref.created_at));
}

export async function lookupScreen() {
  const out = h("div", { class: "lookup-results", "aria-live": "polite" });
  const list = field({
    label: "Indicators, one per line", name: "indicators", type: "textarea", rows: 10, required: true, spellcheck: "false",
    hint: "\"type value\" or the value alone; up to 1,000. Defanged values (hxxp, [.]) are fine.",
  });
  list.querySelector("textarea").setAttribute("autofocus", "");
  const f = form({
    submit: "Look up",
    label: "Look up indicators",
    onSubmit: async (v) => {
      const parsed = parseIndicators(v.indicators);
      if (!parsed.items.length && !parsed.errors.length) {
        throw new api.ApiError(400, { detail: "paste at least one indicator", errors: [{ field: "indicators", message: "is empty" }] });
      }
      const res = parsed.items.length ? await api.lookup(parsed.items.map(({ type, value }) => ({ type, value }))) : { results: [], errors: [] };
      const known = res.results.filter((r) => r.total > 0);
      const rows = [];
      for (const e of parsed.errors) rows.push({ line: e.line, error: e.message });
      for (const e of res.errors) rows.push({ line: parsed.items[e.index].line, input: parsed.items[e.index], error: e.message });
      for (const r of res.results) rows.push({ line: parsed.items[r.index].line, result: r });
      rows.sort((a, b) => a.line - b.line);
      replace(out,
        h("h2", null, "Results"),
        h("p", { class: "summary", role: "status" },
          `${known.length} of ${res.results.length} known`,
          parsed.errors.length + res.errors.length ? `, ${parsed.errors.length + res.errors.length} not understood` : ""),
        h("table", { class: "lookup" },
          h("thead", null, h("tr", null, h("th", { scope: "col" }, "Line"), h("th", { scope: "col" }, "Indicator"),
            h("th", { scope: "col" }, "Known in"))),
          h("tbody", null, rows.map((row) => h("tr", { class: row.result && row.result.total > 0 ? "known" : row.error ? "bad" : "unknown" },
            h("td", null, String(row.line)),
            h("td", null, row.result ? [row.result.type, " ", h("code", { class: "value" }, row.result.value)]
              : row.input ? [row.input.type, " ", h("code", { class: "value" }, row.input.value)] : null),
            h("td", null, row.error ? h("span", { class: "inline-error" }, row.error)
              : row.result.total === 0 ? h("span", { class: "muted" }, "not known")
                : [h("a", { href: `#/indicator?${new URLSearchParams({ type: row.result.type, value: row.result.value })}` },
                  `${row.result.total} post${row.result.total === 1 ? "" : "s"}`),
                h("ul", { class: "refs" }, row.result.posts.map(postLink))]))))));
    },
  }, list);
  return h("section", null, title("Indicator lookup"),
    h("p", { class: "lead" }, "Paste indicators from a report or a log and see which are known in the posts you can read."),
    f, out);
}

export async function indicatorScreen(ctx) {
  const type = ctx.query.get("type") || "";
  const value = ctx.query.get("value") || "";
  if (!TYPES.includes(type) || !value) return h("section", null, title("Indicator"), h("p", null, "No indicator given."));
  const list = await paged((cursor) => api.indicator(type, value, cursor), (m) => h("li", { class: "post-row" },
    h("div", { class: "labels" }, tlpLabel(m.post.tlp), kindBadge(m.post.kind), severityBadge(m.post.severity)),
    h("h3", null, h("a", { href: `#/p/${m.post.id}` }, m.post.title)),
    h("p", { class: "meta" }, m.post.community.name, " · # ", m.post.channel.name, " · ", when(m.post.created_at),
      " · matched ", m.matched.map((x, i) => [i ? ", " : "", h("code", null, `${x.type} ${x.value}`)]))),
  { empty: "No post you can read carries it.", cls: "posts" });
  return h("section", null, title("Indicator"), h("p", { class: "lead" }, type, " ", h("code", { class: "value" }, value)), list);
}
