/*
 * validate.h - checking JSON request bodies field by field.
 *
 * Each helper reads one member of a JSON object, checks its type and bounds,
 * and on a problem appends {"field", "message"} to an errors array, which the
 * API layer returns as a 400 problem.  A member that is JSON null counts as
 * absent.  Pure functions: no I/O, fuzzed through the endpoint parsers.
 */
#ifndef ISACD_DOMAIN_VALIDATE_H
#define ISACD_DOMAIN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define V_REQUIRED   0x1u /* absent or null is an error */
#define V_SINGLELINE 0x2u /* no control characters at all */

/** Append {field, message} to errors. */
void v_error(json_t *errors, const char *field, const char *message);
/** Errors for members of obj not named in allowed (NULL-terminated). */
void v_only(json_t *obj, const char *const *allowed, json_t *errors);
/**
 * A string member of min_chars..max_chars code points; NULL when absent or
 * wrong (the error is recorded).  The string belongs to obj.
 */
const char *v_string(json_t *obj, const char *key, unsigned flags,
    size_t min_chars, size_t max_chars, json_t *errors);
/** A boolean member: 1 and *out set when present, 0 when absent, -1 on error.
 */
int v_bool(
    json_t *obj, const char *key, unsigned flags, bool *out, json_t *errors);
/** An integer member within min..max: 1 present, 0 absent, -1 on error. */
int v_int(json_t *obj, const char *key, unsigned flags, long long min,
    long long max, long long *out, json_t *errors);
/** True when s looks like an e-mail address we accept (ASCII, one '@'). */
bool v_email_valid(const char *s);
/**
 * A string member that must be one of allowed (NULL-terminated); NULL when
 * absent or wrong (the error lists the choices).
 */
const char *v_enum(json_t *obj, const char *key, unsigned flags,
    const char *const *allowed, json_t *errors);
/** A string member that must be a UUID; returned lower-cased in buf[37]. */
const char *v_uuid(
    json_t *obj, const char *key, unsigned flags, char buf[37], json_t *errors);
/**
 * A name: one line of min..max characters without blanks at either end
 * (so that "Acme" and "Acme " are not two names).
 */
const char *v_name(json_t *obj, const char *key, unsigned flags,
    size_t min_chars, size_t max_chars, json_t *errors);
/**
 * The errors of a nested object's check, renamed "prefix.field" into
 * errors; takes the reference to sub.
 */
void v_nest(json_t *errors, const char *prefix, json_t *sub);

#endif
