/*
 * push.c - the default branch moved: mergeability (conflicts, "behind") of every
 * tracked PR of that repo may have changed, so each is evaluated again. A push that
 * touches a policy file also bumps that file's generation, so every replica drops its
 * cached copy at once. Pushes to other branches reach fleetbot as pull_request
 * synchronize events instead.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/settings.h"
#include "bot/store.h"

#include <stdio.h>
#include <string.h>

/* Is path a policy file of this repo: its own, or (in a config repo) the org's? */
static bool is_repo_policy(const char *path)
{
    return strcmp(path, ".github/fleetbot.yml") == 0 || strcmp(path, "catalog-info.yaml") == 0 ||
           strcmp(path, "catalog-info.yml") == 0;
}

static bool is_org_policy(const char *path)
{
    size_t n = strlen(path);
    return strcmp(path, "fleetbot.yml") == 0 || strncmp(path, "shifts/", 7) == 0 ||
           (n > 4 && strcmp(path + n - 4, ".ics") == 0);
}

/* Is repo the config repo of its org (FLEETBOT_CONFIG_REPO, or <owner>/.github)? */
static bool is_config_repo(const struct handler_ctx *ctx)
{
    char cr[300];
    settings_config_repo(ctx->settings, ctx->repo, cr, sizeof(cr));
    return strcmp(ctx->repo, cr) == 0;
}

/* Bumps the generations of the policy files the push's commits touched, wakes the PRs
 * they apply to, and queues a check of the changed files on the pushed commit. */
static void policy_files_changed(struct handler_ctx *ctx, const char *after)
{
    bool repo_files = false, org_files = false;
    static const char *const lists[] = {"added", "modified", "removed"};
    size_t i, j, nchanged = 0;
    json_t *commit, *path;
    bool config_repo = is_config_repo(ctx);
    json_array_foreach(json_path(ctx->payload, "commits"), i, commit)
    {
        for (size_t k = 0; k < 3; k++) {
            json_array_foreach(json_object_get(commit, lists[k]), j, path)
            {
                const char *p = json_string_value(path);
                if (p == NULL || strlen(p) > 250)
                    continue;
                bool r = is_repo_policy(p), o = is_org_policy(p);
                repo_files = repo_files || r;
                org_files = org_files || o;
                if (after && (r || (o && config_repo)) && nchanged < 16) {
                    redis_batch_cmd(ctx->batch, "SADD " STORE_CFGCHECK_PREFIX "%s@%s %s", ctx->repo,
                                    after, p);
                    nchanged++;
                }
            }
        }
    }
    if (repo_files)
        redis_batch_cmd(ctx->batch, "INCR " STORE_POLICY_GEN_PREFIX "%s", ctx->repo);
    if (org_files) {     /* any repo may be someone's config repo: bump it as the org's too */
        char owner[128]; /* hiredis formats %s and %b only: no precision */
        snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(ctx->repo, "/"), ctx->repo);
        redis_batch_cmd(ctx->batch, "INCR " STORE_POLICY_GEN_PREFIX "%s", owner);
        if (config_repo) /* org policy changed: every tracked PR of the org looks again */
            store_schedule_installation(ctx->batch, ctx->installation, ctx->due_ms);
    }
    if (nchanged > 0) {
        redis_batch_cmd(ctx->batch, "EXPIRE " STORE_CFGCHECK_PREFIX "%s@%s 86400", ctx->repo,
                        after);
        char job[STORE_JOB_MAX];
        int n = snprintf(job, sizeof(job), "cfg|%lld|%s|%s", (long long)ctx->installation,
                         ctx->repo, after);
        if (n > 0 && (size_t)n < sizeof(job))
            redis_batch_cmd(ctx->batch, "ZADD " KEY_EVALQ " %lld %s", (long long)ctx->now_ms, job);
    }
}

int handle_push(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    const char *ref = json_path_str(ctx->payload, "ref");
    const char *dflt = json_path_str(ctx->payload, "repository.default_branch");
    if (ref == NULL)
        return fb_error_set(err, FB_ERR_INVALID, "push payload lacks ref");
    char want[300];
    int n = snprintf(want, sizeof(want), "refs/heads/%s", dflt ? dflt : "");
    if (dflt == NULL || n < 0 || (size_t)n >= sizeof(want) || strcmp(ref, want) != 0)
        return HANDLER_NOT_MINE;
    const char *after = json_path_str(ctx->payload, "after");
    if (after && (strlen(after) < 7 || strlen(after) > 64 ||
                  strspn(after, "0123456789abcdef") != strlen(after)))
        after = NULL;
    policy_files_changed(ctx, after);
    store_schedule_repo(ctx->batch, ctx->installation, ctx->repo, ctx->due_ms);
    return 0;
}
