/*
 * fuzz_agency.c - libFuzzer target for the agency's parsers of untrusted
 * input: advisories (create and edit), acknowledgements, articles (create
 * and edit), a questionnaire, answers to it, the filters of the article
 * list and the parameters of the aggregates.
 *
 * The first byte picks the parser; for bodies the rest is decoded as the
 * server decodes them (duplicate keys refused).  What a parser accepts must
 * be what the database takes: enums in range, texts within their bounds,
 * CVE ids in canonical form, array literals well formed, principles 1..5,
 * a questionnaire of the five principles with unique ids and scores
 * 0..100, as many options as questions in answers; every refusal lands in
 * errors as {field, message} strings.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "core/codec.h"
#include "core/mem.h"
#include "domain/indicator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 4100

/* the items of an array literal as api_pg_array writes it; asserts its
 * form.  Returns the count. */
static size_t
literal_items(struct arena *a, const char *s, char **items)
{
	size_t n = 0, len = strlen(s);
	const char *p = s + 1;

	assert(s[0] == '{' && s[len - 1] == '}');
	while (*p != '}') {
		char *out = arena_alloc(a, len), *o = out;

		if (n > 0) {
			assert(*p == ',');
			p++;
		}
		assert(*p == '"');
		for (p++; *p != '"'; p++) {
			assert(*p != '\0');
			if (*p == '\\') {
				p++;
				assert(*p == '"' || *p == '\\');
			}
			*o++ = *p;
		}
		*o = '\0';
		p++;
		assert(n < MAX_ITEMS);
		items[n++] = out;
	}
	assert(p[1] == '\0');
	return n;
}

