/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: real processes on free loopback ports. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/harness/harness.h"

char *harness_strdupf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = NULL;
	int ret = vasprintf(&out, fmt, ap);
	va_end(ap);
	if (ret < 0) {
		abort();
	}
	return out;
}

long long harness_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void harness_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

bool harness_is_root(void)
{
	return geteuid() == 0;
}

char *harness_tmpdir(const char *tag)
{
	char *path = harness_strdupf("/tmp/mecdns-%s-XXXXXX", tag);
	if (mkdtemp(path) == NULL) {
		free(path);
		return NULL;
	}
	chmod(path, 0755);
	return path;
}

void harness_rmtree(const char *path)
{
	if (path == NULL) {
		return;
	}
	DIR *dir = opendir(path);
	if (dir == NULL) {
		unlink(path);
		return;
	}
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) {
			continue;
		}
		char *child = harness_strdupf("%s/%s", path, ent->d_name);
		struct stat st;
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
			harness_rmtree(child);
		} else {
			unlink(child);
		}
		free(child);
	}
	closedir(dir);
	rmdir(path);
}

void harness_unmount(const char *path)
{
	for (int i = 0; i < 50; i++) {
		if (umount(path) == 0 || errno == EINVAL || errno == ENOENT) {
			return;
		}
		if (errno != EBUSY) {
			break;
		}
		harness_sleep_ms(100);
	}
	if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
		fprintf(stderr, "harness: cannot unmount %s: %s\n", path, strerror(errno));
	}
}

/*! The cleanup list: lines "D path" (directories) and "M path" (mounts). */
static char *cleanup_list;

void harness_cleanup_begin(void)
{
	free(cleanup_list);
	cleanup_list = harness_strdupf("/tmp/mecdns-%s-cleanup-%d", program_invocation_short_name,
	                               (int)getpid());
}

/*! \brief Appends a line to the cleanup list. */
static void cleanup_add(char kind, const char *path)
{
	FILE *f = cleanup_list != NULL ? fopen(cleanup_list, "a") : NULL;
	if (f != NULL) {
		fprintf(f, "%c %s\n", kind, path);
		fclose(f);
	}
}

void harness_cleanup_dir(const char *path)
{
	cleanup_add('D', path);
}

void harness_cleanup_mount(const char *path)
{
	cleanup_add('M', path);
}

void harness_cleanup_end(void)
{
	if (cleanup_list == NULL) {
		return;
	}
	char *list = harness_read_file(cleanup_list);
	/* Mounts first (listed before their directories are removed). */
	for (int pass = 0; pass < 2; pass++) {
		char *copy = list != NULL ? harness_strdupf("%s", list) : NULL;
		for (char *line = copy != NULL ? strtok(copy, "\n") : NULL; line != NULL;
		     line = strtok(NULL, "\n")) {
			if (pass == 0 && line[0] == 'M') {
				harness_unmount(line + 2);
			} else if (pass == 1 && line[0] == 'D') {
				harness_rmtree(line + 2);
			}
		}
		free(copy);
	}
	free(list);
	unlink(cleanup_list);
	free(cleanup_list);
	cleanup_list = NULL;
}

int harness_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		return -errno;
	}
	size_t len = strlen(content);
	int ret = (fwrite(content, 1, len, f) == len) ? 0 : -EIO;
	if (fclose(f) != 0 && ret == 0) {
		ret = -errno;
	}
	return ret;
}

char *harness_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	while (buf != NULL) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			break;
		}
		if (cap - len - 1 == 0) {
			cap *= 2;
			char *bigger = realloc(buf, cap);
			if (bigger == NULL) {
				free(buf);
				buf = NULL;
			} else {
				buf = bigger;
			}
		}
	}
	fclose(f);
	if (buf != NULL) {
		buf[len] = '\0';
	}
	return buf;
}

socklen_t harness_sockaddr(const char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		return sizeof(*in4);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return sizeof(*in6);
	}
	return 0;
}

