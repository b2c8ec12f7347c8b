/*
 * stix.c - a post as a STIX 2.1 bundle: ids, patterns, markings, objects.
 *
 * The post is checked whole before anything is built: a TLP, kind and
 * indicator type from the closed sets, every value already canonical (a
 * fixed point of indicator_normalise, so a pattern never carries a value the
 * server would not store), times of exactly millisecond precision.  Then the
 * bundle is built as one jansson tree and dumped once.  jansson fails only
 * for want of memory once its input is known to be UTF-8, so a failed set or
 * append is fatal() here, as the x* wrappers decide for everything else.
 *
 * The TLP 2.0 objects are copied from the ones OASIS publishes for the
 * extension (cti-stix-common-objects, extension-definition-specifications/
 * tlp-2.0): fixed ids, created 2022-10-01T00:00:00.000Z, no creator.  The
 * extension-definition object itself is left out of the bundle: STIX 2.1
 * 7.3 lets a producer omit it (consumers resolve it by id, as they already
 * know the TLP ids), and it would drag in a reference to the OASIS identity.
 *
 * The report refers to every other object of the bundle, the marking
 * definition included.  That is the one rule, and it keeps object_refs
 * non-empty (the schema's minItems 1) for an anonymous post without
 * indicators without inventing an object to point at.
 */
#include "domain/stix.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/codec.h"
#include "core/mem.h"

/* room for "vulnerability--" and a UUID */
#define STIX_ID_MAX 64

/* the time the OASIS TLP 2.0 marking-definitions were created */
#define STIX_TLP_CREATED "2022-10-01T00:00:00.000Z"
#define STIX_TLP_EXT                                                           \
	"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

/* an isacd TLP, its official marking-definition and its tlp_2_0 value */
struct stix_tlp {
	const char *name;
	const char *id;
	const char *level;
};

/* a post kind and the report-type-ov value it maps to (NULL: none fits) */
struct stix_kind {
	const char *name;
	const char *report_type;
};

/* what stix_bundle reads from the post; the json_t are borrowed from it */
struct stix_post {
	char id[STIX_UUID_LEN + 1]; /* lower-case */
	const struct stix_kind *kind;
	const struct stix_tlp *tlp;
	const json_t *title, *body, *tags, *indicators;
	bool anonymous;
};

/* what every object of one bundle shares */
struct stix_ctx {
	const struct stix_post *post;
	const char *created, *modified;
	const char *creator; /* the identity's id, NULL for none */
};

