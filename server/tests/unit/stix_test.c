/*
 * stix_test.c - the STIX export: UUIDv5 against Python's uuid.uuid5, the
 * pattern of every indicator type and its escaping, the five official TLP
 * 2.0 marking-definitions, anonymity (no identity, no created_by_ref), CVEs
 * as vulnerabilities, a report that refers to every other object, stable
 * ids, and the refusals.
 *
 * With STIX_BUNDLE_DIR set, the bundles for every TLP, every indicator type
 * and an anonymous post are also written there, one file each, for
 * tools/stix-validate.py to check against the OASIS schemas.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "domain/stix.h"

#define POST_ID  "0b5c4a6e-8f0d-4c1e-9a7b-3d2f1e0c9b8a"
#define ORG_ID   "5d3c1f7a-2b4e-4c6d-8e9f-0a1b2c3d4e5f"
#define CREATED  "2026-12-02T05:31:40.123Z"
#define MODIFIED "2026-12-03T10:00:00.456Z"
#define ORG_TIME "2026-01-15T08:00:00.000Z"

struct pattern_case {
	const char *type;
	const char *value;
	const char *pattern;
};

static const struct pattern_case pattern_cases[] = {
    {"ipv4", "203.0.113.7", "[ipv4-addr:value = '203.0.113.7']"},
    {"ipv6", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"},
    {"ipv6", "::ffff:192.0.2.1", "[ipv6-addr:value = '::ffff:192.0.2.1']"},
    {"cidr", "198.51.100.0/24", "[ipv4-addr:value = '198.51.100.0/24']"},
    {"cidr", "2001:db8::/32", "[ipv6-addr:value = '2001:db8::/32']"},
    {"domain", "example.com", "[domain-name:value = 'example.com']"},
    {"url", "https://example.com/login?a=1",
        "[url:value = 'https://example.com/login?a=1']"},
    {"url", "http://example.com/it's\\here",
        "[url:value = 'http://example.com/it\\'s\\\\here']"},
    {"email", "o'brien@example.org",
        "[email-addr:value = 'o\\'brien@example.org']"},
    {"md5", "d41d8cd98f00b204e9800998ecf8427e",
        "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e']"},
    {"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "[file:hashes.'SHA-1' = "
        "'da39a3ee5e6b4b0d3255bfef95601890afd80709']"},
    {"sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "[file:hashes.'SHA-256' = "
        "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'"
        "]"},
};

/* isacd's TLP, its marking-definition, a file name for its bundle */
static const char *const tlps[][3] = {
    {"TLP:CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "tlp-clear"},
    {"TLP:GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "tlp-green"},
    {"TLP:AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "tlp-amber"},
    {"TLP:AMBER+STRICT",
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "tlp-amber-strict"},
    {"TLP:RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        "tlp-red"},
};

/* the objects as cti-stix-common-objects publishes them */
static const char *const official[] = {
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
    "\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\", "
    "\"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:CLEAR\", "
    "\"extensions\": {\"extension-definition--60a3c5c5-0d10-413e-aab3-"
    "9e08dde9e88d\": {\"extension_type\": \"property-extension\", "
    "\"tlp_2_0\": \"clear\"}}}",
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
    "\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\", "
    "\"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:GREEN\", "
    "\"extensions\": {\"extension-definition--60a3c5c5-0d10-413e-aab3-"
    "9e08dde9e88d\": {\"extension_type\": \"property-extension\", "
    "\"tlp_2_0\": \"green\"}}}",
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
    "\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\", "
    "\"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:AMBER\", "
    "\"extensions\": {\"extension-definition--60a3c5c5-0d10-413e-aab3-"
    "9e08dde9e88d\": {\"extension_type\": \"property-extension\", "
    "\"tlp_2_0\": \"amber\"}}}",
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
    "\"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\", "
    "\"created\": \"2022-10-01T00:00:00.000Z\", \"name\": "
    "\"TLP:AMBER+STRICT\", \"extensions\": {\"extension-definition--"
    "60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\"extension_type\": "
    "\"property-extension\", \"tlp_2_0\": \"amber+strict\"}}}",
    "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
    "\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\", "
    "\"created\": \"2022-10-01T00:00:00.000Z\", \"name\": \"TLP:RED\", "
    "\"extensions\": {\"extension-definition--60a3c5c5-0d10-413e-aab3-"
    "9e08dde9e88d\": {\"extension_type\": \"property-extension\", "
    "\"tlp_2_0\": \"red\"}}}",
};

static const struct stix_org org = {ORG_ID, "Example Bank", ORG_TIME};

/* a post as isacd_post_json renders it, without indicators */
static json_t *
post_new(const char *tlp, bool anonymous)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s, "
	                      "s], s:[], s:b, s:n, s:s, s:s, s:i}",
	    "id", POST_ID, "community_id",
	    "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", "channel_id",
	    "1a2b3c4d-5e6f-4a0b-9c1d-2e3f4a5b6c7d", "kind", "incident", "title",
	    "Phishing wave against payment staff", "body",
	    "Mails with a fake invoice link since Monday.", "tlp", tlp,
	    "severity", "high", "tags", "phishing", "finance", "indicators",
	    "anonymous", anonymous, "author", "created_at",
	    "2026-12-02T05:31:40Z", "updated_at", "2026-12-03T10:00:00Z",
	    "revision", 1);

	assert_non_null(p);
	return p;
}

static void
post_add(json_t *post, const char *type, const char *value)
{
	assert_int_equal(
	    json_array_append_new(json_object_get(post, "indicators"),
	        json_pack("{s:s, s:s}", "type", type, "value", value)),
	    0);
}

/* every type once, a CVE too */
static void
post_add_all(json_t *post)
{
	for (size_t i = 0; i < sizeof(pattern_cases) / sizeof(pattern_cases[0]);
	     i++)
		post_add(post, pattern_cases[i].type, pattern_cases[i].value);
	post_add(post, "cve", "CVE-2021-44228");
}

/* the bundle of post, parsed; written to STIX_BUNDLE_DIR as file if set */
static json_t *
render(const json_t *post, const struct stix_org *o, const char *file)
{
	const char *why = "unset", *dir = getenv("STIX_BUNDLE_DIR");
	char *text = NULL;
	json_t *b;

	if (stix_bundle(post, CREATED, MODIFIED, o, &text, &why) != 0)
		fail_msg("refused: %s", why);
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	b = json_loads(text, 0, NULL);
	assert_non_null(b);
	if (dir != NULL && file != NULL) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.json", dir, file);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	free(text);
	return b;
}

static const char *
refused(const json_t *post, const char *created, const char *modified,
    const struct stix_org *o)
{
	const char *why = NULL;
	char *text = (char *)"unset";

	assert_int_equal(
	    stix_bundle(post, created, modified, o, &text, &why), -1);
	assert_null(text);
	assert_non_null(why);
	assert_true(why[0] != '\0');
	return why;
}

static json_t *
objects(json_t *bundle)
{
	return json_object_get(bundle, "objects");
}

/* the only object of the type; fails if there are more or none */
static json_t *
only(json_t *bundle, const char *type)
{
	json_t *o, *found = NULL;
	size_t i;

	json_array_foreach(objects(bundle), i, o)
	{
		if (strcmp(json_string_value(json_object_get(o, "type")),
		        type) == 0) {
			assert_null(found);
			found = o;
		}
	}
	assert_non_null(found);
	return found;
}

static size_t
count(json_t *bundle, const char *type)
{
	json_t *o;
	size_t i, n = 0;

	json_array_foreach(objects(bundle), i, o)
	{
		if (strcmp(json_string_value(json_object_get(o, "type")),
		        type) == 0)
			n++;
	}
	return n;
}

static const char *
str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("no string %s", key);
	return json_string_value(v);
}

/* "type--" and uuid5(STIX_NAMESPACE, name) */
static void
expect_id(const char *id, const char *type, const char *name)
{
	char uuid[STIX_UUID_LEN + 1], want[80];

	assert_int_equal(
	    stix_uuid5(STIX_NAMESPACE, name, strlen(name), uuid), 0);
	snprintf(want, sizeof(want), "%s--%s", type, uuid);
	assert_string_equal(id, want);
}

static void
test_uuid5(void **state)
{
	/* uuid.uuid5(...) of CPython's uuid module */
	static const char *const vec[][3] = {
	    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org",
	        "886313e1-3b8a-5372-9b90-0c9aee199e5d"},
	    {"6ba7b811-9dad-11d1-80b4-00c04fd430c8", "http://python.org/",
	        "4c565f0d-3f5a-5890-b41b-20cf47701c5e"},
	    {"6ba7b810-9dad-11d1-80b4-00c04fd430c8", "",
	        "4ebd0208-8328-5d69-8c44-ec50939c0967"},
	    {"00abedb4-aa42-466c-9c01-fed23315a9b7",
	        "{\"value\":\"198.51.100.3\"}",
	        "28bb3599-77cd-5a82-a950-b5bc3caf07c4"},
	    {STIX_NAMESPACE, "report:" POST_ID,
	        "4cbb18e3-d339-5872-9b2c-fe92230f9273"},
	};
	char out[STIX_UUID_LEN + 1], name[101];

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		assert_int_equal(
		    stix_uuid5(vec[i][0], vec[i][1], strlen(vec[i][1]), out),
		    0);
		assert_string_equal(out, vec[i][2]);
	}
	/* a name longer than one SHA-1 block, in the OID namespace */
	memset(name, 'a', 100);
	name[100] = '\0';
	assert_int_equal(
	    stix_uuid5("6ba7b812-9dad-11d1-80b4-00c04fd430c8", name, 100, out),
	    0);
	assert_string_equal(out, "3d1238fe-70a8-5218-80d2-a6b6ac22dfb5");
	/* the namespace may be upper-case; the result is not */
	assert_int_equal(stix_uuid5("6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
	                     "python.org", 10, out),
	    0);
	assert_string_equal(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
	assert_int_equal(
	    stix_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c", "x", 1, out), -1);
	assert_string_equal(out, "");
	assert_int_equal(
	    stix_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8x", "x", 1, out),
	    -1);
	assert_int_equal(
	    stix_uuid5("6ba7b810x9dad-11d1-80b4-00c04fd430c8", "x", 1, out),
	    -1);
}

static void
test_patterns(void **state)
{
	enum indicator_type t;

	(void)state;
	for (size_t i = 0; i < sizeof(pattern_cases) / sizeof(pattern_cases[0]);
	     i++) {
		const struct pattern_case *pc = &pattern_cases[i];
		char *p;

		assert_int_equal(indicator_type_parse(pc->type, &t), 0);
		p = stix_pattern(t, pc->value, strlen(pc->value));
		assert_non_null(p);
		assert_string_equal(p, pc->pattern);
		free(p);
	}
	assert_null(stix_pattern(IND_CVE, "CVE-2021-44228", 14));
	assert_null(stix_pattern((enum indicator_type)99, "x", 1));
}

/* the escaping as the bundle carries it: JSON-decoded, still escaped */
static void
test_pattern_escaping(void **state)
{
	json_t *post = post_new("TLP:GREEN", false), *b, *ind;

	(void)state;
	post_add(post, "url", "http://example.com/it's\\here");
	b = render(post, &org, NULL);
	ind = only(b, "indicator");
	assert_string_equal(str(ind, "pattern"),
	    "[url:value = 'http://example.com/it\\'s\\\\here']");
	assert_string_equal(str(ind, "name"), "http://example.com/it's\\here");
	assert_string_equal(str(ind, "pattern_type"), "stix");
	assert_string_equal(str(ind, "pattern_version"), "2.1");
	assert_string_equal(str(ind, "valid_from"), CREATED);
	expect_id(str(ind, "id"), "indicator",
	    "indicator:" POST_ID ":url:http://example.com/it's\\here");
	json_decref(b);
	json_decref(post);
}

static void
test_indicator_types(void **state)
{
	json_t *post = post_new("TLP:AMBER", false), *b, *o;
	size_t i, n = 0;

	(void)state;
	post_add_all(post);
	b = render(post, &org, "all-types");
	json_array_foreach(objects(b), i, o)
	{
		if (strcmp(str(o, "type"), "indicator") != 0)
			continue;
		assert_true(
		    n < sizeof(pattern_cases) / sizeof(pattern_cases[0]));
		assert_string_equal(
		    str(o, "pattern"), pattern_cases[n].pattern);
		n++;
	}
	assert_int_equal(n, sizeof(pattern_cases) / sizeof(pattern_cases[0]));
	json_decref(b);
	json_decref(post);
}

static void
test_tlp(void **state)
{
	(void)state;
	for (size_t k = 0; k < 5; k++) {
		json_t *post = post_new(tlps[k][0], false), *b, *m, *want, *o;
		size_t i;

		assert_string_equal(
		    stix_tlp_marking_id(tlps[k][0]), tlps[k][1]);
		post_add_all(post);
		b = render(post, &org, tlps[k][2]);
		m = only(b, "marking-definition");
		want = json_loads(official[k], 0, NULL);
		assert_non_null(want);
		assert_true(json_equal(m, want));
		json_decref(want);
		/* everything of the post is marked, the identity is not */
		json_array_foreach(objects(b), i, o)
		{
			json_t *refs =
			    json_object_get(o, "object_marking_refs");
			const char *type = str(o, "type");

			if (strcmp(type, "marking-definition") == 0 ||
			    strcmp(type, "identity") == 0) {
				assert_null(refs);
				continue;
			}
			assert_int_equal(json_array_size(refs), 1);
			assert_string_equal(
			    json_string_value(json_array_get(refs, 0)),
			    tlps[k][1]);
		}
		json_decref(b);
		json_decref(post);
	}
	assert_null(stix_tlp_marking_id("TLP:WHITE"));
	assert_null(stix_tlp_marking_id("tlp:red"));
	assert_null(stix_tlp_marking_id("TLP:AMBER+"));
}

static void
test_identity(void **state)
{
	json_t *post = post_new("TLP:GREEN", false), *b, *id, *o;
	struct stix_org upper = {
	    "5D3C1F7A-2B4E-4C6D-8E9F-0A1B2C3D4E5F", "Example Bank", ORG_TIME};
	const char *iid;
	char *a = NULL, *c = NULL;
	const char *why;
	size_t i;

	(void)state;
	post_add(post, "domain", "example.com");
	post_add(post, "cve", "CVE-2014-0160");
	b = render(post, &org, "identity");
	id = only(b, "identity");
	iid = str(id, "id");
	expect_id(iid, "identity", "identity:" ORG_ID);
	assert_string_equal(str(id, "name"), "Example Bank");
	assert_string_equal(str(id, "identity_class"), "organization");
	assert_string_equal(str(id, "created"), ORG_TIME);
	assert_string_equal(str(id, "modified"), ORG_TIME);
	assert_null(json_object_get(id, "created_by_ref"));
	json_array_foreach(objects(b), i, o)
	{
		const char *type = str(o, "type");

		if (strcmp(type, "identity") == 0 ||
		    strcmp(type, "marking-definition") == 0)
			assert_null(json_object_get(o, "created_by_ref"));
		else
			assert_string_equal(str(o, "created_by_ref"), iid);
	}
	/* an upper-case organisation id is the same organisation */
	assert_int_equal(
	    stix_bundle(post, CREATED, MODIFIED, &org, &a, &why), 0);
	assert_int_equal(
	    stix_bundle(post, CREATED, MODIFIED, &upper, &c, &why), 0);
	assert_string_equal(a, c);
	free(a);
	free(c);
	json_decref(b);
	json_decref(post);
}

static void
test_anonymous(void **state)
{
	json_t *post = post_new("TLP:AMBER+STRICT", true), *b, *o;
	size_t i;

	(void)state;
	post_add_all(post);
	b = render(post, NULL, "anonymous");
	assert_int_equal(count(b, "identity"), 0);
	json_array_foreach(objects(b), i, o)
	{
		assert_null(json_object_get(o, "created_by_ref"));
	}
	json_decref(b);
	/* an anonymous post never names its organisation */
	assert_non_null(
	    strstr(refused(post, CREATED, MODIFIED, &org), "anonymous"));
	json_decref(post);

	/* a post nobody speaks for any more (its author is gone) */
	post = post_new("TLP:CLEAR", false);
	b = render(post, NULL, "no-org");
	assert_int_equal(count(b, "identity"), 0);
	assert_null(json_object_get(only(b, "report"), "created_by_ref"));
	json_decref(b);
	json_decref(post);
}

static void
test_cve(void **state)
{
	json_t *post = post_new("TLP:RED", false), *b, *v, *refs, *want;

	(void)state;
	post_add(post, "cve", "CVE-2021-44228");
	b = render(post, &org, "cve");
	assert_int_equal(count(b, "indicator"), 0);
	v = only(b, "vulnerability");
	expect_id(str(v, "id"), "vulnerability",
	    "vulnerability:" POST_ID ":CVE-2021-44228");
	assert_string_equal(str(v, "name"), "CVE-2021-44228");
	assert_null(json_object_get(v, "pattern"));
	refs = json_object_get(v, "external_references");
	want = json_pack("[{s:s, s:s}]", "source_name", "cve", "external_id",
	    "CVE-2021-44228");
	assert_true(json_equal(refs, want));
	assert_string_equal(str(v, "created"), CREATED);
	assert_string_equal(str(v, "modified"), MODIFIED);
	json_decref(want);
	json_decref(b);
	json_decref(post);
}

/* object_refs is every other object of the bundle, in bundle order */
static void
check_refs(json_t *b)
{
	json_t *all = objects(b), *report = json_array_get(all, 0), *refs;

	assert_string_equal(str(report, "type"), "report");
	refs = json_object_get(report, "object_refs");
	assert_int_equal(json_array_size(refs), json_array_size(all) - 1);
	for (size_t i = 1; i < json_array_size(all); i++) {
		assert_string_equal(
		    json_string_value(json_array_get(refs, i - 1)),
		    str(json_array_get(all, i), "id"));
		for (size_t j = 1; j < i; j++)
			assert_string_not_equal(
			    str(json_array_get(all, j), "id"),
			    str(json_array_get(all, i), "id"));
	}
}

static void
test_object_refs(void **state)
{
	json_t *post = post_new("TLP:GREEN", false), *b, *refs;

	(void)state;
	post_add_all(post);
	b = render(post, &org, NULL);
	check_refs(b);
	/* identity, 12 indicators, 1 vulnerability, the marking */
	assert_int_equal(json_array_size(objects(b)), 16);
	json_decref(b);
	json_decref(post);

	/* the same value twice is one indicator */
	post = post_new("TLP:GREEN", false);
	post_add(post, "ipv4", "203.0.113.7");
	post_add(post, "cve", "CVE-2021-44228");
	post_add(post, "ipv4", "203.0.113.7");
	post_add(post, "cve", "CVE-2021-44228");
	post_add(post, "cidr", "203.0.113.7/32");
	b = render(post, &org, NULL);
	check_refs(b);
	assert_int_equal(count(b, "indicator"), 2);
	assert_int_equal(count(b, "vulnerability"), 1);
	json_decref(b);
	json_decref(post);

	/* nothing but the report: it refers to its marking */
	post = post_new("TLP:RED", true);
	b = render(post, NULL, "empty");
	check_refs(b);
	refs = json_object_get(only(b, "report"), "object_refs");
	assert_int_equal(json_array_size(refs), 1);
	assert_string_equal(json_string_value(json_array_get(refs, 0)),
	    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1");
	json_decref(b);
	json_decref(post);
}

static void
test_report(void **state)
{
	static const char *const kinds[][2] = {
	    {"incident", "incident"},
	    {"vulnerability", "vulnerability"},
	    {"advisory", "threat-report"},
	    {"indicators", "indicator"},
	    {"question", NULL},
	    {"discussion", NULL},
	};
	json_t *post = post_new("TLP:GREEN", false), *b, *r, *want, *o;
	size_t i;

	(void)state;
	b = render(post, &org, NULL);
	assert_string_equal(str(b, "type"), "bundle");
	expect_id(str(b, "id"), "bundle", "bundle:" POST_ID ":" MODIFIED);
	r = json_array_get(objects(b), 0);
	expect_id(str(r, "id"), "report", "report:" POST_ID);
	assert_string_equal(str(r, "spec_version"), "2.1");
	assert_string_equal(
	    str(r, "name"), "Phishing wave against payment staff");
	assert_string_equal(str(r, "description"),
	    "Mails with a fake invoice link since Monday.");
	assert_string_equal(str(r, "created"), CREATED);
	assert_string_equal(str(r, "modified"), MODIFIED);
	assert_string_equal(str(r, "published"), CREATED);
	want = json_pack("[s, s]", "phishing", "finance");
	assert_true(json_equal(json_object_get(r, "labels"), want));
	json_decref(want);
	/* STIX reserves "severity": nothing carries it */
	json_array_foreach(objects(b), i, o)
	{
		assert_null(json_object_get(o, "severity"));
	}
	json_decref(b);

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		json_t *types;

		json_object_set_new(post, "kind", json_string(kinds[i][0]));
		b = render(post, &org, NULL);
		types = json_object_get(only(b, "report"), "report_types");
		if (kinds[i][1] == NULL) {
			assert_null(types);
		} else {
			assert_int_equal(json_array_size(types), 1);
			assert_string_equal(
			    json_string_value(json_array_get(types, 0)),
			    kinds[i][1]);
		}
		json_decref(b);
	}

	/* no body, no tags: no description, no labels */
	json_object_set_new(post, "body", json_string(""));
	json_object_set_new(post, "tags", json_array());
	b = render(post, &org, NULL);
	r = only(b, "report");
	assert_null(json_object_get(r, "description"));
	assert_null(json_object_get(r, "labels"));
	json_decref(b);
	json_decref(post);
}

/* the same post gives the same text; an edit gives a new bundle id only */
static void
test_stable(void **state)
{
	json_t *post = post_new("TLP:AMBER", false), *b1, *b2;
	char *a = NULL, *c = NULL, *d = NULL;
	const char *why;

	(void)state;
	post_add_all(post);
	assert_int_equal(
	    stix_bundle(post, CREATED, MODIFIED, &org, &a, &why), 0);
	assert_int_equal(
	    stix_bundle(post, CREATED, MODIFIED, &org, &c, &why), 0);
	assert_string_equal(a, c);
	assert_int_equal(stix_bundle(post, CREATED, "2026-12-04T00:00:00.000Z",
	                     &org, &d, &why),
	    0);
	b1 = json_loads(a, 0, NULL);
	b2 = json_loads(d, 0, NULL);
	assert_string_not_equal(str(b1, "id"), str(b2, "id"));
	assert_string_equal(
	    str(only(b1, "report"), "id"), str(only(b2, "report"), "id"));
	assert_string_equal(
	    str(only(b2, "report"), "modified"), "2026-12-04T00:00:00.000Z");
	/* an upper-case post id is the same post */
	json_object_set_new(
	    post, "id", json_string("0B5C4A6E-8F0D-4C1E-9A7B-3D2F1E0C9B8A"));
	free(c);
	assert_int_equal(
	    stix_bundle(post, CREATED, MODIFIED, &org, &c, &why), 0);
	assert_string_equal(a, c);
	json_decref(b1);
	json_decref(b2);
	free(a);
	free(c);
	free(d);
	json_decref(post);
}

/* the post stays usable: each case changes one member and puts it back */
static void
test_refusals(void **state)
{
	static const char *const bad_times[] = {
	    "2026-12-02T05:31:40Z",
	    "2026-12-02T05:31:40.12Z",
	    "2026-12-02T05:31:40.1234Z",
	    "2026-12-02T05:31:40.123+00:00",
	    "2026-12-02 05:31:40.123Z",
	    "2026-13-02T05:31:40.123Z",
	    "2026-00-02T05:31:40.123Z",
	    "2026-12-32T05:31:40.123Z",
	    "2026-12-02T24:31:40.123Z",
	    "2026-12-02T05:60:40.123Z",
	    "2026-12-02T05:31:61.123Z",
	    "2026-12-02t05:31:40.123z",
	    "",
	};
	json_t *post = post_new("TLP:GREEN", false), *ind, *arr;
	struct stix_org o = org;
	const char *why;
	char *text;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		refused(post, bad_times[i], MODIFIED, &org);
		refused(post, CREATED, bad_times[i], &org);
		o.created = bad_times[i];
		refused(post, CREATED, MODIFIED, &o);
	}
	refused(post, NULL, MODIFIED, &org);
	o = org;
	/* a leap second is a time */
	assert_int_equal(stix_bundle(post, "2016-12-31T23:59:60.000Z", MODIFIED,
	                     &org, &text, &why),
	    0);
	free(text);
	assert_non_null(
	    strstr(refused(post, MODIFIED, CREATED, &org), "before"));

	o.id = "5d3c1f7a-2b4e-4c6d-8e9f-0a1b2c3d4e5";
	refused(post, CREATED, MODIFIED, &o);
	o.id = ORG_ID;
	o.name = "";
	refused(post, CREATED, MODIFIED, &o);
	o.name = "\xc3(";
	refused(post, CREATED, MODIFIED, &o);

	json_object_set_new(post, "tlp", json_string("TLP:WHITE"));
	assert_non_null(strstr(refused(post, CREATED, MODIFIED, &org), "tlp"));
	json_object_set_new(post, "tlp", json_stringn("TLP:RED\0x", 9));
	refused(post, CREATED, MODIFIED, &org);
	json_object_set_new(post, "tlp", json_string("TLP:GREEN"));
	json_object_set_new(post, "kind", json_string("rumour"));
	assert_non_null(strstr(refused(post, CREATED, MODIFIED, &org), "kind"));
	json_object_set_new(post, "kind", json_string("incident"));
	json_object_set_new(post, "id", json_string("not-a-uuid"));
	refused(post, CREATED, MODIFIED, &org);
	json_object_set_new(post, "id", json_string(POST_ID));
	json_object_set_new(post, "tags", json_pack("[s, i]", "a", 1));
	refused(post, CREATED, MODIFIED, &org);
	json_object_del(post, "tags");
	refused(post, CREATED, MODIFIED, &org);
	json_object_set_new(post, "tags", json_array());
	json_object_set_new(post, "anonymous", json_null());
	refused(post, CREATED, MODIFIED, &org);
	json_object_set_new(post, "anonymous", json_false());
	json_object_set_new(post, "title", json_integer(1));
	refused(post, CREATED, MODIFIED, &org);
	json_object_set_new(post, "title", json_string("t"));
	arr = json_array();
	refused(arr, CREATED, MODIFIED, &org);
	json_decref(arr);

	/* indicators: known types, canonical values */
	post_add(post, "sha256",
	    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
	assert_non_null(
	    strstr(refused(post, CREATED, MODIFIED, &org), "canonical"));
	ind = json_array_get(json_object_get(post, "indicators"), 0);
	json_object_set_new(ind, "value",
	    json_string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
	                "91b7852b855"));
	json_decref(render(post, &org, NULL));
	json_object_set_new(ind, "type", json_string("sha512"));
	assert_non_null(strstr(refused(post, CREATED, MODIFIED, &org), "type"));
	json_object_set_new(ind, "type", json_string("ipv4"));
	json_object_set_new(ind, "value", json_string("1.2.3.04"));
	refused(post, CREATED, MODIFIED, &org);
	json_object_set_new(ind, "value", json_stringn("1.2.3.4\0", 8));
	refused(post, CREATED, MODIFIED, &org);
	json_object_set_new(ind, "value", json_integer(4));
	refused(post, CREATED, MODIFIED, &org);
	json_array_set_new(
	    json_object_get(post, "indicators"), 0, json_string("ipv4"));
	refused(post, CREATED, MODIFIED, &org);
	json_decref(post);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uuid5),
	    cmocka_unit_test(test_patterns),
	    cmocka_unit_test(test_pattern_escaping),
	    cmocka_unit_test(test_indicator_types),
	    cmocka_unit_test(test_tlp),
	    cmocka_unit_test(test_identity),
	    cmocka_unit_test(test_anonymous),
	    cmocka_unit_test(test_cve),
	    cmocka_unit_test(test_object_refs),
	    cmocka_unit_test(test_report),
	    cmocka_unit_test(test_stable),
	    cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
