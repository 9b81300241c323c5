/*
 * bench_evaluate.c - the CPU cost of deciding: 10,000 repos x 10 tracked PRs written to a
 * Redis the caller started (tests/bench/evaluate.sh), then measured separately: (a) reading
 * every PR's state and the rate-limit sets back (pipelined), (b) parsing and resolving each
 * repo's policy once, (c) building struct pr_facts and running gates_evaluate() for every PR
 * with one `now`; then (d) the same with the trace JSON, each gate alone, and (e) the
 * policy parsed per evaluation as policy_source.c does today. It starts no process and
 * refuses a Redis that already holds keys. It does not model the GitHub API: the check
 * facts a real evaluation fetches are stored in the PR's hash here (JSON arrays, or
 * tab-separated lines with BENCH_FACTS=text) so that they are read back with the rest.
 */
#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "ical.h"
#include "parse.h"
#include "schedule_resolve.h"
#include "timeutil.h"
#include "zones.h"
#include "policies/calendar.h"
#include "policies/gates.h"
#include "policies/tz.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#define NOW_TEXT     "2026-11-27T13:30:00Z" /* a Friday: Stockholm 14:30, New York 08:30 */
#define INSTALLATION 1001
#define OWN_APP_ID   4242
#define ACTIONS_APP  15368
#define SCANNER_APP  57789
#define BATCH        1000 /* commands per round trip */
#define GATE_REPS    3
#define AUTOMERGE    "fleetbot/automerge"
#define HOLD         "fleetbot/hold"
#define CONFIG_REPO  "acme/.github"
/* + "owner/repo:path": the policy texts, which fleetbot itself keeps per process */
#define FILE_PREFIX  "fbbench:file:"
#define MAX_LABELS   8
#define NSHIFTS      6
#define PAUSED_SHIFT "log4j-fix"
#define HOUR_MS      3600000LL
#define MIN_MS       60000LL

/* ---- small helpers --------------------------------------------------------------- */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct span {
    double cpu0, wall0, cpu, wall;
};

static void span_start(struct span *s)
{
    s->cpu0 = cpu_now();
    s->wall0 = wall_now();
}

static void span_stop(struct span *s)
{
    s->cpu = cpu_now() - s->cpu0;
    s->wall = wall_now() - s->wall0;
}

