"""The subjects the conformance suite is proven on, and what it must report.

KNOWN_BAD_IMPLEMENTATIONS: the known-bad implementations of
conformance/testdata, each the reference built with one deliberate
violation (a Fault bit of reference/sync_manager.h).

OUTSIDE_MANAGER_BUGS: known-bad variants of the second opinion
conformance/testdata/outside_manager, each built with one bug switched on by
the preprocessor define `define` (outside_manager.cc lists them), for rules
the reference cannot be made to break without a test knob.

SECOND_OPINIONS: correct implementations written apart from the reference,
which decide the points Microsoft's pages leave open differently.

For each, `documented` lists exactly the requirements of the documented
contract (MUST/SHOULD) the suite must report as failed, and `ours` exactly
the requirements of the reference profile (OURS, this project's decisions)
it must report as failed; anything else failing, or one of them passing,
fails //conformance:conformance_<name>_test. The verdict (and exit status)
must be FAIL exactly when `documented` is not empty. `timed_out` lists tests
that must be reported as timed out (killed at the time limit).
`no_differential`, when present, says why the differential fuzzer
(//fuzz:differential_*, tools/fuzz.bzl) is not run on the subject: its
inputs never reach the subject's bug.
"""

KNOWN_BAD_IMPLEMENTATIONS = {
    # Hands Initialize the caller's buffer instead of a copy. The handler
    # still gets the right bytes in Initialize (UI-008 holds); only our
    # decision that the copy stays valid until the handler's release breaks.
    # Under AddressSanitizer the freed buffer's reads become crashes in other
    # tests, so the exact lists hold only without it: tagged no_asan.
    "keeps_cookie_pointer": {
        "faults": "1",
        "tags": ["no_asan"],
        "documented": [],
        "ours": ["UI-108"],
    },
    # Accepts dwInvokeFlags bits outside 0x6: only our decision (UI-105)
    # forbids that.
    "accepts_unknown_flags": {
        "faults": "2",
        "documented": [],
        "ours": [
            "UI-105",
            "UI-113",
        ],
    },
    # Returns S_OK for an unregistered CLSID without running anything: our
    # error code decisions break, the documented rule (UI-002) holds.
    "accepts_unregistered_clsid": {
        "faults": "4",
        "documented": [],
        "ours": [
            "UI-109",
            "UI-113",
            "REG-102",
        ],
    },
    # Initializes handlers with SYNCMGRFLAG_MANUAL instead of INVOKE: a
    # cookie with a non-INVOKE event (UI-009); UpdateAll's sessions are
    # MANUAL too (UA-101).
    "wrong_event_code": {
        "faults": "8",
        "documented": ["UI-009"],
        "ours": ["UA-101"],
    },
    # Never releases the handler: every object released in the end (COM-003)
    # breaks, and nothing else; what needed a session to end is not run.
    "leaks_handler": {
        "faults": "16",
        "documented": ["COM-003"],
        "ours": [],
    },
    # Releases the handler without SetProgressCallback(NULL) (HS-010); ours:
    # the call order (HS-101).
    "no_callback_reset": {
        "faults": "32",
        "documented": ["HS-010"],
        "ours": ["HS-101"],
    },
    # Calls Synchronize without waiting for PrepareForSyncCompleted (HS-015).
    "skips_prepare_wait": {
        "faults": "64",
        "documented": ["HS-015"],
        "ours": [],
    },
    # UpdateAll never returns (UA-003): its tests hang, are killed at the
    # time limit and reported as timed out, and the run goes on.
    "hangs_in_update_all": {
        "faults": "128",
        "documented": ["UA-003"],
        "ours": [],
        "timed_out": [
            "UpdateAllContract.NothingRegisteredStillSucceeds",
            "UpdateAllContract.OneSessionPerRegisteredHandlerWithoutCookie",
            "UpdateAllContract.ReturnsBeforeTheSessionsRun",
        ],
    },
    # Calls SetItemStatus(SKIPPED) after SynchronizeCompleted, when no window
    # is open (HS-019); ours: a call the specified order does not have.
    "set_item_status_outside_windows": {
        "faults": "256",
        "documented": ["HS-019"],
        "ours": ["HS-101"],
    },
    # Reads one byte past the cookie (UI-015): the suite's guarded cookie
    # makes that a crash inside the check. Under AddressSanitizer the read
    # is reported in other tests too: tagged no_asan.
    "reads_past_cookie": {
        "faults": "512",
        "tags": ["no_asan"],
        "documented": ["UI-015"],
        "ours": [],
    },
}

# The OURS decisions conformance/testdata/outside_manager takes otherwise:
# what the suite must report in the reference profile for it and for each of
# its known-bad variants (whose bugs break documented rules only).
_OUTSIDE_MANAGER_OURS = [
    "UI-101",
    "UI-103",
    "UI-105",
    "UI-107",
    "UI-109",
    "UI-113",
    "UI-115",
    "REG-101",
    "REG-102",
    "REG-103",
    "REG-106",
    "HS-111",
    "CB-102",
    "CB-105",
    "CB-106",
    "CB-107",
]

# Of those, the ones only a session that ran to its end shows: not run
# when the variant's sessions never start or never end.
_SEEN_IN_A_SESSION = ["HS-111", "CB-102", "CB-105", "CB-106", "CB-107"]

