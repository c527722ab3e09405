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
// drives it; a handler that crashes, aborts or hangs fails that scenario's
// requirements and the certification goes on. Exit status: 0 when no
// unwaived requirement of the documented contract fails (--profile=strict:
// of this project's decisions, OURS, either), 1 when one fails, 2 for a
// usage error.
#include <fnmatch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
  double timeout_seconds = 60;
  int completion_timeout_ms = 5000;
  std::string profile = "documented";
  std::string run_scenario;  // child mode
  std::string result_path;   // child mode
  bool list = false;
};

// ---- What a scenario does (in the child) -----------------------------------

// The requirements every full session checks on the handler's side, from
// what the manager's checking callback records.
const std::vector<std::string> kSessionRequirements = {
    "HS-012", "HS-016", "HS-105", "HS-106", "HS-107", "HS-108",
    "HS-109", "HS-111", "CB-002", "CB-003", "CB-102", "CB-105",
    "CB-107", "EN-001", "EN-101", "COM-003"};

// The documented rule a missing completion breaks (the manager records it
// as its own timeout, HS-112): the handler reports completion of
// PrepareForSync (HS-012), Synchronize (HS-016) and ShowError (CB-005).
std::string MissingCompletionRequirement(const std::string& message) {
  if (message.rfind("PrepareForSyncCompleted", 0) == 0) return "HS-012";
  if (message.rfind("ShowErrorCompleted", 0) == 0) return "CB-005";
  return "HS-016";
}

class Driver;

struct Scenario {
  std::string name;
  std::string description;
  std::vector<std::string> requirements;  // checked; pass unless violated
  std::function<void(Driver&)> run;
};

// The child's side: the handler registered with the reference, the
// sessions' reports, and the findings.
class Driver {
 public:
  Driver(const Flags& flags, const GUID& clsid)
      : flags_(flags), clsid_(clsid) {}

  bool Start(ref::Options options, std::string* error) {
    HRESULT hr =
        syncmgr::com::RegisterInprocServer(clsid_, flags_.handler, error);
    if (FAILED(hr)) return false;
    options.record_trace = true;
    options.completion_timeout =
        std::chrono::milliseconds(flags_.completion_timeout_ms);
    ref::Configure(options);
    ref::SetSessionObserver([this](const ref::SessionReport& report) {
      std::lock_guard lock(mu_);
      reports_.push_back(report);
    });
    late_before_ = ref::GetStatistics().late_violations;
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
    return hr;
  }

  // Creates a handler object directly, as a manager would, and initializes
  // it for an INVOKE event.
  ComPtr<ISyncMgrSynchronize> CreateInitialized() {
    ComPtr<ISyncMgrSynchronize> handler;
    const HRESULT hr =
        CoCreateInstance(clsid_, nullptr, CLSCTX_INPROC_SERVER,
                         IID_ISyncMgrSynchronize, handler.PutVoid());
    if (FAILED(hr) || !handler) {
      Fail("COM-004",
           "CoCreateInstance(handler) failed: " + DescribeHresult(hr));
      return nullptr;
    }
    const BYTE cookie[4] = {'c', 'e', 'r', 't'};
    const HRESULT init =
        handler->Initialize(0, SYNCMGRFLAG_INVOKE, sizeof cookie, cookie);
    Step("Initialize -> " + DescribeHresult(init));
    if (init != S_OK) return nullptr;
    return handler;
  }

  void Fail(const std::string& requirement, const std::string& message) {
    std::lock_guard lock(mu_);
    findings_[requirement].push_back(message);
    std::printf("finding %s: %s\n", requirement.c_str(), message.c_str());
    std::fflush(stdout);
  }

  // The scenario could not exercise `requirement` with this handler (e.g.
  // it logged no error that offers ShowError): reported as not run.
  void NotExercised(const std::string& requirement, const std::string& why) {
    std::lock_guard lock(mu_);
    not_exercised_[requirement] = why;
  }

  void Step(const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    std::lock_guard lock(mu_);
    trace_.push_back(line);
  }

