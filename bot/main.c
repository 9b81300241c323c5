/*
 * main.c - the fleetbot command line: `serve` runs the GitHub App (webhook receiver and
 * worker roles on one event loop), `dead-letters` lets operators inspect and replay
 * deliveries that kept failing. The sandbox (no App credentials) is started by
 * deploy/run.sh, which runs a simulated GitHub next to `fleetbot serve`.
 */
#include "app.h"
#include "config.h"
#include "err.h"
#include "evalq.h"
#include "alert_hook.h"
#include "api.h"
#include "jobs.h"
#include "protection_cache.h"
#include "test_clock.h"
#include "evaluator.h"
#include "explain.h"
#include "gh_client.h"
#include "http_server.h"
#include "log.h"
#include "queue.h"
#include "receiver.h"
#include "policy_source.h"
#include "redeliver.h"
#include "redis.h"
#include "settings.h"
#include "worker.h"
#include "yaml_tree.h"
#include "zones.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#define FLEETBOT_VERSION "0.1.0"

static const char usage[] =
    "usage: fleetbot COMMAND [--env-file FILE]\n"
    "\n"
    "fleetbot merges a shift's tagged pull requests across a fleet of repositories once every\n"
    "required check is green and the owners' policy allows it, and watches what runs after.\n"
    "\n"
    "commands:\n"
    "  serve                  run the GitHub App: POST /webhook, GET /healthz, GET /readyz,\n"
    "                         GET /api/v1/shifts[/NAME], the worker that evaluates and merges\n"
    "                         pull requests, runs /fleetbot commands and Firewatch\n"
    "  dead-letters [list]    list deliveries that kept failing (fb:dead) with their errors\n"
    "  dead-letters replay ID put one dead letter back on the queue\n"
    "  explain OWNER/REPO#N   the last decision on a pull request, gate by gate\n"
    "  check-config [--org|--repo|--shift|--catalog] FILE...\n"
    "                         validate policy files offline; errors as FILE:LINE: message\n"
    "  version                print the version\n"
    "\n"
    "--env-file FILE sets FLEETBOT_* variables from KEY=VALUE lines (the environment wins).\n"
    "\n"
    "settings (environment):\n"
    "  FLEETBOT_LISTEN               host:port for HTTP (default 127.0.0.1:8080)\n"
    "  FLEETBOT_REDIS_URL            redis://[:password@]host:port/db (default "
    "redis://127.0.0.1:6379/0)\n"
    "  FLEETBOT_GITHUB_API_URL       https://api.github.com, or https://HOST/api/v3 (Enterprise "
    "Server)\n"
    "  FLEETBOT_APP_ID               the GitHub App's id\n"
    "  FLEETBOT_PRIVATE_KEY_FILE     the App's PEM private key\n"
    "  FLEETBOT_WEBHOOK_SECRET       webhook secret; \"old,new\" accepts both during rotation\n"
    "  FLEETBOT_WEBHOOK_SECRET_FILE  read the secret from a file instead\n"
    "  FLEETBOT_ROLES                receiver,worker (default both)\n"
    "  FLEETBOT_LOG_LEVEL            debug|info|warn|error (default info)\n"
    "  more: docs/configuration.md\n"
    "\n"
    "Without App credentials, try the sandbox: deploy/run.sh starts Redis, a simulated GitHub\n"
    "with a small fleet, and fleetbot merging a shift's pull requests, and narrates it.\n";

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct app *app = arg;
    log_info("stopping on signal %d; unfinished work stays in redis for any replica", (int)sig);
    event_base_loopexit(app->base, NULL);
}

static void on_slug(const char *slug, const struct fb_error *err, void *priv)
{
    struct app *app = priv;
    if (err && err->code != 0) {
        log_warn("could not learn the app slug; own events are not filtered error=%s", err->msg);
        return;
    }
    snprintf(app->bot_login, sizeof(app->bot_login), "%s[bot]", slug);
    log_info("app identified as %s", app->bot_login);
}

/* /readyz for a worker-only process: ready while its Redis connection is. */
static bool redis_ready(void *priv, const char **why)
{
    struct app *app = priv;
    if (fb_redis_is_ready(app->redis))
        return true;
    *why = "redis not ready";
    return false;
}

static struct fb_redis *redis_conn(struct app *app, const char *name, int64_t timeout_ms)
{
    struct fb_redis_options o = {
        .host = app->settings.redis_host,
        .port = app->settings.redis_port,
        .db = app->settings.redis_db,
        .password = app->settings.redis_password,
        .name = name,
        .timeout_ms = timeout_ms,
    };
    return fb_redis_new(app->base, &o);
}

