#include "reference/com/testdata/test_support.h"

#include <map>
#include <mutex>
#include <string_view>

namespace syncmgr::com::testing {
namespace {

std::mutex g_mutex;
std::map<std::string, std::string>& Paths() {
  static auto* const paths = new std::map<std::string, std::string>;
  return *paths;
}

}  // namespace

void SetPluginPathsFromArgs(int argc, char** argv) {
  constexpr std::string_view kFlag = "--plugin=";
  std::lock_guard<std::mutex> lock(g_mutex);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kFlag.size()) != kFlag) continue;
    const std::string_view value = arg.substr(kFlag.size());
    const size_t equals = value.find('=');
    if (equals == std::string_view::npos) continue;
    Paths()[std::string(value.substr(0, equals))] =
        std::string(value.substr(equals + 1));
  }
}

std::string PluginPath(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const auto it = Paths().find(name);
  return it == Paths().end() ? std::string() : it->second;
}

}  // namespace syncmgr::com::testing