static uint64_t rng_state = 0x5eed2026u;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned pick(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench_evaluate: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static void fmt_or_die(char *out, size_t cap, int n)
{
    (void)out;
    if (n < 0 || (size_t)n >= cap)
        die("a key or value did not fit its buffer", NULL);
}

/* ---- the simulated fleet ----------------------------------------------------------- */

static const char *const TEAMS[] = {"platform", "payments", "search", "infra", "core"};

static const char ORG_YML[] =
    "# acme's fleetbot policy (config repo acme/.github)\n"
    "defaults:\n"
    "  team: platform\n"
    "teams:\n"
    "  platform:\n"
    "    timezone: Europe/Stockholm\n"
    "    hours: \"09:00-17:00\"\n"
    "    holidays:\n"
    "      dates: [2026-12-24, 2026-12-25, 2026-12-26, 2026-12-31, 2027-01-01]\n"
    "      calendars: [holidays/sweden.ics]\n"
    "  payments:\n"
    "    timezone: America/New_York\n"
    "    hours: \"09:00-17:00\"\n"
    "    holidays:\n"
    "      dates: [2026-11-26, 2026-12-25, 2027-01-01, 2027-01-18]\n"
    "  search:\n"
    "    timezone: Australia/Lord_Howe\n"
    "    hours: \"08:30-16:30\"\n"
    "    holidays:\n"
    "      dates: [2026-12-25, 2026-12-28, 2027-01-01, 2027-01-26]\n"
    "  infra:\n"
    "    timezone: Asia/Kathmandu\n"
    "    hours: \"10:00-20:00\"\n"
    "    weekend: [sat]\n"
    "    holidays:\n"
    "      dates: [2026-12-25, 2027-01-11]\n"
    "  core:\n"
    "    timezone: UTC\n"
    "    hours: \"08:00-18:00\"\n"
    "    holidays:\n"
    "      dates: [2026-11-27, 2026-12-24, 2026-12-25]   # the 27th: company day off\n"
    "rate_limits:\n"
    "  per_installation_per_hour: 400\n"
    "  per_shift_per_hour: 60\n"
    "  repo_spacing: 30m\n"
    "freezes:\n"
    "  - from: 2026-09-01T00:00:00Z\n"
    "    to: 2026-09-03T00:00:00Z\n"
    "    reason: datacenter move\n"
    "  - from: 2026-12-21T00:00:00+01:00\n"
    "    to: 2027-01-04T00:00:00+01:00\n"
    "    reason: end-of-year freeze\n"
    "critical:\n"
    "  tiers: [critical]\n"
    "  require_approval: true\n"
    "  hours: \"10:00-15:00\"\n"
    "  after_lower_tiers: true\n"
    "opt_outs:\n"
    "  max_days: 90\n"
    "  notice_days: 3\n";

static const char ICS[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//acme//holidays//EN\r\n"
    "BEGIN:VEVENT\r\nUID:se-1\r\nDTSTART;VALUE=DATE:20000101\r\nRRULE:FREQ=YEARLY\r\n"
    "SUMMARY:New Year's Day\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-2\r\nDTSTART;VALUE=DATE:20000106\r\nRRULE:FREQ=YEARLY\r\n"
    "SUMMARY:Epiphany\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-3\r\nDTSTART;VALUE=DATE:20000501\r\nRRULE:FREQ=YEARLY\r\n"
    "SUMMARY:May Day\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-4\r\nDTSTART;VALUE=DATE:20000606\r\nRRULE:FREQ=YEARLY\r\n"
    "SUMMARY:National Day\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-5\r\nDTSTART;VALUE=DATE:20001224\r\nDTEND;VALUE=DATE:20001227\r\n"
    "RRULE:FREQ=YEARLY\r\nSUMMARY:Christmas\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-6\r\nDTSTART;VALUE=DATE:20001231\r\nRRULE:FREQ=YEARLY\r\n"
    "SUMMARY:New Year's Eve\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-7\r\nDTSTART;VALUE=DATE:20270326\r\nSUMMARY:Good Friday\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-8\r\nDTSTART;VALUE=DATE:20270329\r\nSUMMARY:Easter Monday\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-9\r\nDTSTART;VALUE=DATE:20270506\r\nSUMMARY:Ascension Day\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-10\r\nDTSTART;VALUE=DATE:20270625\r\nSUMMARY:Midsummer Eve\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:se-11\r\nDTSTART;VALUE=DATE:20261106\r\nSUMMARY:All Saints' Eve\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n";

struct shift_def {
    const char *name;
    const char *text;
    int recent; /* automerges of the shift in the last hour */
};

static const struct shift_def SHIFTS[NSHIFTS] = {
    {"bump-libfoo",
     "description: Bump libfoo to 2.4 everywhere\nowners: [alice, \"@acme/platform\"]\n"
     "automerge: true\nmerge_method: squash\nrate_limit_per_hour: 5\n",
     5},
    {"node-22", "description: Node.js 22\nowners: [bob]\nautomerge: true\n", 40},
    {"renovate-weekly", "owners: [\"@acme/dx\"]\nautomerge: true\nrate_limit_per_hour: 200\n", 120},
    {"suggest-lint",
     "description: lint fixes, reviewed by people\nowners: [carol]\n"
     "automerge: false\n",
     0},
    {"go-1.23", "owners: [dave]\nautomerge: true\n", 60},
    {"log4j-fix", "owners: [\"@acme/security\"]\nautomerge: true\nrate_limit_per_hour: 500\n", 10},
};

/* Fields of fb:pr:<repo>#<n> that the benchmark writes and reads back (HMGET order). */
enum {
    PF_INSTALLATION,
    PF_STATE,
    PF_DRAFT,
    PF_HEAD,
    PF_BASE,
    PF_DEFAULT,
    PF_LABELS,
    PF_MERGEABLE,
    PF_MERGEABLE_STATE,
    PF_ATTEMPTS,
    PF_SHIFT,
    PF_CHECKS,
    PF_REQUIRED,
    PF_APPROVALS,
    PF_COUNT
};
static const char *const PR_FIELDS[PF_COUNT] = {
    "installation",   "state",  "draft",     "head_sha",        "base_ref",
    "default_branch", "labels", "mergeable", "mergeable_state", "mergeable_attempts",
    "shift",          "checks", "required",  "approvals"};

struct repo_state {
    char name[48];
    char *file; /* .github/fleetbot.yml, NULL when the repo has none */
    size_t file_len;
    int64_t *numbers; /* tracked PRs read back */
    size_t nnumbers;
    int64_t *spacing_recent; /* fb:rl:repo:<repo> inside the window */
    size_t nspacing;
    /* the resolved view (policy_source.c's build_view, per repo) */
    bool has_repo;
    struct cfg_repo cfg;
    struct config_errors errs;
    char *error_text;
    bool has_schedule;
    struct resolved_schedule sched;
    struct freeze_fact *freezes;
    size_t nfreezes;
    bool has_opt_out;
    struct opt_out_fact opt_out;
    char expires[16];
    char spacing_what[128];
    /* an opt-out made by comment (fb:optout:<repo>), as read */
    bool has_comment_opt_out;
    char co_by[64], co_reason[200], co_expires[16];
    int64_t co_at_ms, co_until_day;
    struct opt_out_fact comment_opt_out;
    char comment_text[400];
    bool has_critical;
    struct critical_fact critical;
};

struct shift_state {
    bool paused; /* fb:shift:paused:<name> */
    char paused_by[64], paused_reason[200];
    struct pause_fact pause;
    int64_t lower_tiers_open; /* its tracked PRs in repos of no critical tier */
    struct cfg_shift cfg;
    bool parsed;
    char what[96];
    int64_t *recent;
    size_t nrecent;
    int64_t limit;
};

struct pr_state {
    struct repo_state *repo;
    int64_t number;
    redisReply *reply; /* HMGET reply: the facts borrow its strings */
    json_t *labels_json, *checks_json, *required_json;
    const char *labels[MAX_LABELS];
    struct check_observation *checks;
    struct required_check *required;
    struct rate_fact rates[3];
    struct critical_fact critical;
    struct pr_facts facts;
};

struct bench {
    redisContext *c;
    size_t nrepos, per_repo, nprs;
    int64_t now_ms;
    struct repo_state *repos;
    struct pr_state *prs;
    struct shift_state shifts[NSHIFTS];
    char *org_text, *ics_text, *shift_texts[NSHIFTS];
    size_t org_len, ics_len, shift_lens[NSHIFTS];
    int64_t *inst_recent;
    size_t ninst;
    struct zones *zones;
    struct cfg_org org;
    struct config_errors org_errs;
    double ical_wall;
    size_t ical_calls;
};

/* ---- Redis pipelining -------------------------------------------------------------- */

struct pipe {
    redisContext *c;
    size_t queued;
    size_t commands, round_trips;
};

static void pipe_drain(struct pipe *p)
{
    for (size_t i = 0; i < p->queued; i++) {
        redisReply *r = NULL;
        if (redisGetReply(p->c, (void **)&r) != REDIS_OK || r == NULL)
            die("redis read failed", p->c->errstr);
        if (r->type == REDIS_REPLY_ERROR)
            die("redis refused a write", r->str);
        freeReplyObject(r);
    }
    if (p->queued)
        p->round_trips++;
    p->queued = 0;
}

static void pipe_argv(struct pipe *p, int argc, const char **argv, const size_t *lens)
{
    if (redisAppendCommandArgv(p->c, argc, argv, lens) != REDIS_OK)
        die("redis append failed", p->c->errstr);
    p->commands++;
    if (++p->queued >= BATCH)
        pipe_drain(p);
}

static void pipe_cmd(struct pipe *p, int argc, const char **argv)
{
    size_t lens[64];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    pipe_argv(p, argc, argv, lens);
}

/* Sends n commands built by fn in batches of BATCH and hands every reply to sink. */
typedef int (*build_fn)(struct bench *b, size_t i, const char **argv, size_t *lens, char *scratch);
typedef void (*sink_fn)(struct bench *b, size_t i, redisReply *r);

#define SCRATCH 1024

static size_t run_reads(struct bench *b, size_t n, build_fn build, sink_fn sink)
{
    size_t trips = 0;
    char(*scratch)[SCRATCH] = xmalloc(BATCH * SCRATCH);
    for (size_t at = 0; at < n; at += BATCH) {
        size_t m = n - at < BATCH ? n - at : BATCH;
        for (size_t j = 0; j < m; j++) {
            const char *argv[24];
            size_t lens[24];
            int argc = build(b, at + j, argv, lens, scratch[j]);
            if (redisAppendCommandArgv(b->c, argc, argv, lens) != REDIS_OK)
                die("redis append failed", b->c->errstr);
        }
        for (size_t j = 0; j < m; j++) {
            redisReply *r = NULL;
            if (redisGetReply(b->c, (void **)&r) != REDIS_OK || r == NULL)
                die("redis read failed", b->c->errstr);
            if (r->type == REDIS_REPLY_ERROR)
                die("redis refused a read", r->str);
            sink(b, at + j, r);
        }
        trips++;
    }
    free(scratch);
    return trips;
}

/* ---- populating ---------------------------------------------------------------------- */

static void set_file(struct pipe *p, const char *repo, const char *path, const char *text)
{
    char key[300];
    fmt_or_die(key, sizeof(key), snprintf(key, sizeof(key), FILE_PREFIX "%s:%s", repo, path));
    const char *argv[] = {"SET", key, text};
    pipe_cmd(p, 3, argv);
}

/* The repo's .github/fleetbot.yml, or "" for none: mostly a team, with the variety real
 * fleets have (overrides, freezes, opt-outs, a few mistakes). */
static void repo_file(struct buf *out)
{
    unsigned t = pick(100);
    const char *team = t < 30   ? TEAMS[0]
                       : t < 50 ? TEAMS[1]
                       : t < 65 ? TEAMS[2]
                       : t < 85 ? TEAMS[3]
                                : TEAMS[4];
    unsigned k = pick(1000);
    buf_reset(out);
    if (k < 100)
        return; /* no file: the org's default team */
    buf_printf(out, "# owners: %s\nteam: %s\n", team, team);
    if (k < 103)
        buf_appends(out, "hours: \"9 to 5\"\n"); /* invalid: BLOCK with the line */
    else if (k < 104) {
        buf_reset(out);
        buf_appends(out, "team: growth\n"); /* not a team of the org */
    } else if (k < 114)
        buf_appends(out, "opt_out:\n  reason: migrating clusters\n  expires: 2026-12-15\n");
    else if (k < 116)
        buf_appends(out, "opt_out:\n  reason: rewrite in progress\n  expires: 2027-06-30\n");
    else if (k < 136)
        buf_appends(out, "freezes:\n  - from: 2026-11-26T00:00:00Z\n"
                         "    to: 2026-11-28T00:00:00Z\n    reason: release week\n");
    else if (k < 166)
        buf_appends(out, "freezes:\n  - from: 2026-10-01T00:00:00Z\n"
                         "    to: 2026-10-03T00:00:00Z\n    reason: migration\n");
    else if (k < 196)
        buf_appends(out, "hours: \"06:00-10:00\"\n");
    else if (k < 216)
        buf_appends(out, "weekend: [fri, sat]\n");
    else if (k < 236)
        buf_appends(out, "timezone: Asia/Kathmandu\n");
    else if (k < 256)
        buf_appends(out, "tier: critical\n");
}

/* Lists in the PR's hash (labels, checks, required) as compact JSON arrays, or, with
 * BENCH_FACTS=text, as lines of tab-separated fields. */
static bool text_facts;

struct enc {
    struct buf *b;
    bool first;
};

static void enc_begin(struct enc *e, struct buf *b)
{
    e->b = b;
    e->first = true;
    buf_reset(b);
    if (!text_facts)
        buf_appendc(b, '[');
}

/* One item: a string, or (n > 1) a tuple whose fields marked in nums are numbers. */
static void enc_item(struct enc *e, size_t n, const char *const *vals, unsigned nums)
{
    if (text_facts) {
        for (size_t i = 0; i < n; i++)
            buf_printf(e->b, "%s%s", i ? "\t" : "", vals[i]);
        buf_appendc(e->b, '\n');
        return;
    }
    buf_appends(e->b, e->first ? "" : ",");
    if (n > 1)
        buf_appendc(e->b, '[');
    for (size_t i = 0; i < n; i++) {
        bool num = (nums >> i) & 1u;
        buf_printf(e->b, "%s%s%s%s", i ? "," : "", num ? "" : "\"", vals[i], num ? "" : "\"");
    }
    if (n > 1)
        buf_appendc(e->b, ']');
    e->first = false;
}

static void enc_end(struct enc *e)
{
    if (!text_facts)
        buf_appendc(e->b, ']');
}

static void enc_check(struct enc *e, const char *kind, const char *name, int64_t app,
                      const char *detail)
{
    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)app);
    const char *v[] = {kind, name, num, detail};
    enc_item(e, 4, v, 1u << 2);
}

static void enc_required(struct enc *e, const char *name, int64_t app, const char *source)
{
    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)app);
    const char *v[] = {name, num, source};
    enc_item(e, 3, v, 1u << 1);
}

static void enc_label(struct enc *e, const char *label)
{
    enc_item(e, 1, &label, 0);
}

/* The checks on the head and the base's requirements, as compact JSON. req_kind: 0 protection
 * build + test; 1 protection build + ruleset lint and an app-pinned scan; 2 a ruleset's
 * ci/test commit status; 3 nothing required. */
