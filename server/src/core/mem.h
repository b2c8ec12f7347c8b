/*
 * mem.h - allocation that never fails, and a per-request arena.
 *
 * Out-of-memory is decided once, here: the x* wrappers log and abort, so call
 * sites never test for NULL (Kore kore_malloc, Redis zmalloc).  An arena hands
 * out memory that lives exactly as long as one request; it is freed in one
 * call, so error paths cannot leak per-field allocations.
 */
#ifndef ISACD_CORE_MEM_H
#define ISACD_CORE_MEM_H

#include <stddef.h>

/** Allocate n bytes; never returns NULL (aborts on exhaustion). */
void *xmalloc(size_t n);
/** Allocate and zero nmemb * size bytes, checking the product for overflow. */
void *xcalloc(size_t nmemb, size_t size);
/** Resize p to n bytes; never returns NULL. */
void *xrealloc(void *p, size_t n);
/** Duplicate a NUL-terminated string; the caller owns the copy. */
char *xstrdup(const char *s);
/** Duplicate n bytes of s and NUL-terminate; the caller owns the copy. */
char *xstrndup(const char *s, size_t n);
/** Print a message and abort: only for broken invariants, never input. */
_Noreturn void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

struct arena;

/** A new arena whose first block holds at least `hint` bytes. */
struct arena *arena_new(size_t hint);
/** Free the arena and everything allocated from it; NULL is a no-op. */
void arena_free(struct arena *a);
/** n bytes aligned for any type, valid until arena_free. */
void *arena_alloc(struct arena *a, size_t n);
/** n bytes zeroed. */
void *arena_zalloc(struct arena *a, size_t n);
/** Copy of n bytes of s, NUL-terminated, owned by the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/** Copy of a NUL-terminated string, owned by the arena. */
char *arena_strdup(struct arena *a, const char *s);
/** printf into arena memory. */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
