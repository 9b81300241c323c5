/*
 * fuzz_command.c - command_parse() on arbitrary comment bodies, copied to a heap block of
 * exactly their size so ASan catches any read past len. Checks every command's invariants,
 * then writes each well-formed command back as a canonical line and expects the same result.
 */
#include "command.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cstr(const char *s, size_t cap, size_t max_len)
{
    const char *nul = memchr(s, '\0', cap);
    if (nul == NULL || (size_t)(nul - s) > max_len)
        abort();
}

static void check_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            abort();
}

static bool is_shift_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= COMMAND_SHIFT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static void check_command(const struct command *c, int prev_line)
{
    if ((int)c->kind < CMD_WHY || c->kind > CMD_UNKNOWN || c->line <= prev_line)
        abort();
    check_cstr(c->error, sizeof(c->error), sizeof(c->error) - 1);
    check_cstr(c->shift, sizeof(c->shift), COMMAND_SHIFT_MAX - 1);
    check_cstr(c->until, sizeof(c->until), 10);
    check_cstr(c->reason, sizeof(c->reason), COMMAND_REASON_MAX - 1);
    check_printable(c->error);
    if (c->malformed != (c->error[0] != '\0'))
        abort();
    if (c->kind == CMD_UNKNOWN && !c->malformed)
        abort();
    if (command_name(c->kind) == NULL || command_usage(c->kind) == NULL)
        abort();
    if (c->malformed) {
        if (c->shift[0] || c->until[0] || c->reason[0] || c->until_day != 0)
            abort();
        return;
    }
    bool is_shift = c->kind == CMD_PAUSE_SHIFT || c->kind == CMD_RESUME_SHIFT;
    if (is_shift != is_shift_name(c->shift))
        abort();
    if (c->kind == CMD_OPT_OUT) {
        /* 2000-01-01 and 9999-12-31 */
        if (strlen(c->until) != 10 || c->until_day < 10957 || c->until_day > 2932896)
            abort();
    } else if (c->until[0] || c->until_day != 0) {
        abort();
    }
    size_t rn = strlen(c->reason);
    if (c->kind == CMD_OPT_OUT && rn == 0)
        abort();
    if (c->kind != CMD_OPT_OUT && c->kind != CMD_PAUSE_SHIFT && rn != 0)
        abort();
    if (rn > 0 && (c->reason[0] == ' ' || c->reason[0] == '\t' || c->reason[rn - 1] == ' ' ||
                   c->reason[rn - 1] == '\t'))
        abort();
    for (size_t i = 0; i < rn; i++) {
        unsigned char u = (unsigned char)c->reason[i];
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            abort();
    }
}

static void put(char *out, size_t cap, size_t *n, const char *s)
{
    size_t len = strlen(s);
    if (*n + len >= cap)
        abort();
    memcpy(out + *n, s, len);
    *n += len;
    out[*n] = '\0';
}

/* The canonical spelling of a well-formed command; parsing it must give c back. */
static void check_round_trip(const struct command *c)
{
    char line[2048];
    size_t n = 0;
    line[0] = '\0';
    put(line, sizeof(line), &n, "/fleetbot ");
    put(line, sizeof(line), &n, command_name(c->kind));
    if (c->shift[0]) {
        put(line, sizeof(line), &n, " ");
        put(line, sizeof(line), &n, c->shift);
    }
    if (c->until[0]) {
        put(line, sizeof(line), &n, " until=");
        put(line, sizeof(line), &n, c->until);
    }
    if (c->reason[0]) {
        put(line, sizeof(line), &n, " reason=\"");
        for (const char *r = c->reason; *r; r++) {
            char one[3] = {'\\', *r, '\0'};
            put(line, sizeof(line), &n, (*r == '"' || *r == '\\') ? one : one + 1);
        }
        put(line, sizeof(line), &n, "\"");
    }
    struct command_list again;
    if (command_parse(line, n, &again) != 1)
        abort();
    const struct command *d = &again.items[0];
    if (d->kind != c->kind || d->malformed || d->until_day != c->until_day ||
        strcmp(d->shift, c->shift) != 0 || strcmp(d->until, c->until) != 0 ||
        strcmp(d->reason, c->reason) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    struct command_list *l = malloc(sizeof(*l));
    if (l == NULL) {
        free(copy);
        return 0;
    }
    size_t n = command_parse(copy, size, l);
    if (n != l->n || n > COMMANDS_MAX || (l->dropped > 0 && n != COMMANDS_MAX))
        abort();
    int prev_line = 0;
    for (size_t i = 0; i < n; i++) {
        check_command(&l->items[i], prev_line);
        prev_line = l->items[i].line;
        if (!l->items[i].malformed)
            check_round_trip(&l->items[i]);
    }
    if (command_help_text() == NULL)
        abort();
    free(l);
    free(copy);
    return 0;
}
