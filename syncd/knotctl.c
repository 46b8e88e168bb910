/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-syncd: the client of knotd's control socket (see knotctl.h).
 *
 *  The protocol, as knotc and knotd 3.2 speak it (libknot control API):
 *  a command is one DATA unit (items CMD, FLAGS, ZONE, SECTION/ID/ITEM,
 *  OWNER, TTL, TYPE, DATA, FILTER as the command needs them) followed by a
 *  BLOCK unit. knotd answers with any number of DATA/EXTRA units (every
 *  unit carries all its items) and ends the answer with a BLOCK; an error is
 *  a DATA unit whose ERROR item is knot_strerror() of the failure. A client
 *  may send further commands on the same connection and ends it with an END
 *  unit. knotd ignores a command name it does not know without answering,
 *  so only known names are sent here.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "syncd/knotctl.h"

/*! zone-status filter: role, serial, transaction, freeze, event timers. */
#define ZONE_STATUS_FILTER "rstfe"
/*! zone-status answer for a value that is not there ("-"). */
#define STATUS_EMPTY "-"

struct knotctl {
	knot_ctl_t *ctl;               /*!< libknot's control context (256 KiB buffers). */
	char *path;                    /*!< The control socket, for messages. */
	int timeout_ms;                /*!< Limit of each socket operation. */
	bool broken;                   /*!< A socket error happened: no further commands. */
	char error[KNOTCTL_ERROR_LEN]; /*!< Message of the last failure. */
};

/*! Handles one answer unit without ERROR; non-zero stops (and is returned). */
typedef int (*unit_fn)(knot_ctl_data_t *data, void *ctx);

/*** Messages. ***/

/*! \brief printf into the session's error message. */
__attribute__((format(printf, 2, 3))) static void set_error(knotctl_t *ctl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctl->error, sizeof(ctl->error), fmt, ap);
	va_end(ap);
}

/*! \brief Text of a libknot error code; codes that wrap an errno read as
 *         the system's message ("No such file or directory"). */
static const char *reason(int code)
{
	if (code < 0 && code > KNOT_ERROR_MAX) {
		return strerror(-code);
	}
	return knot_strerror(code);
}

/*! \brief Appends " text" to a message buffer (truncating). */
static void append_word(char *buf, size_t len, const char *prefix, const char *text)
{
	size_t used = strlen(buf);
	if (text != NULL && used < len) {
		snprintf(buf + used, len - used, "%s%s", prefix, text);
	}
}

/*! \brief The command as a human reads it ("zone-set example.test. www 300 A
 *         192.0.2.1", "conf-read zone[example.test.].journal-content"). */
static void describe(char *buf, size_t len, const knot_ctl_data_t *request)
{
	const char *const *item = *request;
	snprintf(buf, len, "%s", item[KNOT_CTL_IDX_CMD]);
	append_word(buf, len, " ", item[KNOT_CTL_IDX_ZONE]);
	if (item[KNOT_CTL_IDX_SECTION] != NULL) {
		append_word(buf, len, " ", item[KNOT_CTL_IDX_SECTION]);
		if (item[KNOT_CTL_IDX_ID] != NULL) {
			append_word(buf, len, "[", item[KNOT_CTL_IDX_ID]);
			append_word(buf, len, "]", "");
		}
		append_word(buf, len, ".", item[KNOT_CTL_IDX_ITEM]);
	}
	append_word(buf, len, " ", item[KNOT_CTL_IDX_OWNER]);
	append_word(buf, len, " ", item[KNOT_CTL_IDX_TTL]);
	append_word(buf, len, " ", item[KNOT_CTL_IDX_TYPE]);
	append_word(buf, len, " ", item[KNOT_CTL_IDX_DATA]);
}

/*!
 * \brief The libknot error code whose text knotd sent (knotd sends
 *        knot_strerror() of its code, never the code), or KNOT_ERROR.
 *
 * Runs only on a failure, so a linear search of the code range is cheap.
 */
static int code_of_knotd_error(const char *text)
{
	for (int code = -1; code >= KNOT_ERROR_MIN; code--) {
		if (strcmp(knot_strerror(code), text) == 0) {
			return code;
		}
	}
	return KNOT_ERROR;
}

