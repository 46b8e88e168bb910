/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-place: the solvers (see solve.h). */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/place/solve.h"

/*! Relative improvement below which a move does not count (rounding). */
#define EPS 1e-9

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double weight_sum(const place_problem_t *p)
{
	double sum = 0;
	for (size_t g = 0; g < p->groups; g++) {
		sum += p->queries[g];
	}
	return sum;
}

/*! \brief cur[g] = latency of every group under chosen. */
static void latencies(const place_problem_t *p, const bool *chosen, double *cur)
{
	for (size_t g = 0; g < p->groups; g++) {
		double best = p->fallback;
		const double *row = p->rtt + g * p->hosts;
		for (size_t h = 0; h < p->hosts; h++) {
			if (chosen[h] && row[h] < best) {
				best = row[h];
			}
		}
		cur[g] = best;
	}
}

double place_total(const place_problem_t *p, const bool *chosen)
{
	double total = 0;
	for (size_t g = 0; g < p->groups; g++) {
		double best = p->fallback;
		const double *row = p->rtt + g * p->hosts;
		for (size_t h = 0; h < p->hosts; h++) {
			if (chosen[h] && row[h] < best) {
				best = row[h];
			}
		}
		total += p->queries[g] * best;
	}
	return total;
}

/*! \brief How much the total falls when h joins a set with latencies cur. */
static double gain_of(const place_problem_t *p, const double *cur, size_t h)
{
	double gain = 0;
	for (size_t g = 0; g < p->groups; g++) {
		double r = p->rtt[g * p->hosts + h];
		if (r < cur[g]) {
			gain += p->queries[g] * (cur[g] - r);
		}
	}
	return gain;
}

void place_gains(const place_problem_t *p, const bool *chosen, double *gain)
{
	double *cur = malloc((p->groups + 1) * sizeof(*cur));
	if (cur == NULL) {
		memset(gain, 0, p->hosts * sizeof(*gain));
		return;
	}
	latencies(p, chosen, cur);
	for (size_t h = 0; h < p->hosts; h++) {
		gain[h] = chosen[h] ? 0 : gain_of(p, cur, h);
	}
	free(cur);
}

static void finish(const place_problem_t *p, place_solution_t *s)
{
	s->cost = 0;
	for (size_t h = 0; h < p->hosts; h++) {
		if (s->chosen[h]) {
			s->cost += p->cost[h];
		}
	}
	s->total = place_total(p, s->chosen);
	s->saving = p->fallback * weight_sum(p) - s->total;
}

void place_solution_free(place_solution_t *s)
{
	free(s->chosen);
	memset(s, 0, sizeof(*s));
}

/*** Exact: depth-first over the hosts, in or out. ***/

typedef struct {
	const place_problem_t *p;
	bool *set;
	bool *best;
	double best_total;
	double **cur; /*!< Latencies per depth. */
} search_t;

static void dfs(search_t *s, size_t h, double spent, double total)
{
	const place_problem_t *p = s->p;
	if (total < s->best_total - EPS * fabs(s->best_total)) {
		s->best_total = total;
		memcpy(s->best, s->set, p->hosts * sizeof(*s->best));
	}
	if (h == p->hosts) {
		return;
	}
	/* Bound: even every remaining host (budget ignored) cannot beat the
	 * best found. */
	double *cur = s->cur[h];
	double floor_total = 0;
	for (size_t g = 0; g < p->groups; g++) {
		double best = cur[g];
		for (size_t k = h; k < p->hosts; k++) {
			double r = p->rtt[g * p->hosts + k];
			best = r < best ? r : best;
		}
		floor_total += p->queries[g] * best;
	}
	if (floor_total >= s->best_total - EPS * fabs(s->best_total)) {
		return;
	}
	/* With h. */
	if (spent + p->cost[h] <= p->budget + EPS) {
		double *next = s->cur[h + 1];
		double with = 0;
		for (size_t g = 0; g < p->groups; g++) {
			double r = p->rtt[g * p->hosts + h];
			next[g] = r < cur[g] ? r : cur[g];
			with += p->queries[g] * next[g];
		}
		s->set[h] = true;
		dfs(s, h + 1, spent + p->cost[h], with);
		s->set[h] = false;
	}
	/* Without h. */
	memcpy(s->cur[h + 1], cur, p->groups * sizeof(*cur));
	dfs(s, h + 1, spent, total);
}

