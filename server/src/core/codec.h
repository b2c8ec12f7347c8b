/*
 * codec.h - byte encodings used across isacd: base64url, base32, hex, UTF-8
 * validation, UUID syntax and JSON text compaction.  Pure functions over
 * caller buffers.
 */
#ifndef ISACD_CORE_CODEC_H
#define ISACD_CORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Unpadded base64url of n bytes into dst (needs 4*ceil(n/3)+1); returns
 * length. */
size_t codec_base64url(char *dst, const uint8_t *src, size_t n);
/**
 * Decode unpadded base64url into dst (cap bytes); returns the length or -1 on
 * a character outside the alphabet, bad length or overflow.
 */
long codec_base64url_decode(
    uint8_t *dst, size_t cap, const char *src, size_t n);
/** Standard padded base64 of n bytes into dst (needs 4*ceil(n/3)+1); returns
 * length. */
size_t codec_base64(char *dst, const uint8_t *src, size_t n);
/**
 * Decode standard base64 (padded or not, at most 4096 characters) into dst
 * (cap bytes); returns the length or -1 as codec_base64url_decode.
 */
long codec_base64_decode(uint8_t *dst, size_t cap, const char *src, size_t n);
/** RFC 4648 base32 without padding (needs 8*ceil(n/5)+1); returns length. */
size_t codec_base32(char *dst, const uint8_t *src, size_t n);
/**
 * Decode base32 (case-insensitive, spaces and '=' ignored) into dst of cap
 * bytes; returns the decoded length or -1 on a bad character or overflow.
 */
long codec_base32_decode(uint8_t *dst, size_t cap, const char *src, size_t n);
/** Lower-case hex of n bytes into dst (needs 2n+1). */
void codec_hex(char *dst, const uint8_t *src, size_t n);
/** True when s[0..n) is well-formed UTF-8 without NUL bytes. */
bool codec_utf8_valid(const char *s, size_t n);
/** Number of code points in well-formed UTF-8. */
size_t codec_utf8_len(const char *s, size_t n);
/** True when s is a canonical textual UUID (36 chars, hex and dashes). */
bool codec_uuid_valid(const char *s, size_t n);
/**
 * Copy the JSON text src[0..n) into dst (room for n bytes) without the
 * whitespace between tokens; strings are copied verbatim.  The text must be
 * well-formed JSON (as PostgreSQL renders it).  Returns the bytes written.
 */
size_t codec_json_compact(char *dst, const char *src, size_t n);

#endif
