// certify.exe: conformance/certify_main.cc built for Windows, unchanged: the
// same scenarios, requirement IDs and reports, with the handler (a Windows
// DLL) created through ole32's CoCreateInstance by the reference Sync
// Manager linked in, and each scenario in a child process
// (windows/platform/child_process.cc) that is killed when its time is up (a
// handler that opens a modal dialog fails that scenario as timed out).
//
// This file adds what a Windows host needs before certify's own main: COM
// on the main thread of every process, in the apartment chosen with
//   --apartment=sta   (default) a single-threaded apartment, as a typical
//                     host; the manager keeps dispatching this thread's
//                     messages while it waits for a completion. The
//                     process's other threads (the scenarios' client
//                     threads, which do not initialize COM themselves)
//                     belong to the MTA, kept alive with CoIncrementMTAUsage
//   --apartment=mta   the multithreaded apartment
// (passed on to the scenario processes through SYNCMGR_CERTIFY_APARTMENT),
// and an unhandled-exception filter in every process
// (windows/platform/crash_report.h), so that a handler that crashes fails
// its scenario as crashed, with the module and offset, at once.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define main CertifyMain
#include "conformance/certify_main.cc"
#undef main

#include "windows/platform/crash_report.h"

int main(int argc, char** argv) {
  // A crash (the handler's, in a scenario's process) ends the process at
  // once with one line saying where: no post-mortem debugger.
  syncmgr::windows::InstallCrashReporter();
  std::string apartment = "sta";
  if (const char* env = std::getenv("SYNCMGR_CERTIFY_APARTMENT")) {
    apartment = env;
  }
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--apartment=", 12) == 0) {
      apartment = argv[i] + 12;
      continue;
    }
    args.push_back(argv[i]);
  }
  if (apartment != "sta" && apartment != "mta") {
    std::fprintf(stderr, "certify: --apartment must be sta or mta\n");
    return 2;
  }
  SetEnvironmentVariableA("SYNCMGR_CERTIFY_APARTMENT", apartment.c_str());
  const HRESULT init =
      CoInitializeEx(nullptr, apartment == "mta" ? COINIT_MULTITHREADED
                                                 : COINIT_APARTMENTTHREADED);
  if (FAILED(init)) {
    std::fprintf(stderr, "certify: CoInitializeEx failed: 0x%08lX\n",
                 static_cast<unsigned long>(init));
    return 2;
  }
  CO_MTA_USAGE_COOKIE mta = nullptr;
  if (apartment == "sta" && FAILED(CoIncrementMTAUsage(&mta))) {
    std::fprintf(stderr, "certify: CoIncrementMTAUsage failed\n");
    return 2;
  }
  args.push_back(nullptr);
  return CertifyMain(static_cast<int>(args.size()) - 1, args.data());
}