bool place_exact(const place_problem_t *p, place_solution_t *out)
{
	memset(out, 0, sizeof(*out));
	if (p->hosts > PLACE_EXACT_MAX) {
		return false;
	}
	search_t s = { .p = p };
	s.set = calloc(p->hosts + 1, sizeof(*s.set));
	s.best = calloc(p->hosts + 1, sizeof(*s.best));
	s.cur = calloc(p->hosts + 1, sizeof(*s.cur));
	bool ok = s.set != NULL && s.best != NULL && s.cur != NULL;
	for (size_t h = 0; ok && h <= p->hosts; h++) {
		s.cur[h] = malloc((p->groups + 1) * sizeof(double));
		ok = s.cur[h] != NULL;
	}
	if (ok) {
		for (size_t g = 0; g < p->groups; g++) {
			s.cur[0][g] = p->fallback;
		}
		s.best_total = p->fallback * weight_sum(p);
		dfs(&s, 0, 0, s.best_total);
		out->chosen = s.best;
		s.best = NULL;
		out->bound_ratio = 1;
		finish(p, out);
	}
	for (size_t h = 0; s.cur != NULL && h <= p->hosts; h++) {
		free(s.cur[h]);
	}
	free(s.cur);
	free(s.set);
	free(s.best);
	return ok;
}

/*** Greedy, best single host, local search. ***/

/*! \brief Cost-benefit greedy into chosen (cleared first). */
static void greedy(const place_problem_t *p, bool *chosen, double *cur)
{
	memset(chosen, 0, p->hosts * sizeof(*chosen));
	for (size_t g = 0; g < p->groups; g++) {
		cur[g] = p->fallback;
	}
	double spent = 0;
	for (;;) {
		size_t pick = p->hosts;
		double pick_ratio = 0;
		for (size_t h = 0; h < p->hosts; h++) {
			if (chosen[h] || spent + p->cost[h] > p->budget + EPS) {
				continue;
			}
			double gain = gain_of(p, cur, h);
			if (gain <= 0) {
				continue;
			}
			double ratio = p->cost[h] > 0 ? gain / p->cost[h] : INFINITY;
			if (pick == p->hosts || ratio > pick_ratio) {
				pick = h;
				pick_ratio = ratio;
			}
		}
		if (pick == p->hosts) {
			return;
		}
		chosen[pick] = true;
		spent += p->cost[pick];
		for (size_t g = 0; g < p->groups; g++) {
			double r = p->rtt[g * p->hosts + pick];
			cur[g] = r < cur[g] ? r : cur[g];
		}
	}
}

/*! Per group: the latency under the set, the host giving it (hosts: the
 *  fallback) and the latency without that host. */
typedef struct {
	double *cur;
	double *second;
	size_t *best;
	double *corr; /*!< [hosts + 1]: per dropped host, scratch. */
} state_t;

static void state_fill(const place_problem_t *p, const bool *chosen, state_t *st)
{
	for (size_t g = 0; g < p->groups; g++) {
		double best = p->fallback, second = p->fallback;
		size_t who = p->hosts;
		const double *row = p->rtt + g * p->hosts;
		for (size_t h = 0; h < p->hosts; h++) {
			if (!chosen[h]) {
				continue;
			}
			if (row[h] < best) {
				second = best;
				best = row[h];
				who = h;
			} else if (row[h] < second) {
				second = row[h];
			}
		}
		st->cur[g] = best;
		st->second[g] = second;
		st->best[g] = who;
	}
}

/*!
 * \brief Applies the best improving move (add a host, drop one, or swap
 *        one for another) within the budget; false: none improves.
 *
 * One pass costs O(hosts x (groups + chosen)): for a candidate h,
 * delta(drop s, add h) = -gain(h) + corr[s], corr[s] summing, over the
 * groups whose best host is s, what they lose when s goes while h comes.
 */
