/*
 * password.c - policy checks over the embedded common-password list, and
 * argon2id through libargon2.
 *
 * The list is the embedded, sorted, lower-cased text; it is split once into
 * an array of line pointers (pthread_once) and searched with bsearch.
 */
#include "domain/password.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/embedded.h"
#include "core/mem.h"
#include "core/secret.h"

#define PASSWORD_SALT_LEN 16
#define PASSWORD_TAG_LEN  32

/*
 * argon2 needs m KiB of scratch memory per hash.  Left to malloc, 19-46 MiB
 * are mmap'ed and munmap'ed for every hash: thousands of page faults, and
 * TLB-shootdown interrupts that reach the event loop's core.  Each thread
 * keeps one buffer instead and reuses it (freed when the thread exits).
 */
static pthread_once_t password_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t password_key;

struct password_scratch {
	uint8_t *mem;
	size_t size;
};

static void password_scratch_free(void *p);
static void password_key_init(void);
static int password_alloc(uint8_t **memory, size_t bytes);
static void password_dealloc(uint8_t *memory, size_t bytes);
static int password_argon2(const char *pw, size_t len,
    const struct password_params *pp, const uint8_t *salt, size_t saltlen,
    uint8_t *out, size_t outlen);
static void password_b64(char *dst, const uint8_t *src, size_t n);
static int password_decode(const char *enc, struct password_params *pp,
    uint8_t salt[64], long *slen, uint8_t tag[64], long *tlen);

static pthread_once_t password_list_once = PTHREAD_ONCE_INIT;
static char *password_list_buf;
static const char **password_list;
static size_t password_list_n;

static void password_list_init(void);
static int password_list_cmp(const void *key, const void *elem);
static bool password_contains_ci(
    const char *hay, size_t hlen, const char *needle, size_t nlen);
static bool password_lookup(const char *s, size_t n);

int
password_policy_check(const char *pw, size_t len, const char *email,
    const char *name, const char **why)
{
	unsigned char seen[256] = {0};
	int distinct = 0;

	if (len > PASSWORD_MAX_BYTES) {
		*why = "the password must be at most 1024 bytes";
		return -1;
	}
	if (!codec_utf8_valid(pw, len)) {
		*why = "the password must be valid UTF-8 text";
		return -1;
	}
	if (codec_utf8_len(pw, len) < PASSWORD_MIN_CHARS) {
		*why = "the password must be at least 12 characters";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)pw[i]);

		if (!seen[c]++)
			distinct++;
	}
	if (distinct < 5) {
		*why = "the password repeats too few different characters";
		return -1;
	}
	if (password_is_common(pw, len)) {
		*why = "the password is too common; choose a longer passphrase";
		return -1;
	}
	if (email != NULL) {
		const char *at = strchr(email, '@');
		size_t llen = at ? (size_t)(at - email) : strlen(email);

		if (llen >= 3 && password_contains_ci(pw, len, email, llen)) {
			*why = "the password must not contain your e-mail name";
			return -1;
		}
	}
	if (name != NULL) {
		const char *p = name;

		while (*p) {
			size_t wl;

			while (
			    *p == ' ' || *p == '\t' || *p == '-' || *p == '.')
				p++;
			wl = strcspn(p, " \t-.");
			if (wl >= 3 && password_contains_ci(pw, len, p, wl)) {
				*why =
				    "the password must not contain your name";
				return -1;
			}
			p += wl;
		}
	}
	return 0;
}

bool
password_is_common(const char *pw, size_t len)
{
	size_t s = 0, e = len;

	if (password_lookup(pw, len))
		return true;
	/* "Password2024!" is "password" with decoration */
	while (s < e && !isalpha((unsigned char)pw[s]))
		s++;
	while (e > s && !isalpha((unsigned char)pw[e - 1]))
		e--;
	return e - s >= 4 && (s > 0 || e < len) &&
	    password_lookup(pw + s, e - s);
}