/*! \brief Records a socket failure of a command; the session is broken. */
static int socket_failed(knotctl_t *ctl, const char *what, int code)
{
	ctl->broken = true;
	if (code == KNOT_ETIMEOUT) {
		set_error(ctl,
		          "%s via control socket %s: no answer within %d ms "
		          "(knotd busy or hung; the outcome is unknown)",
		          what, ctl->path, ctl->timeout_ms);
	} else {
		set_error(ctl, "%s via control socket %s: connection failed (%s)", what, ctl->path,
		          reason(code));
	}
	return code;
}

/*** Running one command. ***/

/*!
 * \brief Sends a command and reads its whole answer up to knotd's BLOCK.
 *
 * Every unit without ERROR goes to on_unit (until it returns non-zero);
 * the first ERROR becomes the result and the message. The answer is always
 * read to its end, so the session stays in step for the next command.
 */
static int run_command(knotctl_t *ctl, knot_ctl_data_t *request, unit_fn on_unit, void *ctx)
{
	char what[256];
	describe(what, sizeof(what), request);
	ctl->error[0] = '\0';
	if (ctl->broken) {
		set_error(ctl,
		          "%s via control socket %s: the session failed earlier, "
		          "open a new one",
		          what, ctl->path);
		return KNOT_ECONN;
	}

	int ret = knot_ctl_send(ctl->ctl, KNOT_CTL_TYPE_DATA, request);
	if (ret == KNOT_EOK) {
		ret = knot_ctl_send(ctl->ctl, KNOT_CTL_TYPE_BLOCK, NULL);
	}
	if (ret != KNOT_EOK) {
		return socket_failed(ctl, what, ret);
	}

	int knotd_ret = KNOT_EOK;
	int unit_ret = 0;
	while (true) {
		knot_ctl_type_t type;
		knot_ctl_data_t data;
		ret = knot_ctl_receive(ctl->ctl, &type, &data);
		if (ret != KNOT_EOK) {
			return socket_failed(ctl, what, ret);
		}
		if (type == KNOT_CTL_TYPE_END) {
			ctl->broken = true;
			set_error(ctl,
			          "%s via control socket %s: knotd ended the session "
			          "(stopping?)",
			          what, ctl->path);
			return KNOT_ECONN;
		}
		if (type == KNOT_CTL_TYPE_BLOCK) {
			break;
		}
		const char *knotd_error = data[KNOT_CTL_IDX_ERROR];
		if (knotd_error != NULL) {
			if (knotd_ret == KNOT_EOK) {
				knotd_ret = code_of_knotd_error(knotd_error);
				set_error(ctl, "%s via control socket %s: knotd answered '%s'",
				          what, ctl->path, knotd_error);
			}
		} else if (unit_ret == 0 && on_unit != NULL) {
			unit_ret = on_unit(&data, ctx);
		}
	}
	if (unit_ret != 0) {
		if (ctl->error[0] == '\0') {
			set_error(ctl, "%s via control socket %s: stopped by its caller (%d)", what,
			          ctl->path, unit_ret);
		}
		return unit_ret;
	}
	return knotd_ret;
}

/*! \brief Checks that required parameters are there (else KNOT_EINVAL). */
static int require(knotctl_t *ctl, const char *cmd, bool present)
{
	if (ctl == NULL) {
		return KNOT_EINVAL;
	}
	if (!present) {
		ctl->error[0] = '\0';
		set_error(ctl, "%s via control socket %s: missing parameter", cmd, ctl->path);
		return KNOT_EINVAL;
	}
	return KNOT_EOK;
}

/*** Sessions. ***/

int knotctl_open(knotctl_t **out, const char *path, int timeout_ms, char *err, size_t err_len)
{
	if (err == NULL) {
		err_len = 0;
	}
	if (out == NULL || path == NULL) {
		snprintf(err, err_len, "control socket: no path given");
		return KNOT_EINVAL;
	}
	*out = NULL;
	knotctl_t *ctl = calloc(1, sizeof(*ctl));
	char *copy = strdup(path);
	knot_ctl_t *knot_ctl = knot_ctl_alloc();
	if (ctl == NULL || copy == NULL || knot_ctl == NULL) {
		knot_ctl_free(knot_ctl);
		free(copy);
		free(ctl);
		snprintf(err, err_len, "control socket %s: out of memory", path);
		return KNOT_ENOMEM;
	}
	knot_ctl_set_timeout(knot_ctl, timeout_ms > 0 ? timeout_ms : 0);
	int ret = knot_ctl_connect(knot_ctl, path);
	if (ret != KNOT_EOK) {
		knot_ctl_free(knot_ctl);
		free(copy);
		free(ctl);
		snprintf(err, err_len, "cannot connect to knotd's control socket %s (%s)", path,
		         reason(ret));
		return ret;
	}
	ctl->ctl = knot_ctl;
	ctl->path = copy;
	ctl->timeout_ms = timeout_ms;
	*out = ctl;
	return KNOT_EOK;
}

