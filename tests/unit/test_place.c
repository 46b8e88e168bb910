/* SPDX-License-Identifier: GPL-3.0-or-later */
/*  mecdns-place's solvers (tools/place/solve.h) against brute force: every
 *  subset of the hosts within the budget, on small random problems. The
 *  exact solver must find the optimum; the heuristic a feasible set whose
 *  saving is at least its stated fraction of the optimal saving. */

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/place/solve.h"

typedef struct {
	place_problem_t p;
	double cost[16];
	double queries[40];
	double rtt[40 * 16];
} random_problem_t;

static void make(random_problem_t *r, unsigned seed)
{
	srand(seed);
	memset(r, 0, sizeof(*r));
	size_t hosts = 1 + (size_t)(rand() % 12);
	size_t groups = 1 + (size_t)(rand() % 40);
	for (size_t h = 0; h < hosts; h++) {
		r->cost[h] = rand() % 4 == 0 ? 0 : 1 + rand() % 9;
	}
	for (size_t g = 0; g < groups; g++) {
		r->queries[g] = rand() % 5 == 0 ? 0 : 1 + rand() % 1000;
		for (size_t h = 0; h < hosts; h++) {
			/* Some pairs unmeasured; some RTTs above the fallback. */
			r->rtt[g * hosts + h] = rand() % 6 == 0 ? INFINITY : 1 + rand() % 150;
		}
	}
	r->p = (place_problem_t){ .hosts = hosts,
		                  .groups = groups,
		                  .cost = r->cost,
		                  .queries = r->queries,
		                  .rtt = r->rtt,
		                  .fallback = 100,
		                  .budget = rand() % 25 };
}

/*! \brief The optimum by trying every subset (independent of solve.c). */
static double brute_force(const place_problem_t *p)
{
	double best = INFINITY;
	for (unsigned mask = 0; mask < (1u << p->hosts); mask++) {
		double cost = 0;
		for (size_t h = 0; h < p->hosts; h++) {
			cost += (mask >> h & 1) ? p->cost[h] : 0;
		}
		if (cost > p->budget) {
			continue;
		}
		double total = 0;
		for (size_t g = 0; g < p->groups; g++) {
			double lat = p->fallback;
			for (size_t h = 0; h < p->hosts; h++) {
				double r = p->rtt[g * p->hosts + h];
				if ((mask >> h & 1) && r < lat) {
					lat = r;
				}
			}
			total += p->queries[g] * lat;
		}
		best = total < best ? total : best;
	}
	return best;
}

static double none_total(const place_problem_t *p)
{
	double sum = 0;
	for (size_t g = 0; g < p->groups; g++) {
		sum += p->queries[g] * p->fallback;
	}
	return sum;
}

START_TEST(test_exact_finds_the_optimum)
{
	for (unsigned seed = 1; seed <= 400; seed++) {
		random_problem_t r;
		make(&r, seed);
		place_solution_t s;
		ck_assert(place_exact(&r.p, &s));
		double optimum = brute_force(&r.p);
		ck_assert_msg(s.cost <= r.p.budget + 1e-9, "seed %u: cost %g over budget %g", seed,
		              s.cost, r.p.budget);
		ck_assert_msg(fabs(s.total - optimum) <= 1e-6 * (1 + optimum),
		              "seed %u: exact %g, brute force %g", seed, s.total, optimum);
		ck_assert(fabs(place_total(&r.p, s.chosen) - s.total) <= 1e-6 * (1 + s.total));
		place_solution_free(&s);
	}
}
END_TEST

START_TEST(test_greedy_keeps_its_guarantee_and_the_budget)
{
	size_t optimal = 0, runs = 0;
	for (unsigned seed = 1; seed <= 400; seed++) {
		random_problem_t r;
		make(&r, seed);
		place_solution_t s;
		ck_assert(place_greedy(&r.p, 0, &s));
		double optimum = brute_force(&r.p);
		double none = none_total(&r.p);
		ck_assert_msg(s.cost <= r.p.budget + 1e-9, "seed %u: cost %g over budget %g", seed,
		              s.cost, r.p.budget);
		double saving = none - s.total, best_saving = none - optimum;
		ck_assert_msg(saving + 1e-6 >= s.bound_ratio * best_saving,
		              "seed %u: saving %g below %g of the optimal %g", seed, saving,
		              s.bound_ratio, best_saving);
		ck_assert(s.total + 1e-6 * (1 + optimum) >= optimum);
		optimal += fabs(s.total - optimum) <= 1e-6 * (1 + optimum);
		runs++;
		place_solution_free(&s);
	}
	fprintf(stderr, "greedy + local search optimal in %zu of %zu\n", optimal, runs);
	/* Local search reaches the optimum on most small cases. */
	ck_assert_msg(optimal * 10 >= runs * 9, "optimal in only %zu of %zu", optimal, runs);
}
END_TEST

START_TEST(test_gains_are_what_adding_a_host_saves)
{
	random_problem_t r;
	make(&r, 77);
	bool chosen[16] = { false };
	chosen[0] = true;
	double gains[16];
	place_gains(&r.p, chosen, gains);
	double base = place_total(&r.p, chosen);
	for (size_t h = 0; h < r.p.hosts; h++) {
		if (chosen[h]) {
			ck_assert(gains[h] == 0);
			continue;
		}
		chosen[h] = true;
		ck_assert(fabs(base - place_total(&r.p, chosen) - gains[h]) <= 1e-6 * (1 + base));
		chosen[h] = false;
	}
}
END_TEST

static Suite *place_suite(void)
{
	Suite *s = suite_create("place");
	TCase *tc = tcase_create("solvers");
	tcase_add_test(tc, test_exact_finds_the_optimum);
	tcase_add_test(tc, test_greedy_keeps_its_guarantee_and_the_budget);
	tcase_add_test(tc, test_gains_are_what_adding_a_host_saves);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(place_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
