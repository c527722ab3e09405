// differential_fuzzer: the same sequence of calls into the linked-in
// reference and into an implementation loaded as a plug-in; any difference
// is a finding.
//
// The plug-in is the shared object named by SYNCMGR_IMPLEMENTATION (the
// plug-in contract of README.md, as for the conformance suite). Unset, the
// fuzzer looks for the reference plug-in, syncmgr_reference.so, next to its
// own executable (OSS-Fuzz layout) and then in its runfiles
// (reference/syncmgr_reference.so), so its replay test compares the
// reference with itself run as a plug-in, in the asynchronous mode (the
// results must not depend on the mode, UI-101).
//
// Each input is up to 16 operations: RegisterSyncMgrHandler,
// UnregisterSyncMgrHandler, GetHandlerRegistrationInfo, UpdateItems (flags,
// CLSID, cookie size and bytes, and how the handler behaves) and UpdateAll.
// Each runs on the reference, then on the plug-in, each time until its
// sessions are over. Compared: the HRESULT and out-parameters, and for
// every handler object the manager created: Initialize's event code and
// flags, the cookie's size, NULL-ness and bytes, whether it was the caller's
// own buffer (UI-108), whether the handler was released, after
// SetProgressCallback(NULL) (HS-010), whether Synchronize came before
// PrepareForSyncCompleted (HS-015), and the callback's answers.
//
// SYNCMGR_DIFF_SETTLE_MS (default 1000): how long to wait for the plug-in's
// sessions to end after each call.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "fuzz/internal/check.h"
#include "fuzz/internal/environment.h"
#include "fuzz/internal/scripted_handler.h"
#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/sync_manager.h"

namespace syncmgr::fuzz {
namespace {

using com::ComPtr;

// 0 and 1: creatable handlers; 2: no class object; 3: CLSID_NULL.
constexpr int kClsids = 4;
constexpr int kCreatable = 2;
GUID ClsidAt(int index) {
  return index == 3 ? CLSID_NULL : FuzzGuid(0x70 + index);
}

// Both sides wait this long for a completion; the scripts never make them
// wait that long.
constexpr std::chrono::milliseconds kDifferentialTimeout{1000};

struct Side {
  const char* name;
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  ComPtr<ISyncMgrRegister> reg;
};

struct Fixture {
  std::array<std::unique_ptr<HandlerClass>, kCreatable> classes;
  Side reference{"reference", {}, {}};
  Side plugin{"plug-in", {}, {}};
  std::string plugin_path;
  std::chrono::milliseconds settle{1000};
  long baseline_handlers = 0;
};

Fixture* g_fixture = nullptr;

std::string FindPlugin(const char* argv0) {
  if (const char* path = std::getenv("SYNCMGR_IMPLEMENTATION")) {
    if (*path != '\0') return path;
  }
  std::vector<std::string> candidates;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string exe(self);
    const std::string dir = exe.substr(0, exe.rfind('/'));
    candidates.push_back(dir + "/syncmgr_reference.so");
    candidates.push_back(exe +
                         ".runfiles/syncmgr_conformance/reference/"
                         "syncmgr_reference.so");
  }
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* root = std::getenv(var)) {
      candidates.push_back(std::string(root) +
                           "/syncmgr_conformance/reference/"
                           "syncmgr_reference.so");
    }
  }
  if (argv0 != nullptr) {
    candidates.push_back(std::string(argv0) +
                         ".runfiles/syncmgr_conformance/reference/"
                         "syncmgr_reference.so");
  }
  candidates.push_back("reference/syncmgr_reference.so");
  for (const std::string& c : candidates) {
    if (access(c.c_str(), R_OK) == 0) return c;
  }
  return "";
}

