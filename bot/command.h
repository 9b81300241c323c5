/*
 * command.h - the "/fleetbot ..." commands in a pull-request comment, parsed into a fixed
 * list. Pure and allocation-free; it checks no permission and acts on nothing (the
 * executor does both). The user reference is docs/commands.md.
 */
#ifndef FLEETBOT_COMMAND_H
#define FLEETBOT_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum command_kind {
    CMD_WHY,
    CMD_HOLD,
    CMD_UNHOLD,
    CMD_OPT_OUT,
    CMD_OPT_IN,
    CMD_HELP,
    CMD_PAUSE_SHIFT,
    CMD_RESUME_SHIFT,
    CMD_UNKNOWN /* "/fleetbot frobnicate" */
};

#define COMMAND_BODY_MAX   65536 /* GitHub's comment limit; only this many bytes are read */
#define COMMANDS_MAX       8     /* commands obeyed per comment; more are counted in dropped */
#define COMMAND_REASON_MAX 300
#define COMMAND_SHIFT_MAX  100
#define COMMAND_LINE_MAX   4096 /* a longer "/fleetbot" line is malformed */

/*
 * One command line. A malformed command carries only kind, line, malformed and error; its
 * other fields are left empty. error is always printable ASCII, so it can go into a reply.
 */
struct command {
    enum command_kind kind;
    int line;                        /* 1-based line in the comment */
    bool malformed;                  /* bad arguments, or CMD_UNKNOWN */
    char error[200];                 /* why it is malformed, for the reply */
    char shift[COMMAND_SHIFT_MAX];   /* pause-shift / resume-shift NAME, as written */
    int64_t until_day;               /* opt-out: days since 1970-01-01 of the until= date */
    char until[11];                  /* opt-out: "YYYY-MM-DD" as written */
    char reason[COMMAND_REASON_MAX]; /* opt-out, pause-shift: reason="..." unescaped, trimmed */
};

struct command_list {
    struct command items[COMMANDS_MAX];
    size_t n;
    size_t dropped;
};

/*
 * Parses len bytes of a comment body (not NUL-terminated; may hold NULs or invalid UTF-8)
 * into out, which the call zeroes first. Returns out->n. Never fails and never reads past
 * len (nor past COMMAND_BODY_MAX: a command line cut off there is malformed).
 */
size_t command_parse(const char *body, size_t len, struct command_list *out);

/* "why", "hold", "opt-out", "pause-shift", ...; "unknown" for CMD_UNKNOWN. Static. */
const char *command_name(enum command_kind k);

/* One usage line, e.g. "/fleetbot opt-out until=YYYY-MM-DD reason=\"...\"". Static. */
const char *command_usage(enum command_kind k);

/* A markdown list of every command: what it does and who may use it. Static. */
const char *command_help_text(void);

#endif
