"""docs/PRIVACY.md, the record of processing, is kept true by this test.

Every table of the migrated database has a section (### `table`) and every
column of it is named there (as `column`), with what it holds or that it
holds no personal data; a section for a table that does not exist, or a
column named that is not in its table, fails too.  So a migration that
adds a table or a column fails until the document says what it holds.
The README has its section for a data-protection officer, and names the
settings that bound retention.
"""

import os
import re

from conftest import ROOT

DOC = os.path.join(ROOT, "docs", "PRIVACY.md")


def schema(pg):
    db = pg.new_database()
    rows = pg.sql(db, "SELECT table_name, column_name FROM information_schema.columns"
                      " WHERE table_schema = 'public'")
    pg.drop_database(db)
    out = {}
    for t, c in rows:
        out.setdefault(t, set()).add(c)
    return out


def sections():
    """{table: set of `names` in its section}."""
    with open(DOC) as f:
        text = f.read()
    out = {}
    parts = re.split(r"^### `([a-z_]+)`\s*$", text, flags=re.M)
    for name, body in zip(parts[1::2], parts[2::2]):
        assert name not in out, "two sections for %s" % name
        out[name] = set(re.findall(r"`([a-z_]+)`", body))
    return out


def test_every_table_and_column_is_in_the_record_of_processing(pg):
    db, doc = schema(pg), sections()
    missing_tables = sorted(set(db) - set(doc))
    assert not missing_tables, "tables docs/PRIVACY.md does not name: %s" % missing_tables
    stale = sorted(set(doc) - set(db))
    assert not stale, "docs/PRIVACY.md names tables that do not exist: %s" % stale
    missing = sorted("%s.%s" % (t, c) for t, cols in db.items() for c in cols - doc[t])
    assert not missing, "columns docs/PRIVACY.md does not name: %s" % missing


def test_the_record_names_no_column_that_is_gone(pg):
    """A column named in a section's tables or its "Other columns" line
    exists in that table (words in prose, such as `null`, are settings or
    values: only the first cell of a table row and the list of other
    columns are column names)."""
    db = schema(pg)
    with open(DOC) as f:
        text = f.read()
    parts = re.split(r"^### `([a-z_]+)`\s*$", text, flags=re.M)
    wrong = []
    for name, body in zip(parts[1::2], parts[2::2]):
        named = set()
        for line in body.splitlines():
            m = re.match(r"^\| ([^|]+) \|", line)
            if m and "`" in m.group(1):
                named |= set(re.findall(r"`([a-z_]+)`", m.group(1)))
        m = re.search(r"(?:Other columns, no personal data|No personal data):(.*?)(?:\n\n|\Z)",
                      body, re.S)
        if m:
            named |= set(re.findall(r"`([a-z_]+)`", m.group(1)))
        wrong += ["%s.%s" % (name, c) for c in named - db.get(name, set())]
    assert not wrong, "docs/PRIVACY.md names columns that do not exist: %s" % sorted(wrong)


def test_the_readme_has_a_section_for_the_data_protection_officer():
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    m = re.search(r"^## Privacy and retention\n(.*?)^## ", text, re.S | re.M)
    assert m, "README.md lacks its Privacy and retention section"
    section = m.group(1)
    for needle in ("docs/PRIVACY.md", "ISACD_MAX_RETENTION_DAYS", "ISACD_PURGE_INTERVAL_S",
                   "ISACD_IP_RETENTION_DAYS", "ISACD_TOTP_KEY", "DELETE /api/v1/me",
                   "GET /api/v1/me/export", "legal_hold", "retention_by_tlp", "isacd purge"):
        assert needle in section, needle