void SetUp(const char* argv0) {
  auto* f = new Fixture();
  for (int i = 0; i < kCreatable; ++i) {
    f->classes[i] = std::make_unique<HandlerClass>(ClsidAt(i));
  }
  if (const char* ms = std::getenv("SYNCMGR_DIFF_SETTLE_MS")) {
    f->settle = std::chrono::milliseconds(std::atol(ms));
  }
  reference::ResetForTesting();
  reference::Options options = FuzzOptions();
  options.completion_timeout = kDifferentialTimeout;
  reference::Configure(options);
  FUZZ_CHECK(
      SUCCEEDED(reference::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                             f->reference.invoke.PutVoid())) &&
          SUCCEEDED(f->reference.invoke.As(&f->reference.reg)),
      "cannot create the reference");

  f->plugin_path = FindPlugin(argv0);
  FUZZ_CHECK(!f->plugin_path.empty(),
             "no implementation: set SYNCMGR_IMPLEMENTATION=/path/impl.so");
  // The reference plug-in's knobs (other implementations ignore them).
  setenv("SYNCMGR_REFERENCE_TIMEOUT_MS",
         std::to_string(kDifferentialTimeout.count()).c_str(), 0);
  DllGetClassObjectFn get_class_object = nullptr;
  DllCanUnloadNowFn can_unload = nullptr;
  std::string error;
  HRESULT hr = com::LoadInprocServer(f->plugin_path, &get_class_object,
                                     &can_unload, &error);
  FUZZ_CHECK(hr == S_OK, "cannot load ", f->plugin_path, ": ", error);
  ComPtr<IClassFactory> factory;
  hr = get_class_object(CLSID_SyncMgr, IID_IClassFactory, factory.PutVoid());
  FUZZ_CHECK(hr == S_OK, f->plugin_path,
             ": DllGetClassObject(CLSID_SyncMgr) returned ", Hr(hr));
  hr = factory->CreateInstance(nullptr, IID_ISyncMgrSynchronizeInvoke,
                               f->plugin.invoke.PutVoid());
  FUZZ_CHECK(hr == S_OK, f->plugin_path, ": CreateInstance returned ", Hr(hr));
  hr = f->plugin.invoke.As(&f->plugin.reg);
  FUZZ_CHECK(hr == S_OK, f->plugin_path,
             ": no ISyncMgrRegister on the manager: ", Hr(hr));
  std::fprintf(stderr, "differential_fuzzer: reference vs %s\n",
               f->plugin_path.c_str());
  f->baseline_handlers = LiveHandlerObjects();
  g_fixture = f;
}

// What one handler object saw, in comparable form.
struct Facts {
  int clsid = 0;
  int initialize_calls = 0;
  DWORD event_code = 0;
  DWORD other_flags = 0;
  DWORD cb_cookie = 0;
  bool cookie_null = false;
  bool cookie_matches = false;
  bool caller_buffer = false;
  bool destroyed = false;
  bool released_without_reset = false;
  bool synchronize_early = false;
  int prepare_calls = 0;
  int synchronize_calls = 0;
  std::vector<HRESULT> answers;

  auto Tie() const {
    return std::tie(clsid, initialize_calls, event_code, other_flags, cb_cookie,
                    cookie_null, cookie_matches, caller_buffer, destroyed,
                    released_without_reset, synchronize_early, prepare_calls,
                    synchronize_calls, answers);
  }
  bool operator<(const Facts& o) const { return Tie() < o.Tie(); }
  bool operator==(const Facts& o) const { return Tie() == o.Tie(); }
};

std::string Describe(const std::vector<Facts>& all) {
  std::ostringstream out;
  if (all.empty()) out << "    (no handler object created)\n";
  for (const Facts& f : all) {
    out << "    handler #" << f.clsid << ": Initialize x" << f.initialize_calls
        << " event 0x" << std::hex << f.event_code << " flags 0x"
        << f.other_flags << std::dec << ", cookie " << f.cb_cookie << " bytes"
        << (f.cookie_null ? " NULL" : "")
        << (f.cookie_matches ? " matching" : " NOT matching")
        << (f.caller_buffer ? " (the caller's own buffer)" : "")
        << (f.destroyed ? ", released" : ", NEVER released")
        << (f.released_without_reset ? " without SetProgressCallback(NULL)"
                                     : "")
        << ", PrepareForSync x" << f.prepare_calls << ", Synchronize x"
        << f.synchronize_calls
        << (f.synchronize_early ? " (before PrepareForSyncCompleted)" : "")
        << ", callback answers:";
    for (HRESULT hr : f.answers) out << " " << HresultName(hr);
    out << "\n";
  }
  return out.str();
}

