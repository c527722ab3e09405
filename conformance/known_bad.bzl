"""The known-bad implementations of conformance/testdata.

Each is the reference built with one deliberate contract violation (a Fault
bit of reference/sync_manager.h). `fails` lists every requirement the
conformance suite must report as failed against it: the requirements of the
tests that observe the violation. The suite passing one of them, or failing
anything else, fails //conformance:known_bad_<name>_test. `timed_out` lists
tests that must be reported as timed out (killed at the time limit) rather
than failed.
"""

KNOWN_BAD_IMPLEMENTATIONS = {
    # Hands Initialize the caller's buffer instead of a copy (UI-108). Under
    # AddressSanitizer the freed buffer's reads become crashes in other
    # tests (a nested request's cookie on a returned stack frame), so the
    # exact list holds only without it: tagged no_asan.
    "keeps_cookie_pointer": {
        "faults": "1",
        "tags": ["no_asan"],
        "fails": [
            "UI-007",
            "UI-008",
            "UI-108",
        ],
    },
    # Accepts dwInvokeFlags bits outside 0x6 (UI-105).
    "accepts_unknown_flags": {
        "faults": "2",
        "fails": [
            "UI-105",
            "UI-113",
        ],
    },
    # Returns S_OK for an unregistered CLSID (UI-002, UI-109).
    "accepts_unregistered_clsid": {
        "faults": "4",
        "fails": [
            "UI-002",
            "UI-109",
            "UI-113",
            "REG-006",
            "REG-102",
        ],
    },
    # Initializes handlers with SYNCMGRFLAG_MANUAL instead of INVOKE (UI-009).
    "wrong_event_code": {
        "faults": "8",
        "fails": [
            "UI-009",
            "UI-114",
            "HS-002",
        ],
    },
    # Never releases the handler (COM-003, UI-118). Every test that runs a
    # session waits for the handler's final Release, so every requirement
    # checked through a completed session fails with it; only the
    # requirements of rejected calls (no handler created) still pass.
    "leaks_handler": {
        "faults": "16",
        "fails": [
            "UI-001",
            "UI-003",
            "UI-004",
            "UI-006",
            "UI-007",
            "UI-008",
            "UI-009",
            "UI-010",
            "UI-011",
            "UI-012",
            "UI-015",
            "UI-102",
            "UI-104",
            "UI-107",
            "UI-108",
            "UI-111",
            "UI-112",
            "UI-114",
            "UI-115",
            "UI-116",
            "UI-117",
            "UI-118",
            "UA-001",
            "UA-002",
            "UA-003",
            "UA-101",
            "REG-006",
            "REG-102",
            "HS-001",
            "HS-002",
            "HS-010",
            "HS-011",
            "HS-012",
            "HS-013",
            "HS-014",
            "HS-015",
            "HS-016",
            "HS-024",
            "HS-025",
            "HS-101",
            "HS-102",
            "HS-108",
            "HS-111",
            "HS-112",
            "CB-001",
            "CB-004",
            "CB-005",
            "CB-008",
            "CB-009",
            "CB-011",
            "CB-013",
            "CB-014",
            "CB-015",
            "CB-101",
            "CB-102",
            "CB-104",
            "CB-105",
            "CB-106",
            "CB-107",
            "ST-001",
            "ST-004",
            "COM-003",
            "COM-006",
        ],
    },
    # Releases the handler without SetProgressCallback(NULL) (HS-010): fails
    # every test whose handler expects that call before its release (the
    # call-order test and its requirements, the refused-prepare and
    # timed-out sessions, the many-callers test).
    "no_callback_reset": {
        "faults": "32",
        "fails": [
            "UI-004",
            "UI-115",
            "UI-117",
            "UI-118",
            "HS-010",
            "HS-011",
            "HS-013",
            "HS-016",
            "HS-024",
            "HS-101",
            "HS-102",
            "HS-112",
            "CB-104",
            "ST-001",
        ],
    },
    # Calls Synchronize without waiting for PrepareForSyncCompleted (HS-015).
    "skips_prepare_wait": {
        "faults": "64",
        "fails": [
            "HS-012",
            "HS-015",
            "HS-025",
            "CB-001",
            "CB-104",
        ],
    },
    # UpdateAll never returns (UA-003): its tests hang, are killed at the
    # time limit and reported as timed out, and the run goes on.
    "hangs_in_update_all": {
        "faults": "128",
        "fails": [
            "UA-001",
            "UA-002",
            "UA-003",
            "UA-101",
            "UI-010",
        ],
        "timed_out": [
            "UpdateAllContract.NothingRegisteredStillSucceeds",
            "UpdateAllContract.OneSessionPerRegisteredHandlerWithoutCookie",
            "UpdateAllContract.ReturnsBeforeTheSessionsRun",
        ],
    },
}
