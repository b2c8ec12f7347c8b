"""build/docs/api.html (`make docs`) stands on its own, offline.

* Rendering: headless Chromium, with its networking disabled, opens the page
  from disk and the page's own (inlined) Redoc renders every operation of
  api-docs/openapi.yaml.  build-docs prerenders the whole page, so the
  proof that the script ran is that it follows each tag's route
  (`api.html#tag/auth`): it marks that tag's sidebar item as the one shown,
  which the file's markup marks for none.  One Chromium opens the page
  and follows each route in turn, as a reader clicking through the sidebar
  does (driven over the DevTools protocol on a pipe), and gives each route
  ten seconds of virtual time to render, as `--virtual-time-budget` would;
  a Chromium per route spent ~4 s starting and parsing the page each time.
* Nothing remote: the page asks the network for nothing while it renders
  (Chromium's net log), and no markup or CSS in the file loads anything
  remote; its Content-Security-Policy refuses every load but inline script
  and style and data: images and fonts.

Needs no database.  `make docs` builds the page (`make test` and `make system`
do it first); Chromium is Debian's `chromium` (`tools/deps.sh chromium`, which
`make test` runs).
"""

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser

import pytest
import yaml

from conftest import ROOT

# runs Chromium: never beside another file that does (conftest.py)
pytestmark = pytest.mark.xdist_group("browser")

PAGE = os.path.join(ROOT, "build", "docs", "api.html")
DOC_PATH = os.path.join(ROOT, "api-docs", "openapi.yaml")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Attributes with which markup makes a browser fetch something.  <a href> and
# <area href> are left out: they are links a reader may follow, not loads.
LOADING_ATTRS = {"src", "srcset", "href", "xlink:href", "poster", "data", "action",
                 "formaction", "background", "manifest", "ping", "lowsrc", "dynsrc"}
LINK_TAGS = {"a", "area"}
REMOTE = re.compile(r"(?i)\b(?:https?|wss?|ftp):|^\s*//")


def words(text):
    return " ".join(text.split())


