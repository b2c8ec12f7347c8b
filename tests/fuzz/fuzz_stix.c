/*
 * fuzz_stix.c - libFuzzer target for the STIX export.
 *
 * The first byte chooses the TLP (bits 0-2), anonymity (bit 3), whether an
 * organisation is passed (bit 4) and the kind (bits 5-7).  The rest is split
 * at 0xff bytes (never part of UTF-8) into the title, the body and then one
 * indicator per piece, whose first byte picks the type; with its bit 7 clear
 * the value is normalised first (and dropped if refused), with it set the
 * bytes go in as they are.  The bundle must be made exactly when every value
 * is canonical and no organisation is named for an anonymous post, and then:
 * it is JSON; the report comes first and refers to every other object, all
 * ids distinct; each indicator (deduplicated, in post order) is its pattern
 * or its vulnerability; each pattern is well formed in the grammar subset
 * we emit and its string literal unescapes to the value; the post's marking
 * is the TLP's; an anonymous post has no identity and no created_by_ref.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/codec.h"
#include "core/mem.h"
#include "domain/indicator.h"
#include "domain/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_INDICATORS 64
#define CREATED        "2026-12-02T05:31:40.123Z"
#define MODIFIED       "2026-12-02T06:00:00.000Z"

/* an indicator as it went in */
struct want {
	enum indicator_type type;
	char *value;
	size_t len;
};

static size_t split(const uint8_t *p, size_t n, const uint8_t **pieces,
    size_t *lens, size_t max);
static json_t *text_or(const uint8_t *p, size_t n, const char *fallback);
static bool ident(const char **s, bool hyphen);
static char *literal(const char **s, size_t *len);
static char *pattern_check(const char *pattern, char **path, size_t *len);
static const char *path_of(const struct want *w);
static bool same_string(json_t *v, const char *s, size_t len);
static void check_bundle(const char *text, const char *title, size_t tlen,
    const char *tlp, bool named, struct want *w, size_t nw);

static const char *const tlps[] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"};
static const char *const kinds[] = {"incident", "vulnerability", "advisory",
    "indicators", "question", "discussion"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct stix_org org = {
	    "5d3c1f7a-2b4e-4c6d-8e9f-0a1b2c3d4e5f", "Example Bank", CREATED};
	const uint8_t *pieces[MAX_INDICATORS + 2];
	size_t lens[MAX_INDICATORS + 2], n, nw = 0;
	struct want w[MAX_INDICATORS];
	const char *tlp, *why = NULL;
	json_t *post, *inds, *title;
	bool anonymous, named, canonical = true;
	char *out = NULL;
	int rc;

	if (size < 1 || size > 65536)
		return 0;
	tlp = tlps[(data[0] & 7) % 5];
	anonymous = (data[0] & 8) != 0;
	named = (data[0] & 16) != 0;
	n = split(data + 1, size - 1, pieces, lens, MAX_INDICATORS + 2);
	title = n > 0 ? text_or(pieces[0], lens[0], "t") : json_string("t");
	inds = json_array();
	for (size_t i = 2; i < n; i++) {
		char canon[INDICATOR_VALUE_MAX + 1],
		    again[INDICATOR_VALUE_MAX + 1];
		const char *value = (const char *)pieces[i] + 1;
		size_t len = lens[i] - 1;
		json_t *v;

		if (lens[i] == 0)
			continue;
		w[nw].type = (enum indicator_type)(
		    (pieces[i][0] & 0x7f) % INDICATOR_TYPES);
		if (!(pieces[i][0] & 0x80)) {
			if (indicator_normalise(w[nw].type, value, len, canon,
			        sizeof(canon), &why) != 0)
				continue;
			value = canon;
			len = strlen(canon);
		}
		v = json_stringn(value, len);
		if (v == NULL) /* not UTF-8: jansson would not hold it */
			continue;
		if (indicator_normalise(w[nw].type, value, len, again,
		        sizeof(again), &why) != 0 ||
		    strlen(again) != len || memcmp(again, value, len) != 0)
			canonical = false;
		json_array_append_new(inds,
		    json_pack("{s:s, s:o}", "type",
		        indicator_type_name(w[nw].type), "value", v));
		w[nw].value = xstrndup(value, len);
		w[nw].len = len;
		nw++;
	}
	post = json_pack("{s:s, s:s, s:o, s:o, s:s, s:[s], s:o, s:b}", "id",
	    "0b5c4a6e-8f0d-4c1e-9a7b-3d2f1e0c9b8a", "kind",
	    kinds[(data[0] >> 5) % 6], "title", title, "body",
	    n > 1 ? text_or(pieces[1], lens[1], "") : json_string(""), "tlp",
	    tlp, "tags", "fuzz", "indicators", inds, "anonymous", anonymous);
	assert(post != NULL);

	rc = stix_bundle(
	    post, CREATED, MODIFIED, named ? &org : NULL, &out, &why);
	if (canonical && !(anonymous && named)) {
		assert(rc == 0 && out != NULL);
		check_bundle(out,
		    json_string_value(json_object_get(post, "title")),
		    json_string_length(json_object_get(post, "title")), tlp,
		    named, w, nw);
	} else {
		assert(rc == -1 && out == NULL);
		assert(why != NULL && why[0] != '\0');
	}
	free(out);
	for (size_t i = 0; i < nw; i++)
		free(w[i].value);
	json_decref(post);
	return 0;
}

