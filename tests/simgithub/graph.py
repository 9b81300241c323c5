"""Commit-graph logic of the simulated GitHub: resolving refs, ancestry, merge bases and the
commit sets the compare API reports. Pure functions over a model.Repo (caller holds the lock).

Every commit's parents are created before it, so `Commit.seq` (creation order) is a
topological order: sorting by seq lists parents before children ("chronological").
"""
import re

HEX = re.compile(r"^[0-9a-fA-F]{4,40}$")


def resolve(repo, ref):
    """The commit sha `ref` names in `repo` (branch name, heads/<b>, refs/heads/<b>, full sha or a
    unique sha prefix of 4+ hex digits), else None."""
    ref = str(ref)
    for name in (ref, ref[6:] if ref.startswith("heads/") else None,
                 ref[11:] if ref.startswith("refs/heads/") else None):
        if name and name in repo.branches:
            return repo.branches[name]
    if ref in repo.graph:
        return ref
    if HEX.match(ref):
        low = ref.lower()
        hits = [s for s in repo.graph if s.lower().startswith(low)]
        if len(hits) == 1:
            return hits[0]
    return None


def ancestors(repo, sha):
    """Every commit reachable from `sha` through parents, `sha` included."""
    seen, todo = set(), [sha]
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        c = repo.graph.get(s)
        if c is not None:
            todo.extend(c.parents)
    return seen


def is_ancestor(repo, ancestor, descendant):
    """True when `ancestor` is reachable from `descendant` (equal counts). Commits older than
    `ancestor` (lower seq) cannot lead to it, so the walk stops there."""
    target = repo.graph.get(ancestor)
    floor = target.seq if target is not None else -1
    seen, todo = set(), [descendant]
    while todo:
        s = todo.pop()
        if s == ancestor:
            return True
        if s in seen:
            continue
        seen.add(s)
        c = repo.graph.get(s)
        if c is not None and c.seq > floor:
            todo.extend(c.parents)
    return False


def by_seq(repo, shas):
    return sorted(shas, key=lambda s: repo.graph[s].seq)


def merge_base(repo, a, b):
    """A best common ancestor of a and b (the newest common one), or None for unrelated histories."""
    common = ancestors(repo, a) & ancestors(repo, b)
    if not common:
        return None
    return max(common, key=lambda s: repo.graph[s].seq)


def only_in(repo, head, base):
    """`git log base..head` as a list, oldest first: reachable from head and not from base."""
    c = repo.graph.get(head)
    if c is not None and c.parents == [base]:
        return [head]                                # the usual push: one commit on top
    return by_seq(repo, ancestors(repo, head) - ancestors(repo, base))


def compare(repo, base, head):
    """{status, ahead_by, behind_by, merge_base, commits} for two shas, or None when they share no
    ancestor. `commits` are all of base..head, oldest first."""
    mb = merge_base(repo, base, head)
    if mb is None:
        return None
    up, down = ancestors(repo, head), ancestors(repo, base)
    ahead = by_seq(repo, up - down)
    behind = len(down - up)
    if not ahead and not behind:
        status = "identical"
    elif not behind:
        status = "ahead"
    elif not ahead:
        status = "behind"
    else:
        status = "diverged"
    return {"status": status, "ahead_by": len(ahead), "behind_by": behind, "merge_base": mb, "commits": ahead}


def branches_containing(repo, sha):
    """Names of the branches whose head has `sha` in its history, by name."""
    return [name for name, head in sorted(repo.branches.items()) if is_ancestor(repo, sha, head)]
