/*
 * webhook_request.h - the pure validation of one webhook request: path, method, the
 * X-GitHub-* headers, content type, size and signature in, a verdict (HTTP status and a
 * one-line reason) out. No network, no Redis, no clock, no logging, and deliberately no
 * JSON parsing: the worker parses, the receiver only has to answer fast.
 */
#ifndef FLEETBOT_WEBHOOK_REQUEST_H
#define FLEETBOT_WEBHOOK_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define WEBHOOK_PATH         "/webhook"
#define WEBHOOK_BODY_MAX     (25u * 1024 * 1024) /* GitHub's payload cap */
#define WEBHOOK_EVENT_MAX    64                  /* longest accepted X-GitHub-Event */
#define WEBHOOK_DELIVERY_MAX 64                  /* longest accepted X-GitHub-Delivery */
#define WEBHOOK_REASON_MAX   96

enum webhook_content_kind {
    WEBHOOK_CONTENT_NONE = 0,
    WEBHOOK_CONTENT_JSON, /* application/json: the body is the payload */
    WEBHOOK_CONTENT_FORM, /* application/x-www-form-urlencoded: payload=<url-encoded JSON> */
};

/* One request as the HTTP layer saw it. Every field is borrowed; a missing header is NULL.
 * path may carry a query string, which is ignored. */
struct webhook_request {
    const char *method;       /* "POST" */
    const char *path;         /* "/webhook" */
    const char *content_type; /* Content-Type */
    const char *event;        /* X-GitHub-Event */
    const char *delivery;     /* X-GitHub-Delivery */
    const char *signature;    /* X-Hub-Signature-256 */
    const char *body;         /* raw bytes, may be NULL when body_len is 0 */
    size_t body_len;
};

/* The secrets the signature may be made with (rotation: up to two). Borrowed. */
struct webhook_secrets {
    const char *const *secrets;
    const size_t *lens;
    int count;
};

/*
 * The answer. http_status is 202 for an event to enqueue (the receiver answers 202 only
 * once Redis has it), 200 for a verified ping (answered, not queued), or the rejection
 * (400, 401, 404, 405, 413, 415). event and delivery are copies, filled as soon as they
 * were validated ("" before that), so rejections can be logged with them.
 */
struct webhook_verdict {
    int http_status;
    char reason[WEBHOOK_REASON_MAX];
    char event[WEBHOOK_EVENT_MAX + 1];
    char delivery[WEBHOOK_DELIVERY_MAX + 1];
    enum webhook_content_kind content_kind;
    bool is_ping;
};

/*
 * Checks, in this order: path (404), method (405), X-GitHub-Event and X-GitHub-Delivery
 * present and well-formed (400), content type (415), size (413, checked before hashing so
 * an oversized body costs no HMAC), signature (401), then an empty body or a form body
 * without "payload=" (400). Fills *out completely; never fails otherwise.
 */
void webhook_request_validate(const struct webhook_request *req,
                              const struct webhook_secrets *secrets, struct webhook_verdict *out);

/* "json", "form" or "" - the value stored in the stream's ct field. */
const char *webhook_content_kind_name(enum webhook_content_kind kind);

/* Event names: 1..WEBHOOK_EVENT_MAX of [a-z0-9_]. */
bool webhook_event_name_is_valid(const char *s);
/* Delivery ids (GUIDs): 1..WEBHOOK_DELIVERY_MAX of [A-Za-z0-9._:-], safe in keys and logs. */
bool webhook_delivery_id_is_valid(const char *s);

#endif
