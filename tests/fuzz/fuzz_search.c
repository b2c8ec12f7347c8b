/*
 * fuzz_search.c - libFuzzer target for the query parameters of GET /search
 * and of every list: q, community_id, kind, tlp, since, limit and cursor.
 *
 * The input is the query string as it follows '?' in the request target
 * (percent-escapes and all), given to api_search_check and to
 * api_list_check for each kind of cursor, as the server does.  What they
 * accept must be what the SQL will take: q valid UTF-8 of 1 to 500
 * characters without control characters, community_id a lower-case UUID,
 * kind and tlp from their lists, since RFC 3339, limit 1 to 200, and a
 * cursor whose parts have the shape of their column (a number, a time, a
 * UUID).  An accepted cursor, written back as the server writes one, must
 * parse to the same parts; a refusal gives the 400 detail.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "core/codec.h"
#include "core/mem.h"
#include "http/http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const kinds[] = {"incident", "vulnerability", "advisory",
    "indicators", "question", "discussion", NULL};
static const char *const tlps[] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", NULL};

static bool
only(const char *s, const char *set)
{
	return s[0] != '\0' && strspn(s, set) == strlen(s);
}

static void
check_search(struct http_req *r)
{
	const char *lead[6] = {"user"};
	const char *why = api_search_check(r, lead);
	size_t n;

	if (why != NULL) {
		assert(why[0] != '\0');
		return;
	}
	assert(lead[1] != NULL);
	n = strlen(lead[1]);
	assert(codec_utf8_valid(lead[1], n));
	assert(codec_utf8_len(lead[1], n) >= 1);
	assert(codec_utf8_len(lead[1], n) <= 500);
	for (size_t i = 0; i < n; i++)
		assert((unsigned char)lead[1][i] >= 0x20 &&
		    (unsigned char)lead[1][i] != 0x7f);
	if (lead[2] != NULL) {
		assert(codec_uuid_valid(lead[2], strlen(lead[2])));
		assert(strpbrk(lead[2], "ABCDEF") == NULL);
	}
	assert(lead[3] == NULL || api_in(lead[3], kinds));
	assert(lead[4] == NULL || api_in(lead[4], tlps));
	assert(lead[5] == NULL || api_rfc3339(lead[5]));
}

/* the cursor the server would hand out for these parts, as a query */
static char *
cursor_query(struct arena *a, enum api_cursor kind, const char *cur[4])
{
	char *key, *q;
	size_t len;

	if (kind == CURSOR_ID)
		key = arena_strdup(a, cur[1]);
	else if (cur[2] != NULL)
		key = arena_printf(
		    a, "%s|%s|%s|%s", cur[0], cur[1], cur[2], cur[3]);
	else
		key = arena_printf(a, "%s|%s", cur[0], cur[1]);
	len = strlen(key);
	q = arena_alloc(a, 8 + len * 4 / 3 + 4);
	memcpy(q, "cursor=", 7);
	q[7 + codec_base64url(q + 7, (const uint8_t *)key, len)] = '\0';
	return q;
}

static void
check_list(struct http_req *r, enum api_cursor kind)
{
	const char *cur[4], *again[4];
	const char *why;
	struct http_req r2;
	int limit, limit2;

	why = api_list_check(r, kind, &limit, cur);
	if (why != NULL) {
		assert(why[0] != '\0');
		return;
	}
	assert(limit >= 1 && limit <= 200);
	if (cur[1] == NULL) {
		assert(cur[0] == NULL && cur[2] == NULL && cur[3] == NULL);
		return;
	}
	switch (kind) {
	case CURSOR_ID:
		assert(cur[0] == NULL && cur[2] == NULL && cur[3] == NULL);
		assert(only(cur[1], "0123456789") && strlen(cur[1]) <= 18);
		break;
	case CURSOR_TIME:
		assert(cur[2] == NULL && cur[3] == NULL);
		assert(only(cur[0], "0123456789-:. +"));
		assert(codec_uuid_valid(cur[1], strlen(cur[1])));
		break;
	case CURSOR_RANK:
		assert(only(cur[0], "0123456789.e-+"));
		assert(codec_uuid_valid(cur[1], strlen(cur[1])));
		assert((cur[2] == NULL) == (cur[3] == NULL));
		if (cur[2] != NULL) {
			assert(only(cur[2], "0123456789-:. +"));
			assert(codec_uuid_valid(cur[3], strlen(cur[3])));
		}
		break;
	}
	/* written back as the server writes it, it reads the same */
	memset(&r2, 0, sizeof(r2));
	r2.arena = r->arena;
	r2.head.query = cursor_query(r->arena, kind, cur);
	r2.head.query_len = strlen(r2.head.query);
	why = api_list_check(&r2, kind, &limit2, again);
	assert(why == NULL && limit2 == 50);
	for (int i = 0; i < 4; i++)
		assert((cur[i] == NULL && again[i] == NULL) ||
		    (cur[i] != NULL && again[i] != NULL &&
		        strcmp(cur[i], again[i]) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	struct arena *a;
	char *q;

	if (size > 16384)
		return 0;
	a = arena_new(4096);
	/* a copy of exactly its size: a read past the end is caught */
	q = malloc(size > 0 ? size : 1);
	memcpy(q, data, size);
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.head.query = q;
	r.head.query_len = size;
	check_search(&r);
	check_list(&r, CURSOR_TIME);
	check_list(&r, CURSOR_RANK);
	check_list(&r, CURSOR_ID);
	free(q);
	arena_free(a);
	return 0;
}
