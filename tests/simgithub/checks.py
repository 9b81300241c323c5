"""Required-check logic of the simulated GitHub: which checks a branch requires (classic
protection union rulesets) and how the head's check runs and statuses satisfy them.

Used by the merge route and by mergeable_state. It knows nothing about HTTP; it does not
model reviews, deployments or "behind" (strict up-to-date) requirements.
"""
from .model import FAILING_CONCLUSIONS, PASSING_CONCLUSIONS


def latest_check_runs(runs):
    """Newest run per (name, app), as filter=latest does; newest first."""
    seen, out = set(), []
    for run in sorted(runs, key=lambda r: r.id, reverse=True):
        key = (run.name, run.app_id)
        if key not in seen:
            seen.add(key)
            out.append(run)
    return out


def latest_statuses(statuses):
    """Newest status per context; newest first."""
    seen, out = set(), []
    for st in sorted(statuses, key=lambda s: s.id, reverse=True):
        if st.context not in seen:
            seen.add(st.context)
            out.append(st)
    return out


def combined_state(latest):
    if not latest:
        return "pending"
    states = {s.state for s in latest}
    if states & {"error", "failure"}:
        return "failure"
    if "pending" in states:
        return "pending"
    return "success"


def ruleset_rules(repo, branch):
    return [dict(r) for key in (branch, "~ALL") for r in repo.rules.get(key, [])]


def required_checks(repo, branch):
    """[(context, app_id or None, source)] with source 'classic' or 'ruleset'."""
    out = []
    prot = repo.protection.get(branch)
    if prot:
        for ctx in prot.get("contexts", []):
            out.append((ctx, None, "classic"))
        for chk in prot.get("checks", []):
            app = chk.get("app_id")
            out.append((chk["context"], None if app in (None, -1) else app, "classic"))
    for rule in ruleset_rules(repo, branch):
        if rule.get("type") == "required_status_checks":
            for chk in rule.get("parameters", {}).get("required_status_checks", []):
                out.append((chk["context"], chk.get("integration_id"), "ruleset"))
    return out


def verdict(context, app_id, runs, statuses):
    """'passing', 'failing', 'pending' or 'missing' for one required check on one head."""
    candidates = []
    for run in latest_check_runs(runs):
        if run.name == context and (app_id is None or run.app_id == app_id):
            if run.status != "completed":
                candidates.append("pending")
            elif run.conclusion in PASSING_CONCLUSIONS:
                candidates.append("passing")
            else:
                candidates.append("failing")
    if app_id is None:
        for st in latest_statuses(statuses):
            if st.context == context:
                candidates.append({"success": "passing", "pending": "pending"}.get(st.state, "failing"))
    if not candidates:
        return "missing"
    for v in ("failing", "pending"):
        if v in candidates:
            return v
    return "passing"


def unmet_required(repo, branch, runs, statuses):
    """[(context, verdict, source)] for required checks that are not passing."""
    out = []
    for context, app_id, source in required_checks(repo, branch):
        v = verdict(context, app_id, runs, statuses)
        if v != "passing":
            out.append((context, v, source))
    return out


def any_failing(runs, statuses):
    if any(r.status == "completed" and r.conclusion in FAILING_CONCLUSIONS for r in latest_check_runs(runs)):
        return True
    return any(s.state in ("failure", "error") for s in latest_statuses(statuses))


def merge_refusal(unmet):
    """GitHub's 405 text for the first unmet required check."""
    context, v, source = unmet[0]
    what = {"missing": "is expected", "pending": "is in progress", "failing": "is failing"}[v]
    text = f'Required status check "{context}" {what}.'
    if source == "ruleset":
        return f"Repository rule violations found\n\n{text}\n\n"
    return text
