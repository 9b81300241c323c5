/*
 * firewatch.c - judges one execution after a merge ("fw|<installation>|<owner/repo>|<id>"
 * jobs queued by handlers/execution.c): which of the repo's registered merges its commit
 * contains, from one compare call (GET compare/{oldest undecided merge}...{sha}: every
 * merge whose commit is in the answer's list is contained) and a Redis cache of answers
 * (two shas never change), then policies/firewatch.c's judgement, written per merge and
 * pipeline. It raises no alert and pauses nothing itself: health and the circuit breaker
 * read what it writes. See docs/firewatch.md.
 */
#include "firewatch.h"

#include "alloc.h"
#include "app.h"
#include "err.h"
#include "evalq.h"
#include "firewatch_health.h"
#include "buf.h"
#include "gh_client.h"
#include "gh_comment.h"
#include "jsonutil.h"
#include "log.h"
#include "parse.h"
#include "redis.h"
#include "redis_batch.h"
#include "store.h"
#include "policies/firewatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_MERGES_MAX    200                   /* newest merges of a repo judged per execution */
#define FW_WINDOW_MS     (30LL * 86400 * 1000) /* merges older than this are not judged */
#define FW_ANCESTRY_TTL  (30 * 86400)
#define FW_COMPARE_PAGES 3 /* 300 commits between the oldest undecided merge and the sha */

struct fw_row {
    char number[24];
    char merge_sha[48];
    char shift[128];
};

struct fw_job {
    struct app *app;
    struct evalq_job *job;
    int64_t installation;
    char repo[256];
    char key[600];
    char pipeline[260], sha[72], outcome[16], url[512], at[24];
    enum fw_outcome o;
    struct fw_row *rows;
    struct fw_merge *m;
    size_t n;
    char base[48]; /* the compare base: the oldest merge whose containment is unknown */
    char implicated_shifts[4][128]; /* shifts with a newly implicated merge: health check */
    size_t nimplicated_shifts;
};

static void fw_free(struct fw_job *j)
{
    free(j->rows);
    free(j->m);
    free(j);
}

static void fw_finish(struct fw_job *j, int64_t retry_in_ms)
{
    evalq_job_done(j->job, retry_in_ms > 0 ? app_now_ms(j->app) + retry_in_ms : 0);
    fw_free(j);
}

static void on_written(int rc, const char *err_text, void *priv)
{
    struct fw_job *j = priv;
    if (rc != 0) {
        log_warn("firewatch judgement not written repo=%s sha=%.7s error=%s", j->repo, j->sha,
                 err_text);
        fw_finish(j, 5000); /* judging again is harmless: states only move forward */
        return;
    }
    for (size_t i = 0; i < j->nimplicated_shifts; i++)
        firewatch_health_check(j->app, j->installation, j->repo, j->implicated_shifts[i],
                               app_now_ms(j->app));
    fw_finish(j, 0);
}

static void note_shift(struct fw_job *j, const char *shift)
{
    if (shift[0] == '\0')
        return;
    for (size_t i = 0; i < j->nimplicated_shifts; i++)
        if (strcmp(j->implicated_shifts[i], shift) == 0)
            return;
    if (j->nimplicated_shifts < 4)
        snprintf(j->implicated_shifts[j->nimplicated_shifts++], sizeof(j->implicated_shifts[0]),
                 "%s", shift);
}

static void on_commented(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    (void)resp;
    char *what = priv;
    if (err->code != 0)
        log_warn("firewatch comment not posted %s status=%d", what, err->http_status);
    free(what);
}

/* The repo's owners see on their PR which execution failed, and where. */
static void comment_implicated(struct fw_job *j, const struct fw_row *r)
{
    int64_t number;
    if (parse_i64(r->number, strlen(r->number), 1, INT64_MAX, &number) != 0)
        return;
    struct buf text = BUF_INIT(8192);
    buf_printf(&text,
               "Firewatch: after this pull request was merged, **%s** failed at %.12s%s%s. "
               "This merge is among the commits that run carried, and its pipeline had not "
               "succeeded with it yet%s%s (docs/firewatch.md).",
               j->pipeline, j->sha, j->url[0] ? ": " : "", j->url,
               r->shift[0] ? ", so it counts against the health of shift " : "", r->shift);
    char what[400];
    snprintf(what, sizeof(what), "repo=%s pr=%s", j->repo, r->number);
    char *w = xstrdup(what);
    if (gh_comment_post(j->app->gh, j->installation, j->repo, number, buf_cstr(&text), on_commented,
                        w) != 0)
        free(w);
    buf_free(&text);
}

