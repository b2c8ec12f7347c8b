// retention.js - how long a community keeps posts, and legal holds
// (#/c/<id>/retention, and a panel on a channel's settings); owners and
// staff, who alone may set them.
//
// The screen starts from the preview (GET /communities/{id}/retention):
// the retention in force per channel, the holds, and how many posts and
// comments the next purge deletes, so an owner sees what a setting does
// before and after changing it; a change that sends retention answers with
// `retention_due`, which is shown in place.  A hold needs a reason (it is
// audited with it); lifting one needs none.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import {
  TLPS, actionButton, communityContext, communityNav, field, form, notice, title, when, withSide,
} from "../ui.js";

/** May the caller set retention and holds in community c? */
export function ownsRetention(ctx, c) {
  const m = c.membership;
  return ctx.me.platform_role === "staff" || (m && m.status === "active" && m.role === "owner");
}

const days = (n) => (n === null || n === undefined ? "kept until deleted" : `${n} day${n === 1 ? "" : "s"}`);
const due = (d) => (d ? `${d.posts} post${d.posts === 1 ? "" : "s"} and ${d.comments} comment${d.comments === 1 ? "" : "s"}` : "—");

function dueNotice(d) {
  return d ? notice(`Saved. The next purge deletes ${due(d)} under this setting.`) : notice("Saved.");
}

/** The "legal hold" part: a reason to set one, a button to lift it. */
function holdBox({ held, reason, what, save }) {
  const box = h("div", { class: "hold" });
  const draw = (isHeld, why) => {
    if (isHeld) {
      replace(box,
        notice(`On legal hold${why ? `: ${why}` : ""}. Nothing in ${what} is purged until the hold is lifted.`),
        actionButton("Lift the legal hold", async () => {
          const r = await save({ legal_hold: false });
          draw(false, r?.legal_hold_reason ?? null);
        }));
    } else {
      replace(box,
        h("p", null, `Not on legal hold: posts in ${what} are purged when their retention ends.`),
        form({
          submit: "Put on legal hold",
          label: `Legal hold of ${what}`,
          onSubmit: async (v) => {
            const text = v.reason.trim();
            await save({ legal_hold: true, reason: text });
            draw(true, text);
          },
        }, field({ label: "Reason for the hold", name: "reason", required: true, hint: "Kept in the audit trail, e.g. a case number." })));
    }
  };
  draw(held, reason);
  return box;
}

function previewTable(p) {
  return h("div", { class: "scroll" }, h("table", { class: "retention" },
    h("caption", null, "What the next purge deletes"),
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, "Channel"), h("th", { scope: "col" }, "Posts kept"),
      h("th", { scope: "col" }, "Legal hold"), h("th", { scope: "col" }, "Due for deletion"))),
    h("tbody", null, p.channels.map((c) => h("tr", { dataset: { channel: c.channel_id } },
      h("th", { scope: "row" }, `# ${c.name}`),
      h("td", null, days(c.retention_days),
        c.retention_by_tlp && Object.keys(c.retention_by_tlp).length
          ? h("span", { class: "muted" }, ` (${Object.entries(c.retention_by_tlp).map(([t, n]) => `${t}: ${n}`).join(", ")})`)
          : null),
      h("td", null, c.legal_hold ? `yes${c.legal_hold_reason ? `: ${c.legal_hold_reason}` : ""}` : "no"),
      h("td", null, due(c.due)))))));
}

