// channel-settings.js - make a channel (#/c/<id>/channels/new), or change
// or delete one and manage the explicit readers of a restricted one
// (#/ch/<id>/settings); moderators and owners.  Retention and legal hold
// are the owners' and staff's: their panel (retention.js) shows to them
// alone, and the general form never sends retention for a moderator.
import * as api from "../api.js";
import { h } from "../dom.js";
import { channelRetentionPanel, ownsRetention } from "./retention.js";
import {
  all, communityContext, communityNav, confirmButton, field, form, notice, paged, radios, title, when,
  withSide,
} from "../ui.js";

function channelFields(ch, { retention = false } = {}) {
  const name = field({ label: "Name", name: "name", value: ch?.name, required: true, maxlength: 100 });
  name.querySelector("input").setAttribute("autofocus", "");
  return [
    name,
    field({ label: "Description (optional)", name: "description", type: "textarea", rows: 2, value: ch?.description }),
    radios({
      legend: "Who reads it", name: "visibility", value: ch?.visibility || "community",
      options: [["community", "every member of the community"], ["restricted", "only the readers you add, and the moderators and owners"]],
    }),
    radios({
      legend: "Who posts in it", name: "posting", value: ch?.posting || "members",
      options: [["members", "its readers"], ["moderators", "only moderators and owners"]],
    }),
    retention ? field({
      label: "Keep posts for (days, optional)", name: "retention_days", type: "number", min: 1, value: ch?.retention_days ?? "",
      hint: "Empty: as the community keeps them.",
    }) : null,
  ];
}

function channelBody(v, patch) {
  const body = { name: v.name.trim(), visibility: v.visibility, posting: v.posting };
  const description = v.description.trim();
  if (description) body.description = description;
  else if (patch) body.description = null;
  // retention is the owners' (and staff's): only sent when the field is there
  const days = Number.parseInt(v.retention_days ?? "", 10);
  if (!Number.isNaN(days)) body.retention_days = days;
  return body;
}

export async function newChannelScreen(ctx) {
  const { community, channels } = await communityContext(ctx.params.cid);
  return withSide(communityNav(community, channels, "new-channel"),
    title("New channel"),
    form({
      submit: "Create the channel",
      label: "New channel",
      onSubmit: async (v) => {
        const ch = await api.createChannel(community.id, channelBody(v, false));
        ctx.go(ch.visibility === "restricted" ? `/ch/${ch.id}/settings` : `/ch/${ch.id}`);
      },
    }, channelFields(null, { retention: ownsRetention(ctx, community) })));
}

export async function channelSettingsScreen(ctx) {
  const ch = await api.channel(ctx.params.chid);
  const { community, channels } = await communityContext(ch.community_id);
  let readers = null;
  if (ch.visibility === "restricted") {
    const roster = await all((cursor) => api.members(community.id, cursor)).catch(() => []);
    const row = (r) => {
      const li = h("li", null, h("strong", null, r.display_name), h("span", { class: "muted" }, ` (${r.organisation.name}) · added `),
        when(r.added_at), " ",
        confirmButton("Remove", `Stop ${r.display_name} reading # ${ch.name}?`, async () => {
          await api.removeReader(ch.id, r.user_id);
          li.remove();
        }));
      return li;
    };
    const list = await paged((cursor) => api.readers(ch.id, cursor), row, { empty: "No explicit readers yet." });
    const plain = roster.filter((m) => m.role === "member");
    const pick = field({
      label: "Add a reader", name: "user_id", type: "select",
      options: [["", "— choose a member —"], ...plain.map((m) => [m.user_id, `${m.display_name} (${m.organisation.name})`])],
    });
    readers = h("section", { class: "panel" }, h("h2", null, "Readers"),
      h("p", { class: "hint" }, "Moderators and owners always read a restricted channel; add the members who may."),
      list,
      form({
        submit: "Add",
        label: "Add a reader",
        onSubmit: async (v) => {
          if (!v.user_id) throw new api.ApiError(400, { detail: "choose a member", errors: [{ field: "user_id", message: "choose one" }] });
          const r = await api.addReader(ch.id, v.user_id);
          list.querySelector(".list").prepend(row(r));
          list.querySelector(".empty")?.remove();
        },
      }, pick));
  }
  return withSide(communityNav(community, channels, ch.id),
    title(`Settings of # ${ch.name}`),
    form({
      submit: "Save",
      label: "Channel settings",
      onSubmit: async (v) => {
        await api.updateChannel(ch.id, channelBody(v, true));
        ctx.go(`/ch/${ch.id}/settings`);
      },
    }, channelFields(ch)),
    readers,
    ownsRetention(ctx, community) ? await channelRetentionPanel(ctx, ch) : null,
    h("section", { class: "panel danger-zone" }, h("h2", null, "Delete"),
      notice("Deleting the channel deletes its posts, for everyone."),
      confirmButton("Delete the channel", `Delete # ${ch.name} and all its posts?`, async () => {
        await api.deleteChannel(ch.id);
        ctx.go(`/c/${community.id}`);
      })),
    h("p", null, h("a", { href: `#/ch/${ch.id}` }, "Back to the channel")));
}