static bool improve(const place_problem_t *p, bool *chosen, state_t *st)
{
	double spent = 0;
	for (size_t h = 0; h < p->hosts; h++) {
		spent += chosen[h] ? p->cost[h] : 0;
	}
	double best_delta = 0, best_cost = spent;
	size_t best_in = p->hosts, best_out = p->hosts;
	/* Drops alone: the groups of s move to their second latency. */
	memset(st->corr, 0, (p->hosts + 1) * sizeof(*st->corr));
	for (size_t g = 0; g < p->groups; g++) {
		st->corr[st->best[g]] += p->queries[g] * (st->second[g] - st->cur[g]);
	}
	for (size_t s = 0; s < p->hosts; s++) {
		if (!chosen[s]) {
			continue;
		}
		double delta = st->corr[s];
		/* A free drop that loses nothing still saves its cost. */
		if (delta < best_delta - EPS || (delta <= EPS && best_in == p->hosts &&
		                                 best_out == p->hosts && p->cost[s] > 0)) {
			best_delta = delta;
			best_in = p->hosts;
			best_out = s;
			best_cost = spent - p->cost[s];
		}
	}
	for (size_t h = 0; h < p->hosts; h++) {
		if (chosen[h]) {
			continue;
		}
		memset(st->corr, 0, (p->hosts + 1) * sizeof(*st->corr));
		double gain = 0;
		for (size_t g = 0; g < p->groups; g++) {
			double r = p->rtt[g * p->hosts + h];
			double up = r < st->cur[g] ? st->cur[g] - r : 0;
			gain += p->queries[g] * up;
			double without = r < st->second[g] ? r : st->second[g];
			st->corr[st->best[g]] += p->queries[g] * (without - st->cur[g] + up);
		}
		if (spent + p->cost[h] <= p->budget + EPS && -gain < best_delta - EPS) {
			best_delta = -gain;
			best_in = h;
			best_out = p->hosts;
			best_cost = spent + p->cost[h];
		}
		for (size_t s = 0; s < p->hosts; s++) {
			if (!chosen[s]) {
				continue;
			}
			double cost = spent - p->cost[s] + p->cost[h];
			double delta = -gain + st->corr[s];
			if (cost <= p->budget + EPS &&
			    (delta < best_delta - EPS ||
			     (delta <= best_delta + EPS && cost < best_cost - EPS))) {
				best_delta = delta;
				best_in = h;
				best_out = s;
				best_cost = cost;
			}
		}
	}
	if (best_in == p->hosts && best_out == p->hosts) {
		return false;
	}
	if (best_in < p->hosts) {
		chosen[best_in] = true;
	}
	if (best_out < p->hosts) {
		chosen[best_out] = false;
	}
	state_fill(p, chosen, st);
	return true;
}

bool place_greedy(const place_problem_t *p, double time_limit_s, place_solution_t *out)
{
	memset(out, 0, sizeof(*out));
	out->chosen = calloc(p->hosts + 1, sizeof(*out->chosen));
	double *cur = malloc((p->groups + 1) * sizeof(*cur));
	if (out->chosen == NULL || cur == NULL) {
		free(cur);
		place_solution_free(out);
		return false;
	}
	double start = now_s();
	greedy(p, out->chosen, cur);
	double total = place_total(p, out->chosen);
	/* The best single host within the budget: with it, the guarantee. */
	for (size_t g = 0; g < p->groups; g++) {
		cur[g] = p->fallback;
	}
	size_t single = p->hosts;
	double single_gain = 0;
	for (size_t h = 0; h < p->hosts; h++) {
		if (p->cost[h] <= p->budget + EPS) {
			double gain = gain_of(p, cur, h);
			if (gain > single_gain) {
				single = h;
				single_gain = gain;
			}
		}
	}
	double none = p->fallback * weight_sum(p);
	if (single < p->hosts && none - single_gain < total) {
		memset(out->chosen, 0, p->hosts * sizeof(*out->chosen));
		out->chosen[single] = true;
	}
	free(cur);
	/* Local search, within the time left. */
	state_t st = { 0 };
	st.cur = malloc((p->groups + 1) * sizeof(double));
	st.second = malloc((p->groups + 1) * sizeof(double));
	st.best = malloc((p->groups + 1) * sizeof(size_t));
	st.corr = malloc((p->hosts + 1) * sizeof(double));
	if (st.cur != NULL && st.second != NULL && st.best != NULL && st.corr != NULL) {
		state_fill(p, out->chosen, &st);
		while (improve(p, out->chosen, &st)) {
			out->moves++;
			if (time_limit_s > 0 && now_s() - start > time_limit_s) {
				out->timed_out = true;
				break;
			}
		}
	}
	free(st.cur);
	free(st.second);
	free(st.best);
	free(st.corr);
	out->bound_ratio = (1 - exp(-1)) / 2;
	finish(p, out);
	return true;
}
