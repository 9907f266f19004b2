/* Children run without a shell, watched by the loop through a pidfd and their output pipe. */
#include "base/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

/* Longest line logged at once; longer lines are split (the header's 4 KiB). The logger formats a
 * message into 4096 bytes, so "<tag>: " is taken off that to lose nothing; LINE_MIN_BYTES keeps a
 * silly long tag from shrinking lines to nothing. */
#define LINE_MAX_BYTES 4096
#define LOG_MSG_BYTES  4096
#define LINE_MIN_BYTES 256

/* Read from one child's pipe per wakeup before the loop comes back to its timers and signals:
 * one default pipe buffer (64 KiB, pipe(7)), so a quiet child is read in one go and a chatty
 * one (`yes`) costs each wakeup a bounded slice. */
#define READ_BUDGET_BYTES (64 * 1024)
/* Lines logged per child; what comes after is counted and summed up in one line at its end. */
#define LOG_LINES_MAX 100
/* At the child's exit, what is left in the pipe is read up to the pipe's capacity (F_GETPIPE_SZ),
 * at most this (the default /proc/sys/fs/pipe-max-size); a writer left behind is not waited for. */
#define EXIT_DRAIN_MAX_BYTES (1024 * 1024)

/* PATH for children when memhook has none (the usual default of su and systemd). */
static const char default_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* What children inherit from memhook's environment; a trailing '*' makes a prefix. LC_* is in:
 * locale settings change how a child formats its messages and carry nothing secret. */
static const char *const env_allowed[] = { "PATH", "HOME", "LANG", "LC_*", "TZ", "POD_*" };

extern char **environ;

struct child {
	struct spawner *s;
	pid_t pid; /* also the process group id */
	int pidfd;
	int out_fd; /* our end of the stdout+stderr pipe; -1 once drained */
	uint64_t timer_id;
	bool reaped;
	bool timed_out;
	bool status_lost; /* someone else reaped it (ECHILD): exit status unknown */
	int status;
	char *tag;
	spawn_done_fn done;
	void *userdata;
	size_t line_len;
	size_t line_cap; /* split lines at this length */
	unsigned lines_logged;
	uint64_t lines_dropped; /* past LOG_LINES_MAX: counted, not logged */
	uint64_t bytes_dropped;
	bool dropped_partial; /* the last byte dropped ends no line */
	char line[LINE_MAX_BYTES + 1];
	struct child *next;
};

struct spawner {
	struct loop *loop;
	struct child *children;
	unsigned running;
	char **secret_names; /* never inherited by a child; one allocation, NULL-terminated */
	bool inherit_none;   /* the names could not be stored: children inherit nothing */
};

int spawner_new(struct loop *l, struct spawner **ret)
{
	struct spawner *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = l;
	*ret = s;
	return 0;
}

unsigned spawn_running(const struct spawner *s)
{
	return s ? s->running : 0;
}

static void unlink_child(struct spawner *s, struct child *c)
{
	for (struct child **pp = &s->children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			s->running--;
			return;
		}
}

/* Drops the loop's watches and our fds; frees the child. */
static void child_free(struct child *c)
{
	struct loop *l = c->s->loop;
	if (c->pidfd >= 0) {
		loop_del_fd(l, c->pidfd);
		close(c->pidfd);
	}
	if (c->out_fd >= 0) {
		loop_del_fd(l, c->out_fd);
		close(c->out_fd);
	}
	if (c->timer_id)
		loop_cancel_timer(l, c->timer_id);
	free(c->tag);
	free(c);
}

/* Logs the line collected so far (counted against the child's LOG_LINES_MAX). */
static void flush_line(struct child *c)
{
	if (c->line_len == 0)
		return;
	if (c->line[c->line_len - 1] == '\r')
		c->line_len--;
	c->line[c->line_len] = '\0';
	log_info("%s: %s", c->tag, c->line);
	c->line_len = 0;
	c->lines_logged++;
}

