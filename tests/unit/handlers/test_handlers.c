/*
 * test_handlers.c - each event handler against a real Redis: what a well-formed payload
 * writes (tracking, the sha index, scheduled evaluations, the merge registry), that
 * replays of the same payload change nothing more, and that malformed payloads are
 * refused with FB_ERR_INVALID and a message instead of writing anything.
 */
#include "test.h"

#include "redis_fixture.h"

#include "bot/err.h"
#include "bot/redis.h"
#include "bot/redis_batch.h"
#include "bot/settings.h"
#include "handlers/handlers.h"

#include <event2/event.h>

static struct redis_fixture fx;
static struct event_base *base;
static struct fb_redis *conn;
static struct fb_settings settings;

struct run {
    bool done;
    int batch_rc;
};

static void on_batch(int rc, const char *err_text, void *priv)
{
    (void)err_text;
    struct run *r = priv;
    r->done = true;
    r->batch_rc = rc;
}

static void teardown(void)
{
    fb_redis_free(conn);
    event_base_free(base);
    settings_free(&settings);
    redis_fixture_stop(&fx);
}

/* Starts Redis and the async connection on first use; stops them at exit. */
static void ensure_setup(void)
{
    static bool started;
    if (started)
        return;
    started = true;
    if (redis_fixture_start(&fx, false) != 0) {
        fprintf(stderr, "cannot start redis-server for the handler tests\n");
        exit(1);
    }
    base = event_base_new();
    struct fb_redis_options o = {.host = "127.0.0.1", .port = fx.port, .name = "test"};
    conn = fb_redis_new(base, &o);
    while (!fb_redis_is_ready(conn))
        event_base_loop(base, EVLOOP_ONCE);
    setenv("FLEETBOT_WEBHOOK_SECRET", "x", 1);
    struct fb_error err = {0};
    if (settings_load(&settings, &err) != 0) {
        fprintf(stderr, "settings: %s\n", err.msg);
        exit(1);
    }
    atexit(teardown);
}

/* Runs the handler of `event` over the JSON text; returns its rc (err filled). */
static int run_handler(const char *event, const char *json_text, struct fb_error *err)
{
    ensure_setup();
    memset(err, 0, sizeof(*err));
    json_error_t jerr;
    json_t *payload = json_loads(json_text, 0, &jerr);
    if (payload == NULL) {
        fprintf(stderr, "bad test JSON: %s\n", jerr.text);
        return -999;
    }
    const struct handler *h = handlers_find(event);
    if (h == NULL) {
        json_decref(payload);
        return -998;
    }
    struct run r = {0};
    struct handler_ctx ctx = {
        .delivery = "test-delivery",
        .event = event,
        .payload = payload,
        .installation =
            json_integer_value(json_object_get(json_object_get(payload, "installation"), "id")),
        .repo =
            json_string_value(json_object_get(json_object_get(payload, "repository"), "full_name")),
        .now_ms = 1000000,
        .due_ms = 1000500,
        .settings = &settings,
        .bot_login = "fleetbot[bot]",
        .batch = redis_batch_new(conn, on_batch, &r),
    };
    int rc = h->fn(&ctx, err);
    redis_batch_seal(ctx.batch);
    while (!r.done)
        event_base_loop(base, EVLOOP_ONCE);
    json_decref(payload);
    CHECK_INT_EQ(r.batch_rc, 0);
    return rc;
}

/* The due time of an evaluation job, or -1 when not scheduled. */
static long long evalq_score(const char *job)
{
    redisContext *c = redis_fixture_connect(&fx);
    redisReply *r = c ? redisCommand(c, "ZSCORE fb:evalq %s", job) : NULL;
    long long v = (r && r->type == REDIS_REPLY_STRING) ? atoll(r->str) : -1;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static void flush(void)
{
    ensure_setup();
    redis_fixture_int(&fx, "FLUSHALL");
}

static const char PR_OPENED[] =
    "{\"action\":\"labeled\",\"installation\":{\"id\":7},"
    "\"repository\":{\"full_name\":\"acme/api\",\"default_branch\":\"main\"},"
    "\"sender\":{\"login\":\"alice\"},"
    "\"pull_request\":{\"number\":12,\"state\":\"open\",\"head\":{\"sha\":"
    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"
    "\"labels\":[{\"name\":\"FleetBot/AutoMerge\"}]}}";

TEST(tagged_pr_is_tracked_indexed_and_scheduled)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("pull_request", PR_OPENED, &err), 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "SISMEMBER fb:tracked:acme/api 12"), 1);
    CHECK_INT_EQ(redis_fixture_int(&fx, "SISMEMBER fb:sha:acme/api:%s 12",
                                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                 1);
    CHECK_INT_EQ(evalq_score("7|acme/api|12"), 1000500);
    /* the same delivery again changes nothing */
    CHECK_INT_EQ(run_handler("pull_request", PR_OPENED, &err), 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "ZCARD fb:evalq"), 1);
    CHECK_INT_EQ(redis_fixture_int(&fx, "SCARD fb:tracked:acme/api"), 1);
}

