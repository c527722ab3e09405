#!/usr/bin/python3
"""Checks a conformance report against what an implementation must fail.

Usage: known_bad_check.py REPORT.json EXIT_STATUS documented=IDS ours=IDS
                          timed_out=TESTS

IDS and TESTS are comma-separated (each may be empty). DOCUMENTED and OURS
are exactly the requirements of the documented contract and of the
reference profile (OURS) that must be reported as failed. Passes when the
sets of failed requirements are exactly these, the verdict is FAIL and the
exit status 1 when DOCUMENTED is not empty (PASS and 0 otherwise: the
reference profile does not gate by default), and every test of TIMED_OUT
was reported as timed out. Prints what differs otherwise.
"""

import json
import sys


def ids(text):
    return set(filter(None, text.split(",")))


def main(argv):
    lists = dict(a.split("=", 1) for a in argv[3:] if "=" in a)
    if len(argv) < 3 or set(lists) - {"documented", "ours", "timed_out"}:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    report_path, status = argv[1], int(argv[2])
    documented = ids(lists.get("documented", ""))
    ours = ids(lists.get("ours", ""))
    timed_out = ids(lists.get("timed_out", ""))
    problems = []
    try:
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL cannot read {report_path}: {e}")
        return 1
    want_verdict, want_status = ("FAIL", 1) if documented else ("PASS", 0)
    if status != want_status:
        problems.append(f"the suite exited with {status}, expected "
                        f"{want_status}")
    if report.get("verdict") != want_verdict:
        problems.append(f"verdict is {report.get('verdict')}, expected "
                        f"{want_verdict}")
    for profile, expected in (("documented", documented), ("reference", ours)):
        failed = {r["id"] for r in report["requirements"]
                  if r["status"] == "fail" and r["profile"] == profile}
        for missing in sorted(expected - failed):
            problems.append(f"{missing} ({profile}) passed or was not run, "
                            "but this implementation breaks it")
        for extra in sorted(failed - expected):
            problems.append(f"{extra} ({profile}) failed, but this "
                            "implementation should not break it")
    results = {}
    for c in report["checks"]:
        results.setdefault(c["name"], set()).add(c["result"])
    for name in sorted(timed_out):
        if "timed out" not in results.get(name, set()):
            problems.append(f"{name} should have timed out, but its results "
                            f"are {sorted(results.get(name, {'missing'}))}")
    for r in report["requirements"]:
        if r["status"] == "fail":
            print(f"failed {r['id']} ({r['profile']}): " + "; ".join(
                f.splitlines()[0] if f else "" for f in r["failures"]))
    for p in problems:
        print("FAIL " + p)
    print(f"{'FAILED' if problems else 'OK'}: documented {sorted(documented)}, "
          f"ours {sorted(ours)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
