/*
 * Unit tests for bot/command.c: "/fleetbot ..." comment commands. Expected day numbers
 * were computed with Python's datetime ((date(y, m, d) - date(1970, 1, 1)).days).
 */
#include "test.h"

#include "bot/command.h"

static size_t parse_str(const char *s, struct command_list *l)
{
    return command_parse(s, strlen(s), l);
}

/* Parses s, which must hold exactly one command, and returns it. */
static const struct command *parse_one(const char *s, struct command_list *l)
{
    static const struct command none = {.kind = CMD_UNKNOWN, .malformed = true};
    size_t n = parse_str(s, l);
    CHECK_INT_EQ(n, 1);
    return n == 1 ? &l->items[0] : &none;
}

static int is_printable_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

#define CHECK_OK(cmd, k)                                                                           \
    do {                                                                                           \
        const struct command *ok_ = (cmd);                                                         \
        CHECK_INT_EQ(ok_->kind, (k));                                                              \
        CHECK(!ok_->malformed);                                                                    \
        CHECK_STR_EQ(ok_->error, "");                                                              \
    } while (0)

/* A malformed command: the message, printable, and no payload left behind. */
#define CHECK_BAD(cmd, k, msg)                                                                     \
    do {                                                                                           \
        const struct command *bad_ = (cmd);                                                        \
        CHECK_INT_EQ(bad_->kind, (k));                                                             \
        CHECK(bad_->malformed);                                                                    \
        CHECK_CONTAINS(bad_->error, (msg));                                                        \
        CHECK(is_printable_ascii(bad_->error));                                                    \
        CHECK_STR_EQ(bad_->reason, "");                                                            \
        CHECK_STR_EQ(bad_->until, "");                                                             \
        CHECK_STR_EQ(bad_->shift, "");                                                             \
        CHECK_INT_EQ(bad_->until_day, 0);                                                          \
    } while (0)

TEST(command_simple_commands)
{
    struct command_list l;
    CHECK_OK(parse_one("/fleetbot why", &l), CMD_WHY);
    CHECK_OK(parse_one("/fleetbot hold", &l), CMD_HOLD);
    CHECK_OK(parse_one("/fleetbot unhold", &l), CMD_UNHOLD);
    CHECK_OK(parse_one("/fleetbot opt-in", &l), CMD_OPT_IN);
    CHECK_OK(parse_one("/fleetbot optin", &l), CMD_OPT_IN);
    CHECK_OK(parse_one("/fleetbot help", &l), CMD_HELP);
    CHECK_INT_EQ(l.items[0].line, 1);
    CHECK_INT_EQ(l.dropped, 0);
}

TEST(command_bare_fleetbot_is_help)
{
    struct command_list l;
    CHECK_OK(parse_one("/fleetbot", &l), CMD_HELP);
    CHECK_OK(parse_one("/fleetbot   \t ", &l), CMD_HELP);
    CHECK_OK(parse_one("/fleetbot\n", &l), CMD_HELP);
}

TEST(command_blanks_around)
{
    struct command_list l;
    CHECK_OK(parse_one("    /fleetbot hold", &l), CMD_HOLD);
    CHECK_OK(parse_one("\t/fleetbot\thold\t", &l), CMD_HOLD);
    CHECK_OK(parse_one("/fleetbot    unhold   ", &l), CMD_UNHOLD);
}

TEST(command_case_insensitive)
{
    struct command_list l;
    CHECK_OK(parse_one("/FleetBot HOLD", &l), CMD_HOLD);
    CHECK_OK(parse_one("/FLEETBOT Why", &l), CMD_WHY);
    CHECK_OK(parse_one("/fleetBOT OptOut UNTIL=2027-01-31 Reason=\"Keep This Case\"", &l),
             CMD_OPT_OUT);
    CHECK_STR_EQ(l.items[0].reason, "Keep This Case");
    CHECK_OK(parse_one("/FLEETBOT PAUSE-SHIFT Libfoo-2.4 REASON=Broken", &l), CMD_PAUSE_SHIFT);
    CHECK_STR_EQ(l.items[0].shift, "Libfoo-2.4");
    CHECK_STR_EQ(l.items[0].reason, "Broken");
}

