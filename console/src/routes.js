// routes.js - every screen of the console and the address that opens it.
//
// Addresses live in the fragment (#/c/<id>), so the server serves one page
// for all of them and an invitation link is just <origin>/#/invite/<token>.
// A route is {path, screen, public?}: `:name` segments become
// ctx.params.name; the screen is an async function (ctx) → Node, one module
// per screen under screens/.  Only `public` routes open without a session.
//
// The agency's screens (advisories, articles, the self-assessment, the
// threat picture) and retention follow the same pattern; articles are
// public, like the agency's website.
import { accountScreen } from "./screens/account.js";
import { advisoriesScreen, advisoryScreen, newAdvisoryScreen } from "./screens/advisories.js";
import { articleScreen, articlesScreen, newArticleScreen } from "./screens/articles.js";
import { assessmentScreen } from "./screens/assessment.js";
import { auditScreen } from "./screens/audit.js";
import { channelScreen } from "./screens/channel.js";
import { channelSettingsScreen, newChannelScreen } from "./screens/channel-settings.js";
import { communityScreen } from "./screens/community.js";
import { composeScreen } from "./screens/compose.js";
import { homeScreen } from "./screens/home.js";
import { indicatorScreen, lookupScreen } from "./screens/lookup.js";
import { inviteScreen } from "./screens/invite.js";
import { invitesScreen } from "./screens/invites.js";
import { membersScreen } from "./screens/members.js";
import { onboardScreen } from "./screens/onboard.js";
import { organisationsScreen } from "./screens/organisations.js";
import { postScreen } from "./screens/post.js";
import { requestsScreen } from "./screens/requests.js";
import { retentionScreen } from "./screens/retention.js";
import { searchScreen } from "./screens/search.js";
import { signinScreen } from "./screens/signin.js";
import { agencyThreatScreen, communityThreatScreen } from "./screens/threat.js";
import { tokensScreen } from "./screens/tokens.js";

export const routes = [
  { path: "/signin", screen: signinScreen, public: true },
  { path: "/invite/:token", screen: inviteScreen, public: true },
  { path: "/", screen: homeScreen },
  { path: "/c/:cid", screen: communityScreen },
  { path: "/c/:cid/members", screen: membersScreen },
  { path: "/c/:cid/invites", screen: invitesScreen },
  { path: "/c/:cid/requests", screen: requestsScreen },
  { path: "/c/:cid/channels/new", screen: newChannelScreen },
  { path: "/c/:cid/audit", screen: auditScreen },
  { path: "/c/:cid/retention", screen: retentionScreen },
  { path: "/c/:cid/threat-picture", screen: communityThreatScreen },
  { path: "/ch/:chid", screen: channelScreen },
  { path: "/ch/:chid/settings", screen: channelSettingsScreen },
  { path: "/ch/:chid/new", screen: composeScreen },
  { path: "/p/:pid", screen: postScreen },
  { path: "/p/:pid/edit", screen: composeScreen },
  { path: "/search", screen: searchScreen },
  { path: "/lookup", screen: lookupScreen },
  { path: "/indicator", screen: indicatorScreen },
  { path: "/account", screen: accountScreen },
  { path: "/account/tokens", screen: tokensScreen },
  { path: "/staff/organisations", screen: organisationsScreen },
  { path: "/staff/onboard", screen: onboardScreen },
  { path: "/staff/threat-picture", screen: agencyThreatScreen },
  { path: "/advisories", screen: advisoriesScreen },
  { path: "/advisories/new", screen: newAdvisoryScreen },
  { path: "/advisories/:aid", screen: advisoryScreen },
  { path: "/articles", screen: articlesScreen, public: true },
  { path: "/articles/new", screen: newArticleScreen },
  { path: "/articles/:slug", screen: articleScreen, public: true },
  { path: "/assessment", screen: assessmentScreen },
];

/** path → {route, params} or null. */
export function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const route of routes) {
    const want = route.path.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i].startsWith(":")) {
        try {
          params[want[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else {
        ok = want[i] === parts[i];
      }
    }
    if (ok) return { route, params };
  }
  return null;
}
