#!/usr/bin/env python3
"""fleetbot sandbox: a local Redis, a simulated GitHub with a small fleet (2 orgs, 7 repos,
classic protection and rulesets requiring "build" and "test"), and the real fleetbot binary
merging one shift's PRs - narrated in plain words as it happens.

  python3 deploy/sandbox.py --fleetbot build/fleetbot [--once] [--pace 1.0]

It needs no GitHub account and touches nothing outside .sandbox/ and a temp Redis dir.
It is a demo, not a test: it reports what happened and does not judge fleetbot's choices.
"""
import argparse
import contextlib
import datetime
import os
import signal
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import harness  # noqa: E402
import simgithub  # noqa: E402

APP_ID = 4242
SHIFT = "bump-libfoo"
TAGS = ["fleetbot/automerge", f"fleetbot/shift:{SHIFT}"]
SANDBOX_NOW = "2026-11-24T10:00:00Z"       # a Tuesday morning, inside default working hours


def stamp():
    return datetime.datetime.now().strftime("%H:%M:%S")


def short(sha):
    return sha[:7] if sha else "-------"


class Narrator:
    """Prints one line per thing that happened; a watcher thread reports what fleetbot did."""

    def __init__(self, sim, prs):
        self.sim, self.prs = sim, prs           # prs: {"acme/api#1": info dict}
        self.lock = threading.Lock()
        self.seen_merges = 0
        self.seen_calls = 0
        self.bot_checks = {}
        self.bot_comments = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def say(self, where, text):
        with self.lock:
            print(f"{stamp()}  {where:<18} {text}", flush=True)

    def note(self, text):
        with self.lock:
            print(f"{stamp()}  {text}", flush=True)

    def start(self):
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)

    def _watch(self):
        while not self.stop.wait(0.2):
            try:
                self._poll()
            except Exception as exc:  # narration must never kill the demo
                self.note(f"(narrator hiccup: {exc!r})")

    def _poll(self):
        merges = self.sim.merges
        for m in merges[self.seen_merges:]:
            key = f"{m['repo']}#{m['number']}"
            info = self.prs.get(key, {})
            info["merged"] = m
            guard = "with the head guard" if m["sha_sent"] else "WITHOUT a head sha guard"
            self.say(key, f"fleetbot merged it (head {short(m['head_sha'])}, {guard}, "
                          f"{m['merge_method']}) -> new {info.get('base', 'main')} commit {short(m['merge_commit_sha'])}")
        self.seen_merges = len(merges)
        calls = self.sim.calls("PUT", r"/pulls/\d+/merge$")
        for c in calls[self.seen_calls:]:
            if c.status == 200:
                continue
            parts = c.path.split("/")
            key = f"{parts[2]}/{parts[3]}#{parts[5]}"
            why = {409: "the PR's head changed after the checks ran (409)",
                   405: "GitHub says it is not mergeable yet (405)",
                   403: "permission or rate limit (403)"}.get(c.status, f"GitHub answered {c.status}")
            self.say(key, f"fleetbot tried to merge, GitHub refused: {why}; fleetbot re-evaluates")
        self.seen_calls = len(calls)
        for key, info in self.prs.items():
            repo, num = key.split("#")
            newest = {}
            for run in self.sim.check_runs(repo, self.sim.head_sha(repo, int(num))):   # oldest first
                if run["app"]["id"] == APP_ID:
                    newest[run["name"]] = run
            for run in newest.values():
                title = (run.get("output") or {}).get("title") or run["status"]
                state = (run["head_sha"], title)
                if self.bot_checks.get((key, run["name"])) != state:     # say it once per head and text
                    self.bot_checks[(key, run["name"])] = state
                    info["bot_says"] = title
                    self.say(key, f'fleetbot\'s "{run["name"]}" check: {title}')
            comments = [c for c in self.sim.comments(repo, int(num)) if c["user_type"] == "Bot"]
            for c in comments[self.bot_comments.get(key, 0):]:
                first = c["body"].strip().splitlines()[0] if c["body"].strip() else ""
                self.say(key, f'fleetbot commented: "{first[:100]}"')
            self.bot_comments[key] = len(comments)


