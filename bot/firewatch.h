/*
 * firewatch.h - judges executions after merges ("fw|..." jobs in the evaluation queue):
 * which registered merges each failure implicates and each success proves, per pipeline.
 * See docs/firewatch.md for the definition and bot/firewatch.c for how.
 */
#ifndef FLEETBOT_FIREWATCH_H
#define FLEETBOT_FIREWATCH_H

struct evalq_job;

/* evalq_run_fn; priv is the struct app. */
void firewatch_on_job(struct evalq_job *job, void *priv);

#endif
