// post.js - one post: its labels, body (sanitised Markdown), indicators with
// how many other readable posts carry each (seen_in), sightings ("we saw
// this too", one per organisation), comments and earlier revisions; edit and
// delete for whoever may; the STIX 2.1 bundle to download.  Live
// (realtime.js): new comments and sightings appear; an edit is announced
// with a button to show it (a comment being written is not thrown away);
// deletion, or losing the channel, takes the post off the screen.
import * as api from "../api.js";
import { h, replace } from "../dom.js";
import { markdown } from "../markdown.js";
import * as realtime from "../realtime.js";
import {
  actionButton, all, communityContext, download, communityNav, confirmButton, field, form, kindBadge, notice, paged, person,
  severityBadge, title, tlpLabel, when, withSide,
} from "../ui.js";

export async function postScreen(ctx) {
  const p = await api.post(ctx.params.pid);
  const [{ community, channels }, sight, roster] = await Promise.all([
    communityContext(p.community_id),
    api.sightings(p.id),
    p.recipients ? all((c) => api.members(p.community_id, c)).catch(() => []) : Promise.resolve([]),
  ]);
  const ch = channels.find((c) => c.id === p.channel_id);
  const names = new Map(roster.map((m) => [m.user_id, m.display_name]));

  const actions = h("div", { class: "post-actions" },
    p.can_edit ? h("a", { class: "button", href: `#/p/${p.id}/edit` }, "Edit") : null,
    p.can_delete ? confirmButton("Delete", "Delete this post for everyone?", async () => {
      await api.deletePost(p.id);
      ctx.go(`/ch/${p.channel_id}`);
    }) : null,
    actionButton("Download STIX 2.1", async () => {
      download(`post-${p.id}.stix.json`, await api.stix(p.id));
    }));

  const indicators = p.indicators.length
    ? h("table", { class: "indicators" },
      h("caption", null, "Indicators"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Value"),
        h("th", { scope: "col" }, "Seen in"))),
      h("tbody", null, p.indicators.map((i) => h("tr", null,
        h("td", null, i.type),
        h("td", null, h("code", { class: "value" }, i.value)),
        h("td", null, i.seen_in > 0
          ? h("a", { href: `#/indicator?${new URLSearchParams({ type: i.type, value: i.value })}` },
            `${i.seen_in} other post${i.seen_in === 1 ? "" : "s"}`)
          : h("span", { class: "muted" }, "no other post"))))))
    : null;

  // sightings
  const sightBox = h("section", { class: "sightings", "aria-labelledby": "sightings-h" });
  const drawSightings = (s) => {
    const mine = s.organisations.some((o) => o.mine);
    replace(sightBox,
      h("h2", { id: "sightings-h" }, `Sightings (${s.total})`),
      s.organisations.length
        ? h("ul", { class: "list" }, s.organisations.map((o) => h("li", null,
          h("strong", null, o.organisation ? o.organisation.name : "an organisation"), o.mine ? " (yours)" : null,
          " · ", when(o.created_at), o.note ? h("p", null, o.note) : null)))
        : h("p", { class: "muted" }, "No organisation has reported seeing this yet."),
      s.total > s.organisations.length ? h("p", { class: "muted" }, "Other organisations are counted but not named to you.") : null,
      mine ? null : sightingForm());
  };
  let sightKey = api.idempotencyKey();
  const sightingForm = () => form({
    submit: "We saw this too",
    className: "inline-form",
    label: "Report a sighting",
    onSubmit: async (v) => {
      try {
        await api.createSighting(p.id, v.note.trim(), sightKey);
      } catch (err) {
        if (err.status > 0) sightKey = api.idempotencyKey();
        throw err;
      }
      sightKey = api.idempotencyKey();
      drawSightings(await api.sightings(p.id));
    },
  }, field({ label: "Note for the other readers (optional)", name: "note", type: "textarea", rows: 2 }));
  drawSightings(sight);

  // comments
  const commentList = await paged((cursor) => api.comments(p.id, cursor), (c) => commentItem(p, c),
    { empty: "No comments yet.", cls: "comments", more: "Show older comments" });
  let commentKey = api.idempotencyKey();
  const commentForm = form({
    submit: "Comment",
    label: "Add a comment",
    onSubmit: async (v, formEl) => {
      let c;
      try {
        c = await api.createComment(p.id, v.body, commentKey);
      } catch (err) {
        if (err.status > 0) commentKey = api.idempotencyKey();
        throw err;
      }
      commentKey = api.idempotencyKey();
      formEl.reset();
      if (!commentList.querySelector(`[data-comment="${CSS.escape(c.id)}"]`)) {
        commentList.querySelector(".comments").prepend(commentItem(p, c));
      }
      commentList.querySelector(".empty")?.remove();
    },
  }, field({ label: "Your comment (Markdown)", name: "body", type: "textarea", rows: 3, required: true }));

  // revisions, loaded when opened
  const history = h("details", { class: "revisions" }, h("summary", null, `Earlier versions (${p.revision})`));
  history.addEventListener("toggle", async () => {
    if (!history.open || history.dataset.loaded) return;
    history.dataset.loaded = "1";
    try {
      history.append(await paged((cursor) => api.revisions(p.id, cursor), (r) => h("li", { class: "revision" },
        h("p", { class: "meta" }, `Version ${r.revision} · `, when(r.edited_at), " · ", person(r.editor, "the author"), " · ", tlpLabel(r.tlp)),
        h("h3", null, r.title),
        h("div", { class: "markdown" }, markdown(r.body))), { empty: "No earlier versions.", cls: "list" }));
    } catch (err) {
      history.append(notice(err.detail || String(err), "error"));
    }
  });

  const side = communityNav(community, channels, p.channel_id);
  const banner = h("div", { class: "live-banner", role: "status" });
  const article = h("article", { class: "post" },
      h("div", { class: "labels" }, tlpLabel(p.tlp), kindBadge(p.kind), severityBadge(p.severity)),
      title(p.title),
      h("p", { class: "meta" },
        person(p.author), p.anonymous && p.author ? h("span", { class: "muted" }, " (posted anonymously: other readers do not see this)") : null,
        " · ", when(p.created_at),
        p.revision > 0 ? [" · edited ", when(p.updated_at)] : null,
        ch ? [" · in ", h("a", { href: `#/ch/${ch.id}` }, `# ${ch.name}`)] : null),
      p.advisory ? h("p", { class: "meta" }, `An advisory of the agency (version ${p.advisory.version}): `,
        h("a", { href: `#/advisories/${p.advisory.id}` }, "read it and acknowledge it for your organisation")) : null,
      p.shared_from ? h("p", { class: "meta" }, "Shared from ", h("a", { href: `#/p/${p.shared_from}` }, "another post")) : null,
      p.tlp === "TLP:RED" && p.recipients ? h("p", { class: "meta" }, "Recipients: ",
        p.recipients.map((id, i) => [i ? ", " : "", names.get(id) || "a member"])) : null,
      actions,
      h("div", { class: "markdown body" }, markdown(p.body)),
      p.tags.length ? h("p", { class: "tags" }, p.tags.map((t) => h("a", { class: "tag", href: `#/ch/${p.channel_id}?tag=${encodeURIComponent(t)}` }, t))) : null,
      indicators,
      p.revision > 0 ? history : null);
  const commentsBox = h("section", { class: "comments-box", "aria-labelledby": "comments-h" },
    h("h2", { id: "comments-h" }, "Comments"), commentList, commentForm);

  const gone = (text) => {
    replace(banner, notice(text, "error"), h("p", null, h("a", { href: `#/c/${p.community_id}` }, "Back to the community")));
    for (const el of [actions, ...article.querySelectorAll(".body, .indicators, .tags, .revisions"), sightBox, commentsBox]) el.remove();
  };
  ctx.onLeave(realtime.watch(p.channel_id, async (msg) => {
    if (msg.type === "revoked") {
      side.querySelector(`a[href="#/ch/${CSS.escape(p.channel_id)}"]`)?.closest("li")?.remove();
      gone("You can no longer read this channel: your access to it has ended.");
      return;
    }
    if (msg.type === "resync") {
      replace(banner, notice("The connection was lost for a while: this post may have changed."),
        h("button", { type: "button", on: { click: () => ctx.go(ctx.here) } }, "Show the latest"));
      return;
    }
    if (msg.type !== "event") return;
    const d = msg.data || {};
    if (msg.event === "post.deleted" && d.id === p.id) {
      gone("This post has been deleted, or you may no longer see it.");
    } else if (msg.event === "post.updated" && d.id === p.id) {
      replace(banner, notice("This post has been edited."),
        h("button", { type: "button", on: { click: () => ctx.go(ctx.here) } }, "Show the new version"));
    } else if (msg.event === "comment.created" && d.post_id === p.id) {
      const ul = commentList.querySelector(".comments");
      if (!ul.querySelector(`[data-comment="${CSS.escape(d.id)}"]`)) {
        ul.prepend(commentItem(p, d));
        commentList.querySelector(".empty")?.remove();
      }
    } else if (msg.event === "comment.updated" && d.post_id === p.id) {
      commentList.querySelector(`[data-comment="${CSS.escape(d.id)}"]`)?.replaceWith(commentItem(p, d));
    } else if (msg.event === "comment.deleted" && d.post_id === p.id) {
      commentList.querySelector(`[data-comment="${CSS.escape(d.id)}"]`)?.remove();
    } else if (msg.event === "sighting.created" && d.post_id === p.id) {
      try {
        drawSightings(await api.sightings(p.id));
      } catch {
        // shown again on the next visit
      }
    }
  }));

  return withSide(side, banner, article, sightBox, commentsBox);
}

function commentItem(p, c) {
  const li = h("li", { class: "comment", dataset: { comment: c.id } },
    h("p", { class: "meta" }, person(c.author), " · ", when(c.created_at), c.updated_at !== c.created_at ? " · edited" : null),
    h("div", { class: "markdown" }, markdown(c.body)),
    c.can_delete ? confirmButton("Delete", "Delete this comment?", async () => {
      await api.deleteComment(p.id, c.id);
      li.remove();
    }) : null);
  return li;
}
