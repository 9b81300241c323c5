/*
 * commands.c - runs the `/fleetbot` commands of one comment (a "cmd|..." job queued by
 * handlers/issue_comment.c): checks the commenter's permission through the
 * collaborator-permission API (author_association is never trusted), does what each
 * command asks, and answers with one comment. Commands run one after another; each
 * asynchronous step stores what it learnt in struct cmd_run and calls step() again.
 * It does not parse comments (command.c) and does not decide merges (the evaluator does,
 * woken by what a command changed).
 */
#include "commands.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "command.h"
#include "err.h"
#include "evalq.h"
#include "gh_client.h"
#include "gh_comment.h"
#include "jsonutil.h"
#include "log.h"
#include "parse.h"
#include "policy_source.h"
#include "redis.h"
#include "redis_batch.h"
#include "store.h"
#include "timeutil.h"
#include "policies/calendar.h"
#include "policies/check_summary.h"
#include "policies/gates.h"
#include "policies/schedule.h"
#include "policies/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PERM_UNKNOWN (-1)
enum { PERM_NONE, PERM_READ, PERM_TRIAGE, PERM_WRITE, PERM_MAINTAIN, PERM_ADMIN };

struct cmd_run {
    struct app *app;
    struct evalq_job *job;
    int64_t installation;
    char repo[256];
    char config_repo[256];
    char key[600];
    int64_t comment_id;
    int64_t number;
    bool is_pr;
    char user[128];
    int64_t now;
    struct command_list cmds;
    size_t i;
    struct buf reply;
    /* what is known so far */
    int repo_perm;   /* on the repo; PERM_UNKNOWN until asked */
    int config_perm; /* on the config repo */
    int org_admin;   /* an admin of the repo's org: -1 unknown, 0 no, 1 yes */
    /* the current command's progress */
    struct policy_view *view;
    bool view_loaded;
    size_t team_idx; /* next @org/team owner to ask about */
    bool is_owner;   /* pause/resume: the commenter owns the shift */
    bool acted;      /* the command's GitHub/Redis effect is done */
};

static void step(struct cmd_run *r);
static void post_reply(struct cmd_run *r);

static void run_free(struct cmd_run *r)
{
    policy_view_free(r->view);
    buf_free(&r->reply);
    free(r);
}

static void run_finish(struct cmd_run *r)
{
    evalq_job_done(r->job, 0);
    run_free(r);
}

static void on_logged(redisReply *reply, void *priv)
{
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        log_warn("command state not written what=%s error=%s", (const char *)priv,
                 fb_redis_reply_error_text(reply));
}

static char w_done[] = "command done", w_sched[] = "schedule";

/* The command is answered: its effect and the reply line are in. */
static void next_command(struct cmd_run *r)
{
    r->i++;
    policy_view_free(r->view);
    r->view = NULL;
    r->view_loaded = false;
    r->team_idx = 0;
    r->is_owner = false;
    r->acted = false;
    step(r);
}

static void say(struct cmd_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct cmd_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&r->reply, fmt, ap);
    va_end(ap);
}

static void schedule_pr_now(struct cmd_run *r)
{
    char job[STORE_JOB_MAX];
    if (store_job_format(job, sizeof(job), r->installation, r->repo, r->number) == 0)
        fb_redis_command(r->app->redis, on_logged, w_sched, "ZADD " KEY_EVALQ " LT %lld %s",
                         (long long)r->now, job);
}

/* ---- permissions ------------------------------------------------------------------ */

static int perm_rank(const char *p)
{
    static const char *const names[] = {"none", "read", "triage", "write", "maintain", "admin"};
    for (int i = 0; p && i < 6; i++)
        if (strcmp(p, names[i]) == 0)
            return i;
    return PERM_NONE;
}

static const char *perm_name(int rank)
{
    static const char *const names[] = {"no access", "read",     "triage",
                                        "write",     "maintain", "admin"};
    return rank >= 0 && rank < 6 ? names[rank] : "unknown";
}

struct perm_ask {
    struct cmd_run *r;
    int *slot;
};