TEST(command_several_with_lines)
{
    struct command_list l;
    const char *body = "Thanks, looks good.\n"
                       "/fleetbot hold\n"
                       "\n"
                       "Some text /fleetbot why in the middle is not a command.\n"
                       "  /fleetbot why\n"
                       "/fleetbot opt-out until=2027-01-31 reason=\"deploy freeze\"\n"
                       "/fleetbot unhold";
    CHECK_INT_EQ(parse_str(body, &l), 4);
    CHECK_INT_EQ(l.n, 4);
    CHECK_INT_EQ(l.items[0].kind, CMD_HOLD);
    CHECK_INT_EQ(l.items[0].line, 2);
    CHECK_INT_EQ(l.items[1].kind, CMD_WHY);
    CHECK_INT_EQ(l.items[1].line, 5);
    CHECK_INT_EQ(l.items[2].kind, CMD_OPT_OUT);
    CHECK_INT_EQ(l.items[2].line, 6);
    CHECK(!l.items[2].malformed);
    CHECK_INT_EQ(l.items[3].kind, CMD_UNHOLD);
    CHECK_INT_EQ(l.items[3].line, 7);
    CHECK_INT_EQ(l.dropped, 0);
}

TEST(command_quoted_lines_ignored)
{
    struct command_list l;
    CHECK_INT_EQ(parse_str("> /fleetbot hold", &l), 0);
    CHECK_INT_EQ(parse_str(">/fleetbot hold", &l), 0);
    CHECK_INT_EQ(parse_str("   > /fleetbot hold", &l), 0);
    CHECK_INT_EQ(parse_str("> > /fleetbot opt-out until=2027-01-31 reason=x", &l), 0);
    const char *reply = "> @alice wrote:\n"
                        "> /fleetbot hold\n"
                        ">\n"
                        "> /fleetbot pause-shift libfoo\n"
                        "Agreed.\n"
                        "/fleetbot why\n";
    CHECK_INT_EQ(parse_str(reply, &l), 1);
    CHECK_INT_EQ(l.items[0].kind, CMD_WHY);
    CHECK_INT_EQ(l.items[0].line, 6);
}

TEST(command_fenced_code_ignored)
{
    struct command_list l;
    const char *body = "Run this:\n"
                       "```\n"
                       "/fleetbot hold\n"
                       "```\n"
                       "~~~text\n"
                       "/fleetbot unhold\n"
                       "```\n"
                       "/fleetbot opt-in\n"
                       "~~~\n"
                       "/fleetbot why\n";
    CHECK_INT_EQ(parse_str(body, &l), 1);
    CHECK_INT_EQ(l.items[0].kind, CMD_WHY);
    CHECK_INT_EQ(l.items[0].line, 10);

    /* a longer fence needs a closing fence at least as long */
    CHECK_INT_EQ(parse_str("````md\n```\n/fleetbot hold\n````\n/fleetbot help", &l), 1);
    CHECK_INT_EQ(l.items[0].kind, CMD_HELP);
    CHECK_INT_EQ(l.items[0].line, 5);

    /* an indented fence, and a closing fence with trailing blanks */
    CHECK_INT_EQ(parse_str("  ```sh\n  /fleetbot hold\n  ```  \n/fleetbot unhold", &l), 1);
    CHECK_INT_EQ(l.items[0].kind, CMD_UNHOLD);

    /* "```x``` text" is inline code, not a fence */
    CHECK_INT_EQ(parse_str("```x``` is inline\n/fleetbot hold", &l), 1);
    CHECK_INT_EQ(l.items[0].kind, CMD_HOLD);

    /* "```not closed" as a closing line: a closing fence has nothing after it */
    CHECK_INT_EQ(parse_str("```\n``` still code\n/fleetbot hold\n```\n/fleetbot why", &l), 1);
    CHECK_INT_EQ(l.items[0].kind, CMD_WHY);

    /* an unclosed fence runs to the end of the comment */
    CHECK_INT_EQ(parse_str("```\n/fleetbot hold\n/fleetbot why\n", &l), 0);

    /* a fence inside a quote does not open a fence outside it */
    CHECK_INT_EQ(parse_str("> ```\n/fleetbot hold\n", &l), 1);
    CHECK_INT_EQ(l.items[0].kind, CMD_HOLD);
}

