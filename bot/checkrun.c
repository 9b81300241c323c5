/*
 * checkrun.c - POST /repos/{o}/{r}/check-runs the first time a head is reported, PATCH
 * .../check-runs/{id} when the text changed; the new id and signature go back to Redis
 * once GitHub answered. A run is owned by this call (struct publish), never by the
 * evaluation that asked for it, which may be finished before GitHub answers.
 */
#include "checkrun.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "gh_client.h"
#include "jsonutil.h"
#include "log.h"
#include "redis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct publish {
    struct app *app;
    char *repo, *sha, *state_key;
    char sig[24];
};

static void publish_free(struct publish *pb)
{
    free(pb->repo);
    free(pb->sha);
    free(pb->state_key);
    free(pb);
}

/* FNV-1a 64 over the fields, with separators so ("ab","c") differs from ("a","bc"). */
void checkrun_signature(const struct checkrun_post *p, char *out, size_t cap)
{
    const char *parts[] = {p->status, p->conclusion, p->title, p->summary, p->annotations};
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        for (const char *s = parts[i] ? parts[i] : ""; *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        h = (h ^ 0xffu) * 1099511628211ULL;
    }
    snprintf(out, cap, "%016llx", (unsigned long long)h);
}

static void on_state_written(redisReply *reply, void *priv)
{
    (void)priv;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        log_warn("check run state not saved error=%s", fb_redis_reply_error_text(reply));
}

static void on_published(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct publish *pb = priv;
    if (err->code != 0) {
        log_warn("check run not published repo=%s head=%.7s status=%d error=%s", pb->repo, pb->sha,
                 err->http_status, err->msg);
    } else if (pb->state_key) {
        json_int_t id = json_integer_value(json_object_get(resp->json, "id"));
        if (id > 0)
            fb_redis_command(pb->app->redis, on_state_written, NULL,
                             "HSET %s check_id %lld check_sha %s check_sig %s", pb->state_key,
                             (long long)id, pb->sha, pb->sig);
    }
    publish_free(pb);
}

static int body_of(const struct checkrun_post *p, bool create, struct buf *b)
{
    int rc = buf_appends(b, "{");
    if (create) {
        rc = rc ? rc : buf_printf(b, "\"name\":\"%s\",\"head_sha\":\"", CHECKRUN_NAME);
        rc = rc ? rc : buf_append_json_escaped(b, p->head_sha);
        rc = rc ? rc : buf_appends(b, "\",");
    }
    rc = rc ? rc : buf_printf(b, "\"status\":\"%s\",", p->status);
    if (p->conclusion && strcmp(p->status, "completed") == 0)
        rc = rc ? rc : buf_printf(b, "\"conclusion\":\"%s\",", p->conclusion);
    rc = rc ? rc : buf_appends(b, "\"output\":{\"title\":\"");
    rc = rc ? rc : buf_append_json_escaped(b, p->title);
    rc = rc ? rc : buf_appends(b, "\",\"summary\":\"");
    rc = rc ? rc : buf_append_json_escaped(b, p->summary);
    rc = rc ? rc : buf_appends(b, "\"");
    if (p->annotations)
        rc = rc ? rc : buf_printf(b, ",\"annotations\":%s", p->annotations);
    return rc ? rc : buf_appends(b, "}}");
}

void checkrun_publish(struct app *app, const struct checkrun_post *p)
{
    if (app->gh == NULL || p->head_sha == NULL || p->head_sha[0] == '\0')
        return;
    char sig[24];
    checkrun_signature(p, sig, sizeof(sig));
    bool same_head =
        p->prev_id && p->prev_id[0] && p->prev_sha && strcmp(p->prev_sha, p->head_sha) == 0;
    if (same_head && p->prev_sig && strcmp(p->prev_sig, sig) == 0)
        return; /* it already says exactly this */
    struct buf body = BUF_INIT(200 * 1024);
    if (body_of(p, !same_head, &body) != 0) {
        log_warn("check run too large, not published repo=%s head=%.7s", p->repo, p->head_sha);
        buf_free(&body);
        return;
    }
    char path[600];
    if (same_head)
        snprintf(path, sizeof(path), "/repos/%s/check-runs/%s", p->repo, p->prev_id);
    else
        snprintf(path, sizeof(path), "/repos/%s/check-runs", p->repo);
    struct publish *pb = xcalloc(1, sizeof(*pb));
    pb->app = app;
    pb->repo = xstrdup(p->repo);
    pb->sha = xstrdup(p->head_sha);
    pb->state_key = p->state_key ? xstrdup(p->state_key) : NULL;
    memcpy(pb->sig, sig, sizeof(sig));
    struct gh_request req = {.method = same_head ? "PATCH" : "POST",
                             .path = path,
                             .installation_id = p->installation,
                             .body = buf_cstr(&body)};
    if (gh_request_send(app->gh, &req, on_published, pb) != 0) {
        log_warn("check run not published (github client unavailable) repo=%s", p->repo);
        publish_free(pb);
    }
    buf_free(&body);
}
