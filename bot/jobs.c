/*
 * jobs.c - hands each claimed job to the module its id prefix names.
 */
#include "jobs.h"

#include "commands.h"
#include "config_check.h"
#include "evalq.h"
#include "evaluator.h"
#include "firewatch.h"

#include <string.h>

void jobs_on_job(struct evalq_job *job, void *priv)
{
    if (strncmp(job->id, "cmd|", 4) == 0)
        commands_on_job(job, priv);
    else if (strncmp(job->id, "cfg|", 4) == 0)
        config_check_on_job(job, priv);
    else if (strncmp(job->id, "fw|", 3) == 0)
        firewatch_on_job(job, priv);
    else
        evaluator_on_job(job, priv);
}
