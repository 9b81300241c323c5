/*
 * worker.c - one delivery from the queue to its handler and back. A struct delivery
 * owns everything for that delivery (the parsed payload, the handler context) and is
 * freed in one place, after the queue job is finished.
 */
#include "worker.h"

#include "alloc.h"
#include "app.h"
#include "err.h"
#include "handlers/handlers.h"
#include "jsonutil.h"
#include "log.h"
#include "parse.h"
#include "queue.h"
#include "redis_batch.h"

#include <stdlib.h>
#include <string.h>

struct delivery {
    struct app *app;
    struct queue_job *job;
    json_t *payload;
    struct handler_ctx ctx;
    int handler_rc;
    struct fb_error err;
};

json_t *worker_decode_body(const char *content_kind, const char *body, size_t len,
                           struct fb_error *err)
{
    json_error_t jerr;
    json_t *root = NULL;
    if (content_kind && strcmp(content_kind, "form") == 0) {
        static const char prefix[] = "payload=";
        /* the payload is the only field GitHub sends; find it wherever it is */
        const char *p = body;
        size_t n = len;
        if (n < sizeof(prefix) - 1 || memcmp(p, prefix, sizeof(prefix) - 1) != 0) {
            fb_error_set(err, FB_ERR_INVALID, "form body has no payload= field");
            return NULL;
        }
        p += sizeof(prefix) - 1;
        n -= sizeof(prefix) - 1;
        const char *amp = memchr(p, '&', n);
        if (amp)
            n = (size_t)(amp - p);
        char *decoded = xmalloc(n + 1);
        long dn = url_decode(p, n, decoded, n + 1);
        if (dn < 0) {
            free(decoded);
            fb_error_set(err, FB_ERR_INVALID, "form payload has a malformed %%-escape");
            return NULL;
        }
        root = json_loadb(decoded, (size_t)dn, 0, &jerr);
        free(decoded);
    } else {
        root = json_loadb(body, len, 0, &jerr);
    }
    if (root == NULL) {
        fb_error_set(err, FB_ERR_INVALID, "malformed JSON at line %d column %d: %s", jerr.line,
                     jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        fb_error_set(err, FB_ERR_INVALID, "payload is not a JSON object");
        return NULL;
    }
    return root;
}

bool worker_own_event_matters(const char *event, json_t *payload, int64_t app_id)
{
    const char *action = json_path_str(payload, "action");
    if (strcmp(event, "pull_request") == 0)
        return action && strcmp(action, "closed") == 0;
    /* what runs after fleetbot's own merge is triggered by fleetbot's push, so its sender
     * is fleetbot: Firewatch must see it. fleetbot's own check suites are not news. */
    if (strcmp(event, "workflow_run") == 0 || strcmp(event, "deployment_status") == 0 ||
        strcmp(event, "status") == 0)
        return true;
    if (strcmp(event, "check_suite") == 0)
        return json_path_int(payload, "check_suite.app.id", 0) != app_id;
    return false;
}

static void delivery_finish(struct delivery *d, int rc)
{
    struct app *app = d->app;
    if (rc == 0) {
        app->deliveries_handled++;
        queue_job_done(d->job, 0, NULL);
    } else {
        app->deliveries_failed++;
        log_warn("delivery failed delivery=%s event=%s repo=%s error=%s (%s)", d->job->delivery,
                 d->job->event, d->ctx.repo ? d->ctx.repo : "-", d->err.msg, fb_err_name(rc));
        queue_job_done(d->job, rc, &d->err);
    }
    json_decref(d->payload);
    free(d);
}

static void on_batch_done(int rc, const char *err_text, void *priv)
{
    struct delivery *d = priv;
    if (d->handler_rc < 0) {
        delivery_finish(d, d->handler_rc);
        return;
    }
    if (rc != 0) {
        /* Redis trouble is transient: the queue retries the delivery later */
        fb_error_set(&d->err, FB_ERR_UNAVAILABLE, "redis: %s", err_text);
        delivery_finish(d, FB_ERR_UNAVAILABLE);
        return;
    }
    log_debug("delivery handled delivery=%s event=%s repo=%s%s", d->job->delivery, d->job->event,
              d->ctx.repo ? d->ctx.repo : "-",
              d->handler_rc == HANDLER_NOT_MINE ? " (not mine)" : "");
    delivery_finish(d, 0);
}

void worker_on_job(struct queue_job *job, void *priv)
{
    struct app *app = priv;
    struct delivery *d = xcalloc(1, sizeof(*d));
    d->app = app;
    d->job = job;
    d->payload = worker_decode_body(job->content_kind, job->body, job->body_len, &d->err);
    if (d->payload == NULL) {
        delivery_finish(d, FB_ERR_INVALID);
        return;
    }
    const struct handler *h = handlers_find(job->event);
    const char *sender = json_path_str(d->payload, "sender.login");
    if (h == NULL) {
        log_debug("event ignored delivery=%s event=%s", job->delivery, job->event);
        delivery_finish(d, 0);
        return;
    }
    /* fleetbot's own echoes are ignored, except the pull_request.closed of its own merge
     * (it records the merge when the merging process died before it could) and what runs
     * after its merges (worker_own_event_matters) */
    bool own = sender && app->bot_login[0] && strcmp(sender, app->bot_login) == 0;
    if (own && !worker_own_event_matters(job->event, d->payload, app->settings.app_id)) {
        log_debug("own event ignored delivery=%s event=%s", job->delivery, job->event);
        delivery_finish(d, 0);
        return;
    }
    int64_t now = app_now_ms(app);
    d->ctx.delivery = job->delivery;
    d->ctx.event = job->event;
    d->ctx.payload = d->payload;
    d->ctx.installation = json_path_int(d->payload, "installation.id", 0);
    d->ctx.repo = json_path_str(d->payload, "repository.full_name");
    d->ctx.now_ms = now;
    d->ctx.due_ms = now + app->settings.debounce_ms;
    d->ctx.settings = &app->settings;
    d->ctx.bot_login = app->bot_login;
    d->ctx.batch = redis_batch_new(app->redis, on_batch_done, d);
    d->handler_rc = h->fn(&d->ctx, &d->err);
    if (d->handler_rc < 0 && d->err.code == 0)
        fb_error_set(&d->err, d->handler_rc, "%s handler failed", job->event);
    redis_batch_seal(d->ctx.batch);
}
