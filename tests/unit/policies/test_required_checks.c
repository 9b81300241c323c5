/* Unit tests for policies/required_checks.c: the union of required checks against check
 * runs and statuses on the head, pending vs passing vs failing, app pinning, own runs. */
#include "test.h"

#include "policies/gates.h"

#define OWN_APP 99

static struct pr_facts base_facts(void)
{
    struct pr_facts f = {0};
    f.repo = "acme/api";
    f.number = 1;
    f.is_open = true;
    f.head_sha = "abcdef1234567890";
    f.base_ref = "main";
    f.default_branch = "main";
    f.checks_loaded = true;
    f.own_app_id = OWN_APP;
    f.mergeable = 1;
    f.mergeable_state = "clean";
    return f;
}

static enum verdict run(const struct pr_facts *f, struct gate_result *r)
{
    gate_required_checks(f, 0, r);
    return r->verdict;
}

TEST(all_required_pass)
{
    struct required_check req[] = {{"build", 0, "branch protection"}, {"lint", 0, "ruleset"}};
    struct check_observation obs[] = {
        {CHECK_KIND_RUN, "build", 5, CHECK_PASSED, "success"},
        {CHECK_KIND_STATUS, "lint", 0, CHECK_PASSED, "success"},
        {CHECK_KIND_RUN, "flaky-optional", 5, CHECK_FAILED, "failure"},
    };
    struct pr_facts f = base_facts();
    f.required = req;
    f.nrequired = 2;
    f.checks = obs;
    f.nchecks = 3;
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_PASS);
    CHECK_CONTAINS(r.reason, "all 2 required checks passed on abcdef1");
}

TEST(missing_required_is_pending_not_passing)
{
    struct required_check req[] = {{"build", 0, "branch protection"}, {"test", 0, "ruleset"}};
    struct check_observation obs[] = {{CHECK_KIND_RUN, "build", 5, CHECK_PASSED, "success"}};
    struct pr_facts f = base_facts();
    f.required = req;
    f.nrequired = 2;
    f.checks = obs;
    f.nchecks = 1;
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, 0);
    CHECK_CONTAINS(r.reason, "\"test\" (not reported yet)");
}

TEST(failing_required_blocks_even_if_others_pending)
{
    struct required_check req[] = {{"build", 0, "x"}, {"test", 0, "x"}};
    struct check_observation obs[] = {
        {CHECK_KIND_RUN, "build", 5, CHECK_PENDING, "in_progress"},
        {CHECK_KIND_RUN, "test", 5, CHECK_FAILED, "timed_out"},
    };
    struct pr_facts f = base_facts();
    f.required = req;
    f.nrequired = 2;
    f.checks = obs;
    f.nchecks = 2;
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_BLOCK);
    CHECK_CONTAINS(r.reason, "\"test\" (timed_out) failed");
}

TEST(run_and_status_with_same_name_must_both_pass)
{
    struct required_check req[] = {{"ci", 0, "branch protection"}};
    struct check_observation obs[] = {
        {CHECK_KIND_RUN, "ci", 5, CHECK_PASSED, "success"},
        {CHECK_KIND_STATUS, "ci", 0, CHECK_FAILED, "error"},
    };
    struct pr_facts f = base_facts();
    f.required = req;
    f.nrequired = 1;
    f.checks = obs;
    f.nchecks = 2;
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_BLOCK);
    obs[1].state = CHECK_PENDING;
    obs[1].detail = "pending";
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
    obs[1].state = CHECK_PASSED;
    CHECK_INT_EQ(run(&f, &r), VERDICT_PASS);
}

TEST(app_pinned_requirement_ignores_other_sources)
{
    struct required_check req[] = {{"build", 7, "ruleset"}};
    struct check_observation obs[] = {
        {CHECK_KIND_RUN, "build", 8, CHECK_PASSED, "success"},
        {CHECK_KIND_STATUS, "build", 0, CHECK_PASSED, "success"},
    };
    struct pr_facts f = base_facts();
    f.required = req;
    f.nrequired = 1;
    f.checks = obs;
    f.nchecks = 2;
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
    obs[0].app_id = 7;
    CHECK_INT_EQ(run(&f, &r), VERDICT_PASS);
}

TEST(own_check_run_never_counts)
{
    struct required_check req[] = {{"fleetbot", 0, "ruleset"}};
    struct check_observation obs[] = {
        {CHECK_KIND_RUN, "fleetbot", OWN_APP, CHECK_PASSED, "success"}};
    struct pr_facts f = base_facts();
    f.required = req;
    f.nrequired = 1;
    f.checks = obs;
    f.nchecks = 1;
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
}

TEST(no_requirements_needs_something_green_and_nothing_red)
{
    struct pr_facts f = base_facts();
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
    CHECK_CONTAINS(r.reason, "no check has reported");
    struct check_observation obs[] = {
        {CHECK_KIND_RUN, "fleetbot", OWN_APP, CHECK_PASSED, "success"},
        {CHECK_KIND_RUN, "build", 5, CHECK_PASSED, "success"},
        {CHECK_KIND_STATUS, "deploy-preview", 0, CHECK_PENDING, "pending"},
    };
    f.checks = obs;
    f.nchecks = 3;
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
    obs[2].state = CHECK_FAILED;
    obs[2].detail = "failure";
    CHECK_INT_EQ(run(&f, &r), VERDICT_BLOCK);
    obs[2].state = CHECK_PASSED;
    CHECK_INT_EQ(run(&f, &r), VERDICT_PASS);
    CHECK_CONTAINS(r.reason, "all 2 reported checks passed");
    f.nchecks = 1; /* only our own run: nothing has tested the head */
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
}

TEST(long_lists_are_summarised)
{
    struct required_check req[] = {
        {"a", 0, "x"}, {"b", 0, "x"}, {"c", 0, "x"}, {"d", 0, "x"}, {"e", 0, "x"}};
    struct pr_facts f = base_facts();
    f.required = req;
    f.nrequired = 5;
    struct gate_result r;
    CHECK_INT_EQ(run(&f, &r), VERDICT_WAIT);
    CHECK_CONTAINS(r.reason, "and 2 more");
}
