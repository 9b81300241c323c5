/*
 * schedule_resolve.h - which team owns a repository and what its working schedule is:
 * the repo's .github/fleetbot.yml team, else its Backstage owner, else the org's default
 * team; the team's zone, hours and weekend with the repo's overrides; the team's inline
 * holiday dates joined with its expanded calendars. The result is the facts the weekend,
 * holiday and working-hours gates read (policies/schedule.h).
 */
#ifndef FLEETBOT_SCHEDULE_RESOLVE_H
#define FLEETBOT_SCHEDULE_RESOLVE_H

#include "policies/schedule.h"

#include <stddef.h>

struct cfg_org;
struct cfg_repo;
struct fb_error;
struct ical_day;
struct zones;

struct resolved_schedule {
    struct team_schedule schedule; /* points into the fields below */
    char team[128];
    char source[64]; /* where the team came from, for reasons: ".github/fleetbot.yml", ... */
    int64_t *holidays;
    char **holiday_names;
    size_t nholidays;
};

/*
 * Fills out (caller-owned, zeroed; free with resolved_schedule_free). repo, catalog_owner
 * and calendar days may be NULL/0. Returns 0; FB_ERR_NOT_FOUND when no team can be named
 * (no repo team, no Backstage owner, no defaults.team); FB_ERR_INVALID when the named
 * team is not defined or its zone cannot be loaded. err says which, for the person who
 * can fix it.
 */
int schedule_resolve(const struct cfg_org *org, const struct cfg_repo *repo,
                     const char *catalog_owner, struct zones *zones,
                     const struct ical_day *calendar_days, size_t ncalendar_days,
                     struct resolved_schedule *out, struct fb_error *err);
void resolved_schedule_free(struct resolved_schedule *r);

#endif
