/*
 * checkrun.h - publishes fleetbot's own `fleetbot` check run on a commit: created once
 * per head, updated only when what it says changed (the signature of title, status and
 * summary is kept with the PR in Redis), so a burst of events costs no API calls. It
 * does not decide anything; the evaluator and the config check hand it the text.
 */
#ifndef FLEETBOT_CHECKRUN_H
#define FLEETBOT_CHECKRUN_H

#include <stddef.h>
#include <stdint.h>

struct app;

#define CHECKRUN_NAME "fleetbot"

struct checkrun_post {
    int64_t installation;
    const char *repo;     /* owner/name */
    const char *head_sha; /* the commit it is reported on */
    /* where the run's id and signature live (a hash: check_id, check_sha, check_sig);
     * NULL: always create a new run and remember nothing */
    const char *state_key;
    const char *prev_id;  /* the run already on this head, or NULL/"" */
    const char *prev_sha; /* the head prev_id was created on */
    const char *prev_sig;
    const char *status;     /* "in_progress" | "completed" */
    const char *conclusion; /* completed only */
    const char *title;
    const char *summary;     /* markdown */
    const char *annotations; /* JSON array text of output.annotations, or NULL */
};

/* Creates or updates the run when it changed; everything in p is copied. Fire and
 * forget: failures are logged, and the next decision tries again. */
void checkrun_publish(struct app *app, const struct checkrun_post *p);

/* The signature checkrun_publish compares (a hex digest of status, conclusion, title,
 * summary and annotations) into out (at least 17 bytes). */
void checkrun_signature(const struct checkrun_post *p, char *out, size_t cap);

#endif