static void pr_checks(int req_kind, struct buf *checks, struct buf *required)
{
    unsigned c = pick(100);
    /* outcome for the first listed required check: 0 ok, 1 pending, 2 failed, 3 missing */
    int outcome = c < 72 ? 0 : c < 86 ? 1 : c < 93 ? 2 : 3;
    const char *first_detail = outcome == 1 ? "in_progress" : outcome == 2 ? "failure" : "success";
    struct enc ch, rq;
    enc_begin(&ch, checks);
    enc_begin(&rq, required);
    switch (req_kind) {
    case 0:
        enc_required(&rq, "build", 0, "branch protection");
        enc_required(&rq, "test", 0, "branch protection");
        if (outcome != 3)
            enc_check(&ch, "run", "build", ACTIONS_APP, first_detail);
        enc_check(&ch, "run", "test", ACTIONS_APP, "success");
        break;
    case 1:
        enc_required(&rq, "build", 0, "branch protection");
        enc_required(&rq, "lint", 0, "ruleset");
        enc_required(&rq, "security/scan", SCANNER_APP, "ruleset");
        enc_check(&ch, "run", "build", ACTIONS_APP, "success");
        enc_check(&ch, "run", "lint", ACTIONS_APP, "success");
        if (outcome != 3)
            enc_check(&ch, "run", "security/scan", SCANNER_APP, first_detail);
        break;
    case 2:
        enc_required(&rq, "ci/test", 0, "ruleset");
        if (outcome != 3)
            enc_check(&ch, "status", "ci/test", 0,
                      outcome == 1   ? "pending"
                      : outcome == 2 ? "error"
                                     : "success");
        break;
    default:
        if (outcome != 3)
            enc_check(&ch, "run", "build", ACTIONS_APP, first_detail);
        break;
    }
    enc_check(&ch, "run", "fleetbot", OWN_APP_ID, "in_progress"); /* never counts */
    if (pick(100) < 60)
        enc_check(&ch, "status", "codecov/patch", 0, "success");
    if (pick(100) < 30)
        enc_check(&ch, "run", "deploy-preview", 29110, "neutral");
    enc_end(&ch);
    enc_end(&rq);
}

static void populate(struct bench *b)
{
    struct pipe p = {.c = b->c};
    set_file(&p, CONFIG_REPO, "fleetbot.yml", ORG_YML);
    set_file(&p, CONFIG_REPO, "holidays/sweden.ics", ICS);
    for (int s = 0; s < NSHIFTS; s++) {
        char path[96];
        fmt_or_die(path, sizeof(path),
                   snprintf(path, sizeof(path), "shifts/%s.yml", SHIFTS[s].name));
        set_file(&p, CONFIG_REPO, path, SHIFTS[s].text);
    }
    struct buf file = BUF_INIT(4096), checks = BUF_INIT(4096), required = BUF_INIT(1024),
               labels = BUF_INIT(1024);
    char inst[24];
    fmt_or_die(inst, sizeof(inst), snprintf(inst, sizeof(inst), "%d", INSTALLATION));
    for (size_t r = 0; r < b->nrepos; r++) {
        char repo[48], key[128], member[160], score[24];
        fmt_or_die(repo, sizeof(repo), snprintf(repo, sizeof(repo), "acme/svc-%05zu", r + 1));
        repo_file(&file);
        if (file.len)
            set_file(&p, repo, ".github/fleetbot.yml", buf_cstr(&file));
        fmt_or_die(key, sizeof(key), snprintf(key, sizeof(key), "fb:repo:%s", repo));
        const char *hset_repo[] = {"HSET", key, "installation", inst};
        pipe_cmd(&p, 4, hset_repo);
        unsigned q = pick(100);
        int req_kind = q < 55 ? 0 : q < 75 ? 1 : q < 92 ? 2 : 3;
        for (size_t i = 0; i < b->per_repo; i++) {
            char number[24], prkey[128], sha[41], attempts[8];
            unsigned char raw[20];
            for (size_t k = 0; k < sizeof(raw); k++)
                raw[k] = (unsigned char)rnd();
            hex_encode(raw, sizeof(raw), sha);
            int64_t n = 100 + (int64_t)i * 3 + (int64_t)pick(3);
            fmt_or_die(number, sizeof(number),
                       snprintf(number, sizeof(number), "%lld", (long long)n));
            fmt_or_die(prkey, sizeof(prkey),
                       snprintf(prkey, sizeof(prkey), "fb:pr:%s#%lld", repo, (long long)n));
            unsigned u = pick(1000), sh = pick(100), m = pick(100);
            const char *shift = sh < 10   ? ""
                                : sh < 25 ? SHIFTS[0].name
                                : sh < 45 ? SHIFTS[1].name
                                : sh < 65 ? SHIFTS[2].name
                                : sh < 72 ? SHIFTS[3].name
                                : sh < 92 ? SHIFTS[4].name
                                          : SHIFTS[5].name;
            struct enc lb;
            char shift_label[64];
            snprintf(shift_label, sizeof(shift_label), "fleetbot/shift:%s", shift);
            enc_begin(&lb, &labels);
            enc_label(&lb, u >= 40 && u < 45 ? "dependencies" : AUTOMERGE);
            if (shift[0])
                enc_label(&lb, shift_label);
            if (u >= 20 && u < 30)
                enc_label(&lb, HOLD);
            if (pick(3) == 0)
                enc_label(&lb, "dependencies");
            enc_end(&lb);
            pr_checks(req_kind, &checks, &required);
            const char *mergeable = m < 85 ? "1" : m < 92 ? "-1" : m < 96 ? "0" : "1";
            const char *mstate = m < 85   ? "clean"
                                 : m < 92 ? "unknown"
                                 : m < 96 ? "dirty"
                                 : m < 98 ? "behind"
                                          : "unstable";
            fmt_or_die(attempts, sizeof(attempts),
                       snprintf(attempts, sizeof(attempts), "%d", m >= 85 && m < 92 ? 2 : 0));
            const char *argv[] = {"HSET",
                                  prkey,
                                  "installation",
                                  inst,
                                  "state",
                                  "open",
                                  "draft",
                                  u < 20 ? "1" : "0",
                                  "head_sha",
                                  sha,
                                  "base_ref",
                                  u >= 30 && u < 40 ? "release/1.x" : "main",
                                  "default_branch",
                                  "main",
                                  "labels",
                                  buf_cstr(&labels),
                                  "mergeable",
                                  mergeable,
                                  "mergeable_state",
                                  mstate,
                                  "mergeable_attempts",
                                  attempts,
                                  "shift",
                                  shift,
                                  "checks",
                                  buf_cstr(&checks),
                                  "required",
                                  buf_cstr(&required),
                                  "approvals",
                                  pick(100) < 60 ? "1" : "0",
                                  "decision",
                                  "wait",
                                  "reason",
                                  "waiting for required check \"build\" (in_progress)",
                                  "evaluated_at",
                                  "1795870000000"};
            pipe_cmd(&p, (int)(sizeof(argv) / sizeof(argv[0])), argv);
            fmt_or_die(key, sizeof(key), snprintf(key, sizeof(key), "fb:tracked:%s", repo));
            const char *sadd[] = {"SADD", key, number};
            pipe_cmd(&p, 3, sadd);
        }
        if (pick(100) < 25) { /* merged into recently: a spacing entry */
            int64_t at = b->now_ms - (int64_t)pick(7200) * 1000;
            fmt_or_die(key, sizeof(key), snprintf(key, sizeof(key), "fb:rl:repo:%s", repo));
            fmt_or_die(member, sizeof(member),
                       snprintf(member, sizeof(member), "%s#%u@x", repo, 90 + pick(9)));
            fmt_or_die(score, sizeof(score), snprintf(score, sizeof(score), "%lld", (long long)at));
            const char *zadd[] = {"ZADD", key, score, member};
            pipe_cmd(&p, 4, zadd);
        }
    }
    /* opt-outs made by comment (a few repos) and a shift Firewatch paused */
    for (size_t r = 0; r < b->nrepos; r += 199) {
        char key[128], at[24], day[24];
        fmt_or_die(key, sizeof(key), snprintf(key, sizeof(key), "fb:optout:%s", b->repos[r].name));
        fmt_or_die(at, sizeof(at),
                   snprintf(at, sizeof(at), "%lld", (long long)(b->now_ms - 86400000)));
        fmt_or_die(day, sizeof(day),
                   snprintf(day, sizeof(day), "%lld", (long long)cal_days_from_date(2026, 12, 4)));
        const char *argv[] = {"HSET",  key,          "by",        "alice",
                              "at",    at,           "reason",    "on-call handover",
                              "until", "2026-12-04", "until_day", day};
        pipe_cmd(&p, (int)(sizeof(argv) / sizeof(argv[0])), argv);
    }
    char paused_at[24];
    fmt_or_die(
        paused_at, sizeof(paused_at),
        snprintf(paused_at, sizeof(paused_at), "%lld", (long long)(b->now_ms - 20 * MIN_MS)));
    const char *pause[] = {
        "HSET",   "fb:shift:paused:" PAUSED_SHIFT,        "by", "firewatch", "at", paused_at,
        "reason", "error rate up in 3 repos after merges"};
    pipe_cmd(&p, (int)(sizeof(pause) / sizeof(pause[0])), pause);
    /* the installation and the shifts merged recently */
    for (int s = -1; s < NSHIFTS; s++) {
        char key[128], member[96], score[24];
        int count = s < 0 ? 350 : SHIFTS[s].recent;
        if (s < 0)
            fmt_or_die(key, sizeof(key), snprintf(key, sizeof(key), "fb:rl:inst:%d", INSTALLATION));
        else
            fmt_or_die(key, sizeof(key),
                       snprintf(key, sizeof(key), "fb:rl:shift:%s", SHIFTS[s].name));
        for (int i = 0; i < count; i++) {
            int64_t at = b->now_ms - 1000 - (int64_t)pick(3590) * 1000;
            fmt_or_die(member, sizeof(member),
                       snprintf(member, sizeof(member), "acme/svc-%05u#%d@m", pick(9999) + 1, i));
            fmt_or_die(score, sizeof(score), snprintf(score, sizeof(score), "%lld", (long long)at));
            const char *zadd[] = {"ZADD", key, score, member};
            pipe_cmd(&p, 4, zadd);
        }
    }
    pipe_drain(&p);
    buf_free(&file);
    buf_free(&checks);
    buf_free(&required);
    buf_free(&labels);
    printf("populated: %zu commands in %zu round trips\n", p.commands, p.round_trips);
}