TEST(command_crlf)
{
    struct command_list l;
    const char *body = "hi\r\n/fleetbot hold\r\n```\r\n/fleetbot why\r\n```\r\n"
                       "/fleetbot opt-out until=2027-01-31 reason=\"a b\"\r\n"
                       "/fleetbot pause-shift libfoo\r\n";
    CHECK_INT_EQ(parse_str(body, &l), 3);
    CHECK_OK(&l.items[0], CMD_HOLD);
    CHECK_INT_EQ(l.items[0].line, 2);
    CHECK_OK(&l.items[1], CMD_OPT_OUT);
    CHECK_INT_EQ(l.items[1].line, 6);
    CHECK_STR_EQ(l.items[1].reason, "a b");
    CHECK_OK(&l.items[2], CMD_PAUSE_SHIFT);
    CHECK_STR_EQ(l.items[2].shift, "libfoo");
    CHECK_OK(parse_one("/fleetbot opt-out reason=flaky until=2027-01-31\r\n", &l), CMD_OPT_OUT);
    CHECK_STR_EQ(l.items[0].until, "2027-01-31");
}

TEST(command_opt_out_both_orders)
{
    struct command_list l;
    const struct command *c =
        parse_one("/fleetbot opt-out until=2027-01-31 reason=\"flaky deploys while we move\"", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_STR_EQ(c->until, "2027-01-31");
    CHECK_INT_EQ(c->until_day, 20849);
    CHECK_STR_EQ(c->reason, "flaky deploys while we move");
    CHECK_STR_EQ(c->shift, "");

    c = parse_one("/fleetbot opt-out reason=\"flaky deploys while we move\" until=2027-01-31", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_STR_EQ(c->until, "2027-01-31");
    CHECK_INT_EQ(c->until_day, 20849);
    CHECK_STR_EQ(c->reason, "flaky deploys while we move");

    c = parse_one("/fleetbot optout until=2026-12-31 reason=\"x\"", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_INT_EQ(c->until_day, 20818);
}

TEST(command_opt_out_day_numbers)
{
    struct command_list l;
    struct {
        const char *date;
        long long day;
    } cases[] = {
        {"2000-01-01", 10957}, {"2000-02-29", 11016}, {"2024-02-29", 19782},
        {"2028-02-29", 21243}, {"2100-03-01", 47541}, {"9999-12-31", 2932896},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "/fleetbot opt-out until=%s reason=r", cases[i].date);
        const struct command *c = parse_one(line, &l);
        CHECK_OK(c, CMD_OPT_OUT);
        CHECK_INT_EQ(c->until_day, cases[i].day);
        CHECK_STR_EQ(c->until, cases[i].date);
    }
}

TEST(command_opt_out_reason_escapes)
{
    struct command_list l;
    const struct command *c =
        parse_one("/fleetbot opt-out until=2027-01-31 reason=\"say \\\"hi\\\" to \\\\o/\"", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_STR_EQ(c->reason, "say \"hi\" to \\o/");

    /* other backslashes stay as written */
    c = parse_one("/fleetbot opt-out until=2027-01-31 reason=\"C:\\temp\\n\"", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_STR_EQ(c->reason, "C:\\temp\\n");

    /* blanks around the reason are trimmed, a tab inside is kept */
    c = parse_one("/fleetbot opt-out until=2027-01-31 reason=\"  a\tb  \"", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_STR_EQ(c->reason, "a\tb");

    /* UTF-8 is kept as written */
    c = parse_one("/fleetbot opt-out until=2027-01-31 reason=\"Umzug \xc3\xbc \xe2\x9c\x93\"", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_STR_EQ(c->reason, "Umzug \xc3\xbc \xe2\x9c\x93");
}

TEST(command_opt_out_unquoted_reason)
{
    struct command_list l;
    const struct command *c = parse_one("/fleetbot opt-out reason=migration until=2027-01-31", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_STR_EQ(c->reason, "migration");

    c = parse_one("/fleetbot opt-out reason=flaky deploys until=2027-01-31", &l);
    CHECK_BAD(c, CMD_OPT_OUT, "unexpected \"deploys\"");
    CHECK_CONTAINS(c->error, "reason=\"...\"");
}

TEST(command_opt_out_missing_arguments)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot opt-out reason=\"x\"", &l), CMD_OPT_OUT,
              "opt-out needs until=YYYY-MM-DD");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31", &l), CMD_OPT_OUT,
              "opt-out needs reason=\"...\"");
    CHECK_BAD(parse_one("/fleetbot opt-out", &l), CMD_OPT_OUT,
              "opt-out needs until=YYYY-MM-DD and reason=\"...\"");
}

TEST(command_opt_out_bad_dates)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot opt-out until=2026-02-29 reason=x", &l), CMD_OPT_OUT,
              "until=2026-02-29 is not a calendar date");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2026-13-01 reason=x", &l), CMD_OPT_OUT,
              "not a calendar date");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2026-00-10 reason=x", &l), CMD_OPT_OUT,
              "not a calendar date");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2026-04-31 reason=x", &l), CMD_OPT_OUT,
              "not a calendar date");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2100-02-29 reason=x", &l), CMD_OPT_OUT,
              "not a calendar date");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2026-01-00 reason=x", &l), CMD_OPT_OUT,
              "not a calendar date");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2026-1-1 reason=x", &l), CMD_OPT_OUT,
              "until= must be a date YYYY-MM-DD");
    CHECK_BAD(parse_one("/fleetbot opt-out until=next-friday reason=x", &l), CMD_OPT_OUT,
              "until= must be a date YYYY-MM-DD");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2026-0a-01 reason=x", &l), CMD_OPT_OUT,
              "until= must be a date YYYY-MM-DD");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31T00:00 reason=x", &l), CMD_OPT_OUT,
              "until= must be a date YYYY-MM-DD");
    CHECK_BAD(parse_one("/fleetbot opt-out until= reason=x", &l), CMD_OPT_OUT,
              "until= must be a date YYYY-MM-DD");
    CHECK_BAD(parse_one("/fleetbot opt-out until=-202-01-01 reason=x", &l), CMD_OPT_OUT,
              "until= must be a date YYYY-MM-DD");
    CHECK_BAD(parse_one("/fleetbot opt-out until=1999-12-31 reason=x", &l), CMD_OPT_OUT,
              "from the year 2000 to 9999");
}

