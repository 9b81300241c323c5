/*
 * evaluator_facts.c - JSON to facts. GitHub may send several runs of one check (re-runs,
 * several suites): the newest (highest id) per name and app is the one that counts.
 */
#include "evaluator_facts.h"

#include "alloc.h"
#include "jsonutil.h"

#include <stdlib.h>
#include <string.h>

void facts_from_pr(struct pr_facts *f, struct facts_storage *st, json_t *pr)
{
    const char *state = json_path_str(pr, "state");
    f->is_open = state && strcmp(state, "open") == 0;
    f->is_merged = json_path_true(pr, "merged");
    f->is_draft = json_path_true(pr, "draft");
    f->head_sha = json_path_str(pr, "head.sha");
    f->base_ref = json_path_str(pr, "base.ref");
    f->default_branch = json_path_str(pr, "base.repo.default_branch");
    json_t *m = json_path(pr, "mergeable");
    f->mergeable = json_is_true(m) ? 1 : (json_is_false(m) ? 0 : -1);
    f->mergeable_state = json_path_str(pr, "mergeable_state");
    json_t *am = json_path(pr, "auto_merge");
    f->human_auto_merge = json_is_object(am);
    json_t *labels = json_path(pr, "labels");
    size_t n = json_array_size(labels);
    st->labels = xcalloc(n ? n : 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = json_path_str(json_array_get(labels, i), "name");
        if (name)
            st->labels[k++] = name;
    }
    f->labels = st->labels;
    f->nlabels = k;
}

static bool has_required(const struct required_check *req, size_t n, const char *name,
                         int64_t app_id)
{
    for (size_t i = 0; i < n; i++)
        if (req[i].app_id == app_id && strcmp(req[i].name, name) == 0)
            return true;
    return false;
}

static void add_required(struct facts_storage *st, size_t *n, size_t *cap, const char *name,
                         int64_t app_id, const char *source)
{
    if (name == NULL || name[0] == '\0' || has_required(st->required, *n, name, app_id))
        return;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        st->required = xrealloc(st->required, *cap * sizeof(*st->required));
    }
    st->required[(*n)++] = (struct required_check){name, app_id, source};
}

static void required_from_branch(struct facts_storage *st, size_t *n, size_t *cap, json_t *branch)
{
    if (!json_path_true(branch, "protected"))
        return;
    json_t *rsc = json_path(branch, "protection.required_status_checks");
    const char *level = json_path_str(rsc, "enforcement_level");
    if (!json_is_object(rsc) || (level && strcmp(level, "off") == 0))
        return;
    size_t i;
    json_t *c;
    json_t *checks = json_path(rsc, "checks");
    if (json_array_size(checks) > 0) {
        json_array_foreach(checks, i, c)
        {
            add_required(st, n, cap, json_path_str(c, "context"), json_path_int(c, "app_id", 0),
                         "branch protection");
        }
        return;
    }
    json_array_foreach(json_path(rsc, "contexts"), i, c)
    {
        add_required(st, n, cap, json_string_value(c), 0, "branch protection");
    }
}

static void required_from_rules(struct facts_storage *st, size_t *n, size_t *cap, json_t *rules)
{
    size_t i, j;
    json_t *rule, *c;
    json_array_foreach(rules, i, rule)
    {
        const char *type = json_path_str(rule, "type");
        if (type == NULL || strcmp(type, "required_status_checks") != 0)
            continue;
        json_array_foreach(json_path(rule, "parameters.required_status_checks"), j, c)
        {
            add_required(st, n, cap, json_path_str(c, "context"),
                         json_path_int(c, "integration_id", 0), "ruleset");
        }
    }
}

static enum check_state run_state(const char *status, const char *conclusion, const char **detail)
{
    if (status == NULL || strcmp(status, "completed") != 0) {
        *detail = status ? status : "queued";
        return CHECK_PENDING;
    }
    *detail = conclusion ? conclusion : "no conclusion";
    if (conclusion && (strcmp(conclusion, "success") == 0 || strcmp(conclusion, "neutral") == 0 ||
                       strcmp(conclusion, "skipped") == 0))
        return CHECK_PASSED;
    return CHECK_FAILED;
}

static enum check_state status_state(const char *state)
{
    if (state && strcmp(state, "success") == 0)
        return CHECK_PASSED;
    if (state && (strcmp(state, "failure") == 0 || strcmp(state, "error") == 0))
        return CHECK_FAILED;
    return CHECK_PENDING;
}

