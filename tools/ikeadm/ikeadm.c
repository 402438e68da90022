/*
 * ikeadm - manage the running in.ikev2d through its control socket
 * (plugins/control/PROTOCOL.md; man page ikeadm(8)).
 *
 *   ikeadm [-np] [-j] [-v 2] [-s socket]                 interactive
 *   ikeadm [-np] [-j] [-v 2] [-s socket] command [args]
 *
 * The daemon does the work and formats the output (text or, with -j /
 * --json, JSON); ikeadm frames the request, prints what comes back and
 * exits with the status the daemon sent (0 ok, 1 failed, 2 usage,
 * 3 not found, 4 denied, 5 daemon unreachable, 6 protocol error,
 * 7 not supported).  Files named in commands are resolved here: read
 * passes an absolute path, write creates the file itself (never replacing
 * one) with what the daemon sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "ctl_proto.h"

#ifdef HAVE_LIBEDIT
#include <histedit.h>
#include <editline/readline.h>
#endif

#ifndef IKEV2D_RUNSTATEDIR
#define IKEV2D_RUNSTATEDIR "/var/run"
#endif
#define DEFAULT_SOCKET IKEV2D_RUNSTATEDIR "/in.ikev2d.ctl"
#define REPLY_TIMEOUT_MS 60000

static const char *sock_path = DEFAULT_SOCKET;
static uint32_t flags;
static bool interactive;

static void usage(FILE *out)
{
	fprintf(out,
"usage: ikeadm [-np] [-j|--json] [-v 2] [-s socket] [command [args...]]\n"
"  -n  numeric output   -p  paranoid: key bytes shown as X   -j  JSON output\n"
"  -v 2  IKEv2 (the only version; accepted and implied)   -s  control socket\n"
"       (default %s, or $IKEADM_SOCKET)\n"
"Without a command: interactive mode (one command a line, 'quit' ends).\n"
"Commands:\n"
"  get debug | get stats [RULE] | get defaults\n"
"  set debug LEVEL [FILE]        LEVEL: op|operator, verbose, all, phase1+phase2, 0x18...\n"
"  get|del ikesa ID              ID: #N | SPIi SPIr | LOCAL-ADDR REMOTE-ADDR |\n"
"                                    TYPE LOCAL-ID REMOTE-ID (TYPE: ip fqdn user_fqdn dn keyid)\n"
"  get rule LABEL | get preshared LABEL\n"
"  add rule { ... }              a rule into the running set (ikev2.config syntax)\n"
"  add preshared { ... }         a key entry (ikev2.preshared syntax; interactive only)\n"
"  del rule|preshared LABEL      out of the running set; SAs stay\n"
"  read rule|preshared [FILE]    reload, as SIGHUP does; established SAs stay\n"
"  write rule [FILE]             the running configuration into a new FILE (or stdout)\n"
"  write preshared FILE          the running keys into a new FILE (root)\n"
"  dump ikesa|childsa|rule|preshared|groups|encralgs|authalgs\n"
"  flush ikesa\n"
"  initiate RULE\n"
"  terminate ikesa ID | terminate rule LABEL | terminate childsa SPI\n"
"  token login|logout OBJECT     unlock/lock the PKCS#11 token (URI or label; PIN from the terminal)\n"
"  help\n", DEFAULT_SOCKET);
}

/* ------------------------------------------------------------ I/O */