static void
check_lines(struct arena *a, const char *lit, size_t max_items, char **items)
{
	size_t n = literal_items(a, lit, items);

	assert(n <= max_items);
	for (size_t k = 0; k < n; k++) {
		assert(items[k][0] != '\0');
		for (const char *p = items[k]; *p; p++)
			assert((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
}

static void
fuzz_advisory(json_t *body, bool patch, struct arena *a, json_t *errors)
{
	static char *items[MAX_ITEMS];
	struct advisory_input in;

	api_advisory_parse(body, patch, a, &in, errors);
	if (json_array_size(errors) > 0)
		return;
	if (!patch)
		assert(in.title && in.summary && in.body && in.severity &&
		    in.tlp && in.cves && in.products && in.actions &&
		    in.has_targets);
	if (in.tlp)
		assert(strcmp(in.tlp, "TLP:RED") != 0 &&
		    strcmp(in.tlp, "TLP:AMBER+STRICT") != 0);
	if (in.body)
		assert(strlen(in.body) <= 32768);
	if (in.cves) {
		size_t n = literal_items(a, in.cves, items);
		char canon[INDICATOR_VALUE_MAX + 1];
		const char *why;

		assert(n <= 100);
		for (size_t k = 0; k < n; k++) {
			assert(indicator_normalise(IND_CVE, items[k],
			           strlen(items[k]), canon, sizeof(canon),
			           &why) == 0);
			assert(strcmp(canon, items[k]) == 0);
		}
	}
	if (in.products)
		check_lines(a, in.products, 50, items);
	if (in.actions)
		check_lines(a, in.actions, 20, items);
	if (in.has_targets) {
		size_t nk = literal_items(a, in.target_kinds, items);
		size_t ni;

		assert(nk <= 3);
		ni = literal_items(a, in.target_ids, items);
		assert(ni <= 4000);
		for (size_t k = 0; k < ni; k++)
			assert(codec_uuid_valid(items[k], strlen(items[k])));
		assert(in.target_all || nk > 0 || ni > 0);
	}
}

static void
fuzz_article(json_t *body, bool patch, struct arena *a, json_t *errors)
{
	static char *items[MAX_ITEMS];
	struct article_input in;

	api_article_parse(body, patch, a, &in, errors);
	if (json_array_size(errors) > 0)
		return;
	if (!patch)
		assert(in.slug && api_slug_valid(in.slug) && in.lang &&
		    in.title && in.summary && in.body && in.category &&
		    in.status && in.principles && in.tags);
	else
		assert(in.slug == NULL);
	if (in.translation)
		assert(api_slug_valid(in.translation));
	if (in.principles) {
		size_t len = strlen(in.principles);

		assert(
		    in.principles[0] == '{' && in.principles[len - 1] == '}');
		for (size_t k = 1; k + 1 < len; k++)
			assert((in.principles[k] >= '1' &&
			           in.principles[k] <= '5') ||
			    in.principles[k] == ',');
	}
	if (in.tags) {
		size_t n = literal_items(a, in.tags, items);

		assert(n <= 20);
		for (size_t k = 0; k < n; k++)
			for (const char *p = items[k]; *p; p++)
				assert(!(*p >= 'A' && *p <= 'Z'));
	}
}

static void
fuzz_questionnaire(json_t *body, struct arena *a, json_t *errors)
{
	const char *content = api_questionnaire_parse(body, a, errors);
	json_t *doc, *ps, *p, *q, *o;
	bool seen[6] = {false};
	size_t i, k, m;

	assert((content != NULL) == (json_array_size(errors) == 0));
	if (content == NULL)
		return;
	doc = json_loads(content, JSON_REJECT_DUPLICATES, NULL);
	assert(doc != NULL);
	ps = json_object_get(doc, "principles");
	assert(json_array_size(ps) == 5);
	json_array_foreach(ps, i, p)
	{
		json_int_t n =
		    json_integer_value(json_object_get(p, "principle"));

		assert(n >= 1 && n <= 5 && !seen[n]);
		seen[n] = true;
		json_array_foreach(json_object_get(p, "questions"), k, q)
		{
			json_t *opts = json_object_get(q, "options");

			assert(json_array_size(opts) >= 2);
			json_array_foreach(opts, m, o)
			{
				json_int_t s = json_integer_value(
				    json_object_get(o, "score"));

				assert(s >= 0 && s <= 100);
			}
		}
	}
	json_decref(doc);
}

static void
fuzz_answers(json_t *body, struct arena *a, json_t *errors)
{
	static char *qs[MAX_ITEMS], *os[MAX_ITEMS];
	struct answers_input in;

	api_answers_parse(body, a, &in, errors);
	if (json_array_size(errors) > 0)
		return;
	assert(in.lang && in.version >= 0);
	assert(literal_items(a, in.questions, qs) ==
	    literal_items(a, in.options, os));
}

/* a NUL-separated field of the input, or NULL when it is empty */
static const char *
field(struct arena *a, const uint8_t **p, const uint8_t *end)
{
	const uint8_t *s = *p, *z = memchr(s, '\0', (size_t)(end - s));
	size_t n = z ? (size_t)(z - s) : (size_t)(end - s);

	*p = z ? z + 1 : end;
	return n ? arena_strndup(a, (const char *)s, n) : NULL;
}

static void
fuzz_params(const uint8_t *data, size_t size, struct arena *a)
{
	static const char *const groups[] = {"community_kind", "sector", NULL};
	const uint8_t *p = data, *end = data + size;
	const char *f[4], *group, *bad;
	int weeks;

	for (int i = 0; i < 4; i++)
		f[i] = field(a, &p, end);
	bad = api_aggregate_check(
	    f[0], f[1], groups, "bad group", &weeks, &group);
	if (bad == NULL) {
		assert(weeks >= 1 && weeks <= 52);
		assert(strcmp(group, "community_kind") == 0 ||
		    strcmp(group, "sector") == 0);
	}
	bad = api_articles_check(f[0], f[1], f[2], f[3]);
	if (bad == NULL && f[1] != NULL)
		assert(strlen(f[1]) == 1 && f[1][0] >= '1' && f[1][0] <= '5');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	json_t *body, *errors, *e;
	size_t i;
	int which;

	if (size < 1 || size > 262144)
		return 0;
	which = data[0] % 8;
	a = arena_new(4096);
	if (which == 7) {
		fuzz_params(data + 1, size - 1, a);
		arena_free(a);
		return 0;
	}
	body = json_loadb(
	    (const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (body == NULL || !json_is_object(body)) {
		json_decref(body);
		arena_free(a);
		return 0;
	}
	errors = json_array();
	switch (which) {
	case 0:
	case 1:
		fuzz_advisory(body, which == 1, a, errors);
		break;
	case 2: {
		struct ack_input in;

		api_ack_parse(body, &in, errors);
		if (json_array_size(errors) == 0)
			assert(in.status != NULL);
		break;
	}
	case 3:
	case 4:
		fuzz_article(body, which == 4, a, errors);
		break;
	case 5:
		fuzz_questionnaire(body, a, errors);
		break;
	default:
		fuzz_answers(body, a, errors);
		break;
	}
	json_array_foreach(errors, i, e)
	{
		assert(json_is_string(json_object_get(e, "field")));
		assert(json_is_string(json_object_get(e, "message")));
	}
	json_decref(errors);
	json_decref(body);
	arena_free(a);
	return 0;
}
