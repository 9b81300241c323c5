/*
 * policy_source.h - the policy files one evaluation needs, read through the contents API:
 * the org's fleetbot.yml and shifts/<name>.yml in the config repo, the repo's own
 * .github/fleetbot.yml and catalog-info.yaml. Texts are kept per process until a push
 * touching them bumps their generation in Redis (handlers/push.c), or POLICY_CACHE_MS at
 * most (then revalidated with ETags), so a burst of evaluations costs no extra API calls
 * and a pushed change applies at once. The result is parsed into gate facts.
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
};

typedef void (*policy_done_fn)(struct policy_view *view, const struct fb_error *err, void *priv);

struct policy_source *policy_source_new(struct app *app);
/* Free after app->gh (whose pending callbacks reach the loads in flight). */
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

#endif
