"""The integration-test runner: each tests/integration/test_*.py is a script whose test_*
functions run in file order; each result is printed and the script ends with exactly one
line "N passed, M failed" (exit status 1 on any failure).

No fixtures, no parallelism, no discovery beyond the calling module.
"""
import inspect
import sys
import time
import traceback


class Skip(Exception):
    """Raise (or call skip()) when a test cannot run here; it counts as neither pass nor fail."""


def skip(reason):
    raise Skip(reason)


def run_tests(namespace=None, argv=None):
    """Run the test_* functions of the calling module (or of `namespace`) and exit."""
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    argv = sys.argv[1:] if argv is None else argv
    tests = [(name, fn) for name, fn in namespace.items()
             if name.startswith("test_") and inspect.isfunction(fn)
             and fn.__module__ == namespace.get("__name__")]
    tests.sort(key=lambda item: item[1].__code__.co_firstlineno)
    if argv:
        tests = [t for t in tests if any(a in t[0] for a in argv)]
    passed = failed = 0
    for name, fn in tests:
        start = time.monotonic()
        try:
            fn()
        except Skip as exc:
            print(f"SKIP {name}: {exc}", flush=True)
            continue
        except BaseException as exc:  # noqa: B902 - report everything, including KeyboardInterrupt
            failed += 1
            print(f"FAIL {name} ({time.monotonic() - start:.2f}s)", flush=True)
            traceback.print_exc(file=sys.stdout)
            if isinstance(exc, KeyboardInterrupt):
                break
            continue
        passed += 1
        print(f"PASS {name} ({time.monotonic() - start:.2f}s)", flush=True)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
