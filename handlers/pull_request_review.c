/*
 * pull_request_review.c - a review was submitted, edited or dismissed: a critical repo's
 * PR may have gained or lost the approval it needs, so a tracked PR is looked at again.
 * The review itself is read by the evaluator, never taken from the payload.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

int handle_pull_request_review(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    int64_t number = json_path_int(ctx->payload, "pull_request.number", 0);
    if (number <= 0)
        return fb_error_set(err, FB_ERR_INVALID, "pull_request_review payload lacks its PR number");
    store_schedule_if_tracked(ctx->batch, ctx->installation, ctx->repo, number, ctx->due_ms);
    return 0;
}
