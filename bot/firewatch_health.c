/*
 * firewatch_health.c - after a merge of a shift was implicated: counts the shift's
 * observed and implicated merges in its window (since it was last resumed), and when they
 * cross the shift's threshold pauses the shift (fb:shift:paused:<shift>, by "firewatch")
 * in one Lua script, so replicas racing on the same incident pause once. A new pause
 * opens one alert issue in the shift's alert repo and wakes the shift's PRs, whose check
 * runs then show the pause; later implications of the same incident update that issue's
 * body instead of opening another. Resuming is a shift owner's (commands.c).
 */
#include "firewatch_health.h"

#include "alloc.h"
#include "alert_hook.h"
#include "app.h"
#include "buf.h"
#include "gh_client.h"
#include "jsonutil.h"
#include "log.h"
#include "policy_source.h"
#include "redis.h"
#include "redis_batch.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MIN_IMPLICATED 3
#define DEFAULT_MAX_PERCENT    20
#define DEFAULT_WINDOW_S       (72 * 3600)

struct health {
    struct app *app;
    int64_t installation;
    char repo[256], shift[128], alert_repo[256];
    int64_t now;
    int64_t min_implicated, max_percent, window_ms;
    long long observed, implicated;
    bool paused_now;
    char incident_issue[24]; /* the open incident's issue number, "" when none */
};

static void health_free(struct health *h)
{
    free(h);
}

static void on_logged(int rc, const char *err_text, void *priv)
{
    (void)priv;
    if (rc != 0)
        log_warn("firewatch health not written error=%s", err_text);
}

/* KEYS: observed, implicated, paused, since, incident. ARGV: now, window, min, percent. */
static const char LUA_HEALTH[] =
    "local since = tonumber(redis.call('GET', KEYS[4]) or '0') "
    "local from = tonumber(ARGV[1]) - tonumber(ARGV[2]) if since > from then from = since end "
    "local obs = redis.call('ZCOUNT', KEYS[1], from, '+inf') "
    "local imp = redis.call('ZCOUNT', KEYS[2], from, '+inf') "
    "local inc = redis.call('HGET', KEYS[5], 'issue') or '' "
    "if redis.call('EXISTS', KEYS[3]) == 1 then return {obs, imp, 0, inc} end "
    "if imp >= tonumber(ARGV[3]) and imp * 100 >= tonumber(ARGV[4]) * obs then "
    "  redis.call('HSET', KEYS[3], 'by', 'firewatch', 'at', ARGV[1], 'reason', "
    "    imp .. ' of its ' .. obs .. ' observed merges implicated in failures after merge') "
    "  return {obs, imp, 1, inc} end "
    "return {obs, imp, 0, inc}";

/* The incident's issue text: what crossed the threshold, which PRs, how to resume. */
static void issue_text(struct health *h, redisReply *members, struct buf *title, struct buf *body)
{
    buf_printf(title, "fleetbot paused shift %s: %lld of %lld merges implicated", h->shift,
               h->implicated, h->observed);
    buf_printf(body,
               "Firewatch paused shift **%s**: %lld of its %lld merges observed since it was "
               "last resumed were implicated in failures of what ran after them (threshold: "
               "at least %lld implicated and %lld%%). fleetbot merges none of the shift's "
               "pull requests until a shift owner looks and comments "
               "`/fleetbot resume-shift %s` here or on any of its pull requests.\n\n"
               "Implicated merges (see each PR for the failed execution and its link):\n\n",
               h->shift, h->implicated, h->observed, (long long)h->min_implicated,
               (long long)h->max_percent, h->shift);
    for (size_t i = 0; members && i < members->elements && i < 200; i++)
        if (members->element[i]->type == REDIS_REPLY_STRING)
            buf_printf(body, "- %s\n", members->element[i]->str);
    buf_appends(body, "\nHow Firewatch decides: docs/firewatch.md.\n");
}

static void on_issue(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct health *h = priv;
    if (err->code != 0) {
        log_warn("firewatch alert issue not written shift=%s repo=%s status=%d error=%s", h->shift,
                 h->alert_repo, err->http_status, err->msg);
    } else if (h->incident_issue[0] == '\0') {
        json_int_t n = json_integer_value(json_object_get(resp->json, "number"));
        struct redis_batch *b = redis_batch_new(h->app->redis, on_logged, NULL);
        redis_batch_cmd(b, "HSET " STORE_FW_INCIDENT_PREFIX "%s repo %s issue %lld at %lld",
                        h->shift, h->alert_repo, (long long)n, (long long)h->now);
        redis_batch_seal(b);
        log_warn("firewatch paused shift=%s implicated=%lld observed=%lld alert=%s#%lld", h->shift,
                 h->implicated, h->observed, h->alert_repo, (long long)n);
        char text[1024];
        snprintf(text, sizeof(text),
                 "fleetbot paused shift %s: %lld of its %lld observed merges were implicated in "
                 "failures after merge. Alert: https://github.com/%s/issues/%lld - a shift owner "
                 "resumes it with /fleetbot resume-shift %s",
                 h->shift, h->implicated, h->observed, h->alert_repo, (long long)n, h->shift);
        alert_hook_send(h->app->alert_hook, text);
    }
    health_free(h);
}