static int connect_daemon(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	if (strlen(sock_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "ikeadm: socket path too long: %s\n", sock_path);
		return -1;
	}
	strcpy(sun.sun_path, sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "ikeadm: cannot reach in.ikev2d at %s: %s\n", sock_path,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static bool read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, REPLY_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t got = read(fd, p, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		p += got;
		n -= (size_t)got;
	}
	return true;
}

/* Run one command; output goes to out (stdout, or a file for write).
 * Returns the exit status. */
static int run_command(int argc, char **argv, FILE *out)
{
	uint8_t *req;
	size_t req_len;
	if (!ctl_request_encode(flags, argc, argv, &req, &req_len)) {
		fprintf(stderr, "ikeadm: command too long\n");
		return CTL_S_USAGE;
	}
	int fd = connect_daemon();
	if (fd < 0) {
		free(req);
		return CTL_S_UNREACHABLE;
	}
	bool ok = write_all(fd, req, req_len);
	int send_errno = errno;
	explicit_bzero(req, req_len);
	free(req);
	if (!ok && send_errno != EPIPE && send_errno != ECONNRESET) {
		fprintf(stderr, "ikeadm: cannot send to in.ikev2d: %s\n",
		        strerror(send_errno));
		close(fd);
		return CTL_S_UNREACHABLE;
	}
	/* A daemon that refuses us closes at once: its answer (why) may be
	 * waiting even though our request could not be sent. */
	uint8_t *body = malloc(CTL_MAX_DATA);
	int status = CTL_S_PROTOCOL;
	for (;;) {
		uint8_t h[CTL_HDR_LEN];
		ctl_hdr_t hdr;
		if (!read_all(fd, h, sizeof(h))) {
			fprintf(stderr, "ikeadm: in.ikev2d closed the connection or did "
			        "not answer\n");
			break;
		}
		const char *err = ctl_hdr_parse(h, &hdr, CTL_MAX_DATA);
		if (err) {
			fprintf(stderr, "ikeadm: bad answer from in.ikev2d: %s\n", err);
			break;
		}
		if (!read_all(fd, body, hdr.length)) {
			fprintf(stderr, "ikeadm: answer from in.ikev2d cut short\n");
			break;
		}
		if (hdr.type == CTL_DATA) {
			if (fwrite(body, 1, hdr.length, out) != hdr.length) {
				fprintf(stderr, "ikeadm: write: %s\n", strerror(errno));
				status = CTL_S_FAILED;
				break;
			}
			continue;
		}
		if (hdr.type != CTL_END || hdr.length < 1) {
			fprintf(stderr, "ikeadm: bad answer from in.ikev2d (type %u)\n",
			        hdr.type);
			break;
		}
		status = body[0];
		if (hdr.length > 1) {
			fprintf(status ? stderr : stdout, "%s%.*s\n",
			        status ? "ikeadm: " : "", (int)(hdr.length - 1),
			        (const char *)body + 1);
		}
		break;
	}
	fflush(out);
	free(body);
	close(fd);
	return status;
}

/* ---------------------------------------------------------- commands */

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* write rule|preshared FILE: a new file only (the live ones are never
 * replaced), mode 0600; removed again if the daemon refuses.  write rule
 * without FILE: to stdout. */
static int cmd_write(int argc, char **argv)
{
	if (argc == 2 && is(argv[1], "rule"))
		return run_command(2, argv, stdout);
	if (argc != 3 || !(is(argv[1], "rule") || is(argv[1], "preshared"))) {
		fprintf(stderr, "ikeadm: usage: write rule [FILE] | write preshared FILE\n");
		return CTL_S_USAGE;
	}
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		fprintf(stderr, "ikeadm: %s: %s%s\n", argv[2], strerror(errno),
		        errno == EEXIST ? " (write never replaces a file)" : "");
		return CTL_S_FAILED;
	}
	FILE *f = fdopen(fd, "w");
	char *a[] = { argv[0], argv[1], NULL };
	int st = run_command(2, a, f);
	if (fclose(f) != 0 && st == 0) {
		fprintf(stderr, "ikeadm: %s: %s\n", argv[2], strerror(errno));
		st = CTL_S_FAILED;
	}
	if (st != 0)
		unlink(argv[2]);
	else
		printf("Wrote %s\n", argv[2]);
	return st;
}

/* token login OBJECT: the PIN from the terminal (echo off), never from
 * the command line, where every user could read it (ps). */
