// certify: checks a vendor's sync handler (an ISyncMgrSynchronize in-proc
// server built as a plug-in, README.md "The plug-in contract") against the
// handler side of reference/SPEC.md, and writes a report.
//
//   certify [--handler=handler.so --clsid={GUID}] [--report_dir=DIR]
//           [--scenarios=GLOB] [--timeout=SECONDS] [--expectations=FILE]
//
// Without --handler it certifies the bundled sample handler. Each scenario
// runs in a child process (this program with --run_scenario), which loads
// the handler, registers it with the reference Sync Manager (linked in) and
// drives it; a handler that crashes, aborts or hangs fails one requirement
// (RunInChild says which) and the certification goes on. Exit status: 0
// when no unwaived requirement of the documented contract fails
// (--profile=strict: of this project's decisions, OURS, either), 1 when one
// fails, 2 for a usage error.
#ifndef _WIN32
#include <dlfcn.h>
#endif
#include <fnmatch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/report/child_process.h"
#include "conformance/report/report.h"
#include "conformance/testing/runfiles.h"
#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"
#include "reference/sync_manager.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define SYNCMGR_CERTIFY_ASAN 1
#endif
#endif

namespace syncmgr::conformance {
namespace {

namespace fs = std::filesystem;
namespace ref = syncmgr::reference;
using json = nlohmann::json;
using syncmgr::DescribeHresult;
using syncmgr::FormatGuid;
using syncmgr::com::ComPtr;

constexpr const char* kSampleHandler = "conformance/handlers/sample_handler.so";
constexpr const char* kSampleClsid = "{5A3F1E00-6D2B-4C1A-9E57-0C0FFEE00001}";
constexpr const char* kSpecJson = "conformance/spec.json";
constexpr DWORD kMaxCookie = 1u << 20;  // the reference's cap (UI-107)

struct Flags {
  std::string handler;
  std::string clsid_text;
  std::string report_dir;
  std::string expectations;
  std::string scenarios = "*";
  double timeout_seconds = 120;
  int completion_timeout_ms = 30000;
  std::string profile = "documented";
  std::string run_scenario;  // child mode
  std::string result_path;   // child mode
  bool probe = false;        // child mode: load the handler, get its factory
  bool list = false;
  std::string setup_notes;  // lines added to the report's notes
};

// ---- What a scenario does (in the child) -----------------------------------

// The requirements every full session checks on the handler's side, from
// what the manager's checking callback records.
const std::vector<std::string> kSessionRequirements = {
    "HS-006", "HS-009", "HS-011", "HS-012", "HS-013", "HS-016", "HS-017",
    "HS-018", "HS-105", "HS-106", "HS-107", "HS-108", "HS-109", "HS-111",
    "HS-117", "CB-002", "CB-003", "CB-004", "CB-102", "CB-105", "CB-107",
    "EN-001", "EN-101", "ST-003", "COM-003"};

// The rule a handler broke, for a violation the manager recorded: where
// the manager's record names its own rule, the documented rule the handler
// broke. A missing completion (the manager's timeout, HS-112) breaks the
// completion rule of its method: PrepareForSync (HS-012), Synchronize
// (HS-016), ShowError (CB-005); a completion no call of the manager was
// waiting for (its answer: CB-101) breaks the rule that the completion
// follows only its method: PrepareForSync (CB-002), Synchronize (CB-003),
// ShowError (CB-005); a wrong cbSize in what the handler hands over breaks
// ST-003 whatever the manager answered (HS-106, HS-107, CB-102).
std::string HandlerRequirement(const ref::Violation& v) {
  if (v.requirement == "HS-112") {
    if (v.message.rfind("PrepareForSyncCompleted", 0) == 0) return "HS-012";
    if (v.message.rfind("ShowErrorCompleted", 0) == 0) return "CB-005";
    return "HS-016";
  }
  if (v.requirement == "CB-101") {
    if (v.message.rfind("PrepareForSyncCompleted", 0) == 0) return "CB-002";
    if (v.message.rfind("SynchronizeCompleted", 0) == 0) return "CB-003";
    if (v.message.rfind("ShowErrorCompleted", 0) == 0) return "CB-005";
  }
  if ((v.requirement == "HS-106" || v.requirement == "HS-107" ||
       v.requirement == "CB-102") &&
      v.message.find("cbSize") != std::string::npos) {
    return "ST-003";
  }
  return v.requirement;
}

class Driver;

// What one Next(1) did. The entry it is given holds a pattern, and is
// followed by one holding another: a Next that writes past its one entry
// (EN-001: `[out, size_is(celt)]`) is seen (`overran`), not a corruption of
// certify's stack, and so is one that counts an entry in *pceltFetched it
// never wrote (`unwritten`).
struct NextResult {
  HRESULT hr = E_UNEXPECTED;
  ULONG fetched = 0;
  SYNCMGRITEM item{};
  bool overran = false;
  bool unwritten = false;
  // An item was handed back that may be used.
  bool Got() const {
    return hr == S_OK && fetched == 1 && !overran && !unwritten;
  }
};

NextResult NextOne(ISyncMgrEnumItems* e) {
  constexpr unsigned char kUnwritten = 0x5A, kPastTheEnd = 0xA5;
  const auto holds = [](const SYNCMGRITEM& entry, unsigned char b) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(&entry);
    return std::all_of(bytes, bytes + sizeof entry,
                       [b](unsigned char x) { return x == b; });
  };
  std::array<SYNCMGRITEM, 2> slots;
  std::memset(&slots[0], kUnwritten, sizeof slots[0]);
  std::memset(&slots[1], kPastTheEnd, sizeof slots[1]);
  NextResult r;
  r.hr = e->Next(1, slots.data(), &r.fetched);
  r.overran = !holds(slots[1], kPastTheEnd);
  r.unwritten =
      SUCCEEDED(r.hr) && r.fetched >= 1 && holds(slots[0], kUnwritten);
  r.item = slots[0];
  return r;
}

// Whether `address` lies in a loaded module (the handler's, ours, a
// system library's).
bool InLoadedModule(const void* address) {
#ifdef _WIN32
  HMODULE module = nullptr;
  return GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            static_cast<LPCWSTR>(address), &module) != 0;
#else
  Dl_info info;
  return dladdr(address, &info) != 0;
#endif
}

// Whether the object at `object` still looks alive: its first word, the
// vtable pointer of a C++ COM object, points into a loaded module. An
// object destroyed while a reference to it remained (COM-003) fails this:
// the allocator writes its free-list links over that word (and under
// AddressSanitizer the memory is poisoned). Checked before the object is
// called, so that such a handler is named instead of crashing certify.
bool LooksAlive(const void* object) {
  if (object == nullptr) return false;
#ifdef SYNCMGR_CERTIFY_ASAN
  if (__asan_address_is_poisoned(object)) return false;
#endif
  const void* vtable = nullptr;
  std::memcpy(&vtable, object, sizeof vtable);
  return InLoadedModule(vtable);
}

// References to `object` beyond the caller's one: the handler's, and its
// threads' (AddRef's answer minus the caller's and its own).
long HeldByOthers(IUnknown* object) {
  const ULONG n = object->AddRef();
  object->Release();
  return static_cast<long>(n) - 2;
}