/* ---- (a) reading state back ------------------------------------------------------------ */

static int build_smembers(struct bench *b, size_t i, const char **argv, size_t *lens, char *scratch)
{
    int n = snprintf(scratch, SCRATCH, "fb:tracked:%s", b->repos[i].name);
    fmt_or_die(scratch, SCRATCH, n);
    argv[0] = "SMEMBERS";
    lens[0] = 8;
    argv[1] = scratch;
    lens[1] = (size_t)n;
    return 2;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void sink_smembers(struct bench *b, size_t i, redisReply *r)
{
    struct repo_state *rs = &b->repos[i];
    rs->numbers = xcalloc(r->elements ? r->elements : 1, sizeof(int64_t));
    for (size_t k = 0; k < r->elements; k++) {
        const redisReply *e = r->element[k];
        if (e->type == REDIS_REPLY_STRING &&
            parse_i64(e->str, e->len, 1, INT64_MAX, &rs->numbers[rs->nnumbers]) == 0)
            rs->nnumbers++;
    }
    qsort(rs->numbers, rs->nnumbers, sizeof(int64_t), cmp_i64);
    freeReplyObject(r);
}

static int build_hmget(struct bench *b, size_t i, const char **argv, size_t *lens, char *scratch)
{
    const struct pr_state *ps = &b->prs[i];
    int n = snprintf(scratch, SCRATCH, "fb:pr:%s#%lld", ps->repo->name, (long long)ps->number);
    fmt_or_die(scratch, SCRATCH, n);
    argv[0] = "HMGET";
    lens[0] = 5;
    argv[1] = scratch;
    lens[1] = (size_t)n;
    for (int f = 0; f < PF_COUNT; f++) {
        argv[2 + f] = PR_FIELDS[f];
        lens[2 + f] = strlen(PR_FIELDS[f]);
    }
    return 2 + PF_COUNT;
}

static void sink_hmget(struct bench *b, size_t i, redisReply *r)
{
    b->prs[i].reply = r;
}

/* Rate-limit sets: the installation's, each shift's, then each repo's spacing set, read
 * like rate_slots.c does: the merge times still inside the scope's window. */
static int build_zrange(struct bench *b, size_t i, const char **argv, size_t *lens, char *scratch)
{
    int64_t window = HOUR_MS;
    int n;
    if (i == 0)
        n = snprintf(scratch, SCRATCH / 2, "fb:rl:inst:%d", INSTALLATION);
    else if (i <= NSHIFTS)
        n = snprintf(scratch, SCRATCH / 2, "fb:rl:shift:%s", SHIFTS[i - 1].name);
    else {
        n = snprintf(scratch, SCRATCH / 2, "fb:rl:repo:%s", b->repos[i - 1 - NSHIFTS].name);
        window = b->org.repo_spacing_s * 1000;
    }
    fmt_or_die(scratch, SCRATCH / 2, n);
    char *from = scratch + SCRATCH / 2;
    int m = snprintf(from, SCRATCH / 2, "(%lld", (long long)(b->now_ms - window));
    fmt_or_die(from, SCRATCH / 2, m);
    argv[0] = "ZRANGEBYSCORE";
    argv[1] = scratch;
    argv[2] = from;
    argv[3] = "+inf";
    argv[4] = "WITHSCORES";
    for (int k = 0; k < 5; k++)
        lens[k] = strlen(argv[k]);
    return 5;
}

static void sink_zrange(struct bench *b, size_t i, redisReply *r)
{
    size_t n = r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
    int64_t *times = xcalloc(n ? n : 1, sizeof(int64_t));
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        const redisReply *s = r->element[2 * j + 1];
        if (s->type == REDIS_REPLY_STRING &&
            parse_i64(s->str, s->len, 0, INT64_MAX, &times[k]) == 0)
            k++;
    }
    freeReplyObject(r);
    if (i == 0) {
        b->inst_recent = times;
        b->ninst = k;
    } else if (i <= NSHIFTS) {
        b->shifts[i - 1].recent = times;
        b->shifts[i - 1].nrecent = k;
    } else {
        b->repos[i - 1 - NSHIFTS].spacing_recent = times;
        b->repos[i - 1 - NSHIFTS].nspacing = k;
    }
}

/* Overrides that live in Redis, not in Git: each shift's pause, then each repo's opt-out
 * made by comment (the evaluator reads both with one script per evaluation). */
static int build_overrides(struct bench *b, size_t i, const char **argv, size_t *lens,
                           char *scratch)
{
    int n, argc = 0;
    argv[argc++] = "HMGET";
    if (i < NSHIFTS)
        n = snprintf(scratch, SCRATCH, "fb:shift:paused:%s", SHIFTS[i].name);
    else
        n = snprintf(scratch, SCRATCH, "fb:optout:%s", b->repos[i - NSHIFTS].name);
    fmt_or_die(scratch, SCRATCH, n);
    argv[argc++] = scratch;
    argv[argc++] = "by";
    argv[argc++] = "at";
    argv[argc++] = "reason";
    if (i >= NSHIFTS) {
        argv[argc++] = "until";
        argv[argc++] = "until_day";
    }
    for (int k = 0; k < argc; k++)
        lens[k] = strlen(argv[k]);
    return argc;
}

/* Copies reply element k (a string) into out; false when it is not one. */
static bool elem_copy(const redisReply *r, size_t k, char *out, size_t cap)
{
    out[0] = '\0';
    if (r->type != REDIS_REPLY_ARRAY || k >= r->elements ||
        r->element[k]->type != REDIS_REPLY_STRING)
        return false;
    const redisReply *e = r->element[k];
    size_t n = e->len < cap - 1 ? e->len : cap - 1;
    memcpy(out, e->str, n);
    out[n] = '\0';
    return true;
}

static void sink_overrides(struct bench *b, size_t i, redisReply *r)
{
    char at[24], day[24];
    if (i < NSHIFTS) {
        struct shift_state *ss = &b->shifts[i];
        if (elem_copy(r, 0, ss->paused_by, sizeof(ss->paused_by))) {
            int64_t at_ms = 0;
            if (elem_copy(r, 1, at, sizeof(at)))
                parse_i64_cstr(at, 0, INT64_MAX, &at_ms);
            elem_copy(r, 2, ss->paused_reason, sizeof(ss->paused_reason));
            ss->pause = (struct pause_fact){ss->paused_by, at_ms, ss->paused_reason};
            ss->paused = true;
        }
    } else {
        struct repo_state *rs = &b->repos[i - NSHIFTS];
        if (elem_copy(r, 0, rs->co_by, sizeof(rs->co_by)) && elem_copy(r, 4, day, sizeof(day)) &&
            parse_i64_cstr(day, 0, 10000000, &rs->co_until_day) == 0) {
            if (elem_copy(r, 1, at, sizeof(at)))
                parse_i64_cstr(at, 0, INT64_MAX, &rs->co_at_ms);
            elem_copy(r, 2, rs->co_reason, sizeof(rs->co_reason));
            elem_copy(r, 3, rs->co_expires, sizeof(rs->co_expires));
            rs->has_comment_opt_out = true;
        }
    }
    freeReplyObject(r);
}