/* cut p[0..n) at 0xff bytes; at most max pieces, the last takes the rest */
static size_t
split(const uint8_t *p, size_t n, const uint8_t **pieces, size_t *lens,
    size_t max)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n && k < max; i++) {
		if (i == n || (p[i] == 0xff && k + 1 < max)) {
			pieces[k] = p + start;
			lens[k++] = i - start;
			start = i + 1;
		}
	}
	return k;
}

static json_t *
text_or(const uint8_t *p, size_t n, const char *fallback)
{
	json_t *s = json_stringn((const char *)p, n);

	return s != NULL ? s : json_string(fallback);
}

/* [a-zA-Z_][a-zA-Z0-9_]*, with '-' too where hyphen */
static bool
ident(const char **s, bool hyphen)
{
	const char *p = *s;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	        *p == '_'))
		return false;
	for (p++; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	     (*p >= '0' && *p <= '9') || *p == '_' || (hyphen && *p == '-');
	     p++)
		;
	*s = p;
	return true;
}

/* a StringLiteral: '...' with \' and \\ only; its unescaped bytes */
static char *
literal(const char **s, size_t *len)
{
	const char *p = *s;
	char *out, *o;

	if (*p != '\'')
		return NULL;
	out = xmalloc(strlen(p) + 1);
	o = out;
	for (p++; *p != '\''; p++) {
		if (*p == '\0') {
			free(out);
			return NULL;
		}
		if (*p == '\\') {
			p++;
			if (*p != '\'' && *p != '\\') {
				free(out);
				return NULL;
			}
		}
		*o++ = *p;
	}
	*s = p + 1;
	*len = (size_t)(o - out);
	return out;
}

/*
 * The subset of the STIX patterning grammar we emit:
 *   '[' objectType ':' ident ('.' (ident | StringLiteral))* ' '* '=' ' '*
 *   StringLiteral ']' EOF
 * Returns the literal's unescaped value (malloc'd) and the object path text
 * in *path (malloc'd), or NULL if the pattern is not of that form.
 */
static char *
pattern_check(const char *pattern, char **path, size_t *len)
{
	const char *p = pattern, *start;
	char *v, *step;
	size_t slen;

	if (*p++ != '[')
		return NULL;
	start = p;
	if (!ident(&p, true) || *p++ != ':' || !ident(&p, false))
		return NULL;
	while (*p == '.') {
		p++;
		if (*p == '\'') {
			step = literal(&p, &slen);
			if (step == NULL)
				return NULL;
			free(step);
		} else if (!ident(&p, false)) {
			return NULL;
		}
	}
	*path = xstrndup(start, (size_t)(p - start));
	while (*p == ' ')
		p++;
	if (*p++ != '=')
		goto fail;
	while (*p == ' ')
		p++;
	v = literal(&p, len);
	if (v == NULL)
		goto fail;
	if (p[0] != ']' || p[1] != '\0') {
		free(v);
		goto fail;
	}
	return v;
fail:
	free(*path);
	*path = NULL;
	return NULL;
}

