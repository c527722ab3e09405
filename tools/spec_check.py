#!/usr/bin/python3
"""Checks that reference/SPEC.md and the tests trace to each other.

Usage: spec_check.py [--certify CERTIFY_MAIN.cc] SPEC.md TEST_SOURCE...
       spec_check.py --json OUT.json SPEC.md

The second form writes the requirements as JSON for the reports (one parser
of SPEC.md for the whole suite): a list of {id, level, text, area, tests,
deferred}, where `deferred` is the "out of scope ..." / "pending #N" text or
null.

Reads every requirement row of SPEC.md (a table row whose first cell is an ID
such as UI-101) and every GoogleTest test of the given sources with the IDs
of its REQUIREMENT("...") (or RecordProperty("requirements", "...")) line,
then reports, one line each:
  - a requirement with no test, unless its Tests cell says "out of scope" or
    "pending #N" (those are listed, not failed);
  - a test named in SPEC.md that does not exist;
  - a test named for a requirement whose REQUIREMENT line does not list it;
  - a test that lists an ID SPEC.md does not define;
  - an ID defined twice;
  - a contract test (*_contract.cc) that declares several requirements but
    has no check of one of them (its ID appears nowhere else in the test:
    no CHECKS("ID") scope, NOT_APPLICABLE or case table names it);
  - with --certify (conformance/certify_main.cc): a requirement certify
    checks that nothing in certify can observe, so that it could only ever
    be "not run" or failed: an ID of a requirement list (a braced list of ID
    literals, such as a scenario's or kSessionRequirements, or a
    push_back("ID")) with no Observed("ID") call in the file. (A list built
    from variables is not read.)
Exits 1 if anything failed, 0 otherwise, and prints a summary.
"""

import json
import re
import sys

ID = r"[A-Z]{2,3}-\d{3}"
ROW = re.compile(r"^\|\s*(" + ID + r")\s*\|(.*)\|\s*$")
TEST = re.compile(r"^\s*TEST(?:_P|_F)?\(\s*(\w+)\s*,\s*(\w+)\s*\)", re.M)
# The IDs may be split over adjacent string literals, as clang-format wraps
# them: REQUIREMENT("UI-001 UI-002 "
#                   "UI-003").
REQUIREMENTS = re.compile(
    r'(?:REQUIREMENT\(|RecordProperty\(\s*"requirements"\s*,)\s*'
    r'((?:"[^"]*"\s*)+)')
LITERAL = re.compile(r'"([^"]*)"')
TEST_NAME = re.compile(r"\b([A-Z]\w*)\.([A-Z]\w*)\b")
# certify's requirement lists, and its observations.
CERTIFY_LIST = re.compile(r'\{\s*"' + ID + r'"(?:\s*,\s*"' + ID + r'")*\s*\}')
CERTIFY_PUSH = re.compile(r'\.push_back\(\s*"' + ID + r'"\s*\)')
OBSERVED = re.compile(r'\bObserved\(\s*"(' + ID + r')"\s*\)')
UNSCOPED = []  # filled by parse_tests


def parse_spec(path, records=None):
    """Returns {id: (line, tests cell)} and errors; fills `records` (a list)
    with one dict per row when given."""
    rows = {}
    errors = []
    area = ""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.startswith("## "):
                area = line[3:].strip()
            m = ROW.match(line.rstrip("\n"))
            if not m:
                continue
            requirement = m.group(1)
            cells = [c.strip() for c in m.group(2).split("|")]
            tests_cell = cells[-1] if cells else ""
            if requirement in rows:
                errors.append(f"{path}:{number}: {requirement} is defined twice")
            rows[requirement] = (number, tests_cell)
            if records is not None:
                lowered = tests_cell.lower()
                deferred = (tests_cell if lowered.startswith("out of scope") or
                            lowered.startswith("pending #") else None)
                records.append({
                    "id": requirement,
                    "level": cells[0] if cells else "",
                    "text": cells[1] if len(cells) > 1 else "",
                    "area": area,
                    "tests": [] if deferred else
                             [f"{a}.{b}" for a, b in TEST_NAME.findall(tests_cell)],
                    "deferred": deferred,
                })
    return rows, errors


