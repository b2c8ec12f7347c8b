/*
 * config.c - the settings table and its parser.
 *
 * Each row names an ISACD_* variable, its type, where it lands in struct
 * config, its default, its bounds and a line of help.  Numbers must be plain
 * decimal integers inside the bounds; anything else is refused with a message
 * that names the variable, so a typo never starts a server with surprising
 * limits.
 */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/seal.h"

enum config_type { CFG_STR, CFG_LONG };

struct config_def {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def;
	long min;
	long max;
	int (*check)(const char *value, char *err, size_t errlen);
	const char *help;
};

static int config_check_listen(const char *v, char *err, size_t errlen);
static int config_check_level(const char *v, char *err, size_t errlen);
static int config_check_origins(const char *v, char *err, size_t errlen);
static bool config_origin_ok(const char *e, size_t n);
static int config_check_proxies(const char *v, char *err, size_t errlen);
static int config_check_keys(const char *v, char *err, size_t errlen);
static int config_parse_long(const char *s, long *out);

#define OFF(f) offsetof(struct config, f)

/* A table of settings, laid out by hand: clang-format re-flows the whole
 * initialiser whenever a row is added. */
/* clang-format off */
static const struct config_def config_defs[] = {
    {"ISACD_LISTEN", CFG_STR, OFF(listen), "127.0.0.1:8080", 0, 0,
        config_check_listen,
        "Address and port to serve HTTP on; `[::1]:8080` for IPv6."},
    {"ISACD_DATABASE_URL", CFG_STR, OFF(database_url), "dbname=isacd", 0, 0,
        NULL,
        "PostgreSQL connection: a libpq URI (`postgresql://...`) or conninfo string. Use a host address or socket path, not a name that needs DNS, so that connecting never blocks."},
    {"ISACD_TLS_CERT", CFG_STR, OFF(tls_cert), "", 0, 0, NULL,
        "PEM certificate chain; TLS (1.2 and 1.3, Mozilla intermediate) is on when this and `ISACD_TLS_KEY` are set."},
    {"ISACD_TLS_KEY", CFG_STR, OFF(tls_key), "", 0, 0, NULL,
        "PEM private key for `ISACD_TLS_CERT`."},
    {"ISACD_LOG_LEVEL", CFG_STR, OFF(log_level), "info", 0, 0,
        config_check_level,
        "`debug`, `info` (one line per request), `warn` or `error`."},
    {"ISACD_MAX_BODY", CFG_LONG, OFF(max_body), "1048576", 1, 64L << 20, NULL,
        "Largest request body in bytes; larger ones get 413."},
    {"ISACD_MAX_HEADER", CFG_LONG, OFF(max_header), "16384", 1024, 1L << 20,
        NULL,
        "Largest request head (request line and headers) in bytes; larger ones get 431 (a request line over half of it gets 414)."},
    {"ISACD_MAX_CONNS", CFG_LONG, OFF(max_conns), "10000", 1, 1000000, NULL,
        "Most client connections at once; past it new ones are closed at accept, the others are not disturbed."},
    {"ISACD_MAX_CONNS_PER_IP", CFG_LONG, OFF(max_conns_per_ip), "256", 1,
        1000000, NULL,
        "Most connections at once from one client address (IPv6: one /64), so one source cannot take the whole `ISACD_MAX_CONNS`; past it new ones from that address get 503 at accept."},
    {"ISACD_TRUSTED_PROXIES", CFG_STR, OFF(trusted_proxies), "", 0, 0,
        config_check_proxies,
        "Load balancers whose word on the client's address is believed: IPv4/IPv6 addresses and CIDRs, comma-separated. Their connections may begin with a PROXY protocol header (v2 or v1, before TLS) naming the client, which then has that address and its per-address cap; their requests' `X-Forwarded-For` names it too (the rightmost entry not itself trusted). List only proxies that always send one or the other. Unset: nobody."},
    {"ISACD_HEADER_TIMEOUT_S", CFG_LONG, OFF(header_timeout_s), "10", 1, 3600,
        NULL,
        "Deadline for a whole request head from its first byte (a deadline, not an idle timer); then 408 and close."},
    {"ISACD_BODY_TIMEOUT_S", CFG_LONG, OFF(body_timeout_s), "30", 1, 3600, NULL,
        "Deadline for a whole request body once its head is in; then 408 and close."},
    {"ISACD_IDLE_TIMEOUT_S", CFG_LONG, OFF(idle_timeout_s), "60", 1, 86400,
        NULL,
        "An idle keep-alive connection is closed after this many seconds."},
    {"ISACD_WRITE_TIMEOUT_S", CFG_LONG, OFF(write_timeout_s), "30", 1, 3600,
        NULL,
        "A client that reads nothing of a pending response for this long is disconnected."},
    {"ISACD_MIN_SEND_RATE", CFG_LONG, OFF(min_send_rate), "1024", 0, 1L << 30,
        NULL,
        "Bytes per second a client must read while a response waits for it, averaged over each `ISACD_SEND_WINDOW_S`; a slower reader is cut off however it trickles, unless it took all that was waiting for it when the window began. 0 turns the check off."},
    {"ISACD_SEND_WINDOW_S", CFG_LONG, OFF(send_window_s), "10", 1, 3600, NULL,
        "The window over which `ISACD_MIN_SEND_RATE` is measured."},
    {"ISACD_SEND_LOWAT", CFG_LONG, OFF(send_lowat), "16384", 1024, 16L << 20,
        NULL,
        "Bytes of output for one client that may wait unsent, in the kernel (`TCP_NOTSENT_LOWAT`) and in isacd; past it nothing more is rendered for that client (its next pipelined request waits) until it reads. What is in flight is bounded by the client's receive window."},
    {"ISACD_SHUTDOWN_TIMEOUT_S", CFG_LONG, OFF(shutdown_timeout_s), "10", 0,
        3600, NULL,
        "On SIGTERM/SIGINT, how long in-flight requests may finish before exit."},
    {"ISACD_DB_POOL", CFG_LONG, OFF(db_pool), "8", 1, 256, NULL,
        "PostgreSQL connections of the pool."},
    {"ISACD_DB_QUEUE", CFG_LONG, OFF(db_queue), "1024", 1, 1000000, NULL,
        "Queries that may wait for a free connection; past it requests get 503."},
    {"ISACD_DB_QUEUE_TIMEOUT_MS", CFG_LONG, OFF(db_queue_timeout_ms), "5000",
        10, 600000, NULL,
        "How long a query may wait for a free connection before its request gets 503."},
    {"ISACD_DB_STATEMENT_TIMEOUT_MS", CFG_LONG, OFF(db_statement_timeout_ms),
        "5000", 10, 3600000, NULL,
        "Server-side `statement_timeout` of every pool connection."},
    {"ISACD_DB_CONNECT_TIMEOUT_S", CFG_LONG, OFF(db_connect_timeout_s), "5", 1,
        600, NULL,
        "Deadline of one connection attempt; failed attempts retry with backoff up to 5 s."},
    {"ISACD_HASH_WORKERS", CFG_LONG, OFF(hash_workers), "0", 0, 64, NULL,
        "Threads that run argon2id off the event loop; 0 = half the CPU cores (at least 1), so hashing never takes every core from the loop and PostgreSQL."},
    {"ISACD_HASH_QUEUE", CFG_LONG, OFF(hash_queue), "64", 1, 100000, NULL,
        "Password hashes that may wait for a worker; past it logins get 503 with Retry-After."},
    {"ISACD_ARGON2_M_KIB", CFG_LONG, OFF(argon2_m_kib), "47104", 8, 4L << 20,
        NULL,
        "argon2id memory per hash in KiB, at least 8 per lane. Below OWASP's "
        "floor (19456 with t=2, 47104 with t=1) `serve` and `create-staff` "
        "warn at start: so little is for tests only."},
    {"ISACD_ARGON2_T", CFG_LONG, OFF(argon2_t), "2", 1, 100, NULL,
        "argon2id passes. Hashes made with other parameters are upgraded at the next login."},
    {"ISACD_ARGON2_P", CFG_LONG, OFF(argon2_p), "1", 1, 16, NULL,
        "argon2id lanes (parallelism)."},
    {"ISACD_SESSION_IDLE_S", CFG_LONG, OFF(session_idle_s), "1800", 1, 86400,
        NULL, "A session unused this long stops working (ASVS L2: 30 min)."},
    {"ISACD_SESSION_MAX_S", CFG_LONG, OFF(session_max_s), "43200", 1, 2592000,
        NULL, "A session's absolute lifetime (ASVS L2: 12 h)."},
    {"ISACD_LOGIN_WINDOW_S", CFG_LONG, OFF(login_window_s), "900", 1, 86400,
        NULL,
        "Window over which failed logins are counted, and the first lockout's length; repeated lockouts double it (up to 24 h)."},
    {"ISACD_LOGIN_MAX_ACCOUNT", CFG_LONG, OFF(login_max_account), "5", 1, 1000,
        NULL, "Failed logins for one account within the window before 429."},
    {"ISACD_LOGIN_MAX_IP", CFG_LONG, OFF(login_max_ip), "20", 1, 100000, NULL,
        "Failed logins from one IP address within the window before 429."},
    {"ISACD_TOKEN_MAX_DAYS", CFG_LONG, OFF(token_max_days), "365", 1, 3650,
        NULL, "Longest lifetime of a personal API token, in days."},
    {"ISACD_MAX_RETENTION_DAYS", CFG_LONG, OFF(max_retention_days), "730", 1,
        36500, NULL,
        "The longest retention a community or channel may set (`retention_days` and `retention_by_tlp` above it are refused); lowered, it shortens longer settings at once. `null` keeps posts."},
    {"ISACD_PURGE_INTERVAL_S", CFG_LONG, OFF(purge_interval_s), "3600", 0,
        604800, NULL,
        "How often `isacd serve` purges what is past its retention (posts, ended sessions and tokens, old invitations, tickets, idempotency keys, login-failure records, events, old IP addresses); the first run comes a minute after start (or after the interval, if shorter). One instance at a time purges, whichever holds the advisory lock. 0: never (run `isacd purge` from cron instead)."},
    {"ISACD_PURGE_BATCH", CFG_LONG, OFF(purge_batch), "500", 1, 2000, NULL,
        "Posts the purge deletes per transaction, with everything that hangs off them; each batch is one short transaction on a connection of its own, so the API never waits on the purge."},
    {"ISACD_IP_RETENTION_DAYS", CFG_LONG, OFF(ip_retention_days), "30", 1, 3650,
        NULL,
        "IP addresses in the audit trail and in sessions are dropped (set to NULL) by the purge once they are this many days old."},
    {"ISACD_TOTP_KEY", CFG_STR, OFF(totp_key), "", 0, 0, config_check_keys,
        "The keys that seal TOTP secrets at rest (AES-256-GCM): base64 of 32 random bytes each (`openssl rand -base64 32`), comma-separated; the first seals, all open. `isacd serve` needs this or `ISACD_TOTP_KEY_FILE`. To rotate: put a new key first, keep the old ones after it, restart every instance (each re-seals every secret under the first key at start), then drop the old keys."},
    {"ISACD_TOTP_KEY_FILE", CFG_STR, OFF(totp_key_file), "", 0, 0, NULL,
        "A file holding those keys instead, one per line (`#` comments allowed), readable by isacd only."},
    {"ISACD_WS_MAX_MESSAGE", CFG_LONG, OFF(ws_max_message), "65536", 1024,
        16L << 20, NULL,
        "Largest message a realtime WebSocket client may send, in bytes, "
        "however it is fragmented; a larger one closes the socket with 1009."},
    {"ISACD_WS_MAX_QUEUE", CFG_LONG, OFF(ws_max_queue), "262144", 16384,
        64L << 20, NULL,
        "Bytes that may wait for one realtime WebSocket client, in isacd and "
        "unsent in the kernel; an event that would pass it closes that socket "
        "with 1013, so a slow reader never grows isacd's memory while every "
        "other socket keeps receiving."},
    {"ISACD_WS_PING_S", CFG_LONG, OFF(ws_ping_s), "30", 1, 3600, NULL,
        "A realtime WebSocket that has sent nothing for this many seconds is "
        "pinged (which also keeps proxies and NATs from dropping it)."},
    {"ISACD_WS_PONG_TIMEOUT_S", CFG_LONG, OFF(ws_pong_timeout_s), "10", 1, 600,
        NULL,
        "A pinged WebSocket silent this much longer is dropped. Also how long "
        "a client has to answer our close frame, to take our last frame, and "
        "to finish a message it began (else 1008)."},
    {"ISACD_WS_MSG_RATE", CFG_LONG, OFF(ws_msg_rate), "10", 1, 100000, NULL,
        "Messages per second a realtime WebSocket client may send, sustained "
        "(a token bucket; pings count, the close does not); faster closes the "
        "socket with 1008."},
    {"ISACD_WS_MSG_BURST", CFG_LONG, OFF(ws_msg_burst), "50", 1, 1000000, NULL,
        "Size of that token bucket: messages a realtime WebSocket client may "
        "send in one burst before `ISACD_WS_MSG_RATE` holds it to the rate."},
    {"ISACD_ALLOWED_ORIGINS", CFG_STR, OFF(allowed_origins), "", 0, 0,
        config_check_origins,
        "Comma-separated origins (`https://console.example`) whose pages may "
        "open the realtime WebSocket besides isacd's own; other browser "
        "origins get 403, clients without `Origin` pass. Behind a TLS-"
        "terminating proxy, list the public origin."},
    {"ISACD_REALTIME_POLL_MS", CFG_LONG, OFF(realtime_poll_ms), "500", 50, 1000,
        NULL,
        "The realtime safety net: events are read at least this often, even "
        "when no notification came (a lost one then costs at most this "
        "delay)."},
};
/* clang-format on */

