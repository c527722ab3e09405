#include "conformance/report/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

extern char** environ;

namespace syncmgr::conformance {
namespace {

std::string SignalName(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGKILL:
      return "SIGKILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGTRAP:
      return "SIGTRAP";
    default:
      return "signal " + std::to_string(sig);
  }
}

}  // namespace

std::string ChildResult::Describe() const {
  if (!started) return "could not be started";
  if (timed_out) {
    return "timed out after " +
           std::to_string(static_cast<int>(seconds + 0.5)) + " s";
  }
  if (signal != 0) return "killed by " + SignalName(signal);
  return "exited with " + std::to_string(exit_code);
}

std::vector<std::string> PluginChildEnvironment() {
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string value = asan != nullptr ? asan : "";
  if (!value.empty()) value += ":";
  return {"ASAN_OPTIONS=" + value + "detect_leaks=0"};
}

std::string SelfPath() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  return buf;
}

ChildResult RunChild(const std::vector<std::string>& argv,
                     const std::vector<std::string>& env,
                     std::chrono::milliseconds timeout, size_t max_output) {
  ChildResult result;
  const auto start = std::chrono::steady_clock::now();
  int pipe_fds[2];
  if (argv.empty() || pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.output = argv.empty() ? "no program" : strerror(errno);
    return result;
  }
  // Build everything the child needs before fork: after fork in a
  // multi-threaded process only async-signal-safe calls are allowed.
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('=') + 1);
    const bool overridden =
        std::any_of(env.begin(), env.end(), [&](const std::string& o) {
          return o.compare(0, name.size(), name) == 0;
        });
    if (!overridden) env_strings.push_back(entry);
  }
  for (const std::string& e : env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (const std::string& e : env_strings) {
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) {
    result.output = std::string("fork: ") + strerror(errno);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return result;
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execve(args[0], args.data(), envp.data());
    const char msg[] = "exec failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, whichever runs first
  close(pipe_fds[1]);
  result.started = true;

  size_t dropped = 0;
  bool open = true;
  bool reaped = false;
  int status = 0;
  const auto deadline = start + timeout;
  while (open) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    const int wait_ms = static_cast<int>(std::min<long long>(
        200,
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)
                .count() +
            1));
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready == 0) {
      // The child may have exited while a process it started keeps the
      // pipe open: stop reading then.
      if (waitpid(pid, &status, WNOHANG) == pid) {
        reaped = true;
        break;
      }
      continue;
    }
    if (ready < 0) continue;
    char buf[4096];
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      open = false;  // every writer closed: the child (and its group) ended
      break;
    }
    const size_t keep =
        std::min(static_cast<size_t>(n),
                 max_output - std::min(max_output, result.output.size()));
    result.output.append(buf, keep);
    dropped += static_cast<size_t>(n) - keep;
  }
  if (result.timed_out) kill(-pid, SIGKILL);
  close(pipe_fds[0]);
  // The pipe may close before the child is reaped; wait with the remaining
  // time, then kill.
  while (!reaped) {
    const pid_t done = waitpid(pid, &status, result.timed_out ? 0 : WNOHANG);
    if (done == pid) {
      reaped = true;
      break;
    }
    if (done < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline && !result.timed_out) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      continue;
    }
    usleep(1000);
  }
  kill(-pid, SIGKILL);  // stragglers of the group, if any
  if (!result.timed_out && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (!result.timed_out && WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  if (dropped > 0) {
    result.output +=
        "\n[" + std::to_string(dropped) + " bytes of output dropped]\n";
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

}  // namespace syncmgr::conformance
