#!/usr/bin/env python3
"""ingest_gen.py - writes realistic signed webhook payloads for tests/bench/ingest.sh.

Bodies are pull_request-, check_run-, check_suite-, status- and push-like JSON of 3 to 26 KB
(the size of real GitHub deliveries), each signed with X-Hub-Signature-256 under --secret.
Output: <out>/body_NNNN.json and <out>/manifest.tsv ("event<TAB>signature<TAB>file").
Delivery ids are not part of the signature; the wrk script makes one per request.
Standard library only.
"""
import argparse
import hashlib
import hmac
import json
import os
import random

WORDS = ("fleet bump dependency renovate update lockfile security patch minor major "
         "ci flaky retry merge queue service deploy canary rollout config owners team "
         "review approve label automerge shift holiday window rebase squash").split()


def text(rng, n_words):
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def user(rng, login=None):
    login = login or "user%d" % rng.randint(1, 99999)
    uid = rng.randint(1, 10**8)
    base = "https://api.github.com/users/" + login
    return {
        "login": login, "id": uid, "node_id": "MDQ6VXNlcj%d" % uid,
        "avatar_url": "https://avatars.githubusercontent.com/u/%d?v=4" % uid,
        "gravatar_id": "", "url": base, "html_url": "https://github.com/" + login,
        "followers_url": base + "/followers", "following_url": base + "/following{/other_user}",
        "gists_url": base + "/gists{/gist_id}", "starred_url": base + "/starred{/owner}{/repo}",
        "subscriptions_url": base + "/subscriptions", "organizations_url": base + "/orgs",
        "repos_url": base + "/repos", "events_url": base + "/events{/privacy}",
        "received_events_url": base + "/received_events", "type": "User", "site_admin": False,
    }


def repo(rng, org, name):
    full = "%s/%s" % (org, name)
    base = "https://api.github.com/repos/" + full
    r = {"id": rng.randint(1, 10**9), "node_id": "R_kgDO%08d" % rng.randint(0, 10**8),
         "name": name, "full_name": full, "private": True, "owner": user(rng, org),
         "html_url": "https://github.com/" + full, "description": text(rng, 8), "fork": False,
         "url": base, "default_branch": "main", "visibility": "private",
         "created_at": "2021-03-04T10:00:00Z", "updated_at": "2026-11-20T08:00:00Z",
         "pushed_at": "2026-11-22T09:12:00Z", "size": rng.randint(100, 90000),
         "stargazers_count": rng.randint(0, 50), "language": rng.choice(["C", "Go", "Python"]),
         "topics": rng.sample(WORDS, 4)}
    for k in ("forks", "keys", "collaborators", "teams", "hooks", "issue_events", "events",
              "assignees", "branches", "tags", "blobs", "git_tags", "git_refs", "trees",
              "statuses", "languages", "stargazers", "contributors", "subscribers",
              "subscription", "commits", "git_commits", "comments", "issue_comment",
              "contents", "compare", "merges", "archive", "downloads", "issues", "pulls",
              "milestones", "notifications", "labels", "releases", "deployments"):
        r[k + "_url"] = base + "/" + k
    return r


def sha(rng):
    return "%040x" % rng.getrandbits(160)


def pull_request(rng, org, name, pad_words):
    n = rng.randint(1, 5000)
    r = repo(rng, org, name)
    head, base_sha = sha(rng), sha(rng)
    labels = [{"id": rng.randint(1, 10**9), "name": l, "color": "ededed", "default": False}
              for l in ("fleetbot/automerge", "dependencies", "size/S")]
    pr = {"url": "%s/pulls/%d" % (r["url"], n), "id": rng.randint(1, 10**9), "number": n,
          "state": "open", "locked": False, "title": "chore(deps): " + text(rng, 6),
          "user": user(rng, "renovate[bot]"), "body": text(rng, pad_words),
          "created_at": "2026-11-22T09:00:00Z", "updated_at": "2026-11-22T09:12:00Z",
          "labels": labels, "draft": False, "mergeable": None, "mergeable_state": "unknown",
          "requested_reviewers": [user(rng) for _ in range(rng.randint(0, 3))],
          "head": {"label": "%s:renovate/x" % org, "ref": "renovate/x", "sha": head,
                   "user": user(rng, org), "repo": r},
          "base": {"label": "%s:main" % org, "ref": "main", "sha": base_sha,
                   "user": user(rng, org), "repo": r},
          "author_association": "CONTRIBUTOR", "commits": rng.randint(1, 4),
          "additions": rng.randint(1, 400), "deletions": rng.randint(0, 300),
          "changed_files": rng.randint(1, 12)}
    return {"action": rng.choice(["opened", "synchronize", "labeled", "reopened"]),
            "number": n, "pull_request": pr, "repository": r, "organization": user(rng, org),
            "sender": user(rng), "installation": {"id": rng.randint(1, 10**7)}}


