/*
 * opt_out_notice.c - the notice itself: SET NX on fb:optout:notice:<repo>:<expiry> picks
 * the one evaluation (on any replica) that posts it, then one comment. A lost comment is
 * not retried: the opt-out still ends on time, the notice is a courtesy.
 */
#include "opt_out_notice.h"

#include "alloc.h"
#include "app.h"
#include "buf.h"
#include "gh_client.h"
#include "gh_comment.h"
#include "log.h"
#include "redis.h"
#include "policies/facts.h"
#include "policies/gates.h"
#include "policies/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct notice {
    struct app *app;
    int64_t installation;
    char repo[256];
    int64_t number;
    char *text; /* the comment */
};

static void notice_free(struct notice *n)
{
    free(n->text);
    free(n);
}

static void on_posted(const struct gh_response *resp, const struct fb_error *err, void *priv)
{
    (void)resp;
    struct notice *n = priv;
    if (err->code != 0)
        log_warn("opt-out notice not posted repo=%s pr=%lld status=%d error=%s", n->repo,
                 (long long)n->number, err->http_status, err->msg);
    else
        log_info("opt-out notice posted repo=%s pr=%lld", n->repo, (long long)n->number);
    notice_free(n);
}

static void on_claimed(redisReply *reply, void *priv)
{
    struct notice *n = priv;
    if (reply == NULL || reply->type != REDIS_REPLY_STATUS || n->app->gh == NULL) {
        notice_free(n); /* someone else posts it (or posted it already) */
        return;
    }
    if (gh_comment_post(n->app->gh, n->installation, n->repo, n->number, n->text, on_posted, n) !=
        0)
        notice_free(n);
}

int64_t opt_out_notice_step(struct app *app, int64_t installation, const struct pr_facts *f,
                            int64_t notice_days, int64_t now_ms)
{
    const struct opt_out_fact *o = f->opt_out;
    if (o == NULL || o->until_ms <= now_ms)
        return 0;
    int64_t at = opt_out_notice_at(f->schedule, o->until_ms, notice_days);
    if (at == INT64_MAX)
        return 0;
    if (at > now_ms)
        return at;
    char when[96] = "the end of its expiry day";
    if (f->schedule)
        schedule_format_local(f->schedule, o->until_ms / 1000, when, sizeof(when));
    struct buf text = BUF_INIT(8192);
    buf_printf(&text,
               "Heads-up: this repository's opt-out from fleetbot's automerging ends with %s "
               "(reason: %s). From %s fleetbot merges tagged pull requests here again.\n\n"
               "To stay out longer, change `expires:` in `.github/fleetbot.yml`, or comment "
               "`/fleetbot opt-out until=YYYY-MM-DD reason=\"...\"` (someone with write "
               "permission).",
               o->expires ? o->expires : "?", o->reason ? o->reason : "", when);
    struct notice *n = xcalloc(1, sizeof(*n));
    n->app = app;
    n->installation = installation;
    snprintf(n->repo, sizeof(n->repo), "%s", f->repo);
    n->number = f->number;
    n->text = buf_detach(&text, NULL);
    if (fb_redis_command(app->redis, on_claimed, n, "SET fb:optout:notice:%s:%s 1 NX EX 7776000",
                         f->repo, o->expires ? o->expires : "") != 0)
        notice_free(n);
    return 0;
}
