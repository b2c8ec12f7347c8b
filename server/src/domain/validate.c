/*
 * validate.c - field checks for JSON bodies.
 *
 * Messages are for people ("must be at most 200 characters"); fields are the
 * JSON member names, so a client can put the message next to its input.
 */
#include "domain/validate.h"

#include <stdio.h>
#include <string.h>

#include "core/codec.h"

void
v_error(json_t *errors, const char *field, const char *message)
{
	json_array_append_new(errors,
	    json_pack("{s:s, s:s}", "field", field, "message", message));
}

void
v_only(json_t *obj, const char *const *allowed, json_t *errors)
{
	const char *key;
	json_t *val;

	json_object_foreach(obj, key, val)
	{
		bool ok = false;

		(void)val;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				ok = true;
		if (!ok) {
			/* keys come from the client: keep the field printable
			 */
			char field[80];

			snprintf(field, sizeof(field), "%s", key);
			if (!codec_utf8_valid(field, strlen(field)))
				snprintf(field, sizeof(field), "(unknown)");
			v_error(errors, field, "is not a known field");
		}
	}
}

const char *
v_string(json_t *obj, const char *key, unsigned flags, size_t min_chars,
    size_t max_chars, json_t *errors)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len, chars;
	char msg[96];

	if (v == NULL || json_is_null(v)) {
		if (flags & V_REQUIRED)
			v_error(errors, key, "is required");
		return NULL;
	}
	if (!json_is_string(v)) {
		v_error(errors, key, "must be a string");
		return NULL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (memchr(s, '\0', len) != NULL || !codec_utf8_valid(s, len)) {
		v_error(errors, key, "must be valid UTF-8 text");
		return NULL;
	}
	if (flags & V_SINGLELINE) {
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x20 || c == 0x7f) {
				v_error(errors, key,
				    "must not contain control characters");
				return NULL;
			}
		}
	}
	chars = codec_utf8_len(s, len);
	if (chars < min_chars) {
		if (min_chars == 1)
			snprintf(msg, sizeof(msg), "must not be empty");
		else
			snprintf(msg, sizeof(msg),
			    "must be at least %zu characters", min_chars);
		v_error(errors, key, msg);
		return NULL;
	}
	if (chars > max_chars) {
		snprintf(msg, sizeof(msg), "must be at most %zu characters",
		    max_chars);
		v_error(errors, key, msg);
		return NULL;
	}
	return s;
}

int
v_bool(json_t *obj, const char *key, unsigned flags, bool *out, json_t *errors)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v)) {
		if (flags & V_REQUIRED) {
			v_error(errors, key, "is required");
			return -1;
		}
		return 0;
	}
	if (!json_is_boolean(v)) {
		v_error(errors, key, "must be true or false");
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

int
v_int(json_t *obj, const char *key, unsigned flags, long long min,
    long long max, long long *out, json_t *errors)
{
	json_t *v = json_object_get(obj, key);
	char msg[96];

	if (v == NULL || json_is_null(v)) {
		if (flags & V_REQUIRED) {
			v_error(errors, key, "is required");
			return -1;
		}
		return 0;
	}
	if (!json_is_integer(v)) {
		v_error(errors, key, "must be a whole number");
		return -1;
	}
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(
		    msg, sizeof(msg), "must be from %lld to %lld", min, max);
		v_error(errors, key, msg);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

bool
v_email_valid(const char *s)
{
	size_t len = strlen(s);
	const char *at = strchr(s, '@');
	const char *dom;
	bool dot = false;

	if (len < 3 || len > 254 || at == NULL || at == s ||
	    strchr(at + 1, '@') != NULL || at - s > 64)
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("()<>[]:;,\\\"", c))
			return false;
	}
	dom = at + 1;
	if (*dom == '\0' || *dom == '.' || *dom == '-')
		return false;
	for (const char *p = dom; *p; p++) {
		char c = *p;

		if (c == '.') {
			if (p[1] == '\0' || p[1] == '.' || p[-1] == '-')
				return false;
			dot = true;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		               (c >= '0' && c <= '9') || c == '-')) {
			return false;
		}
	}
	return dot;
}

const char *
v_enum(json_t *obj, const char *key, unsigned flags, const char *const *allowed,
    json_t *errors)
{
	json_t *v = json_object_get(obj, key);
	char msg[200];
	size_t n = 0;

	if (v == NULL || json_is_null(v)) {
		if (flags & V_REQUIRED)
			v_error(errors, key, "is required");
		return NULL;
	}
	if (json_is_string(v))
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(json_string_value(v), allowed[i]) == 0 &&
			    strlen(allowed[i]) == json_string_length(v))
				return allowed[i];
	n = (size_t)snprintf(msg, sizeof(msg), "must be one of");
	for (size_t i = 0; allowed[i] && n < sizeof(msg); i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s \"%s\"",
		    i == 0 ? "" : (allowed[i + 1] ? "," : " or"), allowed[i]);
	v_error(errors, key, msg);
	return NULL;
}

const char *
v_uuid(
    json_t *obj, const char *key, unsigned flags, char buf[37], json_t *errors)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (v == NULL || json_is_null(v)) {
		if (flags & V_REQUIRED)
			v_error(errors, key, "is required");
		return NULL;
	}
	s = json_string_value(v);
	if (s == NULL || !codec_uuid_valid(s, json_string_length(v))) {
		v_error(errors, key, "must be a UUID");
		return NULL;
	}
	for (int i = 0; i < 36; i++)
		buf[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a')
		                                      : s[i];
	buf[36] = '\0';
	return buf;
}

const char *
v_name(json_t *obj, const char *key, unsigned flags, size_t min_chars,
    size_t max_chars, json_t *errors)
{
	const char *s = v_string(
	    obj, key, flags | V_SINGLELINE, min_chars, max_chars, errors);

	if (s != NULL && (s[0] == ' ' || s[strlen(s) - 1] == ' ')) {
		v_error(errors, key, "must not start or end with a space");
		return NULL;
	}
	return s;
}

void
v_nest(json_t *errors, const char *prefix, json_t *sub)
{
	size_t i;
	json_t *e;

	json_array_foreach(sub, i, e)
	{
		char name[160];

		snprintf(name, sizeof(name), "%s.%s", prefix,
		    json_string_value(json_object_get(e, "field")));
		v_error(errors, name,
		    json_string_value(json_object_get(e, "message")));
	}
	json_decref(sub);
}