/* KEYS: the waiting set, evalq. ARGV: due. */
static const char LUA_WAKE[] = "for _, job in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
                               "  redis.call('ZADD', KEYS[2], 'LT', ARGV[1], job) end "
                               "redis.call('DEL', KEYS[1]) return 1";

/* Writes the new states, the implications and the ancestry learnt, then finishes. */
static void write_judgement(struct fw_job *j)
{
    size_t changed = firewatch_judge(j->o, j->m, j->n);
    struct redis_batch *b = redis_batch_new(j->app->redis, on_written, j);
    redis_batch_cmd(b, "HSET %s judged 1", j->key);
    for (size_t i = 0; i < j->n; i++) {
        const struct fw_row *r = &j->rows[i];
        if (j->m[i].contained >= 0) /* learnt (or confirmed): cache it */
            redis_batch_cmd(b, "HSET " STORE_FW_ANCESTRY_PREFIX "%s:%s %s %d", j->repo, j->sha,
                            r->merge_sha, j->m[i].contained);
        if (j->m[i].contained == 1) {
            redis_batch_cmd(b, "HSET " STORE_FW_STATE_PREFIX "%s#%s _observed 1", j->repo,
                            r->number);
            if (r->shift[0])
                redis_batch_cmd(b, "ZADD " STORE_FW_SHIFT_PREFIX "%s:observed NX %s %s#%s",
                                r->shift, j->at, j->repo, r->number);
        }
        if (j->m[i].next == j->m[i].state)
            continue;
        redis_batch_cmd(b, "HSET " STORE_FW_STATE_PREFIX "%s#%s %s %s", j->repo, r->number,
                        j->pipeline, fw_state_name(j->m[i].next));
        if (j->m[i].next == FW_IMPLICATED) {
            if (r->shift[0])
                redis_batch_cmd(b, "ZADD " STORE_FW_SHIFT_PREFIX "%s:implicated NX %s %s#%s",
                                r->shift, j->at, j->repo, r->number);
            note_shift(j, r->shift);
            comment_implicated(j, r);
            redis_batch_cmd(b,
                            "XADD " KEY_FW_IMPLICATIONS
                            " MAXLEN ~ 100000 * repo %s pr %s shift %s pipeline %s sha %s url %s "
                            "at %s",
                            j->repo, r->number, r->shift, j->pipeline, j->sha, j->url, j->at);
            log_warn("firewatch implicates repo=%s pr=%s shift=%s pipeline=%s sha=%.7s", j->repo,
                     r->number, r->shift[0] ? r->shift : "-", j->pipeline, j->sha);
        } else {
            if (r->shift[0]) /* later cohorts of the shift may open now */
                redis_batch_cmd(b, "EVAL %s 2 " STORE_COHORT_PREFIX "%s:waiting " KEY_EVALQ " %s",
                                LUA_WAKE, r->shift, j->at);
            log_info("firewatch proves repo=%s pr=%s pipeline=%s sha=%.7s", j->repo, r->number,
                     j->pipeline, j->sha);
        }
    }
    redis_batch_cmd(b, "EXPIRE " STORE_FW_ANCESTRY_PREFIX "%s:%s %d", j->repo, j->sha,
                    FW_ANCESTRY_TTL);
    log_debug("firewatch judged repo=%s pipeline=%s sha=%.7s outcome=%s merges=%zu changed=%zu",
              j->repo, j->pipeline, j->sha, j->outcome, j->n, changed);
    redis_batch_seal(b);
}

static bool in_list(json_t *commits, const char *sha)
{
    size_t i;
    json_t *c;
    json_array_foreach(commits, i, c)
    {
        const char *s = json_path_str(c, "sha");
        if (s && strcmp(s, sha) == 0)
            return true;
    }
    return false;
}