class Markup(HTMLParser):
    """A page split into attributes, text, CSS and scripts (script and style
    bodies are not markup, so URLs in them are not taken for attributes)."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.attrs = []    # (index of the tag, tag, attribute, value)
        self.text = []
        self.css = []      # <style> bodies and style="" attributes
        self.scripts = []  # (index of the tag, attributes, body)
        self.csp = []      # (index of the tag, policy) of <meta http-equiv=CSP>
        self._tags = 0
        self._open = None
        self.feed(html)
        self.close()

    def handle_startendtag(self, tag, attrs):
        self._tags += 1
        a = {k.lower(): v or "" for k, v in attrs}
        for name, value in a.items():
            self.attrs.append((self._tags, tag, name, value))
            if name == "style":
                self.css.append(value)
        if tag == "meta" and a.get("http-equiv", "").lower() == "content-security-policy":
            self.csp.append((self._tags, a.get("content", "")))
        return a

    def handle_starttag(self, tag, attrs):
        a = self.handle_startendtag(tag, attrs)
        if tag in ("script", "style"):
            self._open = (tag, self._tags, a, [])

    def handle_endtag(self, tag):
        if self._open and tag == self._open[0]:
            kind, index, a, parts = self._open
            if kind == "script":
                self.scripts.append((index, a, "".join(parts)))
            else:
                self.css.append("".join(parts))
            self._open = None

    def handle_data(self, data):
        if self._open:
            self._open[3].append(data)
        else:
            self.text.append(data)

    def visible_text(self):
        return words(" ".join(self.text))


@pytest.fixture(scope="module")
def page():
    if not os.path.isfile(PAGE):
        pytest.fail(f"{PAGE} is missing: build it with `make docs` "
                    "(make test and make system do so before the system tests)")
    with open(PAGE, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def markup(page):
    return Markup(page)


@pytest.fixture(scope="module")
def summaries():
    with open(DOC_PATH) as f:
        doc = yaml.safe_load(f)
    found = [words(op["summary"])
             for item in doc["paths"].values()
             for method, op in item.items()
             if method in METHODS and op.get("summary")]
    assert found, "api-docs/openapi.yaml has no operation with a summary"
    return found


def routes(markup):
    """The page's own routes from its prerendered sidebar: one per tag (or
    operation), leaving out the overview and the sections of info.description,
    which hold no operation."""
    out = []
    for _, tag, name, value in markup.attrs:
        if tag == "a" and name == "href" and value.startswith("#tag/") \
                and "/operation/" not in value and value[1:] not in out:
            out.append(value[1:])
    return out


def active_item(dom, route):
    """Whether the sidebar marks route's item as the one shown: Redoc's
    script does that when it follows the location's hash; the markup
    build-docs prerenders has no item marked."""
    return re.search(r'data-item-id="%s"[^>]*>\s*<label class="[^"]*\bactive\b'
                     % re.escape(route), dom) is not None


def page_requests(netlog):
    """Requests that the page (not Chromium itself) started: Chromium's own
    background requests have no initiating origin, the page's have its
    (opaque) file origin."""
    with open(netlog) as f:
        log = json.load(f)
    assert log.get("events"), f"Chromium wrote no net log events to {netlog}"
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    out = []
    for e in log["events"]:
        p = e.get("params") or {}
        if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p \
                and p.get("initiator") != "not an origin":
            out.append(p["url"])
    return out


def chromium_argv(profile, netlog):
    return [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}",
        # no network: every request goes to a proxy that is not there (the
        # discard port on loopback, loopback included), and no name resolves
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--log-net-log={netlog}",
        # the DevTools protocol on fds 3 (commands) and 4 (answers)
        "--remote-debugging-pipe",
        "about:blank",
    ]


class Chromium:
    """Headless Chromium driven over the DevTools protocol on a pipe: JSON
    messages ended by a NUL byte, answers matched to commands by id, events
    kept until asked for."""

    TIMEOUT = 120

    def __init__(self, profile, netlog):
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()

        def fds_3_and_4():
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.stderr = open(os.path.join(profile, "stderr.txt"), "w+")
        self.proc = subprocess.Popen(chromium_argv(profile, netlog), cwd=profile,
                                     pass_fds=(3, 4), preexec_fn=fds_3_and_4,
                                     stdin=subprocess.DEVNULL, stdout=self.stderr,
                                     stderr=self.stderr)
        os.close(cmd_r)
        os.close(res_w)
        self._buf = b""
        self._id = 0
        self._events = []
        self.session = None

    def _message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._res_r], [], [], max(left, 0))
            assert ready, f"chromium did not answer within {self.TIMEOUT} s:\n" + self.log()
            chunk = os.read(self._res_r, 1 << 20)
            assert chunk, f"chromium exited ({self.proc.poll()}):\n" + self.log()
            self._buf += chunk
        message, self._buf = self._buf.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, **params):
        """Send a command (to the attached page, once there is one) and
        return its result."""
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.TIMEOUT
        while True:
            m = self._message(deadline)
            if m.get("id") == self._id:
                assert "error" not in m, (method, m["error"])
                return m["result"]
            self._events.append(m)

    def wait_for(self, event):
        for i, m in enumerate(self._events):
            if m.get("method") == event:
                return self._events.pop(i)
        deadline = time.monotonic() + self.TIMEOUT
        while True:
            m = self._message(deadline)
            if m.get("method") == event:
                return m
            self._events.append(m)

    def open_page(self):
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.call("Page.enable")

    def settle(self):
        """Ten seconds of virtual time, which runs fast while the page is
        idle and waits for fetches (what --virtual-time-budget=10000 does)."""
        self.call("Emulation.setVirtualTimePolicy", policy="pauseIfNetworkFetchesPending",
                  budget=10000)
        self.wait_for("Emulation.virtualTimeBudgetExpired")

    # the document as markup, with the bodies of its scripts left out: they
    # are no markup (Markup sets them aside), and Redoc's is ~2 MB to copy
    DOM = ("(() => { const d = document.documentElement.cloneNode(true);"
           " for (const s of d.querySelectorAll('script')) s.textContent = '';"
           " return d.outerHTML; })()")

    def dom(self):
        return self.call("Runtime.evaluate", expression=self.DOM,
                         returnByValue=True)["result"]["value"]

    def log(self):
        self.stderr.seek(0)
        return "\n".join(self.stderr.read().splitlines()[-20:])

    def close(self):
        try:
            if self.proc.poll() is None:
                self.session = None
                self.call("Browser.close")
                self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self._cmd_w)
            os.close(self._res_r)
            self.stderr.close()


def open_in_chromium(page, routes):
    """The DOM of the page at each route ("" is the overview, opened first;
    then each route as the location's hash), and the page's requests."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install it with `tools/deps.sh chromium` "
                    "(make test does)")
    profile = tempfile.mkdtemp(prefix="isacd-chromium-")
    try:
        netlog = os.path.join(profile, "netlog.json")
        browser = Chromium(profile, netlog)
        try:
            browser.open_page()
            browser.call("Page.navigate", url="file://" + page)
            browser.wait_for("Page.loadEventFired")
            browser.settle()
            doms = {"": browser.dom()}
            for route in routes:
                browser.call("Runtime.evaluate", expression="location.hash = %s"
                             % json.dumps("#" + route))
                browser.settle()
                doms[route] = browser.dom()
        finally:
            browser.close()
        for route, dom in doms.items():
            assert "<html" in dom, f"chromium gave no document at {route or '/'}: {dom[:200]}"
        return doms, page_requests(netlog)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def rendered(markup):
    """({route: visible text of the dumped DOM}, the page's requests)."""
    found = routes(markup)
    assert found, ("no route to a tag or operation in the page's sidebar: "
                   "did build-docs change what it prerenders?")
    doms, requests = open_in_chromium(PAGE, found)
    return {route: Markup(dom).visible_text() for route, dom in doms.items()}, requests, doms


