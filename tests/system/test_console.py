"""The web console (GET /), used as people use it: in a real Chromium.

One headless Chromium (Debian's, driven by chromium-driver through Selenium)
serves the whole module; each person has a tab of their own, and since the
console keeps its session token in sessionStorage, which belongs to one tab,
each tab is a separate session signed in as someone else.  The browser can
resolve no name and reach no address but isacd's (--host-resolver-rules),
and its network log (Chrome's performance log) records every request any
tab makes, so the tests can say what the console asked for.

* Serving: the page and its files, with a strict Content-Security-Policy,
  X-Frame-Options, Referrer-Policy, content types, ETags (304) and caching;
  the API reference page under its own policy; the OpenAPI document.
* A cluster's first hour: staff onboard it and get the owner's link; the
  owner accepts, makes a channel and invites three members, who accept;
  a TLP:AMBER incident with indicators appears on a second member's open
  channel screen, live over the WebSocket (no reload); a TLP:RED post
  reaches its recipient and nobody else; a suspended member's open screen
  loses the channel as it happens.
* Live: an open channel screen survives its isacd restarting (it
  reconnects and resubscribes with `since`, and shows the post made
  meanwhile through another instance), and goes to sign-in when the
  session ends elsewhere (close code 1008).
* Retention and legal hold with the preview (owners); my data and deleting
  my account; the agency: an advisory published and its acknowledgement
  counts updating on the staff's open screen, a member acknowledging, the
  moderators' view; public articles; the self-assessment with its
  benchmark; the threat picture.
* Safety: a post and a comment full of HTML and javascript: links run
  nothing and load nothing; the policy is enforced by the browser (an
  injected inline script does not run, innerHTML refuses strings); the
  console contacts no origin but isacd.
* Use: errors shown in place as the API's detail; sign-in with TOTP by
  keyboard alone; every screen at 1280 px and on a 390 px phone, with
  every control labelled and nothing wider than the screen.

Screenshots of the main screens at both widths go to $ISACD_SCREENSHOTS (a
new temporary folder when unset; its path is printed at the end), never into
the repository.
"""

import json
import os
import re
import shutil
import tempfile
import time
import urllib.parse

import pytest

import conftest
from conftest import DEFAULT_PASSWORD, ROOT, create_staff, totp_code, unique_email
import community_helpers as ch
from identity_helpers import wait_for_fresh_totp_step

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        NoAlertPresentException, NoSuchElementException, StaleElementReferenceException,
        TimeoutException, WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:  # a clear failure, never a skip
    raise ImportError("test_console.py needs python3-selenium: "
                      "tools/deps.sh chromium chromium-driver python3-selenium (make test does)") from e

# runs Chromium: never beside another file that does (conftest.py)
pytestmark = pytest.mark.xdist_group("browser")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = 15
POLL = 0.05
DESKTOP = (1280, 900)
PHONE = (390, 844)

# FIRST TLP 2.0: the label's colour, on black
TLP_COLOURS = {"TLP:RED": (255, 43, 43), "TLP:AMBER": (255, 192, 0),
               "TLP:AMBER+STRICT": (255, 192, 0), "TLP:GREEN": (51, 255, 0),
               "TLP:CLEAR": (255, 255, 255)}


def rgb(css):
    """(r, g, b) of an opaque CSS colour as Chromium reports it."""
    parts = [float(x) for x in re.findall(r"[\d.]+", css)]
    assert len(parts) == 3 or parts[3] == 1, css
    return tuple(int(x) for x in parts[:3])


# ---- the browser ------------------------------------------------------------------