TEST(untagged_or_closed_pr_is_forgotten)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("pull_request", PR_OPENED, &err), 0);
    CHECK_INT_EQ(
        run_handler("pull_request",
                    "{\"action\":\"closed\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/api\"},"
                    "\"pull_request\":{\"number\":12,\"state\":\"closed\",\"merged\":false,"
                    "\"head\":{\"sha\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"
                    "\"labels\":[{\"name\":\"fleetbot/automerge\"}]}}",
                    &err),
        0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "SISMEMBER fb:tracked:acme/api 12"), 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "ZCARD fb:evalq"), 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "EXISTS fb:merge:acme/api#12"), 0);
}

static const char PR_MERGED_BY_HUMAN[] =
    "{\"action\":\"closed\",\"installation\":{\"id\":7},"
    "\"repository\":{\"full_name\":\"acme/api\"},\"sender\":{\"login\":\"bob\"},"
    "\"pull_request\":{\"number\":13,\"state\":\"closed\",\"merged\":true,"
    "\"merged_at\":\"2026-11-24T10:00:00Z\",\"merged_by\":{\"login\":\"bob\"},"
    "\"merge_commit_sha\":\"cccccccccccccccccccccccccccccccccccccccc\","
    "\"head\":{\"sha\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"},"
    "\"labels\":[{\"name\":\"fleetbot/shift:bump-libfoo\"}]}}";

TEST(merged_shift_pr_is_registered_once_as_human)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("pull_request", PR_MERGED_BY_HUMAN, &err), 0);
    CHECK_INT_EQ(run_handler("pull_request", PR_MERGED_BY_HUMAN, &err), 0); /* redelivered */
    CHECK_INT_EQ(redis_fixture_int(&fx, "XLEN fb:merges"), 1);
    redisContext *c = redis_fixture_connect(&fx);
    redisReply *r = redisCommand(c, "HMGET fb:merge:acme/api#13 by shift merge_sha merged_at");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4);
    if (r && r->elements == 4) {
        CHECK_STR_EQ(r->element[0]->str, "human");
        CHECK_STR_EQ(r->element[1]->str, "bump-libfoo");
        CHECK_STR_EQ(r->element[2]->str, "cccccccccccccccccccccccccccccccccccccccc");
        CHECK_STR_EQ(r->element[3]->str, "1795514400000");
    }
    freeReplyObject(r);
    redisFree(c);
}

TEST(merged_untagged_pr_is_not_registered)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("pull_request",
                             "{\"action\":\"closed\",\"installation\":{\"id\":7},"
                             "\"repository\":{\"full_name\":\"acme/api\"},"
                             "\"pull_request\":{\"number\":14,\"state\":\"closed\",\"merged\":true,"
                             "\"merged_by\":{\"login\":\"bob\"},\"head\":{\"sha\":\"dddddddd\"},"
                             "\"labels\":[{\"name\":\"dependencies\"}]}}",
                             &err),
                 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "XLEN fb:merges"), 0);
}

TEST(check_run_of_a_fork_finds_its_pr_by_sha)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("pull_request", PR_OPENED, &err), 0);
    redis_fixture_int(&fx, "DEL fb:evalq");
    CHECK_INT_EQ(
        run_handler("check_run",
                    "{\"action\":\"completed\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/api\"},"
                    "\"check_run\":{\"head_sha\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                    "\"pull_requests\":[]}}",
                    &err),
        0);
    CHECK_INT_EQ(evalq_score("7|acme/api|12"), 1000500);
    /* a check on a commit no tracked PR has costs nothing */
    redis_fixture_int(&fx, "DEL fb:evalq");
    CHECK_INT_EQ(
        run_handler("check_run",
                    "{\"action\":\"completed\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/api\"},"
                    "\"check_run\":{\"head_sha\":\"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\","
                    "\"pull_requests\":[{\"number\":99}]}}",
                    &err),
        0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "ZCARD fb:evalq"), 0);
}

