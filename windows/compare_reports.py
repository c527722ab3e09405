#!/usr/bin/env python3
"""Compares two requirement-traced reports (report.json of
//conformance:conformance_suite or certify, Linux and Windows runs of the same
suite): every requirement's status and every check's result must be the
same, except for the differences listed in the expected-differences file.
Timings and messages are not compared.

Usage: compare_reports.py LABEL LINUX_REPORT WINDOWS_REPORT EXPECTED

EXPECTED holds lines "TARGET: reason", TARGET a requirement ID or a check
name, optionally prefixed with "LABEL/" to apply to one comparison only; '#'
starts a comment. Exit status 0 when only expected differences were found,
1 otherwise, 2 for unreadable input.
"""
import json
import sys


def load_expected(path, label):
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            target, sep, reason = line.partition(":")
            if not sep or not reason.strip():
                sys.exit(f"{path}:{number}: expected 'TARGET: reason'")
            target = target.strip()
            if "/" in target:
                scope, target = target.split("/", 1)
                if scope != label:
                    continue
            allowed[target] = reason.strip()
    return allowed


def statuses(report):
    reqs = {r["id"]: r["status"] for r in report.get("requirements", [])}
    checks = {}
    for c in report.get("checks", []):
        # certify has one check per (scenario, requirement).
        key = c["name"]
        if c.get("requirements") and report.get("tool") == "certify":
            key += " " + ",".join(c["requirements"])
        checks[key] = c["result"]
    return reqs, checks


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    label, linux_path, windows_path, expected_path = sys.argv[1:]
    try:
        with open(linux_path, encoding="utf-8") as f:
            linux = json.load(f)
        with open(windows_path, encoding="utf-8") as f:
            windows = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{label}: cannot read the reports: {e}")
        return 2
    allowed = load_expected(expected_path, label)
    linux_reqs, linux_checks = statuses(linux)
    windows_reqs, windows_checks = statuses(windows)

    unexpected, expected = [], []
    for kind, ours, theirs in (("requirement", linux_reqs, windows_reqs),
                               ("check", linux_checks, windows_checks)):
        for key in sorted(set(ours) | set(theirs)):
            a = ours.get(key, "(absent)")
            b = theirs.get(key, "(absent)")
            if a == b:
                continue
            line = f"{kind} {key}: Linux {a}, Windows {b}"
            if key in allowed:
                expected.append(f"{line} (expected: {allowed[key]})")
            else:
                unexpected.append(line)
    print(f"{label}: Linux verdict {linux.get('verdict')}, Windows verdict "
          f"{windows.get('verdict')}; {len(linux_reqs)} requirements, "
          f"{len(linux_checks)} checks compared")
    for line in expected:
        print("  " + line)
    for line in unexpected:
        print("  DIFFERENT " + line)
    if linux.get("verdict") != windows.get("verdict"):
        unexpected.append("verdict")
        print(f"  DIFFERENT verdict: Linux {linux.get('verdict')}, "
              f"Windows {windows.get('verdict')}")
    print(f"{label}: {'FAIL' if unexpected else 'same'} "
          f"({len(unexpected)} unexpected, {len(expected)} expected "
          "difference(s))")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