/* Counts output past the budget of lines, without looking at more than its newlines. */
static void drop_output(struct child *c, const char *buf, size_t n)
{
	c->bytes_dropped += n;
	for (const char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		c->lines_dropped++;
	c->dropped_partial = buf[n - 1] != '\n';
}

/* Splits output into logged lines while the budget of lines lasts; counts the rest. */
static void consume_output(struct child *c, const char *buf, size_t n)
{
	size_t i = 0;
	for (; i < n && c->lines_logged < LOG_LINES_MAX; i++) {
		if (buf[i] == '\n') {
			flush_line(c);
			continue;
		}
		c->line[c->line_len++] = buf[i];
		if (c->line_len >= c->line_cap)
			flush_line(c);
	}
	if (i < n)
		drop_output(c, buf + i, n - i);
}

/* Logs the last partial line and what was not logged; stops watching the pipe and closes it. */
static void close_output(struct child *c)
{
	flush_line(c);
	if (c->bytes_dropped > 0)
		log_info("%s: … %llu more lines, %llu bytes not logged", c->tag,
		         (unsigned long long)(c->lines_dropped + (c->dropped_partial ? 1 : 0)),
		         (unsigned long long)c->bytes_dropped);
	loop_del_fd(c->s->loop, c->out_fd);
	close(c->out_fd);
	c->out_fd = -1;
}

/* Reads at most budget_bytes of what the pipe holds. Closes it at EOF or on error. */
static void drain_output(struct child *c, size_t budget_bytes)
{
	char buf[16384];
	while (budget_bytes > 0) {
		size_t want = budget_bytes < sizeof(buf) ? budget_bytes : sizeof(buf);
		ssize_t n = read(c->out_fd, buf, want);
		if (n > 0) {
			consume_output(c, buf, (size_t)n);
			budget_bytes -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close_output(c); /* EOF or an error: nothing more will come */
		return;
	}
}

/* Calls done once the child is reaped and its output drained. */
static void maybe_finish(struct child *c)
{
	if (!c->reaped || c->out_fd >= 0)
		return;
	struct spawn_result r = { .pid = c->pid, .timed_out = c->timed_out };
	if (c->status_lost) {
		r.exit_code = -1;
	} else if (WIFEXITED(c->status)) {
		r.exit_code = WEXITSTATUS(c->status);
	} else {
		r.exit_code = -1;
		r.term_signal = WIFSIGNALED(c->status) ? WTERMSIG(c->status) : 0;
	}
	unlink_child(c->s, c);
	spawn_done_fn done = c->done;
	void *ud = c->userdata;
	child_free(c);
	if (done)
		done(&r, ud);
}

static void on_output(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_, void *userdata)
{
	struct child *c = userdata;
	drain_output(c, READ_BUDGET_BYTES); /* the rest at the next wakeup: epoll is level-triggered */
	maybe_finish(c);
}

static void on_exit_fd(struct loop *l, int fd _unused_, uint32_t events _unused_, void *userdata)
{
	struct child *c = userdata;
	int status;
	pid_t p;

	do
		p = waitpid(c->pid, &status, WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p == 0)
		return; /* not yet: spurious wakeup */
	if (p < 0) {
		status = 0;
		c->status_lost = true; /* reaped elsewhere (ECHILD): reported as exit_code -1 */
	}
	c->status = status;
	c->reaped = true;
	loop_del_fd(l, c->pidfd);
	close(c->pidfd);
	c->pidfd = -1;
	if (c->timer_id) {
		loop_cancel_timer(l, c->timer_id);
		c->timer_id = 0;
	}
	/* What the child wrote before exiting is in the pipe now: at most the pipe's capacity. A
	 * background grandchild that still holds the write end does not delay completion: what it
	 * adds past that is not read, and it gets EPIPE once we close our end. */
	if (c->out_fd >= 0) {
		int pipe_bytes = fcntl(c->out_fd, F_GETPIPE_SZ);
		size_t budget_bytes = pipe_bytes > 0 ? (size_t)pipe_bytes : READ_BUDGET_BYTES;
		drain_output(c, budget_bytes < EXIT_DRAIN_MAX_BYTES ? budget_bytes : EXIT_DRAIN_MAX_BYTES);
		if (c->out_fd >= 0)
			close_output(c);
	}
	maybe_finish(c);
}

static void on_timeout(struct loop *l _unused_, void *userdata)
{
	struct child *c = userdata;
	c->timer_id = 0;
	if (c->reaped)
		return;
	c->timed_out = true;
	/* The leader is not reaped yet, so its pid (= the group id) cannot have been reused. */
	(void)kill(-c->pid, SIGKILL);
}

/* Whether a "NAME=value" entry's name is name_len bytes long and equals name. */
static bool env_name_is(const char *entry, const char *name, size_t name_len)
{
	return strncmp(entry, name, name_len) == 0 && entry[name_len] == '=' && name[name_len] == '\0';
}

/* Whether v[0..n) already has an entry named like entry (name_len bytes). */
static bool env_has(char *const *v, size_t n, const char *entry, size_t name_len)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(v[i], entry, name_len + 1) == 0)
			return true;
	return false;
}

