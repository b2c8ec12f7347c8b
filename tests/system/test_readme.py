"""The README's walkthrough is true: its shell block (between the
walkthrough markers) runs as written, with curl, against a real server, and
shows what the README says it shows."""

import os
import re
import subprocess
import sys
import tempfile

from conftest import ROOT
from identity_helpers import account


def walkthrough(name="walkthrough"):
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    block = re.search(r"<!-- %s:start -->\s*```sh\n(.*?)```\s*<!-- %s:end -->" % (name, name),
                      text, re.S)
    assert block, "the %s markers are missing from README.md" % name
    return block.group(1)


def shell_env(cwd, server, staff):
    """The walkthrough's variables, and its `python3` (it runs dozens) is the
    one running these tests: a version manager's shim on PATH (pyenv's) costs
    more than half a second per call."""
    bin_dir = os.path.join(cwd, ".bin")
    os.mkdir(bin_dir)
    os.symlink(sys.executable, os.path.join(bin_dir, "python3"))
    return dict(os.environ, API=server.api, EMAIL=staff["email"], PASSWORD=staff["password"],
                PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))


def test_the_walkthrough_runs_as_written(server):
    staff = account(server, role="staff")
    with tempfile.TemporaryDirectory() as cwd:
        env = shell_env(cwd, server, staff)
        out = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=cwd,
                             env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    # the channel lists, the 404 for Bob, the 403 after his suspension
    assert lines[:4] == ["incident-2026-014", "general", "404", "403"], lines
    actions = [line.split()[1] for line in lines[4:]]
    assert actions[0] == "member.suspended", actions
    assert "Mo Moderator -> Bob Tug" in lines[4]
    assert actions[-1] == "community.created", actions
    assert actions.count("invite.accepted") == 4 and actions.count("channel.created") == 2
    assert "channel.reader_added" in actions


def test_the_posts_walkthrough_runs_as_written(start_server):
    """The second block continues the first in the same shell (on a fresh
    server: the first makes the same names)."""
    server = start_server()
    staff = account(server, role="staff")
    with tempfile.TemporaryDirectory() as cwd:
        env = shell_env(cwd, server, staff)
        script = walkthrough() + "\necho ---\n" + walkthrough("walkthrough-posts")
        out = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd,
                             env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.split("---\n", 1)[1].splitlines()
    assert lines[0] == lines[1] == "['TLP:AMBER', 'TLP:CLEAR', 'TLP:GREEN']", lines
    assert lines[2] == "['TLP:AMBER', 'TLP:CLEAR', 'TLP:GREEN', 'TLP:RED']", lines
    assert lines[3] == "1"
    assert lines[4] == "203.0.113.7 1 ['Phishing kit on the port portal']", lines
    assert lines[5] == "invoice-portal.example.com 1 ['Phishing mails about late invoices']"
    assert lines[6] == "error 2 an IPv4 address has no leading zeros", lines
    assert lines[7].startswith("TLP:GREEN Phishing kit on the port portal |"), lines
    assert len(lines) == 8, lines
