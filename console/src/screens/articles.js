// articles.js - the agency's knowledge articles (#/articles, #/articles/<slug>):
// public, so they open without signing in.  Filters by category
// (prevent / recognise / respond), basic principle, language and words;
// an article's body is sanitised Markdown.  Staff also see drafts and
// write new articles (#/articles/new).
import * as api from "../api.js";
import { h } from "../dom.js";
import { markdown } from "../markdown.js";
import { field, form, notice, paged, radios, title, when } from "../ui.js";

const CATEGORIES = [["prevent", "Prevent"], ["recognise", "Recognise"], ["respond", "Respond"]];
const catName = (c) => (CATEGORIES.find(([k]) => k === c) || [c, c])[1];

function articleRow(a) {
  return h("li", { class: "card article-card", dataset: { slug: a.slug } },
    h("h3", null, h("a", { href: `#/articles/${encodeURIComponent(a.slug)}` }, a.title)),
    h("p", { class: "meta" }, catName(a.category), a.principles?.length ? ` · principle ${a.principles.join(", ")}` : null,
      ` · ${a.lang}`, a.status === "draft" ? " · draft" : null),
    a.summary ? h("p", null, a.summary) : null);
}

export async function articlesScreen(ctx) {
  const q = {
    category: ctx.query.get("category") || "", principle: ctx.query.get("principle") || "",
    lang: ctx.query.get("lang") || "", q: ctx.query.get("q") || "",
  };
  const list = await paged((cursor) => api.articles({ ...q, cursor }), articleRow,
    { empty: "No article matches.", cls: "cards", more: "Show more articles" });
  const filters = h("form", { class: "filters", "aria-label": "Find articles" },
    field({ label: "Words", name: "q", value: q.q, type: "search" }),
    field({ label: "Category", name: "category", type: "select", value: q.category, options: [["", "every category"], ...CATEGORIES] }),
    field({ label: "Principle", name: "principle", type: "select", value: q.principle, options: [["", "every principle"], ...[1, 2, 3, 4, 5].map((n) => [String(n), `principle ${n}`])] }),
    field({ label: "Language", name: "lang", type: "select", value: q.lang, options: [["", "both"], ["en", "English"], ["nl", "Nederlands"]] }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Find")));
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    const out = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) if (String(v).trim()) out.set(k, String(v).trim());
    ctx.go(`/articles${[...out].length ? `?${out}` : ""}`);
  });
  return h("section", null,
    title("Articles", ctx.me?.platform_role === "staff" ? h("a", { class: "button", href: "#/articles/new" }, "Write an article") : null),
    h("p", { class: "lead" }, "The agency's advice: prevent, recognise and respond. The five basic principles come first."),
    filters, list);
}

export async function articleScreen(ctx) {
  const a = await api.article(ctx.params.slug);
  return h("article", { class: "post article" },
    h("p", { class: "meta" }, h("a", { href: `#/articles?category=${a.category}` }, catName(a.category)),
      a.principles?.length ? ` · principle ${a.principles.join(", ")}` : null, a.status === "draft" ? " · draft" : null),
    title(a.title),
    a.summary ? h("p", { class: "lead" }, a.summary) : null,
    h("div", { class: "markdown body" }, markdown(a.body || "")),
    a.tags?.length ? h("p", { class: "tags" }, a.tags.map((t) => h("span", { class: "tag" }, t))) : null,
    h("p", { class: "meta" }, a.published_at ? ["Published ", when(a.published_at)] : null,
      a.translation ? [" · ", h("a", { href: `#/articles/${encodeURIComponent(a.translation)}`, lang: a.lang === "nl" ? "en" : "nl" },
        a.lang === "nl" ? "In English" : "In het Nederlands")] : null),
    h("p", null, h("a", { href: "#/articles" }, "All articles")));
}

export async function newArticleScreen(ctx) {
  if (ctx.me.platform_role !== "staff") throw new api.ApiError(403, { detail: "only agency staff write articles" });
  return h("section", null,
    title("Write an article"),
    form({
      submit: "Save the article",
      label: "Write an article",
      onSubmit: async (v) => {
        const body = {
          slug: v.slug.trim(), title: v.title.trim(), summary: v.summary.trim(), body: v.body, category: v.category,
          principles: v.principles.map(Number), lang: v.lang, status: v.status,
        };
        const tags = v.tags.split(/[\s,]+/).filter(Boolean);
        if (tags.length) body.tags = tags;
        const a = await api.createArticle(body);
        ctx.go(`/articles/${encodeURIComponent(a.slug)}`);
      },
    },
    field({ label: "Address (slug)", name: "slug", required: true, hint: "Lower-case words joined by dashes, e.g. spot-a-phishing-mail." }),
    field({ label: "Title", name: "title", required: true }),
    field({ label: "Summary", name: "summary", type: "textarea", rows: 2, required: true }),
    field({ label: "Text (Markdown)", name: "body", type: "textarea", rows: 10, required: true }),
    field({ label: "Category", name: "category", type: "select", value: "prevent", options: CATEGORIES }),
    h("fieldset", { class: "field", dataset: { field: "principles" } }, h("legend", null, "Basic principles it serves"),
      [1, 2, 3, 4, 5].map((n) => h("div", { class: "check" },
        h("input", { type: "checkbox", id: `principle-${n}`, name: "principles", value: String(n), dataset: { multi: "1" } }),
        h("label", { for: `principle-${n}` }, `principle ${n}`))),
      h("p", { class: "field-error", hidden: true })),
    field({ label: "Tags (optional)", name: "tags" }),
    field({ label: "Language", name: "lang", type: "select", value: "en", options: [["en", "English"], ["nl", "Nederlands"]] }),
    radios({ legend: "Status", name: "status", value: "draft", options: [["draft", "draft (staff only)"], ["published", "published (everyone)"]] })),
    notice("A published article is public: anyone can read it without signing in."));
}
