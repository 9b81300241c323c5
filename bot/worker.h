/*
 * worker.h - turns one queued delivery into state changes: decode the body (JSON or
 * form), drop fleetbot's own echoes, find the event's handler, run it, and finish the
 * queue job with the outcome (ack, retry later, or dead-letter with the error).
 */
#ifndef FLEETBOT_WORKER_H
#define FLEETBOT_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct queue_job;
struct fb_error;

/* queue_handle_fn for queue_new(); priv is the struct app. */
void worker_on_job(struct queue_job *job, void *priv);

/* Decodes a delivery body: "json" as is, "form" from its payload= field. The caller owns
 * the returned value (json_decref). On failure returns NULL with err set (FB_ERR_INVALID). */
json_t *worker_decode_body(const char *content_kind, const char *body, size_t len,
                           struct fb_error *err);

/* fleetbot's own echoed events are ignored, except those that carry news: the
 * pull_request.closed of its own merge, and what runs after its merges (workflow runs,
 * deployment statuses, statuses, other apps' check suites), whose sender is fleetbot
 * because its merge pushed the commit. */
bool worker_own_event_matters(const char *event, json_t *payload, int64_t app_id);

#endif
