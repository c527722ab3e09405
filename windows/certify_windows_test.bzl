"""certify_windows on one bundled handler DLL, checking its verdict exactly."""

def certify_windows_test(name, dll, clsid, expect, flags = [], data = []):
    """One wine-tagged test of windows/certify_windows_test.sh.

    Args:
      name: the test's name.
      dll: the handler DLL's target (a genrule of this package).
      clsid: the handler's CLSID, {...}.
      expect: what the test checks (see certify_windows_test.sh): e.g.
        "pass:Apartment", "crash:crash_handler.dll", "items:Apartment".
      flags: more flags for certify_windows.
      data: the files those flags name.
    """
    native.sh_test(
        name = name,
        size = "large",
        srcs = ["certify_windows_test.sh"],
        args = [
            "$(rootpath certify_windows.sh)",
            "$(rootpath :certify_exe)",
            "$(rootpath :mobsync_dll)",
            "$(rootpath //conformance:spec.json)",
            "$(rootpath wine_prefix.sh)",
            "$(rootpath %s)" % dll,
            clsid,
            expect,
        ] + flags,
        data = [
            "certify_windows.sh",
            "wine_prefix.sh",
            ":certify_exe",
            ":mobsync_dll",
            "//conformance:spec.json",
            dll,
        ] + data,
        env_inherit = ["SYNCMGR_REQUIRE_WINE"],
        tags = ["wine"],
    )