// The callback of probes outside any session (CheckCallbackReplacement,
// show_properties): no completion is awaited (E_UNEXPECTED) but
// ShowPropertiesCompleted, which is counted; everything else is accepted.
class IdleCallback final
    : public syncmgr::com::Object<ISyncMgrSynchronizeCallback> {
 public:
  std::atomic<int> properties_completed{0};

  HRESULT STDMETHODCALLTYPE ShowPropertiesCompleted(HRESULT) override {
    properties_completed.fetch_add(1);
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE PrepareForSyncCompleted(HRESULT) override {
    return E_UNEXPECTED;
  }
  HRESULT STDMETHODCALLTYPE SynchronizeCompleted(HRESULT) override {
    return E_UNEXPECTED;
  }
  HRESULT STDMETHODCALLTYPE ShowErrorCompleted(HRESULT, ULONG,
                                               SyncMgrItemIdsArg) override {
    return E_UNEXPECTED;
  }
  HRESULT STDMETHODCALLTYPE EnableModeless(BOOL) override { return S_FALSE; }
  HRESULT STDMETHODCALLTYPE Progress(REFGUID, SyncMgrProgressItemArg) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE LogError(DWORD, LPCWSTR,
                                     SyncMgrLogErrorInfoArg) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE DeleteLogError(REFGUID, DWORD) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE EstablishConnection(LPCWSTR, DWORD) override {
    return S_OK;
  }
};

struct Scenario {
  Scenario(std::string name_, std::string description_,
           std::vector<std::string> requirements_,
           std::function<void(Driver&)> run_, bool manager_modes_ = true,
           std::string primary_ = "")
      : name(std::move(name_)),
        description(std::move(description_)),
        requirements(std::move(requirements_)),
        run(std::move(run_)),
        manager_modes(manager_modes_),
        primary(std::move(primary_)) {}

  std::string name;
  std::string description;
  // Judged by the scenario: failed on a finding, passed when observed and
  // no finding, otherwise not run (with the reason).
  std::vector<std::string> requirements;
  std::function<void(Driver&)> run;
  // Whether the scenario drives the handler through the manager, so that
  // it runs once with each session mode of the manager.
  bool manager_modes = true;
  // The requirement a crash or a hang of the handler breaks while nothing
  // else of the scenario was judged yet (empty: the first of
  // `requirements`).
  std::string primary;
};

// A scenario as run: its name with the manager's session mode
// ("cookie_0/sync", "cookie_0/async"), or alone when it uses no manager.
struct Run {
  std::string name;
  const Scenario* scenario;
  ref::Mode mode = ref::Mode::kSynchronous;
};

// The child's side: the handler registered with the reference, the
// sessions' reports, and the findings.
//
// Every finding, observation and step is appended at once, as one JSON line,
// to the result file, so that the parent knows what was judged before a
// crash or a hang.
class Driver {
 public:
  Driver(const Flags& flags, const GUID& clsid) : flags_(flags), clsid_(clsid) {
    if (!flags_.result_path.empty()) {
      out_ = std::fopen(flags_.result_path.c_str(), "w");
    }
  }
  ~Driver() {
    if (out_ != nullptr) std::fclose(out_);
  }
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  bool ResultFileOpen() const { return out_ != nullptr; }

  bool Start(ref::Options options, std::string* error) {
    HRESULT hr =
        syncmgr::com::RegisterInprocServer(clsid_, flags_.handler, error);
    if (FAILED(hr)) return false;
    options.record_trace = true;
    options.completion_timeout =
        std::chrono::milliseconds(flags_.completion_timeout_ms);
    // However busy the handler looks, a completion is not awaited longer
    // than the scenario may last.
    options.completion_limit = std::chrono::milliseconds(
        static_cast<long long>(flags_.timeout_seconds * 1000));
    ref::Configure(options);
    ref::SetSessionObserver([this](const ref::SessionReport& report) {
      std::lock_guard lock(mu_);
      reports_.push_back(report);
    });
    late_before_ = ref::GetStatistics().late_violations_by_requirement;
    hr = ref::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                invoke_.PutVoid());
    if (SUCCEEDED(hr)) hr = invoke_.As(&register_);
    if (SUCCEEDED(hr)) {
      hr = register_->RegisterSyncMgrHandler(clsid_, WSTR("certify"), 0);
    }
    if (FAILED(hr)) {
      *error = "the reference Sync Manager refused the handler: " +
               DescribeHresult(hr);
      return false;
    }
    return true;
  }

  HRESULT Update(DWORD flags, const std::vector<BYTE>& cookie) {
    Step("UpdateItems(flags " + Hex(flags) + ", cookie " +
         std::to_string(cookie.size()) + " bytes)");
    const HRESULT hr =
        invoke_->UpdateItems(flags, clsid_, static_cast<DWORD>(cookie.size()),
                             cookie.empty() ? nullptr : cookie.data());
    Step("  -> " + DescribeHresult(hr));
    ++updates_;
    return hr;
  }

  // Runs one session to its end. False when the handler never completed
  // it (the manager timed out): a scenario then stops, rather than wait the
  // completion limit again for every further session.
  bool FirstSessionCompletes(const std::vector<BYTE>& cookie) {
    Update(SYNCMGRINVOKE_STARTSYNC, cookie);
    ref::WaitForIdle(IdleLimit());
    for (const ref::SessionReport& r : reports()) {
      if (r.outcome == ref::Outcome::kTimedOut) {
        Step("the first session timed out: no further sessions");
        return false;
      }
    }
    return true;
  }

  // Creates a handler object directly, as a manager would, and initializes
  // it with `flags` (an INVOKE event unless said otherwise) and a 4-byte
  // cookie. Null unless Initialize returned S_OK; `*answer`, when given,
  // gets Initialize's answer (or CoCreateInstance's failure).
  ComPtr<ISyncMgrSynchronize> CreateInitialized(
      DWORD flags = SYNCMGRFLAG_INVOKE, HRESULT* answer = nullptr) {
    ComPtr<ISyncMgrSynchronize> handler;
    const HRESULT hr =
        CoCreateInstance(clsid_, nullptr, CLSCTX_INPROC_SERVER,
                         IID_ISyncMgrSynchronize, handler.PutVoid());
    if (FAILED(hr) || !handler) {
      Fail("COM-004",
           "CoCreateInstance(handler) failed: " + DescribeHresult(hr));
      if (answer != nullptr) *answer = FAILED(hr) ? hr : E_UNEXPECTED;
      return nullptr;
    }
    if (!StillAlive(handler.Get(), "before CoCreateInstance returned it")) {
      handler.Detach();  // not ours to release any more
      if (answer != nullptr) *answer = E_UNEXPECTED;
      return nullptr;
    }
    const BYTE cookie[4] = {'c', 'e', 'r', 't'};
    const HRESULT init = handler->Initialize(0, flags, sizeof cookie, cookie);
    Step("Initialize(flags " + Hex(flags) + ") -> " + DescribeHresult(init));
    if (answer != nullptr) *answer = init;
    if (init != S_OK) return nullptr;
    return handler;
  }

  void Fail(const std::string& requirement, const std::string& message) {
    std::lock_guard lock(mu_);
    findings_[requirement].push_back(message);
    std::printf("finding %s: %s\n", requirement.c_str(), message.c_str());
    std::fflush(stdout);
    EmitLocked({{"finding", requirement}, {"message", message}});
  }

  // A finding after which the handler's memory cannot be trusted (an
  // object destroyed while referenced): a crash later in this scenario, or
  // in a later one, is charged to it rather than to that scenario's rule.
  void FailFatal(const std::string& requirement, const std::string& message) {
    Fail(requirement, message);
    std::lock_guard lock(mu_);
    EmitLocked({{"fatal", requirement}, {"message", message}});
  }

  // EN-001 on one Next(1): false when it broke it (nothing it handed back
  // may be used).
  bool JudgeNext(const NextResult& next) {
    if (next.overran) {
      Fail("EN-001", "Next(1) wrote past the one entry it was given");
      return false;
    }
    if (next.unwritten) {
      Fail("EN-001",
           "Next(1) answered " + DescribeHresult(next.hr) + " with " +
               std::to_string(next.fetched) +
               " fetched, but never wrote the entry (pceltFetched must "
               "count the entries it enumerated)");
      return false;
    }
    return true;
  }

  // COM-003: `object`, which we hold a reference to, must not have been
  // destroyed. False (after a fatal finding) when it was: the pointer is
  // then given up without a call.
  bool StillAlive(const void* object, const std::string& when) {
    if (LooksAlive(object)) return true;
    FailFatal("COM-003", "the handler object was destroyed " + when +
                             ", while a reference to it remained (its "
                             "vtable pointer was overwritten)");
    return false;
  }

  // The scenario reached the situation `requirement` is about, so a
  // violation would have been seen: without a finding, it passes.
  void Observed(const std::string& requirement) {
    std::lock_guard lock(mu_);
    if (observed_.insert(requirement).second) {
      EmitLocked({{"observed", requirement}});
    }
  }

  // The scenario could not exercise `requirement` with this handler (e.g.
  // it logged no error that offers ShowError): reported as not run.
  // When the handler's enumerators gave no item in any session, every rule
  // about items and their synchronization is not run for that reason (a
  // reason a scenario gives itself later takes its place).
  void NoteWhenNoItems(const std::vector<ref::SessionReport>& reports) {
    bool enumerated = false;
    for (const ref::SessionReport& r : reports) {
      if (!r.items.empty()) return;
      enumerated |= std::any_of(
          r.trace.begin(), r.trace.end(), [](const std::string& line) {
            return line.rfind("ISyncMgrEnumItems::Next", 0) == 0;
          });
    }
    if (!enumerated) return;
    const std::string why =
        "the handler enumerated no items, so no item was chosen or "
        "synchronized (items from its own configuration? Seed them before "
        "certify runs: environment or files on Linux, certify_windows "
        "--registry=FILE.reg under Wine)";
    for (const char* id :
         {"HS-107", "HS-012", "HS-016", "HS-017", "HS-020", "HS-108", "HS-113",
          "CB-002", "CB-003", "CB-005", "CB-010", "CB-016"}) {
      NotExercised(id, why);
    }
  }

  // A session of this run ended because a completion never came: the
  // parent waits less for later runs in the same session mode.
  void Stalled() {
    std::lock_guard lock(mu_);
    if (!stalled_) EmitLocked({{"stalled", true}});
    stalled_ = true;
  }

  std::string CompletionLimitHint() const {
    return " (certify's limits: a handler may stay silent for " +
           std::to_string(flags_.completion_timeout_ms) +
           " ms while a completion is due, --completion_timeout_ms; each "
           "Progress, LogError or EstablishConnection restarts that wait, up "
           "to the scenario's " +
           std::to_string(static_cast<int>(flags_.timeout_seconds)) +
           " s, --timeout: raise them for a handler that needs longer)";
  }

  void NotExercised(const std::string& requirement, const std::string& why) {
    std::lock_guard lock(mu_);
    not_exercised_[requirement] = why;
    EmitLocked({{"not_exercised", requirement}, {"why", why}});
  }

  void Step(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    std::lock_guard lock(mu_);
    trace_.push_back(line);
    EmitLocked({{"step", line}});
  }

  // Waits for every session to end, then judges what the sessions reported.
  void Finish(bool check_release) {
    if (!ref::WaitForIdle(IdleLimit())) {
      Fail("HS-108", "sessions still running long after every timeout");
    }
    std::vector<ref::SessionReport> reports;
    {
      std::lock_guard lock(mu_);
      reports = reports_;
    }
    for (const ref::SessionReport& report : reports) {
      ObserveSession(report);
      for (const std::string& line : report.trace) Trace(report, line);
      Trace(report, std::string("outcome: ") +
                        ref::OutcomeName(report.outcome) + " (" +
                        DescribeHresult(report.result) + ")");
      // Synchronize returning S_FALSE and then completing is one bug, which
      // CB-003 names (the completion after a non-S_OK return).
      const bool completed_after_refusal = std::any_of(
          report.violations.begin(), report.violations.end(),
          [](const ref::Violation& v) { return v.requirement == "CB-003"; });
      for (const ref::Violation& v : report.violations) {
        if (v.requirement == "HS-018" && completed_after_refusal) continue;
        // A completion that never came breaks the documented rule of its
        // method; HS-112 is the manager's answer to it.
        std::string message =
            "session " + std::to_string(report.id) + ": " + v.message;
        if (v.requirement == "HS-112") message += CompletionLimitHint();
        Fail(HandlerRequirement(v), message);
      }
      if (report.outcome == ref::Outcome::kTimedOut) Stalled();
      CheckProgressReported(report);
      // After S_SYNCMGR_CANCELALL a handler asks about no further item. A
      // session without a Progress the manager accepted is judged by HS-017
      // (none at all) or CB-102 (malformed ones), not by this.
      const bool cancelled_all =
          ref::CurrentOptions().progress_answer == S_SYNCMGR_CANCELALL &&
          !report.progress.empty();
      if (report.outcome == ref::Outcome::kCompleted &&
          report.synchronize_calls > 0 && !report.selected.empty() &&
          !report.progress.empty() && !cancelled_all) {
        Observed("CB-010");
        for (const GUID& item : report.selected) {
          const bool reported =
              std::any_of(report.progress.begin(), report.progress.end(),
                          [&](const ref::ProgressReport& p) {
                            return IsEqualGUID(p.item, item);
                          });
          if (!reported) {
            Fail("CB-010", "session " + std::to_string(report.id) +
                               ": no Progress for item " + FormatGuid(item) +
                               " before SynchronizeCompleted");
          }
        }
      }
    }
    NoteWhenNoItems(reports);
    if (check_release) {
      // Every object released: the module can unload (its worker threads
      // get a short grace period to drop their references).
      HRESULT hr = S_FALSE;
      for (int i = 0; i < 40 && hr != S_OK; ++i) {
        hr = syncmgr::com::InprocServerCanUnloadNow(flags_.handler);
        if (hr != S_OK)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      Step("DllCanUnloadNow -> " + DescribeHresult(hr));
      Observed("COM-003");
      if (hr != S_OK) {
        Fail("COM-003",
             "objects of the handler are still alive 2 s after every "
             "session ended (DllCanUnloadNow: " +
                 DescribeHresult(hr) + ")");
      }
    }
    // HS-111: calls into a session's callback after it ended, looked for
    // while the handler's objects live (they may hold the callback; at most
    // 500 ms more, so that a leaking handler costs each scenario little),
    // and a little after.
    for (int i = 0; i < 10 && syncmgr::com::InprocServerCanUnloadNow(
                                  flags_.handler) != S_OK;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // By rule: a completion whose method had failed breaks that method's
    // rule (CB-002, CB-003, CB-005) however late it comes.
    for (const auto& [requirement, count] :
         ref::GetStatistics().late_violations_by_requirement) {
      const auto before = late_before_.find(requirement);
      const std::uint64_t late =
          count - (before == late_before_.end() ? 0 : before->second);
      if (late == 0) continue;
      if (requirement == "HS-111") {
        Fail("HS-111", std::to_string(late) +
                           " call(s) to a session's callback after the "
                           "session ended");
      } else {
        Fail(requirement, std::to_string(late) +
                              " completion(s) after the session ended, for a "
                              "call that had returned a failure");
      }
    }
  }

  // HS-017: between Synchronize and its SynchronizeCompleted (each pass,
  // retries included) the handler called Progress at least once. From the
  // trace: a pass's Synchronize comes once PrepareForSync has both returned
  // S_OK and completed with S_OK; the lines the manager left out of a long
  // trace count as Progress.
  void CheckProgressReported(const ref::SessionReport& report) {
    bool returned = false, completed = false;  // the pass's PrepareForSync
    bool synchronizing = false, progress = false;
    for (const std::string& line : report.trace) {
      const auto starts = [&line](const char* prefix) {
        return line.rfind(prefix, 0) == 0;
      };
      if (starts("PrepareForSync -> S_OK")) {
        returned = true;
      } else if (starts("PrepareForSync -> ")) {
        returned = completed = false;  // refused: no Synchronize
      } else if (starts("  <- PrepareForSyncCompleted(S_OK")) {
        completed = true;
      } else if (starts("  <- Progress(") || starts("... ")) {
        progress = true;
      } else if (starts("  <- SynchronizeCompleted(") && synchronizing) {
        synchronizing = returned = completed = false;
        Observed("HS-017");
        if (!progress) {
          Fail("HS-017", "session " + std::to_string(report.id) +
                             ": SynchronizeCompleted without a single "
                             "Progress call since Synchronize was called");
        }
      }
      if (!synchronizing && returned && completed) {
        synchronizing = true;
        progress = false;
      }
    }
  }

  // CB-016: after Progress answered `answer` (CANCELITEM or CANCELALL, to
  // every call), no item the answer cancelled gets more work or finishes
  // as SUCCEEDED.
  void CheckCancellation(HRESULT answer) {
    for (const ref::SessionReport& report : reports()) {
      std::vector<GUID> cancelled;
      for (const ref::ProgressReport& p : report.progress) {
        const bool has_status =
            (p.progress.mask & SYNCMGRPROGRESSITEM_STATUSTYPE) != 0;
        const DWORD status = has_status ? p.progress.dwStatusType : 0;
        const bool working = has_status && (status == SYNCMGRSTATUS_UPDATING ||
                                            status == SYNCMGRSTATUS_SUCCEEDED);
        const bool is_cancelled =
            answer == S_SYNCMGR_CANCELALL
                ? !cancelled.empty()
                : std::any_of(
                      cancelled.begin(), cancelled.end(),
                      [&](const GUID& g) { return IsEqualGUID(g, p.item); });
        if (is_cancelled && working) {
          Fail("CB-016", "session " + std::to_string(report.id) + ": item " +
                             FormatGuid(p.item) + " reported " +
                             (status == SYNCMGRSTATUS_SUCCEEDED ? "SUCCEEDED"
                                                                : "UPDATING") +
                             " after Progress answered " +
                             DescribeHresult(answer));
        }
        cancelled.push_back(p.item);  // every answer was `answer`
        Observed("CB-016");
      }
    }
  }

  // HS-020: after SetItemStatus(item, SKIPPED), the item gets no more work
  // and does not finish as SUCCEEDED. Only Progress calls that came after
  // the SetItemStatus call count.
  void CheckSkipped(const GUID& item) {
    for (const ref::SessionReport& report : reports()) {
      size_t progress_before = 0;
      bool sent = false;
      for (const std::string& line : report.trace) {
        if (line.rfind("SetItemStatus(SKIPPED)", 0) == 0) {
          sent = true;
          break;
        }
        progress_before += line.rfind("  <- Progress", 0) == 0;
      }
      if (!sent) continue;
      Observed("HS-020");
      for (size_t i = progress_before; i < report.progress.size(); ++i) {
        const ref::ProgressReport& p = report.progress[i];
        if (!IsEqualGUID(p.item, item) ||
            !(p.progress.mask & SYNCMGRPROGRESSITEM_STATUSTYPE)) {
          continue;
        }
        if (p.progress.dwStatusType == SYNCMGRSTATUS_UPDATING ||
            p.progress.dwStatusType == SYNCMGRSTATUS_SUCCEEDED) {
          Fail("HS-020", "session " + std::to_string(report.id) +
                             ": the skipped item " + FormatGuid(item) +
                             " was reported " +
                             (p.progress.dwStatusType == SYNCMGRSTATUS_SUCCEEDED
                                  ? "SUCCEEDED"
                                  : "UPDATING") +
                             " after SetItemStatus(SKIPPED)");
        }
      }
    }
  }

  // COM rules on the handler's class object and objects. The NULL ppv probe
  // comes last: a handler that writes through it crashes, which fails
  // COM-001 (the scenario's primary requirement) and nothing else.
  void CheckComRules() {
    DllGetClassObjectFn get_class_object = nullptr;
    DllCanUnloadNowFn can_unload = nullptr;
    std::string error;
    if (FAILED(syncmgr::com::LoadInprocServer(flags_.handler, &get_class_object,
                                              &can_unload, &error))) {
      Fail("COM-005", "cannot load the handler: " + error);
      return;
    }
    const GUID other = {0x5E570000, 0xC0, 0x4E, {0, 0, 0, 0, 0, 0, 0, 0x01}};
    ComPtr<IClassFactory> factory;
    void* left = reinterpret_cast<void*>(0x1);  // must become NULL
    HRESULT hr = get_class_object(other, IID_IClassFactory, &left);
    Step("DllGetClassObject(another CLSID) -> " + DescribeHresult(hr));
    Observed("COM-005");
    ExpectHresult(hr, CLASS_E_CLASSNOTAVAILABLE, "COM-005",
                  "DllGetClassObject for a CLSID it does not serve");
    if (FAILED(hr) && left != nullptr) {
      Fail("COM-005", "DllGetClassObject failed but left *ppv non-NULL");
    }
    if (SUCCEEDED(hr) && left != nullptr) {
      static_cast<IUnknown*>(left)->Release();
    }
    hr = get_class_object(clsid_, IID_IClassFactory, factory.PutVoid());
    if (FAILED(hr) || !factory) {
      Fail("COM-005", "DllGetClassObject for its own CLSID returned " +
                          DescribeHresult(hr));
      return;
    }
    ComPtr<ISyncMgrSynchronize> handler;
    // Any non-NULL outer unknown asks for aggregation.
    ComPtr<IUnknown> outer;
    factory.As(&outer);
    hr = factory->CreateInstance(outer.Get(), IID_IUnknown, handler.PutVoid());
    Step("CreateInstance(aggregated) -> " + DescribeHresult(hr));
    Observed("COM-007");
    ExpectHresult(hr, CLASS_E_NOAGGREGATION, "COM-007",
                  "IClassFactory::CreateInstance with an outer unknown");
    handler.Reset();
    // An interface the handler lacks: E_NOINTERFACE with *ppv NULL.
    left = reinterpret_cast<void*>(0x1);
    hr = factory->CreateInstance(nullptr, IID_ISyncMgrSynchronizeInvoke, &left);
    Step("CreateInstance(an interface it lacks) -> " + DescribeHresult(hr));
    if (FAILED(hr) && left != nullptr) {
      Fail("COM-001",
           "IClassFactory::CreateInstance failed but left *ppv non-NULL");
    }
    if (SUCCEEDED(hr) && left != nullptr) {
      Fail("COM-001",
           "IClassFactory::CreateInstance handed out an interface the "
           "handler does not implement (ISyncMgrSynchronizeInvoke)");
      static_cast<IUnknown*>(left)->Release();
    }
    hr = factory->CreateInstance(nullptr, IID_ISyncMgrSynchronize,
                                 handler.PutVoid());
    if (FAILED(hr) || !handler) {
      Fail("COM-007",
           "IClassFactory::CreateInstance returned " + DescribeHresult(hr));
      return;
    }
    // COM-003: the object lives while a reference remains, also after an
    // AddRef and its Release.
    Observed("COM-003");
    if (!StillAlive(handler.Get(), "before CreateInstance returned it")) {
      handler.Detach();
      return;
    }
    handler->AddRef();
    handler->Release();
    if (!StillAlive(handler.Get(), "by an AddRef and a Release")) {
      handler.Detach();
      return;
    }
    // IUnknown identity, from the object and from its enumerator.
    ComPtr<IUnknown> a, b;
    ComPtr<ISyncMgrSynchronize> again;
    handler->QueryInterface(IID_IUnknown, a.PutVoid());
    if (a) a->QueryInterface(IID_ISyncMgrSynchronize, again.PutVoid());
    if (again) again->QueryInterface(IID_IUnknown, b.PutVoid());
    Observed("COM-002");
    if (!a || !b || a.Get() != b.Get()) {
      Fail("COM-002",
           "QueryInterface(IID_IUnknown) did not give one pointer for the "
           "handler object");
    }
    // Unknown interfaces.
    void* out = reinterpret_cast<void*>(0x1);
    hr = handler->QueryInterface(IID_ISyncMgrSynchronizeInvoke, &out);
    Step("QueryInterface(an interface it lacks) -> " + DescribeHresult(hr));
    Observed("COM-001");
    ExpectHresult(hr, E_NOINTERFACE, "COM-001",
                  "QueryInterface for an interface the handler lacks");
    if (hr == E_NOINTERFACE && out != nullptr) {
      Fail("COM-001", "QueryInterface failed but left *ppv non-NULL");
    }
    if (SUCCEEDED(hr) && out != nullptr) {
      static_cast<IUnknown*>(out)->Release();
    }
    CheckCallbackReplacement(handler.Get());
    hr = handler->QueryInterface(IID_IUnknown, nullptr);
    Step("QueryInterface(IID_IUnknown, NULL) -> " + DescribeHresult(hr));
    ExpectHresult(hr, E_POINTER, "COM-001", "QueryInterface with a NULL ppv");
  }

  // CB-004: ShowProperties for the handler (GUID_NULL) when its info has
  // SYNCMGRHANDLER_HASPROPERTIES, and for the first items with
  // SYNCMGRITEM_HASPROPERTIES (five calls at most in all). A failed one must
  // not be followed by ShowPropertiesCompleted, however late (looked for while
  // the handler holds the callback, at most 500 ms). Whether a successful one
  // completes is not judged: its page does not say it must.
  void CheckShowProperties() {
    ComPtr<ISyncMgrSynchronize> handler = CreateInitialized();
    if (!handler) {
      NotExercised("CB-004",
                   "the handler object could not be created and initialized");
      return;
    }
    std::vector<GUID> targets;
    SYNCMGRHANDLERINFO* info = nullptr;
    if (handler->GetHandlerInfo(&info) == S_OK && info != nullptr) {
      if (info->SyncMgrHandlerFlags & SYNCMGRHANDLER_HASPROPERTIES) {
        targets.push_back(GUID_NULL);
      }
      CoTaskMemFree(info);
    }
    ComPtr<ISyncMgrEnumItems> items;
    if (SUCCEEDED(handler->EnumSyncMgrItems(items.Put())) && items) {
      for (int i = 0; i < 1000 && targets.size() < 5; ++i) {
        const NextResult next = NextOne(items.Get());
        if (!JudgeNext(next) || !next.Got()) break;
        if (next.item.dwFlags & SYNCMGRITEM_HASPROPERTIES) {
          targets.push_back(next.item.ItemID);
        }
      }
    }
    if (targets.empty()) {
      NotExercised("CB-004",
                   "the handler offers no properties (neither "
                   "SYNCMGRHANDLER_HASPROPERTIES nor an item with "
                   "SYNCMGRITEM_HASPROPERTIES), so ShowProperties was never "
                   "called");
      return;
    }
    ComPtr<ISyncMgrSynchronizeCallback> held;
    syncmgr::com::CreateObject<IdleCallback>(IID_ISyncMgrSynchronizeCallback,
                                             held.PutVoid());
    auto* callback = static_cast<IdleCallback*>(held.Get());
    if (!callback || handler->SetProgressCallback(held.Get()) != S_OK) {
      NotExercised("CB-004", "SetProgressCallback did not return S_OK");
      return;
    }
    const auto others = [&held] { return HeldByOthers(held.Get()); };
    const long baseline = others();
    for (const GUID& id : targets) {
      const int before = callback->properties_completed.load();
      const HRESULT hr = handler->ShowProperties(nullptr, id);
      Step("ShowProperties(" + FormatGuid(id) + ") -> " + DescribeHresult(hr));
      Observed("CB-004");
      if (SUCCEEDED(hr)) continue;
      for (int i = 0; i < 10 && callback->properties_completed.load() == before;
           ++i) {
        if (i > 0 && others() <= baseline) break;  // no thread holds it
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (callback->properties_completed.load() != before) {
        Fail("CB-004", "ShowProperties(" + FormatGuid(id) + ") returned " +
                           DescribeHresult(hr) +
                           " but ShowPropertiesCompleted was called");
      }
    }
    handler->SetProgressCallback(nullptr);
  }

  // HS-009 on a fresh object: SetProgressCallback AddRefs the new callback
  // and releases the one it replaces; SetProgressCallback(NULL) releases the
  // last. (Sessions only ever set one callback and then NULL.)
  void CheckCallbackReplacement(ISyncMgrSynchronize* handler) {
    // With a cookie: an empty one is HS-027's scenario, not this one's.
    const BYTE cookie[] = {'c', 'o', 'm', '!'};
    if (handler->Initialize(0, SYNCMGRFLAG_INVOKE, sizeof cookie, cookie) !=
        S_OK) {
      return;  // declined: nothing more to ask of this object
    }
    ComPtr<ISyncMgrSynchronizeCallback> first, second;
    syncmgr::com::CreateObject<IdleCallback>(IID_ISyncMgrSynchronizeCallback,
                                             first.PutVoid());
    syncmgr::com::CreateObject<IdleCallback>(IID_ISyncMgrSynchronizeCallback,
                                             second.PutVoid());
    if (!first || !second) return;
    if (handler->SetProgressCallback(first.Get()) != S_OK) return;
    const long first_held = HeldByOthers(first.Get());
    HRESULT hr = handler->SetProgressCallback(second.Get());
    Step("SetProgressCallback(another callback) -> " + DescribeHresult(hr));
    if (hr != S_OK) return;
    Observed("HS-009");
    if (first_held > 0 && HeldByOthers(first.Get()) >= first_held) {
      Fail("HS-009",
           "SetProgressCallback with a new callback did not release the one "
           "it replaced (" +
               std::to_string(HeldByOthers(first.Get())) +
               " reference(s) still held)");
    }
    handler->SetProgressCallback(nullptr);
    if (HeldByOthers(second.Get()) > 0) {
      Fail("HS-009",
           "SetProgressCallback(NULL) did not release the callback (" +
               std::to_string(HeldByOthers(second.Get())) +
               " reference(s) still held)");
    }
  }

  void ExpectHresult(HRESULT got, HRESULT want, const std::string& requirement,
                     const std::string& what) {
    if (got != want) {
      Fail(requirement, what + " returned " + DescribeHresult(got) +
                            ", expected " + DescribeHresult(want));
    }
  }

  // The last line of the result file: the scenario ran to its end.
  void End() {
    std::lock_guard lock(mu_);
    std::string trace;
    for (const std::string& line : trace_) trace += line + "\n";
    EmitLocked({{"end", true}, {"trace", trace}});
  }

  ISyncMgrSynchronizeInvoke* invoke() { return invoke_.Get(); }
  const std::string& handler_path() const { return flags_.handler; }
  std::vector<ref::SessionReport> reports() {
    std::lock_guard lock(mu_);
    return reports_;
  }

 private:
  static std::string Hex(DWORD v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%X", static_cast<unsigned>(v));
    return buf;
  }
  // Long enough for every session asked for to time out twice over (the
  // manager runs one handler's sessions one at a time), and no longer than
  // the scenario may last: a handler that keeps reporting extends each
  // completion's wait up to that.
  std::chrono::milliseconds IdleLimit() const {
    const long long silent =
        static_cast<long long>(flags_.completion_timeout_ms) * 4 *
            std::max(1, updates_.load()) +
        5000;
    const long long scenario =
        static_cast<long long>(flags_.timeout_seconds * 1000);
    return std::chrono::milliseconds(std::min(silent, scenario));
  }

  void EmitLocked(const json& event) {
    if (out_ == nullptr) return;
    const std::string line =
        event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
  }

  // What a finished session let the manager observe: each handler rule whose
  // situation arose (a rule whose situation never arose is not run).
  void ObserveSession(const ref::SessionReport& report) {
    auto has = [&report](const std::string& prefix) {
      return std::any_of(
          report.trace.begin(), report.trace.end(),
          [&](const std::string& line) { return line.rfind(prefix, 0) == 0; });
    };
    auto refused = [&report](const std::string& method) {
      return std::any_of(report.trace.begin(), report.trace.end(),
                         [&](const std::string& line) {
                           return line.rfind(method + " -> ", 0) == 0 &&
                                  line.rfind(method + " -> S_OK", 0) != 0;
                         });
    };
    if (has("Initialize -> ")) {
      Observed("HS-001");
      Observed("HS-105");
    }
    if (has("GetHandlerInfo -> S_OK")) {
      Observed("HS-006");
      Observed("HS-106");
      Observed("ST-003");
    }
    if (has("ISyncMgrEnumItems::Next")) {
      Observed("EN-001");
      Observed("EN-101");
      if (!report.items.empty()) Observed("HS-107");
    }
    if (has("PrepareForSync -> ")) Observed("HS-117");
    if (has("PrepareForSync -> S_OK")) {
      Observed("HS-012");
      Observed("HS-108");
    }
    if (has("Synchronize -> S_OK")) {
      Observed("HS-016");
      Observed("HS-108");
      // Only a session that left items out can show an item synchronized
      // without being prepared.
      if (report.selected.size() < report.items.size()) Observed("HS-011");
    }
    if (refused("PrepareForSync")) Observed("CB-002");
    if (has("Synchronize -> ")) {
      Observed("CB-003");
      Observed("HS-018");
    }
    if (has("SetProgressCallback -> S_OK")) Observed("HS-009");
    if (has("SetProgressCallback -> ")) {
      // The handler has the callback: it could complete a ShowProperties
      // the manager never asked for, or ask for a dialog.
      Observed("CB-004");
      if (!(report.syncmgr_flags & SYNCMGRFLAG_MAYBOTHERUSER)) {
        Observed("HS-013");
      }
    }
    if (has("SetProgressCallback(NULL)")) {
      Observed("HS-109");
      Observed("HS-111");
    }
    if (has("  <- Progress") || has("  <- LogError")) {
      Observed("CB-102");
      Observed("CB-105");
      Observed("CB-107");
    }
    if (has("Release -> ")) Observed("COM-003");
  }

  void Trace(const ref::SessionReport& report, const std::string& line) {
    std::lock_guard lock(mu_);
    trace_.push_back("  [session " + std::to_string(report.id) + "] " + line);
  }

  const Flags& flags_;
  const GUID clsid_;
  ComPtr<ISyncMgrSynchronizeInvoke> invoke_;
  ComPtr<ISyncMgrRegister> register_;
  std::mutex mu_;
  std::vector<ref::SessionReport> reports_;
  std::map<std::string, std::vector<std::string>> findings_;
  std::map<std::string, std::string> not_exercised_;
  std::set<std::string> observed_;
  std::vector<std::string> trace_;
  std::FILE* out_ = nullptr;
  std::atomic<int> updates_{0};
  bool stalled_ = false;
  std::map<std::string, std::uint64_t> late_before_;
};

std::vector<BYTE> Pattern(size_t size) {
  std::vector<BYTE> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<BYTE>(i * 31 + 7);
  return bytes;
}

void ExpectHresult(Driver& d, HRESULT got, HRESULT want,
                   const std::string& requirement, const std::string& what) {
  if (got != want) {
    d.Fail(requirement, what + " returned " + DescribeHresult(got) +
                            ", expected " + DescribeHresult(want));
  }
}

// Whether a session of `reports` reached Synchronize.
bool Synchronized(const std::vector<ref::SessionReport>& reports) {
  return std::any_of(
      reports.begin(), reports.end(),
      [](const ref::SessionReport& r) { return r.synchronize_calls > 0; });
}

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> all;
  const std::vector<BYTE> small_cookie = Pattern(4);
  // First: it calls the handler's objects most carefully, so that a handler
  // that destroys an object too early is named (COM-003) before the other
  // scenarios crash on it.
  all.push_back(
      {"com_rules",
       "The handler's class object and objects follow COM: the wrong CLSID "
       "and aggregation are refused, an object lives while referenced, unknown "
       "interfaces give E_NOINTERFACE "
       "with *ppv NULL, IUnknown is one per object, a NULL ppv gives "
       "E_POINTER; SetProgressCallback releases the callback it replaces",
       {"COM-005", "COM-007", "COM-003", "COM-002", "COM-001", "HS-009"},
       [](Driver& d) { d.CheckComRules(); },
       false,
       "COM-001"});

  // One session, whose handler-side findings the manager records.
  const auto one_session = [small_cookie](Driver& d) {
    d.Update(SYNCMGRINVOKE_STARTSYNC, small_cookie);
    d.Finish(false);
  };
  // Every SYNCMGRINVOKEFLAGS combination: a full session each.
  const std::pair<const char*, DWORD> kFlags[] = {
      {"invoke_flags_none", 0},
      {"invoke_flags_startsync", SYNCMGRINVOKE_STARTSYNC},
      {"invoke_flags_minimized", SYNCMGRINVOKE_MINIMIZED},
      {"invoke_flags_startsync_minimized",
       SYNCMGRINVOKE_STARTSYNC | SYNCMGRINVOKE_MINIMIZED}};
  for (const auto& [name, flags] : kFlags) {
    std::vector<std::string> reqs = kSessionRequirements;
    reqs.push_back("CB-010");
    reqs.push_back("HS-001");
    const DWORD f = flags;
    Scenario s{name,
               "A full session started with dwInvokeFlags " +
                   std::to_string(f) + " and a 4-byte cookie",
               reqs, [f, small_cookie](Driver& d) {
                 ExpectHresult(d, d.Update(f, small_cookie), S_OK, "HS-001",
                               "UpdateItems");
                 d.Finish(true);
               }};
    s.primary = "HS-016";  // a handler that crashes or hangs never completes
    all.push_back(s);
  }
  // Cookies of every size the manager may pass.
  for (DWORD size : {DWORD{0}, DWORD{1}, DWORD{16}, DWORD{4096}, kMaxCookie}) {
    // An empty cookie is what every session not started by UpdateItems
    // gets (HS-027, documented); the sizes are our cap's range (HS-114).
    const std::string rule = size == 0 ? "HS-027" : "HS-114";
    all.push_back(
        {"cookie_" + std::to_string(size),
         "A session whose Initialize gets a " + std::to_string(size) +
             "-byte cookie",
         {rule},
         [size, rule](Driver& d) {
           ExpectHresult(d, d.Update(SYNCMGRINVOKE_STARTSYNC, Pattern(size)),
                         S_OK, rule, "UpdateItems");
           d.Finish(false);
           for (const auto& r : d.reports()) {
             d.Observed(rule);
             if (r.outcome == ref::Outcome::kInitializeFailed) {
               d.Fail(rule, "Initialize failed with a " + std::to_string(size) +
                                "-byte cookie: " + DescribeHresult(r.result));
             }
           }
         }});
  }
  all.push_back(
      {"cookie_revoked_after_initialize",
       "The cookie's pages become inaccessible once Initialize returns: a "
       "handler that kept the pointer instead of copying the bytes faults",
       {"HS-113"},
       [](Driver& d) {
         d.Update(SYNCMGRINVOKE_STARTSYNC, Pattern(64));
         d.Finish(false);
         // The handler had every chance to read the kept pointer.
         if (Synchronized(d.reports())) d.Observed("HS-113");
       }});
  all.push_back({"repeated_sessions",
                 "Three sessions one after the other, each with a new "
                 "handler object",
                 kSessionRequirements,
                 [small_cookie](Driver& d) {
                   if (d.FirstSessionCompletes(small_cookie)) {
                     for (int i = 0; i < 2; ++i) {
                       ExpectHresult(
                           d, d.Update(SYNCMGRINVOKE_STARTSYNC, small_cookie),
                           S_OK, "HS-001", "UpdateItems");
                     }
                   }
                   d.Finish(true);
                 },
                 true, "HS-016"});
  all.push_back({"concurrent_sessions",
                 "Eight sessions requested at once from four threads",
                 kSessionRequirements,
                 [small_cookie](Driver& d) {
                   if (!d.FirstSessionCompletes(small_cookie)) {
                     return d.Finish(true);
                   }
                   std::vector<std::thread> threads;
                   for (int t = 0; t < 4; ++t) {
                     threads.emplace_back([&d, small_cookie] {
                       for (int i = 0; i < 2; ++i) {
                         ExpectHresult(
                             d, d.Update(SYNCMGRINVOKE_STARTSYNC, small_cookie),
                             S_OK, "HS-001", "UpdateItems");
                       }
                     });
                   }
                   for (std::thread& t : threads) t.join();
                   d.Finish(true);
                 },
                 true, "HS-016"});
  all.push_back(
      {"skip_item",
       "The manager skips the handler's last checked item (SetItemStatus "
       "SKIPPED right after Synchronize returns): the handler must not "
       "synchronize it",
       {"HS-020"},
       [one_session](Driver& d) {
         const std::vector<GUID> skip = ref::CurrentOptions().skip_items;
         one_session(d);
         if (skip.empty()) {
           d.NotExercised("HS-020",
                          "certify's own pass over the handler's items found "
                          "no checked item (or its Next broke EN-001, which "
                          "the sessions judge)");
           return;
         }
         d.CheckSkipped(skip.front());
         bool sent = false;
         for (const auto& r : d.reports()) {
           for (const std::string& line : r.trace) {
             sent |= line.rfind("SetItemStatus(SKIPPED)", 0) == 0;
           }
         }
         if (!sent) {
           d.NotExercised("HS-020",
                          "the handler completed Synchronize before it "
                          "returned, so there was no moment to send "
                          "SetItemStatus (the pages allow it only between "
                          "Synchronize's return and SynchronizeCompleted)");
         }
       }});
  for (const auto& [name, answer] :
       {std::pair<const char*, HRESULT>{"cancel_all", S_SYNCMGR_CANCELALL},
        std::pair<const char*, HRESULT>{"cancel_item", S_SYNCMGR_CANCELITEM}}) {
    const HRESULT a = answer;
    all.push_back({name,
                   std::string("Progress answers ") + DescribeHresult(a) +
                       ": the cancelled items get no more work and do not "
                       "finish as SUCCEEDED",
                   {"CB-016"},
                   [a, one_session](Driver& d) {
                     one_session(d);
                     d.CheckCancellation(a);
                   }});
  }
  all.push_back({"show_error",
                 "Errors the handler logged with ENABLEJUMPTEXT are shown "
                 "(ShowError), once each",
                 {"CB-005"},
                 [small_cookie](Driver& d) {
                   d.Update(SYNCMGRINVOKE_STARTSYNC, small_cookie);
                   d.Finish(false);
                   int shown = 0;
                   for (const auto& r : d.reports()) {
                     for (const std::string& line : r.trace) {
                       shown += line.rfind("ShowError ->", 0) == 0;
                     }
                   }
                   const std::vector<ref::SessionReport> reports = d.reports();
                   const bool completed = std::any_of(
                       reports.begin(), reports.end(),
                       [](const ref::SessionReport& r) {
                         return r.outcome == ref::Outcome::kCompleted;
                       });
                   if (shown == 0 && !completed) {
                     d.NotExercised("CB-005",
                                    "no session completed successfully (the "
                                    "manager offers ShowError only after a "
                                    "synchronization that succeeded)");
                   } else if (shown == 0) {
                     d.NotExercised("CB-005",
                                    "the handler logged no error with "
                                    "SYNCMGRERRORFLAG_ENABLEJUMPTEXT and an "
                                    "ErrorID, so ShowError was never called");
                   } else {
                     d.Observed("CB-005");
                   }
                 }});
  all.push_back(
      {"show_properties",
       "ShowProperties for what the handler says has properties (the "
       "handler, GUID_NULL, with SYNCMGRHANDLER_HASPROPERTIES; items with "
       "SYNCMGRITEM_HASPROPERTIES): after a failed ShowProperties no "
       "ShowPropertiesCompleted comes",
       {"CB-004"},
       [](Driver& d) { d.CheckShowProperties(); },
       false});
  all.push_back(
      {"subset",
       "A session in which the Choice step selects every item of the "
       "handler's but the last: Synchronize works on those alone",
       {"HS-011"},
       [small_cookie](Driver& d) {
         d.Update(0, small_cookie);  // no STARTSYNC: the Choice step runs
         d.Finish(false);
         for (const auto& r : d.reports()) {
           if (r.items.size() >= 2) return;  // observed in Finish
         }
         d.NotExercised("HS-011",
                        "the handler enumerated fewer than two items, so no "
                        "subset of them could be chosen");
       }});
  all.push_back({"get_item_object",
                 "GetItemObject returns E_NOTIMPL and clears *ppv",
                 {"HS-008"},
                 [](Driver& d) {
                   ComPtr<ISyncMgrSynchronize> handler = d.CreateInitialized();
                   if (!handler) {  // a creation failure is COM-004's
                     d.NotExercised("HS-008",
                                    "the handler could not be created and "
                                    "initialized");
                     return;
                   }
                   void* object = reinterpret_cast<void*>(0x1);
                   const HRESULT hr =
                       handler->GetItemObject(GUID_NULL, IID_IUnknown, &object);
                   d.Step("GetItemObject -> " + DescribeHresult(hr));
                   d.Observed("HS-008");
                   ExpectHresult(d, hr, E_NOTIMPL, "HS-008", "GetItemObject");
                   if (object != nullptr && hr == E_NOTIMPL) {
                     d.Fail("HS-008", "GetItemObject left *ppv non-NULL");
                   }
                 },
                 false});
  all.push_back(
      {"unknown_event_code",
       "Initialize with an event code no page defines (0x7F) is treated as "
       "a manual synchronization: answered as SYNCMGRFLAG_MANUAL is, and the "
       "object then enumerates the same items",
       {"HS-004"},
       [](Driver& d) {
         constexpr DWORD kUnknownEvent = 0x7F;  // within SYNCMGRFLAG_EVENTMASK
         HRESULT manual_answer = E_UNEXPECTED, unknown_answer = E_UNEXPECTED;
         ComPtr<ISyncMgrSynchronize> manual =
             d.CreateInitialized(SYNCMGRFLAG_MANUAL, &manual_answer);
         ComPtr<ISyncMgrSynchronize> unknown =
             d.CreateInitialized(kUnknownEvent, &unknown_answer);
         if (manual_answer != S_OK) {
           d.NotExercised("HS-004",
                          "the handler did not accept a manual "
                          "synchronization (Initialize with "
                          "SYNCMGRFLAG_MANUAL returned " +
                              DescribeHresult(manual_answer) +
                              "), so there is no answer to compare with");
           return;
         }
         d.Observed("HS-004");
         if (unknown_answer != S_OK) {
           d.Fail("HS-004",
                  "Initialize accepted SYNCMGRFLAG_MANUAL (S_OK) but "
                  "answered " +
                      DescribeHresult(unknown_answer) +
                      " to the unknown event code 0x7F");
           return;
         }
         // The items of each object, as a set (a pass may come in any
         // order), from at most 1000 Next calls.
         const auto items = [&d](ISyncMgrSynchronize* handler,
                                 std::set<std::string>* ids) {
           ComPtr<ISyncMgrEnumItems> e;
           const HRESULT hr = handler->EnumSyncMgrItems(e.Put());
           d.Step("EnumSyncMgrItems -> " + DescribeHresult(hr));
           for (int i = 0; SUCCEEDED(hr) && e && i < 1000; ++i) {
             const NextResult next = NextOne(e.Get());
             if (!d.JudgeNext(next) || !next.Got()) break;
             ids->insert(FormatGuid(next.item.ItemID));
           }
           return SUCCEEDED(hr) && e;
         };
         std::set<std::string> manual_items, unknown_items;
         const bool manual_enumerated = items(manual.Get(), &manual_items);
         const bool unknown_enumerated = items(unknown.Get(), &unknown_items);
         if (manual_enumerated && !unknown_enumerated) {
           d.Fail("HS-004",
                  "after Initialize with the unknown event code 0x7F, "
                  "EnumSyncMgrItems gave no enumerator (it did after "
                  "SYNCMGRFLAG_MANUAL)");
         } else if (manual_enumerated && unknown_items != manual_items) {
           d.Fail("HS-004",
                  "after Initialize with the unknown event code "
                  "0x7F the object enumerated other items (" +
                      std::to_string(unknown_items.size()) +
                      ") than a SYNCMGRFLAG_MANUAL object (" +
                      std::to_string(manual_items.size()) + ")");
         }
       },
       false});
  all.push_back(
      {"enumerator",
       "The item enumerator: Next, Skip, Reset and Clone follow the COM "
       "enumerator rules (a pass after Reset may return other items or "
       "another order)",
       {"EN-001", "EN-002", "EN-101"},
       [](Driver& d) {
         ComPtr<ISyncMgrSynchronize> handler = d.CreateInitialized();
         ComPtr<ISyncMgrEnumItems> items;
         if (!handler) {  // a creation failure is COM-004's
           for (const char* id : {"EN-001", "EN-002", "EN-101"}) {
             d.NotExercised(id,
                            "the handler could not be created and initialized");
           }
           return;
         }
         if (FAILED(handler->EnumSyncMgrItems(items.Put())) || !items) {
           d.Fail("EN-002", "no enumerator from EnumSyncMgrItems");
           return;
         }
         auto next = [&](ISyncMgrEnumItems* e, GUID* id) {
           const NextResult r = NextOne(e);
           if (!d.JudgeNext(r)) return false;
           if (r.hr != S_OK && r.hr != S_FALSE) {
             d.Fail("EN-001", "Next returned " + DescribeHresult(r.hr));
           }
           if (r.fetched > 1) d.Fail("EN-101", "Next(1) fetched more than 1");
           if (r.hr == S_FALSE && r.fetched == 1) {
             d.Fail("EN-101", "Next fetched 1 of 1 with S_FALSE");
           }
           *id = r.item.ItemID;
           return r.Got();
         };
         size_t count = 0;
         GUID id{};
         std::vector<GUID> seen;  // the first 1000, to know they are unique
         bool unique = true;
         for (; count < 100000 && next(items.Get(), &id); ++count) {
           if (seen.size() < 1000) {
             unique &= std::none_of(
                 seen.begin(), seen.end(),
                 [&](const GUID& g) { return IsEqualGUID(g, id); });
             seen.push_back(id);
           }
         }
         d.Observed("EN-001");
         d.Observed("EN-101");
         d.Step("Next: " + std::to_string(count) + " items");
         ExpectHresult(d, items->Reset(), S_OK, "EN-002", "Reset");
         if (count == 0) {
           d.NotExercised("EN-002",
                          "the handler enumerated no item (items from its "
                          "configuration?), so Skip, Clone and a second "
                          "pass could not be judged");
           return;
         }
         GUID a{}, b{}, c{}, e{};
         if (!next(items.Get(), &a)) {
           d.Fail("EN-002",
                  "after Reset, Next returned no item: the "
                  "enumeration did not start over");
         }
         ComPtr<ISyncMgrEnumItems> clone;
         const HRESULT cloned = items->Clone(clone.Put());
         ExpectHresult(d, cloned, S_OK, "EN-002", "Clone");
         d.Observed("EN-002");
         if (cloned == S_OK && clone && clone.Get() == items.Get()) {
           d.Fail("EN-002",
                  "Clone handed back the enumerator itself, not an "
                  "independent one");
         } else if (count >= 2 && unique && cloned == S_OK && clone) {
           // At the same position: both give the same next item; moving the
           // clone does not move the original.
           const bool got_b = next(clone.Get(), &b);
           const bool got_c = next(items.Get(), &c);
           if (!got_b || !got_c || !IsEqualGUID(b, c)) {
             d.Fail("EN-002",
                    "the clone did not start at the original's position");
           }
           // With a third item left to skip over: skipping on the clone
           // moves the clone only. (With two, both are at the end, where
           // Skip(1) rightly answers S_FALSE.)
           if (count >= 3) {
             ExpectHresult(d, clone->Skip(1), S_OK, "EN-002", "Skip(1)");
             const bool got_e = next(items.Get(), &e);
             GUID f{};
             const bool got_f = next(clone.Get(), &f);
             if (got_e && got_f && IsEqualGUID(e, f)) {
               d.Fail("EN-002",
                      "Skip(1) on the clone did not skip one, or moved the "
                      "original too");
             }
           }
         }
         // Skip on the original, with a clone taken at the same position
         // as the reference: after Skip(1) the original gives the clone's
         // second item.
         ExpectHresult(d, items->Reset(), S_OK, "EN-002", "Reset");
         ComPtr<ISyncMgrEnumItems> oracle;
         const bool have_oracle = count >= 2 && unique &&
                                  items->Clone(oracle.Put()) == S_OK && oracle;
         ExpectHresult(d, items->Skip(1), S_OK, "EN-002", "Skip(1)");
         if (have_oracle) {
           GUID skipped_to{}, first{}, second{};
           const bool got = next(items.Get(), &skipped_to);
           const bool got_oracle =
               next(oracle.Get(), &first) && next(oracle.Get(), &second);
           if (got_oracle && (!got || !IsEqualGUID(skipped_to, second))) {
             d.Fail("EN-002",
                    "Skip(1) on the enumerator did not skip exactly one "
                    "item (a clone taken at the same position gave another "
                    "item second)");
           }
         }
       },
       false});
  all.push_back(
      {"unload",
       "DllCanUnloadNow answers S_FALSE while an object of the handler is "
       "alive, and S_OK once every session ended",
       {"COM-006", "COM-003"},
       [small_cookie](Driver& d) {
         {
           ComPtr<ISyncMgrSynchronize> alive = d.CreateInitialized();
           if (alive) {
             const HRESULT hr =
                 syncmgr::com::InprocServerCanUnloadNow(d.handler_path());
             d.Step("DllCanUnloadNow with an object alive -> " +
                    DescribeHresult(hr));
             d.Observed("COM-006");
             if (hr == S_OK) {
               d.Fail("COM-006",
                      "DllCanUnloadNow answered S_OK while an object of the "
                      "handler was alive");
             }
           }
         }
         d.Update(SYNCMGRINVOKE_STARTSYNC, small_cookie);
         d.Finish(false);
         HRESULT hr = S_FALSE;
         for (int i = 0; i < 40 && hr != S_OK; ++i) {
           hr = syncmgr::com::InprocServerCanUnloadNow(d.handler_path());
           if (hr != S_OK) {
             std::this_thread::sleep_for(std::chrono::milliseconds(50));
           }
         }
         d.Step("DllCanUnloadNow -> " + DescribeHresult(hr));
         // From outside, an object never released and a module that
         // miscounts its objects look the same: one finding, under the
         // documented rule (every object is released in the end).
         d.Observed("COM-003");
         if (hr != S_OK) {
           d.Fail("COM-003",
                  "objects of the handler are still alive 2 s after every "
                  "session ended (DllCanUnloadNow: " +
                      DescribeHresult(hr) + ")");
         }
       },
       false,
       "COM-003"});
  return all;
}

// Every scenario as run: the ones that drive the handler through the
// manager once per session mode.
std::vector<Run> Runs(const std::vector<Scenario>& scenarios) {
  std::vector<Run> runs;
  for (const Scenario& s : scenarios) {
    if (!s.manager_modes) {
      runs.push_back({s.name, &s, ref::Mode::kSynchronous});
      continue;
    }
    runs.push_back({s.name + "/sync", &s, ref::Mode::kSynchronous});
    runs.push_back({s.name + "/async", &s, ref::Mode::kAsynchronous});
  }
  return runs;
}

ref::Options OptionsFor(const Run& run) {
  ref::Options options;
  options.mode = run.mode;
  const std::string& scenario = run.scenario->name;
  if (scenario == "cookie_revoked_after_initialize") {
    options.revoke_cookie_after_initialize = true;
  }
  if (scenario == "cancel_all") options.progress_answer = S_SYNCMGR_CANCELALL;
  if (scenario == "cancel_item") {
    options.progress_answer = S_SYNCMGR_CANCELITEM;
  }
  if (scenario == "show_error") options.show_errors = true;
  if (scenario == "subset") {
    options.choice = [](DWORD, const std::vector<SYNCMGRITEM>& items) {
      ref::Choice choice;
      for (size_t i = 0; i + 1 < items.size(); ++i) {
        choice.selected.push_back(items[i].ItemID);
      }
      return choice;
    };
  }
  return options;
}

// The handler's last CHECKED item (the one least likely to be done when
// SetItemStatus comes), from a handler object of our own.
bool LastCheckedItem(Driver& driver, GUID* id) {
  ComPtr<ISyncMgrSynchronize> probe = driver.CreateInitialized();
  ComPtr<ISyncMgrEnumItems> items;
  if (!probe || FAILED(probe->EnumSyncMgrItems(items.Put())) || !items) {
    return false;
  }
  bool found = false;
  for (int i = 0; i < 1000; ++i) {
    const NextResult next = NextOne(items.Get());  // judged in the sessions
    if (!next.Got()) break;
    if (next.item.dwItemState == SYNCMGRITEMSTATE_CHECKED) {
      *id = next.item.ItemID;
      found = true;
    }
  }
  return found;
}

int RunScenario(const Flags& flags, const GUID& clsid) {
  const std::vector<Scenario> scenarios = Scenarios();
  for (const Run& run : Runs(scenarios)) {
    if (run.name != flags.run_scenario) continue;
    Driver driver(flags, clsid);
    if (!driver.ResultFileOpen()) {
      std::cerr << "certify: cannot write " << flags.result_path << "\n";
      return 2;
    }
    std::string error;
    if (FAILED(
            syncmgr::com::RegisterInprocServer(clsid, flags.handler, &error))) {
      std::cerr << "certify: " << error << "\n";
      return 2;
    }
    ref::Options options = OptionsFor(run);
    GUID skip{};
    if (run.scenario->name == "skip_item" && LastCheckedItem(driver, &skip)) {
      options.skip_items = {skip};
      driver.Step("skipping item " + FormatGuid(skip));
    }
    if (!driver.Start(options, &error)) {
      std::cerr << "certify: " << error << "\n";
      return 2;
    }
    run.scenario->run(driver);
    driver.End();
    return 0;
  }
  std::cerr << "certify: no scenario named " << flags.run_scenario << "\n";
  return 2;
}

// ---- The parent: run every scenario in a child, report ---------------------

std::string RerunCommand(const Flags& flags, const Run& run) {
  return "certify --handler=" + flags.handler + " --clsid=" + flags.clsid_text +
         " --scenarios=" + run.name;
}

// What a scenario's child wrote, line by line, up to where it stopped.
struct ScenarioEvents {
  std::map<std::string, std::vector<std::string>> findings;
  std::set<std::string> observed;
  std::map<std::string, std::string> not_exercised;
  std::vector<std::string> steps;
  std::string trace;
  bool ended = false;
  bool stalled = false;  // a session ended without its completion
  std::string fatal;     // Driver::FailFatal's requirement and message
  std::string fatal_message;
};

// The first fatal finding (Driver::FailFatal) of the runs so far.
struct FatalFinding {
  std::string requirement;
  std::string run;
  std::string message;
};

ScenarioEvents ReadScenarioEvents(const fs::path& path) {
  ScenarioEvents e;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const json event = json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object()) continue;  // torn line
    if (event.contains("finding")) {
      e.findings[event.value("finding", "")].push_back(
          event.value("message", ""));
    } else if (event.contains("observed")) {
      e.observed.insert(event.value("observed", ""));
    } else if (event.contains("not_exercised")) {
      e.not_exercised[event.value("not_exercised", "")] =
          event.value("why", "");
    } else if (event.contains("step")) {
      e.steps.push_back(event.value("step", ""));
    } else if (event.contains("fatal")) {
      if (e.fatal.empty()) {
        e.fatal = event.value("fatal", "");
        e.fatal_message = event.value("message", "");
      }
    } else if (event.contains("stalled")) {
      e.stalled = true;
    } else if (event.contains("end")) {
      e.ended = true;
      e.trace = event.value("trace", "");
    }
  }
  return e;
}

