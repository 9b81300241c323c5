/*
 * policy_source.c - up to four contents-API reads in parallel per evaluation (each served
 * from the per-process cache when fresh), then the owning team's holiday calendars (paths
 * through the contents API, URLs with a plain GET that carries no credentials), then strict
 * parsing and resolution into the facts the gates read. A missing policy file (404) is
 * normal and means "nothing configured"; a missing calendar is a configuration error.
 */
#include "policy_source.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "err.h"
#include "gh_client.h"
#include "http_client.h"
#include "ical.h"
#include "ical_memo.h"
#include "jsonutil.h"
#include "jwt.h"
#include "log.h"
#include "parse.h"
#include "redis.h"
#include "store.h"
#include "policies/calendar.h"
#include "policies/schedule.h"
#include "policies/tz.h"
#include "timeutil.h"
#include "zones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FILE_MAX (1024 * 1024)

enum { S_ORG, S_SHIFT, S_REPO, S_CATALOG, S_COUNT };
#define CALENDARS_MAX 8 /* holiday calendars of one team */

struct cache_entry {
    char *key;  /* "owner/repo:path" */
    char *text; /* NULL: the file does not exist */
    size_t len;
    int64_t fetched_at; /* real ms */
    int64_t gen;        /* the file's generation (store.h) when it was fetched */
};

/* A holiday calendar fetched by URL; kept across generations (it is not in Git). */
struct cal_entry {
    char *url;
    char *text; /* the last calendar fetched, or NULL */
    size_t len;
    char *etag, *last_modified; /* validators of text, or NULL */
    char *error;                /* the last failure when no copy could stand in */
    struct calendar_copy st;
};

struct policy_source {
    struct app *app;
    struct cache_entry *entries;
    size_t n;
    size_t next_evict;
    struct http_client *http; /* calendar URLs only: never sees a GitHub credential */
    struct cal_entry *cals;
    size_t ncals;
    size_t next_cal_evict;
    bool closing;
    struct fetch *flights;       /* contents reads in flight */
    struct ical_memo *ical_memo; /* expanded calendars */
};

struct slot {
    char repo[256];
    char path[300];
    char *url; /* a calendar named by URL (path unused), or NULL */
    int line;  /* calendars: the owning team's line in the org file */
    bool wanted;
    int64_t gen; /* the current generation of this file */
    char *error; /* could not be used: becomes a configuration error */
    char *text;
    size_t len;
};

struct load {
    struct policy_source *ps;
    policy_done_fn fn;
    void *priv;
    int64_t installation;
    char repo[256];
    char shift[128];
    int64_t now_ms;
    struct slot slots[S_COUNT + CALENDARS_MAX];
    int nslots;
    int stage; /* 0: the policy files; 1: the owning team's holiday calendars */
    int outstanding;
    struct fb_error err;
};

/* One contents-API read in flight, shared by every load that wants the same file at the
 * same generation meanwhile: at 09:00 on a Monday a thousand PRs waking at once read the
 * org's fleetbot.yml once, not a thousand times. */
#define FLIGHT_WAITERS_MAX 4096
struct waiter {
    struct load *load;
    int slot;
};
struct fetch {
    struct fetch *next; /* in policy_source.flights */
    struct policy_source *ps;
    char key[600];
    int64_t gen;
    struct waiter *waiters;
    size_t n, cap;
};

int policy_base64_decode(const char *in, size_t n, struct buf *out)
{
    struct buf clean = BUF_INIT(FILE_MAX * 2);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char c = in[i];
        if (c == '\n' || c == '\r')
            continue;
        rc = buf_appendc(&clean, c == '+' ? '-' : c == '/' ? '_' : c);
    }
    if (rc == 0)
        rc = jwt_base64url_decode(clean.data ? clean.data : "", clean.len, out);
    buf_free(&clean);
    return rc == 0 ? 0 : FB_ERR_INVALID;
}

struct policy_source *policy_source_new(struct app *app)
{
    struct policy_source *ps = xcalloc(1, sizeof(*ps));
    ps->app = app;
    ps->ical_memo = ical_memo_new();
    ps->entries = xcalloc(POLICY_CACHE_FILES, sizeof(*ps->entries));
    ps->cals = xcalloc(CALENDAR_CACHE_FILES, sizeof(*ps->cals));
    struct http_client_options ho = {
        .connect_timeout_ms = CALENDAR_TIMEOUT_MS,
        .timeout_ms = CALENDAR_TIMEOUT_MS,
        .max_body = CALENDAR_MAX_BYTES,
        .max_redirects = CALENDAR_REDIRECTS,
        .max_in_flight = 8,
    };
    struct fb_error err = {0};
    if (app->base)
        ps->http = http_client_new(app->base, &ho, &err);
    if (ps->http == NULL)
        log_warn("no http client for holiday calendar URLs error=%s",
                 err.msg[0] ? err.msg : "no event loop");
    return ps;
}

