/*
 * indicator.h - validation and canonical form of threat indicators.
 *
 * Members share indicators (addresses, domains, URLs, hashes, CVE ids) and
 * the same indicator must always be stored as the same string, so that two
 * organisations reporting it meet on one row.  Each type has one canonical
 * text form: IPv6 as RFC 5952, domains lower-cased without the root dot,
 * hashes in lower-case hex, CVE ids upper-case.  The rules are strict on
 * purpose: a value that could mean two things is refused with a reason, never
 * repaired by a guess.  Pure functions over caller buffers: no I/O, no
 * allocation; fuzzed by tests/fuzz/fuzz_indicator.c.
 */
#ifndef ISACD_DOMAIN_INDICATOR_H
#define ISACD_DOMAIN_INDICATOR_H

#include <stddef.h>

/* longest accepted input and canonical value in bytes */
#define INDICATOR_VALUE_MAX 2048

enum indicator_type {
	IND_IPV4,
	IND_IPV6,
	IND_CIDR,
	IND_DOMAIN,
	IND_URL,
	IND_EMAIL,
	IND_MD5,
	IND_SHA1,
	IND_SHA256,
	IND_CVE,
};

/* number of types: every value from 0 to INDICATOR_TYPES - 1 is one */
#define INDICATOR_TYPES (IND_CVE + 1)

/** Parse an API type name ("ipv4", "sha256"...); 0 on success, -1 if unknown.
 */
int indicator_type_parse(const char *name, enum indicator_type *out);
/** The API name of a type (static storage), NULL outside the enum. */
const char *indicator_type_name(enum indicator_type t);
/**
 * Validate value[0..len) as type t and write its canonical form, NUL-
 * terminated, into out (cap bytes; INDICATOR_VALUE_MAX + 1 holds every
 * accepted value).  0 on success; -1 on refusal with out empty and *why a
 * static English reason for the user ("an IPv4 address has no leading
 * zeros").  The canonical form is a fixed point: normalising it again yields
 * it unchanged.
 */
int indicator_normalise(enum indicator_type t, const char *value, size_t len,
    char *out, size_t cap, const char **why);
/**
 * For an ipv6 value that is IPv4-mapped (::ffff:a.b.c.d), write the IPv4
 * dotted quad, NUL-terminated, into out (cap bytes, 16 suffice); 0 if mapped,
 * -1 if not an IPv4-mapped address or out is too small.
 */
int indicator_ipv4_of_mapped(const char *ipv6, char *out, size_t cap);

#endif
