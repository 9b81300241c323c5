/*
 * handlers.h - one handler per GitHub event. A handler reads one verified, parsed
 * delivery and turns it into state changes and evaluation requests, written into the
 * delivery's Redis batch. Handlers never call GitHub and never merge: the evaluator does,
 * after re-reading the PR. A handler that does not know an action says "not mine".
 */
#ifndef FLEETBOT_HANDLERS_H
#define FLEETBOT_HANDLERS_H

#include <stdint.h>

#include <jansson.h>

struct fb_error;
struct fb_settings;
struct redis_batch;

#define HANDLER_NOT_MINE 1 /* the event or action is not one fleetbot acts on */

struct handler_ctx {
    const char *delivery;
    const char *event;
    json_t *payload;      /* borrowed for the call */
    int64_t installation; /* installation.id, 0 if absent */
    const char *repo;     /* repository.full_name, NULL if absent */
    int64_t now_ms;       /* policy clock */
    int64_t due_ms;       /* when event-triggered evaluations are due (now + debounce) */
    const struct fb_settings *settings;
    const char *bot_login; /* "<slug>[bot]", "" until known */
    struct redis_batch *batch;
};

/* 0 = handled, HANDLER_NOT_MINE, or a negative FB_ERR_* (FB_ERR_INVALID: malformed
 * payload; the delivery goes to the dead-letter stream with err's message). */
typedef int (*handler_fn)(struct handler_ctx *ctx, struct fb_error *err);

struct handler {
    const char *event;
    handler_fn fn;
};

/* The handler for an X-GitHub-Event name, or NULL. */
const struct handler *handlers_find(const char *event);

int handle_pull_request(struct handler_ctx *ctx, struct fb_error *err);
int handle_check_run(struct handler_ctx *ctx, struct fb_error *err);
int handle_check_suite(struct handler_ctx *ctx, struct fb_error *err);
int handle_status(struct handler_ctx *ctx, struct fb_error *err);
int handle_push(struct handler_ctx *ctx, struct fb_error *err);
int handle_issue_comment(struct handler_ctx *ctx, struct fb_error *err);
int handle_protection_changed(struct handler_ctx *ctx, struct fb_error *err);
int handle_pull_request_review(struct handler_ctx *ctx, struct fb_error *err);
int handle_deployment_status(struct handler_ctx *ctx, struct fb_error *err);
int handle_workflow_run(struct handler_ctx *ctx, struct fb_error *err);

/* Keeps one finished execution of a pipeline on the default branch for Firewatch (kind:
 * "deployment", "workflow", "checks", "status"; value: GitHub's state or conclusion;
 * source_id unique per source event). HANDLER_NOT_MINE when value is neither a success
 * nor a failure; nothing is kept in a repo without registered merges. */
int handler_record_execution(struct handler_ctx *ctx, const char *kind, const char *pipeline,
                             const char *sha, const char *value, const char *url,
                             const char *source_id, struct fb_error *err);
int handle_installation(struct handler_ctx *ctx, struct fb_error *err);
int handle_installation_repositories(struct handler_ctx *ctx, struct fb_error *err);

/* Schedules the tracked PRs of a check run / suite object: those in its pull_requests[]
 * hint and those whose head is its head_sha (check_run.c). */
int handler_schedule_commit(struct handler_ctx *ctx, json_t *obj, struct fb_error *err);

/* Shared checks: the payload names a repository and an installation. */
int handler_require_repo(struct handler_ctx *ctx, struct fb_error *err);

#endif