static const char *
path_of(const struct want *w)
{
	switch (w->type) {
	case IND_IPV4:
		return "ipv4-addr:value";
	case IND_IPV6:
		return "ipv6-addr:value";
	case IND_CIDR:
		return memchr(w->value, ':', w->len) ? "ipv6-addr:value"
		                                     : "ipv4-addr:value";
	case IND_DOMAIN:
		return "domain-name:value";
	case IND_URL:
		return "url:value";
	case IND_EMAIL:
		return "email-addr:value";
	case IND_MD5:
		return "file:hashes.'MD5'";
	case IND_SHA1:
		return "file:hashes.'SHA-1'";
	case IND_SHA256:
		return "file:hashes.'SHA-256'";
	default:
		return NULL;
	}
}

static bool
same_string(json_t *v, const char *s, size_t len)
{
	return json_is_string(v) && json_string_length(v) == len &&
	    memcmp(json_string_value(v), s, len) == 0;
}

static void
check_bundle(const char *text, const char *title, size_t tlen, const char *tlp,
    bool named, struct want *w, size_t nw)
{
	json_t *b =
	    json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	json_t *objs, *report, *refs, *o;
	const char *marking = stix_tlp_marking_id(tlp);
	size_t i, next = 1;

	assert(b != NULL);
	assert(same_string(json_object_get(b, "type"), "bundle", 6));
	objs = json_object_get(b, "objects");
	assert(json_array_size(objs) >= 2);
	report = json_array_get(objs, 0);
	assert(same_string(json_object_get(report, "type"), "report", 6));
	assert(same_string(json_object_get(report, "name"), title, tlen));
	refs = json_object_get(report, "object_refs");
	assert(json_array_size(refs) == json_array_size(objs) - 1);
	json_array_foreach(objs, i, o)
	{
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *type =
		    json_string_value(json_object_get(o, "type"));
		json_t *mrefs = json_object_get(o, "object_marking_refs");

		assert(id != NULL && type != NULL);
		assert(strncmp(id, type, strlen(type)) == 0 &&
		    strncmp(id + strlen(type), "--", 2) == 0 &&
		    codec_uuid_valid(
		        id + strlen(type) + 2, strlen(id + strlen(type) + 2)));
		for (size_t j = 0; j < i; j++)
			assert(strcmp(id,
			           json_string_value(json_object_get(
			               json_array_get(objs, j), "id"))) != 0);
		if (i > 0)
			assert(strcmp(id,
			           json_string_value(
			               json_array_get(refs, i - 1))) == 0);
		if (!named)
			assert(json_object_get(o, "created_by_ref") == NULL);
		if (strcmp(type, "marking-definition") == 0) {
			assert(strcmp(id, marking) == 0);
			assert(i == json_array_size(objs) - 1);
			continue;
		}
		if (strcmp(type, "identity") == 0) {
			assert(named && i == 1);
			next = 2;
			continue;
		}
		assert(json_array_size(mrefs) == 1 &&
		    strcmp(json_string_value(json_array_get(mrefs, 0)),
		        marking) == 0);
	}
	assert(!named ||
	    strcmp(json_string_value(
	               json_object_get(json_array_get(objs, 1), "type")),
	        "identity") == 0);

	/* the indicators in post order, each distinct (type, value) once */
	for (size_t k = 0; k < nw; k++) {
		bool dup = false;
		json_t *name;

		for (size_t j = 0; j < k && !dup; j++)
			dup = w[j].type == w[k].type && w[j].len == w[k].len &&
			    memcmp(w[j].value, w[k].value, w[k].len) == 0;
		if (dup)
			continue;
		o = json_array_get(objs, next++);
		assert(o != NULL);
		name = json_object_get(o, "name");
		assert(same_string(name, w[k].value, w[k].len));
		if (w[k].type == IND_CVE) {
			assert(same_string(
			    json_object_get(o, "type"), "vulnerability", 13));
		} else {
			char *path = NULL, *v;
			size_t len = 0;

			assert(same_string(
			    json_object_get(o, "type"), "indicator", 9));
			v = pattern_check(
			    json_string_value(json_object_get(o, "pattern")),
			    &path, &len);
			assert(v != NULL);
			assert(strcmp(path, path_of(&w[k])) == 0);
			assert(
			    len == w[k].len && memcmp(v, w[k].value, len) == 0);
			free(v);
			free(path);
		}
	}
	assert(next == json_array_size(objs) - 1);
	json_decref(b);
}
