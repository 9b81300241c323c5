/*
 * config_check.c - a push to a default branch changed policy files: read each changed file
 * at the pushed commit, validate it as `fleetbot check-config` would, and report the
 * result as a `fleetbot` check run on that commit, with one annotation per error at its
 * file and line - where the person who broke it looks. It does not apply the files (the
 * evaluations the push woke read them) and never merges anything.
 */
#include "config_check.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "checkrun.h"
#include "config.h"
#include "evalq.h"
#include "gh_client.h"
#include "ical.h"
#include "jsonutil.h"
#include "log.h"
#include "parse.h"
#include "policy_source.h"
#include "redis.h"
#include "store.h"
#include "zones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_FILES_MAX 16

struct check_file {
    char path[300];
    char *text; /* NULL: removed, or unreadable (error set) */
    size_t len;
    char *error;
};

struct config_check {
    struct app *app;
    struct evalq_job *job;
    int64_t installation;
    char repo[256];
    char sha[64];
    struct check_file files[CHECK_FILES_MAX];
    size_t nfiles;
    int outstanding;
    bool transient; /* a read failed for a reason worth retrying */
};

struct file_fetch {
    struct config_check *cc;
    size_t i;
};

void config_validate(const char *path, const char *text, size_t len, struct zones *zones,
                     struct config_errors *errs)
{
    enum config_kind kind = config_guess_kind(path, text, len);
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".ics") == 0) {
        struct ical_day *days = NULL;
        size_t ndays = 0;
        struct fb_error err = {0};
        if (ical_expand(text, len, 0, 1, &days, &ndays, &err) != 0 && errs->n < CONFIG_ERRORS_MAX) {
            struct config_error *e = &errs->items[errs->n++];
            snprintf(e->file, sizeof(e->file), "%.*s", (int)(sizeof(e->file) - 1), path);
            e->line = 1;
            snprintf(e->msg, sizeof(e->msg), "%.*s", (int)(sizeof(e->msg) - 1), err.msg);
        }
        free(days);
    } else if (kind == CONFIG_ORG) {
        struct cfg_org o = {0};
        config_parse_org(path, text, len, zones_exists, zones, &o, errs);
        cfg_org_free(&o);
    } else if (kind == CONFIG_SHIFT) {
        struct cfg_shift s = {0};
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(base, "."), base);
        config_parse_shift(path, name, text, len, &s, errs);
        cfg_shift_free(&s);
    } else if (kind == CONFIG_REPO) {
        struct cfg_repo r = {0};
        config_parse_repo(path, text, len, zones_exists, zones, &r, errs);
        cfg_repo_free(&r);
    } else {
        char *owner = NULL;
        config_parse_catalog(path, text, len, &owner, errs);
        free(owner);
    }
}

static void check_free(struct config_check *cc)
{
    for (size_t i = 0; i < cc->nfiles; i++) {
        free(cc->files[i].text);
        free(cc->files[i].error);
    }
    free(cc);
}

static void report(struct config_check *cc)
{
    struct config_errors errs = {0};
    size_t checked = 0;
    for (size_t i = 0; i < cc->nfiles; i++) {
        struct check_file *f = &cc->files[i];
        if (f->error && errs.n < CONFIG_ERRORS_MAX) {
            struct config_error *e = &errs.items[errs.n++];
            snprintf(e->file, sizeof(e->file), "%.*s", (int)(sizeof(e->file) - 1), f->path);
            e->line = 1;
            snprintf(e->msg, sizeof(e->msg), "%.*s", (int)(sizeof(e->msg) - 1), f->error);
        } else if (f->text) {
            config_validate(f->path, f->text, f->len, cc->app->zones, &errs);
            checked++;
        }
    }
    struct buf summary = BUF_INIT(64 * 1024), notes = BUF_INIT(128 * 1024);
    char title[200];
    bool ok = errs.n + errs.dropped == 0;
    if (ok) {
        snprintf(title, sizeof(title), "Policy files valid (%zu checked)", checked);
        buf_appends(&summary, "fleetbot read the policy files this commit changed and found "
                              "no errors:\n\n");
        for (size_t i = 0; i < cc->nfiles; i++)
            buf_printf(&summary, "- `%s`%s\n", cc->files[i].path,
                       cc->files[i].text ? "" : " (removed)");
    } else {
        snprintf(title, sizeof(title), "%zu error%s in policy files", errs.n + errs.dropped,
                 errs.n + errs.dropped == 1 ? "" : "s");
        buf_appends(&summary, "fleetbot will not automerge anywhere these files apply until "
                              "they are fixed (`fleetbot check-config FILE` checks them "
                              "offline):\n\n");
        buf_appends(&notes, "[");
        for (size_t i = 0; i < errs.n; i++) {
            const struct config_error *e = &errs.items[i];
            buf_printf(&summary, "- `%s:%d`: ", e->file, e->line);
            buf_appends(&summary, e->msg);
            buf_appends(&summary, "\n");
            buf_printf(&notes, "%s{\"path\":\"", i ? "," : "");
            buf_append_json_escaped(&notes, e->file);
            buf_printf(&notes,
                       "\",\"start_line\":%d,\"end_line\":%d,"
                       "\"annotation_level\":\"failure\",\"message\":\"",
                       e->line > 0 ? e->line : 1, e->line > 0 ? e->line : 1);
            buf_append_json_escaped(&notes, e->msg);
            buf_appends(&notes, "\"}");
        }
        buf_appends(&notes, "]");
        if (errs.dropped)
            buf_printf(&summary, "- … and %zu more\n", errs.dropped);
    }
    log_info("policy files checked repo=%s sha=%.7s files=%zu errors=%zu", cc->repo, cc->sha,
             cc->nfiles, errs.n + errs.dropped);
    struct checkrun_post p = {.installation = cc->installation,
                              .repo = cc->repo,
                              .head_sha = cc->sha,
                              .status = "completed",
                              .conclusion = ok ? "success" : "failure",
                              .title = title,
                              .summary = buf_cstr(&summary),
                              .annotations = ok ? NULL : buf_cstr(&notes)};
    checkrun_publish(cc->app, &p);
    buf_free(&summary);
    buf_free(&notes);
}

