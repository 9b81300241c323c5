/*
 * test_policy_gates.c - table tests of the config, opt-out, shift-mode, freeze and
 * rate-limit gates: an opt-out expiring exactly at the boundary, one longer than the org
 * allows, chained freezes, and rate-limit bucket edges (a merge leaving the window at
 * exactly one hour, spacing between merges into one repo).
 */
#include "test.h"

#include "policies/gates.h"

#define MIN  60000LL
#define HOUR (60 * MIN)
#define T0   1795000000000LL

TEST(opt_out_holds_until_its_boundary)
{
    struct opt_out_fact o = {.reason = "flaky deploys", .until_ms = T0, .expires = "2026-11-30"};
    struct pr_facts f = {.opt_out = &o};
    struct gate_result r;
    gate_opt_out(&f, T0 - 1, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, T0);
    CHECK_CONTAINS(r.reason, "opted out until 2026-11-30: flaky deploys");
    gate_opt_out(&f, T0, &r); /* the first instant after the expiry day */
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    o.max_until_ms = T0 - 1; /* longer than the org allows */
    gate_opt_out(&f, T0 - 10, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_BLOCK);
    CHECK_CONTAINS(r.reason, "longer than the org allows");
    f.opt_out = NULL;
    gate_opt_out(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
}

TEST(config_errors_block_and_recommendations_never_merge)
{
    struct pr_facts f = {.config_error = "fleetbot.yml:4: hours must be ..."};
    struct gate_result r;
    gate_config(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_BLOCK);
    CHECK_CONTAINS(r.reason, "fleetbot.yml:4");
    f.config_error = NULL;
    gate_config(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    f.shift = "bump-libfoo";
    f.shift_recommend_only = true;
    gate_shift_mode(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_BLOCK);
    CHECK_CONTAINS(r.reason, "shift bump-libfoo only recommends");
    f.shift_recommend_only = false;
    gate_shift_mode(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
}

TEST(freezes_chain_to_their_real_end)
{
    struct freeze_fact z[] = {
        {T0 + 2 * HOUR, T0 + 5 * HOUR, "release", "this repository"},
        {T0, T0 + 2 * HOUR, "end of year", "org-wide"},
    };
    struct pr_facts f = {.freezes = z, .nfreezes = 2};
    struct gate_result r;
    gate_freeze(&f, T0 + MIN, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, T0 + 5 * HOUR);
    CHECK_CONTAINS(r.reason, "org-wide freeze in effect: end of year");
    gate_freeze(&f, T0 + 5 * HOUR, &r); /* [from, to): over at `to` */
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    gate_freeze(&f, T0 - 1, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
}

TEST(rate_limit_bucket_edges)
{
    int64_t merges[] = {T0, T0 + 10 * MIN};
    struct rate_fact inst = {"installation", 2, HOUR, merges, 2};
    CHECK_INT_EQ(rate_next_slot(&inst, T0 + 59 * MIN), T0 + HOUR);
    CHECK_INT_EQ(rate_next_slot(&inst, T0 + HOUR - 1), T0 + HOUR);
    CHECK_INT_EQ(rate_next_slot(&inst, T0 + HOUR), T0 + HOUR); /* the first merge has left */
    struct rate_fact roomy = {"shift bump", 3, HOUR, merges, 2};
    CHECK_INT_EQ(rate_next_slot(&roomy, T0 + 11 * MIN), T0 + 11 * MIN);
    int64_t last[] = {T0};
    struct rate_fact spacing = {"repo spacing", 1, 30 * MIN, last, 1};
    struct rate_fact both[] = {inst, spacing};
    struct pr_facts f = {.rates = both, .nrates = 2};
    struct gate_result r;
    gate_rate_limit(&f, T0 + 20 * MIN, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_WAIT);
    CHECK_INT_EQ(r.until_ms, T0 + HOUR); /* the later of the two slots */
    CHECK_CONTAINS(r.reason, "installation: 2 automerges per 60 min reached; next slot in 40 min");
    gate_rate_limit(&f, T0 + HOUR, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    f.nrates = 0;
    gate_rate_limit(&f, T0, &r);
    CHECK_INT_EQ(r.verdict, VERDICT_PASS);
    struct rate_fact only_spacing[] = {spacing};
    f.rates = only_spacing;
    f.nrates = 1;
    gate_rate_limit(&f, T0 + 5 * MIN, &r);
    CHECK_INT_EQ(r.until_ms, T0 + 30 * MIN);
    CHECK_CONTAINS(r.reason, "repo spacing: one automerge per 30 min; next slot in 25 min 00 s");
}
