/*
 * required_checks.c - are all required checks green on the current head?
 *
 * Required = classic branch protection ∪ rulesets (the evaluator unions them). A
 * required name is satisfied by check runs *and* commit statuses of that name: when
 * both exist both must pass; a check pinned to an app only counts that app's runs.
 * success, neutral and skipped pass; a required check that has not reported yet is
 * pending, never passing. fleetbot's own check run never counts.
 * With no required checks configured, every check that reported must pass and at least
 * one must have reported: fleetbot never merges a head nothing has tested.
 */
#include "gates.h"

#include "bot/buf.h"

#include <string.h>

#define LIST_MAX 3 /* names listed in a reason before "and N more" */

struct name_list {
    struct buf text;
    int count;
};

static void list_add(struct name_list *l, const char *name, const char *detail)
{
    l->count++;
    if (l->count <= LIST_MAX)
        buf_printf(&l->text, "%s\"%s\" (%s)", l->count > 1 ? ", " : "", name, detail);
}

static const char *list_text(struct name_list *l)
{
    if (l->count > LIST_MAX)
        buf_printf(&l->text, " and %d more", l->count - LIST_MAX);
    return buf_cstr(&l->text);
}

static bool counts(const struct pr_facts *f, const struct check_observation *o)
{
    return !(o->kind == CHECK_KIND_RUN && f->own_app_id > 0 && o->app_id == f->own_app_id);
}

/* The state of one required check: the worst of everything reported under its name. */
static enum check_state required_state(const struct pr_facts *f, const struct required_check *r,
                                       const char **detail)
{
    bool seen = false, pending = false;
    *detail = "not reported yet";
    for (size_t i = 0; i < f->nchecks; i++) {
        const struct check_observation *o = &f->checks[i];
        if (!counts(f, o) || strcmp(o->name, r->name) != 0)
            continue;
        if (r->app_id > 0 && (o->kind != CHECK_KIND_RUN || o->app_id != r->app_id))
            continue;
        seen = true;
        if (o->state == CHECK_FAILED) {
            *detail = o->detail;
            return CHECK_FAILED;
        }
        if (o->state == CHECK_PENDING) {
            pending = true;
            *detail = o->detail;
        }
    }
    if (!seen || pending)
        return CHECK_PENDING;
    *detail = "passed";
    return CHECK_PASSED;
}

static void evaluate_without_requirements(const struct pr_facts *f, struct gate_result *out,
                                          struct name_list *failed, struct name_list *pending)
{
    int passed = 0;
    for (size_t i = 0; i < f->nchecks; i++) {
        const struct check_observation *o = &f->checks[i];
        if (!counts(f, o))
            continue;
        if (o->state == CHECK_FAILED)
            list_add(failed, o->name, o->detail);
        else if (o->state == CHECK_PENDING)
            list_add(pending, o->name, o->detail);
        else
            passed++;
    }
    if (failed->count)
        gate_set(out, VERDICT_BLOCK, 0, "no required checks are configured and %s failed",
                 list_text(failed));
    else if (pending->count)
        gate_set(out, VERDICT_WAIT, 0, "no required checks are configured; waiting for %s",
                 list_text(pending));
    else if (passed == 0)
        gate_set(out, VERDICT_WAIT, 0,
                 "no required checks are configured on \"%s\" and no check has reported on "
                 "%.7s yet",
                 f->base_ref ? f->base_ref : "?", f->head_sha ? f->head_sha : "?");
    else
        gate_set(out, VERDICT_PASS, 0,
                 "no required checks are configured; all %d reported checks passed on %.7s", passed,
                 f->head_sha ? f->head_sha : "?");
}

void gate_required_checks(const struct pr_facts *f, int64_t now_ms, struct gate_result *out)
{
    (void)now_ms;
    struct name_list failed = {BUF_INIT(GATE_REASON_MAX), 0};
    struct name_list pending = {BUF_INIT(GATE_REASON_MAX), 0};
    struct name_list passed = {BUF_INIT(GATE_REASON_MAX), 0};

    if (f->nrequired == 0) {
        evaluate_without_requirements(f, out, &failed, &pending);
        goto out;
    }
    for (size_t i = 0; i < f->nrequired; i++) {
        const struct required_check *r = &f->required[i];
        const char *detail;
        switch (required_state(f, r, &detail)) {
        case CHECK_FAILED:
            list_add(&failed, r->name, detail);
            break;
        case CHECK_PENDING:
            list_add(&pending, r->name, detail);
            break;
        case CHECK_PASSED:
            list_add(&passed, r->name, r->source);
            break;
        }
    }
    if (failed.count)
        gate_set(out, VERDICT_BLOCK, 0, "required check %s failed on %.7s", list_text(&failed),
                 f->head_sha ? f->head_sha : "?");
    else if (pending.count)
        gate_set(out, VERDICT_WAIT, 0, "waiting for required check %s on %.7s", list_text(&pending),
                 f->head_sha ? f->head_sha : "?");
    else
        gate_set(out, VERDICT_PASS, 0, "all %d required checks passed on %.7s", passed.count,
                 f->head_sha ? f->head_sha : "?");
out:
    buf_free(&failed.text);
    buf_free(&pending.text);
    buf_free(&passed.text);
}