static void cal_entry_clear(struct cal_entry *e)
{
    free(e->url);
    free(e->text);
    free(e->etag);
    free(e->last_modified);
    free(e->error);
    memset(e, 0, sizeof(*e));
}

void policy_source_free(struct policy_source *ps)
{
    if (ps == NULL)
        return;
    ps->closing = true; /* calendar fetches still in flight fail their loads */
    http_client_free(ps->http);
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->entries[i].key);
        free(ps->entries[i].text);
    }
    free(ps->entries);
    for (size_t i = 0; i < ps->ncals; i++)
        cal_entry_clear(&ps->cals[i]);
    free(ps->cals);
    ical_memo_free(ps->ical_memo);
    free(ps);
}

static struct cache_entry *cache_find(struct policy_source *ps, const char *key)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->entries[i].key, key) == 0)
            return &ps->entries[i];
    return NULL;
}

static void cache_put(struct policy_source *ps, const char *key, const char *text, size_t len,
                      int64_t gen)
{
    struct cache_entry *e = cache_find(ps, key);
    if (e == NULL) {
        if (ps->n < POLICY_CACHE_FILES) {
            e = &ps->entries[ps->n++];
        } else { /* full: replace round-robin */
            e = &ps->entries[ps->next_evict++ % POLICY_CACHE_FILES];
            free(e->key);
            free(e->text);
        }
        e->key = xstrdup(key);
    } else {
        free(e->text);
    }
    e->text = text ? xstrndup(text, len) : NULL;
    e->len = len;
    e->fetched_at = time_real_ms();
    e->gen = gen;
}

static void slot_key(const struct slot *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s:%s", s->repo, s->path);
}

/* ---- holiday calendars named by URL ---------------------------------------------- */

/* The authority of an http(s) URL (after "scheme://"): [start, *end). */
static const char *url_authority(const char *url, size_t scheme_len, size_t *n)
{
    const char *a = url + scheme_len;
    *n = strcspn(a, "/?#");
    return a;
}

static bool url_has_userinfo(const char *url, size_t scheme_len)
{
    size_t n;
    const char *a = url_authority(url, scheme_len, &n);
    return memchr(a, '@', n) != NULL;
}

/* http://127.0.0.1[:port]/... or http://localhost[:port]/... */
static bool is_loopback_http(const char *url)
{
    size_t n;
    const char *a = url_authority(url, 7, &n);
    size_t host = 0;
    while (host < n && a[host] != ':')
        host++;
    if (host < n) { /* a port: one to five digits */
        size_t digits = n - host - 1;
        if (digits == 0 || digits > 5)
            return false;
        for (size_t i = host + 1; i < n; i++)
            if (a[i] < '0' || a[i] > '9')
                return false;
    }
    return (host == 9 && memcmp(a, "127.0.0.1", 9) == 0) ||
           (host == 9 && strncasecmp(a, "localhost", 9) == 0);
}

enum calendar_source policy_calendar_source(const char *entry)
{
    if (strncmp(entry, "https://", 8) == 0)
        return url_has_userinfo(entry, 8) ? CALENDAR_REFUSED : CALENDAR_URL;
    if (strncmp(entry, "http://", 7) == 0)
        return !url_has_userinfo(entry, 7) && is_loopback_http(entry) ? CALENDAR_URL
                                                                      : CALENDAR_REFUSED;
    return strstr(entry, "://") ? CALENDAR_REFUSED : CALENDAR_REPO_PATH;
}

enum calendar_step policy_calendar_step(const struct calendar_copy *c, int64_t now_ms)
{
    if (c->has_text && !c->has_error && now_ms - c->validated_at < POLICY_CACHE_MS)
        return CALENDAR_USE_COPY;
    if (c->failed_at != 0 && now_ms - c->failed_at < CALENDAR_RETRY_MS) {
        if (c->has_error)
            return CALENDAR_USE_ERROR;
        if (c->has_text && now_ms - c->validated_at < CALENDAR_STALE_MS)
            return CALENDAR_USE_COPY;
    }
    return CALENDAR_FETCH;
}

static bool is_unreachable(int err_code, int status)
{
    if (err_code != 0)
        return err_code == FB_ERR_TRANSIENT || err_code == FB_ERR_TIMEOUT;
    return status >= 500 || status == 408 || status == 429;
}

enum calendar_result policy_calendar_result(const struct calendar_copy *c, int err_code, int status,
                                            int64_t now_ms)
{
    if (err_code == 0 && status >= 200 && status < 300)
        return CALENDAR_TAKE_NEW;
    if (err_code == 0 && status == 304)
        return c->has_text ? CALENDAR_KEEP_COPY : CALENDAR_FAILED;
    if (is_unreachable(err_code, status) && c->has_text &&
        now_ms - c->validated_at < CALENDAR_STALE_MS)
        return CALENDAR_KEEP_COPY;
    return CALENDAR_FAILED;
}

