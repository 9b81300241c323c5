/*
 * commands.h - runs the `/fleetbot` commands of one comment, queued as a "cmd|..." job in
 * the evaluation queue by handlers/issue_comment.c: permission through the API, the
 * effect (label, opt-out, shift pause in Redis), and one reply comment. See docs/commands.md.
 */
#ifndef FLEETBOT_COMMANDS_H
#define FLEETBOT_COMMANDS_H

struct evalq_job;

/* evalq_run_fn for "cmd|<installation>|<owner/repo>|<comment id>" jobs; priv is the app. */
void commands_on_job(struct evalq_job *job, void *priv);

#endif
