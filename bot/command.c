/*
 * command.c - finds "/fleetbot ..." lines in a comment (skipping quotes and fenced code)
 * and checks their arguments. It neither checks permissions nor acts on a command.
 */
#include "command.h"

#include "parse.h"
#include "sv.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WORD_SHOWN_MAX 32 /* bytes of a user's word quoted back in an error */

struct fence {
    bool is_open;
    char ch; /* '`' or '~' */
    size_t count;
};

/* A word or key=value argument on a command line; values may live in the cursor's scratch. */
struct token {
    bool is_arg;
    bool is_quoted;
    struct sv key;
    struct sv value;
    struct sv raw;
};

struct cursor {
    const char *p;
    size_t n;
    size_t i;
    char scratch[COMMAND_LINE_MAX]; /* the unescaped value of the last quoted argument */
};

static const struct {
    const char *word;
    enum command_kind kind;
} subcommands[] = {
    {"why", CMD_WHY},
    {"hold", CMD_HOLD},
    {"unhold", CMD_UNHOLD},
    {"opt-out", CMD_OPT_OUT},
    {"optout", CMD_OPT_OUT},
    {"opt-in", CMD_OPT_IN},
    {"optin", CMD_OPT_IN},
    {"help", CMD_HELP},
    {"pause-shift", CMD_PAUSE_SHIFT},
    {"resume-shift", CMD_RESUME_SHIFT},
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool case_eq(struct sv v, const char *lit)
{
    size_t n = strlen(lit);
    if (v.n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(v.p[i]) != lit[i])
            return false;
    return true;
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool is_shift_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

/*
 * Copies a user's word for an error message: at most WORD_SHOWN_MAX bytes, anything that
 * could mention someone, break markdown or be invalid UTF-8 becomes '?', then "...".
 */
static void word_show(struct sv w, char out[WORD_SHOWN_MAX + 4])
{
    size_t o = 0, i = 0;
    for (; i < w.n && o < WORD_SHOWN_MAX; i++) {
        unsigned char u = (unsigned char)w.p[i];
        if ((u & 0xc0) == 0x80 && i > 0 && (unsigned char)w.p[i - 1] >= 0x80)
            continue; /* one '?' per multi-byte character */
        bool is_safe =
            is_shift_char((char)u) || u == '=' || u == ':' || u == '/' || u == '+' || u == ',';
        out[o++] = is_safe ? (char)u : '?';
    }
    if (i < w.n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Marks c malformed with a message; the first error wins. Every message is short ASCII. */
static bool cmd_fail(struct command *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool cmd_fail(struct command *c, const char *fmt, ...)
{
    if (c->malformed)
        return false;
    c->malformed = true;
    va_list ap;
    va_start(ap, fmt);
    int rc = vsnprintf(c->error, sizeof(c->error), fmt, ap);
    va_end(ap);
    /* messages are well under the buffer; a cut one would still be ASCII and terminated */
    if (rc < 0)
        memcpy(c->error, "malformed command", sizeof("malformed command"));
    return false;
}

/* Fails with before"word"after, the word shown safely. */
static bool cmd_fail_word(struct command *c, const char *before, struct sv w, const char *after)
{
    char shown[WORD_SHOWN_MAX + 4];
    word_show(w, shown);
    return cmd_fail(c, "%s\"%s\"%s", before, shown, after);
}

static void skip_blanks(struct cursor *cur)
{
    while (cur->i < cur->n && is_blank(cur->p[cur->i]))
        cur->i++;
}

static bool cursor_at_end(struct cursor *cur)
{
    skip_blanks(cur);
    return cur->i == cur->n;
}

/*
 * Reads the next word or key=value / key="..." argument ("\"" and "\\" are the escapes
 * inside quotes). Returns 1 with a token, 0 at the end of the line, -1 with c malformed.
 */
static int token_next(struct cursor *cur, struct token *t, struct command *c)
{
    memset(t, 0, sizeof(*t));
    skip_blanks(cur);
    if (cur->i == cur->n)
        return 0;
    size_t start = cur->i, k = start;
    while (k < cur->n && is_key_char(cur->p[k]))
        k++;
    bool has_key = k > start && k < cur->n && cur->p[k] == '=' &&
                   !(cur->p[start] >= '0' && cur->p[start] <= '9');
    if (!has_key) {
        while (cur->i < cur->n && !is_blank(cur->p[cur->i]))
            cur->i++;
        t->value = sv_make(cur->p + start, cur->i - start);
        t->raw = t->value;
        return 1;
    }
    t->is_arg = true;
    t->key = sv_make(cur->p + start, k - start);
    cur->i = k + 1;
    if (cur->i < cur->n && cur->p[cur->i] == '"') {
        t->is_quoted = true;
        size_t o = 0;
        bool is_closed = false;
        for (cur->i++; cur->i < cur->n; cur->i++) {
            char ch = cur->p[cur->i];
            if (ch == '"') {
                is_closed = true;
                cur->i++;
                break;
            }
            if (ch == '\\' && cur->i + 1 < cur->n &&
                (cur->p[cur->i + 1] == '"' || cur->p[cur->i + 1] == '\\'))
                ch = cur->p[++cur->i];
            assert(o < sizeof(cur->scratch));
            cur->scratch[o++] = ch;
        }
        char key[WORD_SHOWN_MAX + 4];
        word_show(t->key, key);
        if (!is_closed) {
            cmd_fail(c, "%s=\"... is missing its closing quote", key);
            return -1;
        }
        if (cur->i < cur->n && !is_blank(cur->p[cur->i])) {
            cmd_fail(c, "%s=\"...\" must be followed by a space", key);
            return -1;
        }
        t->value = sv_make(cur->scratch, o);
    } else {
        size_t v = cur->i;
        while (cur->i < cur->n && !is_blank(cur->p[cur->i]))
            cur->i++;
        t->value = sv_make(cur->p + v, cur->i - v);
    }
    t->raw = sv_make(cur->p + start, cur->i - start);
    return 1;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t days_in_month(int64_t y, int64_t m)
{
    static const int64_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool set_until(struct command *c, struct sv v)
{
    bool is_shaped = v.n == 10 && v.p[4] == '-' && v.p[7] == '-';
    for (size_t i = 0; is_shaped && i < v.n; i++)
        if (i != 4 && i != 7 && !(v.p[i] >= '0' && v.p[i] <= '9'))
            is_shaped = false;
    int64_t y = 0, m = 0, d = 0;
    if (!is_shaped || parse_i64(v.p, 4, 0, 9999, &y) != 0 ||
        parse_i64(v.p + 5, 2, 0, 99, &m) != 0 || parse_i64(v.p + 8, 2, 0, 99, &d) != 0)
        return cmd_fail(c, "until= must be a date YYYY-MM-DD");
    if (y < 2000)
        return cmd_fail(c, "until= must be a date from the year 2000 to 9999");
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return cmd_fail(c, "until=%.10s is not a calendar date", v.p);
    c->until_day = days_from_civil(y, m, d);
    memcpy(c->until, v.p, 10);
    c->until[10] = '\0';
    return true;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool is_utf8(struct sv v)
{
    for (size_t i = 0; i < v.n;) {
        unsigned char u = (unsigned char)v.p[i];
        size_t len;
        uint32_t cp;
        if (u < 0x80) {
            i++;
            continue;
        } else if (u >= 0xc2 && u <= 0xdf) {
            len = 2;
            cp = u & 0x1fu;
        } else if (u >= 0xe0 && u <= 0xef) {
            len = 3;
            cp = u & 0x0fu;
        } else if (u >= 0xf0 && u <= 0xf4) {
            len = 4;
            cp = u & 0x07u;
        } else {
            return false;
        }
        if (v.n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            unsigned char cont = (unsigned char)v.p[i + k];
            if ((cont & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cont & 0x3fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static bool set_reason(struct command *c, struct sv v)
{
    while (v.n > 0 && is_blank(v.p[0])) {
        v.p++;
        v.n--;
    }
    while (v.n > 0 && is_blank(v.p[v.n - 1]))
        v.n--;
    if (v.n == 0)
        return cmd_fail(c, "reason must not be empty");
    if (v.n > COMMAND_REASON_MAX - 1)
        return cmd_fail(c, "reason is too long (at most %d characters)", COMMAND_REASON_MAX - 1);
    for (size_t i = 0; i < v.n; i++) {
        unsigned char u = (unsigned char)v.p[i];
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return cmd_fail(c, "reason must not contain control characters");
    }
    if (!is_utf8(v))
        return cmd_fail(c, "reason must be valid UTF-8");
    memcpy(c->reason, v.p, v.n);
    c->reason[v.n] = '\0';
    return true;
}

static bool set_shift(struct command *c, struct sv v)
{
    bool is_valid = v.n >= 1 && v.n <= COMMAND_SHIFT_MAX - 1;
    for (size_t i = 0; is_valid && i < v.n; i++)
        is_valid = is_shift_char(v.p[i]);
    if (!is_valid)
        return cmd_fail_word(c, "", v,
                             " is not a shift name (1-99 letters, digits, '.', '_' or '-')");
    memcpy(c->shift, v.p, v.n);
    c->shift[v.n] = '\0';
    return true;
}

/* A bare word after an unquoted reason= is most likely the rest of the reason. */
static bool fail_stray_word(struct command *c, const struct token *t, bool has_bare_reason,
                            const char *before, const char *after)
{
    if (has_bare_reason)
        return cmd_fail_word(c, "unexpected ", t->raw,
                             ": a reason of several words goes in quotes, reason=\"...\"");
    return cmd_fail_word(c, before, t->raw, after);
}

static bool parse_opt_out(struct cursor *cur, struct command *c)
{
    bool has_until = false, has_reason = false, has_bare_reason = false;
    struct token t;
    int rc;
    while ((rc = token_next(cur, &t, c)) > 0) {
        if (t.is_arg && case_eq(t.key, "until")) {
            if (has_until)
                return cmd_fail(c, "until= is given twice");
            has_until = true;
            if (!set_until(c, t.value))
                return false;
        } else if (t.is_arg && case_eq(t.key, "reason")) {
            if (has_reason)
                return cmd_fail(c, "reason= is given twice");
            has_reason = true;
            has_bare_reason = !t.is_quoted;
            if (!set_reason(c, t.value))
                return false;
        } else if (!t.is_arg) {
            return fail_stray_word(c, &t, has_bare_reason, "unknown argument ",
                                   " (opt-out takes until= and reason=)");
        } else {
            return cmd_fail_word(c, "unknown argument ", t.raw,
                                 " (opt-out takes until= and reason=)");
        }
    }
    if (rc < 0)
        return false;
    if (!has_until && !has_reason)
        return cmd_fail(c, "opt-out needs until=YYYY-MM-DD and reason=\"...\"");
    if (!has_until)
        return cmd_fail(c, "opt-out needs until=YYYY-MM-DD");
    if (!has_reason)
        return cmd_fail(c, "opt-out needs reason=\"...\"");
    return true;
}

static bool parse_shift_command(struct cursor *cur, struct command *c)
{
    bool takes_reason = c->kind == CMD_PAUSE_SHIFT;
    bool has_name = false, has_reason = false, has_bare_reason = false;
    struct token t;
    int rc;
    while ((rc = token_next(cur, &t, c)) > 0) {
        if (t.is_arg && takes_reason && case_eq(t.key, "reason")) {
            if (has_reason)
                return cmd_fail(c, "reason= is given twice");
            has_reason = true;
            has_bare_reason = !t.is_quoted;
            if (!set_reason(c, t.value))
                return false;
        } else if (t.is_arg) {
            if (takes_reason)
                return cmd_fail_word(c, "unknown argument ", t.raw,
                                     " (pause-shift takes NAME and reason=)");
            return cmd_fail_word(c, "unknown argument ", t.raw,
                                 " (resume-shift takes only a shift NAME)");
        } else if (has_name) {
            if (takes_reason)
                return fail_stray_word(c, &t, has_bare_reason, "unexpected ",
                                       ": pause-shift takes one shift NAME");
            return cmd_fail_word(c, "unexpected ", t.raw, ": resume-shift takes one shift NAME");
        } else {
            has_name = true;
            if (!set_shift(c, t.value))
                return false;
        }
    }
    if (rc < 0)
        return false;
    if (!has_name)
        return cmd_fail(c, "%s needs a shift NAME", command_name(c->kind));
    return true;
}

static enum command_kind subcommand_lookup(struct sv word)
{
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (case_eq(word, subcommands[i].word))
            return subcommands[i].kind;
    return CMD_UNKNOWN;
}

/*
 * s starts at "/fleetbot" and runs to the end of the line (line end and leading blanks
 * removed). is_too_long: the whole line exceeds COMMAND_LINE_MAX; is_cut: the line was cut
 * off by COMMAND_BODY_MAX.
 */
static void command_parse_line(struct command *c, struct sv s, bool is_too_long, bool is_cut)
{
    size_t i = 9; /* strlen("/fleetbot") */
    while (i < s.n && is_blank(s.p[i]))
        i++;
    size_t w = i;
    while (i < s.n && !is_blank(s.p[i]))
        i++;
    struct sv word = sv_make(s.p + w, i - w);
    c->kind = word.n == 0 ? CMD_HELP : subcommand_lookup(word);
    if (is_too_long) {
        cmd_fail(c, "command line too long (at most %d characters)", COMMAND_LINE_MAX);
    } else if (is_cut) {
        cmd_fail(c, "command line cut off: only the first %d bytes of a comment are read",
                 COMMAND_BODY_MAX);
    } else if (c->kind == CMD_UNKNOWN) {
        cmd_fail_word(c, "unknown command ", word, " (/fleetbot help lists the commands)");
    } else {
        assert(s.n <= COMMAND_LINE_MAX);
        struct cursor cur = {.p = s.p, .n = s.n, .i = i};
        switch (c->kind) {
        case CMD_OPT_OUT:
            parse_opt_out(&cur, c);
            break;
        case CMD_PAUSE_SHIFT:
        case CMD_RESUME_SHIFT:
            parse_shift_command(&cur, c);
            break;
        default:
            if (!cursor_at_end(&cur))
                cmd_fail(c, "%s takes no arguments", command_name(c->kind));
            break;
        }
    }
    if (c->malformed) {
        memset(c->shift, 0, sizeof(c->shift));
        memset(c->until, 0, sizeof(c->until));
        memset(c->reason, 0, sizeof(c->reason));
        c->until_day = 0;
    }
}

/* s has its leading blanks removed. A fence is 3+ '`' (no '`' after) or 3+ '~'. */
static bool fence_opens(struct sv s, struct fence *f)
{
    if (s.n < 3 || (s.p[0] != '`' && s.p[0] != '~'))
        return false;
    size_t k = 0;
    while (k < s.n && s.p[k] == s.p[0])
        k++;
    if (k < 3)
        return false;
    if (s.p[0] == '`' && memchr(s.p + k, '`', s.n - k) != NULL)
        return false; /* "```code```" is an inline code span */
    f->is_open = true;
    f->ch = s.p[0];
    f->count = k;
    return true;
}

static bool fence_closes(struct sv s, const struct fence *f)
{
    size_t k = 0;
    while (k < s.n && s.p[k] == f->ch)
        k++;
    if (k < f->count)
        return false;
    for (; k < s.n; k++)
        if (!is_blank(s.p[k]))
            return false;
    return true;
}

static bool is_command_start(struct sv s)
{
    return s.n >= 9 && case_eq(sv_make(s.p, 9), "/fleetbot") && (s.n == 9 || is_blank(s.p[9]));
}

size_t command_parse(const char *body, size_t len, struct command_list *out)
{
    memset(out, 0, sizeof(*out));
    if (body == NULL)
        return 0;
    bool is_body_cut = len > COMMAND_BODY_MAX;
    if (is_body_cut)
        len = COMMAND_BODY_MAX;
    struct fence fence = {0};
    int line = 0;
    for (size_t pos = 0; pos < len;) {
        line++;
        const char *nl = memchr(body + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - body) : len;
        struct sv l = sv_make(body + pos, end - pos);
        pos = nl != NULL ? end + 1 : len;
        while (l.n > 0 && l.p[l.n - 1] == '\r')
            l.n--;
        size_t lead = 0;
        while (lead < l.n && is_blank(l.p[lead]))
            lead++;
        struct sv s = sv_make(l.p + lead, l.n - lead);
        if (fence.is_open) {
            if (fence_closes(s, &fence))
                fence.is_open = false;
            continue;
        }
        if ((s.n > 0 && s.p[0] == '>') || fence_opens(s, &fence) || !is_command_start(s))
            continue;
        if (out->n == COMMANDS_MAX) {
            out->dropped++;
            continue;
        }
        struct command *c = &out->items[out->n++];
        c->line = line;
        command_parse_line(c, s, l.n > COMMAND_LINE_MAX, is_body_cut && nl == NULL);
    }
    return out->n;
}

const char *command_name(enum command_kind k)
{
    switch (k) {
    case CMD_WHY:
        return "why";
    case CMD_HOLD:
        return "hold";
    case CMD_UNHOLD:
        return "unhold";
    case CMD_OPT_OUT:
        return "opt-out";
    case CMD_OPT_IN:
        return "opt-in";
    case CMD_HELP:
        return "help";
    case CMD_PAUSE_SHIFT:
        return "pause-shift";
    case CMD_RESUME_SHIFT:
        return "resume-shift";
    case CMD_UNKNOWN:
        break;
    }
    return "unknown";
}

const char *command_usage(enum command_kind k)
{
    switch (k) {
    case CMD_WHY:
        return "/fleetbot why";
    case CMD_HOLD:
        return "/fleetbot hold";
    case CMD_UNHOLD:
        return "/fleetbot unhold";
    case CMD_OPT_OUT:
        return "/fleetbot opt-out until=YYYY-MM-DD reason=\"...\"";
    case CMD_OPT_IN:
        return "/fleetbot opt-in";
    case CMD_HELP:
        return "/fleetbot help";
    case CMD_PAUSE_SHIFT:
        return "/fleetbot pause-shift NAME [reason=\"...\"]";
    case CMD_RESUME_SHIFT:
        return "/fleetbot resume-shift NAME";
    case CMD_UNKNOWN:
        break;
    }
    return "/fleetbot help";
}

const char *command_help_text(void)
{
    return "- `/fleetbot why` - explains why fleetbot has or has not merged this pull request. "
           "Anyone with read access.\n"
           "- `/fleetbot hold` - adds the hold label (`fleetbot/hold` by default): fleetbot does "
           "not merge this pull request while it is there. Write access to the repository.\n"
           "- `/fleetbot unhold` - removes the hold label. Write access to the repository.\n"
           "- `/fleetbot opt-out until=YYYY-MM-DD reason=\"...\"` - stops fleetbot merging in "
           "this repository until the date (at most the org's `opt_outs.max_days` ahead); who, "
           "when and why are recorded. Write access to the repository.\n"
           "- `/fleetbot opt-in` - ends this repository's opt-out made by comment. Write access "
           "to the repository.\n"
           "- `/fleetbot pause-shift NAME [reason=\"...\"]` - pauses the shift NAME: fleetbot "
           "merges none of its pull requests until it is resumed. A shift owner (`owners` in "
           "`shifts/NAME.yml`), an org admin, or an admin of the config repo.\n"
           "- `/fleetbot resume-shift NAME` - resumes a paused shift. A shift owner, an org admin, "
           "or an admin of the config repo.\n"
           "- `/fleetbot help` - shows this list. Anyone with read access.\n";
}