/* The URL for messages and logs: a query or fragment (private calendar links carry their
 * secret there) is shown as "?…". */
static void url_shown(const char *url, char *out, size_t cap)
{
    size_t n = strcspn(url, "?#");
    bool cut = url[n] != '\0';
    if (snprintf(out, cap, "%.*s%s", (int)n, url, cut ? "?…" : "") >= (int)cap)
        out[cap - 1] = '\0';
}

static struct cal_entry *cal_find(struct policy_source *ps, const char *url)
{
    for (size_t i = 0; i < ps->ncals; i++)
        if (strcmp(ps->cals[i].url, url) == 0)
            return &ps->cals[i];
    return NULL;
}

static struct cal_entry *cal_get(struct policy_source *ps, const char *url)
{
    struct cal_entry *e = cal_find(ps, url);
    if (e)
        return e;
    if (ps->ncals < CALENDAR_CACHE_FILES)
        e = &ps->cals[ps->ncals++];
    else /* full: replace round-robin */
        e = &ps->cals[ps->next_cal_evict++ % CALENDAR_CACHE_FILES];
    cal_entry_clear(e);
    e->url = xstrdup(url);
    return e;
}

/* A validator worth sending back: present, short, one line. */
static char *validator(const struct http_response *r, const char *name)
{
    const char *v = http_response_header(r, name);
    if (v == NULL || v[0] == '\0' || strlen(v) > 256 || strpbrk(v, "\r\n") != NULL)
        return NULL;
    return xstrdup(v);
}

static void slot_take(struct slot *sl, const char *text, size_t len)
{
    sl->text = xstrndup(text, len);
    sl->len = len;
}

/* An answer (or none) for calendar slot sl: the copy to use, or a configuration error. */
static void calendar_settle(struct policy_source *ps, struct slot *sl,
                            const struct http_response *resp, const struct fb_error *err)
{
    int64_t now = time_real_ms();
    struct cal_entry *e = cal_find(ps, sl->url);
    struct calendar_copy none = {0};
    int code = err ? err->code : 0, status = resp ? resp->status : 0;
    char shown[300], failure[FB_ERROR_MSG_MAX + 32], msg[800];
    url_shown(sl->url, shown, sizeof(shown));
    if (code != 0)
        snprintf(failure, sizeof(failure), "%s", err->msg);
    else
        snprintf(failure, sizeof(failure), "HTTP %d", status);
    switch (policy_calendar_result(e ? &e->st : &none, code, status, now)) {
    case CALENDAR_TAKE_NEW:
        e = cal_get(ps, sl->url);
        free(e->text);
        free(e->etag);
        free(e->last_modified);
        free(e->error);
        e->error = NULL;
        e->len = resp->body.len;
        e->text = xstrndup(buf_cstr(&resp->body), e->len);
        e->etag = validator(resp, "ETag");
        e->last_modified = validator(resp, "Last-Modified");
        e->st = (struct calendar_copy){.has_text = true, .validated_at = now};
        slot_take(sl, e->text, e->len);
        return;
    case CALENDAR_KEEP_COPY:
        if (code == 0 && status == 304) {
            e->st.validated_at = now;
            e->st.failed_at = 0;
            e->st.has_error = false;
        } else {
            char when[32];
            time_format_rfc3339(e->st.validated_at, when, sizeof(when));
            log_warn("holiday calendar unreachable, using the copy fetched at %s url=%s error=%s",
                     when, shown, failure);
            e->st.failed_at = now;
        }
        slot_take(sl, e->text, e->len);
        return;
    case CALENDAR_FAILED:
        break;
    }
    if (e && e->st.has_text && is_unreachable(code, status)) {
        char when[32];
        time_format_rfc3339(e->st.validated_at, when, sizeof(when));
        snprintf(msg, sizeof(msg),
                 "holiday calendar %s could not be fetched (%s), and the copy fetched at %s is "
                 "more than 24 h old",
                 shown, failure, when);
    } else {
        snprintf(msg, sizeof(msg), "holiday calendar %s could not be fetched: %s", shown, failure);
    }
    log_warn("holiday calendar could not be used url=%s error=%s", shown, failure);
    e = cal_get(ps, sl->url);
    free(e->error);
    e->error = xstrdup(msg);
    e->st.has_error = true;
    e->st.failed_at = now;
    sl->error = xstrdup(msg);
}

/* ---- critical repositories ------------------------------------------------------- */