void knotctl_close(knotctl_t *ctl)
{
	if (ctl == NULL) {
		return;
	}
	if (!ctl->broken) {
		/* knotd then stops waiting for our next command at once. */
		(void)knot_ctl_send(ctl->ctl, KNOT_CTL_TYPE_END, NULL);
	}
	knot_ctl_close(ctl->ctl);
	knot_ctl_free(ctl->ctl);
	free(ctl->path);
	free(ctl);
}

const char *knotctl_error(const knotctl_t *ctl)
{
	return ctl != NULL ? ctl->error : "no control session";
}

bool knotctl_broken(const knotctl_t *ctl)
{
	return ctl == NULL || ctl->broken;
}

/*** Server state. ***/

int knotctl_status(knotctl_t *ctl)
{
	int ret = require(ctl, "status", true);
	if (ret != KNOT_EOK) {
		return ret;
	}
	/* Without a TYPE ("version", "workers", ...) knotd answers an empty
	 * block: that it answers at all is the status. */
	knot_ctl_data_t request = { [KNOT_CTL_IDX_CMD] = "status" };
	return run_command(ctl, &request, NULL, NULL);
}

/*! The zone-status units of one zone, gathered into one callback. */
typedef struct {
	knotctl_zone_status_cb cb;
	void *cb_ctx;
	bool pending; /*!< status holds a zone not yet handed to cb. */
	knotctl_zone_status_t status;
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	char flags[16];
} zone_status_acc_t;

/*! \brief Hands the gathered zone to the callback. */
static int zone_status_flush(zone_status_acc_t *acc)
{
	if (!acc->pending) {
		return 0;
	}
	acc->pending = false;
	return acc->cb(&acc->status, acc->cb_ctx);
}

/*! \brief One zone-status unit: knotd sends one per field (role, serial,
 *         ...) of each zone, all carrying the zone's name and flags. */
static int zone_status_unit(knot_ctl_data_t *data, void *ctx)
{
	zone_status_acc_t *acc = ctx;
	const char *zone = (*data)[KNOT_CTL_IDX_ZONE];
	const char *field = (*data)[KNOT_CTL_IDX_TYPE];
	const char *value = (*data)[KNOT_CTL_IDX_DATA];
	if (zone == NULL) {
		return 0;
	}
	if (acc->pending && strcmp(zone, acc->zone) != 0) {
		int ret = zone_status_flush(acc);
		if (ret != 0) {
			return ret;
		}
	}
	if (!acc->pending) {
		const char *flags = (*data)[KNOT_CTL_IDX_FLAGS];
		snprintf(acc->zone, sizeof(acc->zone), "%s", zone);
		snprintf(acc->flags, sizeof(acc->flags), "%s", flags != NULL ? flags : "");
		acc->status = (knotctl_zone_status_t){
			.zone = acc->zone,
			.flags = acc->flags,
			.loaded = strchr(acc->flags, 'e') == NULL,
			.secondary = strchr(acc->flags, 's') != NULL,
			.expires_in = -1,
		};
		acc->pending = true;
	}
	if (field == NULL || value == NULL) {
		return 0;
	}
	if (strcmp(field, "serial") == 0 && strcmp(value, STATUS_EMPTY) != 0) {
		acc->status.serial = (uint32_t)strtoul(value, NULL, 10);
	} else if (strcmp(field, "transaction") == 0) {
		acc->status.transaction_open = strcmp(value, "open") == 0;
	} else if (strcmp(field, "freeze") == 0) {
		acc->status.frozen = strcmp(value, "yes") == 0;
	} else if (strcmp(field, "expiration") == 0) {
		acc->status.expires_in = knotctl_event_seconds(value);
	}
	return 0;
}

