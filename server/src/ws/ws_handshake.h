/*
 * ws_handshake.h - the server side of the WebSocket opening handshake
 * (RFC 6455 §4.2): pure checks over a parsed request head.
 *
 * The route that upgrades asks ws_handshake_check() first (a refusal is an
 * ordinary HTTP answer: 400, or 426 for a client that must speak another
 * version or protocol), then ws_origin_allowed() (403), then authenticates,
 * and only then answers 101 with http_req_upgrade() and the headers
 *
 *   Upgrade: websocket
 *   Connection: Upgrade
 *   Sec-WebSocket-Accept: <accept>
 *
 * Nothing here allocates or keeps state; a libFuzzer target
 * (tests/fuzz/fuzz_ws.c) feeds it arbitrary heads.
 */
#ifndef ISACD_WS_WS_HANDSHAKE_H
#define ISACD_WS_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_parser.h"

#define WS_VERSION     "13" /* the only version RFC 6455 defines */
#define WS_ACCEPT_SIZE 29   /* base64 of a SHA-1 digest, NUL-terminated */

struct ws_handshake {
	char accept[WS_ACCEPT_SIZE]; /* Sec-WebSocket-Accept, when 0 */
	const char *why;             /* a one-line reason, when a status */
};

/**
 * Check a request head as an opening handshake: GET, HTTP/1.1, no body,
 * `Upgrade: websocket`, `Connection: upgrade` (tokens, case-insensitive),
 * `Sec-WebSocket-Version: 13` and one `Sec-WebSocket-Key` that is the
 * base64 of 16 bytes.  Returns 0 with out->accept filled, or the status to
 * answer with out->why: 426 when the client must upgrade or change version
 * (the answer then carries `Upgrade: websocket` and
 * `Sec-WebSocket-Version: 13`), 400 for anything else.
 */
int ws_handshake_check(const struct http_head *h, struct ws_handshake *out);

/** Sec-WebSocket-Accept for a key: base64(SHA-1(key + the RFC's GUID)). */
void ws_handshake_accept(
    const char *key, size_t len, char accept[WS_ACCEPT_SIZE]);

/**
 * May a browser page of this request's Origin open the socket?  True when
 * there is no Origin header (not a browser: RFC 6455 §10.2 protects users
 * of browsers only), when the Origin is this server's own (scheme by `tls`,
 * host and port from the Host header), or when it is one of `allowed`, a
 * comma-separated list of origins such as `https://console.example`
 * (ISACD_ALLOWED_ORIGINS).  Compared case-insensitively, whole; more than
 * one Origin header is refused.
 */
bool ws_origin_allowed(
    const struct http_head *h, bool tls, const char *allowed);

#endif
