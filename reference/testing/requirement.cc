#include "reference/testing/requirement.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

namespace syncmgr::testing {
namespace {

std::mutex& Mutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

// The current test's declared requirements (guarded by Mutex()).
std::vector<std::string>& Declared() {
  static auto* declared = new std::vector<std::string>();
  return *declared;
}

// One JSON line to the events file, if there is one. Flushed at once: the
// process may crash or be killed right after.
void Emit(const nlohmann::json& event) {
  static std::FILE* const file = [] {
    const char* path = std::getenv("SYNCMGR_REQUIREMENT_EVENTS");
    return path != nullptr && *path != '\0' ? std::fopen(path, "a") : nullptr;
  }();
  if (file == nullptr) return;
  const std::string line =
      event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";
  std::lock_guard lock(Mutex());
  std::fwrite(line.data(), 1, line.size(), file);
  std::fflush(file);
}

constexpr char kTagPrefix[] = "[requirement ";
constexpr char kTraceHeader[] = "Google Test trace:";

// The requirement of the innermost CHECKS scope in a failure's message
// (GoogleTest lists the traces innermost first), or "".
std::string ScopedRequirement(const std::string& message) {
  const size_t trace = message.find(kTraceHeader);
  if (trace == std::string::npos) return "";
  const size_t tag = message.find(kTagPrefix, trace);
  if (tag == std::string::npos) return "";
  const size_t begin = tag + sizeof kTagPrefix - 1;
  const size_t end = message.find(']', begin);
  if (end == std::string::npos) return "";
  return message.substr(begin, end - begin);
}

class Listener : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo& info) override {
    {
      std::lock_guard lock(Mutex());
      Declared().clear();
    }
    Emit({{"event", "start"},
          {"test", std::string(info.test_suite_name()) + "." + info.name()}});
  }

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    const std::string message = result.message();
    std::string text = message.substr(0, message.find(kTraceHeader));
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (result.file_name() != nullptr) {
      text = std::string(result.file_name()) + ":" +
             std::to_string(result.line_number()) + ": " + text;
    }
    if (result.skipped()) {
      Emit({{"event", "skip"}, {"message", text}});
      return;
    }
    if (!result.failed()) return;
    std::string id = ScopedRequirement(message);
    bool scoped = !id.empty();
    if (!scoped) {
      std::lock_guard lock(Mutex());
      if (!Declared().empty()) id = Declared().front();
    }
    Emit({{"event", "failure"},
          {"requirement", id},
          {"scoped", scoped},
          {"fatal", result.fatally_failed()},
          {"message", text}});
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    Emit({{"event", "end"}, {"passed", info.result()->Passed()}});
  }
};

}  // namespace

void DeclareRequirements(const char* ids) {
  std::vector<std::string> list;
  std::istringstream words(ids);
  for (std::string id; words >> id;) list.push_back(id);
  {
    std::lock_guard lock(Mutex());
    Declared() = list;
  }
  Emit({{"event", "declare"}, {"requirements", list}});
}

void RequirementNotApplicable(const char* id, const std::string& reason) {
  Emit({{"event", "not_applicable"}, {"requirement", id}, {"reason", reason}});
}

void RequirementNotObserved(const char* id, const std::string& reason) {
  Emit({{"event", "not_observed"}, {"requirement", id}, {"reason", reason}});
}

void RecordWaitedOut(const std::string& what) {
  Emit({{"event", "waited_out"}, {"message", what}});
}

std::string RequirementTraceTag(const std::string& id) {
  return kTagPrefix + id + "]";
}

RequirementScope::RequirementScope(const char* file, int line, const char* id)
    : trace_(file, line, RequirementTraceTag(id)), id_(id) {
  Emit({{"event", "checking"}, {"requirement", id_}});
}

RequirementScope::~RequirementScope() {
  Emit({{"event", "checked"}, {"requirement", id_}});
}

void InstallRequirementListener() {
  ::testing::UnitTest::GetInstance()->listeners().Append(new Listener());
}

}  // namespace syncmgr::testing
