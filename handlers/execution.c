/*
 * execution.c - what runs after a merge, as Firewatch sees it: one finished execution of
 * a named pipeline at a commit of the default branch (a deployment, a workflow run, a
 * check suite, a commit status). It is kept once per source event and handed to the
 * Firewatch job, and only in repos that have registered merges, so the fleet's ordinary
 * CI costs nothing. Judging it is bot/firewatch.c's work.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"
#include "policies/firewatch.h"

#include <stdio.h>
#include <string.h>

/* KEYS: the repo's merges, the execution, evalq. ARGV: job, due, field/value pairs. */
static const char LUA_EXECUTION[] = "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
                                    "if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end "
                                    "redis.call('HSET', KEYS[2], unpack(ARGV, 3)) "
                                    "redis.call('EXPIRE', KEYS[2], 1209600) "
                                    "redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) return 1";

int handler_record_execution(struct handler_ctx *ctx, const char *kind, const char *pipeline,
                             const char *sha, const char *value, const char *url,
                             const char *source_id, struct fb_error *err)
{
    if (sha == NULL || strlen(sha) < 7 || strlen(sha) > 64 ||
        strspn(sha, "0123456789abcdef") != strlen(sha))
        return fb_error_set(err, FB_ERR_INVALID, "%s payload has no valid commit sha", ctx->event);
    if (pipeline == NULL || pipeline[0] == '\0' || strlen(pipeline) > 200)
        return fb_error_set(err, FB_ERR_INVALID, "%s payload names no pipeline", ctx->event);
    enum fw_outcome o = firewatch_outcome(kind, value);
    if (o == FW_OUTCOME_NONE)
        return HANDLER_NOT_MINE; /* not finished, or neither a success nor a failure */
    char merges[STORE_JOB_MAX], key[STORE_JOB_MAX], job[STORE_JOB_MAX], due[24], at[24];
    int n1 = snprintf(merges, sizeof(merges), STORE_FW_MERGES_PREFIX "%s", ctx->repo);
    int n2 =
        snprintf(key, sizeof(key), STORE_FW_EXEC_PREFIX "%s:%s:%s", ctx->repo, kind, source_id);
    int n3 = snprintf(job, sizeof(job), "fw|%lld|%s|%s:%s", (long long)ctx->installation, ctx->repo,
                      kind, source_id);
    if (n1 < 0 || n2 < 0 || n3 < 0 || (size_t)n1 >= sizeof(merges) || (size_t)n2 >= sizeof(key) ||
        (size_t)n3 >= sizeof(job))
        return fb_error_set(err, FB_ERR_INVALID, "%s payload names are too long", ctx->event);
    snprintf(due, sizeof(due), "%lld", (long long)ctx->now_ms);
    snprintf(at, sizeof(at), "%lld", (long long)ctx->now_ms);
    const char *argv[] = {"EVAL",     LUA_EXECUTION,
                          "3",        merges,
                          key,        KEY_EVALQ,
                          job,        due,
                          "kind",     kind,
                          "pipeline", pipeline,
                          "sha",      sha,
                          "outcome",  o == FW_OUTCOME_SUCCESS ? "success" : "failure",
                          "state",    value,
                          "url",      url ? url : "",
                          "at",       at};
    size_t lens[sizeof(argv) / sizeof(argv[0])];
    for (size_t i = 0; i < sizeof(argv) / sizeof(argv[0]); i++)
        lens[i] = strlen(argv[i]);
    redis_batch_argv(ctx->batch, (int)(sizeof(argv) / sizeof(argv[0])), argv, lens);
    return 0;
}

int handle_deployment_status(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    json_t *st = json_path(ctx->payload, "deployment_status");
    json_t *dep = json_path(ctx->payload, "deployment");
    const char *state = json_path_str(st, "state");
    const char *env = json_path_str(st, "environment");
    int64_t id = json_path_int(st, "id", 0);
    if (state == NULL || id <= 0 || !json_is_object(dep))
        return fb_error_set(err, FB_ERR_INVALID, "deployment_status payload lacks its state or id");
    if (env == NULL)
        env = json_path_str(dep, "environment");
    char pipeline[260], source[32];
    snprintf(pipeline, sizeof(pipeline), "deployment:%.240s", env ? env : "default");
    snprintf(source, sizeof(source), "%lld", (long long)id);
    const char *url = json_path_str(st, "log_url");
    if (url == NULL || url[0] == '\0')
        url = json_path_str(st, "target_url");
    return handler_record_execution(ctx, "deployment", pipeline, json_path_str(dep, "sha"), state,
                                    url, source, err);
}

int handle_workflow_run(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    const char *action = json_path_str(ctx->payload, "action");
    json_t *run = json_path(ctx->payload, "workflow_run");
    if (action == NULL || !json_is_object(run))
        return fb_error_set(err, FB_ERR_INVALID,
                            "workflow_run payload lacks action or workflow_run");
    const char *branch = json_path_str(run, "head_branch");
    const char *dflt = json_path_str(ctx->payload, "repository.default_branch");
    const char *event = json_path_str(run, "event");
    /* only what runs after a push to the default branch judges merges */
    if (strcmp(action, "completed") != 0 || branch == NULL || dflt == NULL ||
        strcmp(branch, dflt) != 0 || event == NULL || strcmp(event, "push") != 0)
        return HANDLER_NOT_MINE;
    const char *name = json_path_str(run, "name");
    char pipeline[260], source[48];
    snprintf(pipeline, sizeof(pipeline), "workflow:%.240s",
             name                         ? name
             : json_path_str(run, "path") ? json_path_str(run, "path")
                                          : "?");
    snprintf(source, sizeof(source), "%lld-%lld", (long long)json_path_int(run, "id", 0),
             (long long)json_path_int(run, "run_attempt", 1));
    return handler_record_execution(ctx, "workflow", pipeline, json_path_str(run, "head_sha"),
                                    json_path_str(run, "conclusion"),
                                    json_path_str(run, "html_url"), source, err);
}