int
password_hash(const char *pw, size_t len, const struct password_params *pp,
    char *out, size_t outcap)
{
	uint8_t salt[PASSWORD_SALT_LEN], tag[PASSWORD_TAG_LEN];
	char s64[64], t64[64];
	int n;

	secret_random(salt, sizeof(salt));
	if (password_argon2(
	        pw, len, pp, salt, sizeof(salt), tag, sizeof(tag)) != 0)
		return -1;
	password_b64(s64, salt, sizeof(salt));
	password_b64(t64, tag, sizeof(tag));
	n = snprintf(out, outcap, "$argon2id$v=%d$m=%u,t=%u,p=%u$%s$%s",
	    ARGON2_VERSION_NUMBER, pp->m_kib, pp->t, pp->p, s64, t64);
	OPENSSL_cleanse(tag, sizeof(tag));
	return n > 0 && (size_t)n < outcap ? 0 : -1;
}

int
password_verify(const char *encoded, const char *pw, size_t len)
{
	struct password_params pp;
	uint8_t salt[64], want[64], got[64];
	long slen, tlen;
	int rc;

	if (password_decode(encoded, &pp, salt, &slen, want, &tlen) != 0)
		return -1;
	if (password_argon2(
	        pw, len, &pp, salt, (size_t)slen, got, (size_t)tlen) != 0)
		return -1;
	rc = secret_equal(got, want, (size_t)tlen) ? 1 : 0;
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

bool
password_needs_rehash(const char *encoded, const struct password_params *pp)
{
	unsigned v, m, t, p;

	if (sscanf(encoded, "$argon2id$v=%u$m=%u,t=%u,p=%u$", &v, &m, &t, &p) !=
	    4)
		return true;
	return v != ARGON2_VERSION_NUMBER || m != pp->m_kib || t != pp->t ||
	    p != pp->p;
}

static void
password_list_init(void)
{
	size_t n = 0, cap = 4096;
	char *p, *end;

	password_list_buf = xstrndup((const char *)embedded_common_passwords,
	    embedded_common_passwords_len);
	password_list = xcalloc(cap, sizeof(char *));
	p = password_list_buf;
	end = p + embedded_common_passwords_len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl)
			*nl = '\0';
		if (*p) {
			if (n == cap) {
				cap *= 2;
				password_list = xrealloc(
				    password_list, cap * sizeof(char *));
			}
			password_list[n++] = p;
		}
		p = nl ? nl + 1 : end;
	}
	password_list_n = n;
}

struct password_key {
	const char *s;
	size_t n;
};

static int
password_list_cmp(const void *key, const void *elem)
{
	const struct password_key *k = key;
	const unsigned char *e = *(const unsigned char *const *)elem;
	size_t i;

	for (i = 0; i < k->n && e[i]; i++) {
		unsigned char c =
		    (unsigned char)tolower((unsigned char)k->s[i]);

		if (c != e[i])
			return c < e[i] ? -1 : 1;
	}
	if (i == k->n)
		return e[i] ? -1 : 0;
	return 1;
}

static bool
password_lookup(const char *s, size_t n)
{
	struct password_key k = {s, n};

	pthread_once(&password_list_once, password_list_init);
	return bsearch(&k, password_list, password_list_n, sizeof(char *),
	           password_list_cmp) != NULL;
}

static bool
password_contains_ci(
    const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0 || nlen > hlen)
		return false;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t k = 0;

		while (k < nlen &&
		    tolower((unsigned char)hay[i + k]) ==
		        tolower((unsigned char)needle[k]))
			k++;
		if (k == nlen)
			return true;
	}
	return false;
}

static void
password_scratch_free(void *p)
{
	struct password_scratch *sc = p;

	if (sc == NULL)
		return;
	OPENSSL_cleanse(sc->mem, sc->size);
	free(sc->mem);
	free(sc);
}

