/*
 * evaluator.h - looks at one PR: gathers the facts from GitHub (the PR, check runs and
 * statuses on its head, classic protection and rulesets of its base), runs the gates,
 * records what was decided and why, and merges with the head sha guard when every gate
 * passed. It never retries a merge blindly: any doubt becomes a fresh evaluation.
 */
#ifndef FLEETBOT_EVALUATOR_H
#define FLEETBOT_EVALUATOR_H

struct evalq_job;

/* evalq_run_fn; priv is the struct app. Finishes the job itself. */
void evaluator_on_job(struct evalq_job *job, void *priv);

#endif
