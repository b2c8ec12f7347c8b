/*
 * embedded.h - files compiled into the binary by tools/embed.sh: the schema
 * migrations (schema/NNNN_*.sql, in order) and the common-password list.
 * Each array is NUL-terminated after `len` bytes.
 */
#ifndef ISACD_CORE_EMBEDDED_H
#define ISACD_CORE_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

extern const struct embedded_file embedded_migrations[];
extern const size_t embedded_migrations_count;
extern const unsigned char embedded_common_passwords[];
extern const size_t embedded_common_passwords_len;

#endif
