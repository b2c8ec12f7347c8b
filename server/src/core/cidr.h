/*
 * cidr.h - a set of address ranges (IPv4 and IPv6 CIDRs) and whether an
 * address is in it: ISACD_TRUSTED_PROXIES.
 *
 * Every range is kept in IPv6 form: an IPv4 range a.b.c.d/n is the IPv4-mapped
 * ::ffff:a.b.c.d/(96+n), and an IPv4 address is looked up mapped too, so
 * 127.0.0.1 matches whether it arrived on an IPv4 socket or as
 * ::ffff:127.0.0.1 on an IPv6 one.  Parsing is strict, since the set decides
 * whose word on a client's address is believed: numeric addresses only, a
 * prefix of 0-32 (IPv4) or 0-128 (IPv6) digits, and no host bits set past
 * the prefix (10.0.0.1/8 is refused, not silently widened).
 */
#ifndef ISACD_CORE_CIDR_H
#define ISACD_CORE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CIDR_SET_MAX 256 /* ranges in one set */

struct cidr {
	uint8_t addr[16]; /* IPv6, IPv4 mapped; host bits zero */
	unsigned bits;    /* prefix length over the 128 bits */
};

struct cidr_set {
	struct cidr *v;
	size_t n;
};

/**
 * Parse a comma-separated list of addresses and CIDRs (spaces around entries
 * allowed; "" is the empty set) into out, which the caller frees with
 * cidr_set_free().  0, or -1 with one line in err and out empty.
 */
int cidr_set_parse(
    const char *list, struct cidr_set *out, char *err, size_t errlen);
/** Free the ranges of a parsed set (it is then the empty set). */
void cidr_set_free(struct cidr_set *s);
/** True when sa (AF_INET or AF_INET6) is inside one of the ranges. */
bool cidr_set_has(const struct cidr_set *s, const struct sockaddr *sa);

#endif
