/* Unit tests for policies/gates.c, eligibility.c and mergeable.c: gate order, the first
 * non-PASS decides, the whole trace is kept, and mergeable-null backoff. */
#include "test.h"

#include "bot/buf.h"
#include "policies/gates.h"

static const char *labels_tagged[] = {"fleetbot/automerge", "fleetbot/shift:bump-foo"};

static struct pr_facts green(void)
{
    static struct required_check req[] = {{"build", 0, "branch protection"}};
    static struct check_observation obs[] = {{CHECK_KIND_RUN, "build", 5, CHECK_PASSED, "success"}};
    struct pr_facts f = {0};
    f.repo = "acme/api";
    f.number = 3;
    f.is_open = true;
    f.head_sha = "0123456789abcdef";
    f.base_ref = "main";
    f.default_branch = "main";
    f.labels = labels_tagged;
    f.nlabels = 2;
    f.automerge_label = "fleetbot/automerge";
    f.hold_label = "fleetbot/hold";
    f.mergeable = 1;
    f.mergeable_state = "clean";
    f.checks_loaded = true;
    f.required = req;
    f.nrequired = 1;
    f.checks = obs;
    f.nchecks = 1;
    return f;
}

static const struct gate_result *find_gate(const struct decision *d, const char *name)
{
    for (size_t i = 0; i < d->ngates; i++)
        if (strcmp(d->gates[i].gate, name) == 0)
            return &d->gates[i];
    return NULL;
}

TEST(green_tagged_pr_merges)
{
    struct pr_facts f = green();
    struct decision d;
    gates_evaluate(&f, 1000, &d);
    CHECK_INT_EQ(d.kind, DECISION_MERGE);
    CHECK_INT_EQ(d.deciding_gate, -1);
    size_t n;
    gates_all(&n);
    CHECK_INT_EQ(d.ngates, n);
    CHECK(find_gate(&d, "required-checks") && find_gate(&d, "mergeable") &&
          find_gate(&d, "working-hours"));
    for (size_t i = 0; i < d.ngates; i++)
        CHECK_INT_EQ(d.gates[i].verdict, VERDICT_PASS);
}

TEST(eligibility_table)
{
    static const char *untagged[] = {"dependencies"};
    static const char *held[] = {"fleetbot/automerge", "FLEETBOT/HOLD"};
    struct decision d;
    struct pr_facts f;

    f = green();
    f.labels = untagged;
    f.nlabels = 1;
    gates_evaluate(&f, 0, &d);
    CHECK_INT_EQ(d.kind, DECISION_SKIP);
    CHECK_CONTAINS(decision_reason(&d), "not tagged");

    f = green();
    f.is_open = false;
    gates_evaluate(&f, 0, &d);
    CHECK_INT_EQ(d.kind, DECISION_SKIP);

    f = green();
    f.is_open = false;
    f.is_merged = true;
    gates_evaluate(&f, 0, &d);
    CHECK_STR_EQ(decision_reason(&d), "already merged");

    f = green();
    f.is_draft = true;
    gates_evaluate(&f, 0, &d);
    CHECK_INT_EQ(d.kind, DECISION_BLOCKED);
    CHECK_CONTAINS(decision_reason(&d), "draft");

    f = green();
    f.base_ref = "release";
    gates_evaluate(&f, 0, &d);
    CHECK_INT_EQ(d.kind, DECISION_BLOCKED);
    CHECK_CONTAINS(decision_reason(&d), "not the default branch \"main\"");

    f = green();
    f.labels = held;
    f.nlabels = 2;
    gates_evaluate(&f, 0, &d);
    CHECK_INT_EQ(d.kind, DECISION_BLOCKED);
    CHECK_CONTAINS(decision_reason(&d), "on hold");

    f = green();
    f.human_auto_merge = true;
    gates_evaluate(&f, 0, &d);
    CHECK_INT_EQ(d.kind, DECISION_SKIP);
}

TEST(trace_keeps_every_gate_after_the_first_failure)
{
    struct pr_facts f = green();
    f.is_draft = true;
    f.mergeable = 0;
    f.mergeable_state = "dirty";
    struct decision d;
    gates_evaluate(&f, 0, &d);
    CHECK_INT_EQ(d.deciding_gate, 0);
    const struct gate_result *checks = find_gate(&d, "required-checks");
    const struct gate_result *mergeable = find_gate(&d, "mergeable");
    CHECK(checks && mergeable);
    if (checks && mergeable) {
        CHECK_INT_EQ(checks->verdict, VERDICT_PASS);
        CHECK_INT_EQ(mergeable->verdict, VERDICT_BLOCK);
    }
}

TEST(not_loaded_checks_are_not_evaluated)
{
    struct pr_facts f = green();
    f.checks_loaded = false;
    f.is_open = false;
    struct decision d;
    gates_evaluate(&f, 0, &d);
    const struct gate_result *checks = find_gate(&d, "required-checks");
    CHECK(checks != NULL);
    if (checks) {
        CHECK_INT_EQ(checks->verdict, VERDICT_SKIP);
        CHECK_STR_EQ(checks->reason, "not evaluated");
    }
    CHECK(!gates_is_eligible(&f, 0));
    f = green();
    CHECK(gates_is_eligible(&f, 0));
}

TEST(mergeable_null_waits_with_backoff)
{
    struct pr_facts f = green();
    f.mergeable = -1;
    f.mergeable_state = "unknown";
    struct decision d;
    gates_evaluate(&f, 10000, &d);
    CHECK_INT_EQ(d.kind, DECISION_WAIT);
    CHECK_INT_EQ(d.until_ms, 11000);
    f.mergeable_attempts = 3;
    gates_evaluate(&f, 10000, &d);
    CHECK_INT_EQ(d.until_ms, 18000);
    CHECK_INT_EQ(mergeable_backoff_ms(0), 1000);
    CHECK_INT_EQ(mergeable_backoff_ms(4), 16000);
    CHECK_INT_EQ(mergeable_backoff_ms(5), 30000);
    CHECK_INT_EQ(mergeable_backoff_ms(50), 30000);
}

TEST(mergeable_states)
{
    struct pr_facts f = green();
    struct gate_result r;
    f.mergeable_state = "behind";
    gate_mergeable(&f, 0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_BLOCK);
    f.mergeable_state = "blocked"; /* the merge call's answer decides */
    gate_mergeable(&f, 0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    f.mergeable_state = "unstable";
    gate_mergeable(&f, 0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    f.mergeable = 0;
    f.mergeable_state = "dirty";
    gate_mergeable(&f, 0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_BLOCK);
    CHECK_CONTAINS(r.reason, "conflicts");
}

TEST(decision_serialises_to_json)
{
    struct pr_facts f = green();
    f.mergeable = -1;
    struct decision d;
    gates_evaluate(&f, 5000, &d);
    struct buf b = BUF_INIT(8192);
    CHECK_INT_EQ(decision_to_json(&d, &b), 0);
    CHECK_CONTAINS(buf_cstr(&b), "\"decision\":\"wait\"");
    CHECK_CONTAINS(buf_cstr(&b), "\"until\":6000");
    CHECK_CONTAINS(buf_cstr(&b), "{\"gate\":\"eligibility\",\"verdict\":\"pass\"");
    buf_free(&b);
}
