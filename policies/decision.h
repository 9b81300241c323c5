/*
 * decision.h - the vocabulary every gate speaks: a verdict (PASS, WAIT until t, BLOCK
 * why, SKIP) with a human reason, and the decision the evaluator acts on, which keeps the
 * whole trace (every gate's result, not only the first failure).
 * Nothing here does I/O or reads the clock.
 */
#ifndef FLEETBOT_POLICIES_DECISION_H
#define FLEETBOT_POLICIES_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

enum verdict {
    VERDICT_PASS = 0,
    VERDICT_WAIT = 1,  /* not yet: until_ms says when to look again (0 = when an event arrives) */
    VERDICT_BLOCK = 2, /* no: a human (or a new event) has to change something */
    VERDICT_SKIP = 3,  /* not fleetbot's to merge (untagged, closed), or a gate not evaluated */
};

#define GATE_REASON_MAX    320
#define DECISION_GATES_MAX 16

struct gate_result {
    const char *gate; /* static name, e.g. "required-checks" */
    enum verdict verdict;
    int64_t until_ms; /* WAIT only */
    char reason[GATE_REASON_MAX];
};

enum decision_kind {
    DECISION_MERGE = 0,
    DECISION_WAIT = 1,
    DECISION_BLOCKED = 2,
    DECISION_SKIP = 3,
};

struct decision {
    enum decision_kind kind;
    int64_t until_ms;  /* WAIT: when to re-evaluate; 0 = on the next event */
    int deciding_gate; /* index into gates of the first non-PASS result, -1 for MERGE */
    size_t ngates;
    struct gate_result gates[DECISION_GATES_MAX];
};

const char *verdict_name(enum verdict v);
const char *decision_kind_name(enum decision_kind k);

/* printf into a result's reason; truncates safely. */
void gate_set(struct gate_result *r, enum verdict v, int64_t until_ms, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The reason of the deciding gate, or a summary for MERGE. Borrowed from d. */
const char *decision_reason(const struct decision *d);

/* Appends the decision as a JSON object {"decision","until","reason","gates":[...]}. */
int decision_to_json(const struct decision *d, struct buf *out);

#endif