static void on_compare(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct fw_job *j = priv;
    if (err->code != 0) {
        if (fb_err_is_transient(err->code) || err->code == FB_ERR_RATE_LIMITED) {
            log_warn("firewatch compare failed, will retry repo=%s status=%d", j->repo,
                     err->http_status);
            fw_finish(j, err->code == FB_ERR_RATE_LIMITED ? 60000 : 10000);
            return;
        }
        /* a sha GitHub no longer knows (force-pushed away): nothing can be said */
        log_info("firewatch cannot compare repo=%s base=%.7s sha=%.7s status=%d", j->repo, j->base,
                 j->sha, err->http_status);
        write_judgement(j);
        return;
    }
    const char *status = json_path_str(resp->json, "status");
    json_t *commits = json_path(resp->json, "commits");
    int64_t total = json_path_int(resp->json, "total_commits", -1);
    bool complete = total >= 0 && (size_t)total <= json_array_size(commits);
    bool base_in = status && (strcmp(status, "ahead") == 0 || strcmp(status, "identical") == 0);
    for (size_t i = 0; i < j->n; i++) {
        if (j->m[i].contained >= 0 || !firewatch_needs_ancestry(j->o, &j->m[i]))
            continue;
        const char *ms = j->rows[i].merge_sha;
        if ((strcmp(ms, j->base) == 0 && base_in) || in_list(commits, ms))
            j->m[i].contained = 1;
        else if (complete)
            j->m[i].contained = 0; /* the whole list was read and it is not there */
    }
    write_judgement(j);
}

static void ask_ancestry(struct fw_job *j)
{
    char path[800];
    snprintf(path, sizeof(path), "/repos/%s/compare/%s...%s?per_page=100", j->repo, j->base,
             j->sha);
    struct gh_request req = {.method = "GET",
                             .path = path,
                             .installation_id = j->installation,
                             .use_etag = true,
                             .paginate = true,
                             .items_key = "commits",
                             .max_pages = FW_COMPARE_PAGES};
    if (gh_request_send(j->app->gh, &req, on_compare, j) != 0)
        fw_finish(j, 10000);
}

static const char *str_at(redisReply *r, size_t i)
{
    if (r == NULL || i >= r->elements || r->element[i]->type != REDIS_REPLY_STRING)
        return NULL;
    return r->element[i]->str;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%.*s", (int)(cap - 1), src ? src : "");
}

/* Rows of 5: number, merge sha, shift, state for the pipeline, cached containment. */
static void on_merges(redisReply *reply, void *priv)
{
    struct fw_job *j = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements % 5 != 0) {
        fw_finish(j, 5000);
        return;
    }
    size_t n = reply->elements / 5;
    j->rows = xcalloc(n ? n : 1, sizeof(*j->rows));
    j->m = xcalloc(n ? n : 1, sizeof(*j->m));
    for (size_t i = 0; i < n; i++) {
        const char *num = str_at(reply, 5 * i), *ms = str_at(reply, 5 * i + 1);
        if (num == NULL || ms == NULL || strlen(ms) < 7)
            continue; /* a merge without a known merge commit cannot be placed */
        struct fw_row *r = &j->rows[j->n];
        struct fw_merge *m = &j->m[j->n];
        copy_str(r->number, sizeof(r->number), num);
        copy_str(r->merge_sha, sizeof(r->merge_sha), ms);
        copy_str(r->shift, sizeof(r->shift), str_at(reply, 5 * i + 2));
        const char *st = str_at(reply, 5 * i + 3), *anc = str_at(reply, 5 * i + 4);
        m->state = st == NULL                      ? FW_UNSEEN
                   : strcmp(st, "proven") == 0     ? FW_PROVEN
                   : strcmp(st, "implicated") == 0 ? FW_IMPLICATED
                                                   : FW_UNSEEN;
        m->contained = anc ? (anc[0] == '1') : strcmp(ms, j->sha) == 0 ? 1 : -1;
        j->n++;
    }
    /* rows come oldest first: the first undecided one is the compare base */
    for (size_t i = 0; i < j->n && j->base[0] == '\0'; i++)
        if (j->m[i].contained < 0 && firewatch_needs_ancestry(j->o, &j->m[i]))
            copy_str(j->base, sizeof(j->base), j->rows[i].merge_sha);
    if (j->base[0])
        ask_ancestry(j);
    else
        write_judgement(j); /* everything needed is known already: no API call */
}