static int start_worker(struct app *app, struct fb_error *err)
{
    struct gh_client_options go = {
        .api_url = app->settings.api_url,
        .app_id = app->settings.app_id,
        .private_key_file = app->settings.private_key_file,
        .user_agent = "fleetbot/" FLEETBOT_VERSION,
        .redis = app->redis,
        .clock = NULL, /* real time: JWTs, token expiry and rate-limit resets are GitHub's */
        .max_in_flight = 16,
    };
    app->gh = gh_client_new(app->base, &go, err);
    if (app->gh == NULL)
        return err->code ? err->code : FB_ERR_INVALID;
    if (app->settings.app_slug)
        snprintf(app->bot_login, sizeof(app->bot_login), "%s[bot]", app->settings.app_slug);
    else
        gh_client_fetch_app_slug(app->gh, on_slug, app);

    struct fb_queue_options qo = {
        .consumer = app->settings.consumer,
        .reclaim_ms = app->settings.reclaim_ms,
        .max_attempts = app->settings.max_attempts,
        .concurrency = (int)app->settings.worker_concurrency,
    };
    app->queue = queue_new(app->base, app->redis, app->redis_block, &qo, worker_on_job, app);
    struct evalq_options eo = {
        .concurrency = (int)app->settings.worker_concurrency,
        .lease_ms = app->settings.lease_ms,
        .poll_ms = 100,
    };
    app->zones = zones_new(getenv("FLEETBOT_ZONEINFO_DIR"));
    app->policy = policy_source_new(app);
    app->protection = protection_cache_new();
    app->alert_hook = alert_hook_new(app->base, app->settings.alert_webhook);
    app->evalq = evalq_new(app->base, app->redis, &eo, app_now_ms, app, jobs_on_job, app);
    if (app->settings.redeliver_ms > 0)
        app->redeliver = redeliver_new(app, app->settings.redeliver_ms);
    return 0;
}

static int cmd_serve(struct app *app)
{
    struct fb_error err = {0};
    struct fb_settings *s = &app->settings;
    bool receiver = settings_has_role(s, "receiver"), worker = settings_has_role(s, "worker");
    if (!receiver && !worker) {
        fprintf(stderr, "fleetbot: FLEETBOT_ROLES names neither receiver nor worker\n");
        return 2;
    }
    /* a receiver needs only the webhook secret; a worker needs the App's identity */
    if ((worker && !settings_has_app_credentials(s)) ||
        (receiver && s->webhook_secret_count == 0)) {
        fprintf(stderr,
                "fleetbot: no GitHub App credentials: set FLEETBOT_APP_ID, "
                "FLEETBOT_PRIVATE_KEY_FILE and FLEETBOT_WEBHOOK_SECRET (see fleetbot --help),\n"
                "or run the sandbox with deploy/run.sh\n");
        return 2;
    }
    if (fb_clock_init(&app->clock, s->now, &err) != 0) {
        fprintf(stderr, "fleetbot: %s\n", err.msg);
        return 2;
    }
    if (s->now)
        log_warn("FLEETBOT_NOW is set: the clock starts at %s (testing and sandbox only)", s->now);
    signal(SIGPIPE, SIG_IGN);
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    app->base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (app->base == NULL) {
        fprintf(stderr, "fleetbot: cannot create the event loop\n");
        return 1;
    }
    app->redis = redis_conn(app, "fleetbot", 5000);
    if (s->clock_key)
        app->test_clock = test_clock_new(app);
    struct event *sigterm = evsignal_new(app->base, SIGTERM, on_signal, app);
    struct event *sigint = evsignal_new(app->base, SIGINT, on_signal, app);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);

    int rc = 0;
    app->http = http_server_new(app->base, s->listen_host, s->listen_port, &err);
    if (app->http == NULL) {
        fprintf(stderr, "fleetbot: cannot listen on %s:%d: %s\n", s->listen_host, s->listen_port,
                err.msg);
        rc = 1;
        goto out;
    }
    api_register(app);
    if (receiver)
        app->receiver = receiver_new(app->http, app->redis, s);
    else
        http_server_set_ready(app->http, redis_ready, app);
    if (worker) {
        app->redis_block = redis_conn(app, "fleetbot-block", QUEUE_BLOCK_MS + 10000);
        if ((rc = start_worker(app, &err)) != 0) {
            fprintf(stderr, "fleetbot: %s\n", err.msg);
            rc = 1;
            goto out;
        }
    }
    log_info("fleetbot %s serving listen=%s:%d roles=%s github=%s consumer=%s", FLEETBOT_VERSION,
             s->listen_host, http_server_port(app->http), s->roles, s->api_url, s->consumer);
    event_base_dispatch(app->base);