  // Waits for every session to end, then judges what the sessions reported.
  void Finish(bool check_release) {
    if (!ref::WaitForIdle(std::chrono::milliseconds(
            flags_.completion_timeout_ms * 4 + 5000))) {
      Fail("HS-108", "sessions still running long after every timeout");
    }
    std::vector<ref::SessionReport> reports;
    {
      std::lock_guard lock(mu_);
      reports = reports_;
    }
    for (const ref::SessionReport& report : reports) {
      for (const std::string& line : report.trace) Trace(report, line);
      Trace(report, std::string("outcome: ") +
                        ref::OutcomeName(report.outcome) + " (" +
                        DescribeHresult(report.result) + ")");
      for (const ref::Violation& v : report.violations) {
        // A completion that never came breaks the documented rule of its
        // method; HS-112 is the manager's answer to it.
        Fail(v.requirement == "HS-112" ? MissingCompletionRequirement(v.message)
                                       : v.requirement,
             "session " + std::to_string(report.id) + ": " + v.message);
      }
      if (report.outcome == ref::Outcome::kCompleted &&
          report.synchronize_calls > 0) {
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
      if (hr != S_OK) {
        Fail("COM-003",
             "objects of the handler are still alive 2 s after every "
             "session ended (DllCanUnloadNow: " +
                 DescribeHresult(hr) + ")");
      }
    }
    // HS-111: calls into a session's callback after it ended.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto late = ref::GetStatistics().late_violations - late_before_;
    if (late > 0) {
      Fail("HS-111", std::to_string(late) +
                         " call(s) to a session's callback after the session "
                         "ended");
    }
  }

  json Result(const std::vector<std::string>& declared) {
    std::lock_guard lock(mu_);
    json checks = json::array();
    std::set<std::string> ids(declared.begin(), declared.end());
    for (const auto& [id, _] : findings_) ids.insert(id);
    for (const std::string& id : ids) {
      auto it = findings_.find(id);
      auto skipped = not_exercised_.find(id);
      if (it == findings_.end() && skipped != not_exercised_.end()) {
        checks.push_back({{"requirement", id},
                          {"passed", true},
                          {"skipped", skipped->second},
                          {"messages", std::vector<std::string>{}}});
        continue;
      }
      checks.push_back(
          {{"requirement", id},
           {"passed", it == findings_.end()},
           {"messages",
            it == findings_.end() ? std::vector<std::string>{} : it->second}});
    }
    std::string trace;
    for (const std::string& line : trace_) trace += line + "\n";
    return {{"checks", checks}, {"trace", trace}};
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
  std::vector<std::string> trace_;
  std::uint64_t late_before_ = 0;
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

std::vector<Scenario> Scenarios() {
  std::vector<Scenario> all;
  const std::vector<BYTE> small_cookie = Pattern(4);
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
    all.push_back({name,
                   "A full session started with dwInvokeFlags " +
                       std::to_string(f) + " and a 4-byte cookie",
                   reqs, [f, small_cookie](Driver& d) {
                     ExpectHresult(d, d.Update(f, small_cookie), S_OK, "HS-001",
                                   "UpdateItems");
                     d.Finish(true);
                   }});
  }
  // Cookies of every size the manager may pass.
  for (DWORD size : {DWORD{0}, DWORD{1}, DWORD{16}, DWORD{4096}, kMaxCookie}) {
    all.push_back(
        {"cookie_" + std::to_string(size),
         "A session whose Initialize gets a " + std::to_string(size) +
             "-byte cookie",
         {"HS-114"},
         [size](Driver& d) {
           ExpectHresult(d, d.Update(SYNCMGRINVOKE_STARTSYNC, Pattern(size)),
                         S_OK, "HS-114", "UpdateItems");
           for (const auto& r : d.reports()) {
             if (r.outcome == ref::Outcome::kInitializeFailed) {
               d.Fail("HS-114",
                      "Initialize failed with a " + std::to_string(size) +
                          "-byte cookie: " + DescribeHresult(r.result));
             }
           }
           d.Finish(false);
         }});
  }
  all.push_back({"cookie_over_cap",
                 "A cookie one byte over the manager's cap never reaches the "
                 "handler",
                 {"UI-107"},
                 [](Driver& d) {
                   ExpectHresult(d,
                                 d.Update(SYNCMGRINVOKE_STARTSYNC,
                                          Pattern(kMaxCookie + 1)),
                                 E_OUTOFMEMORY, "UI-107", "UpdateItems");
                   d.Finish(false);
                 }});
  all.push_back(
      {"cookie_revoked_after_initialize",
       "The cookie's pages become inaccessible once Initialize returns: a "
       "handler that kept the pointer instead of copying the bytes faults",
       {"HS-113"},
       [](Driver& d) {
         d.Update(SYNCMGRINVOKE_STARTSYNC, Pattern(64));
         d.Finish(false);
       }});
  all.push_back({"repeated_sessions",
                 "Three sessions one after the other, each with a new "
                 "handler object",
                 kSessionRequirements, [small_cookie](Driver& d) {
                   for (int i = 0; i < 3; ++i) {
                     ExpectHresult(
                         d, d.Update(SYNCMGRINVOKE_STARTSYNC, small_cookie),
                         S_OK, "HS-001", "UpdateItems");
                   }
                   d.Finish(true);
                 }});
  all.push_back({"concurrent_sessions",
                 "Eight sessions requested at once from four threads "
                 "(asynchronous manager)",
                 kSessionRequirements, [small_cookie](Driver& d) {
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
                 }});
  all.push_back({"skip_item",
                 "The manager skips the first item (SetItemStatus SKIPPED "
                 "between PrepareForSync and its completion)",
                 {"HS-020", "HS-105", "HS-108"},
                 one_session});
  all.push_back({"cancel_all",
                 "Progress answers S_SYNCMGR_CANCELALL: the handler stops and "
                 "still completes",
                 {"CB-009", "HS-108"},
                 one_session});
  all.push_back({"show_error",
                 "Errors the handler logged with ENABLEJUMPTEXT are shown "
                 "(ShowError), once each",
                 {"CB-005", "HS-105"},
                 [small_cookie](Driver& d) {
                   d.Update(SYNCMGRINVOKE_STARTSYNC, small_cookie);
                   d.Finish(false);
                   int shown = 0;
                   for (const auto& r : d.reports()) {
                     for (const std::string& line : r.trace) {
                       shown += line.rfind("ShowError ->", 0) == 0;
                     }
                   }
                   if (shown == 0) {
                     d.NotExercised("CB-005",
                                    "the handler logged no error with "
                                    "SYNCMGRERRORFLAG_ENABLEJUMPTEXT and an "
                                    "ErrorID, so ShowError was never called");
                   }
                 }});
  all.push_back({"get_item_object",
                 "GetItemObject returns E_NOTIMPL and clears *ppv",
                 {"HS-008"},
                 [](Driver& d) {
                   ComPtr<ISyncMgrSynchronize> handler = d.CreateInitialized();
                   if (!handler) {
                     d.Fail("HS-008",
                            "the handler could not be created and "
                            "initialized");
                     return;
                   }
                   void* object = reinterpret_cast<void*>(0x1);
                   const HRESULT hr =
                       handler->GetItemObject(GUID_NULL, IID_IUnknown, &object);
                   d.Step("GetItemObject -> " + DescribeHresult(hr));
                   ExpectHresult(d, hr, E_NOTIMPL, "HS-008", "GetItemObject");
                   if (object != nullptr && hr == E_NOTIMPL) {
                     d.Fail("HS-008", "GetItemObject left *ppv non-NULL");
                   }
                 }});
  all.push_back(
      {"enumerator",
       "The item enumerator: Next, Skip, Reset and Clone follow the COM "
       "enumerator rules",
       {"EN-001", "EN-002", "EN-101"},
       [](Driver& d) {
         ComPtr<ISyncMgrSynchronize> handler = d.CreateInitialized();
         ComPtr<ISyncMgrEnumItems> items;
         if (!handler || FAILED(handler->EnumSyncMgrItems(items.Put())) ||
             !items) {
           d.Fail("EN-002", "no enumerator from EnumSyncMgrItems");
           return;
         }
         std::vector<GUID> first;
         for (int i = 0; i < 100000; ++i) {
           SYNCMGRITEM item{};
           ULONG fetched = 0;
           const HRESULT hr = items->Next(1, &item, &fetched);
           if (hr != S_OK && hr != S_FALSE) {
             d.Fail("EN-001", "Next returned " + DescribeHresult(hr));
             return;
           }
           if (fetched > 1) d.Fail("EN-101", "Next(1) fetched more than 1");
           if (fetched == 0) break;
           if (hr != S_OK) d.Fail("EN-101", "Next fetched 1 of 1 with S_FALSE");
           first.push_back(item.ItemID);
         }
         d.Step("Next: " + std::to_string(first.size()) + " items");
         ExpectHresult(d, items->Reset(), S_OK, "EN-002", "Reset");
         if (first.empty()) return;
         ComPtr<ISyncMgrEnumItems> clone;
         ExpectHresult(d, items->Clone(clone.Put()), S_OK, "EN-002", "Clone");
         if (!clone) return;
         if (first.size() > 1) {
           ExpectHresult(d, clone->Skip(1), S_OK, "EN-002", "Skip(1)");
           SYNCMGRITEM a{}, b{};
           ULONG fa = 0, fb = 0;
           items->Next(1, &a, &fa);
           clone->Next(1, &b, &fb);
           if (fa != 1 || !IsEqualGUID(a.ItemID, first[0])) {
             d.Fail("EN-002",
                    "after Reset, Next did not start over (or the "
                    "clone's Skip moved the original)");
           }
           if (fb != 1 || !IsEqualGUID(b.ItemID, first[1])) {
             d.Fail("EN-002",
                    "the clone did not start at the original's "
                    "position, or Skip(1) did not skip one");
           }
         }
       }});
  all.push_back(
      {"unload",
       "After a session, every object of the handler is released "
       "and DllCanUnloadNow answers S_OK",
       {"HS-110"},
       [small_cookie](Driver& d) {
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
         ExpectHresult(d, hr, S_OK, "HS-110", "DllCanUnloadNow");
       }});
  return all;
}

ref::Options OptionsFor(const std::string& scenario) {
  ref::Options options;
  options.mode = ref::Mode::kSynchronous;
  if (scenario == "concurrent_sessions")
    options.mode = ref::Mode::kAsynchronous;
  if (scenario == "cookie_revoked_after_initialize") {
    options.revoke_cookie_after_initialize = true;
  }
  if (scenario == "cancel_all") options.progress_answer = S_SYNCMGR_CANCELALL;
  if (scenario == "show_error") options.show_errors = true;
  if (scenario == "skip_item") {
    // The first item the handler enumerates: choose it to be skipped.
    options.choice = nullptr;
  }
  return options;
}

int RunScenario(const Flags& flags, const GUID& clsid) {
  for (const Scenario& s : Scenarios()) {
    if (s.name != flags.run_scenario) continue;
    Driver driver(flags, clsid);
    ref::Options options = OptionsFor(s.name);
    if (s.name == "skip_item") {
      // Skip whatever the handler enumerates first: learn it from a
      // handler object of our own.
      if (ComPtr<ISyncMgrSynchronize> probe = [&] {
            std::string error;
            syncmgr::com::RegisterInprocServer(clsid, flags.handler, &error);
            return driver.CreateInitialized();
          }()) {
        ComPtr<ISyncMgrEnumItems> items;
        SYNCMGRITEM item{};
        ULONG fetched = 0;
        if (SUCCEEDED(probe->EnumSyncMgrItems(items.Put())) && items &&
            SUCCEEDED(items->Next(1, &item, &fetched)) && fetched == 1) {
          options.skip_items = {item.ItemID};
          driver.Step("skipping item " + FormatGuid(item.ItemID));
        }
      }
    }
    std::string error;
    if (!driver.Start(options, &error)) {
      std::cerr << "certify: " << error << "\n";
      return 2;
    }
    s.run(driver);
    std::ofstream out(flags.result_path);
    out << driver.Result(s.requirements)
               .dump(1, ' ', false, json::error_handler_t::replace);
    return out ? 0 : 2;
  }
  std::cerr << "certify: no scenario named " << flags.run_scenario << "\n";
  return 2;
}

// ---- The parent: run every scenario in a child, report ---------------------

std::string RerunCommand(const Flags& flags, const Scenario& s) {
  return "certify --handler=" + flags.handler + " --clsid=" + flags.clsid_text +
         " --scenarios=" + s.name;
}

std::vector<Check> RunInChild(const Flags& flags, const Scenario& s,
                              const fs::path& scratch) {
  const fs::path result = scratch / (s.name + ".json");
  const ChildResult child = RunChild(
      {SelfPath(), "--run_scenario=" + s.name, "--handler=" + flags.handler,
       "--clsid=" + flags.clsid_text, "--result=" + result.string(),
       "--completion_timeout_ms=" +
           std::to_string(flags.completion_timeout_ms)},
      PluginChildEnvironment(),
      std::chrono::milliseconds(
          static_cast<long long>(flags.timeout_seconds * 1000)));
  std::vector<Check> checks;
  json doc;
  std::ifstream in(result);
  const bool ok = child.started && !child.timed_out && child.signal == 0 &&
                  child.exit_code == 0 && in &&
                  (doc = json::parse(in, nullptr, false), !doc.is_discarded());
  if (!ok) {
    std::string tail = child.output;
    if (tail.size() > 8000) tail = "..." + tail.substr(tail.size() - 8000);
    for (const std::string& id : s.requirements) {
      Check c;
      c.name = s.name;
      c.requirements = {id};
      c.result =
          child.timed_out ? Check::Result::kTimedOut : Check::Result::kCrashed;
      c.message = "scenario " + s.name + ": the handler's process " +
                  child.Describe() + " (" + s.description + ")";
      c.evidence = tail;
      c.rerun = RerunCommand(flags, s);
      c.seconds = child.seconds;
      checks.push_back(c);
    }
    return checks;
  }
  for (const json& j : doc["checks"]) {
    Check c;
    c.name = s.name;
    c.requirements = {j["requirement"].get<std::string>()};
    c.result = j["passed"].get<bool>() ? Check::Result::kPassed
                                       : Check::Result::kFailed;
    for (const json& m : j["messages"]) {
      c.message += m.get<std::string>() + "\n";
    }
    if (j.contains("skipped")) {
      c.result = Check::Result::kSkipped;
      c.message = "not exercised: " + j["skipped"].get<std::string>();
    }
    if (c.result == Check::Result::kFailed) {
      c.message =
          "scenario " + s.name + " (" + s.description + "):\n" + c.message;
      c.evidence = doc.value("trace", "");
    }
    c.rerun = RerunCommand(flags, s);
    c.seconds = child.seconds;
    checks.push_back(c);
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
  std::vector<Scenario> scenarios;
  std::vector<std::string> names;
  for (Scenario& s : Scenarios()) {
    names.push_back(s.name);
    if (fnmatch(flags.scenarios.c_str(), s.name.c_str(), 0) == 0) {
      scenarios.push_back(std::move(s));
    }
  }
  if (scenarios.empty()) {
    std::cerr << "certify: no scenario matches --scenarios=" << flags.scenarios
              << " (try --list)\n";
    return 2;
  }
  // Only the requirements some scenario checks belong in this report.
  std::set<std::string> checked;
  for (const Scenario& s : Scenarios()) {
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
            << scenarios.size() << " scenarios\n";
  const auto start = std::chrono::steady_clock::now();
  std::vector<Check> checks;
  size_t n = 0;
  for (const Scenario& s : scenarios) {
    std::vector<Check> got = RunInChild(flags, s, scratch);
    int failed = 0;
    int skipped = 0;
    for (const Check& c : got) {
      failed += c.result != Check::Result::kPassed &&
                c.result != Check::Result::kSkipped;
      skipped += c.result == Check::Result::kSkipped;
    }
    std::string tail;
    if (failed) tail += " " + std::to_string(failed) + " requirement(s) failed";
    if (skipped) tail += " " + std::to_string(skipped) + " not exercised";
    std::printf("[%2zu/%zu] %-6s %s (%.1f s)%s\n", ++n, scenarios.size(),
                failed ? "FAIL" : "ok", s.name.c_str(),
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
  report.notes.push_back(std::to_string(scenarios.size()) +
                         " scenarios, each in its own process, in " + took +
                         " s");
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
                 "How long the manager waits for each completion callback")
      ->check(CLI::Range(10, 600000));
  app.add_option("--profile", flags.profile,
                 "What decides the exit status: 'documented' (Microsoft's "
                 "documented contract; this project's own decisions, OURS, "
                 "are reported beside it) or 'strict' (both)")
      ->check(CLI::IsMember({"documented", "strict"}));
  app.add_flag("--list", flags.list, "List the scenarios and exit");
  app.add_option("--run_scenario", flags.run_scenario)->group("");
  app.add_option("--result", flags.result_path)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (flags.list) {
    for (const Scenario& s : Scenarios()) {
      std::string reqs;
      for (const std::string& r : s.requirements) reqs += " " + r;
      std::cout << s.name << "\n    " << s.description
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
  // serve.
  if (FAILED(
          syncmgr::com::RegisterInprocServer(clsid, flags.handler, &error))) {
    std::cerr << "certify: " << error << "\n";
    return 2;
  }
  ComPtr<IClassFactory> factory;
  const HRESULT hr = CoGetClassObject(clsid, CLSCTX_INPROC_SERVER, nullptr,
                                      IID_IClassFactory, factory.PutVoid());
  if (FAILED(hr)) {
    std::cerr << "certify: " << flags.handler << " does not serve "
              << flags.clsid_text << ": " << DescribeHresult(hr) << "\n";
    return 2;
  }
  factory.Reset();
  return Certify(flags);
}
