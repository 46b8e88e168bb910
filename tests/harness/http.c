/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: tiny HTTP/1.1 client (see http.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/harness/harness.h"
#include "tests/harness/http.h"

int http_connect(const char *src, const char *addr, int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_storage from;
	socklen_t len = harness_sockaddr(addr, port, &ss);
	socklen_t from_len = src != NULL ? harness_sockaddr(src, 0, &from) : 0;
	if (len == 0 || (src != NULL && (from_len == 0 || from.ss_family != ss.ss_family))) {
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	struct timeval timeout = { .tv_sec = 30 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	if ((src != NULL && bind(fd, (struct sockaddr *)&from, from_len) != 0) ||
	    connect(fd, (struct sockaddr *)&ss, len) != 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int http_send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return n < 0 ? -errno : -EPIPE;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

void http_parse_response(char *raw, size_t len, http_response_t *out)
{
	memset(out, 0, sizeof(*out));
	out->status = -1;
	char *end = raw != NULL ? strstr(raw, "\r\n\r\n") : NULL;
	if (end == NULL) {
		out->headers = raw != NULL ? raw : strdup("");
		out->body = strdup("");
		return;
	}
	size_t header_len = (size_t)(end - raw);
	out->headers = strndup(raw, header_len);
	out->body_len = len - header_len - 4;
	out->body = malloc(out->body_len + 1);
	memcpy(out->body, end + 4, out->body_len);
	out->body[out->body_len] = '\0';
	if (sscanf(raw, "HTTP/1.%*d %d", &out->status) != 1) {
		out->status = -1;
	}
	free(raw);
}

char *http_request_head(const char *addr, int port, const char *method, const char *path,
                        const char *const *headers, const char *body, size_t body_len,
                        bool keep_alive)
{
	char *head = NULL;
	size_t head_len = 0;
	FILE *mem = open_memstream(&head, &head_len);
	fprintf(mem, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: %s\r\n", method, path, addr,
	        port, keep_alive ? "keep-alive" : "close");
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		fprintf(mem, "%s\r\n", headers[i]);
	}
	if (body != NULL) {
		fprintf(mem, "Content-Type: application/json\r\nContent-Length: %zu\r\n", body_len);
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0) {
		fprintf(mem, "Content-Length: 0\r\n");
	}
	fprintf(mem, "\r\n");
	fclose(mem);
	return head;
}

/*! \brief True when raw holds a whole answer with a Content-Length. */
static bool answer_complete(const char *raw, size_t raw_len)
{
	const char *end = strstr(raw, "\r\n\r\n");
	const char *length = end != NULL ? strcasestr(raw, "\r\nContent-Length:") : NULL;
	return length != NULL && length < end &&
	       raw_len >= (size_t)(end + 4 - raw) + strtoul(length + 17, NULL, 10);
}

void http_read_response(int fd, bool keep_alive, http_response_t *out)
{
	char *raw = NULL;
	size_t raw_len = 0;
	FILE *mem = open_memstream(&raw, &raw_len);
	char buf[8192];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		fwrite(buf, 1, (size_t)n, mem);
		if (keep_alive && fflush(mem) == 0 && answer_complete(raw, raw_len)) {
			break; /* The whole answer of a kept connection. */
		}
	}
	fclose(mem);
	http_parse_response(raw, raw_len, out);
}

int http_request(const char *addr, int port, const char *method, const char *path,
                 const char *const *headers, const char *body, size_t body_len,
                 http_response_t *out)
{
	memset(out, 0, sizeof(*out));
	out->status = -1;
	int fd = http_connect(NULL, addr, port);
	if (fd < 0) {
		return fd;
	}
	char *head = http_request_head(addr, port, method, path, headers, body, body_len, false);
	int ret = http_send_all(fd, head, strlen(head));
	free(head);
	if (ret == 0 && body != NULL) {
		/* A server may answer (413) and close before reading it all:
		 * then the answer is still read below. */
		(void)http_send_all(fd, body, body_len);
	}
	if (ret != 0) {
		close(fd);
		return ret;
	}
	http_read_response(fd, false, out);
	close(fd);
	return 0;
}

char *http_header(const http_response_t *resp, const char *name)
{
	size_t name_len = strlen(name);
	const char *line = resp->headers;
	while (line != NULL && *line != '\0') {
		const char *next = strstr(line, "\r\n");
		size_t len = next != NULL ? (size_t)(next - line) : strlen(line);
		if (len > name_len && strncasecmp(line, name, name_len) == 0 &&
		    line[name_len] == ':') {
			const char *value = line + name_len + 1;
			while (*value == ' ' || *value == '\t') {
				value++;
			}
			return strndup(value, len - (size_t)(value - line));
		}
		line = next != NULL ? next + 2 : NULL;
	}
	return NULL;
}

void http_response_free(http_response_t *resp)
{
	free(resp->headers);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}