export async function retentionScreen(ctx) {
  const { community: c, channels } = await communityContext(ctx.params.cid);
  const preview = await api.retention(c.id);
  const facts = (p) => h("dl", { class: "facts" },
    h("dt", null, "Posts kept"), h("dd", null, days(p.retention_days)),
    h("dt", null, "Next purge"), h("dd", null, p.next_run_at ? when(p.next_run_at) : "run by the operator (isacd purge)"));
  const factsBox = h("div", null, facts(preview));
  const previewBox = h("div", { class: "preview" }, previewTable(preview));
  const status = h("div", { role: "status" });
  const refresh = async () => {
    const p = await api.retention(c.id);
    replace(previewBox, previewTable(p));
    replace(factsBox, facts(p));
    return p;
  };
  const byTlp = preview.retention_by_tlp || {};
  const retentionForm = form({
    submit: "Save retention",
    label: "Retention of the community",
    novalidate: true, // the server's refusal, in its words, rather than the browser's bubble
    onSubmit: async (v) => {
      const body = {};
      const n = Number.parseInt(v.retention_days, 10);
      body.retention_days = Number.isNaN(n) ? null : n;
      const tlp = {};
      for (const t of TLPS) {
        const x = Number.parseInt(v[`tlp.${t}`], 10);
        if (!Number.isNaN(x)) tlp[t] = x;
      }
      body.retention_by_tlp = tlp;
      const r = await api.updateCommunity(c.id, body);
      replace(status, dueNotice(r.retention_due));
      await refresh();
    },
  },
  field({
    label: "Keep posts for (days)", name: "retention_days", type: "number", min: 1, max: preview.max_retention_days,
    value: c.retention_days ?? "", hint: `Empty: keep posts until they are deleted. At most ${preview.max_retention_days} days on this platform; a channel may set its own.`,
  }),
  h("fieldset", { class: "field tlp-days", dataset: { field: "retention_by_tlp" } },
    h("legend", null, "Shorter for some TLP labels (optional)"),
    TLPS.map((t) => field({ label: `${t} (days)`, name: `tlp.${t}`, type: "number", min: 1, value: byTlp[t] ?? "" })),
    h("p", { class: "hint" }, "A label's days shorten the retention of its posts, never lengthen it."),
    h("p", { class: "field-error", hidden: true })));

  return withSide(communityNav(c, channels, "retention"),
    title("Retention and legal hold"),
    h("p", { class: "lead" }, "How long ", c.name, " keeps what its members post. Posts past their retention are deleted for good, with their comments, sightings and indicators."),
    factsBox,
    previewBox,
    h("section", { class: "panel" }, h("h2", null, "Retention"), retentionForm, status),
    h("section", { class: "panel" }, h("h2", null, "Legal hold of the whole community"),
      holdBox({
        held: preview.legal_hold, reason: preview.legal_hold_reason, what: "this community",
        save: async (body) => {
          const r = await api.updateCommunity(c.id, body);
          await refresh();
          return r;
        },
      })));
}

/** The panel on a channel's settings: its own retention, its hold, what is due. */
export async function channelRetentionPanel(ctx, ch) {
  let preview = null;
  try {
    preview = await api.retention(ch.community_id);
  } catch {
    preview = null; // shown without the counts
  }
  const line = (p) => {
    const mine = p?.channels.find((x) => x.channel_id === ch.id);
    return mine ? h("p", null, "The next purge deletes ", h("strong", null, due(mine.due)), " in this channel.") : null;
  };
  const dueBox = h("div", { class: "due" }, line(preview));
  const status = h("div", { role: "status" });
  return h("section", { class: "panel", "aria-labelledby": "retention-h" },
    h("h2", { id: "retention-h" }, "Retention and legal hold"),
    h("p", null, "Posts here are ", days(ch.effective_retention_days ?? ch.retention_days), ".",
      ch.effective_retention_by_tlp && Object.keys(ch.effective_retention_by_tlp).length
        ? ` Shorter: ${Object.entries(ch.effective_retention_by_tlp).map(([t, n]) => `${t} ${n} days`).join(", ")}.` : null),
    dueBox,
    form({
      submit: "Save retention",
      label: "Retention of the channel",
      novalidate: true,
      onSubmit: async (v) => {
        const n = Number.parseInt(v.retention_days, 10);
        const r = await api.updateChannel(ch.id, { retention_days: Number.isNaN(n) ? null : n });
        replace(status, dueNotice(r.retention_due));
        try {
          replace(dueBox, line(await api.retention(ch.community_id)));
        } catch {
          // the notice says it
        }
      },
    }, field({
      label: "Keep this channel's posts for (days)", name: "retention_days", type: "number", min: 1,
      value: ch.retention_days ?? "", hint: "Empty: as the community keeps them.",
    })),
    status,
    h("h3", null, "Legal hold"),
    holdBox({
      held: ch.legal_hold, reason: preview?.channels.find((x) => x.channel_id === ch.id)?.legal_hold_reason ?? null,
      what: "this channel",
      save: (body) => api.updateChannel(ch.id, body),
    }),
    h("p", null, h("a", { href: `#/c/${ch.community_id}/retention` }, "The whole community's retention")));
}
