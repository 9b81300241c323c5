/*
 * registry.c - maps X-GitHub-Event names to handlers. Events not listed are
 * acknowledged and ignored by the worker.
 */
#include "handlers.h"

#include "bot/err.h"

#include <string.h>

static const struct handler handler_table[] = {
    {"pull_request", handle_pull_request},
    {"issue_comment", handle_issue_comment},
    {"pull_request_review", handle_pull_request_review},
    {"branch_protection_rule", handle_protection_changed},
    {"repository_ruleset", handle_protection_changed},
    {"deployment_status", handle_deployment_status},
    {"workflow_run", handle_workflow_run},
    {"check_run", handle_check_run},
    {"check_suite", handle_check_suite},
    {"status", handle_status},
    {"push", handle_push},
    {"installation", handle_installation},
    {"installation_repositories", handle_installation_repositories},
};

const struct handler *handlers_find(const char *event)
{
    if (event == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(handler_table) / sizeof(handler_table[0]); i++)
        if (strcmp(handler_table[i].event, event) == 0)
            return &handler_table[i];
    return NULL;
}

int handler_require_repo(struct handler_ctx *ctx, struct fb_error *err)
{
    if (ctx->repo == NULL || strchr(ctx->repo, '/') == NULL || strlen(ctx->repo) > 200)
        return fb_error_set(err, FB_ERR_INVALID, "%s payload has no valid repository.full_name",
                            ctx->event);
    if (ctx->installation <= 0)
        return fb_error_set(err, FB_ERR_INVALID, "%s payload has no installation.id", ctx->event);
    return 0;
}