static void on_permission(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct perm_ask *a = priv;
    struct cmd_run *r = a->r;
    if (err->code == 0) {
        /* role_name knows maintain and triage; permission folds them into write/read */
        const char *role = json_path_str(resp->json, "role_name");
        int rank = perm_rank(role);
        int p = perm_rank(json_path_str(resp->json, "permission"));
        *a->slot = rank > p ? rank : p;
    } else if (err->code == FB_ERR_NOT_FOUND) {
        *a->slot = PERM_NONE; /* not a collaborator */
    } else {
        *a->slot = PERM_NONE;
        log_warn("permission check failed repo=%s user=%s status=%d error=%s", r->repo, r->user,
                 err->http_status, err->msg);
        say(r,
            "\n> fleetbot could not check @%s's permission (GitHub answered %d); try again "
            "later.\n",
            r->user, err->http_status);
    }
    free(a);
    step(r);
}

/* 0: *slot is known. 1: asked; step() runs again with the answer. */
static int need_permission(struct cmd_run *r, const char *repo, int *slot)
{
    if (*slot != PERM_UNKNOWN)
        return 0;
    char path[600];
    snprintf(path, sizeof(path), "/repos/%s/collaborators/%s/permission", repo, r->user);
    struct perm_ask *a = xcalloc(1, sizeof(*a));
    a->r = r;
    a->slot = slot;
    struct gh_request req = {.method = "GET", .path = path, .installation_id = r->installation};
    if (gh_request_send(r->app->gh, &req, on_permission, a) != 0) {
        free(a);
        *slot = PERM_NONE;
        return 0;
    }
    return 1;
}

/* ---- policy files ---------------------------------------------------------------- */

static void on_view(struct policy_view *view, const struct fb_error *err, void *priv)
{
    struct cmd_run *r = priv;
    r->view = view;
    r->view_loaded = true;
    if (view == NULL)
        log_warn("command could not read policy files repo=%s error=%s", r->repo, err->msg);
    step(r);
}

/* 0: r->view is loaded (may be NULL when unreadable). 1: loading. */
static int need_view(struct cmd_run *r, const char *shift)
{
    if (r->view_loaded)
        return 0;
    if (policy_load(r->app->policy, r->installation, r->repo, shift, r->now, on_view, r) != 0) {
        r->view_loaded = true;
        return 0;
    }
    return 1;
}

/* ---- the commands -------------------------------------------------------------------- */

static void on_action(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    (void)resp;
    struct cmd_run *r = priv;
    struct command *c = &r->cmds.items[r->i];
    if (err->code == 0 || (c->kind == CMD_UNHOLD && err->code == FB_ERR_NOT_FOUND)) {
        if (c->kind == CMD_HOLD)
            say(r,
                "- **hold**: held. fleetbot will not merge this PR until `/fleetbot unhold` or "
                "the label `%s` is removed.\n",
                r->app->settings.hold_label);
        else
            say(r, "- **unhold**: %s fleetbot will look at it again now.\n",
                err->code == 0 ? "released." : "it was not held.");
        schedule_pr_now(r);
    } else {
        say(r, "- **%s**: GitHub refused to change the label (%d: %s).\n", command_name(c->kind),
            err->http_status, err->msg);
    }
    next_command(r);
}

static void do_label(struct cmd_run *r, bool add)
{
    char path[700], enc[200], body[300];
    const char *label = r->app->settings.hold_label;
    url_encode_component(label, enc, sizeof(enc));
    struct gh_request req = {.installation_id = r->installation};
    if (add) {
        snprintf(path, sizeof(path), "/repos/%s/issues/%lld/labels", r->repo, (long long)r->number);
        snprintf(body, sizeof(body), "{\"labels\":[\"%s\"]}", label);
        req.method = "POST";
        req.body = body;
    } else {
        snprintf(path, sizeof(path), "/repos/%s/issues/%lld/labels/%s", r->repo,
                 (long long)r->number, enc);
        req.method = "DELETE";
    }
    req.path = path;
    if (gh_request_send(r->app->gh, &req, on_action, r) != 0) {
        say(r, "- **%s**: fleetbot cannot reach GitHub right now; try again later.\n",
            add ? "hold" : "unhold");
        next_command(r);
    }
}