def build_fleet(sim):
    acme = sim.add_installation("acme")
    globex = sim.add_installation("globex")
    repos = {}
    for name in ("api", "web", "billing", "docs", "search"):
        full = sim.add_repo(f"acme/{name}", installation=acme)
        sim.set_protection(full, "main", contexts=["build", "test"])
        repos[full] = "classic branch protection"
    for name in ("gateway", "worker"):
        full = sim.add_repo(f"globex/{name}", installation=globex)
        sim.set_ruleset_checks(full, "main", ["build", "test"], source_type="Organization", source="globex")
        repos[full] = "an organization ruleset"
    return repos


def scenario(sim, n, prs, pace):
    """Open the shift's PRs and play CI over ~25 s. Returns when the script is done."""
    def wait(seconds):
        time.sleep(seconds * pace)

    def open_pr(repo, labels, expect, draft=False):
        num = sim.open_pr(repo, labels=labels, draft=draft, head_ref=f"shift/{SHIFT}",
                          author="shift-bot", title="Bump libfoo to 2.4.1")
        key = f"{repo}#{num}"
        prs[key] = {"repo": repo, "number": num, "expect": expect, "base": "main", "tagged": bool(labels)}
        tag = "tagged for automerge" if labels else "not tagged: no fleetbot/automerge label"
        n.say(key, f"shift-bot opened \"Bump libfoo to 2.4.1\" ({tag}{', draft' if draft else ''})")
        return key

    def ci(key, name, conclusion="success", via="check"):
        info = prs[key]
        sha = sim.head_sha(info["repo"], info["number"])
        if via == "status":
            sim.set_status(info["repo"], sha, name, "success" if conclusion == "success" else "failure")
        else:
            sim.complete_check(info["repo"], sha, name, conclusion=conclusion)
        word = "passed" if conclusion == "success" else conclusion.replace("failure", "FAILED")
        n.say(key, f'CI "{name}" {word} on {short(sha)}' + (" (commit status)" if via == "status" else ""))

    def start(key, name):
        info = prs[key]
        sim.start_check(info["repo"], sim.head_sha(info["repo"], info["number"]), name)

    api = open_pr("acme/api", TAGS, "merge")
    web = open_pr("acme/web", TAGS, "blocked: required check \"test\" failed")
    billing = open_pr("acme/billing", TAGS, "merge after the new head is green")
    docs = open_pr("acme/docs", [], "skip: not tagged")
    search = open_pr("acme/search", TAGS, "wait: required check \"test\" never reported")
    gateway = open_pr("globex/gateway", TAGS, "skip: draft", draft=True)
    worker = open_pr("globex/worker", TAGS, "merge (CI reports commit statuses)")
    wait(2)
    for key in (api, web, billing, docs, search, gateway):
        start(key, "build")
    n.note("CI started \"build\" (check runs) on the acme PRs and globex/gateway; globex/worker's CI "
           "reports commit statuses")
    wait(3)
    ci(api, "build")
    ci(web, "build")
    ci(docs, "build")
    ci(gateway, "build")
    wait(2)
    ci(billing, "build")
    ci(search, "build")
    ci(worker, "build", via="status")
    wait(3)
    ci(api, "test")
    wait(1)
    ci(web, "test", "failure")
    ci(docs, "test")
    wait(2)
    ci(billing, "test")
    new = sim.push_to_pr("acme/billing", prs[billing]["number"], by="shift-bot")
    n.say(billing, f"shift-bot pushed a new commit {short(new)} right after CI went green "
                   f"(the green checks were on the old head)")
    wait(2)
    ci(worker, "test", via="status")
    ci(gateway, "test")
    wait(3)
    ci(billing, "build")
    wait(2)
    ci(billing, "test")
    n.note("CI is done; waiting for fleetbot to finish its work")


