/*
 * embedded.h - files compiled into the binary by tools/embed.sh: the schema
 * migrations (schema/NNNN_*.sql, in order), the common-password list, and
 * what isacd serves to browsers: the web console (console/, built by `make
 * build`), the API reference page and the OpenAPI document.  Each array is
 * NUL-terminated after `len` bytes.
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

/** A file served over HTTP, with its strong entity tag. */
struct embedded_asset {
	const char *name; /* the file's name, as served under /console/ */
	const unsigned char *data;
	size_t len;
	const char *etag; /* "\"<32 hex digits of its SHA-256>\"" */
};

/** The console's page (served at /). */
extern const struct embedded_asset embedded_console_index;
/** The console's other files (scripts, styles, icon): content-hashed names,
 * sorted by name. */
extern const struct embedded_asset embedded_console_files[];
extern const size_t embedded_console_files_count;
/** The API reference page (make docs) and the policy of its inline
 * scripts' hashes (a Content-Security-Policy value, one line). */
extern const struct embedded_asset embedded_docs_page;
extern const struct embedded_asset embedded_docs_csp;
/** api-docs/openapi.yaml. */
extern const struct embedded_asset embedded_openapi;

#endif
