/*
 * jsonutil.c - dotted-path reads over jansson values.
 */
#include "jsonutil.h"

#include <string.h>

json_t *json_path(json_t *root, const char *path)
{
    json_t *cur = root;
    const char *p = path;
    char key[128];
    while (cur != NULL && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n >= sizeof(key) || !json_is_object(cur))
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        p = dot ? dot + 1 : p + n;
    }
    return cur;
}

const char *json_path_str(json_t *root, const char *path)
{
    return json_string_value(json_path(root, path));
}

int64_t json_path_int(json_t *root, const char *path, int64_t dflt)
{
    json_t *v = json_path(root, path);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

bool json_path_true(json_t *root, const char *path)
{
    return json_is_true(json_path(root, path));
}