/* Whether the name of entry (name_len bytes) is on the allow-list. */
static bool env_allowed_name(const char *entry, size_t name_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(env_allowed); i++) {
		const char *a = env_allowed[i];
		size_t a_len = strlen(a);
		if (a[a_len - 1] == '*' ? name_len >= a_len - 1 && strncmp(entry, a, a_len - 1) == 0
		                        : name_len == a_len && strncmp(entry, a, a_len) == 0)
			return true;
	}
	return false;
}

int spawn_build_env(char *const env[], char *const extra_env[], char *const deny[], char ***ret)
{
	size_t n_env = 0, n_extra = 0;
	for (char *const *e = env; e && *e; e++)
		n_env++;
	for (char *const *e = extra_env; e && *e; e++)
		n_extra++;
	char **v = calloc(n_env + n_extra + 2, sizeof(char *)); /* + a default PATH + NULL */
	if (!v)
		return -ENOMEM;
	size_t n = 0;
	for (char *const *e = env; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || eq == *e)
			continue;
		size_t name_len = (size_t)(eq - *e);
		bool keep = env_allowed_name(*e, name_len) && !env_has(v, n, *e, name_len);
		for (char *const *d = deny; keep && d && *d; d++)
			keep = !env_name_is(*e, *d, name_len);
		for (char *const *x = extra_env; keep && x && *x; x++)
			keep = strncmp(*x, *e, name_len + 1) != 0;
		if (keep)
			v[n++] = *e;
	}
	for (char *const *x = extra_env; x && *x; x++) {
		const char *eq = strchr(*x, '=');
		if (eq && eq != *x && !env_has(v, n, *x, (size_t)(eq - *x)))
			v[n++] = *x;
	}
	if (!env_has(v, n, default_path, strlen("PATH")))
		v[n++] = (char *)default_path; /* execve's envp is char *const[]: never written */
	v[n] = NULL;
	*ret = v;
	return 0;
}

int spawner_set_secret_names(struct spawner *s, char *const *names)
{
	if (!s)
		return -EINVAL;
	size_t n = 0, chars = 0;
	for (char *const *p = names; p && *p; p++, n++)
		chars += strlen(*p) + 1;
	free(s->secret_names);
	s->secret_names = NULL;
	/* The pointers, then the strings they point to, in one block. */
	char **v = malloc((n + 1) * sizeof(char *) + chars);
	if (!v) {
		s->inherit_none = true; /* fail closed: no name can be told from a secret */
		return -ENOMEM;
	}
	char *str = (char *)(v + n + 1);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]) + 1;
		v[i] = memcpy(str, names[i], len);
		str += len;
	}
	v[n] = NULL;
	s->secret_names = v;
	s->inherit_none = false;
	return 0;
}

