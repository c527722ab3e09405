// conformance.exe: the conformance suite (conformance/*_contract.cc) as a
// Windows program. It reaches the Sync Manager only through ole32:
// CoInitializeEx, then CoCreateInstance(CLSID_SyncMgr) finds whatever
// HKCR\CLSID\{6295DF27-35EE-11D1-8707-00C04FD93327} names: our mobsync.dll
// in a Wine prefix, Microsoft's own on Windows. The mock handlers are
// registered with CoRegisterClassObject.
//
//   conformance.exe [--apartment=sta|mta] [--report_dir=DIR]
//                   [--spec=spec.json] [--expectations=FILE]
//                   [--timeout=SECONDS] [--session_timeout_ms=N]
//                   [--settle_ms=N] [--gtest_filter=...]
//
// Unlike the Linux suite, every test runs in this one process (a test that
// runs longer than --timeout ends the run with exit status 3). With --spec
// it writes the same requirement-traced reports as the Linux suite
// (report.json, report.xml, report.html). Exit status: 0 when every
// unwaived requirement (or, without --spec, every test) passes, 1 when one
// fails, 2 when the Sync Manager cannot be created.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/report/report.h"
#include "conformance/testing/contract_test.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::conformance {
namespace {

struct Flags {
  std::string apartment = "sta";
  std::string report_dir;
  std::string spec;
  std::string expectations;
  double timeout_seconds = 60;
  int session_timeout_ms = 30000;
  int settle_ms = 100;
};

bool TakeFlag(const char* arg, const char* name, std::string* value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = arg + n + 1;
  return true;
}

// The DLL that HKCR names as CLSID_SyncMgr's in-proc server, for the report.
std::string RegisteredImplementation() {
  wchar_t clsid[40] = {};
  StringFromGUID2(CLSID_SyncMgr, clsid, 40);
  const std::wstring key =
      std::wstring(L"CLSID\\") + clsid + L"\\InprocServer32";
  wchar_t path[MAX_PATH * 4] = {};
  DWORD size = sizeof path;
  if (RegGetValueW(HKEY_CLASSES_ROOT, key.c_str(), nullptr, RRF_RT_REG_SZ,
                   nullptr, path, &size) != ERROR_SUCCESS) {
    return "(CLSID_SyncMgr has no InprocServer32)";
  }
  char narrow[MAX_PATH * 4 * 3] = {};
  WideCharToMultiByte(CP_UTF8, 0, path, -1, narrow, sizeof narrow, nullptr,
                      nullptr);
  return narrow;
}

// Collects one Check per test, as the Linux supervisor does from each
// child's GoogleTest JSON.
class Collector : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo& info) override {
    std::lock_guard lock(mu_);
    current_ = std::string(info.test_suite_name()) + "." + info.name();
    started_ = std::chrono::steady_clock::now();
    messages_.clear();
    ++generation_;
    cv_.notify_all();
  }
  void OnTestPartResult(const ::testing::TestPartResult& part) override {
    if (part.type() == ::testing::TestPartResult::kSuccess ||
        part.type() == ::testing::TestPartResult::kSkip) {
      return;
    }
    std::lock_guard lock(mu_);
    std::ostringstream line;
    line << (part.file_name() ? part.file_name() : "?") << ":"
         << part.line_number() << "\n"
         << part.message() << "\n";
    messages_ += line.str();
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    Check check;
    check.name = std::string(info.test_suite_name()) + "." + info.name();
    const ::testing::TestResult& result = *info.result();
    for (int i = 0; i < result.test_property_count(); ++i) {
      const ::testing::TestProperty& p = result.GetTestProperty(i);
      if (std::strcmp(p.key(), "requirements") == 0) {
        std::istringstream words(p.value());
        for (std::string id; words >> id;) check.requirements.push_back(id);
      }
    }
    check.seconds = static_cast<double>(result.elapsed_time()) / 1000.0;
    std::lock_guard lock(mu_);
    if (result.Failed()) {
      check.result = Check::Result::kFailed;
      check.message = messages_;
    } else if (result.Skipped()) {
      check.result = Check::Result::kSkipped;
      check.message = "skipped";
    }
    checks_.push_back(std::move(check));
    current_.clear();
    ++generation_;
    cv_.notify_all();
  }

  // Ends the process when one test runs longer than `limit`.
  void Watch(std::chrono::milliseconds limit) {
    std::thread([this, limit] {
      std::unique_lock lock(mu_);
      for (;;) {
        const auto seen = generation_;
        if (cv_.wait_for(lock, limit, [&] { return generation_ != seen; })) {
          continue;
        }
        if (current_.empty()) continue;
        std::fprintf(stderr,
                     "conformance.exe: TIMEOUT: %s ran longer than %lld ms\n",
                     current_.c_str(), static_cast<long long>(limit.count()));
        std::fflush(stderr);
        ExitProcess(3);
      }
    }).detach();
  }

  std::vector<Check> Take() {
    std::lock_guard lock(mu_);
    return std::move(checks_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string current_;
  std::string messages_;
  std::uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::vector<Check> checks_;
};

int Main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string value;
    if (TakeFlag(argv[i], "--apartment", &flags.apartment) ||
        TakeFlag(argv[i], "--report_dir", &flags.report_dir) ||
        TakeFlag(argv[i], "--spec", &flags.spec) ||
        TakeFlag(argv[i], "--expectations", &flags.expectations)) {
      continue;
    }
    if (TakeFlag(argv[i], "--timeout", &value)) {
      flags.timeout_seconds = std::atof(value.c_str());
    } else if (TakeFlag(argv[i], "--session_timeout_ms", &value)) {
      flags.session_timeout_ms = std::atoi(value.c_str());
    } else if (TakeFlag(argv[i], "--settle_ms", &value)) {
      flags.settle_ms = std::atoi(value.c_str());
    } else {
      std::cerr << "conformance.exe: unknown argument " << argv[i] << "\n";
      return 2;
    }
  }
  if (flags.apartment != "sta" && flags.apartment != "mta") {
    std::cerr << "conformance.exe: --apartment must be sta or mta\n";
    return 2;
  }
  const HRESULT init = CoInitializeEx(nullptr, flags.apartment == "mta"
                                                   ? COINIT_MULTITHREADED
                                                   : COINIT_APARTMENTTHREADED);
  if (FAILED(init)) {
    std::cerr << "conformance.exe: CoInitializeEx: "
              << syncmgr::DescribeHresult(init) << "\n";
    return 2;
  }
  Settings& settings = GetSettings();
  settings.implementation = RegisteredImplementation();
  settings.session_timeout =
      std::chrono::milliseconds(flags.session_timeout_ms);
  settings.settle = std::chrono::milliseconds(flags.settle_ms);
  if (!::testing::GTEST_FLAG(list_tests)) {
    IUnknown* probe = nullptr;
    const HRESULT hr = CoCreateInstance(
        CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
        IID_ISyncMgrSynchronizeInvoke, reinterpret_cast<void**>(&probe));
    if (FAILED(hr) || probe == nullptr) {
      std::cerr << "conformance.exe: CoCreateInstance(CLSID_SyncMgr) failed: "
                << syncmgr::DescribeHresult(hr)
                << " (is a Sync Manager registered? regsvr32 mobsync.dll)\n";
      return 2;
    }
    probe->Release();
  }
  std::cout << "conformance.exe: Sync Manager " << settings.implementation
            << ", " << flags.apartment << " main thread\n"
            << std::flush;

  auto* collector = new Collector();
  ::testing::UnitTest::GetInstance()->listeners().Append(collector);
  collector->Watch(std::chrono::milliseconds(
      static_cast<long long>(flags.timeout_seconds * 1000)));
  const int gtest_status = RUN_ALL_TESTS();
  if (flags.spec.empty()) return gtest_status == 0 ? 0 : 1;

  std::string error;
  std::vector<Requirement> spec;
  if (!LoadRequirements(flags.spec, &spec, &error)) {
    std::cerr << "conformance.exe: " << error << "\n";
    return 2;
  }
  std::vector<Check> checks = collector->Take();
  std::vector<std::string> names;
  for (const Check& c : checks) names.push_back(c.name);
  std::vector<Waiver> waivers;
  if (!flags.expectations.empty() &&
      !LoadWaivers(flags.expectations, spec, names, &waivers, &error)) {
    std::cerr << "conformance.exe: " << error << "\n";
    return 2;
  }
  const size_t count = checks.size();
  Report report = BuildReport("conformance", settings.implementation, spec,
                              std::move(checks), std::move(waivers));
  report.notes.push_back(std::to_string(count) +
                         " tests in one Windows process, " + flags.apartment +
                         " main thread, through ole32");
  std::cout << Summary(report);
  if (!flags.report_dir.empty()) {
    if (!WriteReports(report, flags.report_dir, &error)) {
      std::cerr << "conformance.exe: " << error << "\n";
      return 2;
    }
    std::cout << "Report: " << flags.report_dir << "\\report.html\n";
  }
  return report.verdict_passed ? 0 : 1;
}

}  // namespace
}  // namespace syncmgr::conformance

int main(int argc, char** argv) {
  return syncmgr::conformance::Main(argc, argv);
}
