/*
 * pull_request.c - a PR was opened, labelled, pushed to, retargeted, closed...: track it
 * when it carries the automerge label (so check and status events find it) and ask for
 * an evaluation; forget it when it closes or loses the label. The payload is a snapshot
 * that may arrive out of order; the evaluator re-reads the PR and re-syncs tracking.
 */
#include "handlers.h"

#include "bot/err.h"
#include "bot/jsonutil.h"
#include "bot/settings.h"
#include "bot/store.h"
#include "bot/timeutil.h"

#include <string.h>
#include <strings.h>

static bool has_label(json_t *labels, const char *name)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l)
    {
        const char *n = json_path_str(l, "name");
        if (n && strcasecmp(n, name) == 0)
            return true;
    }
    return false;
}

/* The shift named by the PR's fleetbot/shift:<name> label into out, or "". */
static void shift_of(json_t *pr, char *out, size_t cap)
{
    size_t i;
    json_t *l;
    out[0] = '\0';
    json_array_foreach(json_path(pr, "labels"), i, l)
    {
        if (store_shift_from_label(json_path_str(l, "name"), out, cap))
            return;
    }
}

/* A merged PR of fleetbot's (tagged, or from a shift) goes into the merge registry, by
 * fleetbot or by a person: Firewatch judges both. The evaluator records its own merges
 * too; whichever comes first wins. */
static void record_merge(struct handler_ctx *ctx, json_t *pr, int64_t number, const char *head_sha,
                         bool tagged)
{
    char shift[128];
    shift_of(pr, shift, sizeof(shift));
    if (!tagged && shift[0] == '\0')
        return;
    const char *by = json_path_str(pr, "merged_by.login");
    bool ours = by && ctx->bot_login && ctx->bot_login[0] && strcmp(by, ctx->bot_login) == 0;
    int64_t at = ctx->now_ms;
    const char *merged_at = json_path_str(pr, "merged_at");
    if (merged_at)
        time_parse_rfc3339(merged_at, &at);
    struct store_merge m = {
        .repo = ctx->repo,
        .number = number,
        .head_sha = head_sha,
        .merge_sha = json_path_str(pr, "merge_commit_sha"),
        .shift = shift,
        .merged_at = at,
        .by = ours ? "fleetbot" : "human",
        .method = ours ? ctx->settings->merge_method : "",
        .installation = ctx->installation,
        .due_ms = ctx->due_ms,
    };
    store_record_merge(ctx->batch, &m);
}

int handle_pull_request(struct handler_ctx *ctx, struct fb_error *err)
{
    int rc = handler_require_repo(ctx, err);
    if (rc)
        return rc;
    const char *action = json_path_str(ctx->payload, "action");
    json_t *pr = json_path(ctx->payload, "pull_request");
    int64_t number = json_path_int(pr, "number", 0);
    if (action == NULL || !json_is_object(pr) || number <= 0)
        return fb_error_set(err, FB_ERR_INVALID,
                            "pull_request payload lacks action, pull_request or its number");
    const char *head_sha = json_path_str(pr, "head.sha");
    const char *state = json_path_str(pr, "state");
    bool tagged = has_label(json_path(pr, "labels"), ctx->settings->automerge_label);
    bool closed = strcmp(action, "closed") == 0 || (state && strcmp(state, "closed") == 0);

    /* auto_merge_*, enqueued/dequeued, review_requested... change nothing fleetbot reads
     * except through a fresh evaluation, so every action of a tracked PR re-evaluates. */
    store_pr_seen(ctx->batch, ctx->installation, ctx->repo, number, head_sha, tagged && !closed,
                  ctx->due_ms);
    bool merged = json_is_true(json_path(pr, "merged"));
    if (closed && merged)
        record_merge(ctx, pr, number, head_sha, tagged);
    char shift[128];
    shift_of(pr, shift, sizeof(shift));
    /* the shift's open PRs: critical repos of the shift wait for those in lower tiers */
    if (shift[0] && !(closed && merged)) /* a merge leaves the set when it is recorded */
        store_shift_pr_open(ctx->batch, shift, ctx->installation, ctx->repo, number,
                            tagged && !closed, ctx->due_ms);
    if (closed) {
        char job[STORE_JOB_MAX];
        if (store_job_format(job, sizeof(job), ctx->installation, ctx->repo, number) == 0)
            redis_batch_cmd(ctx->batch, "ZREM " KEY_EVALQ " %s", job);
    }
    return 0;
}
