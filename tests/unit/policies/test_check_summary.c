/*
 * test_check_summary.c - the `fleetbot` check run rendered from a decision: status and
 * conclusion per kind (a config error fails, waiting is in progress, other blocks are
 * neutral), every gate's mark, the next look in the team's zone (or UTC), and a reason
 * with '|' that must not break the table.
 */
#include "test.h"

#include "bot/buf.h"
#include "policies/check_summary.h"
#include "policies/schedule.h"
#include "policies/tz.h"

#include <string.h>

static void add_gate(struct decision *d, const char *gate, enum verdict v, const char *reason)
{
    struct gate_result *g = &d->gates[d->ngates++];
    g->gate = gate;
    g->verdict = v;
    snprintf(g->reason, sizeof(g->reason), "%s", reason);
}

TEST(waiting_is_in_progress_with_the_next_look_in_local_time)
{
    struct decision d = {.kind = DECISION_WAIT, .deciding_gate = 1};
    add_gate(&d, "eligibility", VERDICT_PASS, "tagged");
    add_gate(&d, "working-hours", VERDICT_WAIT, "outside team core's working hours");
    add_gate(&d, "required-checks", VERDICT_SKIP, "not evaluated");
    struct tz_zone kathmandu;
    tz_fixed(&kathmandu, "Asia/Kathmandu", 5 * 3600 + 45 * 60);
    struct team_schedule s = {.team = "core", .zone = &kathmandu};
    struct check_summary_in in = {.kind = "wait",
                                  .reason = d.gates[1].reason,
                                  .until_ms = 1796526900000LL, /* Sun 2026-12-06 03:15 UTC */
                                  .d = &d,
                                  .schedule = &s};
    struct check_summary cs;
    struct buf out = BUF_INIT(65536);
    CHECK_INT_EQ(check_summary_render(&in, &cs, &out), 0);
    CHECK_STR_EQ(cs.status, "in_progress");
    CHECK(cs.conclusion == NULL);
    CHECK_STR_EQ(cs.title, "Waiting: outside team core's working hours");
    CHECK_CONTAINS(buf_cstr(&out), "**Next look:** Sun 2026-12-06 09:00 Asia/Kathmandu");
    CHECK_CONTAINS(buf_cstr(&out), "| ✓ | eligibility | tagged |");
    CHECK_CONTAINS(buf_cstr(&out), "| ✗ | working-hours |");
    CHECK_CONTAINS(buf_cstr(&out), "| – | required-checks | not evaluated |");
    buf_free(&out);
    tz_free(&kathmandu);
}

TEST(config_errors_fail_other_blocks_are_neutral_merges_succeed)
{
    struct decision d = {.kind = DECISION_BLOCKED, .deciding_gate = 0};
    add_gate(&d, "config", VERDICT_BLOCK, "invalid policy configuration: a.yml:2: bad | worse");
    struct check_summary_in in = {.kind = "blocked", .reason = d.gates[0].reason, .d = &d};
    struct check_summary cs;
    struct buf out = BUF_INIT(65536);
    CHECK_INT_EQ(check_summary_render(&in, &cs, &out), 0);
    CHECK_STR_EQ(cs.status, "completed");
    CHECK_STR_EQ(cs.conclusion, "failure");
    CHECK(strncmp(cs.title, "Configuration error: ", 21) == 0);
    CHECK_CONTAINS(buf_cstr(&out), "bad \\| worse |"); /* a '|' stays inside its cell */
    buf_reset(&out);
    d.gates[0].gate = "eligibility";
    snprintf(d.gates[0].reason, sizeof(d.gates[0].reason), "on hold");
    in.reason = "on hold";
    CHECK_INT_EQ(check_summary_render(&in, &cs, &out), 0);
    CHECK_STR_EQ(cs.conclusion, "neutral");
    CHECK_STR_EQ(cs.title, "Blocked: on hold");
    buf_reset(&out);
    in.kind = "merged";
    CHECK_INT_EQ(check_summary_render(&in, &cs, &out), 0);
    CHECK_STR_EQ(cs.conclusion, "success");
    CHECK_STR_EQ(cs.title, "Merged by fleetbot");
    buf_reset(&out);
    /* no zone: UTC; no next look: on the next event */
    in.kind = "wait";
    in.until_ms = 0;
    CHECK_INT_EQ(check_summary_render(&in, &cs, &out), 0);
    CHECK_CONTAINS(buf_cstr(&out), "when GitHub reports a change");
    buf_reset(&out);
    in.until_ms = 1796198400000LL; /* Wed 2026-12-02 08:00 UTC */
    CHECK_INT_EQ(check_summary_render(&in, &cs, &out), 0);
    CHECK_CONTAINS(buf_cstr(&out), "Wed 2026-12-02 08:00 UTC");
    buf_free(&out);
}

TEST(a_long_reason_is_cut_in_the_title_with_an_ellipsis)
{
    char reason[400];
    memset(reason, 'x', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    struct check_summary_in in = {.kind = "blocked", .reason = reason};
    struct check_summary cs;
    struct buf out = BUF_INIT(65536);
    CHECK_INT_EQ(check_summary_render(&in, &cs, &out), 0);
    CHECK_INT_EQ(strlen(cs.title), CHECK_TITLE_MAX - 1);
    CHECK(strcmp(cs.title + CHECK_TITLE_MAX - 4, "...") == 0);
    buf_free(&out);
}