/* Policy texts: org, calendar, shifts, then each repo's file. */
static int build_get(struct bench *b, size_t i, const char **argv, size_t *lens, char *scratch)
{
    int n;
    if (i == 0)
        n = snprintf(scratch, SCRATCH, FILE_PREFIX CONFIG_REPO ":fleetbot.yml");
    else if (i == 1)
        n = snprintf(scratch, SCRATCH, FILE_PREFIX CONFIG_REPO ":holidays/sweden.ics");
    else if (i < 2 + NSHIFTS)
        n = snprintf(scratch, SCRATCH, FILE_PREFIX CONFIG_REPO ":shifts/%s.yml",
                     SHIFTS[i - 2].name);
    else
        n = snprintf(scratch, SCRATCH, FILE_PREFIX "%s:.github/fleetbot.yml",
                     b->repos[i - 2 - NSHIFTS].name);
    fmt_or_die(scratch, SCRATCH, n);
    argv[0] = "GET";
    lens[0] = 3;
    argv[1] = scratch;
    lens[1] = (size_t)n;
    return 2;
}

static void sink_get(struct bench *b, size_t i, redisReply *r)
{
    char *text = NULL;
    size_t len = 0;
    if (r->type == REDIS_REPLY_STRING) {
        text = xstrndup(r->str, r->len);
        len = r->len;
    }
    freeReplyObject(r);
    if (i == 0) {
        b->org_text = text;
        b->org_len = len;
    } else if (i == 1) {
        b->ics_text = text;
        b->ics_len = len;
    } else if (i < 2 + NSHIFTS) {
        b->shift_texts[i - 2] = text;
        b->shift_lens[i - 2] = len;
    } else {
        b->repos[i - 2 - NSHIFTS].file = text;
        b->repos[i - 2 - NSHIFTS].file_len = len;
    }
}

/* ---- (b) the policy of each repo ------------------------------------------------------- */

static void add_freezes(struct repo_state *rs, const struct cfg_freeze *z, size_t n,
                        const char *scope)
{
    if (n == 0)
        return;
    rs->freezes = xrealloc(rs->freezes, (rs->nfreezes + n) * sizeof(*rs->freezes));
    for (size_t i = 0; i < n; i++)
        rs->freezes[rs->nfreezes++] =
            (struct freeze_fact){z[i].from_ms, z[i].to_ms, z[i].reason, scope};
}

static void view_free(struct repo_state *rs)
{
    cfg_repo_free(&rs->cfg);
    resolved_schedule_free(&rs->sched);
    free(rs->freezes);
    free(rs->error_text);
    rs->freezes = NULL;
    rs->nfreezes = 0;
    rs->error_text = NULL;
    rs->has_repo = rs->has_schedule = rs->has_opt_out = false;
    memset(&rs->errs, 0, sizeof(rs->errs));
}

/* What policy_source.c's build_view does for one repo, against an org parsed before. */
static void view_build(struct bench *b, struct repo_state *rs, const struct cfg_org *org,
                       const struct config_errors *org_errs)
{
    rs->errs = *org_errs;
    if (rs->file) {
        rs->has_repo = true;
        config_parse_repo(".github/fleetbot.yml", rs->file, rs->file_len, zones_exists, b->zones,
                          &rs->cfg, &rs->errs);
    }
    /* the owning team's holiday calendars (fetched in a second step, then expanded) */
    struct ical_day *days = NULL;
    size_t ndays = 0;
    const char *team_name = rs->has_repo && rs->cfg.team ? rs->cfg.team : org->default_team;
    const struct cfg_team *team = team_name ? cfg_org_team(org, team_name) : NULL;
    int64_t today = cal_floor_div(b->now_ms / 1000, CAL_DAY_S);
    for (size_t i = 0; team && i < team->ncalendars; i++) {
        struct fb_error err = {0};
        double w0 = wall_now();
        if (ical_expand(b->ics_text, b->ics_len, today - 2, today + SCHEDULE_HORIZON_DAYS + 2,
                        &days, &ndays, &err) != 0)
            die("the holiday calendar does not expand", err.msg);
        b->ical_wall += wall_now() - w0;
        b->ical_calls++;
    }
    if (rs->errs.n == 0) {
        struct fb_error err = {0};
        if (schedule_resolve(org, rs->has_repo ? &rs->cfg : NULL, NULL, b->zones, days, ndays,
                             &rs->sched, &err) == 0)
            rs->has_schedule = true;
        else if (rs->errs.n < CONFIG_ERRORS_MAX) {
            struct config_error *e = &rs->errs.items[rs->errs.n++];
            snprintf(e->file, sizeof(e->file), ".github/fleetbot.yml");
            e->line = 1;
            snprintf(e->msg, sizeof(e->msg), "%.200s", err.msg);
        }
    }
    free(days);
    add_freezes(rs, org->freezes, org->nfreezes, "org-wide");
    if (rs->has_repo)
        add_freezes(rs, rs->cfg.freezes, rs->cfg.nfreezes, "this repository's");
    if (rs->has_repo && rs->cfg.opt_out) {
        struct tz_zone utc;
        tz_fixed(&utc, "UTC", 0);
        const struct tz_zone *z = rs->has_schedule ? rs->sched.schedule.zone : &utc;
        int64_t day = rs->cfg.opt_out_expires_day;
        struct cal_date d = cal_date_from_days(day);
        snprintf(rs->expires, sizeof(rs->expires), "%04d-%02d-%02d", (int)(d.year % 10000),
                 d.month % 100, d.day % 100);
        int64_t local_today = cal_floor_div(tz_to_local(z, b->now_ms / 1000), CAL_DAY_S);
        int64_t max_days = org->opt_out_max_days;
        rs->opt_out = (struct opt_out_fact){
            .reason = rs->cfg.opt_out_reason,
            .until_ms = tz_from_local(z, (day + 1) * CAL_DAY_S) * 1000,
            .max_until_ms =
                max_days ? tz_from_local(z, (local_today + max_days + 1) * CAL_DAY_S) * 1000 : 0,
            .expires = rs->expires,
        };
        rs->has_opt_out = true;
        tz_free(&utc);
    }
    if (rs->has_comment_opt_out) { /* as the evaluator's apply_comment_opt_out */
        char when[40];
        time_format_rfc3339(rs->co_at_ms, when, sizeof(when));
        snprintf(rs->comment_text, sizeof(rs->comment_text),
                 "%.200s (by @%.60s with /fleetbot opt-out on %.10s)", rs->co_reason, rs->co_by,
                 when);
        const struct tz_zone *zone = rs->has_schedule ? rs->sched.schedule.zone : NULL;
        int64_t until_s = (rs->co_until_day + 1) * CAL_DAY_S;
        rs->comment_opt_out = (struct opt_out_fact){
            .reason = rs->comment_text,
            .until_ms = (zone ? tz_from_local(zone, until_s) : until_s) * 1000,
            .expires = rs->co_expires,
        };
    }
    rs->has_critical = false;
    for (size_t i = 0; rs->has_repo && rs->cfg.tier && i < org->ncritical_tiers; i++) {
        if (strcmp(org->critical_tiers[i], rs->cfg.tier) != 0)
            continue;
        rs->critical = (struct critical_fact){
            .tier = rs->cfg.tier,
            .require_approval = org->critical_require_approval,
            .approvals = -1,
            .has_hours = org->critical_hours.set,
            .start_min = org->critical_hours.start_min,
            .end_min = org->critical_hours.end_min,
            .after_lower_tiers = org->critical_after_lower_tiers,
            .lower_tiers_open = -1,
        };
        rs->has_critical = true;
    }
    snprintf(rs->spacing_what, sizeof(rs->spacing_what), "spacing between automerges into %s",
             rs->name);
    if (rs->errs.n + rs->errs.dropped > 0) {
        char text[CONFIG_ERRORS_MAX * 400];
        config_errors_format(&rs->errs, text, sizeof(text));
        for (char *p = text; *p; p++)
            if (*p == '\n')
                *p = p[1] ? ';' : '\0';
        rs->error_text = xstrdup(text);
    }
}

static void parse_org(struct bench *b, struct cfg_org *org, struct config_errors *errs)
{
    memset(org, 0, sizeof(*org));
    memset(errs, 0, sizeof(*errs));
    config_parse_org(CONFIG_REPO "/fleetbot.yml", b->org_text, b->org_len, zones_exists, b->zones,
                     org, errs);
}

static void policies_resolve(struct bench *b)
{
    parse_org(b, &b->org, &b->org_errs);
    if (b->org_errs.n) {
        char text[4096];
        config_errors_format(&b->org_errs, text, sizeof(text));
        die("the org's fleetbot.yml is invalid", text);
    }
    for (int s = 0; s < NSHIFTS; s++) {
        struct shift_state *ss = &b->shifts[s];
        struct config_errors errs = {0};
        char file[128];
        snprintf(file, sizeof(file), CONFIG_REPO "/shifts/%s.yml", SHIFTS[s].name);
        if (config_parse_shift(file, SHIFTS[s].name, b->shift_texts[s], b->shift_lens[s], &ss->cfg,
                               &errs) != 0)
            die("a shift file is invalid", errs.items[0].msg);
        ss->parsed = true;
        ss->limit = ss->cfg.per_hour ? ss->cfg.per_hour : b->org.per_shift_per_hour;
        snprintf(ss->what, sizeof(ss->what), "automerges of shift %s", SHIFTS[s].name);
    }
    for (size_t r = 0; r < b->nrepos; r++)
        view_build(b, &b->repos[r], &b->org, &b->org_errs);
}

