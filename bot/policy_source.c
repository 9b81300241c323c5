/*
 * policy_source.c - up to four contents-API reads in parallel per evaluation (each served
 * from the per-process cache when fresh), then strict parsing and resolution into the
 * facts the gates read. A missing file (404) is normal and means "nothing configured".
 */
#include "policy_source.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "err.h"
#include "gh_client.h"
#include "ical.h"
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

struct policy_source {
    struct app *app;
    struct cache_entry *entries;
    size_t n;
    size_t next_evict;
};

struct slot {
    char repo[256];
    char path[300];
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

struct fetch {
    struct load *load;
    int slot;
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
    ps->entries = xcalloc(POLICY_CACHE_FILES, sizeof(*ps->entries));
    return ps;
}

void policy_source_free(struct policy_source *ps)
{
    if (ps == NULL)
        return;
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->entries[i].key);
        free(ps->entries[i].text);
    }
    free(ps->entries);
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

static void config_error(struct policy_view *v, const char *file, const char *msg)
{
    if (v->errs.n >= CONFIG_ERRORS_MAX) {
        v->errs.dropped++;
        return;
    }
    struct config_error *e = &v->errs.items[v->errs.n++];
    copy_cut(e->file, sizeof(e->file), file);
    e->line = 1;
    copy_cut(e->msg, sizeof(e->msg), msg);
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
        slot_file(&s[i], file, sizeof(file));
        struct fb_error err = {0};
        if (s[i].error)
            config_error(v, file, s[i].error);
        else if (s[i].text == NULL)
            config_error(v, file, "holiday calendar not found in the config repository");
        else if (ical_expand(s[i].text, s[i].len, today - 2, today + SCHEDULE_HORIZON_DAYS + 2,
                             &days, &ndays, &err) != 0)
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

/* The owning team's holiday calendars (paths in the config repo) become slots. */
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
        struct slot *c = &s[S_COUNT + added++];
        memcpy(c->repo, s[S_ORG].repo, sizeof(c->repo)); /* same size, distinct slots */
        c->gen = s[S_ORG].gen;
        snprintf(c->path, sizeof(c->path), "%s", team->calendars[i]);
        if (strncmp(team->calendars[i], "https://", 8) == 0)
            c->error = xstrdup("https:// calendars are not fetched yet; commit the .ics file "
                               "to the config repository and name its path");
        else
            c->wanted = true;
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
    }
    free(ld);
}

static void on_file(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    struct fetch *fx = priv;
    struct load *ld = fx->load;
    struct slot *s = &ld->slots[fx->slot];
    free(fx);
    char key[600];
    slot_key(s, key, sizeof(key));
    if (err->code == FB_ERR_NOT_FOUND) {
        cache_put(ld->ps, key, NULL, 0, s->gen);
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
    } else {
        const char *content = json_path_str(resp->json, "content");
        struct buf text = BUF_INIT(FILE_MAX);
        if (content == NULL || policy_base64_decode(content, strlen(content), &text) != 0) {
            /* a directory, a symlink or an oversized file: report it where it is fixed */
            s->error = xstrdup("not a readable file (a directory, a link, or over 1 MiB)");
        } else {
            s->text = xstrndup(text.data ? text.data : "", text.len);
            s->len = text.len;
            cache_put(ld->ps, key, s->text, s->len, s->gen);
        }
        buf_free(&text);
    }
    load_step_done(ld);
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
        char path[700];
        snprintf(path, sizeof(path), "/repos/%s/contents/%s", s[i].repo, s[i].path);
        struct gh_request req = {
            .method = "GET", .path = path, .installation_id = ld->installation, .use_etag = true};
        struct fetch *fx = xcalloc(1, sizeof(*fx));
        fx->load = ld;
        fx->slot = i;
        ld->outstanding++;
        if (gh_request_send(ps->app->gh, &req, on_file, fx) != 0) {
            free(fx);
            ld->outstanding--;
            fb_error_set(&ld->err, FB_ERR_UNAVAILABLE, "github client refused the request");
        }
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
    const char *cr = ps->app->settings.config_repo;
    if (cr)
        snprintf(config_repo, sizeof(config_repo), "%s", cr);
    else
        snprintf(config_repo, sizeof(config_repo), "%.*s/.github", (int)strcspn(repo, "/"), repo);
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