#define CONFIG_NDEFS (sizeof(config_defs) / sizeof(config_defs[0]))

int
config_load(struct config *c, config_getenv_fn get, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < CONFIG_NDEFS; i++) {
		const struct config_def *d = &config_defs[i];
		const char *v = get ? get(d->name) : NULL;
		char *field = (char *)c + d->offset;

		if (v == NULL)
			v = d->def;
		if (d->check && d->check(v, err, errlen) != 0) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "%s: %s", d->name, why);
			goto fail;
		}
		if (d->type == CFG_STR) {
			*(char **)(void *)field = xstrdup(v);
		} else {
			long n;

			if (config_parse_long(v, &n) != 0 || n < d->min ||
			    n > d->max) {
				snprintf(err, errlen,
				    "%s: expected a whole number from %ld to "
				    "%ld, got '%.64s'",
				    d->name, d->min, d->max, v);
				goto fail;
			}
			*(long *)(void *)field = n;
		}
	}
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		snprintf(err, errlen,
		    "ISACD_TLS_CERT and ISACD_TLS_KEY: set both or neither");
		goto fail;
	}
	if (c->totp_key[0] != '\0' && c->totp_key_file[0] != '\0') {
		snprintf(err, errlen,
		    "ISACD_TOTP_KEY and ISACD_TOTP_KEY_FILE: set one, not both");
		goto fail;
	}
	if (c->session_idle_s > c->session_max_s) {
		snprintf(err, errlen,
		    "ISACD_SESSION_IDLE_S: must not exceed "
		    "ISACD_SESSION_MAX_S");
		goto fail;
	}
	return 0;
