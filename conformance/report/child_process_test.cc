#include "conformance/report/child_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace syncmgr::conformance {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

ChildResult Shell(const std::string& script,
                  std::chrono::milliseconds timeout = 10s,
                  std::vector<std::string> env = {}) {
  return RunChild({"/bin/sh", "-c", script}, env, timeout);
}

TEST(ChildProcess, ReportsExitCodeAndOutput) {
  const ChildResult r = Shell("echo out; echo err >&2; exit 3");
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.signal, 0);
  EXPECT_THAT(r.output, HasSubstr("out"));
  EXPECT_THAT(r.output, HasSubstr("err"));
  EXPECT_EQ(r.Describe(), "exited with 3");
}

TEST(ChildProcess, ReportsTheSignalOfACrash) {
  const ChildResult r = Shell("kill -SEGV $$");
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_EQ(r.Describe(), "killed by SIGSEGV");
  EXPECT_EQ(Shell("kill -ABRT $$").Describe(), "killed by SIGABRT");
}

TEST(ChildProcess, KillsAHangAtTheTimeLimit) {
  const auto start = std::chrono::steady_clock::now();
  const ChildResult r = Shell("echo started; sleep 30", 300ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_THAT(r.output, HasSubstr("started"));
  EXPECT_THAT(r.Describe(), HasSubstr("timed out"));
}

TEST(ChildProcess, KillsTheWholeProcessGroup) {
  // The grandchild would keep writing to the pipe for 30 s.
  const ChildResult r = Shell("(sleep 30; echo late) & sleep 30", 300ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("late")));
}

TEST(ChildProcess, ABackgroundProcessDoesNotHoldTheResult) {
  const auto start = std::chrono::steady_clock::now();
  const ChildResult r = Shell("sleep 30 & exit 0", 10s);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ChildProcess, PassesExtraEnvironment) {
  const ChildResult r = Shell("echo \"[$SYNCMGR_TEST_VALUE]\"", 10s,
                              {"SYNCMGR_TEST_VALUE=forty two"});
  EXPECT_THAT(r.output, HasSubstr("[forty two]"));
}

TEST(ChildProcess, TruncatesHugeOutput) {
  const ChildResult r =
      RunChild({"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"}, {},
               10s, 1000);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("99000 bytes of output dropped"));
  EXPECT_LT(r.output.size(), 1100u);
}

TEST(ChildProcess, MissingProgramIsAnExecFailure) {
  const ChildResult r = RunChild({"/nonexistent/program"}, {}, 10s);
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_THAT(r.output, HasSubstr("exec failed"));
  const ChildResult none = RunChild({}, {}, 10s);
  EXPECT_FALSE(none.started);
}

TEST(ChildProcess, SelfPathIsThisProgram) {
  EXPECT_THAT(SelfPath(), HasSubstr("child_process_test"));
}

}  // namespace
}  // namespace syncmgr::conformance
