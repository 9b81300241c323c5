/*
 * config.c - strict readers of fleetbot's YAML files (yaml_tree.c gives nodes with lines).
 * Each reader walks its keys once, checks every value, and records every problem with
 * file and line; defaults are filled in for what is left out.
 */
#include "config.h"

#include "alloc.h"
#include "err.h"
#include "parse.h"
#include "policies/calendar.h"
#include "policies/schedule.h"
#include "timeutil.h"
#include "yaml_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_START_MIN   (9 * 60)
#define DEFAULT_END_MIN     (17 * 60)
#define DEFAULT_WEEKEND     ((uint8_t)((1u << 0) | (1u << 6)))
#define OPT_OUT_MAX_DAYS    90
#define OPT_OUT_NOTICE_DAYS 3

struct pctx {
    const char *file;
    struct config_errors *errs;
    size_t errs_before;
    config_zone_fn zone_fn;
    void *zone_priv;
};

__attribute__((format(printf, 3, 4))) static void fail(struct pctx *p, int line, const char *fmt,
                                                       ...)
{
    struct config_errors *e = p->errs;
    if (e->n >= CONFIG_ERRORS_MAX) {
        e->dropped++;
        return;
    }
    struct config_error *it = &e->items[e->n++];
    snprintf(it->file, sizeof(it->file), "%s", p->file);
    it->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->msg, sizeof(it->msg), fmt, ap);
    va_end(ap);
}

static int result(struct pctx *p)
{
    return p->errs->n + p->errs->dropped > p->errs_before ? FB_ERR_INVALID : 0;
}

static bool is_kind(struct pctx *p, const struct ynode *n, enum ynode_kind k, const char *what)
{
    if (n->kind == k)
        return true;
    fail(p, n->line, "%s must be %s, not %s", what, ynode_kind_name(k), ynode_kind_name(n->kind));
    return false;
}

/* Every key of map must be one of allowed (NULL-terminated). */
static void only_keys(struct pctx *p, const struct ynode *map, const char *const *allowed,
                      const char *where)
{
    for (size_t i = 0; i < map->n; i++) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(map->keys[i], *a) == 0;
        if (!ok) {
            char list[256] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a; a++) {
                int w = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *a);
                if (w < 0 || (size_t)w >= sizeof(list) - used)
                    break;
                used += (size_t)w;
            }
            fail(p, map->items[i]->line, "unknown key \"%s\" in %s (known: %s)", map->keys[i],
                 where, list);
        }
    }
}

static char *text_of(struct pctx *p, const struct ynode *n, const char *what)
{
    if (!is_kind(p, n, YNODE_SCALAR, what))
        return NULL;
    if (n->len == 0) {
        fail(p, n->line, "%s must not be empty", what);
        return NULL;
    }
    return xstrdup(n->value);
}

static bool int_of(struct pctx *p, const struct ynode *n, int64_t min, int64_t max, int64_t *out,
                   const char *what)
{
    if (!is_kind(p, n, YNODE_SCALAR, what))
        return false;
    if (parse_i64(n->value, n->len, min, max, out) != 0) {
        fail(p, n->line, "%s must be a whole number from %lld to %lld, not \"%s\"", what,
             (long long)min, (long long)max, n->value);
        return false;
    }
    return true;
}

static bool bool_of(struct pctx *p, const struct ynode *n, bool *out, const char *what)
{
    if (is_kind(p, n, YNODE_SCALAR, what) && n->plain) {
        if (strcmp(n->value, "true") == 0 || strcmp(n->value, "false") == 0) {
            *out = n->value[0] == 't';
            return true;
        }
    }
    if (n->kind == YNODE_SCALAR)
        fail(p, n->line, "%s must be true or false, not \"%s\"", what, n->value);
    return false;
}

