/*
 * fuzz_post.c - libFuzzer target for the post-body decoder and validator.
 *
 * The first byte chooses create or edit; the rest is decoded as the server
 * decodes bodies (duplicate keys refused) and, when it is an object, given
 * to api_post_parse.  What it accepts must be what the database will take:
 * the enums in range, title and body within their bounds, at most 20
 * lower-case tags, recipients that are UUIDs, indicators in canonical form
 * (a fixed point of indicator_normalise), array literals well formed; every
 * refusal lands in errors as {field, message} strings.
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

#define MAX_ITEMS 600

/*
 * Split a PostgreSQL array literal as api_pg_array writes it
 * ({"..","..."}, quotes and backslashes escaped) into unescaped items in
 * arena memory; asserts it is well formed.  Returns the count.
 */
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct post_input in;
	struct arena *a;
	json_t *body, *errors, *e;
	bool patch;
	size_t i;

	if (size < 1 || size > 131072)
		return 0;
	patch = data[0] & 1;
	body = json_loadb(
	    (const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (body == NULL)
		return 0;
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	a = arena_new(4096);
	errors = json_array();
	api_post_parse(body, patch, a, &in, errors);
	if (json_array_size(errors) == 0) {
		static char *items[MAX_ITEMS], *vals[MAX_ITEMS];
		char canon[INDICATOR_VALUE_MAX + 1];
		const char *why;
		enum indicator_type t;
		size_t n;

		if (!patch)
			assert(in.kind && in.title && in.body && in.tlp &&
			    in.tags && in.recipients && in.ind_types);
		if (in.title)
			assert(
			    codec_utf8_len(in.title, strlen(in.title)) <= 200);
		if (in.body)
			assert(strlen(in.body) <= 65536);
		if (in.tags) {
			n = literal_items(a, in.tags, items);
			assert(n <= 20);
			for (size_t k = 0; k < n; k++)
				for (const char *p = items[k]; *p; p++)
					assert(!(*p >= 'A' && *p <= 'Z'));
		}
		if (in.recipients) {
			n = literal_items(a, in.recipients, items);
			assert(n <= 200);
			for (size_t k = 0; k < n; k++)
				assert(codec_uuid_valid(
				    items[k], strlen(items[k])));
		}
		if (in.ind_types) {
			assert(in.ind_values != NULL);
			n = literal_items(a, in.ind_types, items);
			assert(n <= 500);
			assert(literal_items(a, in.ind_values, vals) == n);
			/* stored values are canonical: normalising is a no-op
			 */
			for (size_t k = 0; k < n; k++) {
				assert(indicator_type_parse(items[k], &t) == 0);
				assert(indicator_normalise(t, vals[k],
				           strlen(vals[k]), canon,
				           sizeof(canon), &why) == 0);
				assert(strcmp(canon, vals[k]) == 0);
			}
		}
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