/*! \brief True if a socket of the given type can bind addr:port right now. */
static bool port_bindable(const char *addr, int port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr(addr, port, &ss);
	if (len == 0) {
		return false;
	}
	int fd = socket(ss.ss_family, type, 0);
	if (fd < 0) {
		return false;
	}
	bool ok = bind(fd, (struct sockaddr *)&ss, len) == 0;
	close(fd);
	return ok;
}

int harness_free_port(const char *addr)
{
	/* Ask the kernel for an ephemeral TCP port, then check UDP too. Ports
	 * are drawn from different kernel picks, so parallel tests rarely
	 * collide; a retry loop handles the rest. */
	for (int attempt = 0; attempt < 64; attempt++) {
		struct sockaddr_storage ss;
		socklen_t len = harness_sockaddr(addr, 0, &ss);
		if (len == 0) {
			return -1;
		}
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0) {
			return -1;
		}
		if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
		    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
			close(fd);
			return -1;
		}
		close(fd);
		int port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
		if (port_bindable(addr, port, SOCK_DGRAM) &&
		    port_bindable(addr, port, SOCK_STREAM)) {
			return port;
		}
	}
	return -1;
}

/*! \brief In the child: stdio to the log, die with the parent, exec. */
static void exec_child(char *const argv[], char *const env[], int out_fd)
{
	/* Signals are blocked since fork: drop the handlers inherited from the
	 * test (Check kills its process group on SIGTERM) before unblocking. */
	for (int sig = 1; sig < NSIG; sig++) {
		signal(sig, SIG_DFL);
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);
	int null_fd = open("/dev/null", O_RDONLY);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
	}
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		putenv(env[i]);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(argv[0], argv);
	fprintf(stderr, "harness: cannot execute %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int harness_spawn(harness_proc_t *proc, const char *name, char *const argv[], char *const env[],
                  const char *log_path)
{
	memset(proc, 0, sizeof(*proc));
	snprintf(proc->name, sizeof(proc->name), "%s", name);
	snprintf(proc->log_path, sizeof(proc->log_path), "%s", log_path);
	int out_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		return -errno;
	}
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(out_fd);
		return -err;
	}
	if (pid == 0) {
		exec_child(argv, env, out_fd);
	}
	/* Also set the group here: a signal sent before the child's own
	 * setpgid() must not reach the test's process group. */
	setpgid(pid, pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(out_fd);
	proc->pid = pid;
	proc->exit_status = -1;
	return 0;
}

char *const *harness_module_env(void)
{
#ifdef MECDNS_ASAN_RUNTIME
	static char *const env[] = { "LD_PRELOAD=" MECDNS_ASAN_RUNTIME, NULL };
#else
	static char *const env[] = { NULL };
#endif
	return env;
}

static int decode_status(int status)
{
	if (WIFEXITED(status)) {
		return WEXITSTATUS(status);
	}
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return -1;
}

bool harness_alive(harness_proc_t *proc)
{
	if (proc->pid <= 0) {
		return false;
	}
	int status = 0;
	pid_t ret = waitpid(proc->pid, &status, WNOHANG);
	if (ret == proc->pid) {
		proc->exit_status = decode_status(status);
		proc->pid = 0;
		return false;
	}
	return ret == 0;
}

int harness_signal(harness_proc_t *proc, int sig)
{
	if (proc->pid <= 0) {
		return -ESRCH;
	}
	return kill(proc->pid, sig) == 0 ? 0 : -errno;
}

int harness_wait_exit(harness_proc_t *proc, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	while (harness_alive(proc)) {
		if (harness_now_ms() >= deadline) {
			return -1;
		}
		harness_sleep_ms(10);
	}
	return proc->exit_status;
}

