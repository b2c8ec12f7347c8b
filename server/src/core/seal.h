/*
 * seal.h - secrets at rest: AES-256-GCM under keys the operator provides.
 *
 * A ring holds one to SEAL_MAX_KEYS keys of 32 bytes, the first of which
 * seals; any of them opens what it sealed.  A sealed text names its key:
 * "v1$<key id>$<base64 of nonce, ciphertext and tag>", where the key id is
 * 8 hex digits of the key's SHA-256, so rotating keys is listing the new
 * one first and keeping the old ones until every secret was sealed again.
 * Associated data binds a sealed text to its place (a TOTP secret to its
 * user): moved to another row, it does not open.
 */
#ifndef ISACD_CORE_SEAL_H
#define ISACD_CORE_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES 32
#define SEAL_MAX_KEYS  8
#define SEAL_ID_LEN    8
/** Room for the sealed text of n plaintext bytes (with its NUL). */
#define SEAL_TEXT_MAX(n) (3 + SEAL_ID_LEN + 1 + 4 * (((n) + 28 + 2) / 3) + 1)

struct seal_ring {
	int n;
	struct {
		uint8_t key[SEAL_KEY_BYTES];
		char id[SEAL_ID_LEN + 1];
	} k[SEAL_MAX_KEYS];
};

/**
 * Parse keys: standard base64 of 32 bytes each (`openssl rand -base64
 * 32`), separated by commas, blanks or new lines; `#` starts a comment to
 * the end of its line.  0 on success; -1 with a reason in err (which never
 * repeats a key) for none, a malformed one, a duplicate, or too many.
 */
int seal_ring_parse(
    struct seal_ring *r, const char *text, char *err, size_t errlen);
/** seal_ring_parse of a file's content (a file with a key is read whole). */
int seal_ring_load_file(
    struct seal_ring *r, const char *path, char *err, size_t errlen);
/** Forget the keys (memory is cleansed). */
void seal_ring_wipe(struct seal_ring *r);
/**
 * Seal pt[0..n) with the first key, bound to aad (a NUL-terminated
 * string), into out (cap bytes, SEAL_TEXT_MAX(n)); 0 or -1.
 */
int seal_encrypt(const struct seal_ring *r, const char *aad, const uint8_t *pt,
    size_t n, char *out, size_t cap);
/**
 * Open a sealed text bound to aad into out (cap bytes): the plaintext's
 * length, or -1 when it is malformed, sealed with a key the ring does not
 * hold, or altered.
 */
long seal_decrypt(const struct seal_ring *r, const char *aad, const char *text,
    uint8_t *out, size_t cap);
/** Whether text is sealed, and with the ring's first key. */
bool seal_is_current(const struct seal_ring *r, const char *text);
/** Whether text is sealed with a key the ring holds (opening it may still
 * fail: altered, or bound to something else). */
bool seal_key_known(const struct seal_ring *r, const char *text);
/** Whether text looks sealed ("v1$..."), whatever its key. */
bool seal_is_sealed(const char *text);

#endif
