/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-place: which hosts should serve (and announce the anycast DNS
 *  prefix) so that query-weighted latency is least within a budget
 *  (draft-deng-dns-authority-server-placement's question).
 *
 *  The model: client groups g with query volume q_g; candidate hosts h with
 *  cost c_h; measured round-trip times r(g, h) (INFINITY: not measured, not
 *  reachable). A group's latency under a set S of serving hosts is
 *  min(F, min over h in S of r(g, h)), F the fallback latency (the group is
 *  answered from elsewhere, e.g. a central site). Minimise the weighted sum
 *  of latencies subject to the sum of c_h over S <= budget.
 *
 *  Equivalently maximise the saving: sum of q_g * (F - latency_g), a
 *  monotone submodular function of S. place_exact() enumerates every
 *  feasible set (small inputs); place_greedy() takes the better of the
 *  cost-benefit greedy and the best single host, which is within
 *  (1 - 1/e) / 2 of the optimal saving (Khuller, Moss and Naor 1999, for
 *  budgeted maximum coverage; Krause and Guestrin 2005 for submodular
 *  functions), then improves it by local search (add, drop, swap) until no
 *  move helps or the time limit passes.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	size_t hosts;
	size_t groups;
	const double *cost;    /*!< [hosts], >= 0. */
	const double *queries; /*!< [groups], >= 0. */
	const double *rtt;     /*!< [groups * hosts], row per group; INFINITY: none. */
	double fallback;       /*!< F, ms. */
	double budget;
} place_problem_t;

typedef struct {
	bool *chosen; /*!< [hosts] (owned). */
	double cost;
	double total;       /*!< Weighted sum of latencies (ms x queries). */
	double saving;      /*!< F x total queries - total. */
	double bound_ratio; /*!< Guaranteed fraction of the optimal saving
	                         (1: exact). */
	size_t moves;       /*!< Local search improvements made. */
	bool timed_out;     /*!< Local search stopped at the time limit. */
} place_solution_t;

/*! \brief Weighted latency sum of a set (ms x queries). */
double place_total(const place_problem_t *p, const bool *chosen);

/*! \brief The optimum, by enumerating every set within the budget (with
 *         pruning); only for hosts <= PLACE_EXACT_MAX. false: too large or
 *         out of memory. */
#define PLACE_EXACT_MAX 24
bool place_exact(const place_problem_t *p, place_solution_t *out);

/*! \brief The heuristic above; time_limit_s bounds the local search (0:
 *         none). false: out of memory. */
bool place_greedy(const place_problem_t *p, double time_limit_s, place_solution_t *out);

/*! \brief For each host not chosen: how much the total would fall if it
 *         were added (ignoring the budget), in gain[hosts] (0 for chosen). */
void place_gains(const place_problem_t *p, const bool *chosen, double *gain);

void place_solution_free(place_solution_t *s);