void facts_from_checks(struct pr_facts *f, struct facts_storage *st, json_t *branch, json_t *rules,
                       json_t *check_runs, json_t *combined_status)
{
    size_t nreq = 0, capreq = 0;
    required_from_branch(st, &nreq, &capreq, branch);
    required_from_rules(st, &nreq, &capreq, rules);
    f->required = st->required;
    f->nrequired = nreq;

    json_t *runs = json_is_array(check_runs) ? check_runs : json_path(check_runs, "check_runs");
    json_t *statuses = json_path(combined_status, "statuses");
    size_t cap = json_array_size(runs) + json_array_size(statuses);
    st->checks = xcalloc(cap ? cap : 1, sizeof(*st->checks));
    int64_t *ids = xcalloc(cap ? cap : 1, sizeof(int64_t));
    size_t n = 0, i;
    json_t *r;
    json_array_foreach(runs, i, r)
    {
        const char *name = json_path_str(r, "name");
        if (name == NULL)
            continue;
        int64_t app = json_path_int(r, "app.id", 0), id = json_path_int(r, "id", 0);
        size_t k;
        for (k = 0; k < n; k++)
            if (st->checks[k].app_id == app && strcmp(st->checks[k].name, name) == 0)
                break;
        if (k < n && ids[k] > id)
            continue; /* an older run of a check we already have */
        struct check_observation *o = &st->checks[k];
        o->kind = CHECK_KIND_RUN;
        o->name = name;
        o->app_id = app;
        o->state =
            run_state(json_path_str(r, "status"), json_path_str(r, "conclusion"), &o->detail);
        ids[k] = id;
        if (k == n)
            n++;
    }
    json_array_foreach(statuses, i, r)
    {
        const char *ctx = json_path_str(r, "context");
        const char *state = json_path_str(r, "state");
        if (ctx == NULL)
            continue;
        /* the combined status already holds the latest per context */
        st->checks[n++] = (struct check_observation){CHECK_KIND_STATUS, ctx, 0, status_state(state),
                                                     state ? state : "pending"};
    }
    free(ids);
    f->checks = st->checks;
    f->nchecks = n;
    f->checks_loaded = true;
}

bool facts_statuses_needed(json_t *branch, json_t *rules, json_t *check_runs)
{
    struct pr_facts f = {0};
    struct facts_storage st = {0};
    facts_from_checks(&f, &st, branch, rules, check_runs, NULL);
    bool needed = false;
    for (size_t i = 0; i < f.nrequired && !needed; i++) {
        const struct required_check *rq = &f.required[i];
        bool has_run = false;
        for (size_t k = 0; k < f.nchecks && !has_run; k++)
            has_run = f.checks[k].kind == CHECK_KIND_RUN &&
                      strcmp(f.checks[k].name, rq->name) == 0 &&
                      (rq->app_id == 0 || rq->app_id == f.checks[k].app_id);
        needed = !has_run;
    }
    facts_storage_free(&st);
    return needed;
}

void facts_storage_free(struct facts_storage *st)
{
    free(st->labels);
    free(st->required);
    free(st->checks);
    memset(st, 0, sizeof(*st));
}

int facts_approvals_of_head(json_t *reviews, const char *head_sha)
{
    /* reviewers are few; a small table of the latest verdict per login is enough */
    enum { MAX_REVIEWERS = 64 };
    const char *who[MAX_REVIEWERS];
    bool approved[MAX_REVIEWERS];
    size_t n = 0, i;
    json_t *r;
    json_array_foreach(reviews, i, r)
    {
        const char *login = json_path_str(r, "user.login");
        const char *state = json_path_str(r, "state");
        if (login == NULL || state == NULL || strcmp(state, "COMMENTED") == 0 ||
            strcmp(state, "PENDING") == 0)
            continue; /* comments do not change a reviewer's verdict */
        const char *commit = json_path_str(r, "commit_id");
        bool ok =
            strcmp(state, "APPROVED") == 0 && commit && head_sha && strcmp(commit, head_sha) == 0;
        size_t k = 0;
        while (k < n && strcmp(who[k], login) != 0)
            k++;
        if (k == n) {
            if (n == MAX_REVIEWERS)
                continue;
            who[n++] = login;
        }
        approved[k] = ok;
    }
    int count = 0;
    for (size_t k = 0; k < n; k++)
        count += approved[k];
    return count;
}
