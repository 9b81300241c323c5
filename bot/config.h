/*
 * config.h - fleetbot's policy configuration as people write it in Git: the org's
 * fleetbot.yml (teams, rate limits, freezes, critical repos, opt-out rules), a shift's
 * shifts/<name>.yml, a repo's .github/fleetbot.yml, and Backstage's catalog-info.yaml.
 * Parsing is strict: unknown keys, wrong types and impossible values are errors naming
 * file and line, collected (not only the first) so one fix-up round is enough. It does
 * not fetch anything; config_source.c does (contents API), and the gates read the result.
 */
#ifndef FLEETBOT_CONFIG_H
#define FLEETBOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_ERRORS_MAX 32

struct config_error {
    char file[128];
    int line;
    char msg[256];
};

struct config_errors {
    struct config_error items[CONFIG_ERRORS_MAX];
    size_t n;
    size_t dropped; /* errors beyond CONFIG_ERRORS_MAX */
};

/* Does an IANA zone of this name exist (zones.c)? */
typedef bool (*config_zone_fn)(const char *name, void *priv);

struct cfg_hours {
    bool set;
    int start_min, end_min; /* see schedule.h */
};

struct cfg_freeze {
    int64_t from_ms, to_ms; /* [from, to) */
    char *reason;
    int line;
};

struct cfg_team {
    char *name;
    char *timezone;
    struct cfg_hours hours;
    bool weekend_set;
    uint8_t weekend;       /* bit d: weekday d, Sunday = 0 */
    int64_t *holiday_days; /* inline dates, local day numbers, ascending */
    size_t nholiday_days;
    char **calendars; /* iCalendar sources: "path/in/config/repo.ics" or https URL */
    size_t ncalendars;
    int line;
};

/* When Firewatch pauses a shift: at least min_implicated of its merges implicated within
 * window_s, and at least max_failure_percent of those observed. 0 fields: not set. */
struct cfg_firewatch {
    int64_t min_implicated;
    int64_t max_failure_percent;
    int64_t window_s;
    char *alert_repo; /* owner/name for the alert issue; NULL = not set */
};

struct cfg_org {
    char *default_team;
    struct cfg_team *teams;
    size_t nteams;
    int64_t per_installation_per_hour; /* 0 = no limit */
    int64_t per_shift_per_hour;
    int64_t repo_spacing_s;
    struct cfg_freeze *freezes;
    size_t nfreezes;
    int64_t opt_out_max_days;    /* default 90 */
    int64_t opt_out_notice_days; /* working days of notice before expiry, default 3 */
    char **critical_tiers;
    size_t ncritical_tiers;
    bool critical_require_approval;
    struct cfg_hours critical_hours;
    bool critical_after_lower_tiers;
    struct cfg_firewatch firewatch; /* org defaults for every shift */
};

/* One cohort of a shift's rollout: its repos by name, by tier, or (neither) the rest. */
struct cfg_cohort {
    char *name;
    char **repos; /* owner/name */
    size_t nrepos;
    char **tiers; /* tier: values of .github/fleetbot.yml */
    size_t ntiers;
    int line;
};

struct cfg_shift {
    char *name;
    char **owners; /* logins or @org/team */
    size_t nowners;
    bool automerge;                 /* false: recommend only */
    char *merge_method;             /* NULL = the server default */
    int64_t per_hour;               /* 0 = the org's */
    struct cfg_firewatch firewatch; /* overrides the org's, field by field */
    struct cfg_cohort *cohorts;     /* in rollout order; none: no cohort gate */
    size_t ncohorts;
    int64_t cohort_min_percent; /* of an earlier cohort's PRs merged and proven, default 100 */
    int64_t cohort_soak_s;      /* after an earlier cohort's newest merge, default 0 */
};

/* The cohort (index into s->cohorts) of repo, whose tier may be NULL: the first cohort
 * naming the repo, else the first naming its tier, else the first naming neither, else
 * the last. -1 when the shift has no cohorts. */
int cfg_shift_cohort_of(const struct cfg_shift *s, const char *repo, const char *tier);

struct cfg_repo {
    char *team;
    char *timezone;
    struct cfg_hours hours;
    bool weekend_set;
    uint8_t weekend;
    char *tier;
    struct cfg_freeze *freezes;
    size_t nfreezes;
    bool opt_out;
    char *opt_out_reason;
    int64_t opt_out_expires_day; /* local day number of the last opted-out day */
    int opt_out_line;
};

enum config_kind { CONFIG_ORG, CONFIG_SHIFT, CONFIG_REPO, CONFIG_CATALOG };

/* Each parse fills a caller-owned, zeroed struct (free with the matching _free even on
 * error) and appends to errs; returns 0 when it added no error, else FB_ERR_INVALID.
 * file names the file in messages. zone_fn may be NULL (zones are then not checked). */
int config_parse_org(const char *file, const char *text, size_t len, config_zone_fn zone_fn,
                     void *zone_priv, struct cfg_org *out, struct config_errors *errs);
int config_parse_shift(const char *file, const char *name, const char *text, size_t len,
                       struct cfg_shift *out, struct config_errors *errs);
int config_parse_repo(const char *file, const char *text, size_t len, config_zone_fn zone_fn,
                      void *zone_priv, struct cfg_repo *out, struct config_errors *errs);
/* Backstage catalog-info.yaml: the owner (spec.owner, "group:" prefix dropped) into
 * *owner (caller frees), or NULL when it names none. Only YAML errors are errors. */
int config_parse_catalog(const char *file, const char *text, size_t len, char **owner,
                         struct config_errors *errs);

void cfg_org_free(struct cfg_org *o);
void cfg_shift_free(struct cfg_shift *s);
void cfg_repo_free(struct cfg_repo *r);

const struct cfg_team *cfg_org_team(const struct cfg_org *o, const char *name);

/* Which kind a file is by its path and, for fleetbot.yml, its top-level keys. */
enum config_kind config_guess_kind(const char *path, const char *text, size_t len);

/* "file:line: message" lines into out (cap bytes), for logs, check runs and the CLI. */
void config_errors_format(const struct config_errors *errs, char *out, size_t cap);

#endif
