/*
 * push.c - the default branch moved: mergeability (conflicts, "behind") of every
 * tracked PR of that repo may have changed, so each is evaluated again. Pushes to other
 * branches reach fleetbot as pull_request synchronize events instead.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

#include <stdio.h>
#include <string.h>

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
    store_schedule_repo(ctx->batch, ctx->installation, ctx->repo, ctx->due_ms);
    return 0;
}
