/*
 * test_config.c - what the policy readers make of well-formed files (values and
 * defaults), that every problem of a file is reported with its line (not only the first),
 * the Backstage owner, and how a file's kind is guessed. docs/configuration.md's examples
 * are checked end to end by tests/integration/test_check_config.py.
 */
#include "test.h"

#include "bot/config.h"
#include "bot/err.h"
#include "policies/calendar.h"

static bool zone_known(const char *name, void *priv)
{
    (void)priv;
    return strcmp(name, "Europe/Stockholm") == 0 || strcmp(name, "UTC") == 0;
}

TEST(org_values_and_defaults)
{
    static const char text[] = "teams:\n"
                               "  core:\n"
                               "    timezone: Europe/Stockholm\n"
                               "    hours: \"22:00-06:00\"\n"
                               "    holidays:\n"
                               "      dates: [2026-12-25, 2026-12-24]\n"
                               "  ops:\n"
                               "    timezone: UTC\n"
                               "    weekend: [fri, Saturday]\n"
                               "defaults:\n"
                               "  team: core\n"
                               "rate_limits:\n"
                               "  repo_spacing: 30m\n";
    struct cfg_org o = {0};
    struct config_errors errs = {0};
    CHECK_INT_EQ(config_parse_org("fleetbot.yml", text, strlen(text), zone_known, NULL, &o, &errs),
                 0);
    CHECK_INT_EQ(errs.n, 0);
    CHECK_INT_EQ(o.nteams, 2);
    const struct cfg_team *core = cfg_org_team(&o, "core");
    CHECK(core != NULL);
    if (core) {
        CHECK_INT_EQ(core->hours.start_min, 22 * 60);
        CHECK_INT_EQ(core->hours.end_min, 6 * 60);
        CHECK_INT_EQ(core->weekend, (1 << 0) | (1 << 6)); /* default */
        CHECK_INT_EQ(core->nholiday_days, 2);
        CHECK_INT_EQ(core->holiday_days[0], cal_days_from_date(2026, 12, 24)); /* sorted */
    }
    const struct cfg_team *ops = cfg_org_team(&o, "ops");
    CHECK(ops && ops->weekend == ((1 << 5) | (1 << 6)));
    CHECK(ops && ops->hours.start_min == 9 * 60 && ops->hours.end_min == 17 * 60);
    CHECK_STR_EQ(o.default_team, "core");
    CHECK_INT_EQ(o.repo_spacing_s, 1800);
    CHECK_INT_EQ(o.opt_out_max_days, 90);
    CHECK_INT_EQ(o.per_shift_per_hour, 0);
    cfg_org_free(&o);
}

TEST(every_problem_is_reported_with_its_line)
{
    static const char text[] = "teams:\n"
                               "  core:\n"
                               "    timezone: Mars/Olympus\n"
                               "    hours: \"9 to 5\"\n"
                               "    weekend: [sat, sun, someday]\n"
                               "defaults:\n"
                               "  team: nobody\n"
                               "colour: blue\n";
    struct cfg_org o = {0};
    struct config_errors errs = {0};
    CHECK_INT_EQ(config_parse_org("org.yml", text, strlen(text), zone_known, NULL, &o, &errs),
                 FB_ERR_INVALID);
    CHECK_INT_EQ(errs.n, 5);
    char out[4096];
    config_errors_format(&errs, out, sizeof(out));
    CHECK_CONTAINS(out, "org.yml:3: timezone: unknown time zone \"Mars/Olympus\"");
    CHECK_CONTAINS(out, "org.yml:4: hours must be");
    CHECK_CONTAINS(out, "org.yml:5: weekend: \"someday\" is not a weekday");
    CHECK_CONTAINS(out, "org.yml:7: defaults.team \"nobody\" is not one of the teams");
    CHECK_CONTAINS(out, "org.yml:8: unknown key \"colour\"");
    cfg_org_free(&o);
}