/* ---- (c) facts and gates -------------------------------------------------------------- */

static const char *field(const redisReply *r, int f)
{
    const redisReply *e = r->element[f];
    return e->type == REDIS_REPLY_STRING ? e->str : NULL;
}

static enum check_state run_state(const char *detail)
{
    if (strcmp(detail, "success") == 0 || strcmp(detail, "neutral") == 0 ||
        strcmp(detail, "skipped") == 0)
        return CHECK_PASSED;
    if (strcmp(detail, "in_progress") == 0 || strcmp(detail, "queued") == 0)
        return CHECK_PENDING;
    return CHECK_FAILED;
}

static enum check_state status_state(const char *state)
{
    if (strcmp(state, "success") == 0)
        return CHECK_PASSED;
    if (strcmp(state, "failure") == 0 || strcmp(state, "error") == 0)
        return CHECK_FAILED;
    return CHECK_PENDING;
}

static json_t *load_json(const redisReply *r, int f)
{
    const redisReply *e = r->element[f];
    if (e->type != REDIS_REPLY_STRING)
        return NULL;
    return json_loadb(e->str, e->len, 0, NULL);
}

static void add_check(struct pr_state *ps, const char *kind, const char *name, int64_t app,
                      const char *detail)
{
    bool is_run = strcmp(kind, "run") == 0;
    ps->checks[ps->facts.nchecks++] =
        (struct check_observation){is_run ? CHECK_KIND_RUN : CHECK_KIND_STATUS, name, app,
                                   is_run ? run_state(detail) : status_state(detail), detail};
}

/* Labels, required checks and check observations from the JSON arrays. 0 or -1. */
static int facts_lists_json(struct pr_state *ps)
{
    const redisReply *r = ps->reply;
    struct pr_facts *f = &ps->facts;
    ps->labels_json = load_json(r, PF_LABELS);
    ps->checks_json = load_json(r, PF_CHECKS);
    ps->required_json = load_json(r, PF_REQUIRED);
    if (!json_is_array(ps->labels_json) || !json_is_array(ps->checks_json) ||
        !json_is_array(ps->required_json))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(ps->labels_json, i, v)
    {
        if (json_is_string(v) && f->nlabels < MAX_LABELS)
            ps->labels[f->nlabels++] = json_string_value(v);
    }
    f->labels = ps->labels;
    size_t nreq = json_array_size(ps->required_json);
    ps->required = xcalloc(nreq ? nreq : 1, sizeof(*ps->required));
    json_array_foreach(ps->required_json, i, v)
    {
        const char *name = json_string_value(json_array_get(v, 0));
        const char *source = json_string_value(json_array_get(v, 2));
        if (name && source)
            ps->required[f->nrequired++] = (struct required_check){
                name, (int64_t)json_integer_value(json_array_get(v, 1)), source};
    }
    f->required = ps->required;
    size_t nchecks = json_array_size(ps->checks_json);
    ps->checks = xcalloc(nchecks ? nchecks : 1, sizeof(*ps->checks));
    json_array_foreach(ps->checks_json, i, v)
    {
        const char *kind = json_string_value(json_array_get(v, 0));
        const char *name = json_string_value(json_array_get(v, 1));
        const char *detail = json_string_value(json_array_get(v, 3));
        if (kind && name && detail)
            add_check(ps, kind, name, (int64_t)json_integer_value(json_array_get(v, 2)), detail);
    }
    f->checks = ps->checks;
    return 0;
}

/* Splits the next line of *s (ending at end) into at most max tab-separated fields, in
 * place. The number of fields, 0 at the end. */
static size_t next_line(char **s, char *end, char **fields, size_t max)
{
    if (*s >= end)
        return 0;
    char *nl = memchr(*s, '\n', (size_t)(end - *s));
    char *stop = nl ? nl : end;
    size_t n = 0;
    char *p = *s;
    while (n < max) {
        fields[n++] = p;
        char *tab = memchr(p, '\t', (size_t)(stop - p));
        if (tab == NULL)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    *stop = '\0';
    *s = stop + 1;
    return n;
}

static size_t count_lines(const redisReply *e)
{
    size_t n = 0;
    for (const char *p = e->str; (p = memchr(p, '\n', e->len - (size_t)(p - e->str))) != NULL; p++)
        n++;
    return n;
}

/* The same lists from lines of tab-separated fields, borrowed from the reply. 0 or -1. */
static int facts_lists_text(struct pr_state *ps)
{
    const redisReply *r = ps->reply;
    struct pr_facts *f = &ps->facts;
    redisReply *labels = r->element[PF_LABELS], *checks = r->element[PF_CHECKS],
               *required = r->element[PF_REQUIRED];
    if (labels->type != REDIS_REPLY_STRING || checks->type != REDIS_REPLY_STRING ||
        required->type != REDIS_REPLY_STRING)
        return -1;
    char *fields[4], *s = labels->str;
    while (f->nlabels < MAX_LABELS && next_line(&s, labels->str + labels->len, fields, 1) == 1)
        ps->labels[f->nlabels++] = fields[0];
    f->labels = ps->labels;
    ps->required = xcalloc(count_lines(required) + 1, sizeof(*ps->required));
    s = required->str;
    int64_t app;
    while (next_line(&s, required->str + required->len, fields, 3) == 3)
        if (parse_i64_cstr(fields[1], 0, INT64_MAX, &app) == 0)
            ps->required[f->nrequired++] = (struct required_check){fields[0], app, fields[2]};
    f->required = ps->required;
    ps->checks = xcalloc(count_lines(checks) + 1, sizeof(*ps->checks));
    s = checks->str;
    while (next_line(&s, checks->str + checks->len, fields, 4) == 4)
        if (parse_i64_cstr(fields[2], 0, INT64_MAX, &app) == 0)
            add_check(ps, fields[0], fields[1], app, fields[3]);
    f->checks = ps->checks;
    return 0;
}

static struct shift_state *shift_named(struct bench *b, const char *name)
{
    for (int s = 0; s < NSHIFTS; s++)
        if (strcmp(SHIFTS[s].name, name) == 0)
            return &b->shifts[s];
    return NULL;
}

/* The PR's hash and its repo's view into struct pr_facts. 0 or -1 (malformed state). */
static int facts_build(struct bench *b, struct pr_state *ps)
{
    const redisReply *r = ps->reply;
    struct pr_facts *f = &ps->facts;
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != PF_COUNT)
        return -1;
    const struct repo_state *rs = ps->repo;
    const char *state = field(r, PF_STATE), *draft = field(r, PF_DRAFT),
               *mergeable = field(r, PF_MERGEABLE), *attempts = field(r, PF_ATTEMPTS),
               *shift = field(r, PF_SHIFT);
    memset(f, 0, sizeof(*f));
    f->repo = rs->name;
    f->number = ps->number;
    f->is_open = state && strcmp(state, "open") == 0;
    f->is_draft = draft && draft[0] == '1';
    f->head_sha = field(r, PF_HEAD);
    f->base_ref = field(r, PF_BASE);
    f->default_branch = field(r, PF_DEFAULT);
    f->automerge_label = AUTOMERGE;
    f->hold_label = HOLD;
    f->own_app_id = OWN_APP_ID;
    f->mergeable = mergeable == NULL ? -1 : mergeable[0] == '1' ? 1 : mergeable[0] == '0' ? 0 : -1;
    f->mergeable_state = field(r, PF_MERGEABLE_STATE);
    int64_t att = 0;
    if (attempts)
        parse_i64_cstr(attempts, 0, 1000, &att);
    f->mergeable_attempts = (int)att;

    if (f->head_sha == NULL || f->base_ref == NULL)
        return -1;
    if (text_facts ? facts_lists_text(ps) : facts_lists_json(ps))
        return -1;
    f->checks_loaded = true;

    /* the policy facts (policy_view_facts) and the rate limits that apply */
    f->schedule = rs->has_schedule ? &rs->sched.schedule : NULL;
    f->freezes = rs->freezes;
    f->nfreezes = rs->nfreezes;
    f->opt_out = rs->has_opt_out ? &rs->opt_out : NULL;
    if (rs->has_comment_opt_out &&
        (f->opt_out == NULL || f->opt_out->until_ms < rs->comment_opt_out.until_ms))
        f->opt_out = &rs->comment_opt_out;
    f->config_error = rs->error_text;
    f->shift = shift ? shift : "";
    const struct shift_state *ss = f->shift[0] ? shift_named(b, f->shift) : NULL;
    f->shift_recommend_only = ss && !ss->cfg.automerge;
    f->shift_paused = ss && ss->paused ? &ss->pause : NULL;
    if (rs->has_critical) {
        const char *approvals = field(r, PF_APPROVALS);
        int64_t n = -1;
        if (approvals)
            parse_i64_cstr(approvals, 0, 1000, &n);
        ps->critical = rs->critical;
        ps->critical.approvals = (int)n;
        ps->critical.lower_tiers_open = ss ? ss->lower_tiers_open : 0;
        f->critical = &ps->critical;
    }
    size_t nr = 0;
    if (b->org.per_installation_per_hour > 0)
        ps->rates[nr++] =
            (struct rate_fact){"automerges of installation 1001", b->org.per_installation_per_hour,
                               HOUR_MS, b->inst_recent, b->ninst};
    if (ss && ss->limit > 0)
        ps->rates[nr++] = (struct rate_fact){ss->what, ss->limit, HOUR_MS, ss->recent, ss->nrecent};
    if (b->org.repo_spacing_s > 0)
        ps->rates[nr++] = (struct rate_fact){rs->spacing_what, 1, b->org.repo_spacing_s * 1000,
                                             rs->spacing_recent, rs->nspacing};
    f->rates = ps->rates;
    f->nrates = nr;
    return 0;
}

