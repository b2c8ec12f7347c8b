"""`isacd create-staff --email E --name N --organisation O --password-stdin`:
exit 0 on success; one clear line on stderr and exit 1 for a weak password or
a duplicate e-mail; exit 2 for a usage error.  `--generate-password` makes
the password and prints it once; `--if-no-staff` creates the first staff
account of a new installation only (docker/compose.yaml runs it at every
start)."""

import re
import uuid

import pytest

from conftest import CHEAP_ARGON2, DEFAULT_PASSWORD, OWASP_ARGON2, Server, run_isacd, unique_email
from identity_helpers import try_login

# at OWASP's floor: below it create-staff warns on stderr (tested at the end)
ARGON2 = OWASP_ARGON2


def cli(server, args, password=DEFAULT_PASSWORD + "\n"):
    return run_isacd(["create-staff"] + args, server.pg.env(server.db),
                     input_text=password, env=ARGON2)


def full_args(email, name="Sam Staff", org="National Agency"):
    return ["--email", email, "--name", name, "--organisation", org, "--password-stdin"]


def one_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    assert len(lines) == 1, text
    return lines[0]


def accounts_with(server, email):
    return server.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                      (email,))[0][0]


def test_creates_a_staff_account_that_can_log_in(server):
    email = unique_email("ops")
    out = cli(server, full_args(email, name="Olga Ops", org="Ops Agency"))
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == ""
    r = try_login(server, email, DEFAULT_PASSWORD)
    assert r.status_code == 200, r.text
    user = r.json()["user"]
    assert user["platform_role"] == "staff"
    assert user["display_name"] == "Olga Ops"
    assert user["organisation"]["name"] == "Ops Agency"
    assert "staff_created" in [a for (a,) in server.sql(
        "SELECT action FROM audit_log WHERE target_user_id = %s", (user["id"],))]


def test_an_existing_organisation_is_reused_whatever_its_case(server):
    a, b = unique_email("a"), unique_email("b")
    assert cli(server, full_args(a, org="Shared Cert Team")).returncode == 0
    assert cli(server, full_args(b, org="SHARED cert team")).returncode == 0
    org_a = try_login(server, a, DEFAULT_PASSWORD).json()["user"]["organisation"]
    org_b = try_login(server, b, DEFAULT_PASSWORD).json()["user"]["organisation"]
    assert org_a == org_b
    n = server.sql("SELECT count(*) FROM organisations WHERE lower(name) = 'shared cert team'")
    assert n[0][0] == 1


def test_password_line_may_end_with_crlf(server):
    email = unique_email("crlf")
    out = cli(server, full_args(email), password=DEFAULT_PASSWORD + "\r\n")
    assert out.returncode == 0, out.stderr
    assert try_login(server, email, DEFAULT_PASSWORD).status_code == 200


@pytest.mark.parametrize("password,name,local", [
    ("Short-pw-1", "Sam Staff", "weak"),                      # < 12 characters
    ("", "Sam Staff", "weak"),                                # empty
    ("1qaz2wsx3edc", "Sam Staff", "weak"),                    # common
    ("123456789012", "Sam Staff", "weak"),                    # common
    ("aaaaaaaaaaaaaaaa", "Sam Staff", "weak"),                # too few characters
    ("Purple-Jdevries-Kite-8", "Sam Staff", "jdevries"),      # holds the e-mail name
    ("Blue-Jansen-Harbour-7", "Petra Jansen", "weak"),        # holds the person's name
    ("x" * 1025, "Sam Staff", "weak"),                        # over 1024 bytes
])
def test_weak_password_is_refused_with_one_line(server, password, name, local):
    # a unique domain keeps the local part exactly `local`
    email = "%s@%s.example.org" % (local, uuid.uuid4().hex[:10])
    out = cli(server, full_args(email, name=name), password=password + "\n")
    assert out.returncode == 1, (out.returncode, out.stderr)
    line = one_line(out.stderr)
    assert "password" in line.lower(), line
    assert password not in line or password == ""
    assert accounts_with(server, email) == 0


def test_duplicate_email_is_refused(server):
    email = unique_email("dup")
    assert cli(server, full_args(email)).returncode == 0
    for again in (email, email.upper()):
        out = cli(server, full_args(again, name="Other Person"))
        assert out.returncode == 1, (out.returncode, out.stderr)
        line = one_line(out.stderr)
        assert "exist" in line.lower() or "already" in line.lower(), line
    assert accounts_with(server, email) == 1
    # the first account still logs in with its own password
    assert try_login(server, email, DEFAULT_PASSWORD).status_code == 200


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "@example.org", "two@@example.org"])
def test_invalid_email_is_refused(server, email):
    out = cli(server, full_args(email))
    assert out.returncode == 1, (out.returncode, out.stderr)
    one_line(out.stderr)
    assert accounts_with(server, email) == 0