fail:
	config_free(c);
	return -1;
}

void
config_free(struct config *c)
{
	for (size_t i = 0; i < CONFIG_NDEFS; i++) {
		if (config_defs[i].type == CFG_STR) {
			char **p = (char **)(void *)((char *)c +
			    config_defs[i].offset);

			free(*p);
			*p = NULL;
		}
	}
}

void
config_print_markdown(FILE *f)
{
	fputs("| variable | default | meaning |\n|---|---|---|\n", f);
	for (size_t i = 0; i < CONFIG_NDEFS; i++) {
		const struct config_def *d = &config_defs[i];

		fprintf(f, "| `%s` | %s%s%s | %s |\n", d->name,
		    d->def[0] ? "`" : "", d->def[0] ? d->def : "(unset)",
		    d->def[0] ? "`" : "", d->help);
	}
}

int
config_is_known(const char *name)
{
	for (size_t i = 0; i < CONFIG_NDEFS; i++)
		if (strcmp(config_defs[i].name, name) == 0)
			return 1;
	return 0;
}

int
config_split_listen(const char *listen, char *host, size_t hostcap, int *port)
{
	const char *colon, *hs = listen, *he;
	long p;

	if (listen[0] == '[') {
		he = strchr(listen, ']');
		if (he == NULL || he[1] != ':')
			return -1;
		hs = listen + 1;
		colon = he + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL ||
		    memchr(listen, ':', (size_t)(colon - listen)))
			return -1;
		he = colon;
	}
	if (he == hs || (size_t)(he - hs) >= hostcap)
		return -1;
	if (config_parse_long(colon + 1, &p) != 0 || p < 0 || p > 65535)
		return -1;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (int)p;
	return 0;
}

