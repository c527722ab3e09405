// File: conformance/report/child_process.h
//
// Runs a program in a child process with a time limit, so that a test or a
// handler that crashes, aborts or hangs costs one failed check, never the
// whole run. The child gets its own process group; on timeout the whole
// group is killed. Children die with the program that started them. On
// Linux the first RunChild installs SIGINT, SIGTERM and SIGHUP handlers
// (unless the signal is ignored) that kill every running child's group
// before the signal takes its previous course, and the kernel kills each
// child when this program dies in any other way, SIGKILL included
// (PR_SET_PDEATHSIG). On Windows each child runs in a job object that is
// killed when this program's handle to it closes, at exit or termination.
//
// Example:
//   ChildResult r = RunChild({self, "--run_scenario=cookie_1"}, {},
//                            std::chrono::seconds(30));
//   if (r.timed_out) ...; else if (r.signal != 0) ...; else r.exit_code
#ifndef SYNCMGR_CONFORMANCE_REPORT_CHILD_PROCESS_H_
#define SYNCMGR_CONFORMANCE_REPORT_CHILD_PROCESS_H_

#include <chrono>
#include <string>
#include <vector>

namespace syncmgr::conformance {

struct ChildResult {
  bool started = false;    // false: fork/exec failed (see output)
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it
  bool timed_out = false;  // killed after the time limit
  std::string output;      // stdout and stderr, interleaved, truncated
  double seconds = 0;
  // "exited with 1", "killed by SIGSEGV", "timed out after 30 s", ...
  std::string Describe() const;
};

// `argv[0]` is the program path. `env` entries ("NAME=value") are added to
// the current environment, replacing variables of the same name. At most
// `max_output` bytes of output are kept (the rest is counted and dropped).
ChildResult RunChild(const std::vector<std::string>& argv,
                     const std::vector<std::string>& env,
                     std::chrono::milliseconds timeout,
                     size_t max_output = 1 << 20);

// The environment for children that load plug-ins: LeakSanitizer's
// exit-time check is turned off (its tracer cannot stop threads of
// dlopen()ed modules reliably), since the suite judges what plug-ins keep
// alive itself (COM-003, DllCanUnloadNow). Other sanitizer options are kept.
std::vector<std::string> PluginChildEnvironment();

// The path of the running program (/proc/self/exe).
std::string SelfPath();

}  // namespace syncmgr::conformance

#endif  // SYNCMGR_CONFORMANCE_REPORT_CHILD_PROCESS_H_