static void on_written(int rc, const char *err_text, void *priv)
{
    struct cmd_run *r = priv;
    if (rc != 0) {
        log_warn("command not recorded repo=%s error=%s", r->repo, err_text);
        say(r, "\n> fleetbot could not record this (Redis: %s); try again.\n", err_text);
    }
    next_command(r);
}

static void local_day_of(struct cmd_run *r, int64_t ms, int64_t *day)
{
    const struct tz_zone *z =
        r->view && r->view->has_schedule ? r->view->schedule.schedule.zone : NULL;
    int64_t s = ms / 1000;
    *day = cal_floor_div(z ? tz_to_local(z, s) : s, CAL_DAY_S);
}

static void do_opt_out(struct cmd_run *r, const struct command *c)
{
    int64_t today, max_days = 90;
    local_day_of(r, r->now, &today);
    if (r->view && r->view->has_org)
        max_days = r->view->org.opt_out_max_days;
    if (c->until_day < today) {
        say(r, "- **opt-out**: refused: until=%s is in the past.\n", c->until);
        next_command(r);
        return;
    }
    if (max_days > 0 && c->until_day > today + max_days) {
        struct cal_date d = cal_date_from_days(today + max_days);
        say(r,
            "- **opt-out**: refused: the org allows opt-outs of at most %lld days "
            "(until %04d-%02d-%02d at the latest).\n",
            (long long)max_days, (int)d.year, d.month, d.day);
        next_command(r);
        return;
    }
    char at[24], day[24], num[24];
    snprintf(at, sizeof(at), "%lld", (long long)r->now);
    snprintf(day, sizeof(day), "%lld", (long long)c->until_day);
    snprintf(num, sizeof(num), "%lld", (long long)r->number);
    struct redis_batch *b = redis_batch_new(r->app->redis, on_written, r);
    const char *hset[] = {"HSET",    NULL,    "by",     r->user,     "at", at,   "reason",
                          c->reason, "until", c->until, "until_day", day,  "pr", num};
    char key[400];
    snprintf(key, sizeof(key), STORE_OPTOUT_PREFIX "%s", r->repo);
    hset[1] = key;
    size_t lens[sizeof(hset) / sizeof(hset[0])];
    for (size_t i = 0; i < sizeof(hset) / sizeof(hset[0]); i++)
        lens[i] = strlen(hset[i]);
    redis_batch_argv(b, (int)(sizeof(hset) / sizeof(hset[0])), hset, lens);
    redis_batch_cmd(b,
                    "XADD " KEY_COMMAND_LOG " MAXLEN ~ 100000 * action opt-out repo %s pr %s "
                    "by %s at %s reason %s until %s",
                    r->repo, num, r->user, at, c->reason, c->until);
    store_schedule_repo(b, r->installation, r->repo, r->now);
    say(r,
        "- **opt-out**: recorded. fleetbot will not automerge in %s until the end of %s "
        "(reason: %s; by @%s). It takes part again by itself after that; "
        "`/fleetbot opt-in` ends it sooner.\n",
        r->repo, c->until, c->reason, r->user);
    redis_batch_seal(b);
}

static void do_opt_in(struct cmd_run *r)
{
    char at[24], num[24];
    snprintf(at, sizeof(at), "%lld", (long long)r->now);
    snprintf(num, sizeof(num), "%lld", (long long)r->number);
    struct redis_batch *b = redis_batch_new(r->app->redis, on_written, r);
    redis_batch_cmd(b, "DEL " STORE_OPTOUT_PREFIX "%s", r->repo);
    redis_batch_cmd(b,
                    "XADD " KEY_COMMAND_LOG " MAXLEN ~ 100000 * action opt-in repo %s pr %s "
                    "by %s at %s",
                    r->repo, num, r->user, at);
    store_schedule_repo(b, r->installation, r->repo, r->now);
    bool file = r->view && r->view->has_opt_out && r->view->opt_out.until_ms > r->now;
    if (file)
        say(r,
            "- **opt-in**: the comment opt-out (if any) is removed, but "
            "`.github/fleetbot.yml` still opts out until %s; change that file to take part "
            "again.\n",
            r->view->opt_out.expires);
    else
        say(r, "- **opt-in**: %s takes part in automerging again.\n", r->repo);
    redis_batch_seal(b);
}

