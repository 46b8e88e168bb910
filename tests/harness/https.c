/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns test harness: tiny HTTPS client (see https.h). */

#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness/https.h"

/*! Most certificates in a client certificate file. */
#define MAX_CHAIN 4

struct https_conn {
	int fd;
	gnutls_session_t session;
	gnutls_certificate_credentials_t creds;
	gnutls_pcert_st pcerts[MAX_CHAIN];
	unsigned int pcert_count;
	gnutls_privkey_t key;
};

/*! \brief Always offers the client certificate, whatever CA names the
 *         server lists (GnuTLS would otherwise send none that does not
 *         match, and the server's own check would go untested). */
static int offer_client_cert(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                             const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                             gnutls_pcert_st **pcert, unsigned int *pcert_length,
                             gnutls_privkey_t *privkey)
{
	https_conn_t *conn = gnutls_session_get_ptr(session);
	*pcert = conn->pcert_count > 0 ? conn->pcerts : NULL;
	*pcert_length = conn->pcert_count;
	*privkey = conn->pcert_count > 0 ? conn->key : NULL;
	return 0;
}

/*! \brief Loads the client certificate and key into conn; 0 or HTTPS_E_FILES. */
static int load_client_cert(https_conn_t *conn, const https_client_t *tls)
{
	gnutls_datum_t cert = { NULL, 0 };
	gnutls_datum_t key = { NULL, 0 };
	int ret = HTTPS_E_FILES;
	conn->pcert_count = MAX_CHAIN;
	if (gnutls_load_file(tls->cert_file, &cert) < 0 ||
	    gnutls_load_file(tls->key_file, &key) < 0 ||
	    gnutls_pcert_list_import_x509_raw(conn->pcerts, &conn->pcert_count, &cert,
	                                      GNUTLS_X509_FMT_PEM, 0) < 0) {
		conn->pcert_count = 0;
		goto out;
	}
	if (gnutls_privkey_init(&conn->key) < 0 ||
	    gnutls_privkey_import_x509_raw(conn->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		goto out;
	}
	ret = 0;
out:
	gnutls_free(cert.data);
	gnutls_free(key.data);
	return ret;
}

/*! \brief Fills peer from the server's certificate. */
static void describe_peer(gnutls_session_t session, https_peer_t *peer)
{
	memset(peer, 0, sizeof(*peer));
	unsigned int count = 0;
	const gnutls_datum_t *list = gnutls_certificate_get_peers(session, &count);
	gnutls_x509_crt_t crt;
	if (list == NULL || count == 0 || gnutls_x509_crt_init(&crt) < 0) {
		return;
	}
	if (gnutls_x509_crt_import(crt, &list[0], GNUTLS_X509_FMT_DER) == 0) {
		size_t size = sizeof(peer->subject);
		if (gnutls_x509_crt_get_dn(crt, peer->subject, &size) < 0) {
			peer->subject[0] = '\0';
		}
		unsigned char serial[32];
		size = sizeof(serial);
		if (gnutls_x509_crt_get_serial(crt, serial, &size) == 0) {
			for (size_t i = 0; i < size && 2 * i + 2 < sizeof(peer->serial); i++) {
				snprintf(peer->serial + 2 * i, 3, "%02x", serial[i]);
			}
		}
	}
	gnutls_x509_crt_deinit(crt);
}

int https_connect(const char *addr, int port, const https_client_t *tls, https_conn_t **out,
                  https_peer_t *peer)
{
	*out = NULL;
	https_conn_t *conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		return -ENOMEM;
	}
	conn->fd = -1;
	int ret = HTTPS_E_FILES;
	if (gnutls_certificate_allocate_credentials(&conn->creds) < 0 ||
	    gnutls_certificate_set_x509_trust_file(conn->creds, tls->ca_file,
	                                           GNUTLS_X509_FMT_PEM) <= 0) {
		goto fail;
	}
	if (tls->cert_file != NULL && load_client_cert(conn, tls) != 0) {
		goto fail;
	}
	gnutls_certificate_set_retrieve_function2(conn->creds, offer_client_cert);
	conn->fd = http_connect(NULL, addr, port);
	if (conn->fd < 0) {
		ret = conn->fd;
		goto fail;
	}
	ret = HTTPS_E_HANDSHAKE;
	if (gnutls_init(&conn->session, GNUTLS_CLIENT) < 0 ||
	    gnutls_set_default_priority(conn->session) < 0 ||
	    gnutls_credentials_set(conn->session, GNUTLS_CRD_CERTIFICATE, conn->creds) < 0) {
		goto fail;
	}
	gnutls_session_set_ptr(conn->session, conn);
	/* An IP address is checked against the certificate's IP SANs. */
	gnutls_session_set_verify_cert(conn->session, addr, 0);
	gnutls_transport_set_int(conn->session, conn->fd);
	gnutls_handshake_set_timeout(conn->session, GNUTLS_DEFAULT_HANDSHAKE_TIMEOUT);
	int tls_ret;
	do {
		tls_ret = gnutls_handshake(conn->session);
	} while (tls_ret < 0 && gnutls_error_is_fatal(tls_ret) == 0);
	if (tls_ret < 0) {
		if (tls_ret == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			ret = HTTPS_E_VERIFY;
		}
		goto fail;
	}
	if (peer != NULL) {
		describe_peer(conn->session, peer);
	}
	*out = conn;
	return 0;
fail:
	https_close(conn);
	return ret;
}

