/*
 * decision.c - naming, formatting and serialising verdicts and decisions.
 */
#include "decision.h"

#include "bot/buf.h"

#include <stdarg.h>
#include <stdio.h>

const char *verdict_name(enum verdict v)
{
    switch (v) {
    case VERDICT_PASS:
        return "pass";
    case VERDICT_WAIT:
        return "wait";
    case VERDICT_BLOCK:
        return "block";
    case VERDICT_SKIP:
        return "skip";
    }
    return "unknown";
}

const char *decision_kind_name(enum decision_kind k)
{
    switch (k) {
    case DECISION_MERGE:
        return "merge";
    case DECISION_WAIT:
        return "wait";
    case DECISION_BLOCKED:
        return "blocked";
    case DECISION_SKIP:
        return "skip";
    }
    return "unknown";
}

void gate_set(struct gate_result *r, enum verdict v, int64_t until_ms, const char *fmt, ...)
{
    r->verdict = v;
    r->until_ms = until_ms;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
    if (n < 0)
        r->reason[0] = '\0';
}

const char *decision_reason(const struct decision *d)
{
    if (d->deciding_gate >= 0 && (size_t)d->deciding_gate < d->ngates)
        return d->gates[d->deciding_gate].reason;
    return "every gate passed";
}

int decision_to_json(const struct decision *d, struct buf *out)
{
    int rc = buf_printf(out, "{\"decision\":\"%s\",\"until\":%lld,\"reason\":\"",
                        decision_kind_name(d->kind), (long long)d->until_ms);
    rc = rc ? rc : buf_append_json_escaped(out, decision_reason(d));
    rc = rc ? rc : buf_appends(out, "\",\"gates\":[");
    for (size_t i = 0; rc == 0 && i < d->ngates; i++) {
        const struct gate_result *g = &d->gates[i];
        rc = buf_printf(out, "%s{\"gate\":\"%s\",\"verdict\":\"%s\",\"until\":%lld,\"reason\":\"",
                        i ? "," : "", g->gate, verdict_name(g->verdict), (long long)g->until_ms);
        rc = rc ? rc : buf_append_json_escaped(out, g->reason);
        rc = rc ? rc : buf_appends(out, "\"}");
    }
    return rc ? rc : buf_appends(out, "]}");
}
