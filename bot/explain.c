/*
 * explain.c - the trace JSON written by the evaluator (decision_to_json), printed for
 * people: one line per gate, the deciding one marked.
 */
#include "explain.h"

#include "err.h"
#include "jsonutil.h"
#include "parse.h"
#include "redis.h"
#include "store.h"
#include "timeutil.h"

#include <string.h>

#include <jansson.h>

int explain_parse_target(const char *arg, char *repo, size_t cap, int64_t *number)
{
    const char *hash = strrchr(arg, '#');
    const char *slash = strchr(arg, '/');
    if (hash == NULL || slash == NULL || slash > hash || slash == arg || slash + 1 == hash ||
        (size_t)(hash - arg) >= cap)
        return FB_ERR_INVALID;
    if (parse_i64_cstr(hash + 1, 1, INT64_MAX, number) != 0)
        return FB_ERR_INVALID;
    memcpy(repo, arg, (size_t)(hash - arg));
    repo[hash - arg] = '\0';
    return 0;
}

static const char *mark(const char *verdict)
{
    if (strcmp(verdict, "pass") == 0)
        return "✓";
    if (strcmp(verdict, "wait") == 0)
        return "…";
    if (strcmp(verdict, "block") == 0)
        return "✗";
    return "-";
}

int explain_format(const char *trace_json, FILE *out)
{
    json_error_t jerr;
    json_t *t = json_loads(trace_json, 0, &jerr);
    if (t == NULL)
        return FB_ERR_INVALID;
    const char *decision = json_path_str(t, "decision");
    const char *reason = json_path_str(t, "reason");
    int64_t until = json_path_int(t, "until", 0);
    fprintf(out, "decision: %s — %s\n", decision ? decision : "?", reason ? reason : "");
    if (until > 0) {
        char when[40];
        time_format_rfc3339(until, when, sizeof(when));
        fprintf(out, "next look: %s\n", when);
    }
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(t, "gates"), i, g)
    {
        const char *verdict = json_path_str(g, "verdict");
        fprintf(out, "  %s %-16s %s\n", mark(verdict ? verdict : ""), json_path_str(g, "gate"),
                json_path_str(g, "reason") ? json_path_str(g, "reason") : "");
    }
    json_decref(t);
    return 0;
}

int explain_print(const char *host, int port, int db, const char *password, const char *repo,
                  int64_t number, FILE *out)
{
    char key[STORE_JOB_MAX];
    if (store_key_pr(key, sizeof(key), repo, number) != 0)
        return FB_ERR_INVALID;
    redisContext *c = fb_redis_cli_connect(host, port, db, password);
    if (c == NULL)
        return FB_ERR_UNAVAILABLE;
    redisReply *r = redisCommand(c, "HMGET %s trace head_sha evaluated_at", key);
    int rc = FB_ERR_NOT_FOUND;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
        rc = FB_ERR_UNAVAILABLE;
    } else if (r->element[0]->type == REDIS_REPLY_STRING) {
        int64_t at = 0;
        char when[40] = "?";
        if (r->element[2]->type == REDIS_REPLY_STRING &&
            parse_i64(r->element[2]->str, r->element[2]->len, 0, INT64_MAX, &at) == 0)
            time_format_rfc3339(at, when, sizeof(when));
        fprintf(out, "%s#%lld  head %.7s  evaluated %s\n", repo, (long long)number,
                r->element[1]->type == REDIS_REPLY_STRING ? r->element[1]->str : "-", when);
        rc = explain_format(r->element[0]->str, out);
    }
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return rc;
}
