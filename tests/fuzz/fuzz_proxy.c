/*
 * fuzz_proxy.c - libFuzzer target for what a trusted proxy says about the
 * client: the PROXY protocol header, X-Forwarded-For, and the trusted set.
 *
 * The header parser's contract is what lets net/ read a header off a socket
 * without taking a byte past it: PROXY_OK never claims more than it was
 * given nor more than PROXY_MAX_LEN, its prefixes all ask for more, and the
 * same header followed by anything parses the same.  X-Forwarded-For gives
 * back an address that parses as one and is not trusted.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "net/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_header(const uint8_t *data, size_t size)
{
	struct proxy_header h, again;
	enum proxy_status st = proxy_parse(data, size, &h);
	uint8_t *longer;

	switch (st) {
	case PROXY_NEED_MORE:
		assert(size < PROXY_MAX_LEN);
		return;
	case PROXY_NONE:
	case PROXY_BAD:
		return;
	case PROXY_OK:
		break;
	}
	assert(h.len > 0 && h.len <= size && h.len <= PROXY_MAX_LEN);
	assert(h.version == 1 || h.version == 2);
	assert(h.local || h.src.ss_family == AF_INET ||
	    h.src.ss_family == AF_INET6);
	/* exactly the header: the same result without what follows ... */
	assert(proxy_parse(data, h.len, &again) == PROXY_OK);
	assert(again.len == h.len && again.local == h.local);
	assert(memcmp(&again.src, &h.src, sizeof(h.src)) == 0);
	/* ... and with more after it */
	longer = malloc(h.len + 8);
	memcpy(longer, data, h.len);
	memcpy(longer + h.len, "GET / HT", 8);
	assert(proxy_parse(longer, h.len + 8, &again) == PROXY_OK);
	assert(again.len == h.len);
	free(longer);
	/* its prefixes ask for more: no byte past a header is ever read */
	for (size_t cut = 0; cut < h.len; cut += 1 + cut / 4)
		assert(proxy_parse(data, cut, &again) == PROXY_NEED_MORE);
}

static void
check_xff(const uint8_t *data, size_t size, const struct cidr_set *trusted)
{
	char out[PROXY_ADDR_TEXT];
	uint8_t bin[16];
	enum proxy_xff r =
	    proxy_forwarded_for((const char *)data, size, trusted, out);

	if (r != PROXY_XFF_CLIENT) {
		assert(out[0] == '\0');
		return;
	}
	if (strchr(out, ':')) {
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};

		assert(inet_pton(AF_INET6, out, bin) == 1);
		memcpy(&s6.sin6_addr, bin, 16);
		assert(!cidr_set_has(trusted, (struct sockaddr *)&s6));
	} else {
		struct sockaddr_in s4 = {.sin_family = AF_INET};

		assert(inet_pton(AF_INET, out, bin) == 1);
		memcpy(&s4.sin_addr, bin, 4);
		assert(!cidr_set_has(trusted, (struct sockaddr *)&s4));
	}
}

static void
check_set(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	struct cidr_set s;

	memcpy(text, data, size);
	text[size] = '\0';
	if (cidr_set_parse(text, &s, err, sizeof(err)) == 0) {
		assert(s.n <= CIDR_SET_MAX);
		for (size_t i = 0; i < s.n; i++)
			assert(s.v[i].bits <= 128);
		check_xff(data, size, &s);
		cidr_set_free(&s);
	} else {
		assert(s.v == NULL && s.n == 0 && err[0] != '\0');
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cidr_set trusted;
	static int ready;

	if (size > 2 * PROXY_MAX_LEN)
		return 0;
	if (!ready) {
		char err[256];

		if (cidr_set_parse("127.0.0.1, 10.0.0.0/8, 2001:db8::/32",
		        &trusted, err, sizeof(err)) != 0)
			abort();
		ready = 1;
	}
	check_header(data, size);
	check_xff(data, size, &trusted);
	check_set(data, size);
	return 0;
}