// One check per requirement of the scenario: failed on a finding, passed
// when observed, otherwise not run with the reason. A crash or a hang fails
// only the scenario's primary requirement, if nothing judged it before;
// after a fatal finding (`*fatal`, this run's or an earlier one's), the
// fatal finding's requirement instead: one bug, one rule.
// `*stalled`: a session of the run never finished (a completion never came,
// or the process was killed at the time limit).
// A crash of the same kind (ChildResult::Describe: the signal, or under
// Windows the exception and the faulting module and offset) as an earlier
// run's is charged to the rule that run's crash was: `*crashes` maps each
// kind to that rule and run.
std::vector<Check> RunInChild(
    const Flags& flags, const Run& run, const fs::path& scratch, bool* stalled,
    FatalFinding* fatal,
    std::map<std::string, std::pair<std::string, std::string>>* crashes) {
  const Scenario& s = *run.scenario;
  std::string file = run.name;
  std::replace(file.begin(), file.end(), '/', '_');
  const fs::path result = scratch / (file + ".jsonl");
  const ChildResult child = RunChild(
      {SelfPath(), "--run_scenario=" + run.name, "--handler=" + flags.handler,
       "--clsid=" + flags.clsid_text, "--result=" + result.string(),
       "--completion_timeout_ms=" + std::to_string(flags.completion_timeout_ms),
       "--timeout=" + std::to_string(flags.timeout_seconds)},
      PluginChildEnvironment(),
      std::chrono::milliseconds(
          static_cast<long long>(flags.timeout_seconds * 1000)));
  const ScenarioEvents e = ReadScenarioEvents(result);
  *stalled = e.stalled || child.timed_out;
  const bool died = !child.started || child.timed_out || child.signal != 0 ||
                    !e.ended || child.exit_code != 0;
  std::string tail = child.output;
  if (tail.size() > 8000) tail = "..." + tail.substr(tail.size() - 8000);
  std::string trace = e.trace;
  if (trace.empty()) {
    for (const std::string& step : e.steps) trace += step + "\n";
  }
  const std::string primary =
      s.primary.empty() ? s.requirements.front() : s.primary;
  const std::string where =
      e.steps.empty() ? "before its first step" : "after: " + e.steps.back();
  if (fatal->requirement.empty() && !e.fatal.empty()) {
    *fatal = {e.fatal, run.name, e.fatal_message};
  }
  std::vector<std::string> ids = s.requirements;
  for (const auto& [id, _] : e.findings) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  if (died && !fatal->requirement.empty() &&
      std::find(ids.begin(), ids.end(), fatal->requirement) == ids.end()) {
    ids.push_back(fatal->requirement);
  }
  // A crash or hang fails the primary requirement if the run had not
  // judged it yet, else the first one still unjudged: what was judged
  // before keeps its result. When every one was, the primary shows it.
  const auto unjudged = [&](const std::string& id) {
    return e.findings.count(id) == 0 && e.observed.count(id) == 0;
  };
  std::string blamed;
  if (died && !fatal->requirement.empty()) {
    blamed = fatal->requirement;
  } else if (died) {
    if (unjudged(primary)) {
      blamed = primary;
    } else {
      auto first = std::find_if(ids.begin(), ids.end(), unjudged);
      if (first != ids.end()) {
        blamed = *first;
      } else if (e.findings.empty()) {
        blamed = primary;
      }
    }
  }
  std::string same_crash;  // the earlier run whose crash this one repeats
  if (died && fatal->requirement.empty() && child.started && !child.timed_out &&
      !blamed.empty()) {
    const auto [earlier, first] =
        crashes->try_emplace(child.Describe(), blamed, run.name);
    if (!first && earlier->second.first != blamed) {
      blamed = earlier->second.first;
      same_crash = earlier->second.second;
      if (std::find(ids.begin(), ids.end(), blamed) == ids.end()) {
        ids.push_back(blamed);
      }
    }
  }
  std::vector<Check> checks;
  for (const std::string& id : ids) {
    Check c;
    c.name = run.name;
    c.requirements = {id};
    c.rerun = RerunCommand(flags, run);
    c.seconds = child.seconds;
    auto found = e.findings.find(id);
    if (found != e.findings.end()) {
      c.result = Check::Result::kFailed;
      c.message = "scenario " + run.name + " (" + s.description + "):\n";
      for (const std::string& m : found->second) c.message += m + "\n";
      c.evidence = died ? tail : trace;
    } else if (id == blamed) {
      c.result =
          child.timed_out ? Check::Result::kTimedOut : Check::Result::kCrashed;
      c.message = "scenario " + run.name + ": the handler's process " +
                  child.Describe() + " " + where + " (" + s.description + ")";
      if (!fatal->requirement.empty()) {
        c.message += "; most likely a consequence of " + fatal->requirement +
                     " (scenario " + fatal->run + "): " + fatal->message;
      } else if (!same_crash.empty()) {
        c.message += "; the same crash as in scenario " + same_crash +
                     ", so charged to the same rule (one bug, one rule)";
      }
      c.evidence = tail;
    } else if (e.observed.count(id) > 0) {
      c.result = Check::Result::kPassed;
    } else {
      c.result = Check::Result::kSkipped;
      auto why = e.not_exercised.find(id);
      c.message = why != e.not_exercised.end() ? why->second
                  : died ? "the scenario's process " + child.Describe() + " " +
                               where + " before it was observed"
                         : "the scenario never reached a situation that "
                           "shows it with this handler";
    }
    checks.push_back(std::move(c));
  }
  return checks;
}