/* A passing run waits for its suite's completion (30 s at most); a failing one does not. */
TEST(check_run_success_waits_for_the_suite_failure_does_not)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("pull_request", PR_OPENED, &err), 0);
    redis_fixture_int(&fx, "DEL fb:evalq");
    CHECK_INT_EQ(
        run_handler("check_run",
                    "{\"action\":\"completed\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/api\"},"
                    "\"check_run\":{\"head_sha\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                    "\"conclusion\":\"success\",\"pull_requests\":[]}}",
                    &err),
        0);
    CHECK_INT_EQ(evalq_score("7|acme/api|12"), 1000000 + 30000);
    CHECK_INT_EQ(
        run_handler("check_suite",
                    "{\"action\":\"completed\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/api\"},"
                    "\"check_suite\":{\"head_sha\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                    "\"conclusion\":\"success\",\"pull_requests\":[]}}",
                    &err),
        0);
    CHECK_INT_EQ(evalq_score("7|acme/api|12"), 1000500); /* the suite: at once */
    redis_fixture_int(&fx, "DEL fb:evalq");
    CHECK_INT_EQ(
        run_handler("check_run",
                    "{\"action\":\"completed\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/api\"},"
                    "\"check_run\":{\"head_sha\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                    "\"conclusion\":\"failure\",\"pull_requests\":[]}}",
                    &err),
        0);
    CHECK_INT_EQ(evalq_score("7|acme/api|12"), 1000500);
}

TEST(status_schedules_by_sha)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("pull_request", PR_OPENED, &err), 0);
    redis_fixture_int(&fx, "DEL fb:evalq");
    CHECK_INT_EQ(
        run_handler("status",
                    "{\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"acme/api\"},"
                    "\"sha\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"state\":\"success\","
                    "\"context\":\"ci/jenkins\"}",
                    &err),
        0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "ZCARD fb:evalq"), 1);
}

TEST(installation_events_record_installations_and_repos)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(run_handler("installation",
                             "{\"action\":\"created\",\"installation\":{\"id\":7,"
                             "\"account\":{\"login\":\"acme\",\"type\":\"Organization\"}},"
                             "\"repositories\":[{\"full_name\":\"acme/api\"}]}",
                             &err),
                 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "SISMEMBER fb:installations 7"), 1);
    CHECK_INT_EQ(run_handler("installation_repositories",
                             "{\"action\":\"added\",\"installation\":{\"id\":7},"
                             "\"repositories_added\":[{\"full_name\":\"acme/web\"}],"
                             "\"repositories_removed\":[]}",
                             &err),
                 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "SISMEMBER fb:installation:7:repos acme/web"), 1);
    CHECK_INT_EQ(run_handler("installation",
                             "{\"action\":\"deleted\",\"installation\":{\"id\":7,"
                             "\"account\":{\"login\":\"acme\"}}}",
                             &err),
                 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "SISMEMBER fb:installations 7"), 0);
}