/* "30s", "15m", "2h" */
static bool duration_of(struct pctx *p, const struct ynode *n, int64_t *seconds, const char *what)
{
    if (!is_kind(p, n, YNODE_SCALAR, what))
        return false;
    int64_t v;
    char unit = n->len ? n->value[n->len - 1] : '\0';
    int64_t mult = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
    if (mult == 0 || parse_i64(n->value, n->len - 1, 0, 7 * 24 * 3600, &v) != 0) {
        fail(p, n->line, "%s must be a duration such as 90s, 30m or 2h, not \"%s\"", what,
             n->value);
        return false;
    }
    *seconds = v * mult;
    return true;
}

static void hours_of(struct pctx *p, const struct ynode *n, struct cfg_hours *out, const char *what)
{
    if (!is_kind(p, n, YNODE_SCALAR, what))
        return;
    int a, b;
    if (n->len != 11 || n->value[5] != '-' || schedule_parse_hhmm(n->value, 5, &a) != 0 ||
        schedule_parse_hhmm(n->value + 6, 5, &b) != 0 || a == 1440 || b == 0 || a == b) {
        fail(p, n->line,
             "%s must be \"HH:MM-HH:MM\" (e.g. \"09:00-17:00\", or \"22:00-06:00\" across "
             "midnight), not \"%s\"",
             what, n->value);
        return;
    }
    out->set = true;
    out->start_min = a;
    out->end_min = b;
}

static void weekend_of(struct pctx *p, const struct ynode *n, uint8_t *mask, bool *set,
                       const char *what)
{
    if (!is_kind(p, n, YNODE_SEQ, what))
        return;
    uint8_t m = 0;
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *d = n->items[i];
        int wd = d->kind == YNODE_SCALAR ? schedule_parse_weekday(d->value, d->len) : -1;
        if (wd < 0) {
            fail(p, d->line, "%s: \"%s\" is not a weekday (mon, tue, ... sun)", what,
                 d->kind == YNODE_SCALAR ? d->value : ynode_kind_name(d->kind));
            return;
        }
        m |= (uint8_t)(1u << wd);
    }
    if (m == 0x7f) {
        fail(p, n->line, "%s names all seven days: fleetbot could never merge", what);
        return;
    }
    *mask = m;
    *set = true;
}

static char *timezone_of(struct pctx *p, const struct ynode *n, const char *what)
{
    char *tz = text_of(p, n, what);
    if (tz && p->zone_fn && !p->zone_fn(tz, p->zone_priv)) {
        fail(p, n->line, "%s: unknown time zone \"%s\" (use an IANA name such as Europe/Stockholm)",
             what, tz);
        free(tz);
        return NULL;
    }
    return tz;
}

