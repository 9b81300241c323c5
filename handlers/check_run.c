/*
 * check_run.c - a check finished on some commit: evaluate the tracked PRs whose head it
 * is. pull_requests[] is only a hint (empty for forks, possibly stale), so the sha index
 * is asked as well; scheduling twice is harmless (the earlier due time wins).
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

#include <string.h>

int handler_schedule_commit(struct handler_ctx *ctx, json_t *obj, struct fb_error *err)
{
    const char *sha = json_path_str(obj, "head_sha");
    if (sha == NULL || strlen(sha) < 7 || strlen(sha) > 64)
        return fb_error_set(err, FB_ERR_INVALID, "%s payload has no valid head_sha", ctx->event);
    size_t i;
    json_t *pr;
    json_array_foreach(json_path(obj, "pull_requests"), i, pr)
    {
        int64_t n = json_path_int(pr, "number", 0);
        if (n > 0)
            store_schedule_if_tracked(ctx->batch, ctx->installation, ctx->repo, n, ctx->due_ms);
    }
    store_schedule_by_sha(ctx->batch, ctx->installation, ctx->repo, sha, ctx->due_ms);
    return 0;
}

int handle_check_run(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    const char *action = json_path_str(ctx->payload, "action");
    json_t *run = json_path(ctx->payload, "check_run");
    if (action == NULL || !json_is_object(run))
        return fb_error_set(err, FB_ERR_INVALID, "check_run payload lacks action or check_run");
    /* created/in-progress runs only keep a required check pending, which it already is */
    if (strcmp(action, "completed") != 0)
        return HANDLER_NOT_MINE;
    return handler_schedule_commit(ctx, run, err);
}