int harness_stop(harness_proc_t *proc, int timeout_ms)
{
	if (!harness_alive(proc)) {
		return proc->exit_status;
	}
	kill(proc->pid, SIGTERM);
	if (harness_wait_exit(proc, timeout_ms) == -1 && proc->pid > 0) {
		fprintf(stderr, "harness: %s (pid %d) ignored SIGTERM for %d ms, killing it\n",
		        proc->name, (int)proc->pid, timeout_ms);
		kill(proc->pid, SIGKILL);
		int status = 0;
		waitpid(proc->pid, &status, 0);
		proc->exit_status = decode_status(status);
		proc->pid = 0;
	}
	return proc->exit_status;
}

int harness_wait_tcp(const char *addr, int port, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	struct sockaddr_storage ss;
	socklen_t len = harness_sockaddr(addr, port, &ss);
	if (len == 0) {
		return -1;
	}
	do {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd >= 0) {
			int ok = connect(fd, (struct sockaddr *)&ss, len);
			close(fd);
			if (ok == 0) {
				return 0;
			}
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return -1;
}

int harness_wait_path(const char *path, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	do {
		if (access(path, F_OK) == 0) {
			return 0;
		}
		harness_sleep_ms(20);
	} while (harness_now_ms() < deadline);
	return -1;
}

int harness_run(char *const argv[], char *const env[], char **output, int timeout_ms)
{
	if (output != NULL) {
		*output = NULL;
	}
	char path[] = "/tmp/mecdns-run-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		return -1;
	}
	close(fd);
	harness_proc_t proc;
	if (harness_spawn(&proc, "command", argv, env, path) != 0) {
		unlink(path);
		return -1;
	}
	int status = harness_wait_exit(&proc, timeout_ms);
	if (status == -1) {
		fprintf(stderr, "harness: %s did not finish in %d ms, killing it\n", argv[0],
		        timeout_ms);
		harness_stop(&proc, 100);
		status = -1;
	}
	if (output != NULL) {
		*output = harness_read_file(path);
	}
	unlink(path);
	return status;
}

void harness_dump_log(const harness_proc_t *proc)
{
	char *log = harness_read_file(proc->log_path);
	fprintf(stderr, "----- %s log (%s) -----\n%s\n----- end of %s log -----\n", proc->name,
	        proc->log_path, log != NULL ? log : "(unreadable)", proc->name);
	free(log);
}

char *harness_build_path(const char *rel)
{
	const char *top = getenv("MECDNS_BUILDDIR");
	return harness_strdupf("%s/%s", top != NULL ? top : ".", rel);
}

char *harness_src_path(const char *rel)
{
	const char *top = getenv("MECDNS_SRCDIR");
	return harness_strdupf("%s/%s", top != NULL ? top : ".", rel);
}

char *harness_python3(void)
{
	const char *env = getenv("MECDNS_PYTHON3");
	if (env != NULL && env[0] != '\0') {
		return harness_strdupf("%s", env);
	}
	/* Debian's interpreter first: its python3-yaml and python3-jsonschema
	 * are the dependencies (scripts/deps.sh), whatever else is on PATH. */
	if (access("/usr/bin/python3", X_OK) == 0) {
		return harness_strdupf("/usr/bin/python3");
	}
	const char *path = getenv("PATH");
	char *copy = harness_strdupf("%s", path != NULL ? path : "/usr/bin:/bin");
	char *found = NULL;
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir != NULL && found == NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		char *candidate = harness_strdupf("%s/python3", dir);
		if (access(candidate, X_OK) == 0) {
			found = candidate;
		} else {
			free(candidate);
		}
	}
	free(copy);
	return found != NULL ? found : harness_strdupf("python3");
}

int harness_promtool_check(const char *dir, const char *text, char **output)
{
	char *path = harness_strdupf("%s/metrics-%d.txt", dir, (int)getpid());
	int rc = harness_write_file(path, text);
	if (rc == 0) {
		char *cmd = harness_strdupf("promtool check metrics < '%s'", path);
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		rc = harness_run(argv, NULL, output, 30000);
		free(cmd);
	}
	unlink(path);
	free(path);
	return rc;
}