static int cmd_token_login(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "ikeadm: usage: token login OBJECT (the PIN is asked "
		        "for on the terminal, never given as an argument)\n");
		return CTL_S_USAGE;
	}
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0) {
		fprintf(stderr, "ikeadm: token login reads the PIN from the terminal: "
		        "%s\n", strerror(errno));
		return CTL_S_USAGE;
	}
	struct termios old, quiet;
	bool restore = tcgetattr(tty, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(tty, TCSANOW, &quiet);
	}
	char prompt[600];
	int pl = snprintf(prompt, sizeof(prompt), "Enter PIN for %s: ", argv[2]);
	if (pl > 0 && write(tty, prompt, (size_t)pl < sizeof(prompt) ? (size_t)pl :
	                    sizeof(prompt) - 1) < 0) {
		/* the prompt is a courtesy: read the PIN anyway */
	}
	char pin[256];
	size_t n = 0;
	bool too_long = false;
	for (;;) {
		char ch;
		ssize_t r = read(tty, &ch, 1);
		if (r <= 0 || ch == '\n' || ch == '\r')
			break;
		if (n + 1 < sizeof(pin))
			pin[n++] = ch;
		else
			too_long = true;
	}
	pin[n] = '\0';
	if (restore)
		tcsetattr(tty, TCSANOW, &old);
	if (write(tty, "\n", 1) < 0) {
		/* as above */
	}
	close(tty);
	int st;
	if (too_long || !n) {
		fprintf(stderr, "ikeadm: %s\n", n ? "PIN too long" : "no PIN given");
		st = CTL_S_USAGE;
	} else {
		char *a[] = { argv[0], argv[1], argv[2], pin, NULL };
		st = run_command(4, a, stdout);
	}
	explicit_bzero(pin, sizeof(pin));
	return st;
}

static int dispatch(int argc, char **argv)
{
	if (argc == 0)
		return 0;
	if (is(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	if (is(argv[0], "write"))
		return cmd_write(argc, argv);
	if (is(argv[0], "token") && argc >= 2 && is(argv[1], "login"))
		return cmd_token_login(argc, argv);
	if (is(argv[0], "read") && argc == 3) {
		char abs[PATH_MAX];
		if (!realpath(argv[2], abs)) {
			fprintf(stderr, "ikeadm: %s: %s\n", argv[2], strerror(errno));
			return CTL_S_FAILED;
		}
		char *a[] = { argv[0], argv[1], abs, NULL };
		return run_command(3, a, stdout);
	}
	if (is(argv[0], "set") && is(argv[1], "debug") && argc == 4 && argv[3][0] != '/') {
		char abs[PATH_MAX], cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, argv[3]) >= (int)sizeof(abs)) {
			fprintf(stderr, "ikeadm: path too long\n");
			return CTL_S_USAGE;
		}
		char *a[] = { argv[0], argv[1], argv[2], abs, NULL };
		return run_command(4, a, stdout);
	}
	if (is(argv[0], "add") && is(argv[1], "preshared") && !interactive) {
		/* the seed: keys on the command line only in interactive mode
		 * (argv is visible to every user through ps) */
		fprintf(stderr, "ikeadm: add preshared: a key on the command line is "
		        "visible to every user (ps); type it in interactive mode (ikeadm "
		        "with no command, also from a pipe), or use ikeadm read preshared "
		        "FILE\n");
		return CTL_S_USAGE;
	}
	if (is(argv[0], "add") && argc > 2) {
		/* one argument: the braces and everything in them */
		size_t len = 1;
		for (int i = 2; i < argc; i++)
			len += strlen(argv[i]) + 1;
		char *d = calloc(1, len);
		for (int i = 2; i < argc; i++) {
			strcat(d, argv[i]);
			if (i + 1 < argc)
				strcat(d, " ");
		}
		char *a[] = { argv[0], argv[1], d, NULL };
		int st = run_command(3, a, stdout);
		explicit_bzero(d, len);
		free(d);
		return st;
	}
	return run_command(argc, argv, stdout);
}

/* ------------------------------------------------------- interactive */

