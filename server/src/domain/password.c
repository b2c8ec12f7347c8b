/*
 * password.c - policy checks over the embedded common-password list, and
 * argon2id through libargon2.
 *
 * The list is the embedded, sorted, lower-cased text; it is split once into
 * an array of line pointers (pthread_once) and searched with bsearch.
 */
#include "domain/password.h"

#include <argon2.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/embedded.h"
#include "core/mem.h"
#include "core/secret.h"

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
	uint8_t salt[16];
	int rc;

	secret_random(salt, sizeof(salt));
	if (argon2_encodedlen(
	        pp->t, pp->m_kib, pp->p, sizeof(salt), 32, Argon2_id) > outcap)
		return -1;
	rc = argon2id_hash_encoded(pp->t, pp->m_kib, pp->p, pw, len, salt,
	    sizeof(salt), 32, out, outcap);
	return rc == ARGON2_OK ? 0 : -1;
}

int
password_verify(const char *encoded, const char *pw, size_t len)
{
	int rc = argon2id_verify(encoded, pw, len);

	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
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
