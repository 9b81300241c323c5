/*
 * policy_source.h - the policy files one evaluation needs, read through the contents API:
 * the org's fleetbot.yml and shifts/<name>.yml in the config repo, the repo's own
 * .github/fleetbot.yml and catalog-info.yaml, then the owning team's holiday calendars
 * (paths in the config repo, or URLs fetched without any credentials). Texts are kept per
 * process until a push touching them bumps their generation in Redis (handlers/push.c), or
 * POLICY_CACHE_MS at most (then revalidated with ETags), so a burst of evaluations costs no
 * extra API calls and a pushed change applies at once. The result is parsed into gate facts.
 */
#ifndef FLEETBOT_POLICY_SOURCE_H
#define FLEETBOT_POLICY_SOURCE_H

#include "config.h"
#include "schedule_resolve.h"

#include "policies/facts.h"

#include <stdbool.h>
#include <stdint.h>

struct app;
struct buf;
struct fb_error;
struct policy_source;

#define POLICY_CACHE_MS    300000
#define POLICY_CACHE_FILES 4096

/* Everything the gates may read from the policy files for one PR. Owned by the caller. */
struct policy_view {
    bool has_org;
    struct cfg_org org;
    bool has_repo;
    struct cfg_repo repo;
    bool has_shift;
    struct cfg_shift shift;
    char *catalog_owner;
    struct config_errors errs;
    char *error_text; /* errs formatted ("file:line: ...; ..."), or NULL */
    bool has_schedule;
    struct resolved_schedule schedule;
    struct freeze_fact *freezes;
    size_t nfreezes;
    /* rate limits that apply, with their Redis keys; recent times filled by the evaluator */
    struct rate_fact rates[3];
    char rate_keys[3][320];
    char rate_what[3][320];
    int64_t *rate_recent[3]; /* owned */
    size_t nrates;
    bool has_opt_out;
    struct opt_out_fact opt_out;
    char expires[16];
    /* the repo's tier is one of the org's critical.tiers; approvals and lower_tiers_open
     * are -1 (unknown) until the evaluator reads them; tier borrows repo.tier */
    bool has_critical;
    struct critical_fact critical;
    /* not a critical repo: its open shift PRs hold back the shift's critical repos */
    bool lower_tier;
};

typedef void (*policy_done_fn)(struct policy_view *view, const struct fb_error *err, void *priv);

/* Also creates the source's own HTTP client for calendar URLs on app->base. */
struct policy_source *policy_source_new(struct app *app);
/* Free after app->gh (whose pending callbacks reach the loads in flight) and before
 * app->redis and app->evalq: calendar fetches still in flight complete here, failing their
 * loads (transient), whose callbacks still reach Redis and the evaluation queue. */
void policy_source_free(struct policy_source *ps);

/*
 * Loads the view for repo (owner/name) and shift ("" for none) at now_ms. 0: fn is called
 * exactly once later with a view it owns (policy_view_free), or with NULL and err set when
 * a file could not be read (transient: try again). Nonzero: fn is never called.
 */
int policy_load(struct policy_source *ps, int64_t installation, const char *repo, const char *shift,
                int64_t now_ms, policy_done_fn fn, void *priv);
void policy_view_free(struct policy_view *v);

/* Points f's policy facts into v (borrowed for v's lifetime). */
void policy_view_facts(const struct policy_view *v, struct pr_facts *f);

/* Decodes GitHub's base64 "content" (with newlines) into out. 0 or FB_ERR_INVALID. */
int policy_base64_decode(const char *in, size_t n, struct buf *out);

/* Fills c from the org's critical: section when repo's tier is one of critical.tiers
 * (compared as written); false (c untouched) otherwise. c->tier borrows repo->tier. */
bool policy_critical_fact(const struct cfg_org *org, const struct cfg_repo *repo,
                          struct critical_fact *c);

/* ---- holiday calendars named by URL (docs/configuration.md, "Holiday calendars") ---- */

#define CALENDAR_TIMEOUT_MS  10000
#define CALENDAR_MAX_BYTES   (1024 * 1024)
#define CALENDAR_REDIRECTS   3
#define CALENDAR_STALE_MS    (24LL * 3600 * 1000) /* a copy serves this long past its server */
#define CALENDAR_RETRY_MS    60000 /* after a failure, the server is asked again this late */
#define CALENDAR_CACHE_FILES 256

enum calendar_source {
    CALENDAR_REPO_PATH, /* a path in the config repo, read through the contents API */
    CALENDAR_URL,       /* https://, or http:// on 127.0.0.1 or localhost: a plain GET */
    CALENDAR_REFUSED,   /* any other http:// URL */
};
enum calendar_source policy_calendar_source(const char *entry);

/* What the per-process cache holds for one URL (times are real ms). */
struct calendar_copy {
    bool has_text;        /* a calendar was fetched (200) */
    int64_t validated_at; /* its last 200 or 304 */
    bool has_error;       /* the last fetch failed and no copy could stand in */
    int64_t failed_at;    /* the last failed fetch, 0 = none since validated_at */
};

enum calendar_step {
    CALENDAR_USE_COPY,  /* fresh, or stale within CALENDAR_STALE_MS after a recent failure */
    CALENDAR_USE_ERROR, /* the last fetch failed less than CALENDAR_RETRY_MS ago, no copy */
    CALENDAR_FETCH,     /* ask the server (conditionally when there is a copy) */
};
enum calendar_step policy_calendar_step(const struct calendar_copy *c, int64_t now_ms);

enum calendar_result {
    CALENDAR_TAKE_NEW,  /* 2xx: the body is the calendar */
    CALENDAR_KEEP_COPY, /* 304, or unreachable within CALENDAR_STALE_MS of validated_at */
    CALENDAR_FAILED,    /* a configuration error naming the URL and the failure */
};
/* After a fetch: err_code is http_client's (0 when an answer came) and status the answer's.
 * Unreachable means a network failure or timeout, 5xx, 408 or 429; any other status, a
 * body over the cap or a refused URL fails at once. */
enum calendar_result policy_calendar_result(const struct calendar_copy *c, int err_code, int status,
                                            int64_t now_ms);

#endif