TEST(repo_opt_out_and_shift)
{
    static const char repo[] = "team: core\ntier: critical\nopt_out:\n  reason: moving\n"
                               "  expires: 2027-01-31\n";
    struct cfg_repo r = {0};
    struct config_errors errs = {0};
    CHECK_INT_EQ(config_parse_repo("r.yml", repo, strlen(repo), zone_known, NULL, &r, &errs), 0);
    CHECK(r.opt_out);
    CHECK_STR_EQ(r.opt_out_reason, "moving");
    CHECK_INT_EQ(r.opt_out_expires_day, cal_days_from_date(2027, 1, 31));
    CHECK_STR_EQ(r.tier, "critical");
    cfg_repo_free(&r);

    static const char shift[] = "owners: [alice, \"@acme/platform\"]\nautomerge: false\n";
    struct cfg_shift s = {0};
    CHECK_INT_EQ(config_parse_shift("s.yml", "bump", shift, strlen(shift), &s, &errs), 0);
    CHECK_INT_EQ(s.nowners, 2);
    CHECK_STR_EQ(s.owners[1], "@acme/platform");
    CHECK(!s.automerge);
    CHECK_STR_EQ(s.name, "bump");
    cfg_shift_free(&s);

    static const char not_map[] = "- just\n- a list\n";
    CHECK_INT_EQ(config_parse_repo("l.yml", not_map, strlen(not_map), NULL, NULL, &r, &errs),
                 FB_ERR_INVALID);
    CHECK_CONTAINS(errs.items[errs.n - 1].msg, "must be a mapping");
    cfg_repo_free(&r);
}

TEST(backstage_owner)
{
    static const char cat[] = "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                              "spec:\n  owner: group:default/payments\n  type: service\n";
    char *owner = NULL;
    struct config_errors errs = {0};
    CHECK_INT_EQ(config_parse_catalog("c.yaml", cat, strlen(cat), &owner, &errs), 0);
    CHECK_STR_EQ(owner, "payments");
    free(owner);
    static const char none[] = "kind: Component\n";
    CHECK_INT_EQ(config_parse_catalog("c.yaml", none, strlen(none), &owner, &errs), 0);
    CHECK(owner == NULL);
}

TEST(kind_guessing)
{
    CHECK_INT_EQ(config_guess_kind("shifts/bump.yml", "", 0), CONFIG_SHIFT);
    CHECK_INT_EQ(config_guess_kind("x/catalog-info.yaml", "", 0), CONFIG_CATALOG);
    CHECK_INT_EQ(config_guess_kind("fleetbot.yml", "teams: {}\n", 10), CONFIG_ORG);
    CHECK_INT_EQ(config_guess_kind(".github/fleetbot.yml", "team: core\n", 11), CONFIG_REPO);
}

TEST(firewatch_thresholds_in_org_and_shift)
{
    static const char org[] = "firewatch:\n  min_implicated: 4\n  max_failure_percent: 25\n"
                              "  window: 48h\n  alert_repo: acme/alerts\n";
    struct cfg_org o = {0};
    struct config_errors errs = {0};
    CHECK_INT_EQ(config_parse_org("fleetbot.yml", org, strlen(org), NULL, NULL, &o, &errs), 0);
    CHECK_INT_EQ(o.firewatch.min_implicated, 4);
    CHECK_INT_EQ(o.firewatch.max_failure_percent, 25);
    CHECK_INT_EQ(o.firewatch.window_s, 48 * 3600);
    CHECK_STR_EQ(o.firewatch.alert_repo, "acme/alerts");
    cfg_org_free(&o);
    static const char shift[] = "owners: [olga]\nfirewatch:\n  min_implicated: 2\n";
    struct cfg_shift s = {0};
    CHECK_INT_EQ(config_parse_shift("shifts/x.yml", "x", shift, strlen(shift), &s, &errs), 0);
    CHECK_INT_EQ(s.firewatch.min_implicated, 2);
    CHECK_INT_EQ(s.firewatch.max_failure_percent, 0); /* not set: the org's applies */
    cfg_shift_free(&s);
    static const char bad[] = "firewatch:\n  min_implicated: 0\n  max_failure_percent: 101\n"
                              "  window: forever\n  alert_repo: nowhere\n  spam: true\n";
    struct cfg_org b = {0};
    CHECK(config_parse_org("fleetbot.yml", bad, strlen(bad), NULL, NULL, &b, &errs) != 0);
    CHECK_INT_EQ(errs.n, 5);
    for (int line = 2; line <= 6; line++) { /* every problem, each at its own line */
        bool found = false;
        for (size_t i = 0; i < errs.n; i++)
            found = found || errs.items[i].line == line;
        CHECK(found);
    }
    cfg_org_free(&b);
}