static void do_pause(struct cmd_run *r, const struct command *c, bool pause)
{
    char at[24], num[24];
    snprintf(at, sizeof(at), "%lld", (long long)r->now);
    snprintf(num, sizeof(num), "%lld", (long long)r->number);
    struct redis_batch *b = redis_batch_new(r->app->redis, on_written, r);
    if (pause) {
        const char *reason = c->reason[0] ? c->reason : "";
        redis_batch_cmd(b, "HSET " STORE_SHIFT_PAUSED_PREFIX "%s by %s at %s reason %s", c->shift,
                        r->user, at, reason);
        say(r,
            "- **pause-shift**: shift %s is paused: fleetbot merges none of its PRs until "
            "a shift owner says `/fleetbot resume-shift %s`.\n",
            c->shift, c->shift);
    } else {
        redis_batch_cmd(b, "DEL " STORE_SHIFT_PAUSED_PREFIX "%s", c->shift);
        /* Firewatch counts afresh from now, and its incident is over */
        redis_batch_cmd(b, "SET " STORE_FW_SHIFT_PREFIX "%s:since %s", c->shift, at);
        redis_batch_cmd(b, "DEL " STORE_FW_INCIDENT_PREFIX "%s", c->shift);
        store_schedule_shift(b, c->shift, r->now); /* its open PRs */
        say(r, "- **resume-shift**: shift %s is resumed; its PRs are evaluated again now.\n",
            c->shift);
    }
    redis_batch_cmd(b,
                    "XADD " KEY_COMMAND_LOG " MAXLEN ~ 100000 * action %s shift %s repo %s "
                    "pr %s by %s at %s",
                    pause ? "pause-shift" : "resume-shift", c->shift, r->repo, num, r->user, at);
    redis_batch_seal(b);
}

static void on_team(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct cmd_run *r = priv;
    const char *state = err->code == 0 ? json_path_str(resp->json, "state") : NULL;
    if (state && strcmp(state, "active") == 0)
        r->is_owner = true;
    step(r);
}

/* Is the commenter one of the shift's owners? Logins first; then @org/team owners, one
 * membership call each until one says yes. 0 known (r->is_owner), 1 asking. */
static int need_ownership(struct cmd_run *r)
{
    const struct cfg_shift *s = &r->view->shift;
    if (r->is_owner)
        return 0;
    if (r->team_idx == 0) {
        for (size_t i = 0; i < s->nowners; i++) {
            const char *o = s->owners[i] + (s->owners[i][0] == '@');
            if (strchr(o, '/') == NULL && strcasecmp(o, r->user) == 0) {
                r->is_owner = true;
                return 0;
            }
        }
    }
    while (r->team_idx < s->nowners) {
        const char *o = s->owners[r->team_idx++];
        o += o[0] == '@';
        const char *slash = strchr(o, '/');
        if (slash == NULL)
            continue;
        char path[600];
        snprintf(path, sizeof(path), "/orgs/%.*s/teams/%s/memberships/%s", (int)(slash - o), o,
                 slash + 1, r->user);
        struct gh_request req = {.method = "GET", .path = path, .installation_id = r->installation};
        if (gh_request_send(r->app->gh, &req, on_team, r) == 0)
            return 1;
    }
    return 0;
}

static void on_org_membership(const struct gh_response *resp, const struct fb_error *err,
                              void *priv)
{
    struct cmd_run *r = priv;
    const char *role = err->code == 0 ? json_path_str(resp->json, "role") : NULL;
    const char *state = err->code == 0 ? json_path_str(resp->json, "state") : NULL;
    r->org_admin = role && state && strcmp(role, "admin") == 0 && strcmp(state, "active") == 0;
    step(r);
}

/* An org admin may pause and resume any shift: GET /orgs/{org}/memberships/{user}
 * (members:read). 0 known (r->org_admin), 1 asking. */
