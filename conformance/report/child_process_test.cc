#include "conformance/report/child_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

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

// Whether process `pid` has ended: there is no such process, or it is a
// zombie (dead, not yet reaped by whoever it was reparented to).
bool Gone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const size_t name_end = line.rfind(')');  // "pid (name) STATE ..."
  if (name_end == std::string::npos || name_end + 2 >= line.size()) {
    return true;  // vanished meanwhile
  }
  const char state = line[name_end + 2];
  return state == 'Z' || state == 'X';
}

// Polls until `pid` has ended, for at most `limit`.
bool WaitUntilGone(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!Gone(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Reaps `pid`, a child of this test, waiting at most `limit`; kills and
// reaps it after that and returns false.
bool Reap(pid_t pid, int* status, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const pid_t done = waitpid(pid, status, WNOHANG);
    if (done == pid) return true;
    if (done < 0 && errno != EINTR) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return false;
}

// Forks a copy of this test (the "parent") that runs `script` with RunChild
// and a long time limit. The script writes the pids the test needs into
// `pid_file` (write, then rename). Returns the parent's pid, with the
// file's words in *pids once they are there (empty after 10 s).
pid_t StartParent(const std::string& script, const std::string& pid_file,
                  std::vector<pid_t>* pids) {
  std::remove(pid_file.c_str());
  const pid_t parent = fork();
  if (parent == 0) {
    RunChild({"/bin/sh", "-c", script}, {}, std::chrono::minutes(2));
    _exit(0);
  }
  pids->clear();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (parent > 0 && std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(pid_file);
    for (pid_t pid = 0; in >> pid;) pids->push_back(pid);
    if (!pids->empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return parent;
}

TEST(ChildProcess, ChildDiesWhenItsParentIsKilled) {
  const std::string pid_file = ::testing::TempDir() + "/sleeper.pid";
  std::vector<pid_t> pids;
  const pid_t parent =
      StartParent("echo $$ > " + pid_file + ".tmp && mv " + pid_file + ".tmp " +
                      pid_file + " && exec sleep 60",
                  pid_file, &pids);
  ASSERT_GT(parent, 0) << "fork failed";
  ASSERT_EQ(pids.size(), 1u) << "the child did not start within 10 s";
  const pid_t child = pids[0];
  ASSERT_FALSE(Gone(child));
  // SIGKILL: no handler runs in the parent; the kernel kills the child.
  ASSERT_EQ(kill(parent, SIGKILL), 0);
  int status = 0;
  ASSERT_TRUE(Reap(parent, &status, 10s))
      << "the parent was still running 10 s after SIGKILL";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(WaitUntilGone(child, 10s))
      << "the child (pid " << child
      << ") was still running 10 s after its parent was killed with SIGKILL";
  if (!Gone(child)) kill(child, SIGKILL);
}

TEST(ChildProcess, TerminatingSignalKillsTheChildrensGroups) {
  for (const int sig : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(sig == SIGTERM ? "SIGTERM" : "SIGINT");
    struct sigaction current {};
    sigaction(sig, nullptr, &current);
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) {
      continue;  // ignored by whoever started this test: RunChild keeps it so
    }
    const std::string pid_file = ::testing::TempDir() + "/group.pid";
    std::vector<pid_t> pids;
    // The child and a grandchild of its own, in the child's group.
    const pid_t parent =
        StartParent("sleep 60 & echo $$ $! > " + pid_file + ".tmp && mv " +
                        pid_file + ".tmp " + pid_file + " && wait",
                    pid_file, &pids);
    ASSERT_GT(parent, 0) << "fork failed";
    ASSERT_EQ(pids.size(), 2u) << "the child did not start within 10 s";
    ASSERT_EQ(kill(parent, sig), 0);
    int status = 0;
    EXPECT_TRUE(Reap(parent, &status, 10s))
        << "the parent was still running 10 s after the signal";
    // The signal then took its default course: it ended the parent.
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig)
        << "status " << status;
    for (const pid_t pid : pids) {
      EXPECT_TRUE(WaitUntilGone(pid, 10s))
          << "pid " << pid << " (of the child's group) was still running 10 s "
          << "after its parent got the signal";
      if (!Gone(pid)) kill(pid, SIGKILL);
    }
  }
}

TEST(ChildProcess, SelfPathIsThisProgram) {
  EXPECT_THAT(SelfPath(), HasSubstr("child_process_test"));
}

}  // namespace
}  // namespace syncmgr::conformance
