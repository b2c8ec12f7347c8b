// compose.js - write a post in a channel (#/ch/<id>/new) or edit one's own
// (#/p/<id>/edit): kind, title, Markdown body, TLP, severity, tags,
// indicators pasted one per line, anonymity (when writing), and for TLP:RED
// the recipients, chosen among the community's members the author can see.
// The form keeps one Idempotency-Key until the post is made, so a second
// click or a retry after a lost answer creates nothing twice.
import * as api from "../api.js";
import { h } from "../dom.js";
import { formatIndicators, parseIndicators } from "../indicators.js";
import {
  KINDS, SEVERITIES, TLPS, all, communityContext, communityNav, field, form, radios, title, tlpLabel, withSide,
} from "../ui.js";

const TLP_MEANING = {
  "TLP:CLEAR": "anyone; may be published",
  "TLP:GREEN": "the community; may be shared to other channels of the platform",
  "TLP:AMBER": "this channel's readers; it never leaves the channel",
  "TLP:AMBER+STRICT": "this channel's readers only, strictly; it never leaves the channel",
  "TLP:RED": "only the people you choose below, and you",
};

export async function composeScreen(ctx) {
  const editing = ctx.params.pid ? await api.post(ctx.params.pid) : null;
  const ch = await api.channel(editing ? editing.channel_id : ctx.params.chid);
  const { community, channels } = await communityContext(ch.community_id);
  // who may be a recipient: the channel's readers the author can see, on
  // the roster as the author sees it or as the author of a post here
  const [roster, recent] = await Promise.all([
    all((cursor) => api.members(community.id, cursor)).catch(() => []),
    api.posts(ch.id, { limit: 200 }).then((page) => page.items).catch(() => []),
  ]);
  const candidates = new Map();
  for (const m of roster) {
    if (m.status === "active") candidates.set(m.user_id, { user_id: m.user_id, display_name: m.display_name, organisation: m.organisation });
  }
  for (const p of recent) {
    if (p.author && !candidates.has(p.author.id)) {
      candidates.set(p.author.id, { user_id: p.author.id, display_name: p.author.display_name, organisation: p.author.organisation });
    }
  }
  candidates.delete(ctx.me.id);
  const others = [...candidates.values()].sort((a, b) => a.display_name.localeCompare(b.display_name));
  const chosen = new Set(editing && editing.recipients ? editing.recipients : []);
  let key = api.idempotencyKey();

  const recipients = h("fieldset", { class: "field recipients", dataset: { field: "recipients" } },
    h("legend", null, "Recipients (TLP:RED)"),
    h("p", { class: "hint" }, "Only they and you will read this post: not the moderators, not staff. You can choose the members you can see here, and those who wrote in this channel."),
    others.length
      ? h("ul", { class: "checks" }, others.map((m) => {
        const id = `rcpt-${m.user_id}`;
        return h("li", null, h("input", { type: "checkbox", id, name: "recipients", value: m.user_id, checked: chosen.has(m.user_id), dataset: { multi: "1" } }),
          h("label", { for: id }, m.display_name, h("span", { class: "muted" }, ` (${m.organisation.name})`)));
      }))
      : h("p", { class: "muted" }, "There is nobody else you can see in this community."),
    h("p", { class: "field-error", hidden: true }));

  const tlp = radios({
    legend: "TLP (who may read it)",
    name: "tlp",
    value: editing ? editing.tlp : "TLP:AMBER",
    options: TLPS.map((t) => [t, [tlpLabel(t), " ", h("span", { class: "muted" }, TLP_MEANING[t])]]),
  });
  const syncRecipients = () => {
    const red = tlp.querySelector("input:checked")?.value === "TLP:RED";
    recipients.hidden = !red;
  };
  tlp.addEventListener("change", syncRecipients);
  syncRecipients();

  const titleField = field({ label: "Title", name: "title", value: editing?.title, required: true, maxlength: 200 });
  titleField.querySelector("input").setAttribute("autofocus", "");

  const f = form({
    submit: editing ? "Save changes" : "Publish",
    label: editing ? "Edit the post" : "Write a post",
    onSubmit: async (v) => {
      const parsed = parseIndicators(v.indicators);
      if (parsed.errors.length) {
        throw new api.ApiError(400, {
          detail: "some indicator lines could not be read",
          errors: parsed.errors.map((e) => ({ field: "indicators", message: `line ${e.line}: ${e.message}` })),
        });
      }
      const body = {
        kind: v.kind,
        title: v.title.trim(),
        body: v.body,
        tlp: v.tlp,
        tags: v.tags.split(/[\s,]+/).filter(Boolean),
        indicators: parsed.items.map(({ type, value }) => ({ type, value })),
      };
      if (v.severity) body.severity = v.severity;
      else if (editing) body.severity = null;
      if (v.tlp === "TLP:RED") body.recipients = v.recipients || [];
      let saved;
      try {
        if (editing) {
          saved = await api.updatePost(editing.id, body);
        } else {
          if (v.anonymous) body.anonymous = true;
          saved = await api.createPost(ch.id, body, key);
        }
      } catch (err) {
        if (err instanceof api.ApiError && err.status > 0) key = api.idempotencyKey();
        // the server numbers indicators as sent; say which line
        for (const e of err.errors || []) {
          const m = /^indicators\[(\d+)\]/.exec(e.field);
          if (m && parsed.items[Number(m[1])]) {
            e.message = `line ${parsed.items[Number(m[1])].line}: ${e.message}`;
            e.field = "indicators";
          }
        }
        throw err;
      }
      ctx.go(`/p/${saved.id}`);
    },
  },
  field({ label: "Kind", name: "kind", type: "select", value: editing?.kind || "incident", options: KINDS.map((k) => [k, k]) }),
  titleField,
  field({
    label: "Body", name: "body", type: "textarea", rows: 10, value: editing?.body, required: true,
    hint: "Markdown: **bold**, _italic_, `code`, lists, [links](https://example.org). HTML and images are shown as text.",
  }),
  tlp,
  recipients,
  field({
    label: "Severity", name: "severity", type: "select", value: editing?.severity || "",
    options: [["", "none"], ...SEVERITIES.map((s) => [s, s])],
  }),
  field({ label: "Tags", name: "tags", value: editing ? editing.tags.join(" ") : "", hint: "Separated by spaces or commas, e.g. phishing ransomware." }),
  field({
    label: "Indicators", name: "indicators", type: "textarea", rows: 6, spellcheck: "false",
    value: editing ? formatIndicators(editing.indicators) : "",
    hint: "One per line: \"type value\" (ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, cve) or just the value. Defanged values (hxxp, [.]) are fine.",
  }),
  editing ? null : field({
    label: "Post anonymously", name: "anonymous", type: "checkbox",
    hint: "Other readers see neither you nor your organisation; the community's moderators still see who wrote it.",
  }));

  return withSide(communityNav(community, channels, ch.id),
    title(editing ? "Edit the post" : `Write in # ${ch.name}`),
    f,
    h("p", null, h("a", { href: editing ? `#/p/${editing.id}` : `#/ch/${ch.id}` }, "Cancel")));
}