/* Split a line into words: blanks separate, "..." quotes (\" and \\). */
static int split(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == max)
			return -1;
		char *o = p;
		w[n++] = o;
		bool q = false;
		while (*p && (q || (*p != ' ' && *p != '\t' && *p != '\n'))) {
			if (*p == '"') {
				q = !q;
				p++;
				continue;
			}
			if (q && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*o++ = *p++;
		}
		if (*p)
			p++;
		*o = '\0';
		if (q)
			return -2;
	}
	return n;
}

/* For "add rule|preshared TEXT": the blank just before TEXT, else NULL. */
static char *add_entry_text(char *line)
{
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, "add", 3) != 0 || (p[3] != ' ' && p[3] != '\t'))
		return NULL;
	p += 3;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t kw = strncmp(p, "rule", 4) == 0 ? 4 :
	            strncmp(p, "preshared", 9) == 0 ? 9 : 0;
	if (!kw || (p[kw] != ' ' && p[kw] != '\t'))
		return NULL;
	return p + kw;
}

/* Lines with a secret stay out of the history. */
static bool secret_line(const char *l)
{
	return strstr(l, "preshared") != NULL || strstr(l, "token") != NULL;
}

static char *get_line(void)
{
#ifdef HAVE_LIBEDIT
	if (isatty(STDIN_FILENO)) {
		char *l = readline("ikeadm> ");
		if (l && *l && !secret_line(l))
			add_history(l);
		return l;
	}
#endif
	static char buf[CTL_MAX_REQUEST];
	if (isatty(STDIN_FILENO)) {
		fputs("ikeadm> ", stdout);
		fflush(stdout);
	}
	if (!fgets(buf, sizeof(buf), stdin))
		return NULL;
	char *l = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return l;
}

static int interactive_loop(void)
{
	int last = 0;
	interactive = true;
	char *line;
	while ((line = get_line())) {
		char *w[CTL_MAX_ARGS];
		size_t line_len = strlen(line);
		/* add rule|preshared: the entry goes as typed (its quotes are
		 * libconfig's), not split into words */
		char *raw = add_entry_text(line);
		if (raw) {
			*raw++ = '\0';
			int n = split(line, w, 2);
			if (n == 2) {
				char *a[] = { w[0], w[1], raw, NULL };
				last = dispatch(3, a);
			} else {
				fprintf(stderr, "ikeadm: usage: add rule|preshared { ... }\n");
				last = CTL_S_USAGE;
			}
			explicit_bzero(line, line_len);
			free(line);
			continue;
		}
		int n = split(line, w, CTL_MAX_ARGS);
		if (n == -1)
			fprintf(stderr, "ikeadm: too many words\n");
		else if (n == -2)
			fprintf(stderr, "ikeadm: unbalanced quotes\n");
		else if (n > 0 && (is(w[0], "quit") || is(w[0], "exit"))) {
			free(line);
			break;
		} else if (n > 0) {
			last = dispatch(n, w);
		}
		free(line);
	}
	return last;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	const char *env = getenv("IKEADM_SOCKET");
	if (env && *env)
		sock_path = env;
	/* "+": options stop at the command (its words may start with '-') */
	while ((c = getopt_long(argc, argv, "+npjv:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': flags |= CTL_F_NUMERIC; break;
		case 'p': flags |= CTL_F_PARANOID; break;
		case 'j': flags |= CTL_F_JSON; break;
		case 's': sock_path = optarg; break;
		case 'v':
			if (strcmp(optarg, "2") != 0) {
				fprintf(stderr, "ikeadm: -v %s: only IKEv2 (in.ikev2d) is "
				        "supported\n", optarg);
				return CTL_S_USAGE;
			}
			break;
		case 'V':
			printf("ikeadm %s (control protocol %d)\n", PACKAGE_VERSION, CTL_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return CTL_S_USAGE;
		}
	}
	if (optind >= argc)
		return interactive_loop();
	return dispatch(argc - optind, argv + optind);
}
