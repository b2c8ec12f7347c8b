"""build/docs/api.html (`make docs`) stands on its own, offline.

* Rendering: headless Chromium, with its networking disabled, opens the page
  from disk and the page's own (inlined) Redoc renders every operation of
  api-docs/openapi.yaml.  Redoc 3 shows one tag per route (`api.html#/auth`);
  the file holds only the prerendered overview, so an operation summary found
  in a dumped route proves that the script ran.
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
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest
import yaml

from conftest import ROOT

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
        if tag == "a" and name == "href" and value.startswith("#tag/") and value[1:] not in out:
            out.append(value[1:])
    return out


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


def chromium_argv(profile, netlog, url):
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
        "--virtual-time-budget=10000",
        "--dump-dom", url,
    ]


def open_in_chromium(url):
    """The DOM after the page's scripts ran, and the page's requests."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: install it with `tools/deps.sh chromium` "
                    "(make test does)")
    profile = tempfile.mkdtemp(prefix="isacd-chromium-")
    try:
        netlog = os.path.join(profile, "netlog.json")
        out = subprocess.run(chromium_argv(profile, netlog, url), capture_output=True,
                             text=True, timeout=120, cwd=profile)
        assert out.returncode == 0 and "<html" in out.stdout, (
            f"chromium failed on {url} (exit {out.returncode}):\n"
            + "\n".join(out.stderr.splitlines()[-20:]))
        return out.stdout, page_requests(netlog)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def rendered(markup):
    """{route: (visible text of the dumped DOM, the page's requests)}."""
    found = routes(markup)
    assert found, ("no route to a tag or operation in the page's sidebar: "
                   "did build-docs change what it prerenders?")
    every = [""] + found  # the overview too: what a reader sees first
    # two at a time: each Chromium spends most of its ~4 s starting and stopping
    with ThreadPoolExecutor(max_workers=2) as pool:
        dumps = pool.map(lambda r: open_in_chromium("file://" + PAGE + ("#" + r if r else "")),
                         every)
        return {route: (Markup(dom).visible_text(), requests)
                for route, (dom, requests) in zip(every, dumps)}


def test_every_operation_is_rendered_offline(rendered, summaries):
    text = " ".join(t for t, _ in rendered.values())
    missing = [s for s in summaries if s not in text]
    assert not missing, (
        f"build/docs/api.html, opened offline in Chromium at "
        f"{sorted(r or '/' for r in rendered)}, did not render these operations of "
        f"api-docs/openapi.yaml (did Redoc's inlined script fail to run?): {missing}")


def test_operations_are_not_prerendered(markup, summaries):
    # What makes the test above prove that the script ran.
    prerendered = [s for s in summaries if s in markup.visible_text()]
    assert not prerendered, (
        "these operation summaries are already in the markup of build/docs/api.html, so "
        "finding them in Chromium's DOM no longer shows that the page's script rendered "
        f"them: {prerendered}")


def test_page_requests_nothing_while_it_renders(rendered):
    asked = {route or "/": reqs for route, (_, reqs) in rendered.items() if reqs}
    assert not asked, (
        "build/docs/api.html asked the network for these while rendering, by route "
        f"(it must load nothing remote): {asked}")


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
    loose = {k: v for k, v in directives.items() if set(v) - allowed}
    assert not loose, f"the page's policy allows more than inline code and data: {loose}"
