/*
 * protection.c - `branch_protection_rule` and `repository_ruleset`: what a repo's
 * branches require changed. Bumps the repo's protection generation (every replica drops
 * its cached copy, bot/protection_cache.h) and looks at its tracked PRs again. An org-level
 * ruleset event names no repository: the 60-second cache bounds how long it goes unseen.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/store.h"

int handle_protection_changed(struct handler_ctx *ctx, struct fb_error *err)
{
    if (ctx->repo == NULL)
        return HANDLER_NOT_MINE; /* an org ruleset: no repository to name */
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    redis_batch_cmd(ctx->batch, "INCR " STORE_PROTECTION_GEN_PREFIX "%s", ctx->repo);
    store_schedule_repo(ctx->batch, ctx->installation, ctx->repo, ctx->due_ms);
    return 0;
}