static void
password_key_init(void)
{
	if (pthread_key_create(&password_key, password_scratch_free) != 0)
		fatal("pthread_key_create failed");
}

static int
password_alloc(uint8_t **memory, size_t bytes)
{
	struct password_scratch *sc = pthread_getspecific(password_key);

	if (sc == NULL) {
		sc = xcalloc(1, sizeof(*sc));
		pthread_setspecific(password_key, sc);
	}
	if (sc->size < bytes) {
		free(sc->mem);
		sc->mem = xmalloc(bytes);
		sc->size = bytes;
	}
	*memory = sc->mem;
	return ARGON2_OK;
}

static void
password_dealloc(uint8_t *memory, size_t bytes)
{
	/* kept for the next hash on this thread */
	(void)memory;
	(void)bytes;
}

void
password_thread_release(void)
{
	struct password_scratch *sc;

	pthread_once(&password_key_once, password_key_init);
	sc = pthread_getspecific(password_key);
	pthread_setspecific(password_key, NULL);
	password_scratch_free(sc);
}

static int
password_argon2(const char *pw, size_t len, const struct password_params *pp,
    const uint8_t *salt, size_t saltlen, uint8_t *out, size_t outlen)
{
	argon2_context ctx;

	pthread_once(&password_key_once, password_key_init);
	memset(&ctx, 0, sizeof(ctx));
	ctx.out = out;
	ctx.outlen = (uint32_t)outlen;
	ctx.pwd = (uint8_t *)(uintptr_t)pw;
	ctx.pwdlen = (uint32_t)len;
	ctx.salt = (uint8_t *)(uintptr_t)salt;
	ctx.saltlen = (uint32_t)saltlen;
	ctx.t_cost = pp->t;
	ctx.m_cost = pp->m_kib;
	ctx.lanes = pp->p;
	ctx.threads = pp->p;
	ctx.version = ARGON2_VERSION_NUMBER;
	ctx.allocate_cbk = password_alloc;
	ctx.free_cbk = password_dealloc;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	return argon2_ctx(&ctx, Argon2_id) == ARGON2_OK ? 0 : -1;
}

/* PHC strings use standard base64 without padding. */
static void
password_b64(char *dst, const uint8_t *src, size_t n)
{
	size_t o = codec_base64(dst, src, n);

	while (o > 0 && dst[o - 1] == '=')
		dst[--o] = '\0';
}

static long
password_unb64(uint8_t *dst, size_t cap, const char *src, size_t n)
{
	char tmp[128];

	if (n >= sizeof(tmp))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (src[i] == '-' || src[i] == '_')
			return -1;
		tmp[i] = src[i] == '+' ? '-' : src[i] == '/' ? '_' : src[i];
	}
	return codec_base64url_decode(dst, cap, tmp, n);
}

/* "$argon2id$v=19$m=M,t=T,p=P$SALT$TAG" with bounded parameters. */
static int
password_decode(const char *enc, struct password_params *pp, uint8_t salt[64],
    long *slen, uint8_t tag[64], long *tlen)
{
	unsigned v, m, t, p;
	int off = 0;
	const char *s, *d;

	if (sscanf(enc, "$argon2id$v=%u$m=%u,t=%u,p=%u$%n", &v, &m, &t, &p,
	        &off) != 4 ||
	    off == 0)
		return -1;
	if (v != ARGON2_VERSION_NUMBER || m < 8 || m > (4u << 20) || t < 1 ||
	    t > 100 || p < 1 || p > 16)
		return -1;
	s = enc + off;
	d = strchr(s, '$');
	if (d == NULL)
		return -1;
	*slen = password_unb64(salt, 64, s, (size_t)(d - s));
	*tlen = password_unb64(tag, 64, d + 1, strlen(d + 1));
	if (*slen < 8 || *tlen < 16)
		return -1;
	pp->m_kib = m;
	pp->t = t;
	pp->p = p;
	return 0;
}
