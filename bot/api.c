/*
 * api.c - the read-only progress API: GET /api/v1/shifts (every shift, summarised) and
 * GET /api/v1/shifts/NAME (per cohort and per PR: state, why it waits, merged, implicated,
 * healthy; counts; Firewatch health; pause and alert). One Lua script reads the state the
 * evaluator and Firewatch wrote and encodes the JSON inside Redis (cjson), so a shift of
 * thousands of PRs is one round trip. It changes nothing. See docs/api.md.
 */
#include "api.h"

#include "alloc.h"
#include "app.h"
#include "http_server.h"
#include "log.h"
#include "redis.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

/* ARGV: shift ("" = every shift, summarised), now (ms). */
static const char LUA_PROGRESS[] =
    "local function pr_state(key) "
    "  local pr = redis.call('HMGET', 'fb:pr:' .. key, 'decision', 'reason', 'evaluated_at') "
    "  local m = redis.call('HMGET', 'fb:merge:' .. key, 'merged_at', 'merge_sha', 'by') "
    "  local st = redis.call('HGETALL', 'fb:fw:state:' .. key) "
    "  local pipelines, seen, bad, good = {}, false, false, false "
    "  for j = 1, #st, 2 do "
    "    if st[j] == '_observed' then seen = true else pipelines[st[j]] = st[j + 1] "
    "      if st[j + 1] == 'implicated' then bad = true elseif st[j + 1] == 'proven' then good = "
    "true end end end "
    "  local state "
    "  if m[1] then if bad then state = 'implicated' elseif seen and good then state = 'healthy' "
    "    else state = 'merged' end "
    "  elseif pr[1] == 'wait' then state = 'waiting' elseif pr[1] == 'blocked' then state = "
    "'blocked' "
    "  elseif pr[1] == 'skip' then state = 'skipped' else state = 'new' end "
    "  local repo, num = string.match(key, '^(.*)#(%d+)$') "
    "  return {repo = repo, number = tonumber(num), state = state, decision = pr[1] or cjson.null, "
    "    reason = pr[2] or cjson.null, evaluated_at = tonumber(pr[3]) or cjson.null, "
    "    merged_at = tonumber(m[1]) or cjson.null, merge_sha = m[2] or cjson.null, "
    "    merged_by = m[3] or cjson.null, pipelines = pipelines} end "
    "local function hash(key) local h = redis.call('HGETALL', key) if #h == 0 then return nil end "
    "  local t = {} for i = 1, #h, 2 do t[h[i]] = h[i + 1] end return t end "
    "local function shift_of(name, full) "
    "  local members = redis.call('HGETALL', 'fb:cohort:' .. name) "
    "  local info = redis.call('HGET', 'fb:shift:info:' .. name, 'cohorts') "
    "  local names = info and cjson.decode(info) or {} "
    "  local cohorts, total = {}, {prs = 0, merged = 0, waiting = 0, blocked = 0, implicated = 0, "
    "    healthy = 0} "
    "  local function cohort(i) if cohorts[i + 1] == nil then cohorts[i + 1] = {index = i, "
    "    name = names[i + 1] or 'all', counts = {prs = 0, merged = 0, waiting = 0, blocked = 0, "
    "    implicated = 0, healthy = 0}, prs = {}} end return cohorts[i + 1] end "
    "  for i = 1, #names do cohort(i - 1) end "
    "  for i = 1, #members, 2 do local c = cohort(tonumber(members[i + 1]) or 0) "
    "    local p = pr_state(members[i]) "
    "    for _, t in ipairs({c.counts, total}) do t.prs = t.prs + 1 "
    "      if p.merged_at ~= cjson.null then t.merged = t.merged + 1 end "
    "      if p.state ~= 'merged' and t[p.state] then t[p.state] = t[p.state] + 1 end end "
    "    if full then table.insert(c.prs, p) end end "
    "  for i = 1, #cohorts do if cohorts[i] == nil then cohort(i - 1) end "
    "    if not full then cohorts[i].prs = nil end end "
    "  local since = tonumber(redis.call('GET', 'fb:fw:shift:' .. name .. ':since') or '0') "
    "  local out = {name = name, counts = total, "
    "    paused = hash('fb:shift:paused:' .. name) or cjson.null, "
    "    alert = hash('fb:fw:incident:' .. name) or cjson.null, "
    "    health = {since = since, "
    "      observed = redis.call('ZCOUNT', 'fb:fw:shift:' .. name .. ':observed', since, '+inf'), "
    "      implicated = redis.call('ZCOUNT', 'fb:fw:shift:' .. name .. ':implicated', since, "
    "'+inf')}} "
    "  if #cohorts > 0 then out.cohorts = cohorts end "
    "  return out end "
    "if ARGV[1] ~= '' then "
    "  if redis.call('SISMEMBER', 'fb:shifts', ARGV[1]) == 0 then return false end "
    "  return cjson.encode(shift_of(ARGV[1], true)) end "
    "local names = redis.call('SMEMBERS', 'fb:shifts') table.sort(names) "
    "local all = {} for _, n in ipairs(names) do table.insert(all, shift_of(n, false)) end "
    "if #all == 0 then return '{\"shifts\":[]}' end "
    "return cjson.encode({shifts = all})";

struct api_call {
    struct evhttp_request *req;
};

static void on_progress(redisReply *reply, void *priv)
{
    struct api_call *c = priv;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        log_warn("api read failed error=%s", fb_redis_reply_error_text(reply));
        http_reply_text(c->req, 503, "state unavailable (redis)");
    } else if (reply->type != REDIS_REPLY_STRING) {
        http_reply_text(c->req, 404, "no such shift");
    } else {
        http_reply_json(c->req, 200, reply->str, reply->len);
    }
    free(c);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 100 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789._-") == n;
}

static void serve(struct evhttp_request *req, struct app *app, const char *shift)
{
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
        http_reply_text(req, 405, "method not allowed: the API is read-only, use GET");
        return;
    }
    struct api_call *c = xcalloc(1, sizeof(*c));
    c->req = req;
    if (fb_redis_command(app->redis, on_progress, c, "EVAL %s 0 %s %lld", LUA_PROGRESS, shift,
                         (long long)app_now_ms(app)) != 0) {
        http_reply_text(req, 503, "state unavailable (redis)");
        free(c);
    }
}

static void on_shifts(struct evhttp_request *req, void *priv)
{
    serve(req, priv, "");
}

static void on_shift(struct evhttp_request *req, void *priv)
{
    const char *uri = evhttp_request_get_uri(req);
    static const char prefix[] = "/api/v1/shifts/";
    char name[128];
    size_t n = uri ? strcspn(uri + sizeof(prefix) - 1, "?#") : 0;
    if (uri == NULL || strncmp(uri, prefix, sizeof(prefix) - 1) != 0 || n == 0 ||
        n >= sizeof(name)) {
        http_reply_text(req, 404, "no such shift");
        return;
    }
    memcpy(name, uri + sizeof(prefix) - 1, n);
    name[n] = '\0';
    if (!valid_name(name)) {
        http_reply_text(req, 400, "a shift name is letters, digits, '.', '_' or '-'");
        return;
    }
    serve(req, priv, name);
}

void api_register(struct app *app)
{
    http_server_route(app->http, "/api/v1/shifts", on_shifts, app);
    http_server_route(app->http, "/api/v1/shifts/*", on_shift, app);
}
