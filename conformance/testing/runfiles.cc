#include "conformance/testing/runfiles.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "conformance/report/child_process.h"

namespace syncmgr::conformance {

std::string Runfile(const std::string& path, const std::string& argv0) {
  namespace fs = std::filesystem;
  constexpr const char* kWorkspace = "syncmgr_conformance";
  std::vector<fs::path> roots;
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(var))
      roots.push_back(fs::path(dir) / kWorkspace);
  }
  const std::string self = SelfPath();
  for (const std::string& program : {self, argv0}) {
    if (!program.empty()) {
      roots.push_back(fs::path(program + ".runfiles") / kWorkspace);
    }
  }
  roots.push_back(fs::current_path());
  for (const fs::path& root : roots) {
    std::error_code ec;
    const fs::path candidate = root / path;
    if (fs::exists(candidate, ec)) return fs::absolute(candidate, ec).string();
  }
  return "";
}

std::string UserPath(const std::string& path) {
  namespace fs = std::filesystem;
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || dir == nullptr || *dir == '\0' ||
      fs::path(path).is_absolute()) {
    return path;
  }
  return (fs::path(dir) / path).string();
}

}  // namespace syncmgr::conformance