out:
    /* Order matters (docs/conventions.md, ownership): the GitHub client first, so the
     * evaluations it completes can still release their leases through Redis; then the
     * queue and the receiver before the connections they borrow; the evaluation queue
     * and the recovery job last, because Redis hands their pending callbacks a NULL
     * reply when it is freed. */
    gh_client_free(app->gh);
    alert_hook_free(app->alert_hook);
    policy_source_free(app->policy); /* its calendar fetches fail their loads: Redis still up */
    app->policy = NULL;
    if (app->queue) {
        const struct queue_stats *qs = queue_get_stats(app->queue);
        log_info("queue stats started=%llu acked=%llu retried=%llu dead=%llu reclaimed=%llu "
                 "evaluations=%ld merges=%ld",
                 (unsigned long long)qs->started, (unsigned long long)qs->acked,
                 (unsigned long long)qs->retried, (unsigned long long)qs->dead,
                 (unsigned long long)qs->reclaimed, app->evaluations, app->merges);
    }
    queue_free(app->queue);
    if (app->receiver) {
        receiver_drain(app->receiver); /* answer what still waits for Redis: final counts */
        struct receiver_stats rs = *receiver_get_stats(app->receiver);
        log_info("receiver stats accepted=%llu duplicates=%llu unavailable=%llu pings=%llu "
                 "rejected=%llu",
                 (unsigned long long)rs.accepted, (unsigned long long)rs.duplicates,
                 (unsigned long long)rs.unavailable, (unsigned long long)rs.pings,
                 (unsigned long long)(rs.rejected_400 + rs.rejected_401 + rs.rejected_404 +
                                      rs.rejected_405 + rs.rejected_413 + rs.rejected_415));
    }
    receiver_free(app->receiver);
    http_server_free(app->http);
    fb_redis_free(app->redis_block);
    fb_redis_free(app->redis);
    test_clock_free(app->test_clock);
    evalq_free(app->evalq);
    redeliver_free(app->redeliver);
    policy_source_free(app->policy);
    zones_free(app->zones);
    protection_cache_free(app->protection);
    event_free(sigterm);
    event_free(sigint);
    event_base_free(app->base);
    return rc;
}

static int cmd_dead_letters(struct app *app, int argc, char **argv)
{
    struct fb_settings *s = &app->settings;
    if (argc == 0 || strcmp(argv[0], "list") == 0) {
        int n = queue_cli_dead_list(s->redis_host, s->redis_port, s->redis_db, s->redis_password,
                                    stdout);
        if (n < 0)
            return 1;
        fprintf(stderr, "%d dead letter%s\n", n, n == 1 ? "" : "s");
        return 0;
    }
    if (strcmp(argv[0], "replay") == 0 && argc == 2) {
        int rc = queue_cli_dead_replay(s->redis_host, s->redis_port, s->redis_db, s->redis_password,
                                       argv[1]);
        if (rc == FB_ERR_NOT_FOUND)
            fprintf(stderr, "fleetbot: no dead letter %s\n", argv[1]);
        else if (rc == 0)
            fprintf(stderr, "dead letter %s is back on the queue\n", argv[1]);
        return rc == 0 ? 0 : 1;
    }
    fputs(usage, stderr);
    return 2;
}

static int cmd_explain(struct app *app, int argc, char **argv)
{
    struct fb_settings *s = &app->settings;
    char repo[256];
    int64_t number;
    if (argc != 1 || explain_parse_target(argv[0], repo, sizeof(repo), &number) != 0) {
        fputs("usage: fleetbot explain OWNER/REPO#N\n", stderr);
        return 2;
    }
    int rc = explain_print(s->redis_host, s->redis_port, s->redis_db, s->redis_password, repo,
                           number, stdout);
    if (rc == FB_ERR_NOT_FOUND)
        fprintf(stderr,
                "fleetbot: no decision recorded for %s#%lld (not tagged, or not seen yet)\n", repo,
                (long long)number);
    return rc == 0 ? 0 : 1;
}

static char *read_small_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *data = malloc(YAML_TREE_TEXT_MAX + 2);
    *len = data ? fread(data, 1, YAML_TREE_TEXT_MAX + 1, f) : 0;
    fclose(f);
    return data;
}

/* The shift name of "shifts/<name>.yml". */
static void shift_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    snprintf(out, cap, "%.*s", (int)n, base);
}

