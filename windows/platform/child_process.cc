// The Windows implementation of conformance/report/child_process.h (the
// Linux one is conformance/report/child_process.cc): CreateProcess with the
// child's stdout and stderr on one pipe, in a job object, so that a child
// that hangs (a handler's modal dialog) is killed with everything it
// started when its time is up. The output comes back with LF line ends. A
// child that crashed is described by the line its unhandled-exception
// filter wrote (windows/platform/crash_report.h), when there is one.
#include "conformance/report/child_process.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "reference/mobsync/windows_types.h"
#include "windows/platform/crash_report.h"

namespace syncmgr::conformance {
namespace {

std::wstring Widen(const std::string& text) {
  if (text.empty()) return {};
  const int n = MultiByteToWideChar(CP_UTF8, 0, text.data(),
                                    static_cast<int>(text.size()), nullptr, 0);
  std::wstring wide(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                      wide.data(), n);
  return wide;
}

std::string Narrow(const std::wstring& text) {
  if (text.empty()) return {};
  const int n = WideCharToMultiByte(CP_UTF8, 0, text.data(),
                                    static_cast<int>(text.size()), nullptr, 0,
                                    nullptr, nullptr);
  std::string narrow(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                      narrow.data(), n, nullptr, nullptr);
  return narrow;
}

// One argument quoted the way the C runtime splits a command line.
void AppendQuoted(std::wstring* line, const std::wstring& arg) {
  if (!line->empty()) line->push_back(L' ');
  if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
    line->append(arg);
    return;
  }
  line->push_back(L'"');
  for (size_t i = 0;; ++i) {
    size_t backslashes = 0;
    while (i < arg.size() && arg[i] == L'\\') {
      ++i;
      ++backslashes;
    }
    if (i == arg.size()) {
      line->append(backslashes * 2, L'\\');
      break;
    }
    if (arg[i] == L'"') {
      line->append(backslashes * 2 + 1, L'\\');
    } else {
      line->append(backslashes, L'\\');
    }
    line->push_back(arg[i]);
  }
  line->push_back(L'"');
}

// The current environment with `overrides` ("NAME=value") replacing
// variables of the same name, as a CreateProcessW block.
std::wstring EnvironmentBlock(const std::vector<std::string>& overrides) {
  std::vector<std::wstring> vars;
  if (wchar_t* block = GetEnvironmentStringsW()) {
    for (const wchar_t* p = block; *p != 0; p += wcslen(p) + 1) {
      vars.emplace_back(p);
    }
    FreeEnvironmentStringsW(block);
  }
  for (const std::string& o : overrides) {
    const std::wstring var = Widen(o);
    const std::wstring name = var.substr(0, var.find(L'=') + 1);
    bool replaced = false;
    for (std::wstring& v : vars) {
      if (_wcsnicmp(v.c_str(), name.c_str(), name.size()) == 0) {
        v = var;
        replaced = true;
      }
    }
    if (!replaced) vars.push_back(var);
  }
  std::wstring out;
  for (const std::wstring& v : vars) {
    out += v;
    out.push_back(L'\0');
  }
  out.push_back(L'\0');
  return out;
}

}  // namespace

std::string ChildResult::Describe() const {
  char buf[160];
  if (!started) return "could not be started";
  const DWORD code = static_cast<DWORD>(exit_code);
  if (!timed_out && code >= 0x80000000u) {
    // The line the child's unhandled-exception filter wrote before it ended
    // with the exception code (windows/platform/crash_report.h): it names
    // the module and the offset.
    std::snprintf(buf, sizeof buf, "crashed with 0x%08lX at ",
                  static_cast<unsigned long>(code));
    const size_t at = output.rfind(buf);
    if (at != std::string::npos) {
      const size_t end = output.find('\n', at);
      return output.substr(at, end == std::string::npos ? end : end - at);
    }
  }
  if (timed_out) {
    std::snprintf(buf, sizeof buf, "timed out after %.0f s", seconds);
  } else if (code >= 0xC0000000u) {
    std::snprintf(buf, sizeof buf, "crashed with exception 0x%08lX%s",
                  static_cast<unsigned long>(code),
                  syncmgr::windows::ExceptionName(code));
  } else {
    std::snprintf(buf, sizeof buf, "exited with %d", exit_code);
  }
  return buf;
}

