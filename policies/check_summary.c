/*
 * check_summary.c - renders a recorded decision as the `fleetbot` check run. A config
 * error is a failure (someone must fix a file); waiting is "in progress" (fleetbot will
 * act by itself); other blocks are neutral (a person decided: hold, opt-out, draft).
 */
#include "check_summary.h"

#include "bot/buf.h"
#include "calendar.h"
#include "schedule.h"
#include "tz.h"

#include <stdio.h>
#include <string.h>

static const char *gate_mark(const struct gate_result *g)
{
    if (g->verdict == VERDICT_PASS)
        return "✓";
    if (g->verdict == VERDICT_SKIP && strcmp(g->reason, "not evaluated") == 0)
        return "–";
    return "✗";
}

static void format_when(const struct team_schedule *s, int64_t t, char *out, size_t cap)
{
    if (s != NULL && s->zone != NULL) {
        schedule_format_local(s, t / 1000, out, cap);
        return;
    }
    struct tz_zone utc;
    tz_fixed(&utc, "UTC", 0);
    struct team_schedule u = {.zone = &utc};
    schedule_format_local(&u, t / 1000, out, cap);
    tz_free(&utc);
}

/* The title: the first sentence-ish of the reason, cut to fit. */
static void set_title(struct check_summary *out, const char *prefix, const char *reason)
{
    int n = snprintf(out->title, sizeof(out->title), "%s%s", prefix, reason ? reason : "");
    if (n >= (int)sizeof(out->title)) /* cut on purpose, with an ellipsis */
        memcpy(out->title + sizeof(out->title) - 4, "...", 4);
}

static bool is_config_block(const struct check_summary_in *in)
{
    const struct decision *d = in->d;
    return d && d->deciding_gate >= 0 && (size_t)d->deciding_gate < d->ngates &&
           strcmp(d->gates[d->deciding_gate].gate, "config") == 0;
}

int check_summary_render(const struct check_summary_in *in, struct check_summary *out,
                         struct buf *summary)
{
    char when[96] = "";
    if (in->until_ms > 0)
        format_when(in->schedule, in->until_ms, when, sizeof(when));
    int rc = 0;
    if (strcmp(in->kind, "merged") == 0) {
        out->status = "completed";
        out->conclusion = "success";
        set_title(out, "Merged by fleetbot", "");
        rc = buf_appends(summary, "Every gate passed and fleetbot merged this head.\n");
    } else if (strcmp(in->kind, "wait") == 0) {
        out->status = "in_progress";
        out->conclusion = NULL;
        set_title(out, "Waiting: ", in->reason);
        rc = buf_printf(summary, "**Waiting:** %s\n\n", in->reason);
        if (rc == 0 && when[0])
            rc = buf_printf(summary, "**Next look:** %s\n", when);
        else if (rc == 0)
            rc = buf_appends(summary, "**Next look:** when GitHub reports a change\n");
    } else if (strcmp(in->kind, "skip") == 0) {
        out->status = "completed";
        out->conclusion = "neutral";
        set_title(out, "Not fleetbot's to merge: ", in->reason);
        rc = buf_printf(summary, "%s\n", in->reason);
    } else {
        out->status = "completed";
        out->conclusion = is_config_block(in) ? "failure" : "neutral";
        set_title(out, is_config_block(in) ? "Configuration error: " : "Blocked: ", in->reason);
        rc = buf_printf(summary, "**Blocked:** %s\n", in->reason);
    }
    if (rc == 0 && in->d && in->d->ngates > 0) {
        rc = buf_appends(summary, "\n| | gate | result |\n|---|---|---|\n");
        for (size_t i = 0; rc == 0 && i < in->d->ngates; i++) {
            const struct gate_result *g = &in->d->gates[i];
            rc = buf_printf(summary, "| %s | %s | ", gate_mark(g), g->gate);
            for (const char *p = g->reason; rc == 0 && *p; p++) /* a '|' would end the cell */
                rc = *p == '|' ? buf_appends(summary, "\\|")
                               : buf_appendc(summary, *p == '\n' ? ' ' : *p);
            rc = rc ? rc : buf_appends(summary, " |\n");
        }
    }
    if (rc == 0)
        rc = buf_appends(summary, "\nAsk `/fleetbot why` in a comment for this trace, or "
                                  "`/fleetbot help` for the commands.\n");
    return rc;
}
