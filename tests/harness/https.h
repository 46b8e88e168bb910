/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: a tiny blocking HTTPS (HTTP/1.1 over TLS, GnuTLS)
 *  client for integration tests, the TLS twin of http.h: one request per
 *  connection, "Connection: close", the answer read to EOF. The server
 *  certificate is verified against a CA file and the address (IP SAN); a
 *  client certificate, when given, is always sent (whatever CA names the
 *  server asks for), so a server's own verification is what is tested.
 */

#pragma once

#include <stddef.h>

#include "tests/harness/http.h"

/*! The handshake failed (or the server closed during it). */
#define HTTPS_E_HANDSHAKE (-1000)
/*! The server certificate did not verify (CA, address or dates). */
#define HTTPS_E_VERIFY (-1001)
/*! A TLS file could not be loaded. */
#define HTTPS_E_FILES (-1002)
/*! The server closed without an HTTP answer. */
#define HTTPS_E_NO_ANSWER (-1003)

/*! TLS settings of a client. */
typedef struct {
	const char *ca_file;   /*!< PEM CA(s) the server certificate must chain to. */
	const char *cert_file; /*!< Client certificate (PEM), or NULL. */
	const char *key_file;  /*!< Its key (PEM), with cert_file. */
} https_client_t;

/*! What the client saw of the server. */
typedef struct {
	char subject[256]; /*!< Server certificate subject DN. */
	char serial[64];   /*!< Its serial number, lower-case hex. */
} https_peer_t;

typedef struct https_conn https_conn_t;

/*!
 * \brief Connects to addr:port (IPv4/IPv6 literal) and completes the TLS
 *        handshake, verifying the server certificate for addr.
 *
 * \param peer  If not NULL, filled from the server certificate.
 *
 * \return 0, -errno (connect), or HTTPS_E_*.
 */
int https_connect(const char *addr, int port, const https_client_t *tls, https_conn_t **conn,
                  https_peer_t *peer);

/*! \brief Sends raw bytes over the connection; 0 or a negative error. */
int https_send(https_conn_t *conn, const char *data, size_t len);

/*! \brief Reads the answer to EOF into out (as http_request()); 0 or a
 *         negative error (out->status -1 when nothing parseable came). */
int https_read_response(https_conn_t *conn, http_response_t *out);

/*! \brief Closes and frees (NULL is fine). */
void https_close(https_conn_t *conn);

/*!
 * \brief One request (as http_request() in http.h) over TLS.
 *
 * \return 0, -errno, or HTTPS_E_* (then out->status is -1).
 */
int https_request(const char *addr, int port, const https_client_t *tls, const char *method,
                  const char *path, const char *const *headers, const char *body, size_t body_len,
                  http_response_t *out, https_peer_t *peer);