ChildResult RunChild(const std::vector<std::string>& argv,
                     const std::vector<std::string>& env,
                     std::chrono::milliseconds timeout, size_t max_output) {
  ChildResult result;
  const auto start = std::chrono::steady_clock::now();
  std::wstring command;
  for (const std::string& arg : argv) AppendQuoted(&command, Widen(arg));

  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  HANDLE read_end = nullptr, write_end = nullptr;
  if (!CreatePipe(&read_end, &write_end, &inherit, 0)) {
    result.output = "CreatePipe failed";
    return result;
  }
  SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOW startup{};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = write_end;
  startup.hStdError = write_end;
  HANDLE job = CreateJobObjectW(nullptr, nullptr);
  if (job != nullptr) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags =
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits,
                            sizeof limits);
  }
  std::wstring environment = EnvironmentBlock(env);
  PROCESS_INFORMATION process{};
  const BOOL created =
      CreateProcessW(nullptr, command.data(), nullptr, nullptr, TRUE,
                     CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT,
                     environment.data(), nullptr, &startup, &process);
  CloseHandle(write_end);
  if (!created) {
    result.output = "CreateProcess failed (error " +
                    std::to_string(GetLastError()) + ") for " + argv[0];
    CloseHandle(read_end);
    if (job != nullptr) CloseHandle(job);
    return result;
  }
  result.started = true;
  if (job != nullptr) AssignProcessToJobObject(job, process.hProcess);
  ResumeThread(process.hThread);
  CloseHandle(process.hThread);

  auto output = std::make_shared<std::string>();
  std::promise<void> read_all;
  std::future<void> reader_done = read_all.get_future();
  std::thread reader([read_end, output, max_output, &read_all] {
    char buf[4096];
    DWORD n = 0;
    while (ReadFile(read_end, buf, sizeof buf, &n, nullptr) && n > 0) {
      const size_t room = max_output - std::min(max_output, output->size());
      output->append(buf, std::min<size_t>(n, room));
    }
    read_all.set_value();
  });
  const DWORD waited = WaitForSingleObject(process.hProcess,
                                           static_cast<DWORD>(timeout.count()));
  if (waited == WAIT_TIMEOUT) {
    result.timed_out = true;
    if (job != nullptr) TerminateJobObject(job, 1);
    TerminateProcess(process.hProcess, 1);
    WaitForSingleObject(process.hProcess, INFINITE);
  }
  DWORD code = 0;
  GetExitCodeProcess(process.hProcess, &code);
  result.exit_code = static_cast<int>(code);
  CloseHandle(process.hProcess);
  if (job != nullptr) CloseHandle(job);  // kills what the child left behind
  // Grandchildren outside the job could keep the pipe open: stop reading
  // after a grace period.
  if (reader_done.wait_for(std::chrono::seconds(5)) !=
      std::future_status::ready) {
    CancelIoEx(read_end, nullptr);
  }
  if (reader_done.wait_for(std::chrono::seconds(1)) ==
      std::future_status::ready) {
    reader.join();
    CloseHandle(read_end);
    result.output = *output;
  } else {
    reader.detach();  // still blocked: leave it the pipe and its buffer
    result.output = *output + "\n[output truncated: the pipe stayed open]";
  }
  // Text-mode output of Windows programs ends lines with CR LF; callers
  // parse lines as on Linux.
  std::string lf;
  lf.reserve(result.output.size());
  for (size_t i = 0; i < result.output.size(); ++i) {
    if (result.output[i] == '\r' && i + 1 < result.output.size() &&
        result.output[i + 1] == '\n') {
      continue;
    }
    lf.push_back(result.output[i]);
  }
  result.output = std::move(lf);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

std::vector<std::string> PluginChildEnvironment() { return {}; }

std::string SelfPath() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    const DWORD n = GetModuleFileNameW(nullptr, path.data(),
                                       static_cast<DWORD>(path.size()));
    if (n < path.size()) {
      path.resize(n);
      break;
    }
    path.resize(path.size() * 2);
  }
  return Narrow(path);
}

}  // namespace syncmgr::conformance
