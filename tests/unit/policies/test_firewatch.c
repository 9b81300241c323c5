/*
 * test_firewatch.c - the judgement table: a failure implicates the contained merges the
 * pipeline has not proven; a success proves contained merges (also implicated ones);
 * merges not contained, or of unknown containment, never change; what GitHub's states
 * mean per kind of execution.
 */
#include "test.h"

#include "policies/firewatch.h"

TEST(failures_implicate_what_no_success_carried_before)
{
    struct fw_merge m[] = {
        {FW_UNSEEN, 1, 0},     /* contained, never judged: implicated */
        {FW_PROVEN, 1, 0},     /* an earlier success carried it: cleared */
        {FW_UNSEEN, 0, 0},     /* not in the failing commit */
        {FW_IMPLICATED, 1, 0}, /* already implicated: stays, no change counted */
        {FW_UNSEEN, -1, 0},    /* containment unknown: never a guess */
    };
    CHECK_INT_EQ(firewatch_judge(FW_OUTCOME_FAILURE, m, 5), 1);
    CHECK_INT_EQ(m[0].next, FW_IMPLICATED);
    CHECK_INT_EQ(m[1].next, FW_PROVEN);
    CHECK_INT_EQ(m[2].next, FW_UNSEEN);
    CHECK_INT_EQ(m[3].next, FW_IMPLICATED);
    CHECK_INT_EQ(m[4].next, FW_UNSEEN);
    CHECK(firewatch_needs_ancestry(FW_OUTCOME_FAILURE, &m[0]));
    CHECK(!firewatch_needs_ancestry(FW_OUTCOME_FAILURE, &m[1]));
    CHECK(!firewatch_needs_ancestry(FW_OUTCOME_FAILURE, &m[3]));
}

TEST(successes_prove_and_clear)
{
    struct fw_merge m[] = {
        {FW_UNSEEN, 1, 0},
        {FW_IMPLICATED, 1, 0}, /* the pipeline recovered with it in */
        {FW_PROVEN, 1, 0},
        {FW_IMPLICATED, 0, 0},
    };
    CHECK_INT_EQ(firewatch_judge(FW_OUTCOME_SUCCESS, m, 4), 2);
    CHECK_INT_EQ(m[0].next, FW_PROVEN);
    CHECK_INT_EQ(m[1].next, FW_PROVEN);
    CHECK_INT_EQ(m[2].next, FW_PROVEN);
    CHECK_INT_EQ(m[3].next, FW_IMPLICATED);
    CHECK(!firewatch_needs_ancestry(FW_OUTCOME_SUCCESS, &m[2]));
    CHECK_INT_EQ(firewatch_judge(FW_OUTCOME_NONE, m, 4), 0);
}

TEST(what_github_states_mean)
{
    CHECK_INT_EQ(firewatch_outcome("deployment", "success"), FW_OUTCOME_SUCCESS);
    CHECK_INT_EQ(firewatch_outcome("deployment", "failure"), FW_OUTCOME_FAILURE);
    CHECK_INT_EQ(firewatch_outcome("deployment", "error"), FW_OUTCOME_FAILURE);
    CHECK_INT_EQ(firewatch_outcome("deployment", "in_progress"), FW_OUTCOME_NONE);
    CHECK_INT_EQ(firewatch_outcome("deployment", "inactive"), FW_OUTCOME_NONE);
    CHECK_INT_EQ(firewatch_outcome("workflow", "timed_out"), FW_OUTCOME_FAILURE);
    CHECK_INT_EQ(firewatch_outcome("workflow", "cancelled"), FW_OUTCOME_NONE);
    CHECK_INT_EQ(firewatch_outcome("workflow", "skipped"), FW_OUTCOME_NONE);
    CHECK_INT_EQ(firewatch_outcome("checks", "neutral"), FW_OUTCOME_NONE);
    CHECK_INT_EQ(firewatch_outcome("checks", "failure"), FW_OUTCOME_FAILURE);
    CHECK_INT_EQ(firewatch_outcome("status", "error"), FW_OUTCOME_FAILURE);
    CHECK_INT_EQ(firewatch_outcome("status", "pending"), FW_OUTCOME_NONE);
    CHECK_INT_EQ(firewatch_outcome("status", NULL), FW_OUTCOME_NONE);
    CHECK_INT_EQ(firewatch_outcome("carrier-pigeon", "failure"), FW_OUTCOME_NONE);
}
