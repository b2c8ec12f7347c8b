// main.js - boot, the header and navigation between screens.
//
// The fragment (#/...) names the screen (routes.js).  Each navigation
// renders the screen afresh from the API: nothing is cached but who the
// caller is (GET /me, again after signing in or joining).  A screen that
// finishes after the reader has moved on is dropped.  What a screen keeps
// running (a live watch of its channel: realtime.js) it hands to
// ctx.onLeave, and it is stopped when the next screen starts.
import * as api from "./api.js";
import * as realtime from "./realtime.js";
import { h, replace } from "./dom.js";
import { match } from "./routes.js";
import { failure } from "./ui.js";

const session = { me: null };
let generation = 0;
let leaving = [];

function leave() {
  const fns = leaving;
  leaving = [];
  for (const fn of fns) {
    try {
      fn();
    } catch (err) {
      console.error(err);
    }
  }
}

const main = document.getElementById("main");
const top = document.getElementById("top");

/** Go to a screen: path like "/c/<id>". */
export function go(path) {
  const target = `#${path}`;
  if (location.hash === target) render();
  else location.hash = target;
}

function current() {
  const raw = location.hash.startsWith("#/") ? location.hash.slice(1) : "/";
  const q = raw.indexOf("?");
  return {
    path: q < 0 ? raw : raw.slice(0, q),
    query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)),
    full: raw,
  };
}

/** Who the caller is, fetched again (after signing in, joining, leaving). */
async function refreshMe() {
  session.me = await api.me();
  header();
  return session.me;
}

function header() {
  const me = session.me;
  const menuId = "menu";
  const toggle = h("button", { type: "button", class: "menu-toggle", "aria-expanded": "false", "aria-controls": menuId }, "Menu");
  const link = (href, text) => h("li", null, h("a", { href }, text));
  const nav = h("nav", { id: menuId, class: "menu", "aria-label": "Main" },
    h("ul", null,
      me ? [
        link("#/", "Communities"),
        link("#/search", "Search"),
        link("#/lookup", "Indicator lookup"),
        link("#/advisories", "Advisories"),
        link("#/articles", "Articles"),
        link("#/assessment", "Self-assessment"),
        link("#/account", "Account"),
        me.platform_role === "staff" ? [link("#/staff/organisations", "Organisations"), link("#/staff/onboard", "Onboard a cluster"),
          link("#/staff/threat-picture", "Threat picture")] : null,
      ] : link("#/articles", "Articles"),
      h("li", null, h("a", { href: "/docs" }, "API reference"))),
    me ? h("div", { class: "who" },
      h("span", { class: "muted" }, me.display_name),
      h("button", { type: "button", class: "signout", on: { click: signOut } }, "Sign out")) : null);
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });
  nav.addEventListener("click", (e) => {
    if (e.target.closest("a")) {
      toggle.setAttribute("aria-expanded", "false");
      nav.classList.remove("open");
    }
  });
  replace(top, h("a", { class: "brand", href: "#/" }, "isacd"), toggle, nav);
  for (const a of nav.querySelectorAll("a[href^='#/']")) {
    const here = current().path;
    const target = a.getAttribute("href").slice(1);
    if (target === here) a.setAttribute("aria-current", "page");
  }
}

async function signOut() {
  try {
    await api.logout();
  } catch {
    // the token may be gone already; forget it either way
  }
  api.clearToken();
  realtime.stop();
  session.me = null;
  go("/signin");
}

async function render(firstLoad = false) {
  const gen = ++generation;
  leave();
  const { path, query, full } = current();
  const found = match(path);
  if (!found) {
    header();
    replace(main, failure({ detail: `There is no screen at ${path}.` }));
    return;
  }
  if (!found.route.public && !api.token()) {
    session.me = null;
    go(`/signin?next=${encodeURIComponent(full)}`);
    return;
  }
  main.setAttribute("aria-busy", "true");
  let node;
  try {
    if (api.token() && !session.me) {
      try {
        await refreshMe();
      } catch (err) {
        // a stale token: whenExpired has sent a private screen to sign in
        if (!(err instanceof api.ApiError && err.status === 401 && found.route.public)) throw err;
      }
    }
    header();
    // a screen overtaken while it loaded stops what it started at once
    const onLeave = (fn) => (gen === generation ? leaving.push(fn) : fn());
    node = await found.route.screen({
      params: found.params, query, here: full, me: session.me, go, refreshMe, session, onLeave,
      signedIn: (me) => { session.me = me; header(); },
    });
  } catch (err) {
    if (gen !== generation) return;
    if (err instanceof api.ApiError && err.status === 401 && !api.token()) return; // whenExpired took over
    header();
    node = failure(err);
  }
  if (gen !== generation) return;
  main.removeAttribute("aria-busy");
  replace(main, node);
  const autofocus = main.querySelector("[autofocus]");
  if (!firstLoad) window.scrollTo(0, 0);
  if (autofocus) autofocus.focus();
  else if (!firstLoad) main.focus({ preventScroll: true });
}

api.whenExpired(() => {
  realtime.stop();
  session.me = null;
  const { full } = current();
  if (!full.startsWith("/signin")) go(`/signin?next=${encodeURIComponent(full)}&expired=1`);
});

document.querySelector(".skip").addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", () => render());
render(true);
