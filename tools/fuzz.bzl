"""syncmgr_fuzz_test(): a libFuzzer target that is also an ordinary test.

Named like rules_fuzzing's cc_fuzz_test (which cannot be fetched offline):

    <name>       cc_test: replays corpus/<name>/ and fuzz/regressions/<name>/
                 through fuzz/replay_main.cc (no libFuzzer). Builds with gcc
                 (default), --config=asan and --config=fuzz.
    <name>_lib   the target's code (alwayslink cc_library)
    <name>_bin   the libFuzzer binary (-fsanitize=fuzzer); tagged manual,
                 build it with --config=fuzz or --config=fuzz-nosan.
    <name>_run   runs <name>_bin on a scratch copy of the corpus with the
                 target's dictionary and options; tagged manual.
                 `bazel run --config=fuzz //fuzz:<name>_run -- -max_total_time=60`

Every target is compiled with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION,
also in its replay test, so that a replayed input behaves exactly as it did
under the fuzzer (short completion timeouts).

Example (fuzz/BUILD.bazel):

    load("//tools:fuzz.bzl", "syncmgr_fuzz_test")

    syncmgr_fuzz_test(
        name = "update_items_fuzzer",
        srcs = ["update_items_fuzzer.cc"],
        deps = [":fuzz_support"],
    )

The corpus is the filegroup //corpus:<name> (corpus/<name>/), the
dictionary //corpus:<name>.dict, and the options file, if the target has
one, //corpus:<name>.options.

syncmgr_differential_tests(): the differential fuzzer's replay binary
against every subject of conformance/known_bad.bzl, as ordinary tests
(fuzz/differential_subject_test.sh checks what it reports).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

_FUZZ_COPTS = ["-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"]

def syncmgr_fuzz_test(
        name,
        srcs,
        deps = [],
        data = [],
        env = {},
        has_options = False,
        size = "small",
        timeout = None,
        **kwargs):
    """Defines <name>, <name>_lib, <name>_bin and <name>_run.

    Args:
      name: the target, named after its source file (`<what>_fuzzer`).
      srcs: the sources; one of them defines LLVMFuzzerTestOneInput.
      deps: libraries the target needs (FuzzedDataProvider is added).
      data: runtime files (plug-ins) of the replay test and the fuzzer.
      env: environment of the replay test.
      has_options: corpus/<name>.options exists (libFuzzer flags).
      size: the replay test's size.
      timeout: the replay test's timeout.
      **kwargs: passed to every rule (visibility, testonly, ...).
    """
    corpus = "//corpus:" + name
    dictionary = "//corpus:%s.dict" % name
    regressions = native.glob(["regressions/%s/**" % name])
    options = ["//corpus:%s.options" % name] if has_options else []

    cc_library(
        name = name + "_lib",
        srcs = srcs,
        copts = _FUZZ_COPTS,
        deps = deps + ["@libfuzzer_headers//:fuzzed_data_provider"],
        alwayslink = True,
        **kwargs
    )

    cc_test(
        name = name,
        size = size,
        timeout = timeout,
        args = [
            "--allow-missing",
            "corpus/" + name,
            "%s/regressions/%s" % (native.package_name(), name),
        ],
        data = [corpus] + regressions + data,
        env = env,
        deps = [
            ":" + name + "_lib",
            "//fuzz:replay_main",
        ],
        **kwargs
    )

    cc_binary(
        name = name + "_bin",
        linkopts = ["-fsanitize=fuzzer"],
        data = data,
        tags = ["manual"],
        deps = [":" + name + "_lib"],
        **kwargs
    )

    native.sh_binary(
        name = name + "_run",
        srcs = ["//fuzz:run_fuzzer.sh"],
        args = [
            "$(rootpath :%s_bin)" % name,
            "corpus/" + name,
            "$(rootpath %s)" % dictionary,
        ] + ["$(rootpath %s)" % o for o in options],
        data = [
            ":" + name + "_bin",
            corpus,
            dictionary,
        ] + options + data,
        tags = ["manual"],
        **kwargs
    )

def syncmgr_differential_tests(name, fuzzer, subjects, mutations, seed = 1):
    """Defines <name>_<subject>_<profile>_test per run.

    Each test runs the replay binary of `fuzzer` (its corpus and
    regressions, then `mutations` seeded mutations) against the subject's
    plug-in, with the subject's environment. A subject whose `documented`
    list is not empty must be found, in the documented profile, under one
    of those requirements. One whose list is empty must run without a
    finding in the documented profile, its reference profile summary
    naming one of its `ours` requirements, and must be found under one of
    them in the strict profile. A subject with a `no_differential` reason
    (inputs of the fuzzer never reach its bug) gets no test.

    Args:
      name: the tests' prefix.
      fuzzer: the syncmgr_fuzz_test target whose replay binary runs.
      subjects: conformance/known_bad.bzl's SUBJECTS.
      mutations: mutated inputs per run, after the corpus.
      seed: the mutations' seed.
    """
    for subject_name, subject in subjects.items():
        if subject.get("no_differential"):
            continue
        if subject["documented"]:
            runs = [("documented", "documented", subject["documented"])]
        else:
            runs = [
                ("documented", "none", subject["ours"]),
                ("strict", "reference", subject["ours"]),
            ]
        for profile, expect, ids in runs:
            native.sh_test(
                name = "%s_%s_%s_test" % (name, subject_name, profile),
                size = "medium",
                srcs = ["//fuzz:differential_subject_test.sh"],
                args = [
                    "$(rootpath :%s)" % fuzzer,
                    "$(rootpath %s)" % subject["target"],
                    "profile=" + profile,
                    "expect=" + expect,
                    "ids=" + ",".join(ids),
                    "mutations=%d" % mutations,
                    "seed=%d" % seed,
                ],
                data = [
                    ":" + fuzzer,
                    subject["target"],
                ],
                env = subject["env"],
            )
