/*
 * fuzz_webhook_request.c - webhook_request_validate() on arbitrary requests. The input is
 * a few "Name: value" lines, a blank line, then the body. Names: Method, Path,
 * Content-Type, X-GitHub-Event, X-GitHub-Delivery, X-Hub-Signature-256, and "Sign: 1",
 * which signs the body correctly so the fuzzer also reaches the checks after the HMAC.
 * It checks the verdict's invariants and aborts on a violation.
 */
#include "hmac.h"
#include "webhook_request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 512

static const char SECRET[] = "fuzz-secret";

struct fields {
    char method[FIELD_MAX], path[FIELD_MAX], ct[FIELD_MAX], event[FIELD_MAX];
    char delivery[FIELD_MAX], sig[FIELD_MAX];
    int has_method, has_path, has_ct, has_event, has_delivery, has_sig, sign;
};

static void set_field(char *dst, int *has, const char *v, size_t n)
{
    if (n >= FIELD_MAX)
        n = FIELD_MAX - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
    *has = 1;
}

static void parse_line(struct fields *f, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL)
        return;
    size_t klen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
#define KEY_IS(s) (klen == sizeof(s) - 1 && memcmp(line, s, klen) == 0)
    if (KEY_IS("Method"))
        set_field(f->method, &f->has_method, v, vlen);
    else if (KEY_IS("Path"))
        set_field(f->path, &f->has_path, v, vlen);
    else if (KEY_IS("Content-Type"))
        set_field(f->ct, &f->has_ct, v, vlen);
    else if (KEY_IS("X-GitHub-Event"))
        set_field(f->event, &f->has_event, v, vlen);
    else if (KEY_IS("X-GitHub-Delivery"))
        set_field(f->delivery, &f->has_delivery, v, vlen);
    else if (KEY_IS("X-Hub-Signature-256"))
        set_field(f->sig, &f->has_sig, v, vlen);
    else if (KEY_IS("Sign"))
        f->sign = 1;
#undef KEY_IS
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fields f;
    memset(&f, 0, sizeof(f));
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0) {
            p = nl ? nl + 1 : end;
            break;
        }
        parse_line(&f, p, n);
        p = nl ? nl + 1 : end;
    }
    size_t body_len = (size_t)(end - p);
    /* a heap copy of exactly body_len bytes, so ASan sees any read past the body */
    char *body = malloc(body_len ? body_len : 1);
    if (body == NULL)
        return 0;
    memcpy(body, p, body_len);
    if (f.sign) {
        webhook_signature_format(SECRET, sizeof(SECRET) - 1, body, body_len, f.sig);
        f.has_sig = 1;
    }

    struct webhook_request req = {
        .method = f.has_method ? f.method : "POST",
        .path = f.has_path ? f.path : "/webhook",
        .content_type = f.has_ct ? f.ct : NULL,
        .event = f.has_event ? f.event : NULL,
        .delivery = f.has_delivery ? f.delivery : NULL,
        .signature = f.has_sig ? f.sig : NULL,
        .body = body_len ? body : NULL,
        .body_len = body_len,
    };
    const char *secrets[] = {"old-secret", SECRET};
    size_t lens[] = {sizeof("old-secret") - 1, sizeof(SECRET) - 1};
    struct webhook_secrets s = {secrets, lens, 2};
    struct webhook_verdict v;
    webhook_request_validate(&req, &s, &v);

    switch (v.http_status) {
    case 200:
    case 202:
        if (!webhook_event_name_is_valid(v.event) || !webhook_delivery_id_is_valid(v.delivery) ||
            v.content_kind == WEBHOOK_CONTENT_NONE || body_len == 0 ||
            webhook_signature_verify(secrets, lens, 2, body, body_len, req.signature) != 0 ||
            v.is_ping != (v.http_status == 200) || (v.is_ping && strcmp(v.event, "ping") != 0))
            abort();
        break;
    case 400:
    case 401:
    case 404:
    case 405:
    case 413:
    case 415:
        if (v.is_ping)
            abort();
        break;
    default:
        abort();
    }
    if (v.reason[0] == '\0' || strchr(v.reason, '\n') != NULL || strchr(v.reason, '\r') != NULL)
        abort();
    if (v.event[0] && !webhook_event_name_is_valid(v.event))
        abort();
    if (v.delivery[0] && !webhook_delivery_id_is_valid(v.delivery))
        abort();
    free(body);
    return 0;
}