static void freezes_of(struct pctx *p, const struct ynode *n, struct cfg_freeze **out,
                       size_t *count)
{
    static const char *const keys[] = {"from", "to", "reason", NULL};
    if (!is_kind(p, n, YNODE_SEQ, "freezes"))
        return;
    *out = xcalloc(n->n ? n->n : 1, sizeof(**out));
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *f = n->items[i];
        if (!is_kind(p, f, YNODE_MAP, "a freeze"))
            continue;
        only_keys(p, f, keys, "a freeze");
        const struct ynode *from = ynode_get(f, "from"), *to = ynode_get(f, "to"),
                           *reason = ynode_get(f, "reason");
        struct cfg_freeze fz = {.line = f->line};
        bool ok = true;
        if (from == NULL || to == NULL || reason == NULL) {
            fail(p, f->line, "a freeze needs from, to and reason");
            continue;
        }
        if (from->kind != YNODE_SCALAR || time_parse_rfc3339(from->value, &fz.from_ms) != 0) {
            fail(p, from->line, "freeze from must be a time like 2026-12-20T00:00:00+01:00");
            ok = false;
        }
        if (to->kind != YNODE_SCALAR || time_parse_rfc3339(to->value, &fz.to_ms) != 0) {
            fail(p, to->line, "freeze to must be a time like 2027-01-04T00:00:00+01:00");
            ok = false;
        }
        if (ok && fz.to_ms <= fz.from_ms) {
            fail(p, to->line, "freeze ends before it starts");
            ok = false;
        }
        fz.reason = text_of(p, reason, "freeze reason");
        if (!ok || fz.reason == NULL) {
            free(fz.reason);
            continue;
        }
        (*out)[(*count)++] = fz;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* http://127.0.0.1[:port]/... or http://localhost[:port]/...: plain http for tests only */
static bool is_loopback_http(const char *c)
{
    const char *a = c + 7;
    size_t n = strcspn(a, "/?#"), host = strcspn(a, ":/?#");
    if (memchr(a, '@', n) != NULL)
        return false;
    return (host == 9 && (memcmp(a, "127.0.0.1", 9) == 0 || strncasecmp(a, "localhost", 9) == 0));
}

static void holidays_of(struct pctx *p, const struct ynode *n, struct cfg_team *t)
{
    static const char *const keys[] = {"dates", "calendars", NULL};
    if (!is_kind(p, n, YNODE_MAP, "holidays"))
        return;
    only_keys(p, n, keys, "holidays");
    const struct ynode *dates = ynode_get(n, "dates");
    if (dates && is_kind(p, dates, YNODE_SEQ, "holidays.dates")) {
        t->holiday_days = xcalloc(dates->n ? dates->n : 1, sizeof(int64_t));
        for (size_t i = 0; i < dates->n; i++) {
            const struct ynode *d = dates->items[i];
            int64_t day;
            if (d->kind != YNODE_SCALAR || cal_parse_date(d->value, d->len, &day) != 0) {
                fail(p, d->line, "holiday \"%s\" is not a date like 2026-12-24",
                     d->kind == YNODE_SCALAR ? d->value : ynode_kind_name(d->kind));
                continue;
            }
            t->holiday_days[t->nholiday_days++] = day;
        }
        qsort(t->holiday_days, t->nholiday_days, sizeof(int64_t), cmp_i64);
    }
    const struct ynode *cals = ynode_get(n, "calendars");
    if (cals && is_kind(p, cals, YNODE_SEQ, "holidays.calendars")) {
        t->calendars = xcalloc(cals->n ? cals->n : 1, sizeof(char *));
        for (size_t i = 0; i < cals->n; i++) {
            char *c = text_of(p, cals->items[i], "a holiday calendar");
            if (c && strncmp(c, "http://", 7) == 0 && !is_loopback_http(c)) {
                fail(p, cals->items[i]->line,
                     "holiday calendar \"%s\": calendar URLs must be https://", c);
                free(c);
                c = NULL;
            } else if (c && strncmp(c, "https://", 8) != 0 && strncmp(c, "http://", 7) != 0 &&
                       (c[0] == '/' || strstr(c, "..") != NULL || strstr(c, "://") != NULL)) {
                fail(p, cals->items[i]->line,
                     "holiday calendar \"%s\" must be an https:// URL or a path in the config "
                     "repository",
                     c);
                free(c);
                c = NULL;
            }
            if (c)
                t->calendars[t->ncalendars++] = c;
        }
    }
}

static void team_of(struct pctx *p, const char *name, const struct ynode *n, struct cfg_team *t)
{
    static const char *const keys[] = {"timezone", "hours", "weekend", "holidays", NULL};
    char where[160];
    snprintf(where, sizeof(where), "team \"%s\"", name);
    t->name = xstrdup(name);
    t->line = n->line;
    t->hours = (struct cfg_hours){true, DEFAULT_START_MIN, DEFAULT_END_MIN};
    t->weekend = DEFAULT_WEEKEND;
    if (!is_kind(p, n, YNODE_MAP, where))
        return;
    only_keys(p, n, keys, where);
    const struct ynode *v;
    if ((v = ynode_get(n, "timezone")) != NULL)
        t->timezone = timezone_of(p, v, "timezone");
    else
        fail(p, n->line, "%s needs a timezone (an IANA name such as Europe/Stockholm)", where);
    if ((v = ynode_get(n, "hours")) != NULL)
        hours_of(p, v, &t->hours, "hours");
    if ((v = ynode_get(n, "weekend")) != NULL)
        weekend_of(p, v, &t->weekend, &t->weekend_set, "weekend");
    if ((v = ynode_get(n, "holidays")) != NULL)
        holidays_of(p, v, t);
}

/* firewatch: {min_implicated, max_failure_percent, window, alert_repo} */
static void firewatch_of(struct pctx *p, const struct ynode *v, struct cfg_firewatch *fw)
{
    if (!is_kind(p, v, YNODE_MAP, "firewatch"))
        return;
    static const char *const keys[] = {"min_implicated", "max_failure_percent", "window",
                                       "alert_repo", NULL};
    only_keys(p, v, keys, "firewatch");
    const struct ynode *w;
    if ((w = ynode_get(v, "min_implicated")) != NULL)
        int_of(p, w, 1, 100000, &fw->min_implicated, "firewatch.min_implicated");
    if ((w = ynode_get(v, "max_failure_percent")) != NULL)
        int_of(p, w, 1, 100, &fw->max_failure_percent, "firewatch.max_failure_percent");
    if ((w = ynode_get(v, "window")) != NULL)
        duration_of(p, w, &fw->window_s, "firewatch.window");
    if ((w = ynode_get(v, "alert_repo")) != NULL) {
        fw->alert_repo = text_of(p, w, "firewatch.alert_repo");
        const char *r = fw->alert_repo;
        const char *slash = r ? strchr(r, '/') : NULL;
        if (r && (slash == NULL || slash == r || slash[1] == '\0' || strchr(slash + 1, '/') ||
                  strlen(r) > 200)) {
            fail(p, w->line, "firewatch.alert_repo must be owner/name, not \"%s\"", r);
            free(fw->alert_repo);
            fw->alert_repo = NULL;
        }
    }
}

static char **strv_of(struct pctx *p, const struct ynode *n, size_t *count, const char *what)
{
    *count = 0;
    if (!is_kind(p, n, YNODE_SEQ, what))
        return NULL;
    char **v = xcalloc(n->n ? n->n : 1, sizeof(char *));
    for (size_t i = 0; i < n->n; i++) {
        char *t = text_of(p, n->items[i], what);
        if (t)
            v[(*count)++] = t;
    }
    return v;
}

/* cohorts: [{name, repos: [...], tiers: [...]}], health_bar: {min_merged_percent, soak} */
static void cohorts_of(struct pctx *p, const struct ynode *v, struct cfg_shift *s)
{
    if (!is_kind(p, v, YNODE_SEQ, "cohorts"))
        return;
    if (v->n > 32) {
        fail(p, v->line, "cohorts: at most 32");
        return;
    }
    s->cohorts = xcalloc(v->n ? v->n : 1, sizeof(*s->cohorts));
    for (size_t i = 0; i < v->n; i++) {
        const struct ynode *c = v->items[i], *w;
        if (!is_kind(p, c, YNODE_MAP, "a cohort"))
            continue;
        static const char *const keys[] = {"name", "repos", "tiers", NULL};
        only_keys(p, c, keys, "a cohort");
        struct cfg_cohort *co = &s->cohorts[s->ncohorts++];
        co->line = c->line;
        if ((w = ynode_get(c, "name")) != NULL)
            co->name = text_of(p, w, "a cohort's name");
        else
            fail(p, c->line, "a cohort needs a name");
        if ((w = ynode_get(c, "repos")) != NULL)
            co->repos = strv_of(p, w, &co->nrepos, "cohort repos");
        if ((w = ynode_get(c, "tiers")) != NULL)
            co->tiers = strv_of(p, w, &co->ntiers, "cohort tiers");
        for (size_t k = 0; co->name && k + 1 < s->ncohorts; k++)
            if (s->cohorts[k].name && strcmp(s->cohorts[k].name, co->name) == 0)
                fail(p, c->line, "cohort \"%s\" is named twice", co->name);
    }
}

int cfg_shift_cohort_of(const struct cfg_shift *s, const char *repo, const char *tier)
{
    if (s == NULL || s->ncohorts == 0)
        return -1;
    for (size_t i = 0; i < s->ncohorts; i++)
        for (size_t k = 0; repo && k < s->cohorts[i].nrepos; k++)
            if (strcasecmp(s->cohorts[i].repos[k], repo) == 0)
                return (int)i;
    for (size_t i = 0; i < s->ncohorts; i++)
        for (size_t k = 0; tier && k < s->cohorts[i].ntiers; k++)
            if (strcmp(s->cohorts[i].tiers[k], tier) == 0)
                return (int)i;
    for (size_t i = 0; i < s->ncohorts; i++)
        if (s->cohorts[i].nrepos == 0 && s->cohorts[i].ntiers == 0)
            return (int)i;
    return (int)s->ncohorts - 1;
}

static void org_of(struct pctx *p, const struct ynode *root, struct cfg_org *o)
{
    static const char *const keys[] = {"defaults", "teams",    "rate_limits", "freezes",
                                       "critical", "opt_outs", "firewatch",   NULL};
    only_keys(p, root, keys, "fleetbot.yml");
    const struct ynode *v, *w;
    if ((v = ynode_get(root, "teams")) != NULL && is_kind(p, v, YNODE_MAP, "teams")) {
        o->teams = xcalloc(v->n ? v->n : 1, sizeof(*o->teams));
        for (size_t i = 0; i < v->n; i++)
            team_of(p, v->keys[i], v->items[i], &o->teams[o->nteams++]);
    }
    if ((v = ynode_get(root, "defaults")) != NULL && is_kind(p, v, YNODE_MAP, "defaults")) {
        static const char *const dkeys[] = {"team", NULL};
        only_keys(p, v, dkeys, "defaults");
        if ((w = ynode_get(v, "team")) != NULL) {
            o->default_team = text_of(p, w, "defaults.team");
            if (o->default_team && cfg_org_team(o, o->default_team) == NULL)
                fail(p, w->line, "defaults.team \"%s\" is not one of the teams", o->default_team);
        }
    }
    if ((v = ynode_get(root, "rate_limits")) != NULL && is_kind(p, v, YNODE_MAP, "rate_limits")) {
        static const char *const rkeys[] = {"per_installation_per_hour", "per_shift_per_hour",
                                            "repo_spacing", NULL};
        only_keys(p, v, rkeys, "rate_limits");
        if ((w = ynode_get(v, "per_installation_per_hour")) != NULL)
            int_of(p, w, 1, 100000, &o->per_installation_per_hour,
                   "rate_limits.per_installation_per_hour");
        if ((w = ynode_get(v, "per_shift_per_hour")) != NULL)
            int_of(p, w, 1, 100000, &o->per_shift_per_hour, "rate_limits.per_shift_per_hour");
        if ((w = ynode_get(v, "repo_spacing")) != NULL)
            duration_of(p, w, &o->repo_spacing_s, "rate_limits.repo_spacing");
    }
    if ((v = ynode_get(root, "freezes")) != NULL)
        freezes_of(p, v, &o->freezes, &o->nfreezes);
    o->opt_out_max_days = OPT_OUT_MAX_DAYS;
    o->opt_out_notice_days = OPT_OUT_NOTICE_DAYS;
    if ((v = ynode_get(root, "opt_outs")) != NULL && is_kind(p, v, YNODE_MAP, "opt_outs")) {
        static const char *const okeys[] = {"max_days", "notice_days", NULL};
        only_keys(p, v, okeys, "opt_outs");
        if ((w = ynode_get(v, "max_days")) != NULL)
            int_of(p, w, 1, 366, &o->opt_out_max_days, "opt_outs.max_days");
        if ((w = ynode_get(v, "notice_days")) != NULL)
            int_of(p, w, 0, 30, &o->opt_out_notice_days, "opt_outs.notice_days");
    }
    if ((v = ynode_get(root, "firewatch")) != NULL)
        firewatch_of(p, v, &o->firewatch);
    if ((v = ynode_get(root, "critical")) != NULL && is_kind(p, v, YNODE_MAP, "critical")) {
        static const char *const ckeys[] = {"tiers", "require_approval", "hours",
                                            "after_lower_tiers", NULL};
        only_keys(p, v, ckeys, "critical");
        if ((w = ynode_get(v, "tiers")) != NULL && is_kind(p, w, YNODE_SEQ, "critical.tiers")) {
            o->critical_tiers = xcalloc(w->n ? w->n : 1, sizeof(char *));
            for (size_t i = 0; i < w->n; i++) {
                char *t = text_of(p, w->items[i], "a critical tier");
                if (t)
                    o->critical_tiers[o->ncritical_tiers++] = t;
            }
        }
        if ((w = ynode_get(v, "require_approval")) != NULL)
            bool_of(p, w, &o->critical_require_approval, "critical.require_approval");
        if ((w = ynode_get(v, "hours")) != NULL)
            hours_of(p, w, &o->critical_hours, "critical.hours");
        if ((w = ynode_get(v, "after_lower_tiers")) != NULL)
            bool_of(p, w, &o->critical_after_lower_tiers, "critical.after_lower_tiers");
    }
}

static struct ynode *load(struct pctx *p, const char *text, size_t len)
{
    struct ynode *root = NULL;
    struct fb_error err = {0};
    if (yaml_tree_parse(text, len, &root, &err) != 0) {
        int line = 1;
        const char *m = err.msg;
        if (strncmp(m, "line ", 5) == 0) {
            line = (int)strtol(m + 5, NULL, 10);
            const char *colon = strchr(m, ':');
            m = colon ? colon + 2 : m;
        }
        fail(p, line, "%s", m);
        return NULL;
    }
    if (root->kind != YNODE_MAP) {
        fail(p, root->line, "the file must be a mapping of keys, not %s",
             ynode_kind_name(root->kind));
        ynode_free(root);
        return NULL;
    }
    return root;
}

int config_parse_org(const char *file, const char *text, size_t len, config_zone_fn zone_fn,
                     void *zone_priv, struct cfg_org *out, struct config_errors *errs)
{
    struct pctx p = {file, errs, errs->n + errs->dropped, zone_fn, zone_priv};
    struct ynode *root = load(&p, text, len);
    if (root)
        org_of(&p, root, out);
    ynode_free(root);
    return result(&p);
}

int config_parse_shift(const char *file, const char *name, const char *text, size_t len,
                       struct cfg_shift *out, struct config_errors *errs)
{
    static const char *const keys[] = {"description",  "owners",     "automerge",
                                       "merge_method", "firewatch",  "rate_limit_per_hour",
                                       "cohorts",      "health_bar", NULL};
    struct pctx p = {file, errs, errs->n + errs->dropped, NULL, NULL};
    out->name = xstrdup(name);
    out->automerge = true;
    struct ynode *root = load(&p, text, len);
    if (root == NULL)
        return result(&p);
    only_keys(&p, root, keys, "a shift");
    const struct ynode *v;
    if ((v = ynode_get(root, "owners")) == NULL || v->kind != YNODE_SEQ || v->n == 0) {
        fail(&p, v ? v->line : 1, "a shift needs owners: a list of GitHub logins or @org/team");
    } else {
        out->owners = xcalloc(v->n, sizeof(char *));
        for (size_t i = 0; i < v->n; i++) {
            char *o = text_of(&p, v->items[i], "an owner");
            if (o)
                out->owners[out->nowners++] = o;
        }
    }
    if ((v = ynode_get(root, "automerge")) != NULL)
        bool_of(&p, v, &out->automerge, "automerge");
    if ((v = ynode_get(root, "merge_method")) != NULL) {
        out->merge_method = text_of(&p, v, "merge_method");
        if (out->merge_method && strcmp(out->merge_method, "merge") &&
            strcmp(out->merge_method, "squash") && strcmp(out->merge_method, "rebase")) {
            fail(&p, v->line, "merge_method must be merge, squash or rebase, not \"%s\"",
                 out->merge_method);
        }
    }
    if ((v = ynode_get(root, "rate_limit_per_hour")) != NULL)
        int_of(&p, v, 1, 100000, &out->per_hour, "rate_limit_per_hour");
    if ((v = ynode_get(root, "description")) != NULL)
        is_kind(&p, v, YNODE_SCALAR, "description");
    if ((v = ynode_get(root, "firewatch")) != NULL)
        firewatch_of(&p, v, &out->firewatch);
    out->cohort_min_percent = 100;
    if ((v = ynode_get(root, "cohorts")) != NULL)
        cohorts_of(&p, v, out);
    if ((v = ynode_get(root, "health_bar")) != NULL && is_kind(&p, v, YNODE_MAP, "health_bar")) {
        static const char *const hkeys[] = {"min_merged_percent", "soak", NULL};
        only_keys(&p, v, hkeys, "health_bar");
        const struct ynode *w;
        if ((w = ynode_get(v, "min_merged_percent")) != NULL)
            int_of(&p, w, 1, 100, &out->cohort_min_percent, "health_bar.min_merged_percent");
        if ((w = ynode_get(v, "soak")) != NULL)
            duration_of(&p, w, &out->cohort_soak_s, "health_bar.soak");
    }
    ynode_free(root);
    return result(&p);
}

int config_parse_repo(const char *file, const char *text, size_t len, config_zone_fn zone_fn,
                      void *zone_priv, struct cfg_repo *out, struct config_errors *errs)
{
    static const char *const keys[] = {"team", "timezone", "hours",   "weekend",
                                       "tier", "freezes",  "opt_out", NULL};
    struct pctx p = {file, errs, errs->n + errs->dropped, zone_fn, zone_priv};
    struct ynode *root = load(&p, text, len);
    if (root == NULL)
        return result(&p);
    only_keys(&p, root, keys, ".github/fleetbot.yml");
    const struct ynode *v, *w;
    if ((v = ynode_get(root, "team")) != NULL)
        out->team = text_of(&p, v, "team");
    if ((v = ynode_get(root, "timezone")) != NULL)
        out->timezone = timezone_of(&p, v, "timezone");
    if ((v = ynode_get(root, "hours")) != NULL)
        hours_of(&p, v, &out->hours, "hours");
    if ((v = ynode_get(root, "weekend")) != NULL)
        weekend_of(&p, v, &out->weekend, &out->weekend_set, "weekend");
    if ((v = ynode_get(root, "tier")) != NULL)
        out->tier = text_of(&p, v, "tier");
    if ((v = ynode_get(root, "freezes")) != NULL)
        freezes_of(&p, v, &out->freezes, &out->nfreezes);
    if ((v = ynode_get(root, "opt_out")) != NULL && is_kind(&p, v, YNODE_MAP, "opt_out")) {
        static const char *const okeys[] = {"reason", "expires", NULL};
        only_keys(&p, v, okeys, "opt_out");
        out->opt_out_line = v->line;
        bool ok = true;
        if ((w = ynode_get(v, "reason")) == NULL) {
            fail(&p, v->line, "an opt-out needs a reason (why fleetbot must not merge here)");
            ok = false;
        } else if ((out->opt_out_reason = text_of(&p, w, "opt_out.reason")) == NULL) {
            ok = false;
        }
        if ((w = ynode_get(v, "expires")) == NULL) {
            fail(&p, v->line, "an opt-out needs expires: the last day it holds, like 2027-01-31");
            ok = false;
        } else if (w->kind != YNODE_SCALAR ||
                   cal_parse_date(w->value, w->len, &out->opt_out_expires_day) != 0) {
            fail(&p, w->line, "opt_out.expires must be a date like 2027-01-31");
            ok = false;
        }
        out->opt_out = ok;
    }
    ynode_free(root);
    return result(&p);
}

int config_parse_catalog(const char *file, const char *text, size_t len, char **owner,
                         struct config_errors *errs)
{
    struct pctx p = {file, errs, errs->n + errs->dropped, NULL, NULL};
    *owner = NULL;
    struct ynode *root = load(&p, text, len);
    if (root == NULL)
        return result(&p);
    const struct ynode *o = ynode_get(ynode_get(root, "spec"), "owner");
    if (o && o->kind == YNODE_SCALAR && o->len > 0) {
        const char *name = o->value;
        if (strncmp(name, "group:", 6) == 0)
            name += 6;
        const char *slash = strrchr(name, '/'); /* "group:default/payments" */
        if (slash)
            name = slash + 1;
        if (name[0])
            *owner = xstrdup(name);
    }
    ynode_free(root);
    return result(&p);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_freezes(struct cfg_freeze *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i].reason);
    free(f);
}

