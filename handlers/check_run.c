/*
 * check_run.c - a check finished on some commit: evaluate the tracked PRs whose head it
 * is. pull_requests[] is only a hint (empty for forks, possibly stale), so the sha index
 * is asked as well; scheduling twice is harmless (the earlier due time wins). A run that
 * passed is usually followed by more of its suite: its evaluation waits CHECK_RUN_GRACE_MS
 * for the suite's `check_suite.completed`, which evaluates at once and so comes first; a
 * run that failed is looked at at once.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

#include <string.h>

#define CHECK_RUN_GRACE_MS 30000

static int schedule_commit_at(struct handler_ctx *ctx, json_t *obj, int64_t due,
                              struct fb_error *err);

int handler_schedule_commit(struct handler_ctx *ctx, json_t *obj, struct fb_error *err)
{
    return schedule_commit_at(ctx, obj, ctx->due_ms, err);
}

static int schedule_commit_at(struct handler_ctx *ctx, json_t *obj, int64_t due,
                              struct fb_error *err)
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
            store_schedule_if_tracked(ctx->batch, ctx->installation, ctx->repo, n, due);
    }
    store_schedule_by_sha(ctx->batch, ctx->installation, ctx->repo, sha, due);
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
    const char *c = json_path_str(run, "conclusion");
    bool passed =
        c && (strcmp(c, "success") == 0 || strcmp(c, "neutral") == 0 || strcmp(c, "skipped") == 0);
    int64_t due = passed ? ctx->now_ms + CHECK_RUN_GRACE_MS : ctx->due_ms;
    return schedule_commit_at(ctx, run, due > ctx->due_ms ? due : ctx->due_ms, err);
}
