/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-place measure: RTTs from this host to candidate hosts by DNS. */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

typedef struct {
	const char *name;
	struct sockaddr_storage addr;
	socklen_t len;
} place_target_t;

/*! \brief ADDR[@PORT] (port 53 by default). */
bool place_parse_address(const char *text, struct sockaddr_storage *ss, socklen_t *len);

/*!
 * \brief Sends queries DNS queries for qname (CH TXT for
 *        generation.mecdns., which every mod-mecdns answers; else IN A) to
 *        each target, one at a time, and prints "group,host,median_ms" for
 *        each that answered at least once.
 * \return The number of targets that never answered, or < 0 on a local
 *         error (-2: qname is not a name).
 */
int place_measure(const char *group, const place_target_t *targets, size_t count, const char *qname,
                  int queries, int timeout_ms, FILE *out);