def test_every_operation_is_rendered_offline(rendered, summaries):
    texts, _, doms = rendered
    text = " ".join(texts.values())
    missing = [s for s in summaries if s not in text]
    assert not missing, (
        f"build/docs/api.html, opened offline in Chromium at "
        f"{sorted(r or '/' for r in texts)}, did not render these operations of "
        f"api-docs/openapi.yaml (did Redoc's inlined script fail to run?): {missing}")
    # the script ran and followed each route: its sidebar item is the one shown
    unfollowed = [route for route in doms if route and not active_item(doms[route], route)]
    assert not unfollowed, (
        "Redoc's script did not follow these routes of build/docs/api.html (is its "
        f"inlined script running?): {unfollowed}")


def test_no_sidebar_item_is_shown_before_the_script_runs(markup):
    # What makes the test above prove that the script ran: build-docs
    # prerenders every operation, but marks no sidebar item as shown.
    page = open(PAGE, encoding="utf-8").read()
    marked = [route for route in routes(markup) if active_item(page, route)]
    assert not marked, f"build/docs/api.html marks these items shown before any script: {marked}"


def test_page_requests_nothing_while_it_renders(rendered):
    texts, asked, _ = rendered
    assert not asked, (
        f"build/docs/api.html asked the network for these while rendering its routes "
        f"{sorted(r or '/' for r in texts)} (it must load nothing remote): {asked}")


def test_redoc_is_inlined(markup):
    external = [(tag, value) for _, tag, name, value in markup.attrs
                if tag == "script" and name == "src"]
    assert not external, f"build/docs/api.html loads scripts from files: {external}"
    # tools/docs-inline.mjs puts Redoc's ~1 MB bundle in the page; without it the
    # page is a few hundred bytes of script importing the bundle from a CDN.
    largest = max((len(body) for _, _, body in markup.scripts), default=0)
    assert largest > 500_000, (
        f"build/docs/api.html has no inlined Redoc bundle (largest script {largest} "
        "bytes): build it with `make docs`")
    imports = [m.group(1) for _, _, body in markup.scripts for m in re.finditer(
        r"""\bimport\s*(?:\(\s*|[\w$*{}\s,]*?\bfrom\s*)["'`]([^"'`]*)["'`]""", body)
        if REMOTE.search(m.group(1))]
    assert not imports, f"build/docs/api.html imports scripts from the network: {imports}"


def test_markup_and_css_load_nothing_remote(markup):
    loads = [(tag, name, value[:120]) for _, tag, name, value in markup.attrs
             if name in LOADING_ATTRS and not (tag in LINK_TAGS and name == "href")
             and REMOTE.search(value)]
    loads += [("meta", "refresh", value) for _, tag, name, value in markup.attrs
              if tag == "meta" and name == "content" and re.search(r"(?i)url\s*=", value)]
    assert not loads, f"markup in build/docs/api.html loads remote resources: {loads}"
    css = "\n".join(markup.css)
    urls = re.findall(r"""(?i)url\(\s*["']?\s*([^"'\s)]{0,16})""", css)
    assert urls, "no url() in the page's CSS at all: is the CSS still parsed as expected?"
    remote = [u for u in urls if not u.lower().startswith(("data:", "#"))]
    assert not remote, f"CSS in build/docs/api.html loads url()s that are not data: {remote}"
    assert "@import" not in css, "CSS in build/docs/api.html uses @import"


def test_content_security_policy_refuses_remote_loads(markup):
    assert len(markup.csp) == 1, (
        "build/docs/api.html must carry one <meta http-equiv=Content-Security-Policy> "
        "(tools/docs-template.hbs)")
    index, policy = markup.csp[0]
    first = min([i for i, _, _ in markup.scripts] + [index + 1])
    assert index < first, "the Content-Security-Policy must come before every script"
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("default-src") == ["'none'"], policy
    allowed = {"'none'", "'unsafe-inline'", "data:"}
    # Redoc's search runs in a Web Worker it makes from a blob: URL; blob:
    # is allowed for that alone, and a worker inherits the page's policy
    loose = {k: v for k, v in directives.items()
             if set(v) - allowed and not (k == "worker-src" and v == ["blob:"])}
    assert not loose, f"the page's policy allows more than inline code and data: {loose}"
