"""Compares the Windows and Linux fidelity tables.

Usage: compare.py [--report] WINDOWS.txt OURS.txt EXPECTED_DIFFERENCES.txt

WINDOWS.txt and OURS.txt hold `name value` lines (fidelity_printer output).
EXPECTED_DIFFERENCES.txt holds `name windows_value our_value reason...` lines,
`-` standing for "name absent"; `#` starts a comment. Verdict per name:

  OK        same value on both sides
  EXPECTED  differs exactly as expected_differences.txt says
  MISMATCH  both sides have the name, with different values      (failure)
  MISSING   Windows has the name, ours does not                   (failure)
  EXTRA     ours has the name, Windows does not                   (failure)
  STALE     listed as a difference but no longer differs that way (failure)

Without --report only failures and expected differences are printed; with
it, the whole table side by side. The last line is the verdict. Exit status:
0 pass, 1 failures, 2 unreadable input.
"""

import sys

ABSENT = "-"
FAILURES = ("MISMATCH", "MISSING", "EXTRA", "STALE")


class InputError(Exception):
    pass


def read_table(path):
    """Returns {name: value} and the names in file order."""
    values, order = {}, []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                raise InputError(f"{path}:{number}: expected `name value`, "
                                 f"got {line!r}")
            name, value = parts
            if name in values:
                raise InputError(f"{path}:{number}: duplicate name {name}")
            values[name] = value
            order.append(name)
    return values, order


def read_expected(path):
    """Returns {name: (windows_value, our_value, reason)}."""
    expected = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split(None, 3)
            if len(parts) < 4:
                raise InputError(f"{path}:{number}: expected `name "
                                 f"windows_value our_value reason`, got "
                                 f"{line.strip()!r}")
            name, windows, ours, reason = parts
            if name in expected:
                raise InputError(f"{path}:{number}: duplicate name {name}")
            if windows == ours:
                raise InputError(f"{path}:{number}: {name}: the two values "
                                 "are equal; that is not a difference")
            expected[name] = (windows, ours, reason.strip())
    return expected


def classify(windows, ours, expected):
    """Returns [(name, windows_value, our_value, status, message)]."""
    _, windows_order = windows
    _, ours_order = ours
    windows, ours = windows[0], ours[0]
    # Windows' order, with each name only ours has placed after the name it
    # follows in our table, so the report keeps table order on both sides.
    names, last = list(windows_order), -1
    for name in ours_order:
        if name in windows:
            last = names.index(name)
        else:
            last += 1
            names.insert(last, name)
    names += [n for n in expected if n not in windows and n not in ours]
    rows = []
    for name in names:
        w = windows.get(name, ABSENT)
        o = ours.get(name, ABSENT)
        if name in expected:
            ew, eo, reason = expected[name]
            if (w, o) == (ew, eo):
                status, message = "EXPECTED", reason
            elif w == o:
                status = "STALE"
                message = (f"expected_differences.txt lists Windows {ew}, "
                           f"ours {eo}, but both are now {w}: delete the line")
            else:
                status = "MISMATCH"
                message = (f"Windows {w}, ours {o}; expected_differences.txt "
                           f"expects Windows {ew}, ours {eo}")
        elif w == o:
            status, message = "OK", ""
        elif o == ABSENT:
            status, message = "MISSING", f"Windows {w}, ours has no such name"
        elif w == ABSENT:
            status, message = "EXTRA", f"ours {o}, Windows has no such name"
        else:
            status, message = "MISMATCH", f"Windows {w}, ours {o}"
        rows.append((name, w, o, status, message))
    return rows


def main(argv):
    report = "--report" in argv
    paths = [a for a in argv if a != "--report"]
    if len(paths) != 3:
        sys.stderr.write(__doc__)
        return 2
    try:
        windows = read_table(paths[0])
        ours = read_table(paths[1])
        expected = read_expected(paths[2])
    except (OSError, InputError) as error:
        print(f"fidelity: ERROR: {error}")
        return 2
    rows = classify(windows, ours, expected)

    if report:
        width = max([len("name")] + [len(r[0]) for r in rows])
        vwidth = max([len("Windows")] + [len(r[1]) for r in rows] +
                     [len(r[2]) for r in rows])
        print(f"{'name':<{width}}  {'Windows':<{vwidth}}  "
              f"{'ours':<{vwidth}}  status")
        for name, w, o, status, message in rows:
            note = f"  {message}" if status != "OK" else ""
            print(f"{name:<{width}}  {w:<{vwidth}}  {o:<{vwidth}}  "
                  f"{status}{note}")
    else:  # Expected differences first, then failures, each in table order.
        for wanted in (("EXPECTED",), FAILURES):
            for name, w, o, status, message in rows:
                if status in wanted:
                    print(f"{status:<8} {name}: {message}")

    counts = {s: 0 for s in ("OK", "EXPECTED") + FAILURES}
    for row in rows:
        counts[row[3]] += 1
    failures = sum(counts[s] for s in FAILURES)
    summary = (f"{len(rows)} facts compared: {counts['OK']} identical, "
               f"{counts['EXPECTED']} expected differences")
    if failures:
        detail = ", ".join(f"{counts[s]} {s}" for s in FAILURES if counts[s])
        print(f"fidelity: FAIL: {summary}, {failures} failures ({detail})")
        return 1
    print(f"fidelity: PASS: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