static void fetch_done(struct config_check *cc)
{
    if (--cc->outstanding > 0)
        return;
    if (cc->transient) {
        evalq_job_done(cc->job, app_now_ms(cc->app) + 30000);
    } else {
        report(cc);
        evalq_job_done(cc->job, 0);
    }
    check_free(cc);
}

static void on_file(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct file_fetch *ff = priv;
    struct config_check *cc = ff->cc;
    struct check_file *f = &cc->files[ff->i];
    free(ff);
    if (err->code == FB_ERR_NOT_FOUND) {
        /* removed by this push: nothing to validate */
    } else if (err->code != 0) {
        if (fb_err_is_transient(err->code))
            cc->transient = true;
        else
            f->error = xstrdup(err->msg);
    } else {
        const char *content = json_path_str(resp->json, "content");
        struct buf text = BUF_INIT(1024 * 1024);
        if (content == NULL || policy_base64_decode(content, strlen(content), &text) != 0) {
            f->error = xstrdup("not a readable file (a directory, a link, or over 1 MiB)");
        } else {
            f->text = xstrndup(text.data ? text.data : "", text.len);
            f->len = text.len;
        }
        buf_free(&text);
    }
    fetch_done(cc);
}

static void on_paths(redisReply *reply, void *priv)
{
    struct config_check *cc = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        evalq_job_done(cc->job, app_now_ms(cc->app) + 5000);
        check_free(cc);
        return;
    }
    cc->outstanding = 1; /* a guard while sending */
    for (size_t i = 0; i < reply->elements && cc->nfiles < CHECK_FILES_MAX; i++) {
        redisReply *m = reply->element[i];
        if (m->type != REDIS_REPLY_STRING || m->len >= sizeof(cc->files[0].path))
            continue;
        struct check_file *f = &cc->files[cc->nfiles++];
        memcpy(f->path, m->str, m->len);
        f->path[m->len] = '\0';
        char path[800];
        snprintf(path, sizeof(path), "/repos/%s/contents/%s?ref=%s", cc->repo, f->path, cc->sha);
        struct file_fetch *ff = xcalloc(1, sizeof(*ff));
        ff->cc = cc;
        ff->i = cc->nfiles - 1;
        struct gh_request req = {
            .method = "GET", .path = path, .installation_id = cc->installation};
        cc->outstanding++;
        if (gh_request_send(cc->app->gh, &req, on_file, ff) != 0) {
            free(ff);
            cc->outstanding--;
            cc->transient = true;
        }
    }
    fetch_done(cc);
}

void config_check_on_job(struct evalq_job *job, void *priv)
{
    struct app *app = priv;
    struct config_check *cc = xcalloc(1, sizeof(*cc));
    cc->app = app;
    cc->job = job;
    /* "cfg|<installation>|<owner/repo>|<sha>" */
    const char *p = job->id + 4, *bar1 = strchr(p, '|'), *bar2 = strrchr(p, '|');
    if (bar1 == NULL || bar2 == bar1 ||
        parse_i64(p, (size_t)(bar1 - p), 1, INT64_MAX, &cc->installation) != 0 ||
        (size_t)(bar2 - bar1 - 1) >= sizeof(cc->repo) || strlen(bar2 + 1) >= sizeof(cc->sha)) {
        log_error("config check job malformed, dropped job=%s", job->id);
        evalq_job_done(job, 0);
        check_free(cc);
        return;
    }
    memcpy(cc->repo, bar1 + 1, (size_t)(bar2 - bar1 - 1));
    cc->repo[bar2 - bar1 - 1] = '\0';
    snprintf(cc->sha, sizeof(cc->sha), "%s", bar2 + 1);
    if (fb_redis_command(app->redis, on_paths, cc, "SMEMBERS " STORE_CFGCHECK_PREFIX "%s@%s",
                         cc->repo, cc->sha) != 0) {
        evalq_job_done(job, 0);
        check_free(cc);
    }
}