int64_t knotctl_event_seconds(const char *text)
{
	if (text == NULL) {
		return -1;
	}
	if (strcmp(text, "pending") == 0 || strcmp(text, "running") == 0 ||
	    strcmp(text, "frozen") == 0) {
		return 0;
	}
	static const struct {
		char unit;
		int64_t seconds;
	} UNITS[] = { { 'Y', 365 * 86400 }, { 'M', 30 * 86400 }, { 'D', 86400 },
		      { 'h', 3600 },        { 'm', 60 },         { 's', 1 } };
	if (*text != '+') {
		return -1;
	}
	const char *p = text + 1;
	int64_t total = 0;
	size_t next_unit = 0; /* Units come in order, each at most once. */
	while (*p != '\0') {
		if (*p < '0' || *p > '9') {
			return -1;
		}
		int64_t number = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (number > INT32_MAX) {
				return -1;
			}
			number = number * 10 + (*p - '0');
		}
		size_t u = next_unit;
		while (u < sizeof(UNITS) / sizeof(UNITS[0]) && UNITS[u].unit != *p) {
			u++;
		}
		if (u == sizeof(UNITS) / sizeof(UNITS[0])) {
			return -1;
		}
		total += number * UNITS[u].seconds;
		next_unit = u + 1;
		p++;
	}
	return p == text + 1 ? -1 : total;
}

