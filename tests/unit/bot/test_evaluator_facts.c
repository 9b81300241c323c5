/* Unit tests for bot/evaluator_facts.c: GitHub JSON to facts (required-check union,
 * newest run per name, statuses, labels, mergeable null) - and that the result drives
 * the gates as GitHub would. */
#include "test.h"

#include "bot/evaluator_facts.h"
#include "policies/gates.h"

#include <jansson.h>

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (v == NULL)
        fprintf(stderr, "bad test JSON: %s\n", e.text);
    return v;
}

TEST(pr_fields)
{
    json_t *pr =
        parse("{\"state\":\"open\",\"draft\":false,\"merged\":false,\"mergeable\":null,"
              "\"mergeable_state\":\"unknown\",\"head\":{\"sha\":\"abc1234\"},"
              "\"base\":{\"ref\":\"main\",\"repo\":{\"default_branch\":\"main\"}},"
              "\"labels\":[{\"name\":\"fleetbot/automerge\"},{\"nope\":1},{\"name\":\"x\"}],"
              "\"auto_merge\":null}");
    struct pr_facts f = {0};
    struct facts_storage st = {0};
    facts_from_pr(&f, &st, pr);
    CHECK(f.is_open);
    CHECK(!f.is_draft);
    CHECK_INT_EQ(f.mergeable, -1);
    CHECK_STR_EQ(f.head_sha, "abc1234");
    CHECK_STR_EQ(f.default_branch, "main");
    CHECK_INT_EQ(f.nlabels, 2);
    CHECK(facts_has_label(&f, "FLEETBOT/AUTOMERGE"));
    CHECK(!f.human_auto_merge);
    facts_storage_free(&st);
    json_decref(pr);
}

TEST(required_union_and_observations)
{
    json_t *branch =
        parse("{\"protected\":true,\"protection\":{\"required_status_checks\":{"
              "\"enforcement_level\":\"non_admins\",\"contexts\":[\"build\",\"ci/legacy\"],"
              "\"checks\":[{\"context\":\"build\",\"app_id\":null},"
              "{\"context\":\"ci/legacy\",\"app_id\":null}]}}}");
    json_t *rules = parse("[{\"type\":\"pull_request\"},{\"type\":\"required_status_checks\","
                          "\"parameters\":{\"required_status_checks\":[{\"context\":\"build\"},"
                          "{\"context\":\"lint\",\"integration_id\":77}]}}]");
    json_t *runs = parse("{\"total_count\":4,\"check_runs\":["
                         "{\"id\":1,\"name\":\"build\",\"status\":\"completed\",\"conclusion\":"
                         "\"failure\",\"app\":{\"id\":5}},"
                         "{\"id\":9,\"name\":\"build\",\"status\":\"completed\",\"conclusion\":"
                         "\"success\",\"app\":{\"id\":5}},"
                         "{\"id\":3,\"name\":\"lint\",\"status\":\"completed\",\"conclusion\":"
                         "\"skipped\",\"app\":{\"id\":77}},"
                         "{\"id\":4,\"name\":\"extra\",\"status\":\"in_progress\",\"conclusion\":"
                         "null,\"app\":{\"id\":5}}]}");
    json_t *status = parse("{\"state\":\"success\",\"total_count\":1,\"statuses\":["
                           "{\"context\":\"ci/legacy\",\"state\":\"success\"}]}");
    struct pr_facts f = {0};
    struct facts_storage st = {0};
    f.head_sha = "abc1234";
    facts_from_checks(&f, &st, branch, rules, runs, status);
    CHECK_INT_EQ(f.nrequired, 3); /* build (any), ci/legacy (any), lint (app 77) */
    CHECK_INT_EQ(f.nchecks, 4);   /* build (newest), lint, extra, ci/legacy status */
    struct gate_result r;
    gate_required_checks(&f, 0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS); /* the re-run of build succeeded */
    facts_storage_free(&st);
    json_decref(branch);
    json_decref(rules);
    json_decref(runs);
    json_decref(status);
}

