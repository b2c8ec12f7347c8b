/*
 * tls.h - the server's OpenSSL context: Mozilla "intermediate" (guidelines
 * 6.0) on OpenSSL 3.0: TLS 1.2 and 1.3 only, six ECDHE-AEAD TLS 1.2 suites,
 * the three TLS 1.3 suites, X25519/P-256/P-384, no renegotiation, no
 * compression, client cipher order.
 */
#ifndef ISACD_NET_TLS_H
#define ISACD_NET_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/** A server context for cert/key PEM files; NULL with err filled on error. */
SSL_CTX *tls_ctx_new(
    const char *cert, const char *key, char *err, size_t errlen);

#endif
