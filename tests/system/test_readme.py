"""The README's walkthrough is true: its shell blocks (between the
walkthrough markers) run as written, with curl, against a real server, and
show what the README says they show, again when run a second time; so does
its live subscription with tools/isacd-listen.  The README opens with the
two commands and where to sign in."""

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import types

import pytest

from conftest import ROOT, Server
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


def test_the_walkthrough_runs_as_written_and_again(server):
    """Run twice on one instance from one folder, as a reader who tries it
    again would: each run makes its own cluster and people (RUN), both show
    what the README says, and neither leaves a file behind (an invitation
    token in the checkout was one)."""
    staff = account(server, role="staff")
    runs = []
    with tempfile.TemporaryDirectory() as cwd:
        env = shell_env(cwd, server, staff)
        env.pop("RUN", None)
        for _ in range(2):
            out = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=cwd,
                                 env=env, capture_output=True, text=True, timeout=120)
            assert out.returncode == 0, out.stdout + out.stderr
            runs.append(out.stdout.splitlines())
        assert os.listdir(cwd) == [".bin"]  # shell_env's, not the walkthrough's
    assert runs[0][0] != runs[1][0]
    for lines in runs:
        assert re.fullmatch(r"RUN=\d+", lines[0]), lines
        # the channel lists, the 404 for Bob, the 403 after his suspension
        assert lines[1:5] == ["incident-2026-014", "general", "404", "403"], lines
        actions = [line.split()[1] for line in lines[5:]]
        assert actions[0] == "member.suspended", actions
        assert "Mo Moderator -> Bob Tug" in lines[5]
        assert actions[-1] == "community.created", actions
        assert actions.count("invite.accepted") == 4 and actions.count("channel.created") == 2
        assert "channel.reader_added" in actions


def test_a_failed_request_stops_the_walkthrough_with_its_problem(server):
    """What a reader sees when a step fails (here: the staff password is
    wrong): the request and the problem document, on stderr, and the shell
    stops there, not a Python traceback from reading an error as data."""
    with tempfile.TemporaryDirectory() as cwd:
        env = shell_env(cwd, server, {"email": "nobody@example.org",
                                      "password": "Not-The-Password-1"})
        out = subprocess.run(["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=cwd,
                             env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert re.fullmatch(r"RUN=\d+\n", out.stdout), out.stdout
    assert 'POST auth/login failed: {"type":"about:blank","title":"Unauthorized",' \
        '"status":401' in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and "KeyError" not in out.stderr, out.stderr


def test_the_readme_opens_with_the_two_commands_and_where_to_sign_in():
    """What a newcomer reads first, and what make run prints (the same
    sentence, with the port it took; test_make_run checks that it does)."""
    with open(os.path.join(ROOT, "README.md")) as f:
        lines = [line.rstrip("\n") for line in f]
    body = [line for line in lines[1:] if line.strip()]
    assert lines[0] == "# isacd"
    assert body[0] == "```sh" and body[1].startswith("make run ") \
        and body[2].startswith("make test ") and body[3] == "```", body[:4]
    assert body[4] == \
        "Then open http://127.0.0.1:8080/ and sign in with the printed credentials.", body[4]
    with open(os.path.join(ROOT, "tools", "run.sh")) as f:
        assert "  Open http://$ISACD_LISTEN/ and sign in with the printed credentials.\n" \
            in f.read()


@pytest.fixture(scope="module")
def walked(pg):
    """Both walkthrough blocks in one shell, on a server of their own (the
    first test makes the same names): their output, and the shell's
    variables and functions kept in shell.sh, as the walkthrough's terminal
    would still have them."""
    server = Server(pg)
    staff = account(server, role="staff")
    cwd = tempfile.mkdtemp(prefix="isacd-readme-")
    env = shell_env(cwd, server, staff)
    env["RUN"] = str(os.getpid())
    script = (walkthrough() + "\necho ---\n" + walkthrough("walkthrough-posts") +
              "\n{ declare -p API INCIDENT ALICE; declare -f call field post; } > shell.sh\n")
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd,
                         env=env, capture_output=True, text=True, timeout=180)
    try:
        yield types.SimpleNamespace(server=server, cwd=cwd, env=env, out=out)
    finally:
        server.stop()
        shutil.rmtree(cwd, ignore_errors=True)


def test_the_posts_walkthrough_runs_as_written(walked):
    """The second block continues the first in the same shell."""
    out = walked.out
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


def test_the_live_listener_runs_as_written(walked):
    """The live section: after the walkthrough, Mo's listener (run as the
    README runs it, in a terminal of its own, from the repository) prints
    Alice's post, made as the README makes it in the walkthrough's shell,
    and Ctrl-C ends it cleanly."""
    assert walked.out.returncode == 0, walked.out.stdout + walked.out.stderr
    listener = subprocess.Popen(["bash", "-euo", "pipefail", "-c", walkthrough("live")],
                                cwd=ROOT, env=walked.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in listener.stdout],
                     daemon=True).start()

    def next_line(timeout=15):
        try:
            return lines.get(timeout=timeout).rstrip("\n")
        except queue.Empty:
            listener.kill()
            raise AssertionError("the listener printed nothing more: " + listener.stderr.read())

    try:
        first = next_line()
        assert re.match(r"^\d\d:\d\d:\d\d subscribed 2 channels [-0-9a-f ]+$", first), first
        post = subprocess.run(["bash", "-euo", "pipefail", "-c",
                               "source shell.sh\n" + walkthrough("live-post")],
                              cwd=walked.cwd, env=walked.env, capture_output=True, text=True,
                              timeout=60)
        assert post.returncode == 0, post.stdout + post.stderr
        line = next_line()
        assert re.match(r"^\d\d:\d\d:\d\d post\.created \d+ Our own incident, day 3$",
                        line), line
        # Ctrl-C, as at a terminal: to the whole foreground group
        os.killpg(listener.pid, signal.SIGINT)
        assert listener.wait(10) == 0, listener.stderr.read()
        assert "Traceback" not in listener.stderr.read()
    finally:
        if listener.poll() is None:
            os.killpg(listener.pid, signal.SIGKILL)
            listener.wait()
