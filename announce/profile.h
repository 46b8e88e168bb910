/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-announce actions as argument vectors: the ready-made profiles for
 *  BGP daemons and the splitting of a configured command line.
 *
 *  Every action is an argv run without a shell (execvp, so a bare program
 *  name is looked up in PATH). A configured command string is split like a
 *  POSIX shell splits words, but nothing else of a shell happens: blanks
 *  separate words, '...' keeps everything literally, "..." keeps everything
 *  but \" and \\, a backslash outside quotes takes the next character
 *  literally. No variables, globbing, redirections or pipes; ask for
 *  --shell (announce_argv_shell) for those.
 *
 *  Profiles (announce = true / false):
 *
 *      bird    birdc -s SOCKET enable PROTOCOL   /  ... disable PROTOCOL
 *      exabgp  exabgpcli announce route PREFIX next-hop NEXT_HOP
 *                                                /  exabgpcli withdraw route ...
 *      gobgp   gobgp global rib add PREFIX -a ipv4|ipv6
 *                                                /  gobgp global rib del ...
 *
 *  With prepend N (draft-grubto sections 3.9 and 3.10: make this host less
 *  attractive while its query rate is too high), two more actions:
 *
 *      bird    prepend:   birdc -s SOCKET enable PROTOCOL_PREPEND
 *              unprepend: birdc -s SOCKET disable PROTOCOL_PREPEND
 *              withdraw becomes  birdc -s SOCKET disable "PROTOCOL*"  (one
 *              command for both protocols, so PROTOCOL_PREPEND must start
 *              with PROTOCOL; bird.conf gives it a higher preference and
 *              prepends in the BGP export filter)
 *      exabgp  prepend:   exabgpcli announce route PREFIX next-hop NH
 *                                   as-path [ AS AS ... ]   (N times AS)
 *              unprepend: the announce action (the route is replaced)
 *      gobgp   prepend:   gobgp global rib add PREFIX -a ipv4 aspath AS,AS,...
 *              unprepend: the announce action
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef enum {
	ANNOUNCE_PROFILE_NONE = 0,
	ANNOUNCE_PROFILE_BIRD,
	ANNOUNCE_PROFILE_EXABGP,
	ANNOUNCE_PROFILE_GOBGP,
} announce_profile_t;

#define ANNOUNCE_DEFAULT_BIRD_SOCKET   "/run/bird/bird.ctl"
#define ANNOUNCE_DEFAULT_BIRD_PROTOCOL "mecdns"
#define ANNOUNCE_DEFAULT_NEXT_HOP      "self"

/*! What a profile needs; NULL fields take the defaults above (client: the
 *  profile's program, "birdc", "exabgpcli" or "gobgp"). */
typedef struct {
	announce_profile_t profile;
	const char *prefix; /*!< "192.0.2.53/32"; exabgp and gobgp need it. */
	const char *client; /*!< Program to run instead of the default. */
	const char *bird_socket;
	const char *bird_protocol;         /*!< Protocol enabled/disabled (a static one). */
	const char *next_hop;              /*!< ExaBGP next-hop. */
	unsigned prepend;                  /*!< AS-path prepends when busy; 0: off. */
	const char *prepend_as;            /*!< AS number prepended (exabgp, gobgp). */
	const char *bird_prepend_protocol; /*!< NULL: PROTOCOL "_prepend". */
} announce_profile_params_t;

/*! The actions a profile has. */
typedef enum {
	ANNOUNCE_ACTION_ANNOUNCE = 0,
	ANNOUNCE_ACTION_WITHDRAW,
	ANNOUNCE_ACTION_PREPEND,   /*!< Announced, with the AS path lengthened. */
	ANNOUNCE_ACTION_UNPREPEND, /*!< Back to the plain announcement. */
	ANNOUNCE_ACTION_COUNT,
} announce_action_t;

/*! Most prepends (an AS path longer than this helps nobody). */
#define ANNOUNCE_MAX_PREPEND 16

/*! \brief "announce", "withdraw", "prepend", "unprepend". */
const char *announce_action_name(announce_action_t action);

/*! \brief "bird", "exabgp", "gobgp" → the profile; -1 if unknown. */
int announce_profile_parse(const char *name);

/*! \brief The profile's name ("none" for ANNOUNCE_PROFILE_NONE). */
const char *announce_profile_name(announce_profile_t profile);

/*! \brief Checks "ADDRESS/LENGTH" (IPv4 or IPv6, numeric, length in range).
 *  \param ipv6  If not NULL, set to whether the address is IPv6. */
bool announce_prefix_check(const char *prefix, bool *ipv6, char *err, size_t err_len);

/*! \brief The profile's announce (true) or withdraw (false) argv,
 *         NULL-terminated and malloc'd; NULL + err when a parameter is
 *         missing or wrong. */
char **announce_profile_argv(const announce_profile_params_t *params, bool announce, char *err,
                             size_t err_len);

/*! \brief The profile's argv of one action (prepend and unprepend need
 *         params->prepend > 0); NULL + err as announce_profile_argv(). */
char **announce_profile_action_argv(const announce_profile_params_t *params,
                                    announce_action_t action, char *err, size_t err_len);

/*! \brief Splits a command line into words (see above); NULL + err on an
 *         unterminated quote, a trailing backslash or no word at all. */
char **announce_argv_split(const char *text, char *err, size_t err_len);

/*! \brief {"/bin/sh", "-c", text, NULL}, malloc'd (for --shell). */
char **announce_argv_shell(const char *text);

/*! \brief The words joined by blanks, quoted where needed, for log lines
 *         (malloc'd; NULL on ENOMEM). */
char *announce_argv_join(char *const argv[]);

void announce_argv_free(char **argv);