static int need_org_admin(struct cmd_run *r)
{
    if (r->org_admin >= 0)
        return 0;
    char path[600];
    snprintf(path, sizeof(path), "/orgs/%.*s/memberships/%s", (int)strcspn(r->repo, "/"), r->repo,
             r->user);
    struct gh_request req = {.method = "GET", .path = path, .installation_id = r->installation};
    if (gh_request_send(r->app->gh, &req, on_org_membership, r) != 0) {
        r->org_admin = 0;
        return 0;
    }
    return 1;
}

static void refuse(struct cmd_run *r, const struct command *c, const char *needs, int has)
{
    say(r, "- **%s**: refused: it needs %s; @%s has %s permission on %s.\n", command_name(c->kind),
        needs, r->user, perm_name(has), r->repo);
    log_info("command refused repo=%s pr=%lld user=%s command=%s needs=\"%s\"", r->repo,
             (long long)r->number, r->user, command_name(c->kind), needs);
}

static void answer_why(struct cmd_run *r);

/* Runs the current command as far as what is known allows. */
static void step(struct cmd_run *r)
{
    if (r->i >= r->cmds.n) {
        post_reply(r);
        return;
    }
    struct command *c = &r->cmds.items[r->i];
    if (c->malformed) {
        say(r, "- `%s`: %s. Usage: `%s`\n", command_name(c->kind), c->error,
            c->kind == CMD_UNKNOWN ? "/fleetbot help" : command_usage(c->kind));
        next_command(r);
        return;
    }
    bool pr_only = c->kind == CMD_WHY || c->kind == CMD_HOLD || c->kind == CMD_UNHOLD;
    if (pr_only && !r->is_pr) {
        say(r, "- **%s**: only works in a pull request's comments.\n", command_name(c->kind));
        next_command(r);
        return;
    }
    switch (c->kind) {
    case CMD_HELP:
        say(r, "%s\n", command_help_text());
        next_command(r);
        return;
    case CMD_WHY:
        answer_why(r);
        return;
    case CMD_HOLD:
    case CMD_UNHOLD:
    case CMD_OPT_OUT:
    case CMD_OPT_IN:
        if (need_permission(r, r->repo, &r->repo_perm))
            return;
        if (r->repo_perm < PERM_WRITE) {
            refuse(r, c, "write permission on the repository", r->repo_perm);
            next_command(r);
            return;
        }
        if (c->kind == CMD_HOLD || c->kind == CMD_UNHOLD) {
            do_label(r, c->kind == CMD_HOLD);
            return;
        }
        if (need_view(r, ""))
            return;
        if (c->kind == CMD_OPT_OUT)
            do_opt_out(r, c);
        else
            do_opt_in(r);
        return;
    case CMD_PAUSE_SHIFT:
    case CMD_RESUME_SHIFT:
        if (need_view(r, c->shift))
            return;
        if (r->view == NULL || !r->view->has_shift) {
            say(r, "- **%s**: there is no shift %s (no shifts/%s.yml in %s).\n",
                command_name(c->kind), c->shift, c->shift, r->config_repo);
            next_command(r);
            return;
        }
        if (need_ownership(r))
            return;
        if (!r->is_owner && need_org_admin(r))
            return;
        if (!r->is_owner && r->org_admin != 1) {
            if (need_permission(r, r->config_repo, &r->config_perm))
                return;
            if (r->config_perm < PERM_ADMIN) {
                char needs[600];
                snprintf(needs, sizeof(needs),
                         "a shift owner (owners in shifts/%s.yml), an org admin, or admin "
                         "permission on %s",
                         c->shift, r->config_repo);
                say(r,
                    "- **%s**: refused: it needs %s; @%s is not an owner and has %s "
                    "permission on %s.\n",
                    command_name(c->kind), needs, r->user, perm_name(r->config_perm),
                    r->config_repo);
                log_info("command refused repo=%s user=%s command=%s shift=%s", r->repo, r->user,
                         command_name(c->kind), c->shift);
                next_command(r);
                return;
            }
        }
        do_pause(r, c, c->kind == CMD_PAUSE_SHIFT);
        return;
    case CMD_UNKNOWN:
        break;
    }
    next_command(r);
}