TEST(command_opt_out_empty_reason)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"\"", &l), CMD_OPT_OUT,
              "reason must not be empty");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"  \t \"", &l), CMD_OPT_OUT,
              "reason must not be empty");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=", &l), CMD_OPT_OUT,
              "reason must not be empty");
    CHECK_BAD(parse_one("/fleetbot opt-out reason= until=2027-01-31", &l), CMD_OPT_OUT,
              "reason must not be empty");
}

TEST(command_opt_out_reason_length)
{
    struct command_list l;
    char line[1024];
    char reason[COMMAND_REASON_MAX + 2];
    memset(reason, 'r', sizeof(reason));
    reason[COMMAND_REASON_MAX - 1] = '\0'; /* 299 bytes: the longest allowed */
    snprintf(line, sizeof(line), "/fleetbot opt-out until=2027-01-31 reason=\"%s\"", reason);
    const struct command *c = parse_one(line, &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_INT_EQ(strlen(c->reason), 299);

    reason[COMMAND_REASON_MAX - 1] = 'r';
    reason[COMMAND_REASON_MAX] = '\0'; /* 300 bytes */
    snprintf(line, sizeof(line), "/fleetbot opt-out until=2027-01-31 reason=\"%s\"", reason);
    CHECK_BAD(parse_one(line, &l), CMD_OPT_OUT, "reason is too long (at most 299 characters)");
    CHECK_STR_EQ(l.items[0].error, "reason is too long (at most 299 characters)");

    /* the limit applies after unescaping: 298 bytes plus \" is 299 */
    reason[COMMAND_REASON_MAX - 2] = '\0';
    snprintf(line, sizeof(line), "/fleetbot opt-out until=2027-01-31 reason=\"%s\\\"\"", reason);
    c = parse_one(line, &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_INT_EQ(strlen(c->reason), 299);
    CHECK_INT_EQ(c->reason[298], '"');
}

TEST(command_opt_out_duplicate_and_unknown_arguments)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 until=2027-02-01 reason=x", &l),
              CMD_OPT_OUT, "until= is given twice");
    CHECK_BAD(parse_one("/fleetbot opt-out reason=x until=2027-01-31 REASON=\"y\"", &l),
              CMD_OPT_OUT, "reason= is given twice");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=x for=ever", &l), CMD_OPT_OUT,
              "unknown argument \"for=ever\"");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"x\" please", &l), CMD_OPT_OUT,
              "unknown argument \"please\"");
    CHECK_BAD(parse_one("/fleetbot opt-out 2027-01-31 reason=\"x\"", &l), CMD_OPT_OUT,
              "unknown argument \"2027-01-31\"");
}

