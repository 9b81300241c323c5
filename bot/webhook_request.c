/*
 * webhook_request.c - request validation, in the order that costs least first: strings
 * before the HMAC, the HMAC before anything touches Redis. The body is never parsed;
 * only "payload=" is looked for in form bodies, since GitHub always sends it first.
 */
#include "webhook_request.h"

#include "hmac.h"
#include "sv.h"

#include <stdio.h>
#include <string.h>

static void verdict_set(struct webhook_verdict *out, int status, const char *reason)
{
    out->http_status = status;
    snprintf(out->reason, sizeof(out->reason), "%s", reason);
}

static bool is_event_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_delivery_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == ':';
}

bool webhook_event_name_is_valid(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return false;
    for (; s[n]; n++)
        if (n >= WEBHOOK_EVENT_MAX || !is_event_char(s[n]))
            return false;
    return n > 0;
}

bool webhook_delivery_id_is_valid(const char *s)
{
    size_t n = 0;
    if (s == NULL)
        return false;
    for (; s[n]; n++)
        if (n >= WEBHOOK_DELIVERY_MAX || !is_delivery_char(s[n]))
            return false;
    return n > 0;
}

/* "type/subtype [; param=value]..." : the media type, and charset (if any) must be UTF-8. */
static enum webhook_content_kind content_kind_parse(const char *ct)
{
    if (ct == NULL)
        return WEBHOOK_CONTENT_NONE;
    struct sv all = sv_from_cstr(ct);
    const char *semi = memchr(all.p, ';', all.n);
    struct sv type = sv_trim(sv_make(all.p, semi ? (size_t)(semi - all.p) : all.n));
    enum webhook_content_kind kind = WEBHOOK_CONTENT_NONE;
    if (sv_case_eq_cstr(type, "application/json"))
        kind = WEBHOOK_CONTENT_JSON;
    else if (sv_case_eq_cstr(type, "application/x-www-form-urlencoded"))
        kind = WEBHOOK_CONTENT_FORM;
    else
        return WEBHOOK_CONTENT_NONE;

    while (semi != NULL) {
        const char *start = semi + 1;
        size_t left = all.n - (size_t)(start - all.p);
        semi = memchr(start, ';', left);
        struct sv param = sv_trim(sv_make(start, semi ? (size_t)(semi - start) : left));
        if (param.n == 0)
            continue;
        const char *eq = memchr(param.p, '=', param.n);
        if (eq == NULL)
            return WEBHOOK_CONTENT_NONE;
        struct sv name = sv_trim(sv_make(param.p, (size_t)(eq - param.p)));
        struct sv value = sv_trim(sv_make(eq + 1, param.n - (size_t)(eq - param.p) - 1));
        if (value.n >= 2 && value.p[0] == '"' && value.p[value.n - 1] == '"')
            value = sv_make(value.p + 1, value.n - 2);
        if (sv_case_eq_cstr(name, "charset") && !sv_case_eq_cstr(value, "utf-8") &&
            !sv_case_eq_cstr(value, "utf8"))
            return WEBHOOK_CONTENT_NONE;
    }
    return kind;
}

static bool path_is_webhook(const char *path)
{
    if (path == NULL)
        return false;
    size_t n = strcspn(path, "?#");
    return sv_eq_cstr(sv_make(path, n), WEBHOOK_PATH);
}

void webhook_request_validate(const struct webhook_request *req,
                              const struct webhook_secrets *secrets, struct webhook_verdict *out)
{
    memset(out, 0, sizeof(*out));

    if (!path_is_webhook(req->path)) {
        verdict_set(out, 404, "not found");
        return;
    }
    if (req->method == NULL || strcmp(req->method, "POST") != 0) {
        verdict_set(out, 405, "method not allowed: use POST");
        return;
    }
    if (req->event == NULL) {
        verdict_set(out, 400, "missing X-GitHub-Event header");
        return;
    }
    if (!webhook_event_name_is_valid(req->event)) {
        verdict_set(out, 400, "malformed X-GitHub-Event header");
        return;
    }
    snprintf(out->event, sizeof(out->event), "%s", req->event);
    if (req->delivery == NULL) {
        verdict_set(out, 400, "missing X-GitHub-Delivery header");
        return;
    }
    if (!webhook_delivery_id_is_valid(req->delivery)) {
        verdict_set(out, 400, "malformed X-GitHub-Delivery header");
        return;
    }
    snprintf(out->delivery, sizeof(out->delivery), "%s", req->delivery);

    out->content_kind = content_kind_parse(req->content_type);
    if (out->content_kind == WEBHOOK_CONTENT_NONE) {
        verdict_set(out, 415,
                    "unsupported content type: use application/json or "
                    "application/x-www-form-urlencoded");
        return;
    }
    if (req->body_len > WEBHOOK_BODY_MAX) {
        verdict_set(out, 413, "payload too large: the limit is 25 MiB");
        return;
    }
    if (req->signature == NULL) {
        verdict_set(out, 401, "missing X-Hub-Signature-256 header");
        return;
    }
    if (secrets == NULL ||
        webhook_signature_verify(secrets->secrets, secrets->lens, secrets->count, req->body,
                                 req->body_len, req->signature) != 0) {
        verdict_set(out, 401, "signature does not match");
        return;
    }
    if (req->body_len == 0) {
        verdict_set(out, 400, "empty body");
        return;
    }
    if (out->content_kind == WEBHOOK_CONTENT_FORM &&
        !sv_starts_with(sv_make(req->body, req->body_len), "payload=")) {
        verdict_set(out, 400, "form body has no payload field");
        return;
    }
    if (strcmp(out->event, "ping") == 0) {
        out->is_ping = true;
        verdict_set(out, 200, "pong");
        return;
    }
    verdict_set(out, 202, "accepted");
}

const char *webhook_content_kind_name(enum webhook_content_kind kind)
{
    switch (kind) {
    case WEBHOOK_CONTENT_JSON:
        return "json";
    case WEBHOOK_CONTENT_FORM:
        return "form";
    case WEBHOOK_CONTENT_NONE:
        break;
    }
    return "";
}
