"""`fleetbot check-config` against the examples in docs/configuration.md: every example
marked good passes, and every example marked bad is rejected with the line the docs say
(`<!-- check-config: bad KIND line=N -->` before the example's code block). Keeps the
configuration reference and the validator from drifting apart."""
import os
import re
import subprocess
import tempfile

import harness

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                    "configuration.md")
MARK = re.compile(r"<!-- check-config: (good|bad) (org|repo|shift|catalog)(?: line=(\d+))? -->\s*\n"
                  r"```yaml\n(.*?)```", re.S)


def examples():
    with open(DOCS, encoding="utf-8") as f:
        found = [(m.group(1), m.group(2), int(m.group(3) or 0), m.group(4)) for m in MARK.finditer(f.read())]
    assert len(found) >= 10, "the configuration reference lost its examples"
    return found


def check(kind, text, name="fleetbot.yml"):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        out = subprocess.run([harness.fleetbot_bin(), "check-config", "--" + kind, path],
                             capture_output=True, text=True, timeout=30)
        return out.returncode, out.stdout.replace(path, "FILE"), out.stderr


def test_good_examples_pass():
    for verdict, kind, _, text in examples():
        if verdict == "good":
            rc, out, err = check(kind, text)
            assert rc == 0 and "ok" in out, (kind, out, err)


def test_bad_examples_are_rejected_with_their_line():
    bad = [e for e in examples() if e[0] == "bad"]
    assert len(bad) >= 8
    for _, kind, line, text in bad:
        rc, out, err = check(kind, text)
        assert rc == 1, (kind, text, out, err)
        assert re.search(r"^FILE:%d: " % line, out, re.M), (line, text, out)


def test_kind_is_guessed_from_path_and_keys():
    rc, out, _ = check("repo", "teams:\n  x:\n    timezone: UTC\n")
    assert rc == 1 and "unknown key \"teams\"" in out, out
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "shifts"))
        org = os.path.join(d, "fleetbot.yml")
        shift = os.path.join(d, "shifts", "bump-libfoo.yml")
        with open(org, "w") as f:
            f.write("teams:\n  core:\n    timezone: UTC\n")
        with open(shift, "w") as f:
            f.write("owners: [alice]\nautomerge: false\n")
        out = subprocess.run([harness.fleetbot_bin(), "check-config", org, shift],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out
        assert "org policy, 1 team" in out.stdout and "shift \"bump-libfoo\", recommends only" in out.stdout, out.stdout


def test_unreadable_and_empty_input():
    out = subprocess.run([harness.fleetbot_bin(), "check-config", "/nonexistent/fleetbot.yml"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "cannot read" in out.stderr, out
    out = subprocess.run([harness.fleetbot_bin(), "check-config"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2 and "usage" in out.stderr, out


if __name__ == "__main__":
    harness.run_tests()
