/*
 * sv.h - a non-owning string view for parsing. A view never owns its bytes and is only
 * valid while the memory it points into is.
 */
#ifndef FLEETBOT_SV_H
#define FLEETBOT_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct sv {
    const char *p;
    size_t n;
};

static inline struct sv sv_make(const char *p, size_t n)
{
    struct sv v = {p, n};
    return v;
}

static inline struct sv sv_from_cstr(const char *s)
{
    return sv_make(s, s ? strlen(s) : 0);
}

static inline bool sv_eq_cstr(struct sv v, const char *s)
{
    size_t n = strlen(s);
    return v.n == n && (n == 0 || memcmp(v.p, s, n) == 0);
}

static inline bool sv_case_eq_cstr(struct sv v, const char *s)
{
    size_t n = strlen(s);
    return v.n == n && (n == 0 || strncasecmp(v.p, s, n) == 0);
}

static inline bool sv_starts_with(struct sv v, const char *prefix)
{
    size_t n = strlen(prefix);
    return v.n >= n && memcmp(v.p, prefix, n) == 0;
}

static inline struct sv sv_trim(struct sv v)
{
    while (v.n > 0 && (v.p[0] == ' ' || v.p[0] == '\t' || v.p[0] == '\r' || v.p[0] == '\n')) {
        v.p++;
        v.n--;
    }
    while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' || v.p[v.n - 1] == '\r' ||
                       v.p[v.n - 1] == '\n'))
        v.n--;
    return v;
}

#endif