bool policy_critical_fact(const struct cfg_org *org, const struct cfg_repo *repo,
                          struct critical_fact *c)
{
    if (org == NULL || repo == NULL || repo->tier == NULL)
        return false;
    for (size_t i = 0; i < org->ncritical_tiers; i++) {
        if (strcmp(org->critical_tiers[i], repo->tier) != 0)
            continue;
        *c = (struct critical_fact){
            .tier = repo->tier,
            .require_approval = org->critical_require_approval,
            .approvals = -1,
            .has_hours = org->critical_hours.set,
            .start_min = org->critical_hours.start_min,
            .end_min = org->critical_hours.end_min,
            .after_lower_tiers = org->critical_after_lower_tiers,
            .lower_tiers_open = -1,
        };
        return true;
    }
    return false;
}

/* ---- turning texts into a view -------------------------------------------------- */

static void add_freezes(struct policy_view *v, const struct cfg_freeze *z, size_t n,
                        const char *scope)
{
    if (n == 0)
        return;
    v->freezes = xrealloc(v->freezes, (v->nfreezes + n) * sizeof(*v->freezes));
    for (size_t i = 0; i < n; i++)
        v->freezes[v->nfreezes++] =
            (struct freeze_fact){z[i].from_ms, z[i].to_ms, z[i].reason, scope};
}

/* One rate scope: key and description are formatted with the same single argument. */
#define add_rate(v, limit, window, key_fmt, what_fmt, arg)                                         \
    do {                                                                                           \
        if ((v)->nrates < 3) {                                                                     \
            snprintf((v)->rate_keys[(v)->nrates], sizeof((v)->rate_keys[0]), key_fmt, arg);        \
            snprintf((v)->rate_what[(v)->nrates], sizeof((v)->rate_what[0]), what_fmt, arg);       \
            (v)->rates[(v)->nrates] =                                                              \
                (struct rate_fact){(v)->rate_what[(v)->nrates], (limit), (window), NULL, 0};       \
            (v)->nrates++;                                                                         \
        }                                                                                          \
    } while (0)

/* Copies src into dst (cap bytes), cutting it if needed: for messages, never for keys. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* "owner/repo/path" of a slot, for messages (cut if absurdly long). */
static void slot_file(const struct slot *sl, char *out, size_t cap)
{
    if (snprintf(out, cap, "%s/%s", sl->repo, sl->path) >= (int)cap)
        out[cap - 1] = '\0';
}

static void config_error_at(struct policy_view *v, const char *file, int line, const char *msg)
{
    if (v->errs.n >= CONFIG_ERRORS_MAX) {
        v->errs.dropped++;
        return;
    }
    struct config_error *e = &v->errs.items[v->errs.n++];
    copy_cut(e->file, sizeof(e->file), file);
    e->line = line > 0 ? line : 1;
    copy_cut(e->msg, sizeof(e->msg), msg);
}

static void config_error(struct policy_view *v, const char *file, const char *msg)
{
    config_error_at(v, file, 1, msg);
}

