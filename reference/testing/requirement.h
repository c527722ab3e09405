// File: reference/testing/requirement.h
//
// Ties a test's checks to the requirement IDs of reference/SPEC.md, one
// check to one requirement, so that a failure names the one rule that broke.
//
//   REQUIREMENT("A B")   declares the requirements the test checks (they
//                        also land in GoogleTest's XML/JSON output as the
//                        property "requirements");
//   CHECKS("A");         opens a scope until the end of the enclosing block:
//                        every failure inside it (on this thread) is a
//                        failure of A, and A counts as observed once the
//                        scope is left;
//   NOT_APPLICABLE("A", reason)  A cannot be judged on this subject, because
//                        the subject decided an undocumented point otherwise
//                        (the reason says which);
//   NOT_OBSERVED("A", reason)    the subject never did what A is about in
//                        this test (it is allowed not to): A is "not run".
//
// A failure outside every CHECKS scope (a mock's expectation, an assertion
// before the first scope) belongs to the test's first declared requirement.
// A test that opens no CHECKS scope observes all its declared requirements
// when it ends (kept for tests that check one requirement).
//
// When the environment variable SYNCMGR_REQUIREMENT_EVENTS names a file,
// each of these, and each failure with the requirement it belongs to, is
// appended to it at once as one JSON line, so that a supervisor can tell
// what a test that then crashed or hung had already checked (conformance/
// conformance_main.cc reads them). InstallRequirementListener() adds the
// GoogleTest listener that writes the failures.
//
// Example:
//   TEST_F(CallbackContract, EnableModeless) {
//     REQUIREMENT("CB-008 CB-106");
//     const HRESULT hr = callback->EnableModeless(TRUE);
//     {
//       CHECKS("CB-008");
//       EXPECT_THAT(hr, AnyOf(HresultIs(S_OK), HresultIs(S_FALSE)));
//     }
//     CHECKS("CB-106");
//     EXPECT_THAT(hr, HresultIs(S_FALSE));
//   }
#ifndef SYNCMGR_REFERENCE_TESTING_REQUIREMENT_H_
#define SYNCMGR_REFERENCE_TESTING_REQUIREMENT_H_

#include <gtest/gtest.h>

#include <string>

namespace syncmgr::testing {

// Declares the test's requirements (space-separated IDs).
void DeclareRequirements(const char* ids);

// Marks `id` not applicable to this subject, with the reason.
void RequirementNotApplicable(const char* id, const std::string& reason);

// Marks `id` not observed in this test, with the reason.
void RequirementNotObserved(const char* id, const std::string& reason);

// Tells the supervisor that a wait for the subject ran to its limit where
// the test expected it to end (a session that never started or never ended),
// so that later tests need not wait as long (conformance/conformance_main.cc).
void RecordWaitedOut(const std::string& what);

// The scope behind CHECKS(id).
class RequirementScope {
 public:
  RequirementScope(const char* file, int line, const char* id);
  ~RequirementScope();
  RequirementScope(const RequirementScope&) = delete;
  RequirementScope& operator=(const RequirementScope&) = delete;

 private:
  ::testing::ScopedTrace trace_;
  std::string id_;
};

// The text CHECKS(id) adds to the GoogleTest trace of failures in its
// scope; the innermost one in a failure's message names its requirement.
std::string RequirementTraceTag(const std::string& id);

// Appends a GoogleTest listener that writes each failure (attributed as
// described above) and each skip to the events file. Call once, after
// InitGoogleTest.
void InstallRequirementListener();

}  // namespace syncmgr::testing

#define REQUIREMENT(ids)                                  \
  do {                                                    \
    ::testing::Test::RecordProperty("requirements", ids); \
    ::syncmgr::testing::DeclareRequirements(ids);         \
  } while (0)

#define CHECKS(id)                                          \
  ::syncmgr::testing::RequirementScope GTEST_CONCAT_TOKEN_( \
      syncmgr_requirement_scope_, __LINE__)(__FILE__, __LINE__, (id))

#define NOT_APPLICABLE(id, reason) \
  ::syncmgr::testing::RequirementNotApplicable((id), (reason))

#define NOT_OBSERVED(id, reason) \
  ::syncmgr::testing::RequirementNotObserved((id), (reason))

#endif  // SYNCMGR_REFERENCE_TESTING_REQUIREMENT_H_
