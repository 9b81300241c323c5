/*
 * status.c - a commit status changed (no action field): evaluate the tracked PRs whose
 * head is that sha. Statuses carry no PR list at all, so the sha index is the only way.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

#include <string.h>

int handle_status(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    const char *sha = json_path_str(ctx->payload, "sha");
    const char *state = json_path_str(ctx->payload, "state");
    if (sha == NULL || strlen(sha) < 7 || strlen(sha) > 64 || state == NULL)
        return fb_error_set(err, FB_ERR_INVALID, "status payload lacks a valid sha or state");
    store_schedule_by_sha(ctx->batch, ctx->installation, ctx->repo, sha, ctx->due_ms);
    return 0;
}