static struct policy_view *build_view(struct load *ld)
{
    struct app *app = ld->ps->app;
    struct policy_view *v = xcalloc(1, sizeof(*v));
    struct slot *s = ld->slots;
    char file[600];
    if (s[S_ORG].text) {
        slot_file(&s[S_ORG], file, sizeof(file));
        v->has_org = true;
        config_parse_org(file, s[S_ORG].text, s[S_ORG].len, zones_exists, app->zones, &v->org,
                         &v->errs);
    }
    if (s[S_REPO].text) {
        v->has_repo = true;
        config_parse_repo(".github/fleetbot.yml", s[S_REPO].text, s[S_REPO].len, zones_exists,
                          app->zones, &v->repo, &v->errs);
    }
    if (s[S_CATALOG].text && !(v->has_repo && v->repo.team))
        config_parse_catalog("catalog-info.yaml", s[S_CATALOG].text, s[S_CATALOG].len,
                             &v->catalog_owner, &v->errs);
    if (s[S_SHIFT].text) {
        slot_file(&s[S_SHIFT], file, sizeof(file));
        v->has_shift = true;
        config_parse_shift(file, ld->shift, s[S_SHIFT].text, s[S_SHIFT].len, &v->shift, &v->errs);
    }
    for (int i = 0; i < S_COUNT; i++) {
        if (s[i].error) {
            slot_file(&s[i], file, sizeof(file));
            config_error(v, file, s[i].error);
        }
    }
    struct ical_day *days = NULL;
    size_t ndays = 0;
    int64_t today = cal_floor_div(ld->now_ms / 1000, CAL_DAY_S);
    for (int i = S_COUNT; i < ld->nslots; i++) {
        struct fb_error err = {0};
        if (s[i].url) { /* reported at the team in the org file */
            char shown[300], msg[600];
            slot_file(&s[S_ORG], file, sizeof(file));
            url_shown(s[i].url, shown, sizeof(shown));
            if (s[i].error) {
                config_error_at(v, file, s[i].line, s[i].error);
            } else if (ical_memo_expand(ld->ps->ical_memo, s[i].text ? s[i].text : "", s[i].len,
                                        today - 2, today + SCHEDULE_HORIZON_DAYS + 2, &days, &ndays,
                                        &err) != 0) {
                snprintf(msg, sizeof(msg), "holiday calendar %s: %s", shown, err.msg);
                config_error_at(v, file, s[i].line, msg);
            }
            continue;
        }
        slot_file(&s[i], file, sizeof(file));
        if (s[i].error)
            config_error(v, file, s[i].error);
        else if (s[i].text == NULL)
            config_error(v, file, "holiday calendar not found in the config repository");
        else if (ical_memo_expand(ld->ps->ical_memo, s[i].text, s[i].len, today - 2,
                                  today + SCHEDULE_HORIZON_DAYS + 2, &days, &ndays, &err) != 0)
            config_error(v, file, err.msg);
    }
    if (v->has_org && v->errs.n == 0) {
        struct fb_error err = {0};
        if (schedule_resolve(&v->org, v->has_repo ? &v->repo : NULL, v->catalog_owner, app->zones,
                             days, ndays, &v->schedule, &err) == 0)
            v->has_schedule = true;
        else
            config_error(v, ".github/fleetbot.yml", err.msg);
    }
    free(days);
    if (v->has_org && v->has_repo)
        v->has_critical = policy_critical_fact(&v->org, &v->repo, &v->critical);
    v->lower_tier = !v->has_critical;
    if (v->has_org)
        add_freezes(v, v->org.freezes, v->org.nfreezes, "org-wide");
    if (v->has_repo)
        add_freezes(v, v->repo.freezes, v->repo.nfreezes, "this repository's");
    if (v->has_repo && v->repo.opt_out) {
        const struct tz_zone *zone = v->has_schedule ? v->schedule.schedule.zone : NULL;
        struct tz_zone utc;
        tz_fixed(&utc, "UTC", 0);
        const struct tz_zone *z = zone ? zone : &utc;
        int64_t day = v->repo.opt_out_expires_day;
        struct cal_date d = cal_date_from_days(day);
        snprintf(v->expires, sizeof(v->expires), "%04d-%02d-%02d", (int)d.year, d.month, d.day);
        int64_t local_today = cal_floor_div(tz_to_local(z, ld->now_ms / 1000), CAL_DAY_S);
        int64_t max_days = v->has_org ? v->org.opt_out_max_days : 0;
        v->opt_out = (struct opt_out_fact){
            .reason = v->repo.opt_out_reason,
            .until_ms = tz_from_local(z, (day + 1) * CAL_DAY_S) * 1000,
            .max_until_ms =
                max_days ? tz_from_local(z, (local_today + max_days + 1) * CAL_DAY_S) * 1000 : 0,
            .expires = v->expires,
        };
        v->has_opt_out = true;
        tz_free(&utc);
    }
    if (v->has_org) {
        int64_t inst = v->org.per_installation_per_hour;
        int64_t shift =
            v->has_shift && v->shift.per_hour ? v->shift.per_hour : v->org.per_shift_per_hour;
        if (inst > 0)
            add_rate(v, inst, 3600000, "fb:rl:inst:%lld", "automerges of installation %lld",
                     (long long)ld->installation);
        if (shift > 0 && ld->shift[0])
            add_rate(v, shift, 3600000, "fb:rl:shift:%s", "automerges of shift %s", ld->shift);
        if (v->org.repo_spacing_s > 0)
            add_rate(v, 1, v->org.repo_spacing_s * 1000, "fb:rl:repo:%s",
                     "spacing between automerges into %s", ld->repo);
    }
    if (v->errs.n + v->errs.dropped > 0) {
        char text[CONFIG_ERRORS_MAX * 400];
        config_errors_format(&v->errs, text, sizeof(text));
        for (char *p = text; *p; p++)
            if (*p == '\n')
                *p = p[1] ? ';' : '\0';
        v->error_text = xstrdup(text);
    }
    return v;
}

void policy_view_facts(const struct policy_view *v, struct pr_facts *f)
{
    f->schedule = v->has_schedule ? &v->schedule.schedule : NULL;
    f->freezes = v->freezes;
    f->nfreezes = v->nfreezes;
    f->opt_out = v->has_opt_out ? &v->opt_out : NULL;
    f->shift_recommend_only = v->has_shift && !v->shift.automerge;
    f->config_error = v->error_text;
    f->rates = v->rates;
    f->nrates = v->nrates;
    f->critical = v->has_critical ? &v->critical : NULL;
}

