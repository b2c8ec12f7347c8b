/*
 * proxy.h - the client's address as a trusted proxy tells it: the PROXY
 * protocol header (haproxy's doc/proxy-protocol.txt, version 2 binary and
 * version 1 text) and X-Forwarded-For.
 *
 * Pure functions over bytes, with a libFuzzer target (tests/fuzz/
 * fuzz_proxy.c).  Nobody calls them on what an untrusted peer sends: net/
 * asks proxy_parse() only on connections from ISACD_TRUSTED_PROXIES, and
 * http/ reads X-Forwarded-For only on those connections (conn->trusted).
 *
 * A trusted connection may begin with a header or not: it is recognised by
 * its signature (the 12 bytes of version 2, "PROXY " for version 1), which
 * neither an HTTP request nor a TLS ClientHello can begin with, so one
 * haproxy can send PROXY v2 on its relayed connections and nothing on its
 * health checks, and a proxy that speaks only HTTP needs no header at all.
 * Once a signature matched, the header must be whole and valid or the
 * connection is closed.
 */
#ifndef ISACD_NET_PROXY_H
#define ISACD_NET_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr_set;

/* The longest header taken: version 2 with up to 4 KiB of addresses and
 * TLVs (version 1 lines are at most 107 bytes). */
#define PROXY_V2_MAX_BLOCK 4096
#define PROXY_MAX_LEN      (16 + PROXY_V2_MAX_BLOCK)
/* Room for an address as text (INET6_ADDRSTRLEN, rounded up). */
#define PROXY_ADDR_TEXT 48

enum proxy_status {
	PROXY_NEED_MORE, /* the bytes so far begin a header: read more */
	PROXY_NONE,      /* no header: the bytes are the protocol's own */
	PROXY_OK,        /* a whole, valid header: see struct proxy_header */
	PROXY_BAD,       /* a header that is malformed or unsupported */
};

struct proxy_header {
	size_t len;  /* bytes of the header, to consume before the protocol */
	int version; /* 1 or 2 */
	/*
	 * The connection speaks for itself (version 2 LOCAL, as health checks
	 * send; version 1 UNKNOWN; a family other than TCP over IPv4/IPv6):
	 * the connection's own address stands.
	 */
	bool local;
	struct sockaddr_storage src; /* the client (AF_INET/6), unless local */
};

/**
 * Look for a PROXY header at the start of buf[0..len).  PROXY_OK fills h;
 * PROXY_NEED_MORE says every byte so far belongs to a header that is not
 * complete yet (never for PROXY_MAX_LEN bytes or more).
 */
enum proxy_status proxy_parse(
    const uint8_t *buf, size_t len, struct proxy_header *h);

enum proxy_xff {
	PROXY_XFF_CLIENT,  /* out holds the client's address */
	PROXY_XFF_TRUSTED, /* every entry is a trusted proxy: look further left
	                    */
	PROXY_XFF_INVALID, /* an entry that is no address: believe nothing left
	                    */
};

/**
 * Walk one X-Forwarded-For value v[0..len) from right to left, skipping the
 * addresses in trusted; the first one that is not trusted is the client,
 * written to out (PROXY_ADDR_TEXT bytes) as canonical text.  Entries may be
 * IPv4, IPv6, [IPv6], either with a :port; empty list elements are skipped.
 */
enum proxy_xff proxy_forwarded_for(const char *v, size_t len,
    const struct cidr_set *trusted, char out[PROXY_ADDR_TEXT]);
/** Format an AF_INET/AF_INET6 address as text into out; "" otherwise. */
void proxy_addr_text(const struct sockaddr *sa, char out[PROXY_ADDR_TEXT]);

#endif
