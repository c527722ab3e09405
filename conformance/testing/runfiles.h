// File: conformance/testing/runfiles.h
//
// Finds a file the build bundles with a program (a Bazel data dependency),
// whether it runs under `bazel run`, `bazel test` or straight from bazel-bin.
//
// Example:
//   std::string so = syncmgr::conformance::Runfile(
//       "reference/syncmgr_reference.so", argv[0]);
#ifndef SYNCMGR_CONFORMANCE_TESTING_RUNFILES_H_
#define SYNCMGR_CONFORMANCE_TESTING_RUNFILES_H_

#include <string>

namespace syncmgr::conformance {

// `path` is relative to the workspace root. Returns an absolute path, or ""
// when the file is nowhere to be found.
std::string Runfile(const std::string& path, const std::string& argv0);

// A path the user typed on the command line. `bazel run` starts programs in
// their runfiles directory, so a relative path is taken from the directory
// the command was typed in (BUILD_WORKING_DIRECTORY) when that is set, and
// as it is otherwise.
std::string UserPath(const std::string& path);

}  // namespace syncmgr::conformance

#endif  // SYNCMGR_CONFORMANCE_TESTING_RUNFILES_H_