TEST(command_opt_out_quoting_errors)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"not closed", &l), CMD_OPT_OUT,
              "missing its closing quote");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"ends with \\\"", &l),
              CMD_OPT_OUT, "missing its closing quote");
    CHECK_BAD(parse_one("/fleetbot opt-out reason=\"x\"until=2027-01-31", &l), CMD_OPT_OUT,
              "must be followed by a space");
    /* a quoted until= is the same date */
    const struct command *c = parse_one("/fleetbot opt-out until=\"2027-01-31\" reason=x", &l);
    CHECK_OK(c, CMD_OPT_OUT);
    CHECK_INT_EQ(c->until_day, 20849);
}

TEST(command_opt_out_control_characters)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"a\x01z\"", &l), CMD_OPT_OUT,
              "control characters");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"a\x1b[31mz\"", &l),
              CMD_OPT_OUT, "control characters");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"a\rz\"", &l), CMD_OPT_OUT,
              "control characters");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"a\x7fz\"", &l), CMD_OPT_OUT,
              "control characters");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"bad \xff utf8\"", &l),
              CMD_OPT_OUT, "valid UTF-8");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"\xc0\xaf\"", &l), CMD_OPT_OUT,
              "valid UTF-8");
    CHECK_BAD(parse_one("/fleetbot opt-out until=2027-01-31 reason=\"\xed\xa0\x80\"", &l),
              CMD_OPT_OUT, "valid UTF-8");
}

TEST(command_pause_and_resume_shift)
{
    struct command_list l;
    const struct command *c = parse_one("/fleetbot pause-shift libfoo-2.4_bump", &l);
    CHECK_OK(c, CMD_PAUSE_SHIFT);
    CHECK_STR_EQ(c->shift, "libfoo-2.4_bump");
    CHECK_STR_EQ(c->reason, "");

    c = parse_one("/fleetbot pause-shift libfoo reason=\"breaks the \\\"payments\\\" build\"", &l);
    CHECK_OK(c, CMD_PAUSE_SHIFT);
    CHECK_STR_EQ(c->shift, "libfoo");
    CHECK_STR_EQ(c->reason, "breaks the \"payments\" build");

    c = parse_one("/fleetbot pause-shift reason=broken libfoo", &l);
    CHECK_OK(c, CMD_PAUSE_SHIFT);
    CHECK_STR_EQ(c->shift, "libfoo");
    CHECK_STR_EQ(c->reason, "broken");

    c = parse_one("/fleetbot resume-shift libfoo", &l);
    CHECK_OK(c, CMD_RESUME_SHIFT);
    CHECK_STR_EQ(c->shift, "libfoo");

    char line[256], name[COMMAND_SHIFT_MAX + 1];
    memset(name, 'n', sizeof(name));
    name[COMMAND_SHIFT_MAX - 1] = '\0'; /* 99 characters: the longest name */
    snprintf(line, sizeof(line), "/fleetbot resume-shift %s", name);
    c = parse_one(line, &l);
    CHECK_OK(c, CMD_RESUME_SHIFT);
    CHECK_INT_EQ(strlen(c->shift), 99);
    name[COMMAND_SHIFT_MAX - 1] = 'n';
    name[COMMAND_SHIFT_MAX] = '\0';
    snprintf(line, sizeof(line), "/fleetbot resume-shift %s", name);
    CHECK_BAD(parse_one(line, &l), CMD_RESUME_SHIFT, "is not a shift name");
}