struct tally {
    size_t by_kind[4];
    size_t by_gate[DECISION_GATES_MAX + 1]; /* [ngates] = merge (no deciding gate) */
    size_t example[DECISION_GATES_MAX + 1]; /* the first PR each gate decided, + 1 */
    int64_t checksum;
};

static void gates_run_all(const struct bench *b, struct tally *t)
{
    struct decision d;
    memset(t, 0, sizeof(*t));
    size_t ngates;
    gates_all(&ngates);
    for (size_t i = 0; i < b->nprs; i++) {
        gates_evaluate(&b->prs[i].facts, b->now_ms, &d);
        t->by_kind[d.kind]++;
        size_t g = d.deciding_gate < 0 ? ngates : (size_t)d.deciding_gate;
        if (t->by_gate[g]++ == 0)
            t->example[g] = i + 1;
        t->checksum += d.until_ms + (int64_t)(unsigned char)d.gates[d.ngates - 1].reason[0];
    }
}

/* ---- Redis server CPU (INFO cpu) --------------------------------------------------- */

static double redis_cpu(redisContext *c)
{
    redisReply *r = redisCommand(c, "INFO cpu");
    double total = 0;
    if (r && r->type == REDIS_REPLY_STRING) {
        const char *keys[] = {"used_cpu_sys:", "used_cpu_user:"};
        for (int i = 0; i < 2; i++) {
            const char *p = strstr(r->str, keys[i]);
            if (p)
                total += strtod(p + strlen(keys[i]), NULL);
        }
    }
    freeReplyObject(r);
    return total;
}

static void print_span(const char *what, const struct span *s, size_t per, const char *unit)
{
    printf("  %-52s cpu %8.1f ms  wall %8.1f ms", what, s->cpu * 1e3, s->wall * 1e3);
    if (per)
        printf("  (%.2f us cpu per %s)", s->cpu * 1e6 / (double)per, unit);
    printf("\n");
}

/* ---- main ------------------------------------------------------------------------------ */