void policy_view_free(struct policy_view *v)
{
    if (v == NULL)
        return;
    cfg_org_free(&v->org);
    cfg_repo_free(&v->repo);
    cfg_shift_free(&v->shift);
    free(v->catalog_owner);
    free(v->error_text);
    resolved_schedule_free(&v->schedule);
    free(v->freezes);
    for (size_t i = 0; i < v->nrates; i++)
        free(v->rate_recent[i]);
    free(v);
}

/* ---- fetching ------------------------------------------------------------------- */

static void fetch_slots(struct load *ld, int from, int to);

/* The owning team's holiday calendars (paths in the config repo, URLs) become slots. */
static int add_calendar_slots(struct load *ld)
{
    struct slot *s = ld->slots;
    if (s[S_ORG].text == NULL)
        return 0;
    struct config_errors scratch = {0};
    struct cfg_org org = {0};
    struct cfg_repo repo = {0};
    char *owner = NULL;
    config_parse_org("org", s[S_ORG].text, s[S_ORG].len, NULL, NULL, &org, &scratch);
    if (s[S_REPO].text)
        config_parse_repo("repo", s[S_REPO].text, s[S_REPO].len, NULL, NULL, &repo, &scratch);
    if (s[S_CATALOG].text && repo.team == NULL)
        config_parse_catalog("catalog", s[S_CATALOG].text, s[S_CATALOG].len, &owner, &scratch);
    const char *name = repo.team ? repo.team : owner ? owner : org.default_team;
    const struct cfg_team *team = name ? cfg_org_team(&org, name) : NULL;
    int added = 0;
    for (size_t i = 0; team && i < team->ncalendars && added < CALENDARS_MAX; i++) {
        const char *entry = team->calendars[i];
        struct slot *c = &s[S_COUNT + added++];
        memcpy(c->repo, s[S_ORG].repo, sizeof(c->repo)); /* same size, distinct slots */
        c->gen = s[S_ORG].gen;
        c->line = team->line;
        char shown[300], msg[400];
        switch (policy_calendar_source(entry)) {
        case CALENDAR_URL:
            c->url = xstrdup(entry);
            c->wanted = true;
            break;
        case CALENDAR_REFUSED:
            c->url = xstrdup(entry);
            url_shown(entry, shown, sizeof(shown));
            snprintf(msg, sizeof(msg), "holiday calendar %s: %s", shown,
                     url_has_userinfo(entry, strcspn(entry, ":") + 3)
                         ? "calendar URLs must not carry a user name or password"
                         : "calendar URLs must be https://");
            c->error = xstrdup(msg);
            break;
        case CALENDAR_REPO_PATH:
            if (snprintf(c->path, sizeof(c->path), "%s", entry) >= (int)sizeof(c->path))
                c->error = xstrdup("holiday calendar path is too long");
            else
                c->wanted = true;
            break;
        }
    }
    ld->nslots = S_COUNT + added;
    cfg_org_free(&org);
    cfg_repo_free(&repo);
    free(owner);
    return added;
}

static void load_step_done(struct load *ld)
{
    if (--ld->outstanding > 0)
        return;
    if (ld->err.code == 0 && ld->stage == 0) {
        ld->stage = 1;
        if (add_calendar_slots(ld) > 0) {
            fetch_slots(ld, S_COUNT, ld->nslots);
            return;
        }
    }
    if (ld->err.code != 0) {
        ld->fn(NULL, &ld->err, ld->priv);
    } else {
        struct policy_view *v = build_view(ld);
        struct fb_error ok = {0};
        ld->fn(v, &ok, ld->priv);
    }
    for (int i = 0; i < ld->nslots; i++) {
        free(ld->slots[i].text);
        free(ld->slots[i].error);
        free(ld->slots[i].url);
    }
    free(ld);
}

static void on_calendar(const struct http_response *resp, const struct fb_error *err, void *priv)
{
    struct waiter *w = priv;
    struct load *ld = w->load;
    struct slot *s = &ld->slots[w->slot];
    free(w);
    if (ld->ps->closing) /* the evaluation must not go on to GitHub: the client is gone */
        fb_error_set(&ld->err, FB_ERR_UNAVAILABLE, "fleetbot is shutting down");
    else
        calendar_settle(ld->ps, s, resp, err);
    load_step_done(ld);
}

/* Calendar slot i: from the cache, or a plain GET (conditional when there is a copy). No
 * Authorization header, ever: the URL is not GitHub's. */
