// File: fuzz/internal/verdict.h
//
// The differential fuzzer's two verdicts, as the conformance suite reports
// them: the documented contract (MUST/SHOULD rows of reference/SPEC.md),
// whose violations are findings, and the reference profile (OURS rows, this
// project's own decisions), whose differences are counted per requirement
// and become findings only with the strict profile.
//
// Example:
//   const Profile profile = TakeProfile(&argc, &argv);
//   ReferenceProfileTally tally;
//   ... for each input:
//   if (hr_differs) tally.Add("REG-102", "step 2: Unregister...");
//   tally.EndInput();
//   std::fputs(tally.Summary().c_str(), stderr);
#ifndef SYNCMGR_FUZZ_INTERNAL_VERDICT_H_
#define SYNCMGR_FUZZ_INTERNAL_VERDICT_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace syncmgr::fuzz {

enum class Profile {
  kDocumented,  // only the documented contract decides
  kStrict,      // any difference from the reference is a finding
};

// The variable that selects the profile: "documented" (default) or
// "strict".
inline constexpr char kProfileVariable[] = "SYNCMGR_DIFFERENTIAL_PROFILE";

// The profile from a `--profile=documented|strict` argument (removed from
// argv, and copied into kProfileVariable so that processes libFuzzer forks
// inherit it) or from kProfileVariable. libFuzzer passes arguments that
// start with "--" to the target untouched. Exits with status 2 on another
// value.
Profile TakeProfile(int* argc, char*** argv);
const char* ProfileName(Profile profile);

// The label of a difference that no OURS requirement fixes: both answers
// are allowed by the documented contract and the reference's is only its
// configuration (e.g. which of Progress' documented answers it gives).
inline constexpr char kNoRule[] = "no rule";

// Counts, per requirement of the reference profile, the inputs in which
// the plug-in differed from the reference.
class ReferenceProfileTally {
 public:
  // A difference in the current input; `example` describes it (the first
  // one is kept per requirement).
  void Add(const std::string& requirement, const std::string& example);
  // Ends the current input.
  void EndInput();
  std::uint64_t inputs() const { return inputs_; }
  // "differential_fuzzer: reference profile: ..." and one line per
  // requirement ("  REG-102: 12 of 300 inputs (first: ...)"), sorted by ID.
  std::string Summary(Profile profile) const;

 private:
  struct Entry {
    std::uint64_t inputs = 0;
    std::string example;
  };
  std::map<std::string, Entry> entries_;
  std::set<std::string> current_;
  std::uint64_t inputs_ = 0;
};

}  // namespace syncmgr::fuzz

#endif  // SYNCMGR_FUZZ_INTERNAL_VERDICT_H_