def test_no_password_on_stdin_is_refused(server):
    email = unique_email("nopw")
    out = cli(server, full_args(email), password="")
    assert out.returncode == 1, (out.returncode, out.stderr)
    one_line(out.stderr)
    assert accounts_with(server, email) == 0


@pytest.mark.parametrize("drop", ["--email", "--name", "--organisation", "--password-stdin", "all"])
def test_missing_flags_exit_2(server, drop):
    email = unique_email("flags")
    args = full_args(email)
    if drop == "all":
        args = []
    elif drop == "--password-stdin":
        args.remove(drop)
    else:
        i = args.index(drop)
        del args[i:i + 2]
    out = cli(server, args)
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert one_line(out.stderr)
    assert accounts_with(server, email) == 0


def test_flag_without_value_or_unknown_flag_exit_2(server):
    out = cli(server, ["--name", "N", "--organisation", "O", "--password-stdin", "--email"])
    assert out.returncode == 2, out.stderr
    one_line(out.stderr)
    out = cli(server, full_args(unique_email("u")) + ["--role", "admin"])
    assert out.returncode == 2, out.stderr
    one_line(out.stderr)


def test_both_or_neither_password_source_exit_2(server):
    email = unique_email("src")
    both = full_args(email) + ["--generate-password"]
    neither = full_args(email)[:-1]
    for args in (both, neither):
        out = cli(server, args)
        assert out.returncode == 2, (out.returncode, out.stderr)
        assert "--generate-password" in one_line(out.stderr)
    assert accounts_with(server, email) == 0


def first_staff(pg, db, email):
    return run_isacd(["create-staff", "--email", email, "--name", "First Staff",
                      "--organisation", "Agency", "--generate-password", "--if-no-staff"],
                     pg.env(db), env=ARGON2)


def test_the_first_staff_account_is_made_once_with_a_printed_password(pg):
    """A fresh installation (compose's first start): the account is made,
    its password printed once; the next start makes nothing and prints no
    password, and says so."""
    db = pg.new_database()
    email = unique_email("first")
    out = first_staff(pg, db, email)
    assert out.returncode == 0, out.stderr
    m = re.search(r"^  password: (\S+)$", out.stdout, re.M)
    assert m, out.stdout
    password = m.group(1)
    assert len(password) >= 20 and re.search(r"^  email: +%s$" % re.escape(email), out.stdout, re.M)
    assert "shown this once" in out.stdout
    again = first_staff(pg, db, unique_email("second"))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "a staff account exists already: none created"
    assert pg.sql(db, "SELECT count(*) FROM users WHERE platform_role = 'staff'")[0][0] == 1
    assert pg.sql(db, "SELECT count(*) FROM organisations")[0][0] == 1
    server = Server(pg, db=db)
    try:
        r = try_login(server, email, password)
        assert r.status_code == 200, r.text
        assert r.json()["user"]["platform_role"] == "staff"
    finally:
        server.stop()
        pg.drop_database(db)


def test_generated_passwords_differ(server):
    """Without --if-no-staff, --generate-password makes one more account,
    each with a password of its own."""
    seen = set()
    for _ in range(2):
        email = unique_email("gen")
        out = run_isacd(["create-staff"] + full_args(email)[:-1] + ["--generate-password"],
                        server.pg.env(server.db), env=ARGON2)
        assert out.returncode == 0, out.stderr
        password = re.search(r"^  password: (\S+)$", out.stdout, re.M).group(1)
        assert try_login(server, email, password).status_code == 200
        seen.add(password)
    assert len(seen) == 2


def test_argon2_below_owasps_floor_is_warned_about_in_one_line(server):
    email = unique_email("cheap")
    out = run_isacd(["create-staff"] + full_args(email), server.pg.env(server.db),
                    input_text=DEFAULT_PASSWORD + "\n", env=CHEAP_ARGON2)
    assert out.returncode == 0, out.stderr
    line = one_line(out.stderr)
    assert "warning" in line and "OWASP" in line, line
    assert "ISACD_ARGON2_M_KIB=8 ISACD_ARGON2_T=1" in line, line
    assert try_login(server, email, DEFAULT_PASSWORD).status_code == 200