static int cmd_check_config(int argc, char **argv)
{
    struct zones *zs = zones_new(getenv("FLEETBOT_ZONEINFO_DIR"));
    int forced = -1, files = 0, bad = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--org") == 0 || strcmp(a, "--repo") == 0 || strcmp(a, "--shift") == 0 ||
            strcmp(a, "--catalog") == 0) {
            forced = a[2] == 'o'   ? CONFIG_ORG
                     : a[2] == 'r' ? CONFIG_REPO
                     : a[2] == 's' ? CONFIG_SHIFT
                                   : CONFIG_CATALOG;
            continue;
        }
        files++;
        size_t len = 0;
        char *text = read_small_file(a, &len);
        if (text == NULL) {
            fprintf(stderr, "%s: cannot read the file\n", a);
            bad++;
            continue;
        }
        struct config_errors errs = {0};
        enum config_kind kind =
            forced >= 0 ? (enum config_kind)forced : config_guess_kind(a, text, len);
        const char *what = "";
        char summary[256] = "";
        if (kind == CONFIG_ORG) {
            struct cfg_org o = {0};
            config_parse_org(a, text, len, zones_exists, zs, &o, &errs);
            what = "org policy";
            snprintf(summary, sizeof(summary), ", %zu team%s", o.nteams, o.nteams == 1 ? "" : "s");
            cfg_org_free(&o);
        } else if (kind == CONFIG_SHIFT) {
            struct cfg_shift sh = {0};
            char name[128];
            shift_name(a, name, sizeof(name));
            config_parse_shift(a, name, text, len, &sh, &errs);
            what = "shift";
            snprintf(summary, sizeof(summary), " \"%s\", %s", name,
                     sh.automerge ? "automerges" : "recommends only");
            cfg_shift_free(&sh);
        } else if (kind == CONFIG_REPO) {
            struct cfg_repo r = {0};
            config_parse_repo(a, text, len, zones_exists, zs, &r, &errs);
            what = "repository config";
            if (r.opt_out)
                snprintf(summary, sizeof(summary), ", opted out");
            cfg_repo_free(&r);
        } else {
            char *owner = NULL;
            config_parse_catalog(a, text, len, &owner, &errs);
            what = "Backstage catalog";
            snprintf(summary, sizeof(summary), ", owner %s", owner ? owner : "(none)");
            free(owner);
        }
        free(text);
        if (errs.n + errs.dropped > 0) {
            char out[CONFIG_ERRORS_MAX * 420];
            config_errors_format(&errs, out, sizeof(out));
            fputs(out, stdout);
            bad++;
        } else {
            printf("%s: ok (%s%s)\n", a, what, summary);
        }
    }
    zones_free(zs);
    if (files == 0) {
        fputs("usage: fleetbot check-config [--org|--repo|--shift|--catalog] FILE...\n", stderr);
        return 2;
    }
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *env_file = NULL;
    char *args[256];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            strcmp(argv[i], "help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--env-file") == 0 && i + 1 < argc) {
            env_file = argv[++i];
        } else if (nargs < 256) {
            args[nargs++] = argv[i];
        } else {
            fprintf(stderr, "fleetbot: too many arguments (at most 256)\n");
            return 2;
        }
    }
    if (nargs == 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(args[0], "check-config") == 0)
        return cmd_check_config(nargs - 1, args + 1);
    if (strcmp(args[0], "version") == 0) {
        printf("fleetbot %s\n", FLEETBOT_VERSION);
        return 0;
    }
    struct fb_error err = {0};
    if (env_file && settings_load_env_file(env_file, &err) != 0) {
        fprintf(stderr, "fleetbot: %s\n", err.msg);
        return 2;
    }
    struct app app;
    memset(&app, 0, sizeof(app));
    if (settings_load(&app.settings, &err) != 0) {
        fprintf(stderr, "fleetbot: %s\n", err.msg);
        settings_free(&app.settings);
        return 2;
    }
    if (log_set_level_name(app.settings.log_level) != 0) {
        fprintf(stderr, "fleetbot: FLEETBOT_LOG_LEVEL must be debug, info, warn, error or off\n");
        settings_free(&app.settings);
        return 2;
    }
    int rc;
    if (strcmp(args[0], "serve") == 0) {
        rc = cmd_serve(&app);
    } else if (strcmp(args[0], "explain") == 0) {
        rc = cmd_explain(&app, nargs - 1, args + 1);
    } else if (strcmp(args[0], "dead-letters") == 0) {
        rc = cmd_dead_letters(&app, nargs - 1, args + 1);
    } else {
        fprintf(stderr, "fleetbot: unknown command \"%s\"\n\n%s", args[0], usage);
        rc = 2;
    }
    settings_free(&app.settings);
    return rc;
}