/* ---- why ---------------------------------------------------------------------------- */

/* The recorded trace (decision_to_json's shape) back into a decision for rendering. */
static void decision_from_trace(json_t *t, struct decision *d)
{
    memset(d, 0, sizeof(*d));
    d->deciding_gate = -1;
    size_t i;
    json_t *g;
    const char *reason = json_path_str(t, "reason");
    json_array_foreach(json_object_get(t, "gates"), i, g)
    {
        if (d->ngates >= DECISION_GATES_MAX)
            break;
        struct gate_result *r = &d->gates[d->ngates];
        static const char *const verdicts[] = {"pass", "wait", "block", "skip"};
        const char *v = json_path_str(g, "verdict");
        r->verdict = VERDICT_SKIP;
        for (int k = 0; v && k < 4; k++)
            if (strcmp(v, verdicts[k]) == 0)
                r->verdict = (enum verdict)k;
        r->gate = "?";
        size_t ngates;
        const struct gate *all = gates_all(&ngates); /* names with static storage */
        const char *name = json_path_str(g, "gate");
        for (size_t k = 0; name && k < ngates; k++)
            if (strcmp(name, all[k].name) == 0)
                r->gate = all[k].name;
        snprintf(r->reason, sizeof(r->reason), "%s", json_path_str(g, "reason") ?: "");
        if (d->deciding_gate < 0 && r->verdict != VERDICT_PASS && reason &&
            strcmp(reason, r->reason) == 0)
            d->deciding_gate = (int)d->ngates;
        d->ngates++;
    }
}

static void on_trace(redisReply *reply, void *priv)
{
    struct cmd_run *r = priv;
    char kind[32] = "", reason[GATE_REASON_MAX] = "";
    int64_t until = 0;
    json_t *t = NULL;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
        reply->element[0]->type == REDIS_REPLY_STRING) {
        snprintf(kind, sizeof(kind), "%.*s", (int)reply->element[0]->len, reply->element[0]->str);
        if (reply->element[1]->type == REDIS_REPLY_STRING)
            snprintf(reason, sizeof(reason), "%.*s", (int)reply->element[1]->len,
                     reply->element[1]->str);
        if (reply->element[2]->type == REDIS_REPLY_STRING)
            t = json_loadb(reply->element[2]->str, reply->element[2]->len, 0, NULL);
    }
    if (kind[0] == '\0') {
        say(r,
            "- **why**: fleetbot has not evaluated this PR yet (is it tagged `%s`?). It "
            "will look at it now.\n",
            r->app->settings.automerge_label);
        schedule_pr_now(r);
    } else {
        struct decision d;
        decision_from_trace(t, &d);
        until = json_path_int(t, "until", 0);
        struct check_summary_in in = {.kind = strcmp(kind, "merge") == 0 ? "wait" : kind,
                                      .reason = reason,
                                      .until_ms = until,
                                      .d = d.ngates ? &d : NULL,
                                      .schedule = NULL};
        struct check_summary cs;
        struct buf text = BUF_INIT(60 * 1024);
        if (check_summary_render(&in, &cs, &text) == 0)
            say(r, "- **why**: %s\n\n%s\n", cs.title, buf_cstr(&text));
        buf_free(&text);
    }
    json_decref(t);
    next_command(r);
}

static void answer_why(struct cmd_run *r)
{
    char key[400];
    if (store_key_pr(key, sizeof(key), r->repo, r->number) != 0 ||
        fb_redis_command(r->app->redis, on_trace, r, "HMGET %s decision reason trace", key) != 0) {
        say(r, "- **why**: fleetbot cannot read its records right now; try again later.\n");
        next_command(r);
    }
}

/* ---- the job ------------------------------------------------------------------------ */

static void on_replied(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    (void)resp;
    struct cmd_run *r = priv;
    if (err->code != 0 && fb_err_is_transient(err->code)) {
        log_warn("command reply not posted, will retry repo=%s comment=%lld status=%d", r->repo,
                 (long long)r->comment_id, err->http_status);
        evalq_job_done(r->job, r->now + 10000);
        r->job = NULL;
        run_free(r);
        return;
    }
    if (err->code != 0)
        log_warn("command reply refused repo=%s comment=%lld status=%d error=%s", r->repo,
                 (long long)r->comment_id, err->http_status, err->msg);
    fb_redis_command(r->app->redis, on_logged, w_done, "HSET %s state done", r->key);
    run_finish(r);
}