TEST(malformed_payloads_are_refused_without_writes)
{
    flush();
    struct fb_error err;
    static const struct {
        const char *event, *json, *msg;
    } bad[] = {
        {"pull_request", "{\"action\":\"opened\",\"installation\":{\"id\":7}}", "repository"},
        {"pull_request",
         "{\"action\":\"opened\",\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"a/"
         "b\"},"
         "\"pull_request\":{\"number\":\"12\"}}",
         "number"},
        {"pull_request",
         "{\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"a/b\"},"
         "\"pull_request\":{\"number\":1}}",
         "action"},
        {"check_run",
         "{\"action\":\"completed\",\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"a/"
         "b\"},"
         "\"check_run\":{\"head_sha\":\"xyz\"}}",
         "head_sha"},
        {"check_run",
         "{\"action\":\"completed\",\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"a/"
         "b\"},"
         "\"check_run\":[]}",
         "check_run"},
        {"status",
         "{\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"a/"
         "b\"},\"state\":\"success\"}",
         "sha"},
        {"status", "{\"repository\":{\"full_name\":\"a/b\"},\"sha\":\"aaaaaaaa\",\"state\":\"x\"}",
         "installation"},
        {"issue_comment",
         "{\"action\":\"created\",\"installation\":{\"id\":7},\"repository\":{"
         "\"full_name\":\"a/b\"},\"issue\":{\"number\":3},\"comment\":{\"id\":5,"
         "\"body\":\"/fleetbot hold\"}}",
         "comment.body, user"},
        {"issue_comment", "{\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"a/b\"}}",
         "action"},
        {"pull_request_review",
         "{\"action\":\"submitted\",\"installation\":{\"id\":7},\"repository\":{"
         "\"full_name\":\"a/b\"},\"pull_request\":{}}",
         "PR number"},
        {"workflow_run",
         "{\"action\":\"completed\",\"installation\":{\"id\":7},\"repository\":{"
         "\"full_name\":\"a/b\"}}",
         "workflow_run"},
        {"deployment_status",
         "{\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"a/b\"},"
         "\"deployment_status\":{\"state\":\"failure\"}}",
         "state or id"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = run_handler(bad[i].event, bad[i].json, &err);
        CHECK_INT_EQ(rc, FB_ERR_INVALID);
        CHECK_CONTAINS(err.msg, bad[i].msg);
    }
    CHECK_INT_EQ(redis_fixture_int(&fx, "DBSIZE"), 0);
}

TEST(actions_fleetbot_does_not_act_on_are_not_mine)
{
    struct fb_error err;
    CHECK_INT_EQ(run_handler("check_run",
                             "{\"action\":\"created\",\"installation\":{\"id\":7},"
                             "\"repository\":{\"full_name\":\"a/b\"},"
                             "\"check_run\":{\"head_sha\":\"aaaaaaaa\"}}",
                             &err),
                 HANDLER_NOT_MINE);
}

TEST(push_touching_policy_files_bumps_their_generation)
{
    flush();
    struct fb_error err;
    CHECK_INT_EQ(
        run_handler("push",
                    "{\"ref\":\"refs/heads/main\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/api\",\"default_branch\":\"main\"},"
                    "\"commits\":[{\"added\":[],\"removed\":[],"
                    "\"modified\":[\".github/fleetbot.yml\",\"src/x.c\"]}]}",
                    &err),
        0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "EXISTS fb:policy:gen:acme/api"), 1);
    CHECK_INT_EQ(redis_fixture_int(&fx, "EXISTS fb:policy:gen:acme"), 0);
    CHECK_INT_EQ(
        run_handler("push",
                    "{\"ref\":\"refs/heads/main\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/.github\",\"default_branch\":\"main\"},"
                    "\"commits\":[{\"added\":[\"holidays/se.ics\"],\"removed\":[],"
                    "\"modified\":[]}]}",
                    &err),
        0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "EXISTS fb:policy:gen:acme"), 1);
    /* a push elsewhere, or of other files, bumps nothing */
    CHECK_INT_EQ(
        run_handler("push",
                    "{\"ref\":\"refs/heads/main\",\"installation\":{\"id\":7},"
                    "\"repository\":{\"full_name\":\"acme/web\",\"default_branch\":\"main\"},"
                    "\"commits\":[{\"modified\":[\"README.md\"]}]}",
                    &err),
        0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "EXISTS fb:policy:gen:acme/web"), 0);
}

#define SHA40 "abcdefabcdefabcdefabcdefabcdefabcdef1234"

static const char DEPLOY_FAILED[] =
    "{\"action\":\"created\",\"installation\":{\"id\":7},"
    "\"repository\":{\"full_name\":\"acme/api\",\"default_branch\":\"main\"},"
    "\"deployment_status\":{\"id\":55,\"state\":\"failure\",\"environment\":\"production\","
    "\"log_url\":\"https://ci.example/55\"},"
    "\"deployment\":{\"id\":5,\"sha\":\"" SHA40 "\",\"environment\":\"production\"}}";

/* Executions after a merge are kept once, only where merges are registered, only when
 * finished, and handed to the Firewatch job. */
