// File: windows/platform/crash_report.h
//
// Crashes reported as crashes, for the Windows programs that run untrusted
// code in child processes (certify.exe, conformance.exe). An unhandled
// exception normally ends in the system's post-mortem path: under Wine
// `winedbg --auto` (AeDebug), which keeps the process alive until its
// parent's time limit, so a crash looked like a hang. InstallCrashReporter
// installs an unhandled-exception filter (SetUnhandledExceptionFilter: it
// sees only exceptions nobody handled, unlike a vectored handler) that
// writes one line to stderr,
//
//   crashed with 0xC0000005 at crash_handler.dll+0x1a2b (access violation,
//   read of address 0x0000000000000000)
//
// (one line; the module is the one holding the faulting instruction, found
// with GetModuleHandleEx(FROM_ADDRESS)) and ends the process at once with
// the exception code as its exit status. The parent
// (windows/platform/child_process.cc, ChildResult::Describe) finds that line
// in the child's output and reports it.
//
// A handler that installs an unhandled-exception filter of its own replaces
// this one; the prefixes made by windows/wine_prefix.sh have AeDebug off, so
// such a process still ends with its exception code, without the module.
#ifndef SYNCMGR_WINDOWS_PLATFORM_CRASH_REPORT_H_
#define SYNCMGR_WINDOWS_PLATFORM_CRASH_REPORT_H_

#include <windows.h>

namespace syncmgr::windows {

// Installs the filter; call at the start of main.
void InstallCrashReporter();

// " (access violation)" and the like for the common exception codes, or "".
inline const char* ExceptionName(DWORD code) {
  switch (code) {
    case 0xC0000005u:
      return " (access violation)";
    case 0xC00000FDu:
      return " (stack overflow)";
    case 0xC0000409u:
      return " (fail-fast, abort)";
    case 0xC000001Du:
      return " (illegal instruction)";
    case 0xC0000094u:
      return " (integer division by zero)";
    case 0x80000003u:
      return " (breakpoint)";
    default:
      return "";
  }
}

}  // namespace syncmgr::windows

#endif  // SYNCMGR_WINDOWS_PLATFORM_CRASH_REPORT_H_
