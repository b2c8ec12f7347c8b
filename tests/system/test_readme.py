"""The README's walkthrough is true: its shell block (between the
walkthrough markers) runs as written, with curl, against a real server, and
shows what the README says it shows."""

import os
import re
import subprocess
import tempfile

from conftest import ROOT
from identity_helpers import account


def walkthrough():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    block = re.search(r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->",
                      text, re.S)
    assert block, "the walkthrough markers are missing from README.md"
    return block.group(1)


def test_the_walkthrough_runs_as_written(server):
    staff = account(server, role="staff")
    with tempfile.TemporaryDirectory() as cwd:
        env = dict(os.environ, API=server.api, EMAIL=staff["email"],
                   PASSWORD=staff["password"])
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