void cfg_org_free(struct cfg_org *o)
{
    for (size_t i = 0; i < o->nteams; i++) {
        free(o->teams[i].name);
        free(o->teams[i].timezone);
        free(o->teams[i].holiday_days);
        free_strv(o->teams[i].calendars, o->teams[i].ncalendars);
    }
    free(o->teams);
    free(o->default_team);
    free_freezes(o->freezes, o->nfreezes);
    free_strv(o->critical_tiers, o->ncritical_tiers);
    free(o->firewatch.alert_repo);
    memset(o, 0, sizeof(*o));
}

void cfg_shift_free(struct cfg_shift *s)
{
    free(s->name);
    free_strv(s->owners, s->nowners);
    free(s->merge_method);
    free(s->firewatch.alert_repo);
    for (size_t i = 0; i < s->ncohorts; i++) {
        free(s->cohorts[i].name);
        free_strv(s->cohorts[i].repos, s->cohorts[i].nrepos);
        free_strv(s->cohorts[i].tiers, s->cohorts[i].ntiers);
    }
    free(s->cohorts);
    memset(s, 0, sizeof(*s));
}

void cfg_repo_free(struct cfg_repo *r)
{
    free(r->team);
    free(r->timezone);
    free(r->tier);
    free(r->opt_out_reason);
    free_freezes(r->freezes, r->nfreezes);
    memset(r, 0, sizeof(*r));
}