static int
config_check_listen(const char *v, char *err, size_t errlen)
{
	char host[256];
	int port;

	if (config_split_listen(v, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen,
		    "expected host:port or [ipv6]:port, got '%.64s'", v);
		return -1;
	}
	return 0;
}

static int
config_check_level(const char *v, char *err, size_t errlen)
{
	enum log_level l;

	if (log_level_parse(v, &l) != 0) {
		snprintf(err, errlen,
		    "expected debug, info, warn or error, got '%.32s'", v);
		return -1;
	}
	return 0;
}

/* An origin: http or https, "://", a host and an optional port, no path. */
static bool
config_origin_ok(const char *e, size_t n)
{
	size_t i;

	if (n > 8 && strncmp(e, "https://", 8) == 0)
		i = 8;
	else if (n > 7 && strncmp(e, "http://", 7) == 0)
		i = 7;
	else
		return false;
	for (; i < n; i++)
		if (!isalnum((unsigned char)e[i]) &&
		    strchr(".-:[]", e[i]) == NULL)
			return false;
	return true;
}

/* Empty, or comma-separated origins (blanks around each are ignored). */
static int
config_check_origins(const char *v, char *err, size_t errlen)
{
	if (*v == '\0')
		return 0;
	for (;;) {
		size_t len = strcspn(v, ","), n = len;
		const char *e = v;

		while (n > 0 && (*e == ' ' || *e == '\t')) {
			e++;
			n--;
		}
		while (n > 0 && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			n--;
		if (!config_origin_ok(e, n)) {
			snprintf(err, errlen,
			    "expected origins such as https://console.example, "
			    "comma-separated, got '%.*s'",
			    (int)(n > 64 ? 64 : n), e);
			return -1;
		}
		if (v[len] == '\0')
			return 0;
		v += len + 1;
	}
}

static int
config_check_proxies(const char *v, char *err, size_t errlen)
{
	struct cidr_set set;

	if (cidr_set_parse(v, &set, err, errlen) != 0)
		return -1;
	cidr_set_free(&set);
	return 0;
}

/* Empty, or keys seal_ring_parse accepts (they are not kept here). */
static int
config_check_keys(const char *v, char *err, size_t errlen)
{
	struct seal_ring ring;

	if (*v == '\0')
		return 0;
	if (seal_ring_parse(&ring, v, err, errlen) != 0)
		return -1;
	seal_ring_wipe(&ring);
	return 0;
}

static int
config_parse_long(const char *s, long *out)
{
	char *end;
	long n;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = n;
	return 0;
}
