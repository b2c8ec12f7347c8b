/*
 * config.h - every setting of isacd, from the environment, parsed once.
 *
 * One declarative table (name, type, default, bounds, help) is the single
 * source: config_load() fills an immutable struct from it, `isacd serve
 * --help` prints it, and a test checks the README's table against it
 * (Redis static_configs[], Kore config_directives[]).
 */
#ifndef ISACD_CORE_CONFIG_H
#define ISACD_CORE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct config {
	char *listen;       /* host:port */
	char *database_url; /* libpq URI or conninfo */
	char *tls_cert;     /* PEM paths; TLS is on when both are set */
	char *tls_key;
	char *log_level;
	char *trusted_proxies; /* addresses and CIDRs, comma-separated */
	long max_body;
	long max_header;
	long max_conns;
	long max_conns_per_ip;
	long min_send_rate;
	long send_window_s;
	long send_lowat;
	long header_timeout_s;
	long body_timeout_s;
	long idle_timeout_s;
	long write_timeout_s;
	long shutdown_timeout_s;
	long db_pool;
	long db_queue;
	long db_queue_timeout_ms;
	long db_statement_timeout_ms;
	long db_connect_timeout_s;
	long hash_workers;
	long hash_queue;
	long argon2_m_kib;
	long argon2_t;
	long argon2_p;
	long session_idle_s;
	long session_max_s;
	long login_window_s;
	long login_max_account;
	long login_max_ip;
	long token_max_days;
	long max_retention_days;
	long purge_interval_s;  /* the purge inside serve; 0: off */
	long purge_batch;       /* posts per batch of the purge */
	long ip_retention_days; /* IP addresses are dropped after this */
	char *totp_key;         /* keys sealing TOTP secrets, or "" */
	char *totp_key_file;    /* ... or a file holding them, or "" */
	long ws_max_message;    /* realtime WebSocket: largest client message */
	long ws_max_queue;      /* unsent bytes per socket before 1013 */
	long ws_ping_s;         /* silence before a ping */
	long ws_pong_timeout_s; /* then silence before the drop */
	long ws_msg_rate;       /* client messages per second, sustained */
	long ws_msg_burst;      /* ... and in a burst */
	char *allowed_origins;  /* comma-separated browser origins, or "" */
	long realtime_poll_ms;  /* read the events at least this often */
};

/** Source of variable values; getenv in production, a table in tests. */
typedef const char *(*config_getenv_fn)(const char *name);

/**
 * Fill c from the table's defaults overridden by get(name).  On a bad value
 * writes one line naming the variable into err and returns -1; c then holds
 * nothing to free.  On success the caller frees c with config_free().
 */
int config_load(
    struct config *c, config_getenv_fn get, char *err, size_t errlen);
/** Free the strings of a loaded config. */
void config_free(struct config *c);
/** Print the table as Markdown (name, default, meaning). */
void config_print_markdown(FILE *f);
/** True when name is a setting of the table. */
int config_is_known(const char *name);
/**
 * Split "host:port" or "[v6]:port" into host (NUL-terminated, hostcap bytes)
 * and port; 0 on success, -1 on a malformed address.
 */
int config_split_listen(
    const char *listen, char *host, size_t hostcap, int *port);

#endif
