/*
 * stix.h - one threat post as a STIX 2.1 bundle.
 *
 * Members take what they read in isacd into their own tools (TIPs, SIEMs),
 * and STIX 2.1 is what those tools read.  A post becomes one bundle: a report
 * for the post, an indicator with a STIX pattern per address, domain, URL,
 * e-mail address or hash, a vulnerability per CVE id, an identity for the
 * posting organisation unless the post is anonymous, and the official TLP
 * 2.0 marking-definition (FIRST's TLP 2.0 in the OASIS extension
 * extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d) that marks
 * every object of the post.
 *
 * Ids are UUIDv5 in one fixed isacd namespace (STIX_NAMESPACE), so exporting
 * a post twice yields the same ids and a consumer sees a new version of the
 * same objects, never copies.  The names hashed are "report:<post>",
 * "indicator:<post>:<type>:<value>", "vulnerability:<post>:<CVE>",
 * "identity:<organisation>" and "bundle:<post>:<modified>".  Everything but
 * the identity is scoped by the post: STIX objects that share an id are
 * versions of one object with one creator and one created time (STIX 2.1
 * 3.6), which a CVE named by two organisations is not.  The identity is
 * shared by all posts of its organisation, so it carries only what belongs to
 * the organisation (no TLP marking, the organisation's creation time).
 *
 * Pure functions: no I/O; fuzzed by tests/fuzz/fuzz_stix.c, validated
 * against the OASIS JSON schemas by tools/stix-validate.py.
 */
#ifndef ISACD_DOMAIN_STIX_H
#define ISACD_DOMAIN_STIX_H

#include <stddef.h>

#include <jansson.h>

#include "domain/indicator.h"

/* the isacd UUIDv5 namespace: drawn once at random, never to change, since
 * every exported id depends on it */
#define STIX_NAMESPACE "c93f5724-2403-4b9e-bce6-6fd11f7d5690"

/* a textual UUID without its NUL */
#define STIX_UUID_LEN 36

/* the organisation a post's identity object shows */
struct stix_org {
	const char *id;      /* the organisation's UUID */
	const char *name;    /* UTF-8, not empty */
	const char *created; /* its creation time, 2026-12-02T05:31:40.123Z */
};

/**
 * Write the RFC 4122 name-based (SHA-1, version 5) UUID of name[0..len) in
 * the namespace ns (a textual UUID) into out, lower-case and NUL-terminated;
 * 0, or -1 with out empty when ns is not a UUID.
 */
int stix_uuid5(
    const char *ns, const char *name, size_t len, char out[STIX_UUID_LEN + 1]);
/**
 * The STIX pattern that matches an indicator of type t with value[0..len),
 * like [url:value = 'http://x.example/it\'s'], with ' and \ in the value
 * escaped as the patterning grammar's string literal wants; malloc'd, the
 * caller frees it.  NULL for IND_CVE (a vulnerability, not a pattern) and
 * outside the enum.
 */
char *stix_pattern(enum indicator_type t, const char *value, size_t len);
/**
 * The id of the official TLP 2.0 marking-definition for an isacd TLP name
 * ("TLP:CLEAR" ... "TLP:RED"), static storage; NULL for any other name.
 */
const char *stix_tlp_marking_id(const char *tlp);
/**
 * Render post (the object isacd_post_view renders; borrowed, not changed) as
 * a STIX 2.1 bundle.  created and modified are the post's times with
 * milliseconds (2026-12-02T05:31:40.123Z, modified not before created); org
 * is the organisation that speaks for the post, NULL when none does, and
 * must be NULL for an anonymous post.  0 on success with *out the bundle as
 * compact JSON text, malloc'd, which the caller frees; -1 with *out NULL and
 * *why a static English reason when an argument is malformed (an unknown
 * TLP, kind or indicator type, a value not in canonical form, a bad time).
 */
int stix_bundle(const json_t *post, const char *created, const char *modified,
    const struct stix_org *org, char **out, const char **why);

#endif
