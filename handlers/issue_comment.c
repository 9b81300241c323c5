/*
 * issue_comment.c - a comment that holds `/fleetbot ...` commands becomes a command job:
 * the comment (bounded) is kept in Redis once per comment id and the job is queued, so a
 * redelivered event never runs a command twice. Handlers never call GitHub: whether the
 * commenter may do it, and the reply, are bot/commands.c's. Edited and deleted comments,
 * and comments by bots, are not commands.
 */
#include "handlers.h"

#include "bot/command.h"
#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/store.h"

#include <stdio.h>
#include <string.h>

/* KEYS: command hash, evalq. ARGV: job, due, then field/value pairs. New comments only. */
static const char LUA_COMMAND[] = "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end "
                                  "redis.call('HSET', KEYS[1], unpack(ARGV, 3)) "
                                  "redis.call('EXPIRE', KEYS[1], 604800) "
                                  "redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) return 1";

int handle_issue_comment(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    const char *action = json_path_str(ctx->payload, "action");
    if (action == NULL)
        return fb_error_set(err, FB_ERR_INVALID, "issue_comment payload lacks action");
    if (strcmp(action, "created") != 0)
        return HANDLER_NOT_MINE;
    json_t *comment = json_path(ctx->payload, "comment");
    const char *body = json_path_str(comment, "body");
    const char *user = json_path_str(comment, "user.login");
    const char *user_type = json_path_str(comment, "user.type");
    int64_t id = json_path_int(comment, "id", 0);
    int64_t number = json_path_int(ctx->payload, "issue.number", 0);
    if (body == NULL || user == NULL || id <= 0 || number <= 0)
        return fb_error_set(err, FB_ERR_INVALID,
                            "issue_comment payload lacks comment.body, user, id or issue.number");
    if (user_type && strcmp(user_type, "Bot") == 0)
        return HANDLER_NOT_MINE; /* bots do not give fleetbot commands */
    size_t len = strlen(body);
    if (len > COMMAND_BODY_MAX)
        len = COMMAND_BODY_MAX;
    struct command_list cmds;
    if (command_parse(body, len, &cmds) == 0)
        return HANDLER_NOT_MINE;
    bool is_pr = json_path(ctx->payload, "issue.pull_request") != NULL;
    char job[STORE_JOB_MAX], key[STORE_JOB_MAX], due[24], num[24], cid[24], inst[24];
    int n1 = snprintf(job, sizeof(job), "cmd|%lld|%s|%lld", (long long)ctx->installation, ctx->repo,
                      (long long)id);
    int n2 = snprintf(key, sizeof(key), STORE_COMMAND_PREFIX "%s:%lld", ctx->repo, (long long)id);
    if (n1 < 0 || (size_t)n1 >= sizeof(job) || n2 < 0 || (size_t)n2 >= sizeof(key))
        return fb_error_set(err, FB_ERR_INVALID, "repository name too long");
    snprintf(due, sizeof(due), "%lld", (long long)ctx->now_ms);
    snprintf(num, sizeof(num), "%lld", (long long)number);
    snprintf(cid, sizeof(cid), "%lld", (long long)id);
    snprintf(inst, sizeof(inst), "%lld", (long long)ctx->installation);
    const char *argv[] = {"EVAL", LUA_COMMAND, "2",
                          key,    KEY_EVALQ,   job,
                          due,    "body",      body,
                          "user", user,        "number",
                          num,    "is_pr",     is_pr ? "1" : "0",
                          "id",   cid,         "installation",
                          inst,   "delivery",  ctx->delivery ? ctx->delivery : ""};
    size_t lens[sizeof(argv) / sizeof(argv[0])];
    for (size_t i = 0; i < sizeof(argv) / sizeof(argv[0]); i++)
        lens[i] = strlen(argv[i]);
    lens[8] = len; /* the bounded body */
    redis_batch_argv(ctx->batch, (int)(sizeof(argv) / sizeof(argv[0])), argv, lens);
    return 0;
}