/* KEYS: the repo's merges. ARGV: since (ms), limit, repo, pipeline, sha. */
static const char LUA_MERGES[] =
    "local out = {} "
    "local ns = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf') "
    "local first = #ns - tonumber(ARGV[2]) + 1 if first < 1 then first = 1 end "
    "for i = first, #ns do local n = ns[i] "
    "  local m = redis.call('HMGET', 'fb:merge:' .. ARGV[3] .. '#' .. n, 'merge_sha', 'shift') "
    "  out[#out + 1] = n out[#out + 1] = m[1] or '' out[#out + 1] = m[2] or '' "
    "  out[#out + 1] = redis.call('HGET', 'fb:fw:state:' .. ARGV[3] .. '#' .. n, ARGV[4]) "
    "  out[#out + 1] = m[1] and redis.call('HGET', 'fb:fw:anc:' .. ARGV[3] .. ':' .. ARGV[5], "
    "    m[1]) or false "
    "end return out";

static void on_execution(redisReply *reply, void *priv)
{
    struct fw_job *j = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        fw_finish(j, 5000);
        return;
    }
    const char *judged = fb_redis_hash_field(reply, "judged", NULL),
               *sha = fb_redis_hash_field(reply, "sha", NULL);
    const char *pipeline = fb_redis_hash_field(reply, "pipeline", NULL),
               *outcome = fb_redis_hash_field(reply, "outcome", NULL);
    if (judged || sha == NULL || pipeline == NULL || outcome == NULL) {
        fw_finish(j, 0); /* judged already (a retried job), or expired */
        return;
    }
    copy_str(j->sha, sizeof(j->sha), sha);
    copy_str(j->pipeline, sizeof(j->pipeline), pipeline);
    copy_str(j->outcome, sizeof(j->outcome), outcome);
    copy_str(j->url, sizeof(j->url), fb_redis_hash_field(reply, "url", NULL));
    copy_str(j->at, sizeof(j->at), fb_redis_hash_field(reply, "at", NULL));
    j->o = strcmp(outcome, "success") == 0 ? FW_OUTCOME_SUCCESS : FW_OUTCOME_FAILURE;
    long long since = (long long)(app_now_ms(j->app) - FW_WINDOW_MS);
    if (fb_redis_command(j->app->redis, on_merges, j,
                         "EVAL %s 1 " STORE_FW_MERGES_PREFIX "%s %lld %d %s %s %s", LUA_MERGES,
                         j->repo, since, FW_MERGES_MAX, j->repo, j->pipeline, j->sha) != 0)
        fw_finish(j, 5000);
}

void firewatch_on_job(struct evalq_job *job, void *priv)
{
    struct app *app = priv;
    struct fw_job *j = xcalloc(1, sizeof(*j));
    j->app = app;
    j->job = job;
    /* "fw|<installation>|<owner/repo>|<kind>:<source id>" */
    const char *p = job->id + 3, *bar1 = strchr(p, '|'),
               *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (bar1 == NULL || bar2 == NULL ||
        parse_i64(p, (size_t)(bar1 - p), 1, INT64_MAX, &j->installation) != 0 ||
        (size_t)(bar2 - bar1 - 1) >= sizeof(j->repo) || bar2[1] == '\0') {
        log_error("firewatch job malformed, dropped job=%s", job->id);
        fw_finish(j, 0);
        return;
    }
    memcpy(j->repo, bar1 + 1, (size_t)(bar2 - bar1 - 1));
    j->repo[bar2 - bar1 - 1] = '\0';
    int n = snprintf(j->key, sizeof(j->key), STORE_FW_EXEC_PREFIX "%s:%s", j->repo, bar2 + 1);
    if (n < 0 || (size_t)n >= sizeof(j->key) ||
        fb_redis_command(app->redis, on_execution, j, "HGETALL %s", j->key) != 0)
        fw_finish(j, n < 0 || (size_t)n >= sizeof(j->key) ? 0 : 5000);
}
