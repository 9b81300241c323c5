/*
 * jobs.h - the evaluation queue carries four kinds of job, told apart by their id:
 * "<installation>|<owner/repo>|<n>" evaluates a PR (evaluator.c), "cmd|..." runs a
 * comment's commands (commands.c), "cfg|..." checks pushed policy files (config_check.c),
 * "fw|..." judges an execution after a merge (firewatch.c).
 * One queue gives all four the same leases, retries and de-duplication.
 */
#ifndef FLEETBOT_JOBS_H
#define FLEETBOT_JOBS_H

struct evalq_job;

/* evalq_run_fn; priv is the struct app. */
void jobs_on_job(struct evalq_job *job, void *priv);

#endif