static size_t arg_count(const char *s, const char *what, int64_t max)
{
    int64_t v;
    if (parse_i64_cstr(s, 1, max, &v) != 0)
        die("bad argument", what);
    return (size_t)v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: bench_evaluate REDIS_PORT [REPOS (10000) [PRS_PER_REPO (10)]]\n"
                        "Writes ~100k keys into the Redis on 127.0.0.1:PORT, which must be empty;\n"
                        "tests/bench/evaluate.sh starts a throwaway one. BENCH_FACTS=text stores\n"
                        "the PR's lists as tab-separated lines instead of JSON arrays.\n");
        return 2;
    }
    struct bench B = {0};
    struct bench *b = &B;
    int port = (int)arg_count(argv[1], "port", 65535);
    b->nrepos = argc > 2 ? arg_count(argv[2], "repos", 1000000) : 10000;
    b->per_repo = argc > 3 ? arg_count(argv[3], "prs per repo", 30) : 10;
    b->nprs = b->nrepos * b->per_repo;
    const char *format = getenv("BENCH_FACTS");
    text_facts = format && strcmp(format, "text") == 0;
    if (time_parse_rfc3339(NOW_TEXT, &b->now_ms) != 0)
        die("bad NOW_TEXT", NOW_TEXT);
    struct timeval tv = {30, 0};
    b->c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (b->c == NULL || b->c->err)
        die("cannot connect to redis", b->c ? b->c->errstr : "out of memory");
    redisReply *size = redisCommand(b->c, "DBSIZE");
    if (size == NULL || size->type != REDIS_REPLY_INTEGER)
        die("DBSIZE failed", NULL);
    if (size->integer != 0)
        die("refusing a Redis that already holds keys (start a throwaway one: "
            "tests/bench/evaluate.sh)",
            NULL);
    freeReplyObject(size);
    b->zones = zones_new(NULL);
    b->repos = xcalloc(b->nrepos, sizeof(*b->repos));
    for (size_t r = 0; r < b->nrepos; r++)
        fmt_or_die(b->repos[r].name, sizeof(b->repos[r].name),
                   snprintf(b->repos[r].name, sizeof(b->repos[r].name), "acme/svc-%05zu", r + 1));

    printf("fleet: %zu repos x %zu tracked PRs = %zu PRs, one org (5 teams, %d shifts), now=%s\n"
           "PR lists (labels, checks, required) stored as %s\n",
           b->nrepos, b->per_repo, b->nprs, NSHIFTS, NOW_TEXT,
           text_facts ? "tab-separated lines (BENCH_FACTS=text)" : "compact JSON arrays");
    struct span pop;
    span_start(&pop);
    populate(b);
    span_stop(&pop);
    printf("  populate (not measured further)                      wall %8.1f ms\n\n",
           pop.wall * 1e3);

    /* (a) state back from Redis: tracked sets and PR hashes ... */
    struct span a1, a2, a3, a4, a5;
    double rcpu0 = redis_cpu(b->c);
    span_start(&a1);
    size_t trips = run_reads(b, b->nrepos, build_smembers, sink_smembers);
    span_stop(&a1);
    size_t nprs = 0;
    for (size_t r = 0; r < b->nrepos; r++)
        nprs += b->repos[r].nnumbers;
    if (nprs != b->nprs)
        die("fb:tracked:* does not hold the PRs written", NULL);
    b->prs = xcalloc(nprs, sizeof(*b->prs));
    for (size_t r = 0, i = 0; r < b->nrepos; r++)
        for (size_t k = 0; k < b->repos[r].nnumbers; k++, i++) {
            b->prs[i].repo = &b->repos[r];
            b->prs[i].number = b->repos[r].numbers[k];
        }
    span_start(&a2);
    trips += run_reads(b, b->nprs, build_hmget, sink_hmget);
    span_stop(&a2);
    span_start(&a5);
    trips += run_reads(b, NSHIFTS + b->nrepos, build_overrides, sink_overrides);
    span_stop(&a5);
    double rcpu1 = redis_cpu(b->c);
    /* ... the policy texts (what the per-process cache holds; the contents API fills it) ... */
    span_start(&a4);
    size_t text_trips = run_reads(b, 2 + NSHIFTS + b->nrepos, build_get, sink_get);
    span_stop(&a4);
    double rcpu2 = redis_cpu(b->c);
    if (b->org_text == NULL || b->ics_text == NULL)
        die("policy texts missing", NULL);

    /* (b) policies, once per repo */
    struct span bp, borg;
    span_start(&borg);
    parse_org(b, &b->org, &b->org_errs);
    span_stop(&borg);
    cfg_org_free(&b->org);
    struct span bwarm; /* zones are loaded now: what every later parse costs */
    span_start(&bwarm);
    for (int i = 0; i < 1000; i++) {
        parse_org(b, &b->org, &b->org_errs);
        cfg_org_free(&b->org);
    }
    span_stop(&bwarm);
    span_start(&bp);
    policies_resolve(b);
    span_stop(&bp);
    double ical_b_wall = b->ical_wall;
    size_t ical_b_calls = b->ical_calls;

    /* ... and the rate-limit sets, whose windows the org's policy gives */
    double rcpu3 = redis_cpu(b->c);
    span_start(&a3);
    trips += run_reads(b, 1 + NSHIFTS + b->nrepos, build_zrange, sink_zrange);
    span_stop(&a3);
    double rcpu4 = redis_cpu(b->c);
    struct span a = {0, 0, a1.cpu + a2.cpu + a3.cpu + a5.cpu,
                     a1.wall + a2.wall + a3.wall + a5.wall};

    /* (c1) facts */
    struct span c1;
    size_t bad = 0;
    span_start(&c1);
    for (size_t i = 0; i < b->nprs; i++) { /* the shifts' PRs outside critical repos */
        const redisReply *r = b->prs[i].reply;
        const char *shift = r->elements == PF_COUNT ? field(r, PF_SHIFT) : NULL;
        struct shift_state *ss = shift && shift[0] ? shift_named(b, shift) : NULL;
        if (ss && !b->prs[i].repo->has_critical)
            ss->lower_tiers_open++;
    }
    for (size_t i = 0; i < b->nprs; i++)
        if (facts_build(b, &b->prs[i]) != 0)
            bad++;
    span_stop(&c1);
    if (bad)
        die("some PR states could not be decoded", NULL);

    /* (c2) gates, GATE_REPS times */
    struct span c2[GATE_REPS];
    struct tally t;
    for (int rep = 0; rep < GATE_REPS; rep++) {
        span_start(&c2[rep]);
        gates_run_all(b, &t);
        span_stop(&c2[rep]);
    }
    struct span best = c2[0];
    for (int rep = 1; rep < GATE_REPS; rep++)
        if (c2[rep].cpu < best.cpu)
            best = c2[rep];

    /* (d) gates + the trace JSON record_decision writes */
    struct span dj;
    struct buf trace = BUF_INIT(64 * 1024);
    size_t trace_bytes = 0;
    span_start(&dj);
    for (size_t i = 0; i < b->nprs; i++) {
        struct decision d;
        gates_evaluate(&b->prs[i].facts, b->now_ms, &d);
        buf_reset(&trace);
        decision_to_json(&d, &trace);
        trace_bytes += trace.len;
    }
    span_stop(&dj);
    buf_free(&trace);

    /* each gate alone over all PRs */
    size_t ngates;
    const struct gate *gates = gates_all(&ngates);
    double gate_cpu[DECISION_GATES_MAX] = {0};
    for (size_t g = 0; g < ngates && g < DECISION_GATES_MAX; g++) {
        struct gate_result r;
        r.gate = gates[g].name;
        double c0 = cpu_now();
        for (size_t i = 0; i < b->nprs; i++)
            gates[g].fn(&b->prs[i].facts, b->now_ms, &r);
        gate_cpu[g] = cpu_now() - c0;
    }

    /* (e) the policy parsed per evaluation (one load per repo, scaled to every PR) */
    struct span e;
    struct repo_state scratch;
    double ical_e0 = b->ical_wall;
    span_start(&e);
    for (size_t r = 0; r < b->nrepos; r++) {
        struct cfg_org org;
        struct config_errors errs;
        parse_org(b, &org, &errs);
        memset(&scratch, 0, sizeof(scratch));
        memcpy(scratch.name, b->repos[r].name, sizeof(scratch.name));
        scratch.file = b->repos[r].file;
        scratch.file_len = b->repos[r].file_len;
        view_build(b, &scratch, &org, &errs);
        view_free(&scratch);
        cfg_org_free(&org);
    }
    span_stop(&e);
    double ical_e = b->ical_wall - ical_e0;

    /* ---- report ---- */
    double to_100k = 100000.0 / (double)b->nprs; /* the targets are for 100,000 PRs */
    const char *scaled = b->nprs == 100000 ? "" : ", scaled to 100,000 PRs";
    double ncpu_gate = best.cpu * 1e9 / (double)b->nprs;
    printf("(a) state from Redis (pipelined, %d commands per round trip, %zu round trips)\n", BATCH,
           trips);
    print_span("SMEMBERS fb:tracked:<repo> x repos", &a1, b->nrepos, "repo");
    print_span("HMGET fb:pr:<repo>#<n> (14 fields) x PRs", &a2, b->nprs, "PR");
    print_span("HMGET fb:shift:paused:*, fb:optout:<repo>", &a5, NSHIFTS + b->nrepos, "key");
    print_span("ZRANGEBYSCORE fb:rl:* (inst, shifts, repos)", &a3, 1 + NSHIFTS + b->nrepos, "set");
    print_span("total (a)", &a, b->nprs, "PR");
    printf("  redis-server CPU during (a): %.1f ms (INFO cpu)\n",
           (rcpu1 - rcpu0 + rcpu4 - rcpu3) * 1e3);
    print_span("policy texts GET x files (the per-process text cache)", &a4, 0, "");
    printf("  (%zu round trips; redis-server CPU %.1f ms)\n\n", text_trips, (rcpu2 - rcpu1) * 1e3);

    printf("(b) policy parsed and resolved once per repo\n");
    print_span("config_parse_org, first (loads the 5 zones)", &borg, 0, "");
    print_span("config_parse_org x 1000, warm", &bwarm, 1000, "parse");
    print_span("org + shifts once, per repo: parse + calendars + resolve", &bp, b->nrepos, "repo");
    printf("  of which holiday calendar expansion (libical): %zu calls, %.1f ms wall\n\n",
           ical_b_calls, ical_b_wall * 1e3);

    printf("(c) facts and gates for every PR, one now\n");
    print_span(text_facts ? "build struct pr_facts (3 text lists per PR)"
                          : "build struct pr_facts (3 JSON arrays per PR)",
               &c1, b->nprs, "PR");
    for (int rep = 0; rep < GATE_REPS; rep++) {
        char label[64];
        snprintf(label, sizeof(label), "gates_evaluate x %zu PRs, run %d", b->nprs, rep + 1);
        print_span(label, &c2[rep], b->nprs, "PR");
    }
    printf(
        "  ALL GATES, ALL PRs (best run): %.1f ms CPU = %.0f ns (%.2f us) per PR  [target <= 1 s "
        "total%s: %s]\n",
        best.cpu * 1e3, ncpu_gate, ncpu_gate / 1e3, scaled,
        best.cpu * to_100k <= 1.0 ? "met" : "MISSED");
    double all = c1.cpu + best.cpu;
    printf("  facts + gates: %.1f ms CPU = %.2f us per PR  [%s%s]\n", all * 1e3,
           all * 1e6 / (double)b->nprs, all * to_100k <= 1.0 ? "within 1 s" : "over 1 s", scaled);
    print_span("(d) gates + decision_to_json trace", &dj, b->nprs, "PR");
    printf("  trace JSON: %.0f bytes per PR on average\n", (double)trace_bytes / (double)b->nprs);
    printf("  each gate alone over all PRs (CPU):\n");
    for (size_t g = 0; g < ngates; g++)
        printf("    %-16s %7.1f ms  %6.0f ns/PR\n", gates[g].name, gate_cpu[g] * 1e3,
               gate_cpu[g] * 1e9 / (double)b->nprs);
    printf("\n(e) policy parsed per evaluation, as build_view does today (sampled: one load per "
           "repo)\n");
    print_span("org parse + repo view x repos", &e, b->nrepos, "load");
    printf("  of which holiday calendar expansion: %.1f ms wall\n", ical_e * 1e3);
    printf("  scaled to %zu evaluations: %.0f ms CPU (vs %.1f ms with one view per repo)\n\n",
           b->nprs, e.cpu * (double)b->nprs / (double)b->nrepos * 1e3, bp.cpu * 1e3);

    printf("decisions by kind:\n");
    for (int k = 0; k < 4; k++)
        printf("  %-8s %7zu  %5.1f %%\n", decision_kind_name((enum decision_kind)k), t.by_kind[k],
               100.0 * (double)t.by_kind[k] / (double)b->nprs);
    printf("decisions by deciding gate:\n");
    size_t distinct = 0;
    for (size_t g = 0; g <= ngates; g++) {
        if (t.by_gate[g] == 0)
            continue;
        distinct++;
        struct decision d;
        const struct pr_state *ex = &b->prs[t.example[g] - 1];
        gates_evaluate(&ex->facts, b->now_ms, &d);
        printf("  %-16s %7zu  %5.1f %%  e.g. %s#%lld: %s %.100s\n",
               g < ngates ? gates[g].name : "(merge)", t.by_gate[g],
               100.0 * (double)t.by_gate[g] / (double)b->nprs, ex->repo->name,
               (long long)ex->number, decision_kind_name(d.kind), decision_reason(&d));
    }
    printf("  (%zu distinct outcomes; checksum %" PRId64 ")\n", distinct, t.checksum);

    int rc = 0;
    if (distinct < 2) {
        fprintf(stderr, "bench_evaluate: every decision came from one gate: the fleet is not "
                        "realistic\n");
        rc = 1;
    }
    for (size_t i = 0; i < b->nprs; i++) {
        struct pr_state *ps = &b->prs[i];
        json_decref(ps->labels_json);
        json_decref(ps->checks_json);
        json_decref(ps->required_json);
        free(ps->checks);
        free(ps->required);
        freeReplyObject(ps->reply);
    }
    for (size_t r = 0; r < b->nrepos; r++) {
        view_free(&b->repos[r]);
        free(b->repos[r].file);
        free(b->repos[r].numbers);
        free(b->repos[r].spacing_recent);
    }
    for (int s = 0; s < NSHIFTS; s++) {
        cfg_shift_free(&b->shifts[s].cfg);
        free(b->shifts[s].recent);
        free(b->shift_texts[s]);
    }
    cfg_org_free(&b->org);
    free(b->inst_recent);
    free(b->org_text);
    free(b->ics_text);
    free(b->prs);
    free(b->repos);
    zones_free(b->zones);
    redisFree(b->c);
    return rc;
}