class Browser:
    """One Chromium; tabs are people; every request of every tab is logged."""

    def __init__(self, server):
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                pytest.fail(f"{path} not found: install chromium and chromium-driver "
                            "(tools/deps.sh chromium chromium-driver python3-selenium; "
                            "make test does)")
        self.server = server
        self.profile = tempfile.mkdtemp(prefix="isacd-console-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={self.profile}",
                    f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                    # no name resolves, so nothing but isacd on 127.0.0.1 is reachable
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.set_page_load_timeout(30)
        self.first = self.driver.current_window_handle
        self.current = self.first
        self.requests = []   # (url, the page that asked)
        self.failed = []     # (url, the page that asked, error, blocked reason)
        self.console = []    # browser console messages
        self.frames = []     # ("sent" | "received", WebSocket text) of every tab
        self._sent = {}

    def tab(self, name):
        if self.first is not None:
            handle, self.first = self.first, None
        else:
            self.driver.switch_to.new_window("tab")
            handle = self.current = self.driver.current_window_handle
        return Tab(self, name, handle)

    def drain(self):
        """Move Chrome's logs into self.requests / failed / console."""
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            params = msg.get("params", {})
            if msg["method"] == "Network.requestWillBeSent":
                sent = (params["request"]["url"], params.get("documentURL", ""))
                self._sent[params["requestId"]] = sent
                self.requests.append(sent)
            elif msg["method"] == "Network.webSocketFrameSent":
                self.frames.append(("sent", params["response"].get("payloadData", "")))
            elif msg["method"] == "Network.webSocketFrameReceived":
                self.frames.append(("received", params["response"].get("payloadData", "")))
            elif msg["method"] == "Network.loadingFailed":
                url, page = self._sent.get(params["requestId"], ("?", "?"))
                self.failed.append((url, page, params.get("errorText"), params.get("blockedReason")))
        self.console.extend(self.driver.get_log("browser"))

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One person's tab: helpers that find things by what a person reads
    (labels, button texts), so the tests also prove that they are there."""

    def __init__(self, browser, name, handle):
        self.b = browser
        self.name = name
        self.handle = handle
        self.base = browser.server.url

    @property
    def d(self):
        if self.b.current != self.handle:
            self.b.driver.switch_to.window(self.handle)
            self.b.current = self.handle
        return self.b.driver

    def open(self, path="/"):
        """Open a screen by its fragment path ("/c/<id>"), as a link would
        (the same screen again: rendered afresh, as the console does)."""
        d = self.d
        if d.current_url.startswith(self.base + "/"):
            self.mark()
            d.execute_script(
                "if (location.hash === arguments[0])"
                "  window.dispatchEvent(new HashChangeEvent('hashchange'));"
                "else location.hash = arguments[0];", "#" + path)
        else:
            d.get(self.base + "/#" + path)
        return self.ready()

    def get(self, url):
        self.mark()
        self.d.get(url)
        return self.ready()

    def mark(self):
        """Mark what is on screen now, so that ready() waits for the next screen."""
        self.d.execute_script(
            "for (const h of document.querySelectorAll('#main h1')) h.dataset.old = '1';")

    def ready(self):
        """Wait until a new screen has rendered: a heading not marked old,
        and main not busy."""
        try:
            WebDriverWait(self.d, WAIT, POLL).until(lambda d: d.execute_script(
                "const m = document.getElementById('main');"
                "return m !== null && !m.hasAttribute('aria-busy')"
                "  && m.querySelector('h1:not([data-old])') !== null;"))
        except TimeoutException:
            raise AssertionError(f"[{self.name}] no screen rendered at {self.d.current_url}:\n"
                                 f"{self.text()[:2000]}") from None
        return self

    def main(self):
        return self.d.find_element(By.ID, "main")

    def text(self):
        return self.main().text

    def heading(self):
        return self.d.find_element(By.CSS_SELECTOR, "#main h1").text

    def wait_for(self, predicate, what, timeout=WAIT):
        """Wait until predicate() holds; elements that go stale or are not
        there yet while the screen changes count as "not yet"."""
        try:
            WebDriverWait(self.d, timeout, POLL, ignored_exceptions=(
                NoSuchElementException, StaleElementReferenceException)).until(lambda d: predicate())
        except TimeoutException:
            raise AssertionError(f"[{self.name}] waited {timeout}s for {what}; "
                                 f"at {self.d.current_url}:\n{self.text()[:2000]}") from None

    def wait_text(self, needle, timeout=WAIT):
        self.wait_for(lambda: needle in self.text(), repr(needle), timeout)
        return self

    def wait_heading(self, text):
        self.wait_for(lambda: self.heading() == text and not self.main().get_attribute("aria-busy"),
                      f"the heading {text!r}")
        return self

    FIND_CONTROL = (
        "const scope = arguments[0] || document.getElementById('main');"
        "const l = [...scope.querySelectorAll('label')]"
        "  .find(l => l.textContent.replace(/\\s+/g, ' ').trim() === arguments[1]);"
        "const c = l ? l.control : null;")

    def control(self, label, within=None):
        """The control a <label> names (its whole text)."""
        found = self.d.execute_script(self.FIND_CONTROL + "return c;", within, label)
        assert found, f"[{self.name}] no control labelled {label!r} on {self.d.current_url}:\n{self.text()[:1500]}"
        return found

    def fill(self, label, value, within=None):
        """Put a value into the control a label names (one round trip to the
        browser: the machine is shared, and typing key by key is slow)."""
        ok = self.d.execute_script(
            self.FIND_CONTROL + "if (!c) return false; c.focus(); c.value = arguments[2];"
            "c.dispatchEvent(new Event('input', {bubbles: true}));"
            "c.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            within, label, value)
        assert ok, f"[{self.name}] no control labelled {label!r} on {self.d.current_url}:\n{self.text()[:1500]}"

    def choose(self, label, option_text, within=None):
        """Choose an option of the select a label names, by its text."""
        ok = self.d.execute_script(
            self.FIND_CONTROL + "if (!c) return false;"
            "const o = [...c.options].find(o => o.textContent === arguments[2]);"
            "if (!o) return false; c.value = o.value;"
            "c.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            within, label, option_text)
        assert ok, f"[{self.name}] no option {option_text!r} in {label!r}:\n{self.text()[:1500]}"

    def button(self, text, within=None):
        found = self.d.execute_script(
            "const scope = arguments[0] || document.getElementById('main');"
            "return [...scope.querySelectorAll('button, a.button')]"
            "  .find(b => b.textContent.trim() === arguments[1] && b.offsetParent !== null) || null;",
            within, text)
        assert found, f"[{self.name}] no button {text!r} on {self.d.current_url}:\n{self.text()[:1500]}"
        return found

    def click(self, text, within=None):
        self.button(text, within).click()
        return self

    def link(self, text, within=None):
        found = self.d.execute_script(
            "const scope = arguments[0] || document.getElementById('main');"
            "return [...scope.querySelectorAll('a')].find(a => a.textContent.trim() === arguments[1]) || null;",
            within, text)
        assert found, f"[{self.name}] no link {text!r} on {self.d.current_url}:\n{self.text()[:1500]}"
        return found

    def follow(self, text, within=None):
        """Follow a link to another screen."""
        link = self.link(text, within)
        self.mark()
        link.click()
        return self.ready()

    def go(self, button_text, within=None):
        """Press a button that leads to another screen."""
        b = self.button(button_text, within)
        self.mark()
        b.click()
        return self.ready()

    def copied(self, label):
        """The value of a copy field (an invitation link, a token), once it
        is there (its label's words may be on the screen before it is)."""
        self.wait_for(lambda: self.d.execute_script(self.FIND_CONTROL + "return c !== null;", None, label),
                      f"a control labelled {label!r}")
        return self.control(label).get_attribute("value")

    def fragment(self):
        return urllib.parse.urlsplit(self.d.current_url).fragment

    def sign_in(self, email, password=DEFAULT_PASSWORD):
        self.open("/signin")
        self.fill("E-mail address", email)
        self.fill("Password", password)
        self.go("Sign in")
        assert not self.fragment().startswith("/signin"), self.text()
        return self

    def shot(self, folder, name, width):
        self.d.save_screenshot(os.path.join(folder, f"{name}-{width}.png"))


@pytest.fixture(scope="module")
def server(pg):
    """The module's isacd, without the purge on a timer: the retention test
    counts what the next purge will delete, and a timed run (a minute after
    start) must not delete it first."""
    s = conftest.Server(pg, ISACD_PURGE_INTERVAL_S="0")
    yield s
    s.stop()
    pg.drop_database(s.db)


@pytest.fixture(scope="module")
def screenshots(request):
    folder = os.environ.get("ISACD_SCREENSHOTS") or tempfile.mkdtemp(prefix="isacd-console-screens-")
    os.makedirs(folder, exist_ok=True)
    assert not os.path.abspath(folder).startswith(ROOT + os.sep), \
        f"screenshots go outside the repository, not into {folder}"
    yield folder
    # said past pytest's capture, so that it shows in every run
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nconsole screenshots: {folder}", flush=True)


@pytest.fixture(scope="module")
def browser(server):
    b = Browser(server)
    yield b
    b.quit()


# ---- a cluster, onboarded through the console ------------------------------------


@pytest.fixture(scope="module")
def cluster(server, browser, screenshots):
    """Staff onboard a cluster in the console; its owner accepts the link,
    makes a channel and invites three members, who accept theirs.  Every
    step is a person using the console; the API is used only to check."""
    tag = ch.uid()
    staff_acct = create_staff(server, name="Sam Staff")
    staff = browser.tab("staff").sign_in(staff_acct["email"])
    assert staff.heading() == "My communities"

    # staff: onboard a cluster, with a new organisation for its owner
    staff.follow("Onboard a cluster", within=staff.d.find_element(By.ID, "top"))
    staff.wait_heading("Onboard a cluster")
    name = f"Harbour ISAC {tag}"
    owner_email = unique_email("owner")
    staff.fill("Name of the community", name)
    staff.choose("Kind", "sector")
    staff.fill("Description (optional)", "Port operators sharing what they see.")
    staff.choose("Roster", "members see every member")
    staff.fill("The owner's e-mail address", owner_email)
    staff.fill("…or a new organisation", f"Port Authority {tag}")
    staff.click("Create the community")
    owner_link = staff.copied("The owner's invitation link")
    staff.shot(screenshots, "onboard-done", DESKTOP[0])
    assert re.fullmatch(re.escape(server.url) + r"/#/invite/isacd_inv_[A-Za-z0-9_-]{43}", owner_link), \
        owner_link

    # the owner opens the link in their own session and creates the account
    owner = browser.tab("owner").get(owner_link)
    owner.wait_heading("Join with your invitation")
    owner.shot(screenshots, "invite-accept", DESKTOP[0])
    owner.fill("Your name, as other members will see it", "Olga Owner")
    owner.fill("Password", DEFAULT_PASSWORD)
    owner.fill("Password again", DEFAULT_PASSWORD)
    owner.click("Create my account and join")
    owner.wait_heading(name)
    cid = owner.fragment().split("/")[2]

    # the owner makes a channel
    owner.follow("New channel")
    owner.wait_heading("New channel")
    owner.fill("Name", "incidents")
    owner.fill("Description (optional)", "What hit us, and what to look for.")
    owner.click("Create the channel")
    owner.wait_heading("# incidents")
    chid = owner.fragment().split("/")[2]

    # ... and invites three members from two new organisations
    members = {}
    for who, org, new_org in (("alice", f"Dock Services {tag}", True),
                              ("bob", f"Tug Company {tag}", True),
                              ("carol", f"Dock Services {tag}", False)):
        owner.open(f"/c/{cid}/invites")
        owner.wait_heading("Invitations")
        email = unique_email(who)
        owner.fill("E-mail address", email)
        if new_org:
            owner.fill("…or a new organisation", org)
        else:
            owner.choose("Their organisation", org)
        owner.click("Make the invitation")
        link = owner.copied("Invitation link")
        assert link.startswith(server.url + "/#/invite/isacd_inv_"), link
        owner.wait_text(email)
        members[who] = {"email": email, "link": link, "org": org}
    owner.shot(screenshots, "invites", DESKTOP[0])

    tabs = {"staff": staff, "owner": owner}
    for who, m in members.items():
        t = browser.tab(who).get(m["link"])
        t.wait_heading("Join with your invitation")
        t.fill("Your name, as other members will see it", who.capitalize())
        t.fill("Password", DEFAULT_PASSWORD)
        t.fill("Password again", DEFAULT_PASSWORD)
        t.click("Create my account and join")
        t.wait_heading(name)
        tabs[who] = t
    ids = {who: server.sql("SELECT id FROM users WHERE email = %s", (m["email"],))[0][0]
           for who, m in members.items()}
    return {"name": name, "cid": cid, "chid": chid, "owner_email": owner_email,
            "owner_link": owner_link, "members": members, "tabs": tabs,
            "ids": {k: str(v) for k, v in ids.items()}, "staff": staff_acct, "tag": tag}


def api_token(server, email):
    r = server.post("auth/login", json={"email": email, "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def write_post(tab, chid, title, body, tlp="TLP:AMBER", kind="incident", severity=None,
               indicators="", recipients=(), tags=""):
    tab.open(f"/ch/{chid}")
    tab.go("Write a post")
    assert tab.heading().startswith("Write in"), tab.heading()
    tab.choose("Kind", kind)
    tab.fill("Title", title)
    tab.fill("Body", body)
    tab.main().find_element(By.CSS_SELECTOR, f"input[name=tlp][value='{tlp}']").click()
    for name in recipients:
        tab.control(name).click()
    if severity:
        tab.choose("Severity", severity)
    if tags:
        tab.fill("Tags", tags)
    if indicators:
        tab.fill("Indicators", indicators)
    tab.click("Publish")
    tab.wait_heading(title)
    return tab.fragment().split("/")[2]


def wait_live(tab):
    """Wait until the open channel screen is subscribed over the WebSocket."""
    tab.wait_for(lambda: tab.main().find_element(By.CSS_SELECTOR, ".live-badge")
                 .get_attribute("data-live") == "on", "the channel to be live")


def keep_screen(tab):
    """Mark the page and the screen now shown: assert_same_screen() then
    proves that neither was reloaded nor rendered again."""
    tab.d.execute_script("window.keptPage = 1;"
                         "document.querySelector('#main h1').dataset.kept = '1';")


def assert_same_screen(tab):
    kept = tab.d.execute_script("const h = document.querySelector('#main h1');"
                                "return window.keptPage === 1 && h !== null && h.dataset.kept === '1';")
    assert kept, f"[{tab.name}] the screen was reloaded or rendered again"


def post_rows(tab):
    """(title, TLP label text) of each post listed on the screen."""
    return [(row.find_element(By.CSS_SELECTOR, "h3").text,
             row.find_element(By.CSS_SELECTOR, ".tlp").text)
            for row in tab.main().find_elements(By.CSS_SELECTOR, ".post-row")]


# ---- serving ---------------------------------------------------------------------


def csp_directives(value):
    return {d.split()[0]: d.split()[1:] for d in value.split(";") if d.strip()}


def test_the_console_is_served_with_a_strict_policy(server):
    r = server.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    csp = csp_directives(r.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"], "no inline script, no eval, nothing remote"
    assert csp["style-src"] == ["'self'"], "no inline style either"
    assert csp["connect-src"] == ["'self'"], "the API and its WebSocket, on this origin only"
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"]
    assert csp["require-trusted-types-for"] == ["'script'"]
    every = [s for v in csp.values() for s in v]
    assert not [s for s in every if s in ("'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:")
                or s.startswith(("http:", "https:"))], csp
    # the page has no inline script or style for the policy to refuse
    page = r.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline <script>"
    assert not re.search(r"\sstyle\s*=|<style", page), "inline style"
    assert not re.search(r"\son[a-z]+\s*=", page, re.I), "an inline event handler"


def test_the_console_files_are_cached_by_content(server):
    page = server.get("/").text
    files = re.findall(r'(?:src|href)="/console/([^"]+)"', page)
    assert {f.rsplit(".", 1)[1] for f in files} >= {"js", "css"}, files
    kinds = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
             "svg": "image/svg+xml"}
    for name in files:
        r = server.get("/console/" + name)
        assert r.status_code == 200, (name, r.status_code)
        assert r.headers["Content-Type"] == kinds[name.rsplit(".", 1)[1]]
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        etag = r.headers["ETag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag), etag
        # the name carries the content's hash: a new build is a new name
        assert re.search(r"-[A-Za-z0-9]{8}\.[a-z]+$", name), name
        again = server.get("/console/" + name, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == etag
        head = server.request("HEAD", "/console/" + name)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["Content-Length"]) == len(r.content)
    # the page itself keeps its name, so it is revalidated every time
    r = server.get("/")
    assert r.headers["Cache-Control"] == "no-cache"
    assert server.get("/", headers={"If-None-Match": f'W/{r.headers["ETag"]}, "x"'}).status_code == 304
    assert server.get("/", headers={"If-None-Match": '"0123"'}).status_code == 200
    # names not in the bundle, and what could climb out of it
    for bad in ("nope.js", "..%2F..%2Fetc%2Fpasswd", "index.html", files[0] + "x", ".hidden"):
        r = server.get("/console/" + bad)
        assert r.status_code == 404, (bad, r.status_code)
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert r.headers["Cache-Control"] == "no-store"
    assert server.get("/console/").status_code == 404
    assert server.post("/", data="x").status_code == 405


def test_the_reference_and_the_document_are_served(server):
    with open(os.path.join(ROOT, "api-docs", "openapi.yaml"), "rb") as f:
        doc = f.read()
    r = server.get("/api-docs/openapi.yaml")
    assert r.status_code == 200 and r.content == doc
    assert r.headers["Content-Type"].split(";")[0] == "application/yaml"
    assert r.headers["Cache-Control"] == "no-cache"
    assert "sandbox" in r.headers["Content-Security-Policy"]

    with open(os.path.join(ROOT, "build", "docs", "api.html"), "rb") as f:
        page = f.read()
    r = server.get("/docs")
    assert r.status_code == 200 and r.content == page
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["X-Frame-Options"] == "DENY"
    csp = csp_directives(r.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["connect-src"] == ["'none'"]
    # Redoc's search worker, made from a blob: URL by a hashed script
    assert csp["worker-src"] == ["blob:"]
    # scripts: the page's own inline ones by hash, not 'unsafe-inline'
    assert csp["script-src"] and all(re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", s)
                                     for s in csp["script-src"]), csp["script-src"]
    assert server.request("HEAD", "/docs").content == b""


def test_the_reference_renders_under_its_policy(server, browser):
    """The hashes admit the page's scripts: Redoc runs and renders an
    operation, and the page breaks no rule of its policy but the remote
    logo the policy is there to refuse."""
    t = browser.tab("reader")
    t.d.get(server.url + "/")
    t.ready()
    t.link("API reference", within=t.d.find_element(By.ID, "top")).click()
    WebDriverWait(t.d, WAIT, POLL).until(lambda d: d.current_url == server.url + "/docs")
    WebDriverWait(t.d, 30, POLL).until(lambda d: "Log in and get a session token" in
                                 d.find_element(By.TAG_NAME, "body").get_attribute("textContent"))
    browser.drain()
    refused = [m["message"] for m in browser.console
               if m.get("source") == "security" and "/docs" in m["message"]
               and "cdn.redoc.ly" not in m["message"]]
    assert not refused, refused
    # what the page asked for elsewhere (Redoc's logo) the policy stopped
    docs = server.url + "/docs"
    remote = {u for u, page in browser.requests if page == docs and not u.startswith(server.url + "/")
              and not u.startswith(("data:", "blob:"))}
    stopped = {u for u, page, _, why in browser.failed if page == docs and why == "csp"}
    assert remote <= stopped, (remote, stopped)


# ---- a cluster's first hour ----------------------------------------------------------


def test_staff_onboard_a_cluster_and_its_owner_takes_over(server, cluster):
    owner_token = api_token(server, cluster["owner_email"])
    me = server.get("me", token=owner_token).json()
    assert me["display_name"] == "Olga Owner"
    assert {"community_id": cluster["cid"], "role": "owner", "status": "active"} in me["memberships"]
    roster = server.get(f"communities/{cluster['cid']}/members?limit=200", token=owner_token).json()
    assert sorted(m["display_name"] for m in roster["items"]) == ["Alice", "Bob", "Carol", "Olga Owner"]
    assert {m["organisation"]["name"] for m in roster["items"] if m["display_name"] in ("Alice", "Carol")} \
        == {cluster["members"]["alice"]["org"]}
    # the owner's link worked once: a second use is refused, shown as the API says
    stranger = cluster["tabs"]["carol"]
    stranger.d.execute_script("sessionStorage.clear()")
    stranger.get(cluster["owner_link"])
    stranger.fill("Your name, as other members will see it", "Mallory")
    stranger.fill("Password", DEFAULT_PASSWORD)
    stranger.fill("Password again", DEFAULT_PASSWORD)
    stranger.click("Create my account and join")
    stranger.wait_text("the invite was already used, revoked or has expired")
    alert = stranger.main().find_element(By.CSS_SELECTOR, ".form-alert")
    assert alert.is_displayed() and "already used" in alert.text
    stranger.sign_in(cluster["members"]["carol"]["email"])


def test_an_amber_incident_reaches_a_second_member(server, cluster, browser, screenshots):
    alice, bob = cluster["tabs"]["alice"], cluster["tabs"]["bob"]
    chid = cluster["chid"]
    # bob's screen is open, and live, before the post is made
    bob.open(f"/ch/{chid}")
    wait_live(bob)
    keep_screen(bob)
    title = f"Phishing wave against pilots {cluster['tag']}"
    pid = write_post(alice, chid, title,
                     "Mails claiming to be from the **harbour master** ask for tide data.\n\n"
                     "- block the sender\n- report clicks",
                     severity="high", tags="phishing pilots",
                     indicators="domain Harbour-Master.example\n"
                                "hxxp://login.harbour-master[.]example/tide\n"
                                "203.0.113.7\n"
                                "d41d8cd98f00b204e9800998ecf8427e")
    alice.shot(screenshots, "post-author", DESKTOP[0])
    table = alice.main().find_element(By.CSS_SELECTOR, "table.indicators").text
    for expected in ("domain harbour-master.example", "url http://login.harbour-master.example/tide",
                     "ipv4 203.0.113.7", "md5 d41d8cd98f00b204e9800998ecf8427e"):
        assert expected in table, table

    # it appears on bob's open screen, labelled, without a reload or a new screen
    bob.wait_text(title)
    assert_same_screen(bob)
    assert "fresh" in bob.main().find_element(By.CSS_SELECTOR, ".post-row").get_attribute("class")
    assert (title, "TLP:AMBER") in post_rows(bob)
    label = bob.main().find_element(By.CSS_SELECTOR, ".post-row .tlp")
    assert rgb(label.value_of_css_property("color")) == TLP_COLOURS["TLP:AMBER"]
    assert rgb(label.value_of_css_property("background-color")) == (0, 0, 0)
    row = bob.main().find_element(By.CSS_SELECTOR, ".post-row").text
    assert "incident" in row and "high" in row and "Alice" in row and "4 indicators" in row
    bob.shot(screenshots, "channel", DESKTOP[0])

    # bob reads it, saw it too, and comments
    bob.follow(title)
    bob.wait_heading(title)
    assert bob.main().find_element(By.CSS_SELECTOR, ".body strong").text == "harbour master"
    bob.click("We saw this too")
    bob.wait_text("Sightings (1)")
    bob.fill("Your comment (Markdown)", "Seen at our terminal since _Monday_.")
    bob.click("Comment")
    bob.wait_for(lambda: "Monday" in bob.main().find_element(By.CSS_SELECTOR, ".comments").text,
                 "the new comment")
    assert bob.main().find_element(By.CSS_SELECTOR, ".comments em").text == "Monday"
    bob.shot(screenshots, "post", DESKTOP[0])
    # the STIX bundle is fetched and handed to the browser as a download
    bob.click("Download STIX 2.1")
    bob.wait_for(lambda: not bob.button("Download STIX 2.1").get_attribute("disabled"), "the download")
    assert bob.main().find_element(By.CSS_SELECTOR, ".post-actions .inline-error").text == ""
    browser.drain()
    assert any(u.endswith(f"/api/v1/posts/{pid}/stix") for u, _ in browser.requests)

    # alice edits it; the earlier version is kept
    alice.open(f"/p/{pid}")
    alice.click("Edit")
    alice.wait_heading("Edit the post")
    alice.fill("Title", title + " (update)")
    alice.click("Save changes")
    alice.wait_heading(title + " (update)")
    alice.wait_text("Sightings (1)")
    assert f"Tug Company {cluster['tag']}" in alice.text()
    alice.main().find_element(By.CSS_SELECTOR, ".revisions summary").click()
    alice.wait_for(lambda: "Version 1" in alice.main().find_element(By.CSS_SELECTOR, ".revisions").text,
                   "the earlier version")
    assert title in alice.main().find_element(By.CSS_SELECTOR, ".revisions").text

    # search and the bulk lookup find it
    bob.open("/search?" + urllib.parse.urlencode({"q": "tide data"}))
    bob.wait_text(title + " (update)")
    marks = [m.text.lower() for m in bob.main().find_elements(By.CSS_SELECTOR, ".snippet mark")]
    assert {"tide", "data"} & set(marks), marks
    bob.shot(screenshots, "search", DESKTOP[0])
    bob.open("/lookup")
    bob.fill("Indicators, one per line", "203.0.113.7\nevil.example\nnot an indicator\nsha1 xyz")
    bob.click("Look up")
    bob.wait_text("1 of 2 known, 2 not understood")
    results = bob.main().find_element(By.CSS_SELECTOR, "table.lookup").text
    assert title + " (update)" in results and "not known" in results
    bob.shot(screenshots, "lookup", DESKTOP[0])


def test_a_red_post_reaches_its_recipient_and_nobody_else(server, cluster, screenshots):
    alice, bob, carol, owner = (cluster["tabs"][k] for k in ("alice", "bob", "carol", "owner"))
    chid = cluster["chid"]
    title = f"Insider at the lock gates {cluster['tag']}"
    pid = write_post(alice, chid, title, "Only for Bob: we suspect one of the lock keepers.",
                     tlp="TLP:RED", recipients=["Bob (" + cluster["members"]["bob"]["org"] + ")"],
                     indicators="203.0.113.7")
    assert "Recipients: Bob" in alice.text()
    label = alice.main().find_element(By.CSS_SELECTOR, ".post .tlp")
    assert label.text == "TLP:RED" and rgb(label.value_of_css_property("color")) == TLP_COLOURS["TLP:RED"]

    bob.open(f"/ch/{chid}")
    bob.wait_text(title)
    assert (title, "TLP:RED") in post_rows(bob)
    bob.follow(title)
    bob.wait_heading(title)
    bob.shot(screenshots, "post-red", DESKTOP[0])
    # and on the AMBER post, bob sees that its IP is in one other post
    amber = [r for r in post_rows(bob.open(f"/ch/{chid}")) if r[1] == "TLP:AMBER"]
    bob.follow(amber[0][0])
    assert "1 other post" in bob.main().find_element(By.CSS_SELECTOR, "table.indicators").text

    for outsider in (carol, owner):
        outsider.open(f"/ch/{chid}")
        outsider.wait_text("TLP:AMBER")
        assert title not in outsider.text()
        outsider.open(f"/p/{pid}")
        outsider.wait_heading("Not found")
        assert title not in outsider.text()
    # for carol the shared IP is in no other post: hidden means hidden
    carol.open(f"/ch/{chid}")
    carol.follow(amber[0][0])
    assert "1 other post" not in carol.main().find_element(By.CSS_SELECTOR, "table.indicators").text


def test_a_suspended_member_loses_the_channel(server, cluster):
    owner, carol = cluster["tabs"]["owner"], cluster["tabs"]["carol"]
    cid, chid = cluster["cid"], cluster["chid"]
    carol.open(f"/ch/{chid}")
    assert "# incidents" in carol.main().find_element(By.CSS_SELECTOR, "nav.side").text
    wait_live(carol)
    keep_screen(carol)
    assert carol.main().find_elements(By.CSS_SELECTOR, ".post-row")

    owner.open(f"/c/{cid}/members")
    owner.wait_heading("Members")
    row = owner.main().find_element(By.CSS_SELECTOR, f"tr[data-user='{cluster['ids']['carol']}']")
    owner.click("Suspend", within=row)
    owner.wait_for(lambda: "suspended" in owner.main().find_element(
        By.CSS_SELECTOR, f"tr[data-user='{cluster['ids']['carol']}']").text, "carol suspended")

    # carol's open screen loses the channel, its posts and its link, live
    carol.wait_text("You can no longer read this channel")
    assert_same_screen(carol)
    assert not carol.main().find_elements(By.CSS_SELECTOR, ".post-row")
    assert "# incidents" not in carol.main().find_element(By.CSS_SELECTOR, "nav.side").text
    assert not carol.d.execute_script("return [...document.querySelectorAll('#main a')]"
                                      ".some(a => a.textContent === 'Write a post')")

    carol.open(f"/c/{cid}")
    carol.wait_text("Your membership is suspended")
    assert "# incidents" not in carol.main().find_element(By.CSS_SELECTOR, "nav.side").text
    carol.open(f"/ch/{chid}")
    carol.wait_heading("Something went wrong")
    assert "suspended" in carol.text()

    owner.open(f"/c/{cid}/members")
    row = owner.main().find_element(By.CSS_SELECTOR, f"tr[data-user='{cluster['ids']['carol']}']")
    owner.click("Reactivate", within=row)
    owner.wait_for(lambda: "Suspend" in owner.main().find_element(
        By.CSS_SELECTOR, f"tr[data-user='{cluster['ids']['carol']}']").text, "carol reactivated")
    carol.open(f"/ch/{chid}")
    carol.wait_heading("# incidents")


def test_an_open_screen_survives_a_restart_and_a_session_ending(pg, browser, start_server, monkeypatch):
    """The console's isacd stops while a member's channel screen is open; a
    post is made meanwhile through a second instance on the same database;
    isacd comes back on the same address.  The open screen reconnects by
    itself, subscribes again with `since`, and shows the post it missed,
    with no reload.  Then the session is ended elsewhere: the socket closes
    with 1008 and the console asks to sign in again."""
    first = start_server()
    other = start_server(db=first.db)
    staff = ch.platform_account(first, role="staff", name="Rita Restart")
    community, owner = ch.new_community(first, staff["token"])
    chan = ch.new_channel(first, community["id"], owner["token"], name="watch")
    member = ch.add_member(first, community["id"], owner["token"], owner["org_id"], name="Mo Member")

    t = browser.tab("restart")
    t.base = first.url
    t.sign_in(member["email"])
    t.open(f"/ch/{chan['id']}")
    wait_live(t)
    keep_screen(t)
    seen = f"Posted while the console watched {ch.uid()}"
    ch.expect(first.post(f"channels/{chan['id']}/posts", token=owner["token"], json={
        "kind": "incident", "title": seen, "body": "x", "tlp": "TLP:GREEN"}), 201)
    t.wait_text(seen)

    first.stop()
    t.wait_for(lambda: t.main().find_element(By.CSS_SELECTOR, ".live-badge").get_attribute("data-live") == "off",
               "the screen to say it is reconnecting")
    missed = f"Posted while the console was away {ch.uid()}"
    ch.expect(other.post(f"channels/{chan['id']}/posts", token=owner["token"], json={
        "kind": "incident", "title": missed, "body": "x", "tlp": "TLP:GREEN"}), 201)
    browser.drain()
    frames = len(browser.frames)

    monkeypatch.setattr(conftest, "free_port", lambda: first.port)
    again = start_server(db=first.db)
    assert again.url == first.url
    t.wait_text(missed, timeout=40)
    wait_live(t)
    assert_same_screen(t)
    assert [r[0] for r in post_rows(t)] == [missed, seen]
    browser.drain()
    resumed = [json.loads(f) for d, f in browser.frames[frames:] if d == "sent"]
    assert any(m.get("type") == "subscribe" and chan["id"] in m["channels"] and isinstance(m.get("since"), int)
               for m in resumed), resumed

    # the session ends elsewhere (signed out by another client): back to sign-in
    session = t.d.execute_script("return sessionStorage.getItem('isacd.token')")
    assert again.post("auth/logout", token=session).status_code == 204
    t.wait_heading("Sign in")
    assert "expired=1" in t.fragment()
    assert t.d.execute_script("return sessionStorage.getItem('isacd.token')") is None


# ---- safety ---------------------------------------------------------------------------

XSS = '<img src=x onerror="window.pwned=1;alert(1)">'


def test_a_post_full_of_html_runs_nothing_and_loads_nothing(server, cluster, browser):
    alice, bob = cluster["tabs"]["alice"], cluster["tabs"]["bob"]
    title = f"{XSS} {cluster['tag']}"
    body = (f"{XSS}\n\n[x](javascript:alert(1)) [y](JaVaScRiPt:window.pwned=2)\n\n"
            "<a href=\"javascript:alert(1)\">click</a> <script>window.pwned=3</script>\n\n"
            "![img](x) <iframe src=\"/\"></iframe> [ok](https://example.org/)")
    pid = write_post(alice, cluster["chid"], title, body, kind="discussion", tags="xss")
    browser.drain()
    mark = len(browser.requests)
    bob.open(f"/ch/{cluster['chid']}")
    bob.wait_text(title)
    bob.open(f"/p/{pid}")
    bob.wait_heading(title)
    bob.fill("Your comment (Markdown)", body)
    bob.click("Comment")
    bob.wait_for(lambda: len(bob.main().find_elements(By.CSS_SELECTOR, ".comment")) == 1, "the comment")
    bob.open("/search?q=xss")  # the title again, in the results
    bob.open(f"/p/{pid}")
    time.sleep(0.5)  # would-be handlers get their chance to run

    d = bob.d
    with pytest.raises(NoAlertPresentException):
        d.switch_to.alert.text
    assert d.execute_script("return window.pwned") is None
    main = bob.main()
    # shown as the characters it is made of
    assert bob.heading() == title
    assert XSS in main.find_element(By.CSS_SELECTOR, ".body").text
    assert not main.find_elements(By.CSS_SELECTOR, "img, iframe, script, [onerror], [style]")
    # links: only the https one, in the body and in the comment
    hrefs = [a.get_attribute("href") for a in main.find_elements(By.CSS_SELECTOR, "a[href]")
             if a.find_elements(By.XPATH, "ancestor::*[contains(@class, 'markdown')]")]
    assert hrefs == ["https://example.org/", "https://example.org/"], hrefs
    for a in main.find_elements(By.CSS_SELECTOR, ".markdown a[href]"):
        assert a.get_attribute("rel") == "noopener noreferrer nofollow"
    assert not main.find_elements(By.CSS_SELECTOR, "[href^='javascript' i]")
    browser.drain()
    asked = [u for u, _ in browser.requests[mark:]]
    assert any(u.startswith(server.url + "/api/v1/posts/") for u in asked), asked
    stray = [u for u in asked if urllib.parse.urlsplit(u).path in ("/x", "/p/x")
             or u.startswith("javascript:") or "example.org" in u]
    assert not stray, stray


def test_the_browser_enforces_the_policy(server, browser, cluster):
    """Present is not enough: in the console no string becomes code or
    markup (an inline handler, a script's text, innerHTML: Trusted Types
    refuses each), and fetching another origin is refused before it leaves
    the browser."""
    t = cluster["tabs"]["bob"]
    t.open("/")
    result = t.d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const violations = [];
        document.addEventListener('securitypolicyviolation', e => violations.push(e.effectiveDirective));
        let handler = 'allowed';
        try {
          const b = document.createElement('button');
          b.setAttribute('onclick', 'window.inlineRan = 1');
          document.body.append(b);
          b.click();
          b.remove();
        } catch (e) { handler = e.name; }
        let script = 'allowed';
        try {
          const s = document.createElement('script');
          s.textContent = 'window.inlineRan = 2';
          document.body.append(s);
        } catch (e) { script = e.name; }
        let innerHTML = 'allowed';
        try { document.createElement('div').innerHTML = '<b>x</b>'; } catch (e) { innerHTML = e.name; }
        let remote = 'allowed';
        fetch('http://127.0.0.2:9/').catch(e => { remote = e.name; })
          .finally(() => setTimeout(() => done({ran: window.inlineRan || null, handler, script, innerHTML, remote, violations}), 200));
    """)
    assert result["ran"] is None, result
    # Trusted Types: no string becomes code or markup, not even an attribute
    assert result["handler"] == result["script"] == result["innerHTML"] == "TypeError", result
    assert result["remote"] == "TypeError", result
    assert {"require-trusted-types-for", "connect-src"} <= set(result["violations"]), result


def test_errors_are_shown_in_place(server, cluster):
    alice = cluster["tabs"]["alice"]
    alice.open(f"/ch/{cluster['chid']}/new")
    alice.fill("Title", "A bad indicator")
    alice.fill("Body", "x")
    alice.fill("Indicators", "domain fine.example\nipv4 999.1.1.1")
    alice.click("Publish")
    alice.wait_for(lambda: alice.control("Indicators").get_attribute("aria-invalid") == "true",
                   "the indicators field marked invalid")
    box = alice.control("Indicators").find_element(By.XPATH, "..")
    error = box.find_element(By.CSS_SELECTOR, ".field-error")
    assert error.is_displayed() and error.text.startswith("line 2:"), error.text
    described = alice.control("Indicators").get_attribute("aria-describedby").split()
    assert error.get_attribute("id") in described
    # a TLP:RED post without recipients: the server's 422 detail, above the form
    alice.fill("Indicators", "")
    alice.main().find_element(By.CSS_SELECTOR, "input[name=tlp][value='TLP:RED']").click()
    alice.click("Publish")
    alice.wait_for(lambda: alice.main().find_element(By.CSS_SELECTOR, ".form-alert").is_displayed(),
                   "the form's alert")
    assert "recipient" in alice.main().find_element(By.CSS_SELECTOR, ".form-alert").text.lower()
    assert alice.heading().startswith("Write in")

    # a wrong password at sign-in: the API's detail, in the form
    t = cluster["tabs"]["staff"]
    t.d.execute_script("sessionStorage.clear()")
    t.open("/signin")
    t.fill("E-mail address", cluster["staff"]["email"])
    t.fill("Password", "not-the-password")
    t.click("Sign in")
    t.wait_text("the e-mail address, password or code is not correct")
    t.sign_in(cluster["staff"]["email"])


def test_sign_in_with_totp_using_only_the_keyboard(server, browser, screenshots):
    """Enrol TOTP on the account screen (the otpauth URI shown as text),
    sign out, and sign in again with the code, with keys alone."""
    acct = ch.platform_account(server, name="Tess Totp")
    t = browser.tab("tess").sign_in(acct["email"])
    t.open("/account")
    t.click("Turn on")
    secret = t.copied("Secret")
    uri = t.control("otpauth link").get_attribute("value")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    t.shot(screenshots, "account-totp", DESKTOP[0])
    wait_for_fresh_totp_step()
    # confirm with the previous step's code, so the current one is still unused
    t.fill("Code from the app", totp_code(secret, at=time.time() - 30))
    t.click("Confirm")
    t.wait_text("On: signing in asks for the code")
    t.d.find_element(By.CSS_SELECTOR, "#top .signout").click()
    t.wait_heading("Sign in")

    active = t.d.switch_to.active_element
    assert active.get_attribute("name") == "email", "the e-mail field has the focus"
    active.send_keys(acct["email"], Keys.TAB)
    t.d.switch_to.active_element.send_keys(DEFAULT_PASSWORD, Keys.TAB)
    code = t.d.switch_to.active_element
    assert code.get_attribute("name") == "totp"
    code.send_keys(totp_code(secret), Keys.ENTER)
    t.wait_heading("My communities")
    assert "Tess Totp" in t.d.find_element(By.ID, "top").text


def test_only_isacd_is_ever_contacted(server, browser, cluster):
    """Every request every tab made in this module went to isacd, and none
    failed; and the browser really could reach nothing else."""
    browser.drain()
    console = [(u, page) for u, page in browser.requests
               if page.startswith(server.url + "/") and not page.startswith(server.url + "/docs")]
    assert len(console) > 50, f"the network log holds too little: {console}"
    foreign = sorted({u for u, _ in console
                      if not u.startswith(server.url + "/") and not u.startswith(("data:", "blob:"))})
    assert not foreign, foreign
    failed = [f for f in browser.failed if f[1].startswith(server.url + "/")
              and not f[1].startswith(server.url + "/docs")]
    assert not failed, failed
    # the blocking works: another origin does not even resolve
    t = browser.tab("probe")
    with pytest.raises(WebDriverException, match="ERR_NAME_NOT_RESOLVED"):
        t.d.get("http://isacd-test.example/")


# ---- running a community, and the platform ------------------------------------------------


def confirm(tab, label, within):
    """Press a button that asks once more, and say yes."""
    tab.click(label, within=within)
    tab.click("Yes", within=within)


def test_the_management_screens_do_what_they_say(server, cluster, browser):
    owner, staff, bob = (cluster["tabs"][k] for k in ("owner", "staff", "bob"))
    cid, tag = cluster["cid"], cluster["tag"]
    owner_token = api_token(server, cluster["owner_email"])

    # bob: an API token, shown once, that works until revoked
    bob.open("/account/tokens")
    bob.fill("Name", "SIEM import")
    bob.click("Create token")
    secret = bob.copied("New token")
    assert re.fullmatch(r"isacd_pat_[A-Za-z0-9_-]{43}", secret), secret
    assert server.get("me", token=secret).status_code == 200
    item = bob.d.execute_script("return [...document.querySelectorAll('#main .token')]"
                                ".find(li => li.textContent.includes('SIEM import'))")
    confirm(bob, "Revoke", item)
    bob.wait_for(lambda: "SIEM import" not in bob.main().find_element(By.CSS_SELECTOR, ".list").text,
                 "the token gone from the list")
    assert server.get("me", token=secret).status_code == 401

    # staff: an organisation added, suspended, reactivated
    staff.open("/staff/organisations")
    org = f"Rail Signals {tag}"
    staff.fill("Name", org)
    staff.fill("Sector (optional)", "transport")
    staff.fill("Country (optional)", "nl")
    staff.click("Add")
    staff.wait_text(f"{org}\ntransport · NL")
    row = staff.d.execute_script("return [...document.querySelectorAll('#main .org')]"
                                 ".find(li => li.textContent.includes(arguments[0]))", org)
    confirm(staff, "Suspend", row)
    staff.wait_for(lambda: "suspended" in row.text, "the organisation suspended")
    staff.click("Reactivate", within=row)
    staff.wait_for(lambda: "suspended" not in row.text, "the organisation active again")

    # the owner revokes an invitation
    owner.open(f"/c/{cid}/invites")
    email = unique_email("late")
    owner.fill("E-mail address", email)
    owner.choose("Their organisation", org)
    owner.click("Make the invitation")
    owner.copied("Invitation link")
    row = owner.d.execute_script("return [...document.querySelectorAll('#main .invite')]"
                                 ".find(li => li.textContent.includes(arguments[0]))", email)
    confirm(owner, "Revoke", row)
    owner.wait_for(lambda: "revoked" in row.text, "the invitation revoked")
    invites = server.get(f"communities/{cid}/invites?limit=200", token=owner_token).json()["items"]
    assert [i["state"] for i in invites if i["email"] == email] == ["revoked"]

    # someone asks to join a listed community, and the owner lets them in
    assert server.patch(f"communities/{cid}", token=owner_token,
                        json={"listed": True, "join_policy": "request"}).status_code == 200
    dan_acct = ch.platform_account(server, name="Dan Outsider")
    dan = browser.tab("dan").sign_in(dan_acct["email"])
    dan.wait_text(cluster["name"])
    dan.fill(f"A note for the moderators of {cluster['name']} (optional)", "We run the ferry terminal.")
    dan.go("Ask to join")
    dan.wait_text("You asked to join")
    owner.open(f"/c/{cid}/requests")
    owner.wait_text("We run the ferry terminal.")
    owner.click("Approve")
    owner.wait_text("approved")
    dan.open("/")
    dan.wait_for(lambda: cluster["name"] in dan.main().find_element(By.CSS_SELECTOR, ".cards").text,
                 "the community among dan's")
    assert "Listed communities" not in dan.text()

    # a restricted channel, a reader, a new name, then deleted
    owner.open(f"/c/{cid}/channels/new")
    owner.fill("Name", "board")
    owner.main().find_element(By.CSS_SELECTOR, "input[name=visibility][value=restricted]").click()
    owner.go("Create the channel")
    owner.wait_heading("Settings of # board")
    chid = owner.fragment().split("/")[2]
    owner.choose("Add a reader", "Bob (" + cluster["members"]["bob"]["org"] + ")")
    owner.click("Add")
    owner.wait_for(lambda: "Bob" in owner.main().find_element(By.CSS_SELECTOR, ".panel .list").text,
                   "bob among the readers")
    bob.open(f"/c/{cid}")
    assert "# board" in bob.main().find_element(By.CSS_SELECTOR, "nav.side").text
    cluster["tabs"]["alice"].open(f"/c/{cid}")
    assert "# board" not in cluster["tabs"]["alice"].main().find_element(By.CSS_SELECTOR, "nav.side").text
    owner.fill("Name", "board-room")
    owner.go("Save")
    owner.wait_heading("Settings of # board-room")
    confirm(owner, "Delete the channel", owner.main().find_element(By.CSS_SELECTOR, ".danger-zone"))
    owner.wait_heading(cluster["name"])
    assert server.get(f"channels/{chid}", token=owner_token).status_code == 404

    # and the audit trail says so
    owner.open(f"/c/{cid}/audit")
    trail = owner.text()
    for action in ("channel.deleted", "channel.reader_added", "join_request.approved", "invite.revoked"):
        assert action in trail, action


# ---- retention, my data, the agency -------------------------------------------------------


def test_an_owner_sets_retention_and_a_legal_hold_with_the_preview(server, cluster):
    owner = cluster["tabs"]["owner"]
    cid, chid = cluster["cid"], cluster["chid"]
    owner_token = api_token(server, cluster["owner_email"])
    bob_token = api_token(server, cluster["members"]["bob"]["email"])
    # an old post, so that the preview has something to count
    old = ch.expect(server.post(f"channels/{chid}/posts", token=bob_token, json={
        "kind": "discussion", "title": "An old note " + cluster["tag"], "body": "x", "tlp": "TLP:GREEN"}), 201)
    server.sql("UPDATE posts SET created_at = now() - interval '40 days' WHERE id = %s", (old["id"],))

    owner.open(f"/c/{cid}")
    owner.follow("Retention and legal hold")
    owner.wait_heading("Retention and legal hold")
    row = owner.main().find_element(By.CSS_SELECTOR, f"table.retention tr[data-channel='{chid}']")
    assert "# incidents" in row.text and "kept until deleted" in row.text and "0 posts" in row.text, row.text
    owner.fill("Keep posts for (days)", "30")
    owner.fill("TLP:RED (days)", "7")
    owner.click("Save retention")
    owner.wait_text("Saved. The next purge deletes 1 post and 0 comments under this setting.")
    owner.wait_for(lambda: "1 post and 0 comments" in owner.main().find_element(
        By.CSS_SELECTOR, f"table.retention tr[data-channel='{chid}']").text, "the preview counting the old post")
    c = server.get(f"communities/{cid}", token=owner_token).json()
    assert c["retention_days"] == 30 and c["retention_by_tlp"] == {"TLP:RED": 7}
    # a value the platform refuses: the API's detail, in place
    owner.fill("Keep posts for (days)", "100000")
    owner.click("Save retention")
    owner.wait_for(lambda: owner.control("Keep posts for (days)").get_attribute("aria-invalid") == "true"
                   or owner.main().find_element(By.CSS_SELECTOR, ".form-alert").is_displayed(), "the refusal")
    assert server.get(f"communities/{cid}", token=owner_token).json()["retention_days"] == 30

    # a legal hold with its reason; lifted again
    owner.fill("Reason for the hold", "case 2026-17")
    owner.click("Put on legal hold")
    owner.wait_text("On legal hold: case 2026-17")
    assert server.get(f"communities/{cid}", token=owner_token).json()["legal_hold"] is True
    owner.click("Lift the legal hold")
    owner.wait_text("Not on legal hold")
    assert server.get(f"communities/{cid}", token=owner_token).json()["legal_hold"] is False

    # a channel's own retention, on its settings, with what is due there
    owner.open(f"/ch/{chid}/settings")
    owner.wait_text("The next purge deletes 1 post and 0 comments in this channel.")
    owner.fill("Keep this channel's posts for (days)", "60")
    owner.click("Save retention")
    owner.wait_text("Saved. The next purge deletes 0 posts and 0 comments under this setting.")
    assert server.get(f"channels/{chid}", token=owner_token).json()["retention_days"] == 60
    owner.fill("Keep this channel's posts for (days)", "")
    owner.click("Save retention")
    owner.wait_text("Saved. The next purge deletes 1 post")
    trail = server.get(f"communities/{cid}/audit?limit=200", token=owner_token).json()["items"]
    assert {"community.legal_hold_set", "community.legal_hold_lifted"} <= {e["action"] for e in trail}
    ch.expect(server.delete(f"posts/{old['id']}", token=bob_token), 204)
    ch.expect(server.patch(f"communities/{cid}", token=owner_token,
                           json={"retention_days": None, "retention_by_tlp": {}}), 200)


def test_a_member_downloads_their_data_and_deletes_their_account(server, browser, cluster):
    acct = ch.platform_account(server, name="Erin Erase")
    t = browser.tab("erin").sign_in(acct["email"])
    t.open("/account")
    browser.drain()
    mark = len(browser.requests)
    t.click("Download my data")
    t.wait_text("Downloaded: 0 posts, 0 comments, 0 sightings.")
    browser.drain()
    assert any(u == server.url + "/api/v1/me/export" for u, _ in browser.requests[mark:])

    # the wrong password: refused in place, nothing erased
    t.fill("Your password", "not the password at all")
    t.control("I understand that this cannot be undone").click()
    t.click("Delete my account")
    t.wait_for(lambda: t.main().find_element(By.CSS_SELECTOR, ".danger-zone .form-alert").is_displayed(),
               "the refusal")
    assert "password" in t.main().find_element(By.CSS_SELECTOR, ".danger-zone .form-alert").text
    assert server.get("me", token=acct["token"]).status_code == 200

    t.fill("Your password", DEFAULT_PASSWORD)
    t.click("Delete my account")
    t.wait_heading("Sign in")
    t.wait_text("Your account has been deleted.")
    assert server.post("auth/login", json={"email": acct["email"], "password": DEFAULT_PASSWORD}).status_code == 401
    assert not server.sql("SELECT 1 FROM users WHERE email = %s", (acct["email"],))


def test_staff_publish_an_advisory_and_watch_it_acknowledged(server, cluster, browser):
    staff, bob, owner = (cluster["tabs"][k] for k in ("staff", "bob", "owner"))
    title = f"Patch the crane controllers {cluster['tag']}"
    staff.open("/advisories")
    staff.go("Publish an advisory")
    staff.wait_heading("Publish an advisory")
    staff.fill("Title", title)
    staff.fill("Summary", "Firmware 4.2 lets anyone in on port 2323.")
    staff.fill("Advice (Markdown)", "Update to **4.3** today.")
    staff.choose("Severity", "critical")
    staff.fill("CVEs, one per line (optional)", "CVE-2026-12345")
    staff.fill("Actions to take, one per line (optional)", "Update the firmware\nClose port 2323")
    staff.control(cluster["name"]).click()
    staff.go("Publish the advisory")
    staff.wait_heading(title)
    counts = lambda: staff.main().find_element(By.XPATH, f"//table[contains(@class,'counts')]//tr[th='{cluster['name']}']")
    assert counts().find_element(By.CSS_SELECTOR, "td[data-state=applies]").text == "0"
    pending = int(counts().find_element(By.CSS_SELECTOR, "td[data-state=pending]").text)
    assert pending >= 3
    keep_screen(staff)

    # bob, a member, reads and acknowledges it for his organisation
    bob.open("/advisories")
    bob.follow(title)
    bob.wait_heading(title)
    assert bob.main().find_element(By.CSS_SELECTOR, ".body strong").text == "4.3"
    assert "Close port 2323" in bob.text() and "Not acknowledged yet." in bob.text()
    bob.main().find_element(By.CSS_SELECTOR, "input[name=status][value=applies]").click()
    bob.fill("Note for your community's moderators (optional)", "Two cranes affected.")
    bob.click("Acknowledge")
    bob.wait_for(lambda: "Applies to us" in bob.main().find_element(By.CSS_SELECTOR, ".ack-state").text,
                 "the acknowledgement")

    # the staff screen counts it by itself; never a name or a note
    staff.wait_for(lambda: counts().find_element(By.CSS_SELECTOR, "td[data-state=applies]").text == "1",
                   "the count to update", timeout=30)
    assert_same_screen(staff)
    assert "Two cranes" not in staff.text() and cluster["members"]["bob"]["org"] not in staff.text()

    # the owner sees each organisation of the community, with the note
    owner.open("/advisories")
    owner.follow(title)
    box = owner.main().find_element(By.CSS_SELECTOR, f"[aria-label='Acknowledgements in {cluster['name']}']")
    row = box.find_element(By.XPATH, f".//tr[th='{cluster['members']['bob']['org']}']")
    assert "Applies to us" in row.text and "Two cranes affected." in row.text
    assert server.get("advisories", token=api_token(server, cluster["members"]["bob"]["email"])).status_code == 200


def test_articles_the_self_assessment_and_the_threat_picture(server, cluster, browser):
    bob, staff = cluster["tabs"]["bob"], cluster["tabs"]["staff"]
    # articles are public: a tab with no session reads them
    t = browser.tab("reader-articles")
    t.d.get(server.url + "/#/articles")
    t.wait_heading("Articles")
    cards = t.main().find_elements(By.CSS_SELECTOR, ".article-card")
    assert len(cards) >= 5, t.text()
    t.fill("Category", "prevent")
    t.choose("Language", "English")
    t.go("Find")
    first = t.main().find_element(By.CSS_SELECTOR, ".article-card h3 a").text
    t.follow(first)
    t.wait_heading(first)
    assert len(t.main().find_element(By.CSS_SELECTOR, ".markdown.body").text) > 200

    # bob assesses his organisation
    bob.open("/assessment")
    bob.wait_heading("Self-assessment")
    bob.click("See my scores")  # nothing answered: said in place
    bob.wait_for(lambda: bob.main().find_element(By.CSS_SELECTOR, ".form-alert").is_displayed(), "the refusal")
    bob.d.execute_script("for (const q of document.querySelectorAll('#main fieldset.question'))"
                         "  q.querySelector('input[type=radio]').click();")
    bob.click("See my scores")
    bob.wait_text("Your scores")
    scores = bob.main().find_elements(By.CSS_SELECTOR, ".results > ol.scores > li")
    assert len(scores) == 5
    bench = bob.main().find_element(By.CSS_SELECTOR, f".benchmark[data-community='{cluster['cid']}']").text
    assert "No comparison: fewer than 5 organisations" in bench, bench
    bob.open("/assessment")
    assert "Your organisation has not assessed itself yet." not in bob.text()

    # the threat picture: counts of what bob reads, per week and kind
    bob_token = api_token(server, cluster["members"]["bob"]["email"])
    for kind in ("incident", "vulnerability"):
        ch.expect(server.post(f"channels/{cluster['chid']}/posts", token=bob_token, json={
            "kind": kind, "title": f"A {kind} to count", "body": "x", "tlp": "TLP:GREEN", "severity": "low"}), 201)
    bob.open(f"/c/{cluster['cid']}/threat-picture")
    bob.wait_heading("Threat picture")
    table = bob.main().find_element(By.CSS_SELECTOR, "table.picture")
    heads = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert {"incident", "vulnerability"} <= set(heads), heads
    week = table.find_elements(By.CSS_SELECTOR, "tbody tr")[-1]
    cells = dict(zip(heads[1:], [td.text for td in week.find_elements(By.CSS_SELECTOR, "td")]))
    assert int(cells["incident"]) >= 1 and int(cells["vulnerability"]) >= 1, cells
    staff.open("/staff/threat-picture")
    staff.wait_heading("Threat picture")
    assert "fewer than 5 contributing organisations are left out" in staff.text()


# ---- every screen, at both widths ---------------------------------------------------------


def check_screen(tab):
    """Every control has a label and nothing is wider than the window."""
    problems = tab.d.execute_script("""
        const out = [];
        for (const c of document.querySelectorAll('#main input, #main select, #main textarea')) {
          if (c.type === 'hidden') continue;
          if (!(c.labels && c.labels.length) && !c.getAttribute('aria-label')) out.push('unlabelled ' + (c.name || c.outerHTML.slice(0, 80)));
        }
        const w = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth > w + 1) {
          const wide = [...document.querySelectorAll('#main *')].filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));
          out.push('page wider than the window: ' + document.documentElement.scrollWidth + ' > ' + w + ' (' + wide.join(', ') + ')');
        }
        return out;
    """)
    assert not problems, (tab.d.current_url, problems)


def test_every_screen_at_desktop_and_phone_width(server, cluster, screenshots):
    owner, staff, bob = (cluster["tabs"][k] for k in ("owner", "staff", "bob"))
    cid, chid = cluster["cid"], cluster["chid"]
    # something to show: a post with indicators, a comment and a sighting
    bob_token = api_token(server, cluster["members"]["bob"]["email"])
    r = server.post(f"channels/{chid}/posts", token=bob_token, json={
        "kind": "vulnerability", "title": "Crane controller firmware exposes a debug port",
        "body": "Vendor advisory pending. Port **2323** answers without a password.",
        "tlp": "TLP:GREEN", "severity": "critical", "tags": ["ics", "cranes"],
        "indicators": [{"type": "cve", "value": "CVE-2026-12345"}, {"type": "ipv4", "value": "198.51.100.23"}]})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert server.post(f"posts/{pid}/comments", token=bob_token, json={"body": "Patched ours."}).status_code == 201
    assert server.post(f"posts/{pid}/sightings", token=bob_token, json={}).status_code == 201
    screens = [
        (owner, "home", "/"), (owner, "community", f"/c/{cid}"), (owner, "channel", f"/ch/{chid}"),
        (owner, "post", f"/p/{pid}"), (owner, "compose", f"/ch/{chid}/new"),
        (owner, "members", f"/c/{cid}/members"), (owner, "invites", f"/c/{cid}/invites"),
        (owner, "requests", f"/c/{cid}/requests"), (owner, "channel-settings", f"/ch/{chid}/settings"),
        (owner, "new-channel", f"/c/{cid}/channels/new"), (owner, "audit", f"/c/{cid}/audit"),
        (bob, "search", "/search?q=crane"), (bob, "lookup", "/lookup"),
        (bob, "indicator", "/indicator?type=ipv4&value=198.51.100.23"),
        (bob, "account", "/account"), (bob, "tokens", "/account/tokens"),
        (staff, "organisations", "/staff/organisations"), (staff, "onboard", "/staff/onboard"),
        (owner, "retention", f"/c/{cid}/retention"), (bob, "threat-picture", f"/c/{cid}/threat-picture"),
        (bob, "advisories", "/advisories"), (staff, "advisory-new", "/advisories/new"),
        (bob, "articles", "/articles"), (bob, "assessment", "/assessment"),
        (staff, "threat-picture-agency", "/staff/threat-picture"),
    ]
    advisory = server.get("advisories", token=bob_token).json()["items"]
    assert advisory, "test_staff_publish_an_advisory_and_watch_it_acknowledged made one"
    screens += [(bob, "advisory", f"/advisories/{advisory[0]['id']}"),
                (owner, "advisory-moderator", f"/advisories/{advisory[0]['id']}"),
                (staff, "advisory-staff", f"/advisories/{advisory[0]['id']}")]
    articles = server.get("articles").json()["items"]
    screens.append((bob, "article", f"/articles/{articles[0]['slug']}"))
    try:
        for width, height in (DESKTOP, PHONE):
            for t in {id(t): t for t, _, _ in screens}.values():
                t.d.set_window_size(width, height)
            for t, name, path in screens:
                t.open(path)
                assert t.d.execute_script("return window.innerWidth") == width
                assert t.heading() not in ("Not found", "Something went wrong"), (name, t.text()[:500])
                check_screen(t)
                t.shot(screenshots, name, width)
        # the phone's menu opens from its button
        owner.open("/")
        menu = owner.d.find_element(By.CSS_SELECTOR, "#top .menu")
        assert not menu.is_displayed()
        owner.d.find_element(By.CSS_SELECTOR, "#top .menu-toggle").click()
        assert menu.is_displayed()
        owner.shot(screenshots, "menu", PHONE[0])
        sign = browser_tab_signin(owner)
        sign.shot(screenshots, "signin", PHONE[0])
        sign.d.set_window_size(*DESKTOP)
        sign.open("/signin")
        sign.shot(screenshots, "signin", DESKTOP[0])
    finally:
        for t in {id(t): t for t, _, _ in screens}.values():
            t.d.set_window_size(*DESKTOP)
    made = sorted(os.listdir(screenshots))
    assert {f"{n}-{w}.png" for _, n, _ in screens for w in (DESKTOP[0], PHONE[0])} <= set(made)


def browser_tab_signin(tab):
    """The sign-in screen in a fresh tab (no session)."""
    t = tab.b.tab("signin")
    t.d.set_window_size(*PHONE)
    t.d.get(tab.base + "/")
    t.wait_heading("Sign in")
    check_screen(t)
    return t


def test_no_script_error_in_any_screen(server, browser):
    """Over everything this module did, in every tab: no uncaught error in
    the console's own script (Chrome names the page or script first; what
    the tests injected themselves is named by line only)."""
    browser.drain()
    errors = [m for m in browser.console
              if m.get("source") == "javascript" and m.get("message", "").startswith(server.url + "/")
              and not m["message"].startswith(server.url + "/docs")]
    assert not errors, errors
