/*
 * test_cohorts.c - the cohort gate at its edges: the first cohort always passes; a later
 * one waits for the earlier ones' merged-and-proven share (exactly at the bar passes),
 * for any implicated merge, for unknown progress, and for the soak time (over at its
 * last millisecond); empty earlier cohorts do not hold it back.
 */
#include "test.h"

#include "policies/gates.h"

#define T0 1800000000000LL

static struct pr_facts with(const struct cohort_fact *c)
{
    struct pr_facts f = {0};
    f.cohort = c;
    return f;
}

TEST(the_health_bar_at_its_edges)
{
    struct cohort_progress canary = {"canary", 5, 4, 4, 0, T0};
    struct cohort_fact c = {"standard", 1, 80, 0, &canary, 1};
    struct pr_facts f = with(&c);
    struct gate_result r;
    gate_cohort(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS); /* 4 of 5 = 80 %: exactly the bar */
    canary.proven = 3;
    gate_cohort(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, 0);
    CHECK_CONTAINS(r.reason, "3 of its 5 PRs merged and proven (4 merged), 80% needed");
    canary.proven = 5;
    canary.implicated = 1;
    gate_cohort(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_CONTAINS(r.reason, "1 merge of cohort canary is implicated");
    struct pr_facts none = with(NULL);
    gate_cohort(&none, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    struct cohort_fact first = {"canary", 0, 100, 0, NULL, 0};
    struct pr_facts ff = with(&first);
    gate_cohort(&ff, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    struct cohort_fact unknown = {"standard", 1, 100, 0, NULL, 0};
    struct pr_facts fu = with(&unknown);
    gate_cohort(&fu, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
}

TEST(soak_time_and_empty_cohorts)
{
    struct cohort_progress earlier[] = {{"canary", 2, 2, 2, 0, T0},
                                        {"early", 0, 0, 0, 0, 0},
                                        {"standard", 3, 3, 3, 0, T0 + 600000}};
    struct cohort_fact c = {"rest", 3, 100, 3600000, earlier, 3};
    struct pr_facts f = with(&c);
    struct gate_result r;
    gate_cohort(&f, T0 + 600000 + 3600000 - 1, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, T0 + 600000 + 3600000); /* the newest merge's soak decides */
    CHECK_CONTAINS(r.reason, "cohort standard soaks (60 min)");
    gate_cohort(&f, T0 + 600000 + 3600000, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    CHECK_CONTAINS(r.reason, "the 3 earlier cohorts reached the health bar");
}
