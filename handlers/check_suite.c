/*
 * check_suite.c - a whole suite completed (also re-run suites): same effect as a
 * completed check run on its head commit.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"

#include <string.h>

int handle_check_suite(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    const char *action = json_path_str(ctx->payload, "action");
    json_t *suite = json_path(ctx->payload, "check_suite");
    if (action == NULL || !json_is_object(suite))
        return fb_error_set(err, FB_ERR_INVALID, "check_suite payload lacks action or check_suite");
    if (strcmp(action, "completed") != 0)
        return HANDLER_NOT_MINE;
    return handler_schedule_commit(ctx, suite, err);
}
