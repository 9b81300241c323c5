/*
 * gh_link.c - a small, strict-where-it-matters Link header parser: link-values are
 * "<target>" followed by ";"-separated parameters, separated by commas. Whitespace is
 * tolerated anywhere the RFC allows it and a few places it does not (GitHub's own header
 * is "<url>; rel=\"next\", <url>; rel=\"last\""). It only answers "where is next".
 */
#include "gh_link.h"

#include "err.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct cursor {
    const char *p;
    size_t i, n;
};

static bool at_end(const struct cursor *c)
{
    return c->i >= c->n;
}

static void skip_ows(struct cursor *c)
{
    while (!at_end(c) && (c->p[c->i] == ' ' || c->p[c->i] == '\t'))
        c->i++;
}

static bool is_tchar(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return true;
    return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Does the space-separated list of relation types in v contain "next"? */
static bool rel_has_next(struct sv v)
{
    size_t i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t'))
            i++;
        size_t s = i;
        while (i < v.n && v.p[i] != ' ' && v.p[i] != '\t')
            i++;
        if (sv_case_eq_cstr(sv_make(v.p + s, i - s), "next"))
            return true;
    }
    return false;
}

static bool target_is_valid(struct sv t)
{
    if (t.n == 0 || t.n > GH_LINK_URL_MAX)
        return false;
    for (size_t i = 0; i < t.n; i++) {
        unsigned char ch = (unsigned char)t.p[i];
        if (ch <= 0x20 || ch == 0x7f || ch == '<' || ch == '>' || ch == '"')
            return false;
    }
    return true;
}

/* Parses one parameter after its ';'. Sets *is_rel_next when it is a rel naming next. */
static int parse_param(struct cursor *c, bool *rel_seen, bool *is_next)
{
    skip_ows(c);
    size_t ns = c->i;
    while (!at_end(c) && is_tchar((unsigned char)c->p[c->i]))
        c->i++;
    struct sv name = sv_make(c->p + ns, c->i - ns);
    skip_ows(c);
    if (name.n == 0)
        return (at_end(c) || c->p[c->i] == ',' || c->p[c->i] == ';') ? 0 : FB_ERR_INVALID;
    struct sv val = sv_make("", 0);
    if (!at_end(c) && c->p[c->i] == '=') {
        c->i++;
        skip_ows(c);
        if (!at_end(c) && c->p[c->i] == '"') {
            c->i++;
            size_t vs = c->i;
            while (!at_end(c) && c->p[c->i] != '"') {
                if (c->p[c->i] == '\\')
                    c->i++; /* quoted-pair: skip the escaped byte */
                if (!at_end(c))
                    c->i++;
            }
            if (at_end(c))
                return FB_ERR_INVALID; /* unterminated quoted string */
            val = sv_make(c->p + vs, c->i - vs);
            c->i++;
        } else {
            size_t vs = c->i;
            while (!at_end(c) && c->p[c->i] != ';' && c->p[c->i] != ',' && c->p[c->i] != ' ' &&
                   c->p[c->i] != '\t' && c->p[c->i] != '"' && c->p[c->i] != '<')
                c->i++;
            val = sv_make(c->p + vs, c->i - vs);
        }
    }
    /* only the first rel parameter counts (RFC 8288 §3.3) */
    if (sv_case_eq_cstr(name, "rel") && !*rel_seen) {
        *rel_seen = true;
        *is_next = rel_has_next(val);
    }
    skip_ows(c);
    return 0;
}

int gh_link_next(const char *value, size_t len, struct sv *out)
{
    if (value == NULL)
        return FB_ERR_NOT_FOUND;
    if (len > GH_LINK_MAX)
        return FB_ERR_TOO_LARGE;
    struct cursor c = {value, 0, len};
    for (;;) {
        while (!at_end(&c) && (c.p[c.i] == ' ' || c.p[c.i] == '\t' || c.p[c.i] == ','))
            c.i++;
        if (at_end(&c))
            return FB_ERR_NOT_FOUND;
        if (c.p[c.i] != '<')
            return FB_ERR_INVALID;
        c.i++;
        const char *gt = memchr(c.p + c.i, '>', c.n - c.i);
        if (gt == NULL)
            return FB_ERR_INVALID;
        struct sv target = sv_trim(sv_make(c.p + c.i, (size_t)(gt - (c.p + c.i))));
        c.i = (size_t)(gt - c.p) + 1;
        bool rel_seen = false, is_next = false;
        skip_ows(&c);
        while (!at_end(&c) && c.p[c.i] != ',') {
            if (c.p[c.i] != ';')
                return FB_ERR_INVALID;
            c.i++;
            if (parse_param(&c, &rel_seen, &is_next) != 0)
                return FB_ERR_INVALID;
        }
        if (is_next) {
            if (!target_is_valid(target))
                return FB_ERR_INVALID;
            *out = target;
            return 0;
        }
    }
}
