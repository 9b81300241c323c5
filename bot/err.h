/*
 * err.h - the one error convention for fleetbot.
 *
 * Fallible functions return int: 0 on success, a negative FB_ERR_* code on failure.
 * Details travel in a caller-owned struct fb_error. Transient codes (retry with backoff)
 * are kept apart from permanent ones, because the queue's retry logic depends on it.
 * This file does not log; callers decide where an error is reported.
 */
#ifndef FLEETBOT_ERR_H
#define FLEETBOT_ERR_H

#include <stdbool.h>
#include <stdint.h>

enum fb_err {
    FB_OK = 0,
    /* permanent: retrying the same input gives the same answer */
    FB_ERR_INVALID = -1,   /* malformed input */
    FB_ERR_NOT_FOUND = -2, /* 404, missing key */
    FB_ERR_DENIED = -3,    /* 401/403 permission, policy said no */
    FB_ERR_CONFLICT = -4,  /* state moved under us (409, 405): re-evaluate, never retry blindly */
    FB_ERR_TOO_LARGE = -5, /* a size cap was hit */
    FB_ERR_INTERNAL = -6,  /* a bug or an impossible state */
    /* transient: the same request may succeed later */
    FB_ERR_TRANSIENT = -10,    /* network error, 5xx */
    FB_ERR_UNAVAILABLE = -11,  /* Redis unreachable */
    FB_ERR_RATE_LIMITED = -12, /* GitHub rate limit; retry_at_ms says when */
    FB_ERR_TIMEOUT = -13,
};

#define FB_ERROR_MSG_MAX 256

/* Caller-owned error details. Zero-initialise it ({0}) before the first call. */
struct fb_error {
    int code;            /* FB_OK or an FB_ERR_* code */
    int http_status;     /* the HTTP status behind the error, when there was one */
    int64_t retry_at_ms; /* for transient errors: earliest useful retry (epoch ms), 0 = unknown */
    char msg[FB_ERROR_MSG_MAX];
};

/*
 * Records code and message in err (which may be NULL) and returns code.
 * An error already recorded is never overwritten: the lowest-level cause wins.
 */
int fb_error_set(struct fb_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err for reuse. */
void fb_error_clear(struct fb_error *err);

bool fb_err_is_transient(int code);
const char *fb_err_name(int code);

#endif