TEST(command_shift_malformed)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot pause-shift", &l), CMD_PAUSE_SHIFT,
              "pause-shift needs a shift NAME");
    CHECK_BAD(parse_one("/fleetbot resume-shift   ", &l), CMD_RESUME_SHIFT,
              "resume-shift needs a shift NAME");
    CHECK_BAD(parse_one("/fleetbot pause-shift reason=\"no name\"", &l), CMD_PAUSE_SHIFT,
              "pause-shift needs a shift NAME");
    CHECK_BAD(parse_one("/fleetbot pause-shift ../etc/passwd", &l), CMD_PAUSE_SHIFT,
              "\"../etc/passwd\" is not a shift name");
    CHECK_BAD(parse_one("/fleetbot pause-shift lib\"foo", &l), CMD_PAUSE_SHIFT,
              "is not a shift name");
    CHECK_BAD(parse_one("/fleetbot pause-shift one two", &l), CMD_PAUSE_SHIFT,
              "unexpected \"two\": pause-shift takes one shift NAME");
    CHECK_BAD(parse_one("/fleetbot pause-shift libfoo reason=flaky build", &l), CMD_PAUSE_SHIFT,
              "a reason of several words goes in quotes");
    CHECK_BAD(parse_one("/fleetbot pause-shift libfoo until=2027-01-31", &l), CMD_PAUSE_SHIFT,
              "unknown argument \"until=2027-01-31\"");
    CHECK_BAD(parse_one("/fleetbot pause-shift libfoo reason=\"\"", &l), CMD_PAUSE_SHIFT,
              "reason must not be empty");
    CHECK_BAD(parse_one("/fleetbot pause-shift libfoo reason=a reason=b", &l), CMD_PAUSE_SHIFT,
              "reason= is given twice");
    CHECK_BAD(parse_one("/fleetbot resume-shift libfoo reason=\"done\"", &l), CMD_RESUME_SHIFT,
              "resume-shift takes only a shift NAME");
    CHECK_BAD(parse_one("/fleetbot resume-shift a b", &l), CMD_RESUME_SHIFT,
              "resume-shift takes one shift NAME");
}

TEST(command_extra_words)
{
    struct command_list l;
    CHECK_BAD(parse_one("/fleetbot hold now", &l), CMD_HOLD, "hold takes no arguments");
    CHECK_STR_EQ(l.items[0].error, "hold takes no arguments");
    CHECK_BAD(parse_one("/fleetbot why?", &l), CMD_UNKNOWN, "unknown command \"why?\"");
    CHECK_BAD(parse_one("/fleetbot why not", &l), CMD_WHY, "why takes no arguments");
    CHECK_BAD(parse_one("/fleetbot unhold reason=x", &l), CMD_UNHOLD, "unhold takes no arguments");
    CHECK_BAD(parse_one("/fleetbot opt-in please", &l), CMD_OPT_IN, "opt-in takes no arguments");
    CHECK_BAD(parse_one("/fleetbot help opt-out", &l), CMD_HELP, "help takes no arguments");
}

TEST(command_unknown_subcommand)
{
    struct command_list l;
    const struct command *c = parse_one("/fleetbot frobnicate", &l);
    CHECK_BAD(c, CMD_UNKNOWN, "unknown command \"frobnicate\"");
    CHECK_CONTAINS(c->error, "/fleetbot help");
    CHECK_STR_EQ(command_name(c->kind), "unknown");

    /* the word is shown bounded and defanged: no mentions, markdown or raw bytes */
    c = parse_one("/fleetbot @acme/everyone`<b>`\xc3\xbc", &l);
    CHECK_BAD(c, CMD_UNKNOWN, "unknown command \"?acme/everyone??b???\"");
    char line[256];
    snprintf(line, sizeof(line), "/fleetbot %0200d", 7);
    c = parse_one(line, &l);
    CHECK_BAD(c, CMD_UNKNOWN, "\"00000000000000000000000000000000...\"");
    CHECK(strlen(c->error) < 100);
}

TEST(command_not_commands)
{
    struct command_list l;
    CHECK_INT_EQ(parse_str("/fleetbotx hold", &l), 0);
    CHECK_INT_EQ(parse_str("/fleetbot-hold", &l), 0);
    CHECK_INT_EQ(parse_str("/fleetbot.", &l), 0);
    CHECK_INT_EQ(parse_str("fleetbot hold", &l), 0);
    CHECK_INT_EQ(parse_str("/fleet bot hold", &l), 0);
    CHECK_INT_EQ(parse_str("please /fleetbot hold", &l), 0);
    CHECK_INT_EQ(parse_str("- /fleetbot hold", &l), 0);
    CHECK_INT_EQ(parse_str("`/fleetbot hold`", &l), 0);
    CHECK_INT_EQ(parse_str("/fleetbo", &l), 0);
    CHECK_INT_EQ(parse_str("", &l), 0);
    CHECK_INT_EQ(command_parse(NULL, 0, &l), 0);
    CHECK_INT_EQ(l.dropped, 0);
}