// Waits until the side's sessions are over: at least `expected` handler
// objects were created and none is alive, or the settle time passed.
std::vector<Facts> Settle(Fixture& f, size_t expected, const BYTE* buffer,
                          bool wait) {
  const auto deadline = std::chrono::steady_clock::now() + f.settle;
  while (wait && std::chrono::steady_clock::now() < deadline) {
    size_t created = 0;
    for (auto& c : f.classes) created += c->RecordCount();
    if (created >= expected && LiveHandlerObjects() == f.baseline_handlers) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  JoinHandlerThreads();
  std::vector<Facts> all;
  for (int i = 0; i < kCreatable; ++i) {
    for (const auto& record : f.classes[i]->TakeRecords()) {
      Facts facts;
      facts.clsid = i;
      facts.initialize_calls = record->initialize_calls;
      facts.event_code = record->flags & SYNCMGRFLAG_EVENTMASK;
      facts.other_flags = record->flags & ~DWORD{SYNCMGRFLAG_EVENTMASK};
      facts.cb_cookie = record->cb_cookie;
      facts.cookie_null = record->cookie_null;
      facts.cookie_matches = record->cookie_matches;
      facts.caller_buffer =
          buffer != nullptr && record->cookie_pointer == buffer;
      facts.destroyed = record->destroyed;
      facts.released_without_reset = record->destroyed_without_reset;
      facts.synchronize_early = record->synchronize_before_prepare_completed;
      facts.prepare_calls = record->prepare_calls;
      facts.synchronize_calls = record->synchronize_calls;
      facts.answers = record->completion_answers;
      all.push_back(std::move(facts));
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

// One operation, as a function of the side it runs on.
struct Result {
  HRESULT hr = S_OK;
  DWORD out = 0;
};

void Compare(Fixture& f, int step, const std::string& call,
             const std::function<Result(Side&)>& run, const BYTE* buffer) {
  const Result expected = run(f.reference);
  const std::vector<Facts> reference_facts = Settle(f, 0, buffer, false);
  const Result actual = run(f.plugin);
  const std::vector<Facts> plugin_facts =
      Settle(f, reference_facts.size(), buffer, true);
  FUZZ_CHECK(expected.hr == actual.hr && expected.out == actual.out &&
                 reference_facts == plugin_facts,
             "DIFFERENCE at step ", step, ": ", call,
             "\n  reference: ", Hr(expected.hr), " out=0x", std::hex,
             expected.out, std::dec, "\n", Describe(reference_facts), "  ",
             f.plugin_path, ": ", Hr(actual.hr), " out=0x", std::hex,
             actual.out, std::dec, "\n", Describe(plugin_facts));
}

void FuzzOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = *g_fixture;
  FuzzedDataProvider in(data, size);
  std::vector<std::unique_ptr<BYTE[]>> buffers;
  int step = 0;
  while (in.remaining_bytes() > 0 && step < 16) {
    ++step;
    const int op = in.ConsumeIntegralInRange<int>(0, 4);
    const int index = in.ConsumeIntegralInRange<int>(0, kClsids - 1);
    const GUID clsid = ClsidAt(index);
    std::ostringstream call;
    switch (op) {
      case 0: {
        constexpr DWORD kFlags[] = {0, 1, 2, 4, 7, 8};
        const DWORD flags = in.PickValueInArray(kFlags);
        const bool null_description = in.ConsumeBool();
        call << "RegisterSyncMgrHandler(#" << index << ", "
             << (null_description ? "NULL" : "\"d\"") << ", 0x" << std::hex
             << flags << ")";
        Compare(
            f, step, call.str(),
            [&](Side& side) {
              return Result{side.reg->RegisterSyncMgrHandler(
                  clsid, null_description ? nullptr : u"d", flags)};
            },
            nullptr);
        break;
      }
      case 1: {
        const DWORD reserved = in.ConsumeBool() ? 1 : 0;
        call << "UnregisterSyncMgrHandler(#" << index << ", " << reserved
             << ")";
        Compare(
            f, step, call.str(),
            [&](Side& side) {
              return Result{
                  side.reg->UnregisterSyncMgrHandler(clsid, reserved)};
            },
            nullptr);
        break;
      }
      case 2: {
        const bool null_out = in.ConsumeBool();
        call << "GetHandlerRegistrationInfo(#" << index << ", "
             << (null_out ? "NULL" : "&flags") << ")";
        Compare(
            f, step, call.str(),
            [&](Side& side) {
              Result r;
              r.out = 0xDEADBEEF;
              r.hr = side.reg->GetHandlerRegistrationInfo(
                  clsid, null_out ? nullptr : &r.out);
              return r;
            },
            nullptr);
        break;
      }
      case 3: {
        DWORD flags = 0;
        if (in.ConsumeBool()) {
          constexpr DWORD kDocumented[] = {0, 2, 4, 6};
          flags = in.PickValueInArray(kDocumented);
        } else {
          flags = in.ConsumeIntegral<std::uint32_t>();
        }
        DWORD cb = 0;
        const int size_kind = in.ConsumeIntegralInRange<int>(0, 2);
        if (size_kind == 0) {
          cb = in.ConsumeIntegralInRange<DWORD>(0, 32);
        } else if (size_kind == 1) {
          constexpr DWORD kEdges[] = {1u << 20, (1u << 20) + 1, 0xFFFFFFFFu};
          cb = in.PickValueInArray(kEdges);
        }
        const bool null_cookie = in.ConsumeBool();
        HandlerScript script;
        const HRESULT kInit[] = {S_OK, S_OK, S_FALSE, E_FAIL};
        script.initialize = in.PickValueInArray(kInit);
        const Completion kHow[] = {Completion::kInline,
                                   Completion::kOtherThread,
                                   Completion::kDelayed};
        script.prepare_completion = in.PickValueInArray(kHow);
        script.sync_completion = in.PickValueInArray(kHow);
        const int items = in.ConsumeIntegralInRange<int>(0, 2);
        for (int i = 0; i < items; ++i) {
          script.items.push_back(
              MakeItem(FuzzGuid(0x78 + i), SYNCMGRITEMSTATE_CHECKED));
        }
        // The caller's buffer: cbCookie bytes when a manager may read them.
        const std::vector<std::uint8_t> given =
            in.ConsumeBytes<std::uint8_t>(cb);
        const size_t length = cb <= (1u << 20) ? cb : given.size();
        buffers.emplace_back(new BYTE[length == 0 ? 1 : length]);
        BYTE* buffer = buffers.back().get();
        if (!given.empty()) std::memcpy(buffer, given.data(), given.size());
        if (length > given.size()) {
          std::memset(buffer + given.size(), 0x5A, length - given.size());
        }
        const BYTE* cookie = null_cookie ? nullptr : buffer;
        script.expected_cookie = cookie;
        script.expected_size = cb;
        for (auto& c : f.classes) c->SetScript(script);
        call << "UpdateItems(0x" << std::hex << flags << std::dec << ", #"
             << index << ", " << cb << ", " << (null_cookie ? "NULL" : "buf")
             << ") with Initialize -> " << HresultName(script.initialize)
             << ", " << items << " item(s)";
        Compare(
            f, step, call.str(),
            [&](Side& side) {
              return Result{side.invoke->UpdateItems(flags, clsid, cb, cookie)};
            },
            buffer);
        break;
      }
      case 4: {
        HandlerScript script;
        script.items = {MakeItem(FuzzGuid(0x78), SYNCMGRITEMSTATE_CHECKED)};
        for (auto& c : f.classes) c->SetScript(script);
        Compare(
            f, step, "UpdateAll()",
            [&](Side& side) { return Result{side.invoke->UpdateAll()}; },
            nullptr);
        break;
      }
    }
  }
  // Leave both managers with no registration for the next input.
  for (int i = 0; i < kClsids - 1; ++i) {
    Compare(
        f, ++step, "UnregisterSyncMgrHandler(#" + std::to_string(i) + ", 0)",
        [&](Side& side) {
          return Result{side.reg->UnregisterSyncMgrHandler(ClsidAt(i), 0)};
        },
        nullptr);
  }
}

}  // namespace
}  // namespace syncmgr::fuzz

// LeakSanitizer's tracer crashes ("Tracer caught signal 11") when it walks
// the thread-local storage of threads of a dlopen()ed plug-in (clang 14's
// LSan with glibc 2.36), which this target always has. Leaks are checked by
// the other targets, where no plug-in is loaded.
extern "C" int __lsan_is_turned_off() { return 1; }

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  syncmgr::fuzz::SetUp(*argc > 0 ? (*argv)[0] : nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  syncmgr::fuzz::FuzzOneInput(data, size);
  return 0;
}