const struct cfg_team *cfg_org_team(const struct cfg_org *o, const char *name)
{
    for (size_t i = 0; i < o->nteams; i++)
        if (strcmp(o->teams[i].name, name) == 0)
            return &o->teams[i];
    return NULL;
}

enum config_kind config_guess_kind(const char *path, const char *text, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "catalog-info.yaml") == 0 || strcmp(base, "catalog-info.yml") == 0)
        return CONFIG_CATALOG;
    size_t plen = strlen(path);
    if ((plen > 7 && strncmp(path, "shifts/", 7) == 0) || strstr(path, "/shifts/") != NULL)
        return CONFIG_SHIFT;
    static const char *const org_only[] = {"teams",    "defaults", "rate_limits",
                                           "critical", "opt_outs", "firewatch"};
    struct ynode *root = NULL;
    struct fb_error err = {0};
    enum config_kind kind = CONFIG_REPO;
    if (yaml_tree_parse(text, len, &root, &err) == 0)
        for (size_t i = 0; i < sizeof(org_only) / sizeof(org_only[0]); i++)
            if (ynode_get(root, org_only[i]))
                kind = CONFIG_ORG;
    ynode_free(root);
    return kind;
}

void config_errors_format(const struct config_errors *errs, char *out, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < errs->n; i++) {
        const struct config_error *e = &errs->items[i];
        int w = snprintf(out + used, cap - used, "%s:%d: %s\n", e->file, e->line, e->msg);
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
    if (errs->dropped)
        snprintf(out + used, cap - used, "... and %zu more\n", errs->dropped);
}
