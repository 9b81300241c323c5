/*
 * test_policy_critical.c - the critical facts read from the policy files: a repo whose
 * tier: is one of the org's critical.tiers (compared as written) gets the org's
 * require_approval, hours and after_lower_tiers, with the counts the evaluator fills left
 * unknown; any other repo gets none.
 */
#include "test.h"

#include "bot/config.h"
#include "bot/policy_source.h"

static const char ORG[] = "teams:\n"
                          "  core:\n"
                          "    timezone: UTC\n"
                          "critical:\n"
                          "  tiers: [critical, gold]\n"
                          "  require_approval: true\n"
                          "  hours: \"10:00-15:00\"\n"
                          "  after_lower_tiers: true\n";

static bool fact_for(const char *org_text, const char *repo_text, struct critical_fact *c)
{
    struct cfg_org org = {0};
    struct cfg_repo repo = {0};
    struct config_errors errs = {0};
    CHECK_INT_EQ(
        config_parse_org("fleetbot.yml", org_text, strlen(org_text), NULL, NULL, &org, &errs), 0);
    CHECK_INT_EQ(config_parse_repo(".github/fleetbot.yml", repo_text, strlen(repo_text), NULL, NULL,
                                   &repo, &errs),
                 0);
    *c = (struct critical_fact){.tier = "untouched"};
    bool is = policy_critical_fact(&org, &repo, c);
    if (is) /* tier borrows the repo's text: check it before freeing */
        CHECK_STR_EQ(c->tier, repo.tier);
    cfg_org_free(&org);
    cfg_repo_free(&repo);
    return is;
}

TEST(a_listed_tier_gets_every_constraint)
{
    struct critical_fact c;
    CHECK(fact_for(ORG, "tier: gold\n", &c));
    CHECK(c.require_approval);
    CHECK_INT_EQ(c.approvals, -1);
    CHECK(c.has_hours);
    CHECK_INT_EQ(c.start_min, 600);
    CHECK_INT_EQ(c.end_min, 900);
    CHECK(c.after_lower_tiers);
    CHECK_INT_EQ(c.lower_tiers_open, -1);
}

TEST(tiers_compare_as_written)
{
    struct critical_fact c;
    CHECK(!fact_for(ORG, "tier: Critical\n", &c));
    CHECK_STR_EQ(c.tier, "untouched");
    CHECK(!fact_for(ORG, "tier: bronze\n", &c));
    CHECK(!fact_for(ORG, "team: core\n", &c)); /* no tier */
    CHECK(fact_for(ORG, "tier: critical\n", &c));
}

TEST(only_what_the_org_asks_for)
{
    struct critical_fact c;
    CHECK(fact_for("critical:\n  tiers: [critical]\n", "tier: critical\n", &c));
    CHECK(!c.require_approval);
    CHECK(!c.has_hours);
    CHECK(!c.after_lower_tiers);
    CHECK(!fact_for("teams:\n  core:\n    timezone: UTC\n", "tier: critical\n", &c));
    CHECK(!policy_critical_fact(NULL, NULL, &c));
}