static void calendar_fetch(struct load *ld, int i)
{
    struct policy_source *ps = ld->ps;
    struct slot *sl = &ld->slots[i];
    struct cal_entry *e = cal_find(ps, sl->url);
    struct calendar_copy none = {0};
    switch (policy_calendar_step(e ? &e->st : &none, time_real_ms())) {
    case CALENDAR_USE_COPY:
        slot_take(sl, e->text, e->len);
        return;
    case CALENDAR_USE_ERROR:
        sl->error = xstrdup(e->error);
        return;
    case CALENDAR_FETCH:
        break;
    }
    struct fb_error err = {0};
    if (ps->http == NULL) {
        fb_error_set(&err, FB_ERR_INTERNAL, "fleetbot has no HTTP client for calendar URLs");
        calendar_settle(ps, sl, NULL, &err);
        return;
    }
    struct buf inm = BUF_INIT(512), ims = BUF_INIT(512);
    const char *headers[4];
    int nh = 0;
    headers[nh++] = "Accept: text/calendar, */*;q=0.5";
    if (e && e->st.has_text && e->etag && buf_appends(&inm, "If-None-Match: ") == 0 &&
        buf_appends(&inm, e->etag) == 0)
        headers[nh++] = buf_cstr(&inm);
    if (e && e->st.has_text && e->last_modified && buf_appends(&ims, "If-Modified-Since: ") == 0 &&
        buf_appends(&ims, e->last_modified) == 0)
        headers[nh++] = buf_cstr(&ims);
    headers[nh] = NULL;
    struct http_request req = {.method = "GET", .url = sl->url, .headers = headers};
    struct waiter *w = xcalloc(1, sizeof(*w));
    w->load = ld;
    w->slot = i;
    ld->outstanding++;
    if (http_request_start(ps->http, &req, on_calendar, w, &err) != 0) {
        free(w);
        ld->outstanding--;
        calendar_settle(ps, sl, NULL, &err);
    }
    buf_free(&inm);
    buf_free(&ims);
}

/* One waiter's share of a finished read: the text, or why it cannot be used. */
static void apply_file(struct load *ld, struct slot *s, const char *text, size_t len,
                       const struct fb_error *err)
{
    if (err->code == FB_ERR_NOT_FOUND) {
        /* the file does not exist: nothing configured there */
    } else if (err->code == FB_ERR_DENIED) {
        /* the App cannot read it (not installed on the config repo, or no contents
         * permission): a configuration problem for an admin, not a retry */
        char msg[700];
        snprintf(msg, sizeof(msg),
                 "fleetbot cannot read this file (%d %s): install the App on "
                 "%s with contents read permission",
                 err->http_status, err->msg, s->repo);
        s->error = xstrdup(msg);
    } else if (err->code != 0) {
        fb_error_set(&ld->err, err->code, "reading %s/%s: %s", s->repo, s->path, err->msg);
        ld->err.retry_at_ms = err->retry_at_ms;
    } else if (text == NULL) {
        /* a directory, a symlink or an oversized file: report it where it is fixed */
        s->error = xstrdup("not a readable file (a directory, a link, or over 1 MiB)");
    } else {
        s->text = xstrndup(text, len);
        s->len = len;
    }
}

static void on_file(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct fetch *fx = priv;
    struct policy_source *ps = fx->ps;
    for (struct fetch **pp = &ps->flights; *pp; pp = &(*pp)->next) { /* no longer joinable */
        if (*pp == fx) {
            *pp = fx->next;
            break;
        }
    }
    struct buf text = BUF_INIT(FILE_MAX);
    bool readable = false;
    if (err->code == 0) {
        const char *content = json_path_str(resp->json, "content");
        readable = content && policy_base64_decode(content, strlen(content), &text) == 0;
        if (readable)
            cache_put(ps, fx->key, text.data ? text.data : "", text.len, fx->gen);
    } else if (err->code == FB_ERR_NOT_FOUND) {
        cache_put(ps, fx->key, NULL, 0, fx->gen);
    }
    for (size_t i = 0; i < fx->n; i++) {
        struct load *ld = fx->waiters[i].load;
        apply_file(ld, &ld->slots[fx->waiters[i].slot],
                   readable ? (text.data ? text.data : "") : NULL, text.len, err);
        load_step_done(ld);
    }
    buf_free(&text);
    free(fx->waiters);
    free(fx);
}

static void flight_join(struct fetch *fx, struct load *ld, int slot)
{
    if (fx->n == fx->cap) {
        fx->cap = fx->cap ? fx->cap * 2 : 4;
        fx->waiters = xrealloc(fx->waiters, fx->cap * sizeof(*fx->waiters));
    }
    fx->waiters[fx->n++] = (struct waiter){ld, slot};
    ld->outstanding++;
}

