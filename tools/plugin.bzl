"""syncmgr_plugin(): an in-proc server (plug-in) as a Linux shared object.

A plug-in exports only the entry points of the plug-in contract
(DllGetClassObject, DllCanUnloadNow, DllRegisterServer, DllUnregisterServer;
tools/plugin.lds) and calls the COM runtime's Co* functions by name, leaving
them undefined: the host that dlopen()s it provides them
(//reference/com:com, linked with -rdynamic). It is compiled with hidden
visibility, so that the header-only code it shares with the host
(//reference/com:object's module counters, for one) stays its own.

Example (BUILD.bazel):

    load("//tools:plugin.bzl", "syncmgr_plugin")

    syncmgr_plugin(
        name = "handler",  # builds handler.so, as the target :handler.so
        srcs = ["handler.cc"],
        deps = [
            "//reference/com:com_api",
            "//reference/com:object",
            "//reference/mobsync",
        ],
    )

    cc_test(
        name = "handler_test",
        args = ["$(rootpath :handler.so)"],
        data = [":handler.so"],
        ...
    )
"""

load("@rules_cc//cc:defs.bzl", "cc_binary")

# The COM runtime itself: a plug-in must leave its functions undefined, to be
# resolved to the host's single copy (one task allocator, one registry).
_HOST_ONLY_DEPS = [
    "//reference/com",
    "//reference/com:com",
    "@//reference/com",
    "@//reference/com:com",
]

_VERSION_SCRIPT = "//tools:plugin.lds"

def syncmgr_plugin(name, srcs, deps = [], copts = [], linkopts = [], **kwargs):
    """Builds the plug-in `name + ".so"` (a cc_binary with linkshared = True).

    Args:
      name: the shared object is `name + ".so"`, also the target's name.
      srcs: the plug-in's sources; they define the entry points.
      deps: header-only libraries (//reference/com:object,
        //reference/com:com_api, //reference/mobsync, ...). Never
        //reference/com:com.
      copts: added after -fvisibility=hidden -fvisibility-inlines-hidden.
      linkopts: added after the version script.
      **kwargs: passed to cc_binary (testonly, visibility, tags, ...).
    """
    for dep in deps:
        if dep in _HOST_ONLY_DEPS:
            fail("syncmgr_plugin(%s): %s is the host's COM runtime; a plug-in " % (name, dep) +
                 "must leave the Co* functions undefined. Depend on " +
                 "//reference/com:com_api (declarations) instead.")
    cc_binary(
        name = name + ".so",
        srcs = srcs,
        deps = deps,
        copts = [
            "-fvisibility=hidden",
            "-fvisibility-inlines-hidden",
        ] + copts,
        linkopts = [
            "-Wl,--version-script=$(location %s)" % _VERSION_SCRIPT,
        ] + linkopts,
        additional_linker_inputs = [_VERSION_SCRIPT],
        linkshared = True,
        **kwargs
    )
