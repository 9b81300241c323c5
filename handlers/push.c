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

/* Bumps the generations of the policy files the push's commits touched. */
static void bump_policy_generations(struct handler_ctx *ctx)
{
    bool repo_files = false, org_files = false;
    static const char *const lists[] = {"added", "modified", "removed"};
    size_t i, j;
    json_t *commit, *path;
    json_array_foreach(json_path(ctx->payload, "commits"), i, commit)
    {
        for (size_t k = 0; k < 3; k++) {
            json_array_foreach(json_object_get(commit, lists[k]), j, path)
            {
                const char *p = json_string_value(path);
                if (p == NULL)
                    continue;
                repo_files = repo_files || is_repo_policy(p);
                org_files = org_files || is_org_policy(p);
            }
        }
    }
    if (repo_files)
        redis_batch_cmd(ctx->batch, "INCR " STORE_POLICY_GEN_PREFIX "%s", ctx->repo);
    if (org_files) {     /* any repo may be someone's config repo: bump it as the org's too */
        char owner[128]; /* hiredis formats %s and %b only: no precision */
        snprintf(owner, sizeof(owner), "%.*s", (int)strcspn(ctx->repo, "/"), ctx->repo);
        redis_batch_cmd(ctx->batch, "INCR " STORE_POLICY_GEN_PREFIX "%s", owner);
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
    bump_policy_generations(ctx);
    store_schedule_repo(ctx->batch, ctx->installation, ctx->repo, ctx->due_ms);
    return 0;
}
