/*
 * err.c - recording and naming errors (see err.h for the convention).
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fb_error_set(struct fb_error *err, int code, const char *fmt, ...)
{
    if (err == NULL || err->code != FB_OK)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        err->msg[0] = '\0';
    return code;
}

void fb_error_clear(struct fb_error *err)
{
    if (err != NULL)
        memset(err, 0, sizeof(*err));
}

bool fb_err_is_transient(int code)
{
    return code <= FB_ERR_TRANSIENT && code >= FB_ERR_TIMEOUT;
}

const char *fb_err_name(int code)
{
    switch (code) {
    case FB_OK:
        return "ok";
    case FB_ERR_INVALID:
        return "invalid";
    case FB_ERR_NOT_FOUND:
        return "not_found";
    case FB_ERR_DENIED:
        return "denied";
    case FB_ERR_CONFLICT:
        return "conflict";
    case FB_ERR_TOO_LARGE:
        return "too_large";
    case FB_ERR_INTERNAL:
        return "internal";
    case FB_ERR_TRANSIENT:
        return "transient";
    case FB_ERR_UNAVAILABLE:
        return "unavailable";
    case FB_ERR_RATE_LIMITED:
        return "rate_limited";
    case FB_ERR_TIMEOUT:
        return "timeout";
    default:
        return "unknown";
    }
}
