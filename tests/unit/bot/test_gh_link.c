/*
 * test_gh_link.c - the Link header parser on GitHub's own headers, spacing and quoting
 * variations, several relation types, and malformed or hostile input.
 */
#include "test.h"

#include "err.h"
#include "gh_link.h"

/* Returns the next URL as a static string, or an error name. */
static const char *next_of(const char *h)
{
    static char out[GH_LINK_URL_MAX + 1];
    struct sv v;
    int rc = gh_link_next(h, strlen(h), &v);
    if (rc != 0)
        return fb_err_name(rc);
    memcpy(out, v.p, v.n);
    out[v.n] = '\0';
    return out;
}

TEST(link_github_headers)
{
    CHECK_STR_EQ(next_of("<https://api.github.com/repositories/1/pulls?page=2>; rel=\"next\", "
                         "<https://api.github.com/repositories/1/pulls?page=5>; rel=\"last\""),
                 "https://api.github.com/repositories/1/pulls?page=2");
    CHECK_STR_EQ(next_of("<https://api.github.com/x?page=1>; rel=\"prev\", "
                         "<https://api.github.com/x?page=3>; rel=\"next\", "
                         "<https://api.github.com/x?page=5>; rel=\"last\", "
                         "<https://api.github.com/x?page=1>; rel=\"first\""),
                 "https://api.github.com/x?page=3");
    /* the last page: prev and first only */
    CHECK_STR_EQ(next_of("<https://api.github.com/x?page=4>; rel=\"prev\", "
                         "<https://api.github.com/x?page=1>; rel=\"first\""),
                 "not_found");
    CHECK_STR_EQ(next_of(""), "not_found");
    CHECK_STR_EQ(next_of("   "), "not_found");
}

TEST(link_spacing_quoting_and_rel_lists)
{
    CHECK_STR_EQ(next_of("<http://h/a>;rel=next"), "http://h/a");
    CHECK_STR_EQ(next_of("  <http://h/a>  ;  rel = \"next\"  "), "http://h/a");
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"next last\""), "http://h/a");
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"last  NEXT\""), "http://h/a");
    CHECK_STR_EQ(next_of("<http://h/a>; REL=Next"), "http://h/a");
    CHECK_STR_EQ(next_of("<http://h/a>; title=\"a, b; c\"; rel=\"next\""), "http://h/a");
    CHECK_STR_EQ(next_of("<http://h/a?x=1,2>; rel=\"last\", <http://h/b>; rel=\"next\""),
                 "http://h/b");
    CHECK_STR_EQ(next_of(",, <http://h/a>; rel=\"next\",,"), "http://h/a");
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"next\";"), "http://h/a");
    /* only the first rel counts; "nextpage" is not "next" */
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"last\"; rel=\"next\""), "not_found");
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"nextpage\""), "not_found");
    CHECK_STR_EQ(next_of("<http://h/a>; anchor=\"#next\""), "not_found");
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"ne\\\"xt\""), "not_found");
}

TEST(link_malformed)
{
    CHECK_STR_EQ(next_of("http://h/a; rel=\"next\""), "invalid");
    CHECK_STR_EQ(next_of("<http://h/a; rel=\"next\""), "invalid");
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"next"), "invalid");
    CHECK_STR_EQ(next_of("<http://h/a> rel=\"next\""), "invalid");
    CHECK_STR_EQ(next_of("<http://h/a>; rel=next\""), "invalid");
    CHECK_STR_EQ(next_of("<>; rel=\"next\""), "invalid");
    CHECK_STR_EQ(next_of("< >; rel=\"next\""), "invalid");
    CHECK_STR_EQ(next_of("<http://h/a b>; rel=\"next\""), "invalid");
    CHECK_STR_EQ(next_of("<http://h/\x01>; rel=\"next\""), "invalid");
    CHECK_STR_EQ(next_of("<http://h/a>; =x; rel=\"next\""), "invalid");
    /* a next after a malformed element is not trusted */
    CHECK_STR_EQ(next_of("garbage, <http://h/a>; rel=\"next\""), "invalid");
    /* a valid next before garbage is still found */
    CHECK_STR_EQ(next_of("<http://h/a>; rel=\"next\", garbage"), "http://h/a");
}

TEST(link_bounds)
{
    static char big[GH_LINK_MAX + 64];
    /* a URL one byte over the cap */
    size_t n = 0;
    n += (size_t)snprintf(big, sizeof(big), "<http://h/");
    while (n < GH_LINK_URL_MAX + 2) /* "<" plus URL_MAX + 1 URL bytes */
        big[n++] = 'a';
    n += (size_t)snprintf(big + n, sizeof(big) - n, ">; rel=\"next\"");
    CHECK_STR_EQ(next_of(big), "invalid");
    /* a header over GH_LINK_MAX */
    memset(big, ' ', GH_LINK_MAX + 1);
    big[GH_LINK_MAX + 1] = '\0';
    CHECK_STR_EQ(next_of(big), "too_large");
    /* the parser never reads past len: an unterminated prefix of a valid header */
    const char *h = "<http://h/a>; rel=\"next\"";
    struct sv v;
    CHECK_INT_EQ(gh_link_next(h, 12, &v), FB_ERR_NOT_FOUND);
    CHECK_INT_EQ(gh_link_next(h, 5, &v), FB_ERR_INVALID);
    CHECK_INT_EQ(gh_link_next(NULL, 0, &v), FB_ERR_NOT_FOUND);
}
