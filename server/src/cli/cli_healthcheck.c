/*
 * cli_healthcheck.c - `isacd healthcheck`: is the isacd on ISACD_LISTEN
 * ready?  For a container's HEALTHCHECK: the image is Debian slim, with no
 * HTTP client, and the binary is already there.
 *
 * It sends GET /readyz (or --path) to the address isacd listens on, as
 * configured by the same ISACD_* variables (a wildcard address means this
 * host), over TLS when ISACD_TLS_CERT is set, and exits 0 on a 200, 1 on
 * anything else, with one line saying what it saw.  The certificate is not
 * checked: the peer is this host, and the question is readiness, not
 * identity.  Blocking I/O under a deadline is fine here: it is a command,
 * not the server.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli/cli.h"
#include "core/config.h"

static const char health_usage[] =
    "usage: isacd healthcheck [--path P] [--timeout S]\n"
    "\n"
    "Asks the isacd on ISACD_LISTEN (0.0.0.0 and [::] mean this host) for\n"
    "GET /readyz, over TLS when ISACD_TLS_CERT is set, and exits 0 when it\n"
    "answers 200, else 1 with one line saying why.  For a container's\n"
    "HEALTHCHECK; --path /healthz asks whether the process is alive only.\n"
    "\n"
    "  --path P     the path to ask (default /readyz)\n"
    "  --timeout S  seconds to wait for the whole answer (default 5)\n";

static int health_connect(
    const char *host, int port, int timeout_s, char *why, size_t whylen);
static int health_status(const char *head);

int
cli_healthcheck(int argc, char **argv)
{
	const char *path = "/readyz";
	long timeout_s = 5;
	char host[256], authority[300], req[900], buf[4096], why[300], *end;
	const char *tls_why;
	struct config cfg;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	size_t got = 0;
	int port, fd = -1, status, rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(health_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--path") != 0 &&
		    strcmp(argv[i], "--timeout") != 0)
			return cli_usage_error(
			    "healthcheck", "unknown option", argv[i]);
		if (i + 1 >= argc)
			return cli_usage_error(
			    "healthcheck", "missing value for", argv[i]);
		if (strcmp(argv[i], "--path") == 0) {
			path = argv[++i];
			if (path[0] != '/' || strlen(path) > 256 ||
			    strpbrk(path, " \r\n\t") != NULL)
				return cli_usage_error("healthcheck",
				    "--path must be a path such as /readyz, "
				    "not",
				    path);
		} else {
			timeout_s = strtol(argv[++i], &end, 10);
			if (*end != '\0' || timeout_s < 1 || timeout_s > 300)
				return cli_usage_error("healthcheck",
				    "--timeout must be 1 to 300 seconds, not",
				    argv[i]);
		}
	}
	if (cli_load_config(&cfg) != 0)
		return 2;
	if (config_split_listen(cfg.listen, host, sizeof(host), &port) != 0) {
		config_free(&cfg);
		return 2; /* config_load has checked it already */
	}
	if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (strcmp(host, "::") == 0)
		snprintf(host, sizeof(host), "::1");
	snprintf(authority, sizeof(authority), "%s%s%s:%d",
	    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	    port);
	snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "User-Agent: isacd-healthcheck\r\nConnection: close\r\n\r\n",
	    path, authority);
	fd = health_connect(host, port, (int)timeout_s, why, sizeof(why));
	if (fd < 0)
		goto fail;
	if (cfg.tls_cert[0]) {
		ctx = SSL_CTX_new(TLS_client_method());
		ssl = ctx ? SSL_new(ctx) : NULL;
		if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
		    SSL_connect(ssl) != 1 ||
		    SSL_write(ssl, req, (int)strlen(req)) <= 0) {
			tls_why = ERR_reason_error_string(ERR_get_error());
			snprintf(why, sizeof(why), "TLS failed: %s",
			    tls_why ? tls_why : "no handshake");
			goto fail;
		}
	} else if (send(fd, req, strlen(req), MSG_NOSIGNAL) !=
	    (ssize_t)strlen(req)) {
		snprintf(why, sizeof(why), "sending failed");
		goto fail;
	}
	/* the status line is all that counts: read until it is in */
	while (got < sizeof(buf) - 1 && memchr(buf, '\n', got) == NULL) {
		ssize_t n = ssl
		    ? SSL_read(ssl, buf + got, (int)(sizeof(buf) - 1 - got))
		    : recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	status = health_status(buf);
	if (status < 0) {
		snprintf(
		    why, sizeof(why), "no HTTP answer within %ld s", timeout_s);
		goto fail;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	printf("%s%s: %s\n", authority, path, buf);
	rc = status == 200 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "isacd healthcheck: %s: %s\n", authority, why);
out:
	if (ssl)
		SSL_free(ssl);
	if (ctx)
		SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	config_free(&cfg);
	return rc;
}

/* A connected socket whose reads and writes give up after timeout_s. */
static int
health_connect(
    const char *host, int port, int timeout_s, char *why, size_t whylen)
{
	struct addrinfo hints, *ai = NULL;
	struct timeval tv = {timeout_s, 0};
	char service[8];
	int fd = -1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	e = getaddrinfo(host, service, &hints, &ai);
	if (e != 0) {
		snprintf(why, whylen, "%s", gai_strerror(e));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	/* on Linux SO_SNDTIMEO bounds connect() too */
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(why, whylen, "cannot connect: %m");
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* The status code of "HTTP/1.x NNN ...", or -1. */
static int
health_status(const char *head)
{
	if (strncmp(head, "HTTP/1.", 7) != 0 || head[7] == '\0' ||
	    head[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (head[i] < '0' || head[i] > '9')
			return -1;
	return (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
}