int https_send(https_conn_t *conn, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = gnutls_record_send(conn->session, data, len);
		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN) {
			continue;
		}
		if (n <= 0) {
			return n < 0 ? (int)n : -EPIPE;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int https_read_response(https_conn_t *conn, http_response_t *out)
{
	memset(out, 0, sizeof(*out));
	char *raw = NULL;
	size_t raw_len = 0;
	FILE *mem = open_memstream(&raw, &raw_len);
	char buf[8192];
	int ret = 0;
	for (;;) {
		ssize_t n = gnutls_record_recv(conn->session, buf, sizeof(buf));
		if (n == GNUTLS_E_INTERRUPTED || n == GNUTLS_E_AGAIN) {
			continue;
		}
		if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
			break; /* MHD may close without close_notify. */
		}
		if (n < 0) {
			ret = (int)n;
			break;
		}
		fwrite(buf, 1, (size_t)n, mem);
	}
	fclose(mem);
	http_parse_response(raw, raw_len, out);
	return out->status < 0 && ret == 0 ? HTTPS_E_NO_ANSWER : ret;
}

void https_close(https_conn_t *conn)
{
	if (conn == NULL) {
		return;
	}
	if (conn->session != NULL) {
		gnutls_deinit(conn->session);
	}
	if (conn->fd >= 0) {
		close(conn->fd);
	}
	for (unsigned int i = 0; i < conn->pcert_count; i++) {
		gnutls_pcert_deinit(&conn->pcerts[i]);
	}
	if (conn->key != NULL) {
		gnutls_privkey_deinit(conn->key);
	}
	if (conn->creds != NULL) {
		gnutls_certificate_free_credentials(conn->creds);
	}
	free(conn);
}

int https_request(const char *addr, int port, const https_client_t *tls, const char *method,
                  const char *path, const char *const *headers, const char *body, size_t body_len,
                  http_response_t *out, https_peer_t *peer)
{
	memset(out, 0, sizeof(*out));
	out->status = -1;
	https_conn_t *conn = NULL;
	int ret = https_connect(addr, port, tls, &conn, peer);
	if (ret != 0) {
		return ret;
	}
	char *head = http_request_head(addr, port, method, path, headers, body, body_len, false);
	ret = https_send(conn, head, strlen(head));
	free(head);
	if (ret == 0 && body != NULL) {
		(void)https_send(conn, body, body_len);
	}
	if (ret == 0) {
		ret = https_read_response(conn, out);
	}
	https_close(conn);
	return ret;
}
