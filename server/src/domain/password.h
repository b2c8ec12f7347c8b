/*
 * password.h - the password policy and argon2id hashing.
 *
 * Policy (ASVS 6.2, NIST 800-63B): 12 characters to 1024 bytes of valid
 * UTF-8, no composition rules, not a common password (a list built from
 * john-data, compared case-insensitively, also with digits and symbols
 * stripped from either end), not mostly one repeated character, and not
 * containing the account's e-mail local part or a word of its name.
 *
 * Hashes are PHC strings ($argon2id$v=19$m=..,t=..,p=..$salt$tag) with a
 * 16-byte CSPRNG salt and a 32-byte tag, so parameters can rise later:
 * password_needs_rehash() tells when a stored hash is below the current ones.
 * Hashing is slow on purpose: call these from a worker thread, never the loop.
 */
#ifndef ISACD_DOMAIN_PASSWORD_H
#define ISACD_DOMAIN_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 1024
#define PASSWORD_HASH_MAX  192

struct password_params {
	uint32_t t;
	uint32_t m_kib;
	uint32_t p;
};

/**
 * 0 when pw[0..len) is acceptable for the account (email and name may be
 * NULL), else -1 with a message for the user in *why (static storage).
 */
int password_policy_check(const char *pw, size_t len, const char *email,
    const char *name, const char **why);
/** True when pw is on the common-password list (case-insensitive). */
bool password_is_common(const char *pw, size_t len);
/** Hash into out (PASSWORD_HASH_MAX); 0 on success, -1 on failure. */
int password_hash(const char *pw, size_t len, const struct password_params *pp,
    char *out, size_t outcap);
/** 1 when pw matches encoded, 0 when not, -1 when encoded is unusable. */
int password_verify(const char *encoded, const char *pw, size_t len);
/** Free this thread's argon2 scratch memory (kept between hashes). */
void password_thread_release(void);
/** True when encoded was made with other parameters than pp. */
bool password_needs_rehash(
    const char *encoded, const struct password_params *pp);

#endif