static void post_reply(struct cmd_run *r)
{
    if (r->cmds.dropped)
        say(r,
            "\n(%zu more commands in this comment were ignored: at most %d are run per "
            "comment.)\n",
            r->cmds.dropped, COMMANDS_MAX);
    if (gh_comment_post(r->app->gh, r->installation, r->repo, r->number, buf_cstr(&r->reply),
                        on_replied, r) != 0) {
        evalq_job_done(r->job, r->now + 10000);
        r->job = NULL;
        run_free(r);
    }
}

static void on_command(redisReply *reply, void *priv)
{
    struct cmd_run *r = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        evalq_job_done(r->job, r->now + 5000);
        r->job = NULL;
        run_free(r);
        return;
    }
    size_t blen = 0;
    const char *body = fb_redis_hash_field(reply, "body", &blen);
    const char *user = fb_redis_hash_field(reply, "user", NULL);
    const char *num = fb_redis_hash_field(reply, "number", NULL);
    const char *state = fb_redis_hash_field(reply, "state", NULL);
    const char *is_pr = fb_redis_hash_field(reply, "is_pr", NULL);
    if (state && strcmp(state, "done") == 0) {
        run_finish(r); /* answered already (a redelivery, or a retried job) */
        return;
    }
    if (body == NULL || user == NULL || num == NULL ||
        parse_i64(num, strlen(num), 1, INT64_MAX, &r->number) != 0) {
        log_warn("command job has no comment (expired?) job=%s", r->job->id);
        run_finish(r);
        return;
    }
    snprintf(r->user, sizeof(r->user), "%s", user);
    r->is_pr = is_pr && strcmp(is_pr, "1") == 0;
    command_parse(body, blen, &r->cmds);
    say(r, "@%s\n\n", r->user);
    log_info("commands repo=%s pr=%lld user=%s count=%zu", r->repo, (long long)r->number, r->user,
             r->cmds.n);
    if (r->cmds.n == 0) {
        run_finish(r);
        return;
    }
    step(r);
}

void commands_on_job(struct evalq_job *job, void *priv)
{
    struct app *app = priv;
    struct cmd_run *r = xcalloc(1, sizeof(*r));
    r->app = app;
    r->job = job;
    r->now = app_now_ms(app);
    r->repo_perm = r->config_perm = PERM_UNKNOWN;
    r->org_admin = -1;
    buf_init(&r->reply, 64 * 1024);
    /* "cmd|<installation>|<owner/repo>|<comment id>" */
    const char *p = job->id + 4, *bar1 = strchr(p, '|'), *bar2 = strrchr(p, '|');
    if (strncmp(job->id, "cmd|", 4) != 0 || bar1 == NULL || bar2 == bar1 ||
        parse_i64(p, (size_t)(bar1 - p), 1, INT64_MAX, &r->installation) != 0 ||
        parse_i64(bar2 + 1, strlen(bar2 + 1), 1, INT64_MAX, &r->comment_id) != 0 ||
        (size_t)(bar2 - bar1 - 1) >= sizeof(r->repo)) {
        log_error("command job malformed, dropped job=%s", job->id);
        run_finish(r);
        return;
    }
    memcpy(r->repo, bar1 + 1, (size_t)(bar2 - bar1 - 1));
    r->repo[bar2 - bar1 - 1] = '\0';
    settings_config_repo(&app->settings, r->repo, r->config_repo, sizeof(r->config_repo));
    snprintf(r->key, sizeof(r->key), STORE_COMMAND_PREFIX "%s:%lld", r->repo,
             (long long)r->comment_id);
    if (fb_redis_command(app->redis, on_command, r, "HGETALL %s", r->key) != 0) {
        evalq_job_done(r->job, 0); /* the lease expires and the job comes back */
        r->job = NULL;
        run_free(r);
    }
}
