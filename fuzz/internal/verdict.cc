#include "fuzz/internal/verdict.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace syncmgr::fuzz {
namespace {

constexpr char kFlag[] = "--profile=";

Profile Parse(const char* value, const char* where) {
  if (std::strcmp(value, "documented") == 0) return Profile::kDocumented;
  if (std::strcmp(value, "strict") == 0) return Profile::kStrict;
  std::fprintf(stderr,
               "differential_fuzzer: %s is '%s'; expected 'documented' or "
               "'strict'\n",
               where, value);
  std::exit(2);
}

}  // namespace

Profile TakeProfile(int* argc, char*** argv) {
  const char* chosen = nullptr;
  int kept = 0;
  for (int i = 0; i < *argc; ++i) {
    char* arg = (*argv)[i];
    if (i > 0 && std::strncmp(arg, kFlag, sizeof kFlag - 1) == 0) {
      chosen = arg + sizeof kFlag - 1;
      continue;
    }
    (*argv)[kept++] = arg;
  }
  if (kept < *argc) (*argv)[kept] = nullptr;
  *argc = kept;
  if (chosen != nullptr) {
    const Profile profile = Parse(chosen, "--profile");
    setenv(kProfileVariable, chosen, 1);
    return profile;
  }
  const char* value = std::getenv(kProfileVariable);
  if (value == nullptr || *value == '\0') return Profile::kDocumented;
  return Parse(value, kProfileVariable);
}

const char* ProfileName(Profile profile) {
  return profile == Profile::kStrict ? "strict" : "documented";
}

void ReferenceProfileTally::Add(const std::string& requirement,
                                const std::string& example) {
  if (!current_.insert(requirement).second) return;
  Entry& entry = entries_[requirement];
  if (entry.example.empty()) entry.example = example;
}

void ReferenceProfileTally::EndInput() {
  ++inputs_;
  for (const std::string& requirement : current_) {
    ++entries_[requirement].inputs;
  }
  current_.clear();
}

std::string ReferenceProfileTally::Summary(Profile profile) const {
  std::ostringstream out;
  out << "differential_fuzzer: reference profile (OURS; "
      << (profile == Profile::kStrict ? "findings with --profile=strict"
                                      : "not findings: documented profile")
      << "): " << inputs_ << " inputs, " << entries_.size()
      << " requirement(s) differ\n";
  for (const auto& [requirement, entry] : entries_) {
    out << "  " << requirement << ": " << entry.inputs << " of " << inputs_
        << " inputs (first: " << entry.example << ")\n";
  }
  return out.str();
}

}  // namespace syncmgr::fuzz
