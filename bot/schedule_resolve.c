/*
 * schedule_resolve.c - config structs + zones + calendars -> one team_schedule.
 */
#include "schedule_resolve.h"

#include "alloc.h"
#include "config.h"
#include "err.h"
#include "ical.h"
#include "zones.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Merges two ascending day lists (with optional names) without duplicates. */
static void merge_days(struct resolved_schedule *out, const int64_t *a, size_t na,
                       const struct ical_day *b, size_t nb)
{
    out->holidays = xcalloc(na + nb + 1, sizeof(int64_t));
    out->holiday_names = xcalloc(na + nb + 1, sizeof(char *));
    size_t i = 0, j = 0, n = 0;
    while (i < na || j < nb) {
        bool take_a = j >= nb || (i < na && a[i] <= b[j].day);
        int64_t day = take_a ? a[i] : b[j].day;
        const char *name = take_a ? "" : b[j].summary;
        if (take_a)
            i++;
        else
            j++;
        if (n > 0 && out->holidays[n - 1] == day) {
            if (out->holiday_names[n - 1][0] == '\0' && name[0]) {
                free(out->holiday_names[n - 1]);
                out->holiday_names[n - 1] = xstrdup(name);
            }
            continue;
        }
        out->holidays[n] = day;
        out->holiday_names[n] = xstrdup(name);
        n++;
    }
    out->nholidays = n;
}

int schedule_resolve(const struct cfg_org *org, const struct cfg_repo *repo,
                     const char *catalog_owner, struct zones *zones,
                     const struct ical_day *calendar_days, size_t ncalendar_days,
                     struct resolved_schedule *out, struct fb_error *err)
{
    const char *team = NULL, *source = NULL;
    if (repo && repo->team) {
        team = repo->team;
        source = ".github/fleetbot.yml";
    } else if (catalog_owner) {
        team = catalog_owner;
        source = "catalog-info.yaml";
    } else if (org->default_team) {
        team = org->default_team;
        source = "defaults.team";
    }
    if (team == NULL)
        return fb_error_set(err, FB_ERR_NOT_FOUND,
                            "no owning team: set team in .github/fleetbot.yml, spec.owner in "
                            "catalog-info.yaml, or defaults.team in the org's fleetbot.yml");
    const struct cfg_team *t = cfg_org_team(org, team);
    if (t == NULL)
        return fb_error_set(err, FB_ERR_INVALID,
                            "team \"%s\" (from %s) is not defined in the org's fleetbot.yml", team,
                            source);
    snprintf(out->team, sizeof(out->team), "%s", team);
    snprintf(out->source, sizeof(out->source), "%s", source);
    const char *tzname = repo && repo->timezone ? repo->timezone : t->timezone;
    const struct tz_zone *zone = tzname ? zones_get(zones, tzname, err) : NULL;
    if (zone == NULL)
        return fb_error_set(err, FB_ERR_INVALID, "team \"%s\" has no usable time zone", team);
    const struct cfg_hours *h = repo && repo->hours.set ? &repo->hours : &t->hours;
    merge_days(out, t->holiday_days, t->nholiday_days, calendar_days, ncalendar_days);
    out->schedule = (struct team_schedule){
        .team = out->team,
        .zone = zone,
        .start_min = h->start_min,
        .end_min = h->end_min,
        .weekend = repo && repo->weekend_set ? repo->weekend : t->weekend,
        .holidays = out->holidays,
        .nholidays = out->nholidays,
        .holiday_names = (const char *const *)out->holiday_names,
    };
    return 0;
}

void resolved_schedule_free(struct resolved_schedule *r)
{
    for (size_t i = 0; i < r->nholidays; i++)
        free(r->holiday_names[i]);
    free(r->holiday_names);
    free(r->holidays);
    memset(r, 0, sizeof(*r));
}
