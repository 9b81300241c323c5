/*
 * check_suite.c - a whole suite completed (also re-run suites): same effect as a
 * completed check run on its head commit.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"

#include <stdio.h>
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
    rc = handler_schedule_commit(ctx, suite, err);
    if (rc != 0)
        return rc;
    /* on the default branch it is also an execution after a merge; GitHub Actions' suites
     * are judged as their workflow runs instead (workflow_run, per workflow) */
    const char *branch = json_path_str(suite, "head_branch");
    const char *dflt = json_path_str(ctx->payload, "repository.default_branch");
    const char *app = json_path_str(suite, "app.slug");
    if (branch && dflt && strcmp(branch, dflt) == 0 && app && strcmp(app, "github-actions") != 0) {
        char pipeline[260], source[64];
        snprintf(pipeline, sizeof(pipeline), "checks:%.240s", app);
        const char *c = json_path_str(suite, "conclusion");
        snprintf(source, sizeof(source), "%lld-%.20s", (long long)json_path_int(suite, "id", 0),
                 c ? c : "");
        struct fb_error ignored = {0}; /* the evaluation is scheduled whatever this says */
        handler_record_execution(ctx, "checks", pipeline, json_path_str(suite, "head_sha"), c, NULL,
                                 source, &ignored);
    }
    return 0;
}