TEST(command_more_than_max_dropped)
{
    struct command_list l;
    char body[1024] = "";
    size_t used = 0;
    for (int i = 0; i < COMMANDS_MAX + 3; i++) {
        int n = snprintf(body + used, sizeof(body) - used, "line %d\n/fleetbot %s\n", i,
                         i % 2 ? "hold" : "bogus");
        CHECK(n > 0 && (size_t)n < sizeof(body) - used);
        used += (size_t)n;
    }
    CHECK_INT_EQ(command_parse(body, used, &l), COMMANDS_MAX);
    CHECK_INT_EQ(l.n, COMMANDS_MAX);
    CHECK_INT_EQ(l.dropped, 3);
    CHECK_INT_EQ(l.items[0].kind, CMD_UNKNOWN);
    CHECK_INT_EQ(l.items[0].line, 2);
    CHECK_INT_EQ(l.items[1].kind, CMD_HOLD);
    CHECK_INT_EQ(l.items[7].line, 16);
}

TEST(command_nul_bytes)
{
    struct command_list l;
    static const char body[] = "a\0b /fleetbot hold\n/fleetbot why\n\0/fleetbot hold\n"
                               "/fleetbot unhold\0\n/fleetbot \0\n/fleetbot\0";
    CHECK_INT_EQ(command_parse(body, sizeof(body) - 1, &l), 3);
    CHECK_OK(&l.items[0], CMD_WHY);
    CHECK_INT_EQ(l.items[0].line, 2);
    CHECK_BAD(&l.items[1], CMD_UNKNOWN, "unknown command \"unhold?\"");
    CHECK_INT_EQ(l.items[1].line, 4);
    CHECK_BAD(&l.items[2], CMD_UNKNOWN, "\"?\"");
    CHECK_INT_EQ(l.items[2].line, 5);

    static const char reason[] = "/fleetbot opt-out until=2027-01-31 reason=\"a\0b\"";
    CHECK_INT_EQ(command_parse(reason, sizeof(reason) - 1, &l), 1);
    CHECK_BAD(&l.items[0], CMD_OPT_OUT, "control characters");
}

TEST(command_reads_only_len)
{
    struct command_list l;
    /* "/fleetbot hold" with len stopping before "hold" is a bare /fleetbot */
    CHECK_INT_EQ(command_parse("/fleetbot hold", 9, &l), 1);
    CHECK_OK(&l.items[0], CMD_HELP);
    CHECK_INT_EQ(command_parse("/fleetbot unhold", 14, &l), 1);
    CHECK_BAD(&l.items[0], CMD_UNKNOWN, "\"unho\"");
    CHECK_INT_EQ(command_parse("/fleetbot hold", 0, &l), 0);
}

TEST(command_no_trailing_newline)
{
    struct command_list l;
    CHECK_INT_EQ(parse_str("text\n/fleetbot opt-out until=2027-01-31 reason=x", &l), 1);
    CHECK_OK(&l.items[0], CMD_OPT_OUT);
    CHECK_INT_EQ(l.items[0].line, 2);
    CHECK_INT_EQ(parse_str("/fleetbot resume-shift libfoo", &l), 1);
    CHECK_OK(&l.items[0], CMD_RESUME_SHIFT);
}

TEST(command_line_too_long)
{
    static char body[2 * COMMAND_LINE_MAX];
    struct command_list l;
    const char *head = "/fleetbot opt-out until=2027-01-31 reason=x";
    size_t hn = strlen(head);
    /* exactly COMMAND_LINE_MAX bytes (plus "\r\n") is still fine */
    memcpy(body, head, hn);
    memset(body + hn, ' ', COMMAND_LINE_MAX - hn);
    memcpy(body + COMMAND_LINE_MAX, "\r\n", 2);
    CHECK_INT_EQ(command_parse(body, COMMAND_LINE_MAX + 2, &l), 1);
    CHECK_OK(&l.items[0], CMD_OPT_OUT);

    body[COMMAND_LINE_MAX] = ' ';
    CHECK_INT_EQ(command_parse(body, COMMAND_LINE_MAX + 1, &l), 1);
    CHECK_BAD(&l.items[0], CMD_OPT_OUT, "command line too long");

    memset(body, 'x', sizeof(body));
    memcpy(body, "/fleetbot ", 10);
    CHECK_INT_EQ(command_parse(body, sizeof(body), &l), 1);
    CHECK_BAD(&l.items[0], CMD_UNKNOWN, "command line too long");

    /* a long line that is not a command is just text */
    body[0] = 'x';
    memcpy(body + sizeof(body) - 15, "\n/fleetbot why", 14);
    CHECK_INT_EQ(command_parse(body, sizeof(body) - 1, &l), 1);
    CHECK_OK(&l.items[0], CMD_WHY);
    CHECK_INT_EQ(l.items[0].line, 2);
}