SECOND_OPINIONS = {
    # conformance/testdata/outside_manager: asynchronous UpdateItems, lenient
    # arguments, E_FAIL for unknown CLSIDs, parallel sessions of one handler,
    # ISyncMgrRegister on an object of its own. Correct by the documentation:
    # it must pass the documented contract and differ exactly in these OURS
    # decisions.
    "outside_manager": {
        "target": "//conformance/testdata/outside_manager:outside_manager.so",
        "env": {"OUTSIDE_MANAGER_TIMEOUT_MS": "1000"},
        "documented": [],
        "ours": _OUTSIDE_MANAGER_OURS,
    },
}

# The outside manager never calls ShowError (it has no user interface), so
# no variant of it can break HS-022, CB-006 or CB-007: the suite reports
# those "not run" for it.
OUTSIDE_MANAGER_BUGS = {
    # An UpdateItems session whose Initialize fails asks the same handler
    # object again (HS-003: once per object).
    "outside_manager_initialize_twice": {
        "define": "SYNCMGR_BUG_INITIALIZE_TWICE",
        "documented": ["HS-003"],
        "ours": _OUTSIDE_MANAGER_OURS,
    },
    # EnumSyncMgrItems' S_SYNCMGR_MISSINGITEMS (a success code) ends the
    # session like an error: nothing is synchronized (HS-007).
    "outside_manager_missing_items_is_failure": {
        "define": "SYNCMGR_BUG_MISSING_ITEMS_IS_FAILURE",
        "documented": ["HS-007"],
        "ours": _OUTSIDE_MANAGER_OURS,
        "no_differential": "the differential fuzzer's handler never returns S_SYNCMGR_MISSINGITEMS",
    },
    # The entries a failing ISyncMgrEnumItems::Next hands back are
    # synchronized, although after an error none is valid (EN-001).
    "outside_manager_uses_failed_next_items": {
        "define": "SYNCMGR_BUG_USES_FAILED_NEXT_ITEMS",
        "documented": ["EN-001"],
        "ours": _OUTSIDE_MANAGER_OURS,
        "no_differential": "the differential fuzzer's enumerator never hands back entries with an error",
    },
    # UpdateItems answers S_OK and starts nothing (UI-001): every test that
    # waits for a session fails UI-001 alone, and what it would have checked
    # next is not run: of outside_manager's OURS differences, those seen in
    # a session (UI-115, HS-111, CB-1xx) are not run.
    "outside_manager_never_starts": {
        "define": "SYNCMGR_BUG_NEVER_STARTS",
        "documented": ["UI-001"],
        "ours": [
            id
            for id in _OUTSIDE_MANAGER_OURS
            if id not in _SEEN_IN_A_SESSION + ["UI-115"]
        ],
    },
    # The handler is never released when its session ends (COM-003). The
    # tests stop at the session that never ends, so the OURS differences
    # seen after it (HS-111, CB-1xx) are not run.
    "outside_manager_never_releases": {
        "define": "SYNCMGR_BUG_NEVER_RELEASES",
        "documented": ["COM-003"],
        "ours": [id for id in _OUTSIDE_MANAGER_OURS if id not in _SEEN_IN_A_SESSION],
    },
    # The handler's SYNCMGRHANDLERINFO is never freed (HS-006).
    "outside_manager_leaks_handler_info": {
        "define": "SYNCMGR_BUG_LEAKS_HANDLER_INFO",
        "documented": ["HS-006"],
        "ours": _OUTSIDE_MANAGER_OURS,
    },
    # Initialize gets one cookie byte less than the caller gave (UI-006).
    "outside_manager_truncates_cookie": {
        "define": "SYNCMGR_BUG_TRUNCATES_COOKIE",
        "documented": ["UI-006"],
        "ours": _OUTSIDE_MANAGER_OURS,
    },
    # Progress answers S_FALSE (CB-009).
    "outside_manager_progress_answers_s_false": {
        "define": "SYNCMGR_BUG_PROGRESS_ANSWERS_S_FALSE",
        "documented": ["CB-009"],
        "ours": _OUTSIDE_MANAGER_OURS,
    },
    # LogError answers E_FAIL and logs nothing (CB-011).
    "outside_manager_log_error_fails": {
        "define": "SYNCMGR_BUG_LOG_ERROR_FAILS",
        "documented": ["CB-011"],
        "ours": _OUTSIDE_MANAGER_OURS,
    },
}

def _subjects():
    """Every subject, with its plug-in target and test environment."""
    subjects = {}
    for name, subject in dict(KNOWN_BAD_IMPLEMENTATIONS, **SECOND_OPINIONS).items():
        s = dict(subject)
        s["target"] = subject.get("target", "//conformance/testdata:%s.so" % name)
        s["env"] = dict({"SYNCMGR_REFERENCE_TIMEOUT_MS": "1000"}, **subject.get("env", {}))
        subjects[name] = s
    for name, subject in OUTSIDE_MANAGER_BUGS.items():
        s = dict(subject)
        s["target"] = "//conformance/testdata/outside_manager:%s.so" % name
        s["env"] = dict(SECOND_OPINIONS["outside_manager"]["env"])
        subjects[name] = s
    return subjects

SUBJECTS = _subjects()
