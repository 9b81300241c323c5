/*
 * explain.h - `fleetbot explain OWNER/REPO#N`: the last decision fleetbot recorded for a
 * pull request, every gate with its verdict and reason, as the check run will show it.
 * Reads Redis only (blocking; CLI use, never in the event loop); it evaluates nothing.
 */
#ifndef FLEETBOT_EXPLAIN_H
#define FLEETBOT_EXPLAIN_H

#include <stdint.h>
#include <stdio.h>

/* Parses "owner/repo#12" into repo (cap bytes) and number. 0 or FB_ERR_INVALID. */
int explain_parse_target(const char *arg, char *repo, size_t cap, int64_t *number);

/* Prints the explanation to out. 0; FB_ERR_NOT_FOUND when fleetbot has no decision for the
 * PR; another FB_ERR_* when Redis cannot be reached. */
int explain_print(const char *host, int port, int db, const char *password, const char *repo,
                  int64_t number, FILE *out);

/* Formats one recorded decision (the trace JSON) as text into out; for tests too. */
int explain_format(const char *trace_json, FILE *out);

#endif