def parse_tests(paths):
    tests = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        matches = list(TEST.finditer(text))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            body = text[m.end():end]
            ids = set()
            for r in REQUIREMENTS.finditer(body):
                ids.update("".join(LITERAL.findall(r.group(1))).split())
            name = f"{m.group(1)}.{m.group(2)}"
            line = text.count("\n", 0, m.start()) + 1
            tests.setdefault(name, []).append((path, line, ids))
            if path.endswith("_contract.cc") and len(ids) > 1:
                # Every requirement of a contract test that checks several
                # needs a detector of its own: an ID literal outside the
                # REQUIREMENT line (a CHECKS scope, NOT_APPLICABLE, or a
                # table of cases that feeds CHECKS).
                rest = REQUIREMENTS.sub("", body)
                for requirement in sorted(ids):
                    if f'"{requirement}"' not in rest:
                        UNSCOPED.append(
                            f"{path}:{line}: {name} declares {requirement} "
                            "but no check of it (CHECKS(\"" + requirement +
                            "\") or NOT_APPLICABLE)")
    return tests


def check_certify(path):
    """Errors for the requirements certify lists but never observes."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    observed = set(OBSERVED.findall(text))
    errors = []
    reported = set()
    lists = sorted(list(CERTIFY_LIST.finditer(text)) +
                   list(CERTIFY_PUSH.finditer(text)), key=lambda m: m.start())
    for m in lists:
        for requirement in re.findall(ID, m.group(0)):
            if requirement in observed or requirement in reported:
                continue
            reported.add(requirement)
            line = text.count("\n", 0, m.start()) + 1
            errors.append(f"{path}:{line}: certify checks {requirement} but "
                          "nothing in it observes it (no "
                          f'Observed("{requirement}"))')
    return errors


def write_json(out_path, spec_path):
    records = []
    _, errors = parse_spec(spec_path, records)
    for error in errors:
        print("FAIL " + error, file=sys.stderr)
    if errors or not records:
        return 1
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(records, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "--json":
        return write_json(argv[2], argv[3])
    args = argv[1:]
    certify = []
    while len(args) >= 2 and args[0] == "--certify":
        certify.append(args[1])
        args = args[2:]
    if len(args) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    spec_path, sources = args[0], args[1:]
    rows, errors = parse_spec(spec_path)
    if not rows:
        errors.append(f"{spec_path}: no requirement rows found")
    tests = parse_tests(sources)
    errors.extend(UNSCOPED)
    for path in certify:
        errors.extend(check_certify(path))
    deferred = []
    traced_tests = set()
    for requirement, (number, cell) in sorted(rows.items()):
        where = f"{spec_path}:{number}"
        lowered = cell.lower()
        if lowered.startswith("out of scope") or lowered.startswith("pending #"):
            deferred.append(f"{requirement}: {cell}")
            continue
        named = TEST_NAME.findall(cell)
        if not named:
            errors.append(f"{where}: {requirement} has no test")
            continue
        for suite, test in named:
            name = f"{suite}.{test}"
            if name not in tests:
                errors.append(f"{where}: {requirement} names {name}, "
                              "which does not exist")
                continue
            traced_tests.add(name)
            if not any(requirement in ids for _, _, ids in tests[name]):
                path, line, ids = tests[name][0]
                errors.append(
                    f"{path}:{line}: {name} is named for {requirement} in "
                    f"SPEC.md but its REQUIREMENT line says "
                    f"{' '.join(sorted(ids)) or 'nothing'}")
    for name, places in sorted(tests.items()):
        for path, line, ids in places:
            for requirement in sorted(ids):
                if requirement not in rows:
                    errors.append(f"{path}:{line}: {name} names "
                                  f"{requirement}, which SPEC.md does not "
                                  "define")
    for error in errors:
        print("FAIL " + error)
    for item in deferred:
        print("DEFERRED " + item)
    checked = len(rows) - len(deferred)
    print(f"{len(rows)} requirements ({checked} with tests, {len(deferred)} "
          f"out of scope or pending), {len(tests)} tests read, "
          f"{len(traced_tests)} named in SPEC.md: "
          f"{'FAILED' if errors else 'OK'} ({len(errors)} problems)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