static struct fetch *flight_find(struct policy_source *ps, const char *key, int64_t gen)
{
    for (struct fetch *f = ps->flights; f; f = f->next)
        if (f->gen == gen && f->n < FLIGHT_WAITERS_MAX && strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

/* Fetches slots [from, to) that are wanted and not fresh in the cache. */
static void fetch_slots(struct load *ld, int from, int to)
{
    struct policy_source *ps = ld->ps;
    struct slot *s = ld->slots;
    ld->outstanding = 1; /* a guard while sending */
    int64_t real_now = time_real_ms();
    for (int i = from; i < to; i++) {
        if (!s[i].wanted)
            continue;
        if (s[i].url) {
            calendar_fetch(ld, i);
            continue;
        }
        char key[600];
        slot_key(&s[i], key, sizeof(key));
        struct cache_entry *e = cache_find(ps, key);
        if (e && real_now - e->fetched_at < POLICY_CACHE_MS && e->gen == s[i].gen) {
            if (e->text) {
                s[i].text = xstrndup(e->text, e->len);
                s[i].len = e->len;
            }
            continue;
        }
        struct fetch *fx = flight_find(ps, key, s[i].gen);
        if (fx) { /* someone is reading it right now: share that answer */
            flight_join(fx, ld, i);
            continue;
        }
        char path[700];
        snprintf(path, sizeof(path), "/repos/%s/contents/%s", s[i].repo, s[i].path);
        struct gh_request req = {
            .method = "GET", .path = path, .installation_id = ld->installation, .use_etag = true};
        fx = xcalloc(1, sizeof(*fx));
        fx->ps = ps;
        snprintf(fx->key, sizeof(fx->key), "%s", key);
        fx->gen = s[i].gen;
        if (gh_request_send(ps->app->gh, &req, on_file, fx) != 0) {
            free(fx);
            fb_error_set(&ld->err, FB_ERR_UNAVAILABLE, "github client refused the request");
            continue;
        }
        fx->next = ps->flights;
        ps->flights = fx;
        flight_join(fx, ld, i);
    }
    load_step_done(ld);
}

static int64_t reply_gen(const redisReply *r)
{
    int64_t v = 0;
    if (r && r->type == REDIS_REPLY_STRING)
        parse_i64(r->str, r->len, 0, INT64_MAX, &v);
    return v;
}

/* The generations of the org's and the repo's policy files, then the files. */
static void on_generations(redisReply *reply, void *priv)
{
    struct load *ld = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        fb_error_set(&ld->err, FB_ERR_UNAVAILABLE, "redis: %s", fb_redis_reply_error_text(reply));
        ld->outstanding = 1;
        load_step_done(ld);
        return;
    }
    int64_t org = reply_gen(reply->element[0]), repo = reply_gen(reply->element[1]);
    ld->slots[S_ORG].gen = ld->slots[S_SHIFT].gen = org;
    ld->slots[S_REPO].gen = ld->slots[S_CATALOG].gen = repo;
    fetch_slots(ld, 0, S_COUNT);
}

int policy_load(struct policy_source *ps, int64_t installation, const char *repo, const char *shift,
                int64_t now_ms, policy_done_fn fn, void *priv)
{
    struct load *ld = xcalloc(1, sizeof(*ld));
    ld->ps = ps;
    ld->fn = fn;
    ld->priv = priv;
    ld->installation = installation;
    ld->now_ms = now_ms;
    snprintf(ld->repo, sizeof(ld->repo), "%s", repo);
    snprintf(ld->shift, sizeof(ld->shift), "%s", shift ? shift : "");
    char config_repo[256];
    settings_config_repo(&ps->app->settings, repo, config_repo, sizeof(config_repo));
    struct slot *s = ld->slots;
    snprintf(s[S_ORG].repo, sizeof(s[S_ORG].repo), "%s", config_repo);
    snprintf(s[S_ORG].path, sizeof(s[S_ORG].path), "fleetbot.yml");
    s[S_ORG].wanted = true;
    if (ld->shift[0]) {
        snprintf(s[S_SHIFT].repo, sizeof(s[S_SHIFT].repo), "%s", config_repo);
        snprintf(s[S_SHIFT].path, sizeof(s[S_SHIFT].path), "shifts/%s.yml", ld->shift);
        s[S_SHIFT].wanted = true;
    }
    snprintf(s[S_REPO].repo, sizeof(s[S_REPO].repo), "%s", repo);
    snprintf(s[S_REPO].path, sizeof(s[S_REPO].path), ".github/fleetbot.yml");
    s[S_REPO].wanted = true;
    snprintf(s[S_CATALOG].repo, sizeof(s[S_CATALOG].repo), "%s", repo);
    snprintf(s[S_CATALOG].path, sizeof(s[S_CATALOG].path), "catalog-info.yaml");
    s[S_CATALOG].wanted = true;

    ld->nslots = S_COUNT;
    char owner[128]; /* hiredis formats %s and %b only: no precision */
    snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(repo, "/"), repo);
    if (fb_redis_command(ps->app->redis, on_generations, ld,
                         "MGET " STORE_POLICY_GEN_PREFIX "%s " STORE_POLICY_GEN_PREFIX "%s", owner,
                         repo) != 0) {
        free(ld);
        return FB_ERR_UNAVAILABLE;
    }
    return 0;
}
