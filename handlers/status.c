/*
 * status.c - a commit status changed (no action field): evaluate the tracked PRs whose
 * head is that sha. Statuses carry no PR list at all, so the sha index is the only way.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

#include <stdio.h>
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
    /* a status on a default-branch commit is also an execution after a merge */
    const char *dflt = json_path_str(ctx->payload, "repository.default_branch");
    const char *context = json_path_str(ctx->payload, "context");
    bool on_default = false;
    size_t i;
    json_t *b;
    json_array_foreach(json_path(ctx->payload, "branches"), i, b)
    {
        const char *name = json_path_str(b, "name");
        on_default = on_default || (name && dflt && strcmp(name, dflt) == 0);
    }
    if (on_default && context) {
        char pipeline[260], source[32];
        snprintf(pipeline, sizeof(pipeline), "status:%.240s", context);
        snprintf(source, sizeof(source), "%lld", (long long)json_path_int(ctx->payload, "id", 0));
        struct fb_error ignored = {0};
        handler_record_execution(ctx, "status", pipeline, sha, state,
                                 json_path_str(ctx->payload, "target_url"), source, &ignored);
    }
    return 0;
}
