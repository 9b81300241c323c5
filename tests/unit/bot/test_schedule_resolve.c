/*
 * test_schedule_resolve.c - who owns a repo and which schedule applies: the repo's team,
 * else its Backstage owner, else the org default; repo overrides of zone, hours and
 * weekend; inline holidays merged with calendar days; and the errors that tell a person
 * what to fix.
 */
#include "test.h"

#include "bot/config.h"
#include "bot/err.h"
#include "bot/ical.h"
#include "bot/schedule_resolve.h"
#include "bot/zones.h"
#include "policies/calendar.h"
#include "policies/tz.h"

static const char ORG[] =
    "defaults:\n  team: core\n"
    "teams:\n"
    "  core:\n    timezone: Europe/Stockholm\n"
    "    holidays:\n      dates: [2026-12-24, 2026-12-31]\n"
    "  payments:\n    timezone: America/New_York\n    hours: \"08:00-12:00\"\n";

static void load_org(struct cfg_org *o, struct zones *zs)
{
    struct config_errors errs = {0};
    CHECK_INT_EQ(config_parse_org("o", ORG, strlen(ORG), zones_exists, zs, o, &errs), 0);
}

TEST(team_comes_from_repo_then_catalog_then_default)
{
    struct zones *zs = zones_new(NULL);
    struct cfg_org o = {0};
    load_org(&o, zs);
    char payments[] = "payments";
    struct cfg_repo repo = {.team = payments};
    struct resolved_schedule r = {0};
    struct fb_error err = {0};
    CHECK_INT_EQ(schedule_resolve(&o, &repo, "core", zs, NULL, 0, &r, &err), 0);
    CHECK_STR_EQ(r.team, "payments");
    CHECK_STR_EQ(r.schedule.zone->name, "America/New_York");
    CHECK_INT_EQ(r.schedule.start_min, 8 * 60);
    resolved_schedule_free(&r);
    CHECK_INT_EQ(schedule_resolve(&o, NULL, "payments", zs, NULL, 0, &r, &err), 0);
    CHECK_STR_EQ(r.source, "catalog-info.yaml");
    resolved_schedule_free(&r);
    CHECK_INT_EQ(schedule_resolve(&o, NULL, NULL, zs, NULL, 0, &r, &err), 0);
    CHECK_STR_EQ(r.team, "core");
    CHECK_STR_EQ(r.source, "defaults.team");
    resolved_schedule_free(&r);
    cfg_org_free(&o);
    zones_free(zs);
}

TEST(repo_overrides_and_holidays)
{
    struct zones *zs = zones_new(NULL);
    struct cfg_org o = {0};
    load_org(&o, zs);
    char core[] = "core", kathmandu[] = "Asia/Kathmandu";
    struct cfg_repo repo = {.team = core,
                            .timezone = kathmandu,
                            .hours = {true, 600, 900},
                            .weekend_set = true,
                            .weekend = 1u << 6};
    struct ical_day cal[] = {{cal_days_from_date(2026, 12, 24), "Christmas Eve"},
                             {cal_days_from_date(2026, 12, 25), "Christmas"}};
    struct resolved_schedule r = {0};
    struct fb_error err = {0};
    CHECK_INT_EQ(schedule_resolve(&o, &repo, NULL, zs, cal, 2, &r, &err), 0);
    CHECK_STR_EQ(r.schedule.zone->name, "Asia/Kathmandu");
    CHECK_INT_EQ(r.schedule.start_min, 600);
    CHECK_INT_EQ(r.schedule.weekend, 1 << 6);
    CHECK_INT_EQ(r.nholidays, 3); /* 24th (both), 25th, 31st */
    CHECK_STR_EQ(r.holiday_names[0], "Christmas Eve");
    CHECK_STR_EQ(r.holiday_names[2], "");
    CHECK(schedule_is_holiday(&r.schedule, cal_days_from_date(2026, 12, 31), NULL));
    resolved_schedule_free(&r);
    cfg_org_free(&o);
    zones_free(zs);
}

TEST(errors_say_what_to_fix)
{
    struct zones *zs = zones_new(NULL);
    struct cfg_org o = {0};
    load_org(&o, zs);
    char ghosts[] = "ghosts";
    struct cfg_repo repo = {.team = ghosts};
    struct resolved_schedule r = {0};
    struct fb_error err = {0};
    CHECK_INT_EQ(schedule_resolve(&o, &repo, NULL, zs, NULL, 0, &r, &err), FB_ERR_INVALID);
    CHECK_CONTAINS(err.msg, "team \"ghosts\" (from .github/fleetbot.yml) is not defined");
    free(o.default_team);
    o.default_team = NULL;
    err = (struct fb_error){0};
    CHECK_INT_EQ(schedule_resolve(&o, NULL, NULL, zs, NULL, 0, &r, &err), FB_ERR_NOT_FOUND);
    CHECK_CONTAINS(err.msg, "no owning team");
    cfg_org_free(&o);
    zones_free(zs);
}