def summary(sim, prs, repos):
    print()
    print("Summary")
    print("-------")
    merged = 0
    for key, info in prs.items():
        pr = sim.pr(info["repo"], info["number"])
        m = info.get("merged")
        if pr["merged"] and m:
            merged += 1
            line = f"merged by fleetbot (head {short(m['head_sha'])} was green on every required check)"
        elif pr["merged"]:
            line = "merged (not by fleetbot)"
        else:
            line = f"not merged: {info['expect'].split(': ', 1)[-1]}"
            if info["expect"].startswith("merge"):
                line = "NOT merged although every required check is green (see fleetbot's log)"
            if info.get("bot_says"):
                line += f' - fleetbot says: "{info["bot_says"]}"'
        print(f"  {key:<18} {line}")
    print(f"\n{merged} of {sum(1 for i in prs.values() if i['tagged'])} tagged PRs merged. "
          f"Required checks come from classic protection (acme) and an org ruleset (globex).")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fleetbot", required=True, help="path to the fleetbot binary")
    ap.add_argument("--once", action="store_true", help="exit after the scenario instead of waiting for Ctrl-C")
    ap.add_argument("--pace", type=float, default=1.0, help="scale the scenario's pauses (0.5 = twice as fast)")
    ap.add_argument("--settle", type=float, default=20.0, help="seconds to wait for fleetbot after CI is done")
    args, unknown = ap.parse_known_args()
    if unknown:
        print(f"sandbox: ignoring arguments meant for the real App: {' '.join(unknown)}", file=sys.stderr)
    if not os.access(args.fleetbot, os.X_OK):
        sys.exit(f"sandbox: {args.fleetbot} is not an executable fleetbot binary (build it first)")

    def on_sigterm(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_sigterm)
    run_dir = os.path.join(ROOT, ".sandbox", datetime.datetime.now().strftime("run-%Y%m%d-%H%M%S"))
    os.makedirs(run_dir, exist_ok=True)
    prs = {}
    with contextlib.ExitStack() as stack:
        try:
            key_path, public_key = harness.make_app_key(run_dir)
            secret = harness.make_secret()
            redis = stack.enter_context(harness.RedisServer())
            port = harness.free_port()
            sim = simgithub.SimGitHub(app_id=APP_ID, app_public_key=public_key, webhook_secret=secret,
                                      webhook_url=f"http://127.0.0.1:{port}/webhook", app_slug="fleetbot-sandbox",
                                      mergeable_delay=0.5)
            stack.enter_context(sim)
            repos = build_fleet(sim)
            bot = harness.Fleetbot(args.fleetbot, {
                "FLEETBOT_REDIS_URL": redis.url, "FLEETBOT_GITHUB_API_URL": sim.url,
                "FLEETBOT_APP_ID": APP_ID, "FLEETBOT_PRIVATE_KEY_FILE": key_path,
                "FLEETBOT_WEBHOOK_SECRET": secret, "FLEETBOT_NOW": SANDBOX_NOW,
                "FLEETBOT_LOG_LEVEL": os.environ.get("FLEETBOT_LOG_LEVEL", "info")}, port=port, workdir=run_dir)
            stack.callback(bot.stop)
            print("fleetbot sandbox")
            print(f"  simulated GitHub   {sim.url}  (App id {APP_ID}, 2 orgs, {len(repos)} repos)")
            print(f"  Redis              {redis.url}  (AOF on)")
            print(f"  fleetbot           {bot.url}  (clock starts at {SANDBOX_NOW}, a Tuesday 10:00 UTC)")
            print(f"  fleetbot's log     {bot.log_path}")
            print(f"  required checks    \"build\" and \"test\" on main "
                  f"(acme: classic branch protection; globex: organization ruleset)")
            print(f"  the shift          \"{SHIFT}\": PRs labelled {TAGS[0]} + {TAGS[1]}")
            print()
            bot.wait_ready(30)
            n = Narrator(sim, prs)
            stack.callback(n.close)
            n.note(f"fleetbot is up and receiving webhooks; {len(repos)} repos installed")
            n.start()
            scenario(sim, n, prs, args.pace)
            expect_merge = [k for k, i in prs.items() if i["expect"].startswith("merge")]
            deadline = time.monotonic() + args.settle
            while time.monotonic() < deadline and not all(prs[k].get("merged") for k in expect_merge):
                if not bot.alive():
                    raise RuntimeError("fleetbot exited during the scenario")
                time.sleep(0.3)
            time.sleep(1.0)
            n._poll()
            summary(sim, prs, repos)
            print(f"\nfleetbot's own log: {bot.log_path}")
            if args.once:
                return 0
            print(f"fleetbot keeps running at {bot.url} against the simulated GitHub {sim.url}. Ctrl-C to stop.")
            while bot.alive():
                time.sleep(0.5)
            print(f"fleetbot exited with {bot.proc.returncode if bot.proc else '?'}; see {bot.log_path}")
            return 1
        except KeyboardInterrupt:
            print("\nsandbox: stopping fleetbot, the simulated GitHub and Redis")
            return 0
        except (RuntimeError, AssertionError, OSError) as exc:
            print(f"\nsandbox: {exc}", file=sys.stderr)
            if "bot" in locals():
                print(f"--- last lines of {bot.log_path} ---\n{bot.log_tail()}", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
