#include "conformance/report/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iterator>
#include <mutex>

extern char** environ;

namespace syncmgr::conformance {
namespace {

// The process groups of the children running now, so that a SIGINT, SIGTERM
// or SIGHUP that ends this program kills them (and whatever they started)
// first. Slots are read by the signal handler: lock-free atomics only. A
// child that finds no free slot still dies with this program
// (PR_SET_PDEATHSIG), only its own children may outlive it.
constexpr int kChildSlots = 64;
std::atomic<pid_t> g_child_groups[kChildSlots];
static_assert(std::atomic<pid_t>::is_always_lock_free);

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kForwardedSignals)];

void KillRunningGroups() {
  for (std::atomic<pid_t>& slot : g_child_groups) {
    const pid_t group = slot.load(std::memory_order_acquire);
    if (group > 0) kill(-group, SIGKILL);
  }
}

// Kills the children's groups, then does what the signal did before: calls
// the program's own handler, or, by default, ends the program with it.
void OnTerminatingSignal(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  KillRunningGroups();
  for (size_t i = 0; i < std::size(kForwardedSignals); ++i) {
    if (kForwardedSignals[i] != sig) continue;
    const struct sigaction& previous = g_previous[i];
    if (previous.sa_flags & SA_SIGINFO) {
      previous.sa_sigaction(sig, info, context);
    } else if (previous.sa_handler == SIG_DFL) {
      struct sigaction default_action {};
      default_action.sa_handler = SIG_DFL;
      sigemptyset(&default_action.sa_mask);
      sigaction(sig, &default_action, nullptr);
      raise(sig);  // delivered when this handler returns
    } else if (previous.sa_handler != SIG_IGN) {
      previous.sa_handler(sig);
    }
  }
  errno = saved_errno;
}

// Once per process: installs OnTerminatingSignal for each forwarded signal
// that is not ignored (a program started with SIGINT ignored keeps it so).
void InstallSignalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (size_t i = 0; i < std::size(kForwardedSignals); ++i) {
      const int sig = kForwardedSignals[i];
      if (sigaction(sig, nullptr, &g_previous[i]) != 0) continue;
      if (!(g_previous[i].sa_flags & SA_SIGINFO) &&
          g_previous[i].sa_handler == SIG_IGN) {
        continue;
      }
      struct sigaction action {};
      action.sa_sigaction = OnTerminatingSignal;
      action.sa_flags = SA_SIGINFO | SA_RESTART;
      sigemptyset(&action.sa_mask);
      sigaction(sig, &action, nullptr);
    }
  });
}

// Records a running child's process group; returns its slot, or -1 when
// every slot is taken.
int RegisterGroup(pid_t group) {
  for (int i = 0; i < kChildSlots; ++i) {
    pid_t free_slot = 0;
    if (g_child_groups[i].compare_exchange_strong(free_slot, group,
                                                  std::memory_order_acq_rel)) {
      return i;
    }
  }
  return -1;
}

void UnregisterGroup(int slot) {
  if (slot >= 0) g_child_groups[slot].store(0, std::memory_order_release);
}

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

  InstallSignalHandlers();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    result.output = std::string("fork: ") + strerror(errno);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return result;
  }
  if (pid == 0) {
    // Its own group, so that the time limit (and a terminating signal here)
    // kills everything it starts; and killed when this program dies, even
    // by SIGKILL. PR_SET_PDEATHSIG fires when the thread that forked ends:
    // that thread waits in RunChild until the child is reaped. If the
    // parent died before prctl, the child was already orphaned.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execve(args[0], args.data(), envp.data());
    const char msg[] = "exec failed\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(127);
  }
  setpgid(pid, pid);  // also from the parent, whichever runs first
  const int slot = RegisterGroup(pid);
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
  UnregisterGroup(slot);
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