TEST(combined_pending_with_no_statuses_is_no_statuses)
{
    json_t *status = parse("{\"state\":\"pending\",\"total_count\":0,\"statuses\":[]}");
    json_t *runs =
        parse("{\"total_count\":1,\"check_runs\":[{\"id\":1,\"name\":\"build\","
              "\"status\":\"completed\",\"conclusion\":\"success\",\"app\":{\"id\":5}}]}");
    json_t *branch = parse("{\"protected\":true,\"protection\":{\"required_status_checks\":{"
                           "\"enforcement_level\":\"everyone\",\"contexts\":[\"build\"]}}}");
    struct pr_facts f = {0};
    struct facts_storage st = {0};
    facts_from_checks(&f, &st, branch, NULL, runs, status);
    struct gate_result r;
    gate_required_checks(&f, 0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    facts_storage_free(&st);
    json_decref(status);
    json_decref(runs);
    json_decref(branch);
}

TEST(unprotected_or_off_means_no_classic_requirements)
{
    json_t *off = parse("{\"protected\":true,\"protection\":{\"required_status_checks\":{"
                        "\"enforcement_level\":\"off\",\"contexts\":[\"build\"]}}}");
    json_t *unprot = parse("{\"protected\":false}");
    struct pr_facts f = {0};
    struct facts_storage st = {0};
    facts_from_checks(&f, &st, off, NULL, NULL, NULL);
    CHECK_INT_EQ(f.nrequired, 0);
    facts_storage_free(&st);
    facts_from_checks(&f, &st, unprot, NULL, NULL, NULL);
    CHECK_INT_EQ(f.nrequired, 0);
    CHECK_INT_EQ(f.nchecks, 0);
    facts_storage_free(&st);
    json_decref(off);
    json_decref(unprot);
}

TEST(wrong_types_are_tolerated)
{
    json_t *junk = parse("{\"protected\":\"yes\",\"check_runs\":{\"a\":1},\"statuses\":7,"
                         "\"labels\":\"x\",\"head\":[],\"state\":5}");
    struct pr_facts f = {0};
    struct facts_storage st = {0};
    facts_from_pr(&f, &st, junk);
    CHECK(!f.is_open);
    CHECK(f.head_sha == NULL);
    CHECK_INT_EQ(f.nlabels, 0);
    facts_storage_free(&st);
    facts_from_checks(&f, &st, junk, junk, junk, junk);
    CHECK_INT_EQ(f.nrequired, 0);
    CHECK_INT_EQ(f.nchecks, 0);
    facts_storage_free(&st);
    json_decref(junk);
}

/* Statuses are read only when a required check has no check run on the head. */
TEST(statuses_needed_only_for_required_checks_without_runs)
{
    json_t *branch = parse("{\"protected\":true,\"protection\":{\"required_status_checks\":{"
                           "\"contexts\":[\"build\"],\"checks\":[{\"context\":\"build\","
                           "\"app_id\":null}]}}}");
    json_t *rules = parse("[{\"type\":\"required_status_checks\",\"parameters\":{"
                          "\"required_status_checks\":[{\"context\":\"test\","
                          "\"integration_id\":15368}]}}]");
    json_t *both =
        parse("{\"total_count\":2,\"check_runs\":["
              "{\"id\":1,\"name\":\"build\",\"status\":\"in_progress\",\"app\":{\"id\":9}},"
              "{\"id\":2,\"name\":\"test\",\"status\":\"completed\","
              "\"conclusion\":\"success\",\"app\":{\"id\":15368}}]}");
    json_t *wrong_app = parse("{\"check_runs\":["
                              "{\"id\":1,\"name\":\"build\",\"app\":{\"id\":9}},"
                              "{\"id\":2,\"name\":\"test\",\"app\":{\"id\":77}}]}");
    json_t *only_build =
        parse("{\"check_runs\":[{\"id\":1,\"name\":\"build\",\"app\":{\"id\":9}}]}");
    CHECK(!facts_statuses_needed(branch, rules, both));
    CHECK(facts_statuses_needed(branch, rules, wrong_app)); /* test is pinned to app 15368 */
    CHECK(facts_statuses_needed(branch, rules, only_build));
    CHECK(facts_statuses_needed(branch, NULL, NULL));
    CHECK(!facts_statuses_needed(NULL, NULL, NULL)); /* nothing required */
    json_decref(branch);
    json_decref(rules);
    json_decref(both);
    json_decref(wrong_app);
    json_decref(only_build);
}
