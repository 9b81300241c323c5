/*
 * alert_hook.h - Firewatch's optional chat alert: a Slack-compatible incoming webhook
 * (FLEETBOT_ALERT_WEBHOOK_URL, a secret: never logged) gets {"text": ...} when a shift is
 * paused. Its own HTTP client, so no GitHub credential can reach that URL.
 */
#ifndef FLEETBOT_ALERT_HOOK_H
#define FLEETBOT_ALERT_HOOK_H

struct alert_hook;
struct event_base;

/* NULL when url is NULL or empty. Caller owns the result. */
struct alert_hook *alert_hook_new(struct event_base *base, const char *url);
/* Completes what is in flight (failed), then frees. NULL is a no-op. */
void alert_hook_free(struct alert_hook *h);

/* Fire and forget; a failure is logged without the URL. */
void alert_hook_send(struct alert_hook *h, const char *text);

#endif
