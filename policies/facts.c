/*
 * facts.c - small helpers over struct pr_facts.
 */
#include "facts.h"

#include <strings.h>

bool facts_has_label(const struct pr_facts *f, const char *label)
{
    if (label == NULL)
        return false;
    for (size_t i = 0; i < f->nlabels; i++) {
        /* GitHub label names are case-insensitive */
        if (f->labels[i] && strcasecmp(f->labels[i], label) == 0)
            return true;
    }
    return false;
}