int knotctl_zone_status(knotctl_t *ctl, const char *zone, knotctl_zone_status_cb cb, void *cb_ctx)
{
	int ret = require(ctl, "zone-status", cb != NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_ctl_data_t request = {
		[KNOT_CTL_IDX_CMD] = "zone-status",
		[KNOT_CTL_IDX_ZONE] = zone,
		[KNOT_CTL_IDX_FILTER] = ZONE_STATUS_FILTER,
	};
	zone_status_acc_t acc = { .cb = cb, .cb_ctx = cb_ctx };
	ret = run_command(ctl, &request, zone_status_unit, &acc);
	/* The last zone is complete at the end of the answer. */
	if (!ctl->broken && acc.pending) {
		int cb_ret = zone_status_flush(&acc);
		if (cb_ret != 0 && ret == KNOT_EOK) {
			ret = cb_ret;
		}
	}
	return ret;
}

typedef struct {
	knotctl_counter_cb cb;
	void *cb_ctx;
} counter_ctx_t;

/*! \brief One counter value of stats / zone-stats. */
static int counter_unit(knot_ctl_data_t *data, void *ctx)
{
	counter_ctx_t *counter_ctx = ctx;
	const char *value = (*data)[KNOT_CTL_IDX_DATA];
	if (value == NULL) {
		return 0;
	}
	knotctl_counter_t counter = {
		.zone = (*data)[KNOT_CTL_IDX_ZONE],
		.section = (*data)[KNOT_CTL_IDX_SECTION],
		.item = (*data)[KNOT_CTL_IDX_ITEM],
		.id = (*data)[KNOT_CTL_IDX_ID],
		.value = strtoull(value, NULL, 10),
	};
	return counter_ctx->cb(&counter, counter_ctx->cb_ctx);
}

/*! \brief stats or zone-stats: "SECTION" and "ITEM" go as separate items. */
static int run_stats(knotctl_t *ctl, const char *cmd, const char *zone, const char *section,
                     const char *item, knotctl_counter_cb cb, void *cb_ctx)
{
	knot_ctl_data_t request = {
		[KNOT_CTL_IDX_CMD] = cmd,
		[KNOT_CTL_IDX_ZONE] = zone,
		[KNOT_CTL_IDX_SECTION] = section,
		[KNOT_CTL_IDX_ITEM] = section != NULL ? item : NULL,
	};
	counter_ctx_t counter_ctx = { .cb = cb, .cb_ctx = cb_ctx };
	return run_command(ctl, &request, counter_unit, &counter_ctx);
}

int knotctl_stats(knotctl_t *ctl, const char *section, const char *item, knotctl_counter_cb cb,
                  void *cb_ctx)
{
	int ret = require(ctl, "stats", cb != NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return run_stats(ctl, "stats", NULL, section, item, cb, cb_ctx);
}

int knotctl_zone_stats(knotctl_t *ctl, const char *zone, const char *section, const char *item,
                       knotctl_counter_cb cb, void *cb_ctx)
{
	int ret = require(ctl, "zone-stats", zone != NULL && cb != NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return run_stats(ctl, "zone-stats", zone, section, item, cb, cb_ctx);
}

typedef struct {
	knotctl_conf_cb cb;
	void *cb_ctx;
} conf_ctx_t;

/*! \brief One value of conf-read. */
static int conf_unit(knot_ctl_data_t *data, void *ctx)
{
	conf_ctx_t *conf_ctx = ctx;
	knotctl_conf_value_t value = {
		.section = (*data)[KNOT_CTL_IDX_SECTION],
		.id = (*data)[KNOT_CTL_IDX_ID],
		.item = (*data)[KNOT_CTL_IDX_ITEM],
		.value = (*data)[KNOT_CTL_IDX_DATA],
	};
	return conf_ctx->cb(&value, conf_ctx->cb_ctx);
}

int knotctl_conf_read(knotctl_t *ctl, const char *section, const char *id, const char *item,
                      knotctl_conf_cb cb, void *cb_ctx)
{
	int ret = require(ctl, "conf-read", section != NULL && cb != NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_ctl_data_t request = {
		[KNOT_CTL_IDX_CMD] = "conf-read",
		[KNOT_CTL_IDX_SECTION] = section,
		[KNOT_CTL_IDX_ID] = id,
		[KNOT_CTL_IDX_ITEM] = item,
	};
	conf_ctx_t conf_ctx = { .cb = cb, .cb_ctx = cb_ctx };
	return run_command(ctl, &request, conf_unit, &conf_ctx);
}

/*** Zone contents and transactions. ***/

typedef struct {
	knotctl_record_cb cb;
	void *cb_ctx;
} record_ctx_t;

/*! \brief One record of zone-read / zone-get. */
static int record_unit(knot_ctl_data_t *data, void *ctx)
{
	record_ctx_t *record_ctx = ctx;
	const char *ttl = (*data)[KNOT_CTL_IDX_TTL];
	knotctl_record_t record = {
		.zone = (*data)[KNOT_CTL_IDX_ZONE],
		.owner = (*data)[KNOT_CTL_IDX_OWNER],
		.ttl = ttl != NULL ? (uint32_t)strtoul(ttl, NULL, 10) : 0,
		.type = (*data)[KNOT_CTL_IDX_TYPE],
		.rdata = (*data)[KNOT_CTL_IDX_DATA],
	};
	if (record.owner == NULL || record.type == NULL) {
		return 0;
	}
	return record_ctx->cb(&record, record_ctx->cb_ctx);
}

/*! \brief zone-read or zone-get. */
static int run_records(knotctl_t *ctl, const char *cmd, const char *zone, const char *owner,
                       const char *type, knotctl_record_cb cb, void *cb_ctx)
{
	int ret = require(ctl, cmd, zone != NULL && cb != NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_ctl_data_t request = {
		[KNOT_CTL_IDX_CMD] = cmd,
		[KNOT_CTL_IDX_ZONE] = zone,
		[KNOT_CTL_IDX_OWNER] = owner,
		[KNOT_CTL_IDX_TYPE] = type,
	};
	record_ctx_t record_ctx = { .cb = cb, .cb_ctx = cb_ctx };
	return run_command(ctl, &request, record_unit, &record_ctx);
}

int knotctl_zone_read(knotctl_t *ctl, const char *zone, const char *owner, const char *type,
                      knotctl_record_cb cb, void *cb_ctx)
{
	return run_records(ctl, "zone-read", zone, owner, type, cb, cb_ctx);
}

int knotctl_zone_get(knotctl_t *ctl, const char *zone, const char *owner, const char *type,
                     knotctl_record_cb cb, void *cb_ctx)
{
	return run_records(ctl, "zone-get", zone, owner, type, cb, cb_ctx);
}

/*! \brief A zone command without further items (begin, commit, abort). */
static int run_zone_command(knotctl_t *ctl, const char *cmd, const char *zone)
{
	int ret = require(ctl, cmd, zone != NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_ctl_data_t request = {
		[KNOT_CTL_IDX_CMD] = cmd,
		[KNOT_CTL_IDX_ZONE] = zone,
	};
	return run_command(ctl, &request, NULL, NULL);
}

int knotctl_zone_begin(knotctl_t *ctl, const char *zone)
{
	return run_zone_command(ctl, "zone-begin", zone);
}

int knotctl_zone_commit(knotctl_t *ctl, const char *zone)
{
	return run_zone_command(ctl, "zone-commit", zone);
}

int knotctl_zone_abort(knotctl_t *ctl, const char *zone)
{
	return run_zone_command(ctl, "zone-abort", zone);
}

int knotctl_zone_set(knotctl_t *ctl, const char *zone, const char *owner, uint32_t ttl,
                     const char *type, const char *rdata)
{
	int ret = require(ctl, "zone-set",
	                  zone != NULL && owner != NULL && type != NULL && rdata != NULL);
	if (ret != KNOT_EOK) {
		return ret;
	}
	char ttl_text[16];
	snprintf(ttl_text, sizeof(ttl_text), "%" PRIu32, ttl);
	knot_ctl_data_t request = {
		[KNOT_CTL_IDX_CMD] = "zone-set", [KNOT_CTL_IDX_ZONE] = zone,
		[KNOT_CTL_IDX_OWNER] = owner,    [KNOT_CTL_IDX_TTL] = ttl_text,
		[KNOT_CTL_IDX_TYPE] = type,      [KNOT_CTL_IDX_DATA] = rdata,
	};
	return run_command(ctl, &request, NULL, NULL);
}

int knotctl_zone_unset(knotctl_t *ctl, const char *zone, const char *owner, const char *type,
                       const char *rdata)
{
	/* knotd needs the type to read rdata. */
	int ret = require(ctl, "zone-unset",
	                  zone != NULL && owner != NULL && (rdata == NULL || type != NULL));
	if (ret != KNOT_EOK) {
		return ret;
	}
	knot_ctl_data_t request = {
		[KNOT_CTL_IDX_CMD] = "zone-unset", [KNOT_CTL_IDX_ZONE] = zone,
		[KNOT_CTL_IDX_OWNER] = owner,      [KNOT_CTL_IDX_TYPE] = type,
		[KNOT_CTL_IDX_DATA] = rdata,
	};
	return run_command(ctl, &request, NULL, NULL);
}

/*** One command in a session of its own. ***/

/*! \brief Copies the session's message to err, closes it; returns ret. */
static int finish_at(knotctl_t *ctl, int ret, char *err, size_t err_len)
{
	if (ret != KNOT_EOK && err != NULL && err_len > 0) {
		snprintf(err, err_len, "%s", knotctl_error(ctl));
	}
	knotctl_close(ctl);
	return ret;
}

int knotctl_status_at(const char *path, int timeout_ms, char *err, size_t err_len)
{
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, path, timeout_ms, err, err_len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return finish_at(ctl, knotctl_status(ctl), err, err_len);
}

int knotctl_zone_status_at(const char *path, int timeout_ms, const char *zone,
                           knotctl_zone_status_cb cb, void *cb_ctx, char *err, size_t err_len)
{
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, path, timeout_ms, err, err_len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return finish_at(ctl, knotctl_zone_status(ctl, zone, cb, cb_ctx), err, err_len);
}

int knotctl_stats_at(const char *path, int timeout_ms, const char *section, const char *item,
                     knotctl_counter_cb cb, void *cb_ctx, char *err, size_t err_len)
{
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, path, timeout_ms, err, err_len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return finish_at(ctl, knotctl_stats(ctl, section, item, cb, cb_ctx), err, err_len);
}

int knotctl_conf_read_at(const char *path, int timeout_ms, const char *section, const char *id,
                         const char *item, knotctl_conf_cb cb, void *cb_ctx, char *err,
                         size_t err_len)
{
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, path, timeout_ms, err, err_len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return finish_at(ctl, knotctl_conf_read(ctl, section, id, item, cb, cb_ctx), err, err_len);
}

int knotctl_zone_read_at(const char *path, int timeout_ms, const char *zone, const char *owner,
                         const char *type, knotctl_record_cb cb, void *cb_ctx, char *err,
                         size_t err_len)
{
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, path, timeout_ms, err, err_len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return finish_at(ctl, knotctl_zone_read(ctl, zone, owner, type, cb, cb_ctx), err, err_len);
}

int knotctl_zone_abort_at(const char *path, int timeout_ms, const char *zone, char *err,
                          size_t err_len)
{
	knotctl_t *ctl = NULL;
	int ret = knotctl_open(&ctl, path, timeout_ms, err, err_len);
	if (ret != KNOT_EOK) {
		return ret;
	}
	return finish_at(ctl, knotctl_zone_abort(ctl, zone), err, err_len);
}