/* In the forked child: only async-signal-safe calls from here on. */
static _Noreturn void exec_child(char *const argv[], char **envp, int null_fd, int out_fd)
{
	sigset_t all;

	(void)setpgid(0, 0);
	/* Raw rt_sigaction: glibc's signal() refuses its internal signals 32 and 33, which a parent
	 * such as make may have left ignored, and ignored dispositions survive execve. */
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = { 0 };
	for (int sig = 1; sig <= 64; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
	sigemptyset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);

	/* dup2 clears O_CLOEXEC on the copies; every other fd of ours is O_CLOEXEC. */
	if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	execve(argv[0], argv, envp);

	static const char msg[] = "exec failed\n";
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(127);
}

int spawn_start(struct spawner *s, char *const argv[], char *const extra_env[], uint64_t timeout_usec,
                const char *tag, spawn_done_fn done, void *userdata)
{
	if (!s || !argv || !argv[0])
		return -EINVAL;
	if (access(argv[0], X_OK) < 0)
		return -errno;

	_cleanup_free_ char **envp = NULL;
	int r = spawn_build_env(s->inherit_none ? NULL : environ, extra_env, s->secret_names, &envp);
	if (r < 0)
		return r;
	_cleanup_close_ int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int pipefd[2];
	if (null_fd < 0)
		return -errno;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	_cleanup_close_ int rd = pipefd[0], wr = pipefd[1];
	if (fcntl(rd, F_SETFL, O_NONBLOCK) < 0)
		return -errno;

	struct child *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct child){ .s = s, .pidfd = -1, .out_fd = -1, .done = done, .userdata = userdata };
	c->tag = strdup(tag ? tag : argv[0]);
	if (!c->tag) {
		free(c);
		return -ENOMEM;
	}
	size_t tag_len = strlen(c->tag);
	c->line_cap = tag_len + 2 + LINE_MIN_BYTES < LOG_MSG_BYTES ? LOG_MSG_BYTES - 1 - tag_len - 2
	                                                           : LINE_MIN_BYTES;
	if (c->line_cap > LINE_MAX_BYTES)
		c->line_cap = LINE_MAX_BYTES;

	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		free(c->tag);
		free(c);
		return r;
	}
	if (pid == 0)
		exec_child(argv, envp, null_fd, wr);

	/* Both sides set the group so that kill(-pid) works whoever runs first. EACCES means the
	 * child has already exec'd, after setting it itself. */
	(void)setpgid(pid, pid);
	c->pid = pid;
	c->out_fd = TAKE_FD(rd);
	s->running++;
	c->next = s->children;
	s->children = c;

	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd < 0) {
		r = -errno;
		goto fail;
	}
	r = loop_add_fd(s->loop, c->pidfd, EPOLLIN, on_exit_fd, c);
	if (r < 0) {
		close(c->pidfd);
		c->pidfd = -1;
		goto fail;
	}
	r = loop_add_fd(s->loop, c->out_fd, EPOLLIN, on_output, c);
	if (r < 0) {
		close(c->out_fd);
		c->out_fd = -1;
		goto fail;
	}
	if (timeout_usec > 0) {
		c->timer_id = loop_add_timer(s->loop, now_mono_usec() + timeout_usec, on_timeout, c);
		if (!c->timer_id) {
			r = -ENOMEM;
			goto fail;
		}
	}
	log_debug("%s: started %s as pid %d", c->tag, argv[0], (int)pid);
	return 0;

fail:
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	unlink_child(s, c);
	child_free(c);
	return r;
}

void spawner_free(struct spawner *s)
{
	if (!s)
		return;
	while (s->children) {
		struct child *c = s->children;
		if (!c->reaped) {
			(void)kill(-c->pid, SIGKILL);
			(void)kill(c->pid, SIGKILL);
			while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		unlink_child(s, c);
		child_free(c);
	}
	free(s->secret_names);
	free(s);
}