TEST(executions_are_kept_for_firewatch)
{
    flush();
    struct fb_error err;
    /* no registered merge in the repo: nothing kept, no job */
    CHECK_INT_EQ(run_handler("deployment_status", DEPLOY_FAILED, &err), 0);
    CHECK_INT_EQ(redis_fixture_int(&fx, "ZCARD fb:evalq"), 0);
    redis_fixture_int(&fx, "ZADD fb:fw:merges:acme/api 1000 7");
    CHECK_INT_EQ(run_handler("deployment_status", DEPLOY_FAILED, &err), 0);
    CHECK_INT_EQ(evalq_score("fw|7|acme/api|deployment:55"), 1000000);
    CHECK_INT_EQ(redis_fixture_int(&fx, "HEXISTS fb:fw:exec:acme/api:deployment:55 pipeline"), 1);
    CHECK_INT_EQ(run_handler("deployment_status", DEPLOY_FAILED, &err), 0); /* redelivered */
    CHECK_INT_EQ(redis_fixture_int(&fx, "ZCARD fb:evalq"), 1);
    /* not finished: not an execution yet */
    CHECK_INT_EQ(run_handler("deployment_status",
                             "{\"installation\":{\"id\":7},\"repository\":{\"full_name\":"
                             "\"acme/api\"},\"deployment_status\":{\"id\":56,\"state\":"
                             "\"in_progress\"},\"deployment\":{\"sha\":\"" SHA40 "\"}}",
                             &err),
                 HANDLER_NOT_MINE);
    /* a workflow run: only completed runs of pushes to the default branch */
    static const char RUN[] = "{\"action\":\"completed\",\"installation\":{\"id\":7},"
                              "\"repository\":{\"full_name\":\"acme/api\",\"default_branch\":"
                              "\"main\"},\"workflow_run\":{\"id\":9,\"run_attempt\":2,"
                              "\"name\":\"CI\",\"head_branch\":\"%s\",\"event\":\"push\","
                              "\"head_sha\":\"" SHA40 "\",\"conclusion\":\"success\"}}";
    char text[1024];
    snprintf(text, sizeof(text), RUN, "main");
    CHECK_INT_EQ(run_handler("workflow_run", text, &err), 0);
    CHECK_INT_EQ(evalq_score("fw|7|acme/api|workflow:9-2"), 1000000);
    snprintf(text, sizeof(text), RUN, "feature");
    CHECK_INT_EQ(run_handler("workflow_run", text, &err), HANDLER_NOT_MINE);
    /* a status on a default-branch commit */
    CHECK_INT_EQ(run_handler("status",
                             "{\"id\":77,\"installation\":{\"id\":7},\"repository\":{"
                             "\"full_name\":\"acme/api\",\"default_branch\":\"main\"},"
                             "\"sha\":\"" SHA40 "\",\"state\":\"error\",\"context\":\"ci/jenkins\","
                             "\"branches\":[{\"name\":\"main\"}]}",
                             &err),
                 0);
    CHECK_INT_EQ(evalq_score("fw|7|acme/api|status:77"), 1000000);
    CHECK_INT_EQ(redis_fixture_int(&fx, "HEXISTS fb:fw:exec:acme/api:status:77 sha"), 1);
    /* malformed: no sha */
    CHECK(run_handler("deployment_status",
                      "{\"installation\":{\"id\":7},\"repository\":{\"full_name\":\"acme/api\"},"
                      "\"deployment_status\":{\"id\":57,\"state\":\"failure\"},"
                      "\"deployment\":{\"sha\":\"zz\"}}",
                      &err) == FB_ERR_INVALID);
}

/* A comment with commands is kept once per comment id and queued; comments without
 * commands, edits and bots' comments cost nothing. */
TEST(comment_commands_are_queued_once)
{
    flush();
    struct fb_error err;
    static const char COMMENT[] =
        "{\"action\":\"%s\",\"installation\":{\"id\":7},\"repository\":{\"full_name\":"
        "\"acme/api\"},\"issue\":{\"number\":3,\"pull_request\":{}},\"comment\":{\"id\":5,"
        "\"body\":\"%s\",\"user\":{\"login\":\"%s\",\"type\":\"%s\"}}}";
    char text[1024];
    snprintf(text, sizeof(text), COMMENT, "created", "thanks!", "alice", "User");
    CHECK_INT_EQ(run_handler("issue_comment", text, &err), HANDLER_NOT_MINE);
    snprintf(text, sizeof(text), COMMENT, "edited", "/fleetbot hold", "alice", "User");
    CHECK_INT_EQ(run_handler("issue_comment", text, &err), HANDLER_NOT_MINE);
    snprintf(text, sizeof(text), COMMENT, "created", "/fleetbot hold", "ci", "Bot");
    CHECK_INT_EQ(run_handler("issue_comment", text, &err), HANDLER_NOT_MINE);
    CHECK_INT_EQ(redis_fixture_int(&fx, "DBSIZE"), 0);
    snprintf(text, sizeof(text), COMMENT, "created", "/fleetbot hold", "alice", "User");
    CHECK_INT_EQ(run_handler("issue_comment", text, &err), 0);
    CHECK_INT_EQ(run_handler("issue_comment", text, &err), 0); /* redelivered */
    CHECK_INT_EQ(evalq_score("cmd|7|acme/api|5"), 1000000);
    CHECK_INT_EQ(redis_fixture_int(&fx, "ZCARD fb:evalq"), 1);
    CHECK_INT_EQ(redis_fixture_int(&fx, "HEXISTS fb:cmd:acme/api:5 body"), 1);
}