TEST(command_body_limit)
{
    static char body[COMMAND_BODY_MAX + 100];
    struct command_list l;
    memset(body, 'x', sizeof(body));
    memcpy(body, "/fleetbot why\n", 14);
    for (size_t i = 100; i < sizeof(body); i += 100)
        body[i] = '\n';
    /* a command cut by the limit is malformed, never a shorter command */
    memcpy(body + COMMAND_BODY_MAX - 15, "\n/fleetbot holdx", 16);
    CHECK_INT_EQ(command_parse(body, sizeof(body), &l), 2);
    CHECK_OK(&l.items[0], CMD_WHY);
    CHECK_BAD(&l.items[1], CMD_HOLD, "cut off");

    /* the same body ending at the limit is complete */
    CHECK_INT_EQ(command_parse(body, COMMAND_BODY_MAX, &l), 2);
    CHECK_OK(&l.items[1], CMD_HOLD);

    /* nothing after the limit is read */
    memset(body + COMMAND_BODY_MAX - 15, 'x', 16);
    memcpy(body + COMMAND_BODY_MAX + 10, "\n/fleetbot unhold\n", 18);
    CHECK_INT_EQ(command_parse(body, sizeof(body), &l), 1);
    CHECK_OK(&l.items[0], CMD_WHY);
}

TEST(command_output_is_zeroed)
{
    struct command_list l;
    memset(&l, 0x5a, sizeof(l));
    CHECK_INT_EQ(parse_str("/fleetbot hold", &l), 1);
    CHECK_OK(&l.items[0], CMD_HOLD);
    CHECK_INT_EQ(l.dropped, 0);
    CHECK_STR_EQ(l.items[0].reason, "");
    CHECK_STR_EQ(l.items[0].shift, "");
    CHECK_INT_EQ(l.items[1].line, 0);
    memset(&l, 0x5a, sizeof(l));
    CHECK_INT_EQ(parse_str("no commands", &l), 0);
    CHECK_INT_EQ(l.dropped, 0);
}

TEST(command_names_and_usage)
{
    CHECK_STR_EQ(command_name(CMD_WHY), "why");
    CHECK_STR_EQ(command_name(CMD_HOLD), "hold");
    CHECK_STR_EQ(command_name(CMD_UNHOLD), "unhold");
    CHECK_STR_EQ(command_name(CMD_OPT_OUT), "opt-out");
    CHECK_STR_EQ(command_name(CMD_OPT_IN), "opt-in");
    CHECK_STR_EQ(command_name(CMD_HELP), "help");
    CHECK_STR_EQ(command_name(CMD_PAUSE_SHIFT), "pause-shift");
    CHECK_STR_EQ(command_name(CMD_RESUME_SHIFT), "resume-shift");
    CHECK_STR_EQ(command_name(CMD_UNKNOWN), "unknown");
    CHECK_STR_EQ(command_usage(CMD_OPT_OUT), "/fleetbot opt-out until=YYYY-MM-DD reason=\"...\"");
    CHECK_STR_EQ(command_usage(CMD_PAUSE_SHIFT), "/fleetbot pause-shift NAME [reason=\"...\"]");
    CHECK_STR_EQ(command_usage(CMD_RESUME_SHIFT), "/fleetbot resume-shift NAME");
    CHECK_STR_EQ(command_usage(CMD_HOLD), "/fleetbot hold");
    CHECK_STR_EQ(command_usage(CMD_UNKNOWN), "/fleetbot help");
    const char *help = command_help_text();
    for (int k = CMD_WHY; k <= CMD_UNKNOWN; k++) {
        const char *usage = command_usage((enum command_kind)k);
        CHECK(strncmp(usage, "/fleetbot ", 10) == 0);
        CHECK_CONTAINS(help, usage);
        /* every usage line parses back into its own command */
        struct command_list l;
        if (k != CMD_OPT_OUT && k != CMD_PAUSE_SHIFT && k != CMD_RESUME_SHIFT && k != CMD_UNKNOWN)
            CHECK_OK(parse_one(usage, &l), k);
    }
    CHECK_CONTAINS(help, "Write access");
    CHECK_CONTAINS(help, "read access");
    CHECK_CONTAINS(help, "shift owner");
    CHECK_CONTAINS(help, "fleetbot/hold");
    CHECK_CONTAINS(help, "opt_outs.max_days");
}
