// assessment.js - the self-assessment on the five basic principles
// (#/assessment): the current questionnaire (kept as data by the server,
// in Dutch and English), answered for the caller's organisation; the
// scores per principle, advice (articles to read) for the weakest, and how
// the organisation compares with each of its communities (quartiles over
// at least five organisations, or nothing).  The organisation's earlier
// assessments are listed; nobody outside the organisation sees them.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { field, form, notice, paged, title, when } from "../ui.js";

const pick = (text, lang) => (text && (text[lang] || text.en || text.nl)) || "";

function scoreBar(score, bench) {
  return h("div", { class: "score" },
    h("meter", { min: 0, max: 100, low: 40, high: 75, optimum: 100, value: score, "aria-label": `score ${score} of 100` }),
    h("span", { class: "score-value" }, `${score}`),
    bench ? h("span", { class: "muted" }, ` · community: median ${bench.median}, middle half ${bench.q1}–${bench.q3}`) : null);
}

function results(q, got, lang) {
  const names = new Map(q.principles.map((p) => [String(p.principle), pick(p.title, lang)]));
  return h("section", { class: "panel results", "aria-labelledby": "results-h" },
    h("h2", { id: "results-h" }, "Your scores"),
    h("p", { class: "muted" }, "Assessed ", when(got.created_at), got.by ? ` by ${got.by.display_name}` : null),
    h("ol", { class: "scores" }, Object.keys(got.scores).sort().map((n) => h("li", { dataset: { principle: n } },
      h("strong", null, names.get(n) || `Principle ${n}`), scoreBar(got.scores[n], null)))),
    got.advice?.length
      ? [h("h3", null, "Read first"), h("ul", null, got.advice.map((slug) => h("li", null,
        h("a", { href: `#/articles/${encodeURIComponent(slug)}` }, slug))))]
      : notice("Nothing to improve on these principles: well done."),
    (got.benchmarks || []).length ? [h("h3", null, "Compared with your communities"),
      got.benchmarks.map((b) => h("div", { class: "benchmark", dataset: { community: b.community.id } },
        h("h4", null, b.community.name),
        b.benchmark.suppressed
          ? h("p", { class: "muted" }, `No comparison: ${b.benchmark.suppressed} have assessed themselves.`)
          : h("ol", { class: "scores" }, Object.keys(got.scores).sort().map((n) => h("li", null,
            h("strong", null, names.get(n) || `Principle ${n}`),
            scoreBar(got.scores[n], b.benchmark.principles[n]))))))] : null);
}

export async function assessmentScreen(ctx) {
  const q = await api.questionnaire();
  const lang = ctx.query.get("lang") === "nl" ? "nl" : "en";
  const org = ctx.me.organisation;
  const out = h("div", { class: "assessment-result" });
  let key = api.idempotencyKey();

  const questions = q.principles.map((p) => h("fieldset", { class: "principle" },
    h("legend", null, `${p.principle}. ${pick(p.title, lang)}`),
    p.questions.map((qq) => h("fieldset", { class: "field radios question", dataset: { field: `q.${qq.id}` } },
      h("legend", null, pick(qq.text, lang)),
      qq.options.map((o) => {
        const id = `q-${qq.id}-${o.id}`;
        return h("div", { class: "radio" },
          h("input", { type: "radio", id, name: `q.${qq.id}`, value: o.id }),
          h("label", { for: id }, pick(o.text, lang)));
      }),
      h("p", { class: "field-error", hidden: true })))));

  const history = org ? await paged((cursor) => api.assessments(org.id, cursor), (a) => h("li", null,
    when(a.created_at), a.by ? ` · ${a.by.display_name}` : null, " · ",
    Object.keys(a.scores).sort().map((n) => `${n}: ${a.scores[n]}`).join(" · ")),
  { empty: "Your organisation has not assessed itself yet.", cls: "list" }).catch((err) => notice(err.detail, "error")) : null;

  return h("section", null,
    title("Self-assessment",
      h("a", { class: "button", href: `#/assessment?lang=${lang === "nl" ? "en" : "nl"}`, lang: lang === "nl" ? "en" : "nl" },
        lang === "nl" ? "In English" : "In het Nederlands")),
    h("p", { class: "lead" }, "How well does ", org ? org.name : "your organisation", " follow the five basic principles? ",
      "Answer for the organisation; only its own people see the answers. Communities see medians over at least five organisations, never yours."),
    org ? form({
      submit: "See my scores",
      label: "Self-assessment",
      onSubmit: async (v) => {
        const answers = [];
        const missing = [];
        for (const p of q.principles) {
          for (const qq of p.questions) {
            const o = v[`q.${qq.id}`];
            if (o) answers.push({ question_id: qq.id, option_id: o });
            else missing.push({ field: `q.${qq.id}`, message: "choose one" });
          }
        }
        if (missing.length) throw new api.ApiError(400, { detail: "answer every question", errors: missing });
        const got = await api.submitAssessment(org.id, { answers, lang }, key);
        key = api.idempotencyKey();
        replace(out, results(q, got, lang));
        out.scrollIntoView({ block: "start" });
      },
    }, questions) : notice("Your account belongs to no organisation, so there is nothing to assess."),
    out,
    history ? h("section", { class: "panel" }, h("h2", null, "Earlier assessments"), history) : null);
}