int Certify(const Flags& flags) {
  std::string error;
  std::vector<Requirement> spec;
  const std::string spec_json = Runfile(kSpecJson, "");
  if (spec_json.empty() || !LoadRequirements(spec_json, &spec, &error)) {
    std::cerr << "certify: cannot read the requirements (" << kSpecJson
              << "): " << error << "\n";
    return 2;
  }
  const std::vector<Scenario> scenarios = Scenarios();
  std::vector<Run> runs;
  std::vector<std::string> names;
  for (const Run& run : Runs(scenarios)) {
    names.push_back(run.name);
    if (fnmatch(flags.scenarios.c_str(), run.name.c_str(), 0) == 0) {
      runs.push_back(run);
    }
  }
  if (runs.empty()) {
    std::cerr << "certify: no scenario matches --scenarios=" << flags.scenarios
              << " (try --list)\n";
    return 2;
  }
  // Only the requirements some scenario checks belong in this report.
  std::set<std::string> checked;
  for (const Scenario& s : scenarios) {
    checked.insert(s.requirements.begin(), s.requirements.end());
  }
  checked.insert({"HS-001", "HS-012", "HS-016", "HS-108", "HS-111", "CB-005",
                  "CB-010", "COM-003"});
  for (const std::string& id : checked) {
    if (std::none_of(spec.begin(), spec.end(),
                     [&](const Requirement& r) { return r.id == id; })) {
      std::cerr << "certify: a scenario checks " << id
                << ", which reference/SPEC.md does not define\n";
      return 2;
    }
  }
  std::vector<Requirement> handler_spec;
  for (const Requirement& r : spec) {
    if (checked.count(r.id)) {
      Requirement copy = r;
      copy.deferred.clear();
      handler_spec.push_back(copy);
    }
  }
  std::vector<Waiver> waivers;
  if (!flags.expectations.empty() &&
      !LoadWaivers(flags.expectations, handler_spec, names, &waivers, &error)) {
    std::cerr << "certify: " << error << "\n";
    return 2;
  }
  std::error_code ec;
  const fs::path scratch = fs::temp_directory_path(ec) /
                           ("syncmgr-certify-" + std::to_string(::getpid()));
  fs::create_directories(scratch, ec);

  std::cout << "certify: " << flags.handler << " " << flags.clsid_text << ", "
            << runs.size() << " scenario runs\n";
  const auto start = std::chrono::steady_clock::now();
  std::vector<Check> checks;
  size_t n = 0;
  // Per session mode, the first run in which a session never finished: a
  // handler that does not complete (or hangs) in one scenario does so in
  // the next, so later runs in that mode wait less for it.
  std::map<ref::Mode, std::string> stalled_in;
  FatalFinding fatal;
  std::map<std::string, std::pair<std::string, std::string>> crashes;
  constexpr int kStalledCompletionMs = 1000;
  constexpr double kStalledTimeoutSeconds = 15;
  for (const Run& run : runs) {
    Flags run_flags = flags;
    const auto stalled_before = stalled_in.find(run.mode);
    if (stalled_before != stalled_in.end()) {
      run_flags.completion_timeout_ms =
          std::min(flags.completion_timeout_ms, kStalledCompletionMs);
      run_flags.timeout_seconds =
          std::min(flags.timeout_seconds, kStalledTimeoutSeconds);
    }
    bool stalled = false;
    std::vector<Check> got =
        RunInChild(run_flags, run, scratch, &stalled, &fatal, &crashes);
    if (stalled_before != stalled_in.end()) {
      for (Check& c : got) {
        if (c.result == Check::Result::kPassed) continue;
        c.message +=
            " [limits shortened to " +
            std::to_string(run_flags.completion_timeout_ms) + " ms / " +
            std::to_string(static_cast<int>(run_flags.timeout_seconds)) +
            " s because a session never finished in " + stalled_before->second +
            "]";
      }
    } else if (stalled) {
      stalled_in[run.mode] = run.name;
    }
    std::string failed, skipped;
    for (const Check& c : got) {
      const bool failure = c.result == Check::Result::kFailed ||
                           c.result == Check::Result::kCrashed ||
                           c.result == Check::Result::kTimedOut;
      if (failure) failed += " " + c.requirements.front();
      if (c.result == Check::Result::kSkipped) {
        skipped += " " + c.requirements.front();
      }
    }
    std::string tail;
    if (!failed.empty()) tail += " failed:" + failed;
    if (!skipped.empty()) tail += " not observed:" + skipped;
    std::printf("[%2zu/%zu] %-4s %s (%.1f s)%s\n", ++n, runs.size(),
                failed.empty() ? "ok" : "FAIL", run.name.c_str(),
                got.empty() ? 0.0 : got.front().seconds, tail.c_str());
    std::fflush(stdout);
    checks.insert(checks.end(), got.begin(), got.end());
  }
  fs::remove_all(scratch, ec);
  Report report = BuildReport("certify", flags.handler + " " + flags.clsid_text,
                              handler_spec, std::move(checks),
                              std::move(waivers), flags.profile == "strict");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  char took[64];
  std::snprintf(took, sizeof took, "%.1f", seconds);
  report.notes.push_back(
      std::to_string(runs.size()) +
      " scenario runs (the manager's synchronous and asynchronous session "
      "modes), each in its own process, in " +
      took + " s; completion limit " +
      std::to_string(flags.completion_timeout_ms) +
      " ms (--completion_timeout_ms), scenario limit " +
      std::to_string(static_cast<int>(flags.timeout_seconds)) +
      " s (--timeout)");
  for (const auto& [mode, where] : stalled_in) {
    report.notes.push_back(
        "a session never finished in " + where + ": later runs in the " +
        (mode == ref::Mode::kSynchronous ? "synchronous" : "asynchronous") +
        " mode waited at most " + std::to_string(kStalledCompletionMs) +
        " ms for a completion and " +
        std::to_string(static_cast<int>(kStalledTimeoutSeconds)) +
        " s per scenario");
  }
  // How the handler was installed before certify ran (certify_windows: the
  // Wine prefix and the registrations), one note per line, first.
  if (!flags.setup_notes.empty()) {
    std::vector<std::string> setup;
    std::ifstream notes(flags.setup_notes);
    for (std::string line; std::getline(notes, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) setup.push_back("setup: " + line);
    }
    report.notes.insert(report.notes.begin(), setup.begin(), setup.end());
  }
  std::cout << Summary(report);
  if (!flags.report_dir.empty()) {
    if (!WriteReports(report, flags.report_dir, &error)) {
      std::cerr << "certify: " << error << "\n";
      return 2;
    }
    std::cout << "Report: " << fs::absolute(flags.report_dir, ec).string()
              << "/report.html (also report.json, report.xml)\n";
  }
  return report.verdict_passed ? 0 : 1;
}

}  // namespace
}  // namespace syncmgr::conformance

