/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: the real mecdns-syncd binary as a child process. */

#include "syncd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/*! Poll step while waiting for the listener (also how soon an early exit
 *  is noticed). */
#define POLL_MS 50

int harness_syncd_spawn(harness_proc_t *proc, const char *listen, const char *const args[],
                        char *const env[], const char *log_path)
{
	size_t nargs = 0;
	while (args != NULL && args[nargs] != NULL) {
		nargs++;
	}
	char **argv = calloc(nargs + 4, sizeof(*argv));
	if (argv == NULL) {
		return -ENOMEM;
	}
	char *binary = harness_build_path("syncd/mecdns-syncd");
	argv[0] = binary;
	argv[1] = "--listen";
	argv[2] = (char *)listen;
	for (size_t i = 0; i < nargs; i++) {
		argv[3 + i] = (char *)args[i];
	}
	int ret = harness_spawn(proc, "mecdns-syncd", argv, env, log_path);
	free(binary);
	free(argv);
	return ret;
}

/*! \brief Waits until addr:port accepts a connection while the child runs;
 *         0, or -1 when it exited or timeout_ms passed. */
static int wait_listening(harness_proc_t *proc, const char *addr, int port, int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;
	for (;;) {
		if (!harness_alive(proc)) {
			fprintf(stderr, "mecdns-syncd exited with %d before listening on %s:%d\n",
			        proc->exit_status, addr, port);
			return -1;
		}
		long long left = deadline - harness_now_ms();
		if (left <= 0) {
			fprintf(stderr, "mecdns-syncd did not listen on %s:%d within %d ms\n", addr,
			        port, timeout_ms);
			return -1;
		}
		if (harness_wait_tcp(addr, port, left < POLL_MS ? (int)left : POLL_MS) == 0) {
			return 0;
		}
	}
}

int harness_syncd_start(harness_proc_t *proc, const char *addr, int *port, const char *const args[],
                        char *const env[], const char *log_path, int timeout_ms)
{
	*port = harness_free_port(addr);
	if (*port <= 0) {
		fprintf(stderr, "no free port on %s for mecdns-syncd\n", addr);
		return -1;
	}
	char *listen = harness_strdupf("%s:%d", addr, *port);
	int ret = harness_syncd_spawn(proc, listen, args, env, log_path);
	free(listen);
	if (ret != 0) {
		fprintf(stderr, "mecdns-syncd could not be started: %d\n", ret);
		return -1;
	}
	if (wait_listening(proc, addr, *port, timeout_ms) != 0) {
		harness_dump_log(proc);
		if (proc->pid != 0) {
			harness_stop(proc, 0);
		}
		return -1;
	}
	return 0;
}

int harness_syncd_stop(harness_proc_t *proc, int timeout_ms)
{
	if (proc->pid == 0) {
		return 0;
	}
	int status = harness_stop(proc, timeout_ms);
	if (status != 0) {
		harness_dump_log(proc);
	}
	return status;
}