static void on_members(redisReply *reply, void *priv)
{
    struct health *h = priv;
    struct buf title = BUF_INIT(1024), body = BUF_INIT(64 * 1024), json = BUF_INIT(160 * 1024);
    issue_text(h, reply && reply->type == REDIS_REPLY_ARRAY ? reply : NULL, &title, &body);
    buf_appends(&json, "{\"title\":\"");
    buf_append_json_escaped(&json, buf_cstr(&title));
    buf_appends(&json, "\",\"body\":\"");
    buf_append_json_escaped(&json, buf_cstr(&body));
    buf_appends(&json, h->incident_issue[0] ? "\"}" : "\",\"labels\":[\"fleetbot/firewatch\"]}");
    char path[600];
    if (h->incident_issue[0])
        snprintf(path, sizeof(path), "/repos/%s/issues/%s", h->alert_repo, h->incident_issue);
    else
        snprintf(path, sizeof(path), "/repos/%s/issues", h->alert_repo);
    struct gh_request req = {.method = h->incident_issue[0] ? "PATCH" : "POST",
                             .path = path,
                             .installation_id = h->installation,
                             .body = buf_cstr(&json)};
    if (h->app->gh == NULL || gh_request_send(h->app->gh, &req, on_issue, h) != 0)
        health_free(h);
    buf_free(&title);
    buf_free(&body);
    buf_free(&json);
}

static void on_health(redisReply *reply, void *priv)
{
    struct health *h = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 4) {
        log_warn("firewatch health not read shift=%s error=%s", h->shift,
                 fb_redis_reply_error_text(reply));
        health_free(h);
        return;
    }
    h->observed = reply->element[0]->integer;
    h->implicated = reply->element[1]->integer;
    h->paused_now = reply->element[2]->integer == 1;
    log_debug("firewatch health shift=%s observed=%lld implicated=%lld paused_now=%d", h->shift,
              h->observed, h->implicated, h->paused_now);
    if (reply->element[3]->type == REDIS_REPLY_STRING)
        snprintf(h->incident_issue, sizeof(h->incident_issue), "%.20s", reply->element[3]->str);
    if (!h->paused_now && h->incident_issue[0] == '\0') {
        health_free(h); /* below the threshold, or paused by a person: nothing to alert */
        return;
    }
    if (h->paused_now) { /* every PR of the shift shows the pause in its check run */
        struct redis_batch *b = redis_batch_new(h->app->redis, on_logged, NULL);
        store_schedule_shift(b, h->shift, h->now);
        redis_batch_seal(b);
    }
    if (fb_redis_command(h->app->redis, on_members, h,
                         "ZRANGE " STORE_FW_SHIFT_PREFIX "%s:implicated 0 199", h->shift) != 0)
        health_free(h);
}

static void on_policy(struct policy_view *v, const struct fb_error *err, void *priv)
{
    struct health *h = priv;
    (void)err;
    const struct cfg_firewatch *s = v && v->has_shift ? &v->shift.firewatch : NULL;
    const struct cfg_firewatch *o = v && v->has_org ? &v->org.firewatch : NULL;
#define PICK(field, dflt) (s && s->field ? s->field : o && o->field ? o->field : (dflt))
    h->min_implicated = PICK(min_implicated, DEFAULT_MIN_IMPLICATED);
    h->max_percent = PICK(max_failure_percent, DEFAULT_MAX_PERCENT);
    h->window_ms = PICK(window_s, DEFAULT_WINDOW_S) * 1000;
    const char *alert = s && s->alert_repo   ? s->alert_repo
                        : o && o->alert_repo ? o->alert_repo
                                             : NULL;
#undef PICK
    if (alert)
        snprintf(h->alert_repo, sizeof(h->alert_repo), "%s", alert);
    else
        settings_config_repo(&h->app->settings, h->repo, h->alert_repo, sizeof(h->alert_repo));
    policy_view_free(v);
    if (fb_redis_command(h->app->redis, on_health, h,
                         "EVAL %s 5 " STORE_FW_SHIFT_PREFIX "%s:observed " STORE_FW_SHIFT_PREFIX
                         "%s:implicated " STORE_SHIFT_PAUSED_PREFIX "%s " STORE_FW_SHIFT_PREFIX
                         "%s:since " STORE_FW_INCIDENT_PREFIX "%s %lld %lld %lld %lld",
                         LUA_HEALTH, h->shift, h->shift, h->shift, h->shift, h->shift,
                         (long long)h->now, (long long)h->window_ms, (long long)h->min_implicated,
                         (long long)h->max_percent) != 0)
        health_free(h);
}

void firewatch_health_check(struct app *app, int64_t installation, const char *repo,
                            const char *shift, int64_t now_ms)
{
    if (shift == NULL || shift[0] == '\0')
        return;
    struct health *h = xcalloc(1, sizeof(*h));
    h->app = app;
    h->installation = installation;
    h->now = now_ms;
    snprintf(h->repo, sizeof(h->repo), "%s", repo);
    snprintf(h->shift, sizeof(h->shift), "%s", shift);
    if (policy_load(app->policy, installation, repo, shift, now_ms, on_policy, h) != 0)
        health_free(h);
}
