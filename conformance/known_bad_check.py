#!/usr/bin/python3
"""Checks a conformance report against the failures a known-bad
implementation must produce.

Usage: known_bad_check.py REPORT.json EXIT_STATUS ID,ID,... [TEST,TEST,...]

Passes when the suite exited with 1 (requirements failed, not a usage
error), the report's verdict is FAIL, and the set of failed requirements is
exactly the expected one, and every test of the optional last argument was
reported as timed out. Prints what differs otherwise.
"""

import json
import sys


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    report_path, status, expected = argv[1], int(argv[2]), set(filter(None, argv[3].split(",")))
    problems = []
    if status != 1:
        problems.append(f"the suite exited with {status}, expected 1 "
                        "(requirements failed)")
    try:
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL cannot read {report_path}: {e}")
        return 1
    failed = {r["id"] for r in report["requirements"]
              if r["status"] == "fail"}
    if report.get("verdict") != "FAIL":
        problems.append(f"verdict is {report.get('verdict')}, expected FAIL")
    if not expected:
        problems.append("no expected failure is listed for this "
                        "implementation (conformance/known_bad.bzl)")
    for missing in sorted(expected - failed):
        problems.append(f"{missing} passed, but this implementation breaks it")
    for extra in sorted(failed - expected):
        problems.append(f"{extra} failed, but this implementation should not "
                        "break it")
    timed_out = set(filter(None, argv[4].split(","))) if len(argv) == 5 else set()
    results = {c["name"]: c["result"] for c in report["checks"]}
    for name in sorted(timed_out):
        if results.get(name) != "timed out":
            problems.append(f"{name} should have timed out, but its result "
                            f"is {results.get(name, 'missing')}")
    for r in report["requirements"]:
        if r["status"] == "fail":
            print(f"failed {r['id']}: " + "; ".join(
                f.splitlines()[0] if f else "" for f in r["failures"]))
    for p in problems:
        print("FAIL " + p)
    print(f"{len(failed)} requirements failed, {len(expected)} expected: "
          f"{'FAILED' if problems else 'OK'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