int main(int argc, char** argv) {
  using namespace syncmgr::conformance;
  Flags flags;
  // Paths are taken from where the command was typed (UserPath).
  const auto user_path = [](const std::string& p) { return UserPath(p); };
  CLI::App app{
      "Certifies a sync handler: loads it as an in-proc server (a shared "
      "object exporting DllGetClassObject; see README.md, 'The plug-in "
      "contract'), drives it through the reference Sync Manager in scenarios "
      "that each run in their own process, and reports every requirement of "
      "reference/SPEC.md it checks. Without --handler, certifies the bundled "
      "sample handler.",
      "certify"};
  app.option_defaults()->always_capture_default();  // --help shows them
  app.add_option("--handler", flags.handler, "The handler's shared object")
      ->transform(user_path, "path");
  app.add_option("--clsid", flags.clsid_text,
                 "The handler's CLSID, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} "
                 "(required with --handler)");
  app.add_option("--report_dir", flags.report_dir,
                 "Write report.json, report.xml (JUnit) and report.html here")
      ->transform(user_path, "path");
  app.add_option("--expectations", flags.expectations,
                 "Known failures: lines 'REQUIREMENT-OR-SCENARIO: reason'")
      ->check(CLI::ExistingFile)
      ->transform(user_path, "path");
  app.add_option("--scenarios", flags.scenarios,
                 "Run only the scenarios matching this glob (see --list)");
  app.add_option("--timeout", flags.timeout_seconds,
                 "Time limit of one scenario, in seconds")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--completion_timeout_ms", flags.completion_timeout_ms,
                 "How long the manager waits for a completion callback while "
                 "the handler is silent (each Progress, LogError or "
                 "EstablishConnection restarts the wait, up to --timeout)")
      ->check(CLI::Range(10, 600000));
  app.add_option("--profile", flags.profile,
                 "What decides the exit status: 'documented' (Microsoft's "
                 "documented contract; this project's own decisions, OURS, "
                 "are reported beside it) or 'strict' (both)")
      ->check(CLI::IsMember({"documented", "strict"}));
  app.add_flag("--list", flags.list, "List the scenarios and exit");
  app.add_option("--setup_notes", flags.setup_notes,
                 "A text file whose lines the report shows as notes (how the "
                 "handler was installed; certify_windows writes its Wine "
                 "prefix and registration steps there)")
      ->check(CLI::ExistingFile)
      ->transform(user_path, "path");
  app.add_option("--run_scenario", flags.run_scenario)->group("");
  app.add_option("--result", flags.result_path)->group("");
  app.add_flag("--probe", flags.probe)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (flags.list) {
    const std::vector<Scenario> scenarios = Scenarios();
    for (const Run& run : Runs(scenarios)) {
      std::string reqs;
      for (const std::string& r : run.scenario->requirements) reqs += " " + r;
      std::cout << run.name << "\n    " << run.scenario->description
                << "\n    checks:" << reqs << "\n";
    }
    return 0;
  }
  if (flags.handler.empty()) {
    if (!flags.clsid_text.empty()) {
      std::cerr << "certify: --clsid needs --handler\n";
      return 2;
    }
    flags.handler = Runfile(kSampleHandler, argv[0]);
    flags.clsid_text = kSampleClsid;
    if (flags.handler.empty()) {
      std::cerr << "certify: the bundled sample handler is missing: pass "
                   "--handler and --clsid\n";
      return 2;
    }
  } else if (flags.clsid_text.empty()) {
    std::cerr << "certify: --handler needs --clsid={...} (the CLSID the "
                 "handler's DllGetClassObject serves)\n";
    return 2;
  }
  GUID clsid{};
  std::string error;
  if (!syncmgr::ParseGuid(flags.clsid_text, &clsid, &error)) {
    std::cerr << "certify: --clsid: " << error << "\n";
    return 2;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(flags.handler, ec) ||
      access(flags.handler.c_str(), R_OK) != 0) {
    std::cerr << "certify: --handler: " << flags.handler
              << " is not a readable file\n";
    return 2;
  }
  flags.handler = std::filesystem::absolute(flags.handler, ec).string();
  if (!flags.run_scenario.empty()) return RunScenario(flags, clsid);

  // One clear line for a file that is not a plug-in, or a CLSID it does not
  // serve. The handler's code runs only in children: one whose
  // DllGetClassObject crashes, hangs or hands back garbage is reported here.
  if (flags.probe) {
    if (FAILED(
            syncmgr::com::RegisterInprocServer(clsid, flags.handler, &error))) {
      std::cerr << "certify: " << error << "\n";
      return 2;
    }
    ComPtr<IClassFactory> factory;
    const HRESULT hr = CoGetClassObject(clsid, CLSCTX_INPROC_SERVER, nullptr,
                                        IID_IClassFactory, factory.PutVoid());
    if (FAILED(hr) || !factory) {
      std::cerr << "certify: " << flags.handler << " does not serve "
                << flags.clsid_text << ": " << DescribeHresult(hr) << "\n";
      return 2;
    }
    factory.Reset();
    return 0;
  }
  const ChildResult probe =
      RunChild({SelfPath(), "--probe", "--handler=" + flags.handler,
                "--clsid=" + flags.clsid_text},
               PluginChildEnvironment(), std::chrono::seconds(30));
  if (probe.exit_code != 0) {
    std::cerr << (probe.exit_code == 2
                      ? probe.output
                      : "certify: loading " + flags.handler + " " +
                            probe.Describe() + "\n" + probe.output);
    return 2;
  }
  return Certify(flags);
}
