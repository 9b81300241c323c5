/*
 * gates.c - the gate order and the evaluation that turns gate results into a decision.
 */
#include "gates.h"

static const struct gate gate_table[] = {
    {"eligibility", gate_eligibility, false},
    {"config", gate_config, false},
    {"opt-out", gate_opt_out,
     false}, /* run with the check facts, so a recommendation shift still shows all it would need */
    {"shift-paused", gate_shift_paused, false},
    {"cohort", gate_cohort, false},
    {"shift-mode", gate_shift_mode, true},
    {"freeze", gate_freeze, false},
    {"weekend", gate_weekend, false},
    {"holiday", gate_holiday, false},
    {"working-hours", gate_working_hours, false},
    {"critical", gate_critical, true},
    {"rate-limit", gate_rate_limit, false},
    {"required-checks", gate_required_checks, true},
    {"mergeable", gate_mergeable,
     false}, /* from the PR itself: null or a conflict costs no check reads */
};

const struct gate *gates_all(size_t *count)
{
    *count = sizeof(gate_table) / sizeof(gate_table[0]);
    return gate_table;
}

static enum decision_kind kind_of(enum verdict v)
{
    switch (v) {
    case VERDICT_WAIT:
        return DECISION_WAIT;
    case VERDICT_BLOCK:
        return DECISION_BLOCKED;
    case VERDICT_SKIP:
        return DECISION_SKIP;
    case VERDICT_PASS:
        break;
    }
    return DECISION_MERGE;
}

void gates_evaluate(const struct pr_facts *f, int64_t now_ms, struct decision *out)
{
    size_t n;
    const struct gate *gates = gates_all(&n);
    out->kind = DECISION_MERGE;
    out->until_ms = 0;
    out->deciding_gate = -1;
    out->ngates = 0;
    int not_evaluated = -1;
    for (size_t i = 0; i < n && i < DECISION_GATES_MAX; i++) {
        struct gate_result *r = &out->gates[out->ngates++];
        r->gate = gates[i].name;
        if (gates[i].needs_checks && !f->checks_loaded) {
            /* shown in the trace, but never the reason: a gate that ran decides */
            gate_set(r, VERDICT_SKIP, 0, "not evaluated");
            if (not_evaluated < 0)
                not_evaluated = (int)i;
            continue;
        }
        gates[i].fn(f, now_ms, r);
        if (r->verdict != VERDICT_PASS && out->deciding_gate < 0) {
            out->deciding_gate = (int)i;
            out->kind = kind_of(r->verdict);
            out->until_ms = r->verdict == VERDICT_WAIT ? r->until_ms : 0;
        }
    }
    if (out->deciding_gate < 0 && not_evaluated >= 0) { /* never a merge on missing facts */
        out->deciding_gate = not_evaluated;
        out->kind = DECISION_SKIP;
    }
}

bool gates_is_eligible(const struct pr_facts *f, int64_t now_ms)
{
    struct gate_result r;
    gate_eligibility(f, now_ms, &r);
    return r.verdict == VERDICT_PASS;
}

bool gates_precheck_passes(const struct pr_facts *f, int64_t now_ms)
{
    size_t n;
    const struct gate *gates = gates_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (gates[i].needs_checks)
            continue;
        struct gate_result r;
        r.gate = gates[i].name;
        gates[i].fn(f, now_ms, &r);
        if (r.verdict != VERDICT_PASS)
            return false;
    }
    return true;
}