static int stix_uuid_parse(const char *s, uint8_t out[16]);
static void stix_uuid_format(const uint8_t u[16], char out[STIX_UUID_LEN + 1]);
static void stix_uuid_lower(const char *s, char out[STIX_UUID_LEN + 1]);
static void stix_id(char out[STIX_ID_MAX], const char *type, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static bool stix_time_valid(const char *s);
static bool stix_str_is(const json_t *v, const char *s);
static const struct stix_tlp *stix_tlp_find(const json_t *v);
static int stix_post_read(
    const json_t *post, struct stix_post *p, const char **why);
static int stix_org_check(const struct stix_org *org, const char **why);
static void stix_set(json_t *obj, const char *key, json_t *value);
static void stix_push(json_t *arr, json_t *value);
static json_t *stix_copy(const json_t *str);
static json_t *stix_sdo(
    const struct stix_ctx *c, const char *type, const char *id);
static json_t *stix_marking_refs(const struct stix_ctx *c);
static json_t *stix_marking(const struct stix_tlp *t);
static json_t *stix_identity(const struct stix_org *org, const char *id);
static int stix_add_indicator(const struct stix_ctx *c, const json_t *ind,
    json_t *objects, json_t *seen, const char **why);
static json_t *stix_report(const struct stix_ctx *c, json_t *others);

/*
 * Verified against the marking-definition objects and the extension's
 * schema in oasis-open/cti-stix-common-objects (objects/marking-definition/,
 * extension-definition-specifications/tlp-2.0/).
 */
static const struct stix_tlp stix_tlps[] = {
    {"TLP:CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "clear"},
    {"TLP:GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "green"},
    {"TLP:AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "amber"},
    {"TLP:AMBER+STRICT",
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "amber+strict"},
    {"TLP:RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        "red"},
};

/*
 * report-type-ov (STIX 2.1 10.22, with "incident" as its errata add it); a
 * question or a discussion is about no one subject, so it claims none.
 */
static const struct stix_kind stix_kinds[] = {
    {"incident", "incident"},
    {"vulnerability", "vulnerability"},
    {"advisory", "threat-report"},
    {"indicators", "indicator"},
    {"question", NULL},
    {"discussion", NULL},
};

/* the object path each indicator type is matched on; CIDR by its family */
static const char *const stix_paths[INDICATOR_TYPES] = {
    [IND_IPV4] = "ipv4-addr:value",
    [IND_IPV6] = "ipv6-addr:value",
    [IND_CIDR] = NULL,
    [IND_DOMAIN] = "domain-name:value",
    [IND_URL] = "url:value",
    [IND_EMAIL] = "email-addr:value",
    [IND_MD5] = "file:hashes.'MD5'",
    [IND_SHA1] = "file:hashes.'SHA-1'",
    [IND_SHA256] = "file:hashes.'SHA-256'",
    [IND_CVE] = NULL,
};

int
stix_uuid5(
    const char *ns, const char *name, size_t len, char out[STIX_UUID_LEN + 1])
{
	uint8_t nsb[16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;

	out[0] = '\0';
	if (stix_uuid_parse(ns, nsb) != 0)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		fatal("EVP_MD_CTX_new failed");
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, nsb, sizeof(nsb)) != 1 ||
	    EVP_DigestUpdate(ctx, name, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 20)
		fatal("EVP_Digest(sha1) failed");
	EVP_MD_CTX_free(ctx);
	/* RFC 4122 4.3: the first 16 bytes, version 5, variant 10 */
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x50);
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
	stix_uuid_format(md, out);
	return 0;
}

char *
stix_pattern(enum indicator_type t, const char *value, size_t len)
{
	const char *path;
	char *out, *o;
	size_t plen;

	if ((unsigned)t >= INDICATOR_TYPES || t == IND_CVE)
		return NULL;
	path = stix_paths[t];
	if (t == IND_CIDR)
		path = memchr(value, ':', len) != NULL ? "ipv6-addr:value"
		                                       : "ipv4-addr:value";
	plen = strlen(path);
	/* "[" path " = '" escaped "']" NUL; escaping at most doubles */
	out = xmalloc(plen + 2 * len + 8);
	o = out;
	*o++ = '[';
	memcpy(o, path, plen);
	o += plen;
	memcpy(o, " = '", 4);
	o += 4;
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\'' || value[i] == '\\')
			*o++ = '\\';
		*o++ = value[i];
	}
	memcpy(o, "']", 3);
	return out;
}

const char *
stix_tlp_marking_id(const char *tlp)
{
	for (size_t i = 0; i < sizeof(stix_tlps) / sizeof(stix_tlps[0]); i++)
		if (strcmp(tlp, stix_tlps[i].name) == 0)
			return stix_tlps[i].id;
	return NULL;
}

int
stix_bundle(const json_t *post, const char *created, const char *modified,
    const struct stix_org *org, char **out, const char **why)
{
	struct stix_post p;
	struct stix_ctx c;
	char bundle_id[STIX_ID_MAX], identity_id[STIX_ID_MAX];
	json_t *others = NULL, *seen = NULL, *bundle, *ind;
	size_t i;

	*out = NULL;
	*why = NULL;
	if (stix_post_read(post, &p, why) != 0)
		return -1;
	if (!stix_time_valid(created) || !stix_time_valid(modified)) {
		*why = "a STIX time is UTC with milliseconds, like "
		       "2026-12-02T05:31:40.123Z";
		return -1;
	}
	/* one fixed format, so text order is time order */
	if (strcmp(modified, created) < 0) {
		*why = "a post is not modified before it is created";
		return -1;
	}
	if (org != NULL && p.anonymous) {
		*why = "an anonymous post is exported without its organisation";
		return -1;
	}
	if (org != NULL && stix_org_check(org, why) != 0)
		return -1;

	c.post = &p;
	c.created = created;
	c.modified = modified;
	c.creator = NULL;
	others = json_array();
	seen = json_object();
	if (org != NULL) {
		char oid[STIX_UUID_LEN + 1];

		stix_uuid_lower(org->id, oid);
		stix_id(identity_id, "identity", "identity:%s", oid);
		stix_push(others, stix_identity(org, identity_id));
		c.creator = identity_id;
	}
	json_array_foreach(p.indicators, i, ind)
	{
		if (stix_add_indicator(&c, ind, others, seen, why) != 0)
			goto fail;
	}
	stix_push(others, stix_marking(p.tlp));
	if (json_array_insert_new(others, 0, stix_report(&c, others)) != 0)
		fatal("out of memory building a STIX bundle");

	stix_id(bundle_id, "bundle", "bundle:%s:%s", p.id, modified);
	bundle = json_object();
	stix_set(bundle, "type", json_string("bundle"));
	stix_set(bundle, "id", json_string(bundle_id));
	stix_set(bundle, "objects", others);
	*out = json_dumps(bundle, JSON_COMPACT);
	if (*out == NULL)
		fatal("out of memory writing a STIX bundle");
	json_decref(bundle);
	json_decref(seen);
	return 0;
fail:
	json_decref(seen);
	json_decref(others);
	return -1;
}

/* a textual UUID into its 16 bytes; -1 if it is not one */
static int
stix_uuid_parse(const char *s, uint8_t out[16])
{
	size_t n = 0;

	if (s == NULL || !codec_uuid_valid(s, strnlen(s, STIX_UUID_LEN + 1)))
		return -1;
	for (size_t i = 0; i < STIX_UUID_LEN; i++) {
		char c = s[i];
		unsigned v;

		if (c == '-')
			continue;
		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else
			v = (unsigned)(c - 'A' + 10);
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	return 0;
}

static void
stix_uuid_format(const uint8_t u[16], char out[STIX_UUID_LEN + 1])
{
	char hex[33];

	codec_hex(hex, u, 16);
	snprintf(out, STIX_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	    hex + 8, hex + 12, hex + 16, hex + 20);
}

/*
 * A UUID already checked by codec_uuid_valid, lower-cased: the names hashed
 * for ids use one spelling of each UUID, as PostgreSQL writes them.
 */
static void
stix_uuid_lower(const char *s, char out[STIX_UUID_LEN + 1])
{
	for (size_t i = 0; i < STIX_UUID_LEN; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a'
		                                           : s[i]);
	out[STIX_UUID_LEN] = '\0';
}

/* "type--" and the UUIDv5 of the printf-formatted name in STIX_NAMESPACE */
static void
stix_id(char out[STIX_ID_MAX], const char *type, const char *fmt, ...)
{
	char uuid[STIX_UUID_LEN + 1];
	va_list ap;
	char *name;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("vsnprintf failed");
	name = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(name, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (stix_uuid5(STIX_NAMESPACE, name, (size_t)n, uuid) != 0)
		fatal("STIX_NAMESPACE is not a UUID");
	free(name);
	snprintf(out, STIX_ID_MAX, "%s--%s", type, uuid);
}

/*
 * Exactly YYYY-MM-DDTHH:MM:SS.sssZ within the ranges of the STIX timestamp
 * schema: STIX wants created and modified to the millisecond, and a time of
 * one fixed width compares as text.
 */
static bool
stix_time_valid(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	unsigned f[5];

	if (s == NULL || strnlen(s, sizeof(shape)) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
		                    : s[i] != shape[i])
			return false;
	}
	for (size_t k = 0; k < 5; k++) {
		const char *d = s + 5 + 3 * k;

		f[k] = (unsigned)(d[0] - '0') * 10 + (unsigned)(d[1] - '0');
	}
	return f[0] >= 1 && f[0] <= 12 && f[1] >= 1 && f[1] <= 31 &&
	    f[2] <= 23 && f[3] <= 59 && f[4] <= 60;
}

/* v is a JSON string equal to s, an embedded NUL included */
static bool
stix_str_is(const json_t *v, const char *s)
{
	return json_is_string(v) && json_string_length(v) == strlen(s) &&
	    memcmp(json_string_value(v), s, json_string_length(v)) == 0;
}

static const struct stix_tlp *
stix_tlp_find(const json_t *v)
{
	for (size_t i = 0; i < sizeof(stix_tlps) / sizeof(stix_tlps[0]); i++)
		if (stix_str_is(v, stix_tlps[i].name))
			return &stix_tlps[i];
	return NULL;
}

static int
stix_post_read(const json_t *post, struct stix_post *p, const char **why)
{
	const json_t *v;
	size_t i;

	if (!json_is_object(post)) {
		*why = "a post is a JSON object";
		return -1;
	}
	v = json_object_get(post, "id");
	if (!json_is_string(v) ||
	    !codec_uuid_valid(json_string_value(v), json_string_length(v))) {
		*why = "a post has a UUID as its id";
		return -1;
	}
	stix_uuid_lower(json_string_value(v), p->id);
	p->kind = NULL;
	v = json_object_get(post, "kind");
	for (i = 0; i < sizeof(stix_kinds) / sizeof(stix_kinds[0]); i++)
		if (stix_str_is(v, stix_kinds[i].name))
			p->kind = &stix_kinds[i];
	if (p->kind == NULL) {
		*why = "a post's kind is one of incident, vulnerability, "
		       "advisory, indicators, question and discussion";
		return -1;
	}
	p->tlp = stix_tlp_find(json_object_get(post, "tlp"));
	if (p->tlp == NULL) {
		*why = "a post's tlp is one of TLP:CLEAR, TLP:GREEN, "
		       "TLP:AMBER, TLP:AMBER+STRICT and TLP:RED";
		return -1;
	}
	p->title = json_object_get(post, "title");
	p->body = json_object_get(post, "body");
	if (!json_is_string(p->title) || !json_is_string(p->body)) {
		*why = "a post has a title and a body as strings";
		return -1;
	}
	p->tags = json_object_get(post, "tags");
	if (!json_is_array(p->tags)) {
		*why = "a post has its tags as an array";
		return -1;
	}
	json_array_foreach(p->tags, i, v)
	{
		if (!json_is_string(v)) {
			*why = "a post's tags are strings";
			return -1;
		}
	}
	p->indicators = json_object_get(post, "indicators");
	if (!json_is_array(p->indicators)) {
		*why = "a post has its indicators as an array";
		return -1;
	}
	v = json_object_get(post, "anonymous");
	if (!json_is_boolean(v)) {
		*why = "a post says whether it is anonymous";
		return -1;
	}
	p->anonymous = json_is_true(v);
	return 0;
}

static int
stix_org_check(const struct stix_org *org, const char **why)
{
	if (org->id == NULL ||
	    !codec_uuid_valid(org->id, strnlen(org->id, STIX_UUID_LEN + 1))) {
		*why = "an organisation has a UUID as its id";
		return -1;
	}
	if (org->name == NULL || org->name[0] == '\0' ||
	    !codec_utf8_valid(org->name, strlen(org->name))) {
		*why = "an organisation has a name in UTF-8";
		return -1;
	}
	if (!stix_time_valid(org->created)) {
		*why = "an organisation's creation time is UTC with "
		       "milliseconds, like 2026-12-02T05:31:40.123Z";
		return -1;
	}
	return 0;
}

static void
stix_set(json_t *obj, const char *key, json_t *value)
{
	if (json_object_set_new(obj, key, value) != 0)
		fatal("out of memory building a STIX bundle");
}

static void
stix_push(json_t *arr, json_t *value)
{
	if (json_array_append_new(arr, value) != 0)
		fatal("out of memory building a STIX bundle");
}

/* a new string with the bytes of str, which is UTF-8 and may hold NULs */
static json_t *
stix_copy(const json_t *str)
{
	return json_stringn(json_string_value(str), json_string_length(str));
}

/* the common properties of an object of the post, in the spec's order */
static json_t *
stix_sdo(const struct stix_ctx *c, const char *type, const char *id)
{
	json_t *o = json_object();

	stix_set(o, "type", json_string(type));
	stix_set(o, "spec_version", json_string("2.1"));
	stix_set(o, "id", json_string(id));
	if (c->creator != NULL)
		stix_set(o, "created_by_ref", json_string(c->creator));
	stix_set(o, "created", json_string(c->created));
	stix_set(o, "modified", json_string(c->modified));
	return o;
}

static json_t *
stix_marking_refs(const struct stix_ctx *c)
{
	json_t *a = json_array();

	stix_push(a, json_string(c->post->tlp->id));
	return a;
}

/* the marking-definition exactly as OASIS publishes it */
static json_t *
stix_marking(const struct stix_tlp *t)
{
	json_t *o = json_object(), *ext = json_object(), *tlp = json_object();

	stix_set(tlp, "extension_type", json_string("property-extension"));
	stix_set(tlp, "tlp_2_0", json_string(t->level));
	stix_set(ext, STIX_TLP_EXT, tlp);
	stix_set(o, "type", json_string("marking-definition"));
	stix_set(o, "spec_version", json_string("2.1"));
	stix_set(o, "id", json_string(t->id));
	stix_set(o, "created", json_string(STIX_TLP_CREATED));
	stix_set(o, "name", json_string(t->name));
	stix_set(o, "extensions", ext);
	return o;
}

/*
 * Shared by every post of the organisation, so nothing of the post is in it:
 * no marking, and the organisation's own creation time, which stays put as
 * STIX wants of created.  isacd keeps no time of a rename, so a renamed
 * organisation is the same version under its new name.
 */
static json_t *
stix_identity(const struct stix_org *org, const char *id)
{
	json_t *o = json_object();

	stix_set(o, "type", json_string("identity"));
	stix_set(o, "spec_version", json_string("2.1"));
	stix_set(o, "id", json_string(id));
	stix_set(o, "created", json_string(org->created));
	stix_set(o, "modified", json_string(org->created));
	stix_set(o, "name", json_string(org->name));
	stix_set(o, "identity_class", json_string("organization"));
	return o;
}

/*
 * One indicator of the post: a STIX indicator, or a vulnerability for a CVE
 * id.  The same type and value twice in a post is one object.
 */
static int
stix_add_indicator(const struct stix_ctx *c, const json_t *ind, json_t *objects,
    json_t *seen, const char **why)
{
	char canon[INDICATOR_VALUE_MAX + 1], id[STIX_ID_MAX];
	const json_t *type = json_object_get(ind, "type");
	const json_t *value = json_object_get(ind, "value");
	enum indicator_type t;
	const char *v, *tname, *nwhy;
	size_t len;
	json_t *o;

	if (!json_is_string(type) ||
	    strlen(json_string_value(type)) != json_string_length(type) ||
	    indicator_type_parse(json_string_value(type), &t) != 0) {
		*why =
		    "an indicator's type is one of ipv4, ipv6, cidr, domain, "
		    "url, email, md5, sha1, sha256 and cve";
		return -1;
	}
	if (!json_is_string(value)) {
		*why = "an indicator has its value as a string";
		return -1;
	}
	v = json_string_value(value);
	len = json_string_length(value);
	if (indicator_normalise(t, v, len, canon, sizeof(canon), &nwhy) != 0 ||
	    strlen(canon) != len || memcmp(canon, v, len) != 0) {
		*why = "an indicator's value is in its canonical form";
		return -1;
	}
	tname = indicator_type_name(t);
	if (t == IND_CVE)
		stix_id(
		    id, "vulnerability", "vulnerability:%s:%s", c->post->id, v);
	else
		stix_id(id, "indicator", "indicator:%s:%s:%s", c->post->id,
		    tname, v);
	if (json_object_get(seen, id) != NULL)
		return 0;
	stix_set(seen, id, json_true());

	if (t == IND_CVE) {
		json_t *refs = json_array(), *ref = json_object();

		o = stix_sdo(c, "vulnerability", id);
		stix_set(o, "name", json_string(v));
		stix_set(ref, "source_name", json_string("cve"));
		stix_set(ref, "external_id", json_string(v));
		stix_push(refs, ref);
		stix_set(o, "external_references", refs);
	} else {
		char *pattern = stix_pattern(t, v, len);

		o = stix_sdo(c, "indicator", id);
		stix_set(o, "name", json_string(v));
		stix_set(o, "pattern", json_string(pattern));
		stix_set(o, "pattern_type", json_string("stix"));
		stix_set(o, "pattern_version", json_string("2.1"));
		stix_set(o, "valid_from", json_string(c->created));
		free(pattern);
	}
	stix_set(o, "object_marking_refs", stix_marking_refs(c));
	stix_push(objects, o);
	return 0;
}

/* the report for the post, referring to every object in others */
static json_t *
stix_report(const struct stix_ctx *c, json_t *others)
{
	const struct stix_post *p = c->post;
	char id[STIX_ID_MAX];
	json_t *o, *refs = json_array(), *x;
	size_t i;

	stix_id(id, "report", "report:%s", p->id);
	o = stix_sdo(c, "report", id);
	stix_set(o, "name", stix_copy(p->title));
	if (json_string_length(p->body) > 0)
		stix_set(o, "description", stix_copy(p->body));
	if (p->kind->report_type != NULL) {
		json_t *types = json_array();

		stix_push(types, json_string(p->kind->report_type));
		stix_set(o, "report_types", types);
	}
	stix_set(o, "published", json_string(c->created));
	if (json_array_size(p->tags) > 0) {
		json_t *labels = json_array();

		json_array_foreach(p->tags, i, x)
		{
			stix_push(labels, stix_copy(x));
		}
		stix_set(o, "labels", labels);
	}
	json_array_foreach(others, i, x)
	{
		stix_push(refs, json_incref(json_object_get(x, "id")));
	}
	stix_set(o, "object_refs", refs);
	stix_set(o, "object_marking_refs", stix_marking_refs(c));
	return o;
}
