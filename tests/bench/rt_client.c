/*
 * rt_client.c - the load generator of tests/bench/realtime.sh: many
 * WebSockets (or idle HTTP keep-alive connections) on one thread, and the
 * posts whose delivery it times.
 *
 *   rt_client ws   HOST PORT TOKENS N CHANNEL [options]
 *   rt_client http HOST PORT TOKENS N
 *
 * `ws` opens N WebSockets to GET /api/v1/realtime, socket i with the
 * bearer token on line i (mod the file's lines) of TOKENS, and subscribes
 * each to CHANNEL; at most W handshakes are in flight at once, so the
 * server's database pool is not flooded.  When all are subscribed it prints
 * "ready N" and waits for SIGUSR1 (or SIGTERM: then it prints what it
 * received and exits).  On SIGUSR1 it makes P posts one after another
 * (POST /api/v1/channels/CHANNEL/posts, TLP:GREEN, a 500-byte body, over
 * one keep-alive connection to POST_PORT with token POSTER) and for each
 * prints one line, times in microseconds from the moment the request was
 * written:
 *
 *   post K 201_us first_us last_us delivered wrong
 *
 * (`delivered` sockets got the post.created event within 10 s, `wrong` of
 * them got another post than the one made).  With P = 0 it only holds and
 * counts events until SIGTERM; the printed count lets the script check that
 * every subscriber got every post exactly once.
 *
 * `http` opens N connections, makes one GET /healthz on each (keep-alive)
 * and holds them until SIGTERM: the idle HTTP connection to compare with.
 *
 * Options: -w W (handshakes in flight, 200), -s K (sockets per source
 * address: socket i binds 127.0.0.(2 + i / K), 200), -p POST_PORT, -t
 * POSTER, -n P, -g GAP_MS (pause between posts, 20).
 *
 * Plain epoll, non-blocking sockets, one read buffer; a socket keeps only
 * the bytes of a frame that has not fully arrived.  Server frames are not
 * masked; ours are (RFC 6455), with a fixed key: the server only checks
 * that a mask is there.  Pings are answered with pongs, so the server's
 * keep-alive never drops a held socket.  Its own CPU time is printed at
 * exit ("client_cpu_ms"), so the script can show that the client is not
 * the limit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { S_CONNECTING, S_UPGRADING, S_SUBSCRIBING, S_LIVE, S_HTTP, S_DEAD };

struct sock {
	int fd;
	enum state st;
	const char *token;
	char *pend; /* bytes of an incomplete frame or head */
	size_t npend;
	uint32_t events;  /* post.created events received */
	char last_id[37]; /* the post id of the last one */
};

#define POST_IDX UINT32_MAX /* epoll tag of the posting connection */

static struct sock *socks;
static int nsocks, ep, n_live, n_dead, in_flight;
static const char *host, *channel, *poster;
static int port, post_port, per_addr = 200, window = 200;
static volatile sig_atomic_t got_usr1, got_term;
static char rbuf[1 << 16];
static uint64_t cur_post = 0; /* index of the post being timed, 1-based */
static double t_first, t_last;
static uint32_t n_deliv;
static char sub_msg[4096]; /* the subscribe message: CHANNEL may be a,b,c */
static char post_path[256];

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
on_sig(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static void
send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* small messages on a loopback socket: a full buffer is
			 * the server not reading, wait briefly */
			usleep(100);
			continue;
		}
		if (n <= 0)
			die("write");
		p += n;
		len -= (size_t)n;
	}
}

/* a masked client frame */
static void
send_frame(int fd, int opcode, const char *data, size_t len)
{
	static const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
	uint8_t hdr[14];
	size_t h = 0;
	char *out = malloc(len + 14);

	hdr[h++] = (uint8_t)(0x80 | opcode);
	if (len < 126) {
		hdr[h++] = (uint8_t)(0x80 | len);
	} else {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (uint8_t)(len >> 8);
		hdr[h++] = (uint8_t)len;
	}
	memcpy(hdr + h, key, 4);
	h += 4;
	memcpy(out, hdr, h);
	for (size_t i = 0; i < len; i++)
		out[h + i] = (char)(data[i] ^ key[i % 4]);
	send_all(fd, out, h + len);
	free(out);
}

