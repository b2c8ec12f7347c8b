/*
 * fuzz_indicator.c - libFuzzer target for indicator validation.
 *
 * The first byte picks the type, the rest is the value (copied to a buffer
 * of its exact size, so a read past len is caught by ASan).  Whatever comes
 * in: the output is NUL-terminated and within INDICATOR_VALUE_MAX, an
 * accepted value is a fixed point of normalisation, a refusal gives a
 * reason.  IPv4 and IPv6 acceptance is also checked against glibc's
 * inet_pton, which is as strict (no leading zeros, no short forms), and the
 * canonical IPv6 must be the same address.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/indicator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_against_inet(
    enum indicator_type t, const char *in, size_t len, int rc, const char *out);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[INDICATOR_VALUE_MAX + 1], again[INDICATOR_VALUE_MAX + 1];
	char v4[16];
	enum indicator_type t;
	const char *why = NULL;
	char *in;
	size_t len;
	int rc;

	if (size < 1 || size > INDICATOR_VALUE_MAX + 2)
		return 0;
	t = (enum indicator_type)(data[0] % INDICATOR_TYPES);
	len = size - 1;
	in = malloc(len > 0 ? len : 1);
	assert(in != NULL);
	memcpy(in, data + 1, len);
	memset(out, 0xa5, sizeof(out));

	rc = indicator_normalise(t, in, len, out, sizeof(out), &why);
	assert(memchr(out, '\0', sizeof(out)) != NULL);
	if (rc == 0) {
		size_t olen = strlen(out);

		assert(olen > 0 && olen <= INDICATOR_VALUE_MAX);
		assert(indicator_normalise(
		           t, out, olen, again, sizeof(again), &why) == 0);
		assert(strcmp(again, out) == 0);
		if (t == IND_IPV6 &&
		    indicator_ipv4_of_mapped(out, v4, sizeof(v4)) == 0)
			assert(strncmp(out, "::ffff:", 7) == 0 &&
			    strcmp(out + 7, v4) == 0);
	} else {
		assert(rc == -1);
		assert(why != NULL && why[0] != '\0');
		assert(out[0] == '\0');
	}
	fuzz_against_inet(t, in, len, rc, out);
	free(in);
	return 0;
}

static void
fuzz_against_inet(
    enum indicator_type t, const char *in, size_t len, int rc, const char *out)
{
	char z[64];
	uint8_t a[16], b[16];
	int af;

	if (t != IND_IPV4 && t != IND_IPV6)
		return;
	if (len >= sizeof(z) || memchr(in, '\0', len) != NULL)
		return;
	memcpy(z, in, len);
	z[len] = '\0';
	af = t == IND_IPV4 ? AF_INET : AF_INET6;
	assert((rc == 0) == (inet_pton(af, z, a) == 1));
	if (rc == 0) {
		assert(inet_pton(af, out, b) == 1);
		assert(memcmp(a, b, t == IND_IPV4 ? 4 : 16) == 0);
	}
}