def check_run(rng, org, name, pad_words):
    r = repo(rng, org, name)
    head = sha(rng)
    run = {"id": rng.randint(1, 10**10), "head_sha": head, "external_id": "",
           "url": r["url"] + "/check-runs/1", "status": "completed",
           "conclusion": rng.choice(["success", "failure", "neutral"]),
           "started_at": "2026-11-22T09:00:00Z", "completed_at": "2026-11-22T09:05:00Z",
           "output": {"title": "build", "summary": text(rng, pad_words // 2),
                      "text": text(rng, pad_words // 2), "annotations_count": 0},
           "name": rng.choice(["build", "test (ubuntu)", "lint", "e2e"]),
           "check_suite": {"id": rng.randint(1, 10**10), "head_branch": "renovate/x",
                           "head_sha": head, "status": "completed", "conclusion": "success"},
           "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions",
                   "owner": user(rng, "github")},
           "pull_requests": [{"number": rng.randint(1, 5000),
                              "head": {"ref": "renovate/x", "sha": head},
                              "base": {"ref": "main", "sha": sha(rng)}}]}
    return {"action": "completed", "check_run": run, "repository": r,
            "organization": user(rng, org), "sender": user(rng),
            "installation": {"id": rng.randint(1, 10**7)}}


def status(rng, org, name, pad_words):
    r = repo(rng, org, name)
    return {"id": rng.randint(1, 10**10), "sha": sha(rng), "name": r["full_name"],
            "context": "ci/jenkins", "description": text(rng, pad_words),
            "state": rng.choice(["success", "pending", "failure"]),
            "branches": [{"name": "main", "commit": {"sha": sha(rng)}}],
            "repository": r, "sender": user(rng), "installation": {"id": 7}}


def push(rng, org, name, pad_words):
    r = repo(rng, org, name)
    commits = [{"id": sha(rng), "message": text(rng, max(5, pad_words // 8)),
                "timestamp": "2026-11-22T09:00:00Z", "author": {"name": "A", "email": "a@x"},
                "added": [], "removed": [], "modified": ["go.mod", "go.sum"]}
               for _ in range(rng.randint(1, 8))]
    return {"ref": "refs/heads/main", "before": sha(rng), "after": sha(rng),
            "repository": r, "pusher": {"name": "x"}, "sender": user(rng),
            "commits": commits, "head_commit": commits[-1],
            "installation": {"id": rng.randint(1, 10**7)}}


MAKERS = [("pull_request", pull_request, 4), ("check_run", check_run, 4),
          ("status", status, 1), ("push", push, 1)]


def make(rng, target):
    """A payload of about target bytes: grow the free text until it fits."""
    names = [m for m, _, w in MAKERS for _ in range(w)]
    event = rng.choice(names)
    fn = {m: f for m, f, _ in MAKERS}[event]
    org, name = "acme", "svc-%d" % rng.randint(1, 500)
    pad = 5
    while True:
        state = rng.getstate()
        body = json.dumps(fn(rng, org, name, pad), separators=(",", ":")).encode()
        if len(body) >= target or pad > 20000:
            return event, body
        rng.setstate(state)
        pad += max(5, (target - len(body)) // 7)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--min-kb", type=int, default=3)
    ap.add_argument("--max-kb", type=int, default=26)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    sizes = []
    with open(os.path.join(a.out, "manifest.tsv"), "w") as m:
        for i in range(a.count):
            # most deliveries are small; a tail reaches max-kb
            kb = min(a.max_kb, a.min_kb + rng.expovariate(1 / 5.0))
            if i == a.count - 1:
                kb = a.max_kb  # always include one at the top of the range
            event, body = make(rng, int(kb * 1024))
            fname = "body_%04d.json" % i
            with open(os.path.join(a.out, fname), "wb") as f:
                f.write(body)
            sig = "sha256=" + hmac.new(a.secret.encode(), body, hashlib.sha256).hexdigest()
            m.write("%s\t%s\t%s\n" % (event, sig, fname))
            sizes.append(len(body))
    sizes.sort()
    print("payloads=%d min=%dB median=%dB mean=%dB max=%dB" % (
        len(sizes), sizes[0], sizes[len(sizes) // 2], sum(sizes) // len(sizes), sizes[-1]))


if __name__ == "__main__":
    main()