static void
sock_dead(struct sock *s, const char *why)
{
	if (s->st == S_DEAD)
		return;
	if (n_dead < 5)
		fprintf(stderr, "socket %ld: %s\n", (long)(s - socks), why);
	if (s->st != S_LIVE && s->st != S_HTTP)
		in_flight--;
	else
		n_live--;
	s->st = S_DEAD;
	n_dead++;
	epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	free(s->pend);
	s->pend = NULL;
}

static void
sock_start(int i)
{
	struct sock *s = &socks[i];
	struct sockaddr_in src = {.sin_family = AF_INET},
	                   dst = {.sin_family = AF_INET};
	struct epoll_event ev = {
	    .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		die("socket");
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	src.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(i / per_addr));
	if (bind(s->fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		die("bind");
	dst.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &dst.sin_addr);
	if (connect(s->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
	    errno != EINPROGRESS)
		die("connect");
	s->st = S_CONNECTING;
	in_flight++;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		die("epoll_ctl");
}

static void
sock_writable(struct sock *s, int http)
{
	struct epoll_event ev = {
	    .events = EPOLLIN, .data.u32 = (uint32_t)(s - socks)};
	char req[512];
	int err = 0;
	socklen_t el = sizeof(err);

	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		errno = err;
		sock_dead(s, strerror(err));
		return;
	}
	if (http)
		snprintf(req, sizeof(req),
		    "GET /healthz HTTP/1.1\r\nHost: %s:%d\r\n\r\n", host, port);
	else
		snprintf(req, sizeof(req),
		    "GET /api/v1/realtime HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
		    host, port, s->token);
	send_all(s->fd, req, strlen(req));
	s->st = S_UPGRADING;
	epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

static void
pend_keep(struct sock *s, const char *p, size_t n)
{
	char *b = malloc(n ? n : 1);

	memcpy(b, p, n);
	free(s->pend);
	s->pend = n ? b : NULL;
	s->npend = n;
	if (!n)
		free(b);
}

static void
on_text(struct sock *s, const char *p, size_t n)
{
	if (s->st == S_SUBSCRIBING) {
		if (memmem(p, n, "\"type\":\"subscribed\"", 19)) {
			s->st = S_LIVE;
			in_flight--;
			n_live++;
		} else if (memmem(p, n, "\"type\":\"error\"", 14)) {
			fprintf(stderr, "subscribe: %.*s\n", (int)n, p);
			sock_dead(s, "subscribe refused");
		}
		return;
	}
	if (!memmem(p, n, "\"event\":\"post.created\"", 22))
		return;
	/* the post's id: the first "id" of "data" (PostgreSQL's JSON may
	 * put spaces around the colon) */
	const char *d = memmem(p, n, "\"data\"", 6);
	const char *id = d ? memmem(d, n - (size_t)(d - p), "\"id\"", 4) : NULL;

	s->events++;
	if (id) {
		id += 4;
		while (id < p + n && (*id == ' ' || *id == ':'))
			id++;
		if (id < p + n && *id == '"' &&
		    (size_t)(id + 1 + 36 - p) <= n) {
			memcpy(s->last_id, id + 1, 36);
			s->last_id[36] = 0;
		}
	}
	if (cur_post && s->events == cur_post) {
		double t = now_us();

		if (!n_deliv++)
			t_first = t;
		t_last = t;
	}
}

/* parse the frames in p[0..n); returns the bytes consumed */
static size_t
frames(struct sock *s, const char *p, size_t n)
{
	size_t off = 0;

	while (n - off >= 2) {
		const uint8_t *h = (const uint8_t *)p + off;
		uint64_t len = h[1] & 0x7f;
		size_t hl = 2;

		if (len == 126) {
			if (n - off < 4)
				break;
			len = (uint64_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (len == 127) {
			if (n - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | h[2 + i];
			hl = 10;
		}
		if (n - off - hl < len)
			break;
		int op = h[0] & 0x0f;
		const char *pl = p + off + hl;

		if (op == 1 || op == 0)
			on_text(s, pl, (size_t)len);
		else if (op == 9)
			send_frame(s->fd, 10, pl, (size_t)len);
		else if (op == 8) {
			fprintf(stderr, "close frame: code %d\n",
			    len >= 2 ? ((uint8_t)pl[0] << 8 | (uint8_t)pl[1])
			             : 0);
			sock_dead(s, "closed by the server");
			return n;
		}
		off += hl + (size_t)len;
	}
	return off;
}

static void
sock_readable(struct sock *s)
{
	for (;;) {
		ssize_t r = read(s->fd, rbuf, sizeof(rbuf));
		const char *p = rbuf;
		size_t n, used;
		char *joined = NULL;

		if (r < 0 && errno == EAGAIN)
			return;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			sock_dead(s, r == 0 ? "EOF" : strerror(errno));
			return;
		}
		n = (size_t)r;
		if (s->npend) {
			joined = malloc(s->npend + n);
			memcpy(joined, s->pend, s->npend);
			memcpy(joined + s->npend, rbuf, n);
			p = joined;
			n += s->npend;
			free(s->pend);
			s->pend = NULL;
			s->npend = 0;
		}
		if (s->st == S_UPGRADING || s->st == S_HTTP) {
			const char *end = memmem(p, n, "\r\n\r\n", 4);

			if (!end) {
				pend_keep(s, p, n);
				free(joined);
				continue;
			}
			if (s->st == S_HTTP) {
				/* the held connection's one response: drop it
				 */
				free(joined);
				continue;
			}
			if (n < 12 || memcmp(p + 9, "101", 3) != 0) {
				fprintf(stderr, "upgrade: %.*s\n",
				    (int)(n < 200 ? n : 200), p);
				free(joined);
				sock_dead(s, "upgrade refused");
				return;
			}
			if (channel == NULL) { /* http mode never gets here */
				free(joined);
				return;
			}
			send_frame(s->fd, 1, sub_msg, strlen(sub_msg));
			s->st = S_SUBSCRIBING;
			size_t head = (size_t)(end + 4 - p);

			p += head;
			n -= head;
		}
		used = frames(s, p, n);
		if (s->st != S_DEAD && used < n)
			pend_keep(s, p + used, n - used);
		free(joined);
	}
}

/* the posting connection: one request at a time, keep-alive */
static int post_fd = -1;
static char post_resp[1 << 16];
static size_t post_n;
static int post_done;
static char post_id[37];

static void
post_connect(void)
{
	struct sockaddr_in dst = {.sin_family = AF_INET};
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = POST_IDX};
	int one = 1;

	post_fd = socket(AF_INET, SOCK_STREAM, 0);
	dst.sin_port = htons((uint16_t)post_port);
	inet_pton(AF_INET, host, &dst.sin_addr);
	if (connect(post_fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("connect (post)");
	setsockopt(post_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(post_fd, F_SETFL, O_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, post_fd, &ev);
}

static void
post_send(uint64_t k)
{
	char body[1024], req[2048], pad[501];

	memset(pad, 'x', 500);
	pad[500] = 0;
	snprintf(body, sizeof(body),
	    "{\"kind\":\"incident\",\"title\":\"Bench post %llu\",\"body\":\"%s\","
	    "\"tlp\":\"TLP:GREEN\",\"tags\":[\"bench\"]}",
	    (unsigned long long)k, pad);
	snprintf(req, sizeof(req),
	    "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    post_path, host, post_port, poster, strlen(body), body);
	post_n = 0;
	post_done = 0;
	send_all(post_fd, req, strlen(req));
}

static void
post_readable(void)
{
	for (;;) {
		ssize_t r = read(post_fd, post_resp + post_n,
		    sizeof(post_resp) - post_n - 1);

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0)
			die("read (post)");
		post_n += (size_t)r;
		post_resp[post_n] = 0;
		const char *end = strstr(post_resp, "\r\n\r\n");
		const char *cl = strcasestr(post_resp, "content-length:");

		if (!end || !cl)
			continue;
		if (post_n <
		    (size_t)(end + 4 - post_resp) + strtoul(cl + 15, NULL, 10))
			continue;
		if (strncmp(post_resp + 9, "201", 3) != 0) {
			fprintf(stderr, "post: %s\n", post_resp);
			exit(1);
		}
		const char *id = strstr(end, "\"id\":\"");

		if (id) {
			memcpy(post_id, id + 6, 36);
			post_id[36] = 0;
		}
		post_done = 1;
		return;
	}
}

static void
dispatch(int timeout_ms, int http)
{
	struct epoll_event evs[512];
	int n = epoll_wait(ep, evs, 512, timeout_ms);

	for (int i = 0; i < n; i++) {
		uint32_t k = evs[i].data.u32;

		if (k == POST_IDX) {
			post_readable();
			continue;
		}
		struct sock *s = &socks[k];

		if (s->st == S_DEAD)
			continue;
		if (s->st == S_CONNECTING &&
		    (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			sock_writable(s, http);
		else if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			sock_readable(s);
		if (http && s->st == S_UPGRADING) { /* request written: held */
			s->st = S_HTTP;
			in_flight--;
			n_live++;
		}
	}
}

int
main(int argc, char **argv)
{
	int http, nposts = 0, gap_ms = 20, next = 0, opt;
	char **tokens = NULL, line[256];
	size_t ntok = 0, cap = 0;
	struct sigaction sa = {.sa_handler = on_sig};
	struct rusage ru;
	FILE *f;

	if (argc < 6) {
		fprintf(stderr,
		    "usage: rt_client ws|http HOST PORT TOKENS N [CHANNEL] [-w W] [-s K] "
		    "[-p POST_PORT] [-t POSTER] [-n P] [-g GAP_MS]\n");
		return 2;
	}
	http = strcmp(argv[1], "http") == 0;
	host = argv[2];
	port = post_port = atoi(argv[3]);
	nsocks = atoi(argv[5]);
	if (!http) {
		if (argc < 7)
			return 2;
		channel = argv[6];
	}
	optind = http ? 6 : 7;
	while ((opt = getopt(argc, argv, "w:s:p:t:n:g:")) != -1) {
		switch (opt) {
		case 'w':
			window = atoi(optarg);
			break;
		case 's':
			per_addr = atoi(optarg);
			break;
		case 'p':
			post_port = atoi(optarg);
			break;
		case 't':
			poster = optarg;
			break;
		case 'n':
			nposts = atoi(optarg);
			break;
		case 'g':
			gap_ms = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!http) {
		size_t o = (size_t)snprintf(sub_msg, sizeof(sub_msg),
		    "{\"type\":\"subscribe\",\"channels\":[");
		char *list = strdup(channel), *save = NULL;
		int first = 1;

		for (char *c = strtok_r(list, ",", &save); c;
		     c = strtok_r(NULL, ",", &save), first = 0)
			o += (size_t)snprintf(sub_msg + o, sizeof(sub_msg) - o,
			    "%s\"%s\"", first ? "" : ",", c);
		snprintf(sub_msg + o, sizeof(sub_msg) - o, "]}");
		/* posts go to the first channel */
		snprintf(post_path, sizeof(post_path),
		    "/api/v1/channels/%.36s/posts", channel);
		free(list);
	}
	if (nposts > 0 && poster == NULL) {
		fprintf(stderr, "-n needs -t POSTER\n");
		return 2;
	}
	if (!(f = fopen(argv[4], "r")))
		die(argv[4]);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!*line)
			continue;
		if (ntok == cap)
			tokens = realloc(tokens,
			    (cap = cap ? cap * 2 : 1024) * sizeof(*tokens));
		tokens[ntok++] = strdup(line);
	}
	fclose(f);
	if (ntok == 0 && !http) {
		fprintf(stderr, "no tokens\n");
		return 1;
	}
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((ep = epoll_create1(0)) < 0)
		die("epoll_create1");
	socks = calloc((size_t)nsocks, sizeof(*socks));
	for (int i = 0; i < nsocks; i++)
		socks[i].token = ntok ? tokens[i % ntok] : "";

	double t0 = now_us();

	while (n_live + n_dead < nsocks && !got_term) {
		while (next < nsocks && in_flight < window)
			sock_start(next++);
		dispatch(100, http);
		if (now_us() - t0 > 300e6) {
			fprintf(stderr, "only %d of %d ready after 300 s\n",
			    n_live, nsocks);
			return 1;
		}
	}
	printf("ready %d dead %d in %.1f s\n", n_live, n_dead,
	    (now_us() - t0) / 1e6);
	fflush(stdout);
	if (n_dead)
		return 1;

	while (!got_usr1 && !got_term)
		dispatch(100, http);
	if (got_usr1 && nposts > 0 && !got_term) {
		post_connect();
		for (int k = 1; k <= nposts && !got_term; k++) {
			double ts, t201 = 0, deadline;
			uint32_t wrong = 0;

			cur_post = (uint64_t)k;
			n_deliv = 0;
			/* deliveries already here (none should be) count too */
			for (int i = 0; i < nsocks; i++)
				if (socks[i].st == S_LIVE &&
				    socks[i].events >= cur_post)
					n_deliv++;
			ts = now_us();
			post_send((uint64_t)k);
			deadline = ts + 10e6;
			while ((!post_done || n_deliv < (uint32_t)n_live) &&
			    now_us() < deadline && !got_term) {
				dispatch(1, http);
				if (post_done && t201 == 0)
					t201 = now_us();
			}
			for (int i = 0; i < nsocks; i++)
				if (socks[i].st == S_LIVE &&
				    socks[i].events == cur_post &&
				    strcmp(socks[i].last_id, post_id) != 0)
					wrong++;
			printf("post %d %.0f %.0f %.0f %u %u\n", k, t201 - ts,
			    t_first - ts, t_last - ts, n_deliv, wrong);
			fflush(stdout);
			/* the pause: keep answering pings meanwhile */
			for (double e = now_us() + gap_ms * 1e3; now_us() < e;)
				dispatch(1, http);
		}
		cur_post = 0;
		while (!got_term)
			dispatch(100, http);
	} else {
		/* hold: a line whenever the count moved in the last 200 ms, so
		 * the script can wait until every subscriber has every post */
		uint64_t shown = 0;

		while (!got_term) {
			uint64_t total = 0;
			uint32_t mn = UINT32_MAX;

			dispatch(200, http);
			for (int i = 0; i < nsocks; i++) {
				if (socks[i].st != S_LIVE)
					continue;
				total += socks[i].events;
				mn =
				    socks[i].events < mn ? socks[i].events : mn;
			}
			if (total != shown) {
				printf("held %llu min %u at %.0f\n",
				    (unsigned long long)total, mn,
				    now_us() / 1e3);
				fflush(stdout);
				shown = total;
			}
		}
	}
	{
		uint64_t total = 0;
		uint32_t mn = UINT32_MAX, mx = 0;

		for (int i = 0; i < nsocks; i++) {
			if (socks[i].st != S_LIVE)
				continue;
			total += socks[i].events;
			mn = socks[i].events < mn ? socks[i].events : mn;
			mx = socks[i].events > mx ? socks[i].events : mx;
		}
		getrusage(RUSAGE_SELF, &ru);
		printf(
		    "events %llu per_socket_min %u per_socket_max %u live %d dead %d client_cpu_ms %.0f\n",
		    (unsigned long long)total, mn == UINT32_MAX ? 0 : mn, mx,
		    n_live, n_dead,
		    (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		        (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	}
	return 0;
}
