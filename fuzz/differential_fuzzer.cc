// differential_fuzzer: the same sequence of calls into the linked-in
// reference and into an implementation loaded as a plug-in, judged by the
// documented contract, with every difference from the reference counted
// against the reference profile.
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
// CLSID, cookie size and bytes, how the handler behaves and which callback
// calls it makes during Synchronize) and UpdateAll. Each runs on the
// reference, then on the plug-in, each time until its sessions are over.
//
// Two verdicts (reference/SPEC.md's levels, as the conformance suite):
//   * The documented contract (MUST/SHOULD) decides. The plug-in's answers
//     and what it did to every handler object are judged on their own,
//     against a model of its registrations built from its own answers; the
//     reference's answer is one allowed answer, not the only one. A broken
//     rule aborts with "documented contract: <ID>: ...".
//   * The reference profile (OURS): every difference from the reference is
//     put down to the OURS requirement that fixes the reference's answer and
//     counted per requirement (inputs in which it differed); the counts are
//     printed at exit and every SYNCMGR_DIFF_SUMMARY_EVERY inputs. With the
//     strict profile (SYNCMGR_DIFFERENTIAL_PROFILE=strict or --profile=strict)
//     any difference aborts with "reference profile: <ID>: ...".
//
// SYNCMGR_DIFF_SETTLE_MS (default 1000): how long to wait for the plug-in's
// sessions to end after each call; SYNCMGR_DIFF_GRACE_MS (default 5): how
// long to wait for a session a correct plug-in would not start at all;
// SYNCMGR_DIFF_UPDATE_ALL_MS (default 2000): how long UpdateAll may take
// before it counts as blocking (UA-003); SYNCMGR_DIFF_SUMMARY_EVERY
// (default 10000, 0: only at exit): inputs between two summaries.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fuzz/internal/check.h"
#include "fuzz/internal/differential_rules.h"
#include "fuzz/internal/environment.h"
#include "fuzz/internal/guarded_buffer.h"
#include "fuzz/internal/scripted_handler.h"
#include "fuzz/internal/verdict.h"
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

// The largest cookie the caller backs with cbCookie bytes (each buffer is
// followed by an inaccessible page: a read past it is UI-015). Larger sizes
// (0xFFFFFFFF) get a buffer of only the input's bytes: the reference never
// reads it (UI-107), so only the strict profile, which holds the plug-in to
// UI-107, passes it; the documented profile skips such a call.
constexpr DWORD kBackedCookieBytes = (1u << 20) + 1;

// What the documented model knows of one CLSID's registration with the
// plug-in, from the plug-in's own answers. A failed call leaves it unknown
// (no page says a failure has no effect).
struct Registration {
  enum State { kUnregistered, kRegistered, kUnknown };
  State state = kUnregistered;
  bool flags_known = false;
  DWORD flags = 0;
};

// Aborts from its own thread when armed longer than the limit: a call that
// never returns becomes a finding that names its requirement.
class Watchdog {
 public:
  Watchdog() {
    std::thread([this] { Run(); }).detach();
  }

  // `requirement` and `finding` are printed if the limit passes before
  // Disarm().
  void Arm(std::chrono::milliseconds limit, const char* requirement,
           std::string finding) {
    std::lock_guard lock(mu_);
    deadline_ = std::chrono::steady_clock::now() + limit;
    requirement_ = requirement;
    finding_ = std::move(finding);
    armed_ = true;
    cv_.notify_all();
  }
  void Disarm() {
    std::lock_guard lock(mu_);
    armed_ = false;
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      const auto deadline = deadline_;
      cv_.wait_until(lock, deadline);
      if (armed_ && deadline_ == deadline &&
          std::chrono::steady_clock::now() >= deadline) {
        InvariantFailed(__FILE__, __LINE__, requirement_, finding_);
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  std::chrono::steady_clock::time_point deadline_;
  const char* requirement_ = "";
  std::string finding_;
};

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
  std::chrono::milliseconds grace{5};
  std::chrono::milliseconds update_all_limit{2000};
  long baseline_handlers = 0;
  Profile profile = Profile::kDocumented;
  ReferenceProfileTally tally;
  std::uint64_t summary_every = 10000;
  Watchdog watchdog;
  // The script the handler classes hand out now, and its rules.
  HandlerScript script;
  std::vector<CallRule> rules;
  // The documented model of the plug-in's registrations.
  std::array<Registration, kClsids> model;
  // Registered or not as each side answered, taking a failed call to
  // change nothing: where they part, later differences about that CLSID
  // come from the difference that parted them (`parted_by`).
  std::array<bool, kClsids> reference_registered{};
  std::array<bool, kClsids> plugin_registered{};
  std::array<const char*, kClsids> parted_by{};
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

std::chrono::milliseconds MillisecondsFrom(const char* variable,
                                           std::chrono::milliseconds value) {
  if (const char* text = std::getenv(variable)) {
    return std::chrono::milliseconds(std::atol(text));
  }
  return value;
}

void PrintSummary() {
  if (g_fixture == nullptr) return;
  std::fputs(g_fixture->tally.Summary(g_fixture->profile).c_str(), stderr);
  std::fflush(stderr);
}

// The COM rules a manager's module and objects follow (COM-001, COM-002,
// COM-005, COM-006, COM-007), once, on the plug-in.
void CheckComRules(const Fixture& f, DllGetClassObjectFn get_class_object,
                   DllCanUnloadNowFn can_unload, IClassFactory* factory) {
  const std::string& path = f.plugin_path;
  ComPtr<IUnknown> unknown;
  HRESULT hr =
      get_class_object(FuzzGuid(0x7F), IID_IClassFactory, unknown.PutVoid());
  FUZZ_CHECK(
      hr == CLASS_E_CLASSNOTAVAILABLE, "documented contract: COM-005: ", path,
      ": DllGetClassObject for a CLSID it does not serve returned ", Hr(hr));
  unknown.Reset();
  hr = factory->CreateInstance(f.reference.invoke.Get(), IID_IUnknown,
                               unknown.PutVoid());
  FUZZ_CHECK(hr == CLASS_E_NOAGGREGATION,
             "documented contract: COM-007: ", path,
             ": CreateInstance with an outer object returned ", Hr(hr));
  unknown.Reset();
  for (IUnknown* object : {static_cast<IUnknown*>(f.plugin.invoke.Get()),
                           static_cast<IUnknown*>(f.plugin.reg.Get())}) {
    void* out = &unknown;  // not NULL: COM-001 wants it set to NULL
    hr = object->QueryInterface(FuzzGuid(0x7E), &out);
    FUZZ_CHECK(hr == E_NOINTERFACE && out == nullptr,
               "documented contract: COM-001: ", path,
               ": QueryInterface for an unsupported IID returned ", Hr(hr),
               out == nullptr ? "" : " and left *ppv set");
    hr = object->QueryInterface(IID_IUnknown, nullptr);
    FUZZ_CHECK(hr == E_POINTER, "documented contract: COM-001: ", path,
               ": QueryInterface with a NULL ppv returned ", Hr(hr));
  }
  ComPtr<IUnknown> first, second;
  ComPtr<ISyncMgrSynchronizeInvoke> again;
  hr = f.plugin.invoke->QueryInterface(IID_IUnknown, first.PutVoid());
  if (hr == S_OK) hr = first.As(&again);
  if (hr == S_OK) hr = again->QueryInterface(IID_IUnknown, second.PutVoid());
  FUZZ_CHECK(
      hr == S_OK && first.Get() == second.Get(),
      "documented contract: COM-002: ", path,
      ": IUnknown through ISyncMgrSynchronizeInvoke is not one pointer (",
      Hr(hr), ")");
  if (can_unload != nullptr) {
    hr = can_unload();
    FUZZ_CHECK(hr == S_FALSE, "documented contract: COM-006: ", path,
               ": DllCanUnloadNow returned ", Hr(hr),
               " while its objects are alive");
  }
}

void SetUp(int* argc, char*** argv) {
  auto* f = new Fixture();
  f->profile = TakeProfile(argc, argv);
  // Before libFuzzer's own, which passes faults on to it.
  InstallGuardHandler();
  const char* argv0 = *argc > 0 ? (*argv)[0] : nullptr;
  for (int i = 0; i < kCreatable; ++i) {
    f->classes[i] = std::make_unique<HandlerClass>(ClsidAt(i));
  }
  f->settle = MillisecondsFrom("SYNCMGR_DIFF_SETTLE_MS", f->settle);
  f->grace = MillisecondsFrom("SYNCMGR_DIFF_GRACE_MS", f->grace);
  f->update_all_limit =
      MillisecondsFrom("SYNCMGR_DIFF_UPDATE_ALL_MS", f->update_all_limit);
  if (const char* every = std::getenv("SYNCMGR_DIFF_SUMMARY_EVERY")) {
    f->summary_every = std::strtoull(every, nullptr, 10);
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
  FUZZ_CHECK(hr == S_OK, "documented contract: UI-014: ", f->plugin_path,
             ": CreateInstance(IID_ISyncMgrSynchronizeInvoke) returned ",
             Hr(hr));
  // The pages do not say which object exposes ISyncMgrRegister: the
  // CLSID_SyncMgr object itself (REG-106), or one of its own.
  if (FAILED(f->plugin.invoke.As(&f->plugin.reg)) || !f->plugin.reg) {
    f->plugin.reg.Reset();
    hr = factory->CreateInstance(nullptr, IID_ISyncMgrRegister,
                                 f->plugin.reg.PutVoid());
    FUZZ_CHECK(hr == S_OK && f->plugin.reg,
               "documented contract: REG-001: ", f->plugin_path,
               ": no ISyncMgrRegister, neither on the manager nor as an "
               "object of its own: ",
               Hr(hr));
  }
  CheckComRules(*f, get_class_object, can_unload, factory.Get());
  std::fprintf(stderr, "differential_fuzzer: reference vs %s (%s profile)\n",
               f->plugin_path.c_str(), ProfileName(f->profile));
  f->baseline_handlers = LiveHandlerObjects();
  f->rules = RulesForCalls(f->script);
  g_fixture = f;
  std::atexit(PrintSummary);
}

// ---- Operations ----

enum class OpKind {
  kRegister,
  kUnregister,
  kGetInfo,
  kUpdateItems,
  kUpdateAll
};

struct Op {
  OpKind kind = OpKind::kRegister;
  int index = 0;
  GUID clsid{};
  DWORD flags = 0;  // Register's or UpdateItems' flags
  bool null_description = false;
  DWORD reserved = 0;
  bool null_out = false;
  DWORD cb = 0;
  const BYTE* cookie = nullptr;  // pCookie
  const BYTE* buffer = nullptr;  // the caller's buffer, NULL or not
  bool sets_script = false;
  HandlerScript script;
  std::string text;
};

// What one side did in one operation.
struct Outcome {
  HRESULT hr = S_OK;
  DWORD out = 0;
  std::vector<HandlerFacts> handlers;  // sorted
};

SessionRequest RequestFor(const Op& op, int clsid) {
  SessionRequest request;
  request.update_all = op.kind == OpKind::kUpdateAll;
  if (op.kind == OpKind::kUpdateItems) {
    request.invoke_flags = op.flags;
    request.named_class = clsid == op.index;
    request.cb_cookie = op.cb;
    request.cookie = op.cookie;
  } else {
    request.named_class = false;
  }
  return request;
}

Outcome Call(Side& side, const Op& op) {
  Outcome o;
  switch (op.kind) {
    case OpKind::kRegister:
      o.hr = side.reg->RegisterSyncMgrHandler(
          op.clsid, op.null_description ? nullptr : u"d", op.flags);
      break;
    case OpKind::kUnregister:
      o.hr = side.reg->UnregisterSyncMgrHandler(op.clsid, op.reserved);
      break;
    case OpKind::kGetInfo:
      o.out = 0xDEADBEEF;
      o.hr = side.reg->GetHandlerRegistrationInfo(
          op.clsid, op.null_out ? nullptr : &o.out);
      break;
    case OpKind::kUpdateItems:
      o.hr = side.invoke->UpdateItems(op.flags, op.clsid, op.cb, op.cookie);
      break;
    case OpKind::kUpdateAll:
      o.hr = side.invoke->UpdateAll();
      break;
  }
  return o;
}

// Sessions to wait for after a call to the plug-in: per handler class, the
// objects it must create, and whether it may start a session a correct
// plug-in would not (UpdateItems accepted for a handler not registered:
// worth a short grace period to catch it here, UI-002).
struct Expectation {
  std::array<int, kCreatable> objects{};
  bool stray_possible = false;
};

Expectation Expect(const Fixture& f, const Op& op, HRESULT hr) {
  Expectation e;
  if (hr != S_OK) return e;
  auto registered = [&](int c) {
    return f.model[c].state == Registration::kRegistered ||
           f.plugin_registered[c];
  };
  if (op.kind == OpKind::kUpdateItems && op.index < kCreatable) {
    if (registered(op.index)) {
      e.objects[op.index] = 1;
    } else {
      e.stray_possible = true;
    }
  } else if (op.kind == OpKind::kUpdateAll) {
    // No grace period for handlers it has not registered: UpdateAll is
    // frequent, and the next call on the plug-in waits for every handler
    // object to be released before its records are taken.
    for (int c = 0; c < kCreatable; ++c) {
      if (registered(c)) e.objects[c] = 1;
    }
  }
  return e;
}

// The records of every handler object created since the last call, in
// comparable form. With `expected`, first waits until it is met and every
// handler object is released (or the settle time passed).
std::vector<HandlerFacts> Collect(Fixture& f, const Op& op,
                                  const Expectation* expected,
                                  const CallSpan* span) {
  if (expected != nullptr) {
    auto met = [&] {
      for (int c = 0; c < kCreatable; ++c) {
        if (f.classes[c]->RecordCount() < expected->objects[c]) return false;
      }
      return LiveHandlerObjects() == f.baseline_handlers;
    };
    auto wait = [&] {
      const auto deadline = std::chrono::steady_clock::now() + f.settle;
      while (!met() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
    };
    wait();
    if (expected->stray_possible) {
      std::this_thread::sleep_for(f.grace);
      wait();
    }
  }
  JoinHandlerThreads();
  std::vector<HandlerFacts> all;
  for (int c = 0; c < kCreatable; ++c) {
    for (const auto& record : f.classes[c]->TakeRecords()) {
      all.push_back(
          MakeFacts(c, *record, f.rules, op.buffer,
                    op.kind == OpKind::kUpdateItems ? span : nullptr));
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<HandlerFacts> OfClass(const std::vector<HandlerFacts>& all,
                                  int clsid) {
  std::vector<HandlerFacts> some;
  for (const HandlerFacts& h : all) {
    if (h.clsid == clsid) some.push_back(h);
  }
  return some;
}

std::string DescribeOutcome(const std::string& who, const Outcome& o) {
  std::ostringstream out;
  out << "  " << who << ": " << Hr(o.hr) << " out=0x" << std::hex << o.out
      << std::dec << "\n";
  if (o.handlers.empty()) out << "    (no handler object created)\n";
  for (const HandlerFacts& h : o.handlers) out << "    " << Describe(h) << "\n";
  return out.str();
}

std::string Context(const Fixture& f, int step, const Op& op,
                    const Outcome& reference, const Outcome& plugin) {
  return "\n  at step " + std::to_string(step) + ": " + op.text + "\n" +
         DescribeOutcome("reference", reference) +
         DescribeOutcome(f.plugin_path, plugin);
}

// ---- The documented contract ----

std::string ToHex(DWORD value) {
  char text[16];
  std::snprintf(text, sizeof text, "%X", static_cast<unsigned>(value));
  return text;
}

bool OneOf(HRESULT hr, std::initializer_list<HRESULT> codes) {
  return std::find(codes.begin(), codes.end(), hr) != codes.end();
}

std::optional<Violation> JudgeRegistration(const Fixture& f, const Op& op,
                                           const Outcome& p) {
  const Registration& m = f.model[op.index];
  const bool clsid_valid = op.index != 3;
  auto violation = [](const char* requirement, std::string message) {
    return std::optional<Violation>(Violation{requirement, std::move(message)});
  };
  switch (op.kind) {
    case OpKind::kRegister:
      if (!OneOf(p.hr, {S_OK, E_INVALIDARG, E_UNEXPECTED, E_OUTOFMEMORY})) {
        return violation("REG-005", "RegisterSyncMgrHandler returned " +
                                        Hr(p.hr) + ", not a documented code");
      }
      if (clsid_valid && (op.flags & ~DWORD{SYNCMGRREGISTERFLAGS_MASK}) == 0 &&
          m.state == Registration::kUnregistered &&
          !OneOf(p.hr, {S_OK, E_OUTOFMEMORY})) {
        return violation(
            op.null_description ? "REG-004" : "REG-003",
            "RegisterSyncMgrHandler of an unregistered CLSID "
            "with valid flags" +
                std::string(op.null_description ? " and a NULL description"
                                                : "") +
                " returned " + Hr(p.hr));
      }
      break;
    case OpKind::kUnregister:
      if (!OneOf(p.hr, {S_OK, E_INVALIDARG, E_UNEXPECTED, E_OUTOFMEMORY})) {
        return violation("REG-005", "UnregisterSyncMgrHandler returned " +
                                        Hr(p.hr) + ", not a documented code");
      }
      if (clsid_valid && op.reserved == 0 &&
          m.state == Registration::kRegistered &&
          !OneOf(p.hr, {S_OK, E_OUTOFMEMORY})) {
        return violation("REG-006",
                         "UnregisterSyncMgrHandler of a registered CLSID "
                         "returned " +
                             Hr(p.hr));
      }
      break;
    case OpKind::kGetInfo:
      if (!OneOf(p.hr,
                 {S_OK, S_FALSE, E_INVALIDARG, E_UNEXPECTED, E_OUTOFMEMORY})) {
        return violation("REG-005", "GetHandlerRegistrationInfo returned " +
                                        Hr(p.hr) + ", not a documented code");
      }
      if (op.null_out) break;
      if (m.state == Registration::kRegistered &&
          !OneOf(p.hr, {S_OK, E_OUTOFMEMORY})) {
        return violation("REG-008", "GetHandlerRegistrationInfo returned " +
                                        Hr(p.hr) +
                                        " for a CLSID registered with S_OK");
      }
      if (m.state == Registration::kUnregistered && p.hr != S_FALSE &&
          p.hr != E_OUTOFMEMORY && (clsid_valid || p.hr != E_INVALIDARG)) {
        return violation("REG-008",
                         "GetHandlerRegistrationInfo returned " + Hr(p.hr) +
                             " for a CLSID that is not registered (after "
                             "UnregisterSyncMgrHandler returned S_OK, or never "
                             "registered)");
      }
      if (p.hr == S_OK) {
        if ((p.out & ~DWORD{SYNCMGRREGISTERFLAGS_MASK}) != 0) {
          return violation("REG-010",
                           "GetHandlerRegistrationInfo returned flags 0x" +
                               ToHex(p.out) +
                               ": bits outside SYNCMGRREGISTERFLAGS_MASK "
                               "were registered");
        }
        if (m.state == Registration::kRegistered && m.flags_known &&
            p.out != (m.flags & SYNCMGRREGISTERFLAGS_MASK)) {
          return violation("REG-009",
                           "GetHandlerRegistrationInfo returned "
                           "flags 0x" +
                               ToHex(p.out) + ", registered 0x" +
                               ToHex(m.flags));
        }
      }
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::optional<Violation> JudgeUpdate(const Fixture& f, const Op& op,
                                     const Outcome& p) {
  auto violation = [](const char* requirement, std::string message) {
    return std::optional<Violation>(Violation{requirement, std::move(message)});
  };
  if (op.kind == OpKind::kUpdateItems) {
    if (!OneOf(p.hr,
               {S_OK, E_FAIL, E_INVALIDARG, E_UNEXPECTED, E_OUTOFMEMORY})) {
      return violation("UI-013", "UpdateItems returned " + Hr(p.hr) +
                                     ", not one of S_OK, E_FAIL, "
                                     "E_INVALIDARG, E_UNEXPECTED, "
                                     "E_OUTOFMEMORY");
    }
    const Registration& m = f.model[op.index];
    const bool documented_flags = (op.flags & ~DWORD{0x6}) == 0;
    const bool consistent_cookie =
        (op.cookie != nullptr && op.cb > 0 && op.cb <= (1u << 20)) ||
        (op.cookie == nullptr && op.cb == 0);
    if (p.hr == E_INVALIDARG && documented_flags && op.index < kCreatable &&
        m.state == Registration::kRegistered && consistent_cookie) {
      return violation(
          op.cookie == nullptr ? "UI-015" : "UI-003",
          "UpdateItems refused documented flags, a registered CLSID and " +
              std::string(op.cookie == nullptr ? "a NULL cookie of size 0"
                                               : "a valid cookie") +
              " with E_INVALIDARG");
    }
    // A well-formed request for a registered handler that accepts,
    // prepares and synchronizes without a word through the callback (no
    // error logged, no completion of its own) succeeds.
    const bool succeeds =
        op.script.initialize == S_OK && op.script.prepare == S_OK &&
        op.script.prepare_completion_hr == S_OK && op.script.calls.empty();
    if (documented_flags && op.index < kCreatable &&
        m.state == Registration::kRegistered && consistent_cookie && succeeds &&
        !OneOf(p.hr, {S_OK, E_OUTOFMEMORY})) {
      return violation("UI-011", "UpdateItems returned " + Hr(p.hr) +
                                     " for an update that succeeds (documented "
                                     "flags, a registered handler that "
                                     "accepts and completes)");
    }
    // A failure the manager knew of when it returned: E_FAIL.
    if (documented_flags && op.index == 2 &&
        m.state == Registration::kRegistered && consistent_cookie &&
        !OneOf(p.hr, {S_OK, E_FAIL, E_OUTOFMEMORY})) {
      return violation("UI-012", "UpdateItems returned " + Hr(p.hr) +
                                     " for a registered handler that cannot "
                                     "be created");
    }
    for (const HandlerFacts& h : OfClass(p.handlers, op.index)) {
      if (h.initialized_in_call && FAILED(op.script.initialize) &&
          documented_flags && consistent_cookie && p.hr != E_FAIL &&
          p.hr != E_OUTOFMEMORY) {
        return violation("UI-012",
                         "Initialize returned " + Hr(op.script.initialize) +
                             " inside the call (on the caller's thread), yet "
                             "UpdateItems returned " +
                             Hr(p.hr));
      }
    }
    if (op.index < kCreatable && m.state == Registration::kUnregistered &&
        !OfClass(p.handlers, op.index).empty()) {
      return violation("UI-002",
                       "UpdateItems ran a handler that is not registered "
                       "(returned " +
                           Hr(p.hr) + ")");
    }
  } else if (op.kind == OpKind::kUpdateAll) {
    bool any_registered = false;
    for (int c = 0; c < kClsids - 1; ++c) {
      any_registered |= f.model[c].state == Registration::kRegistered;
    }
    if (any_registered && p.hr != S_OK) {
      return violation("UA-002", "UpdateAll returned " + Hr(p.hr) +
                                     " with handlers registered");
    }
    for (int c = 0; c < kCreatable; ++c) {
      if (f.model[c].state == Registration::kUnregistered &&
          !OfClass(p.handlers, c).empty()) {
        return violation("UA-001", "UpdateAll ran handler #" +
                                       std::to_string(c) +
                                       ", which is not registered");
      }
    }
  }
  for (const HandlerFacts& h : p.handlers) {
    if (auto v = JudgeHandler(h, f.script, f.rules, RequestFor(op, h.clsid))) {
      return v;
    }
  }
  if (op.kind == OpKind::kUpdateItems && p.hr == S_OK &&
      op.index < kCreatable &&
      f.model[op.index].state == Registration::kRegistered) {
    bool started = false;
    for (const HandlerFacts& h : OfClass(p.handlers, op.index)) {
      started |= h.initialize_calls > 0;
    }
    if (!started) {
      return violation("UI-001",
                       "UpdateItems returned S_OK for a registered handler, "
                       "but no handler object was initialized within " +
                           std::to_string(f.settle.count()) + " ms");
    }
  }
  if (op.kind == OpKind::kUpdateAll && p.hr == S_OK) {
    for (int c = 0; c < kCreatable; ++c) {
      if (f.model[c].state != Registration::kRegistered) continue;
      bool started = false;
      for (const HandlerFacts& h : OfClass(p.handlers, c)) {
        started |= h.initialize_calls > 0;
      }
      if (!started) {
        return violation("UA-001",
                         "UpdateAll started no session of "
                         "registered handler #" +
                             std::to_string(c) + " within " +
                             std::to_string(f.settle.count()) + " ms");
      }
    }
  }
  return std::nullopt;
}

// Once every session has ended, the manager has freed the task memory the
// handlers handed out (their SYNCMGRHANDLERINFO, HS-006) and its own. A
// plug-in may free its session's memory a little after the handler's final
// Release, so a surplus is waited out for the settle time first.
std::optional<Violation> JudgeTaskMemory(const Fixture& f, long before) {
  if (LiveHandlerObjects() != f.baseline_handlers) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + f.settle;
  long surplus = com::OutstandingTaskMemAllocations() - before;
  while (surplus > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    surplus = com::OutstandingTaskMemAllocations() - before;
  }
  if (surplus <= 0) return std::nullopt;
  return Violation{"HS-006", std::to_string(surplus) +
                                 " CoTaskMemAlloc block(s) still allocated " +
                                 std::to_string(f.settle.count()) +
                                 " ms after every session ended: the handler "
                                 "information the manager must free with "
                                 "CoTaskMemFree, or the manager's own"};
}

// ---- The reference profile ----

// The reference's failing checks for UpdateItems' arguments, in its
// validation order (UI-113), with their results.
struct FailedCheck {
  const char* requirement;
  HRESULT hr;
};

std::vector<FailedCheck> ReferenceChecks(const Fixture& f, const Op& op) {
  std::vector<FailedCheck> failed;
  if ((op.flags & ~DWORD{0x6}) != 0) failed.push_back({"UI-105", E_INVALIDARG});
  if (op.index == 3 || !f.reference_registered[op.index]) {
    failed.push_back({"UI-109", E_INVALIDARG});
  }
  if (op.cb > 0 && op.cookie == nullptr) {
    failed.push_back({"UI-103", E_INVALIDARG});
  }
  if (op.cb > (1u << 20)) failed.push_back({"UI-107", E_OUTOFMEMORY});
  if (op.index == 2 || op.script.initialize == E_FAIL) {
    failed.push_back({"UI-111", E_FAIL});  // cannot be created / fails
  }
  return failed;
}

std::vector<const char*> ClassifyHandlers(const Fixture& f, const Op& op,
                                          const Outcome& r, const Outcome& p) {
  for (int c = 0; c < kCreatable; ++c) {
    const std::vector<HandlerFacts> rc = OfClass(r.handlers, c);
    const std::vector<HandlerFacts> pc = OfClass(p.handlers, c);
    if (rc.size() != pc.size()) {
      if (op.kind == OpKind::kUpdateAll) return {"UA-101"};
      return {p.hr == S_OK ? "UI-118" : "UI-111"};
    }
  }
  std::vector<const char*> ids;
  for (int c = 0; c < kCreatable; ++c) {
    const std::vector<HandlerFacts> rc = OfClass(r.handlers, c);
    const std::vector<HandlerFacts> pc = OfClass(p.handlers, c);
    for (size_t i = 0; i < rc.size(); ++i) {
      for (const char* id : ClassifyHandlerDifferences(
               rc[i], pc[i], f.script, f.rules, RequestFor(op, c))) {
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
          ids.push_back(id);
        }
      }
    }
  }
  return ids;
}

// The OURS requirement behind the difference in the result, and otherwise
// the ones behind each difference in what the handler objects saw (most
// telling first); empty when the outcomes agree.
std::vector<const char*> Classify(const Fixture& f, const Op& op,
                                  const Outcome& r, const Outcome& p) {
  const bool same_result = r.hr == p.hr && r.out == p.out;
  if (same_result && r.handlers == p.handlers) return {};
  switch (op.kind) {
    case OpKind::kRegister:
      return {"REG-101"};
    case OpKind::kUnregister:
      return {"REG-102"};
    case OpKind::kGetInfo:
      if (op.null_out) return {"REG-103"};
      if (f.parted_by[op.index] != nullptr) return {f.parted_by[op.index]};
      return {r.hr == S_OK && p.hr == S_OK ? "REG-101" : "REG-103"};
    case OpKind::kUpdateItems: {
      if (f.parted_by[op.index] != nullptr) return {f.parted_by[op.index]};
      if (r.hr != p.hr) {
        const std::vector<FailedCheck> failed = ReferenceChecks(f, op);
        if (!failed.empty()) {
          if (p.hr == S_OK && failed[0].hr == E_FAIL) return {"UI-101"};
          for (size_t i = 1; i < failed.size(); ++i) {
            if (failed[i].hr == p.hr && failed[0].hr != p.hr) {
              return {"UI-113"};
            }
          }
          return {failed[0].requirement};
        }
        if (p.hr == E_INVALIDARG && op.cb == 0) {
          return {op.cookie == nullptr ? "UI-102" : "UI-104"};
        }
        if (p.hr == E_OUTOFMEMORY) return {"UI-107"};
        if (op.script.initialize == S_FALSE) return {"UI-112"};
        return {"UI-101"};
      }
      return ClassifyHandlers(f, op, r, p);
    }
    case OpKind::kUpdateAll: {
      for (int c = 0; c < kClsids - 1; ++c) {
        if (f.parted_by[c] != nullptr) return {f.parted_by[c]};
      }
      if (r.hr != p.hr) return {"UA-101"};
      return ClassifyHandlers(f, op, r, p);
    }
  }
  return {kNoRule};
}

void UpdateModels(Fixture& f, const Op& op, const Outcome& r, const Outcome& p,
                  const char* difference) {
  Registration& m = f.model[op.index];
  bool& reference = f.reference_registered[op.index];
  bool& plugin = f.plugin_registered[op.index];
  switch (op.kind) {
    case OpKind::kRegister:
      if (p.hr == S_OK) {
        m.flags_known = m.state == Registration::kUnregistered;
        m.flags = op.flags;
        m.state = Registration::kRegistered;
        plugin = true;
      } else {
        m.state = Registration::kUnknown;
      }
      if (r.hr == S_OK) reference = true;
      break;
    case OpKind::kUnregister:
      if (p.hr == S_OK) {
        m.state = Registration::kUnregistered;
        plugin = false;
      } else {
        m.state = Registration::kUnknown;
      }
      if (r.hr == S_OK) reference = false;
      break;
    case OpKind::kGetInfo:
      if (op.null_out) break;
      if (p.hr == S_OK) {
        m = {Registration::kRegistered, true, p.out};
        plugin = true;
      } else if (p.hr == S_FALSE) {
        m = {Registration::kUnregistered, false, 0};
        plugin = false;
      }
      break;
    default:
      return;
  }
  if (reference == plugin) {
    f.parted_by[op.index] = nullptr;
  } else if (f.parted_by[op.index] == nullptr) {
    f.parted_by[op.index] =
        difference != nullptr && difference != kNoRule
            ? difference
            : (op.kind == OpKind::kUnregister ? "REG-102" : "REG-101");
  }
}

// ---- One step ----

void SetScript(Fixture& f, const HandlerScript& script) {
  for (auto& c : f.classes) c->SetScript(script);
  f.script = script;
  f.rules = RulesForCalls(script);
}

void RunStep(Fixture& f, int step, Op& op, bool judged = true) {
  if (op.sets_script) SetScript(f, op.script);
  op.script = f.script;
  const long task_memory = com::OutstandingTaskMemAllocations();
  CallSpan span{InitializeSequence(), 0, std::this_thread::get_id()};
  Outcome reference = Call(f.reference, op);
  span.after = InitializeSequence();
  reference.handlers = Collect(f, op, nullptr, &span);

  if (op.kind == OpKind::kUpdateAll) {
    f.watchdog.Arm(f.update_all_limit, "UA-003",
                   "documented contract: UA-003: UpdateAll did not return "
                   "within " +
                       std::to_string(f.update_all_limit.count()) +
                       " ms (it returns at once; the synchronizations run "
                       "separately)\n  at step " +
                       std::to_string(step) + ": " + op.text + " on " +
                       f.plugin_path);
  }
  span.before = InitializeSequence();
  Outcome plugin = Call(f.plugin, op);
  span.after = InitializeSequence();
  f.watchdog.Disarm();
  const Expectation expected = Expect(f, op, plugin.hr);
  plugin.handlers = Collect(f, op, &expected, &span);

  if (judged) {
    std::optional<Violation> v = JudgeRegistration(f, op, plugin);
    if (!v) v = JudgeUpdate(f, op, plugin);
    if (!v) v = JudgeTaskMemory(f, task_memory);
    if (v) {
      InvariantFailed(__FILE__, __LINE__, v->requirement,
                      "documented contract: ", v->requirement, ": ", v->message,
                      Context(f, step, op, reference, plugin));
    }
  }
  const std::vector<const char*> differences =
      Classify(f, op, reference, plugin);
  if (!differences.empty() && judged) {
    std::ostringstream example;
    example << "step " << step << ", " << op.text << ": reference "
            << HresultName(reference.hr) << ", plug-in "
            << HresultName(plugin.hr);
    if (reference.hr == plugin.hr && reference.out != plugin.out) {
      example << ", flags 0x" << ToHex(reference.out) << " and 0x"
              << ToHex(plugin.out);
    } else if (reference.hr == plugin.hr) {
      example << ", handler objects differ";
    }
    for (const char* id : differences) f.tally.Add(id, example.str());
    if (f.profile == Profile::kStrict) {
      InvariantFailed(__FILE__, __LINE__, differences[0],
                      "reference profile: ", differences[0],
                      ": DIFFERENCE from the reference (strict profile)",
                      Context(f, step, op, reference, plugin));
    }
  }
  UpdateModels(f, op, reference, plugin,
               differences.empty() ? nullptr : differences[0]);
}

// ---- Inputs ----

const DWORD kStatuses[] = {
    SYNCMGRSTATUS_STOPPED,  SYNCMGRSTATUS_SKIPPED,   SYNCMGRSTATUS_PENDING,
    SYNCMGRSTATUS_UPDATING, SYNCMGRSTATUS_SUCCEEDED, SYNCMGRSTATUS_FAILED,
    SYNCMGRSTATUS_PAUSED,   SYNCMGRSTATUS_RESUMING,  SYNCMGRSTATUS_DELETED};

// One call the handler makes during Synchronize: mostly well-formed, on
// Synchronize's thread; sometimes from another thread (only kinds whose
// answers no other call depends on), sometimes with one malformed
// argument.
CallbackCall ConsumeCall(FuzzedDataProvider& in, int items) {
  CallbackCall call;
  call.kind = static_cast<CallbackCall::Kind>(
      in.ConsumeIntegralInRange<int>(0, CallbackCall::kKinds - 1));
  const int shape = in.ConsumeIntegralInRange<int>(0, 7);
  call.item = items > 0 ? in.ConsumeIntegralInRange<int>(0, items - 1) : -1;
  switch (call.kind) {
    case CallbackCall::kProgress:
      call.cb_size = sizeof(SYNCMGRPROGRESSITEM);
      call.mask = in.ConsumeIntegralInRange<DWORD>(0, 0xF);
      call.status = in.PickValueInArray(kStatuses);
      call.max = in.ConsumeIntegralInRange<INT>(0, 100);
      call.value = in.ConsumeIntegralInRange<INT>(0, call.max);
      break;
    case CallbackCall::kLogError:
      call.cb_size = sizeof(SYNCMGRLOGERRORINFO);
      call.level = in.ConsumeIntegralInRange<DWORD>(1, 3);
      call.null_struct = in.ConsumeBool();
      call.mask = in.ConsumeIntegralInRange<DWORD>(0, 0x7);
      call.status = in.ConsumeIntegralInRange<DWORD>(0, 1);
      break;
    case CallbackCall::kDeleteLogError:
      if (in.ConsumeBool()) call.item = -1;  // GUID_NULL: every error
      break;
    case CallbackCall::kEstablishConnection:
      call.null_text = in.ConsumeBool();
      break;
    case CallbackCall::kEnableModeless:
      call.level = in.ConsumeBool() ? TRUE : FALSE;
      break;
    case CallbackCall::kShowErrorCompleted: {
      const HRESULT kResults[] = {S_OK, S_SYNCMGR_RETRYSYNC, E_FAIL};
      call.hr = in.PickValueInArray(kResults);
      call.count = in.ConsumeIntegralInRange<ULONG>(0, 2);
      call.null_ids = in.ConsumeBool();
      break;
    }
    default:
      call.hr = in.ConsumeBool() ? S_OK : E_FAIL;
      break;
  }
  const bool answer_stands_alone =
      call.kind == CallbackCall::kLogError ||
      call.kind == CallbackCall::kDeleteLogError ||
      call.kind == CallbackCall::kEnableModeless ||
      call.kind == CallbackCall::kEstablishConnection;
  if (shape == 5 && answer_stands_alone) call.from_thread = true;
  if (shape >= 6) {
    const int how = in.ConsumeIntegralInRange<int>(0, 5);
    switch (call.kind) {
      case CallbackCall::kProgress:
        if (how == 0) call.null_struct = true;
        if (how == 1) call.cb_size = 31;
        if (how == 2) call.mask |= 0x10;
        if (how == 3) {
          call.mask |= SYNCMGRPROGRESSITEM_STATUSTYPE;
          call.status = 0x42;
        }
        if (how == 4) {
          call.mask |=
              SYNCMGRPROGRESSITEM_PROGVALUE | SYNCMGRPROGRESSITEM_MAXVALUE;
          call.value = call.max + 1;
        }
        if (how == 5) call.item = -1;
        break;
      case CallbackCall::kLogError:
        if (how == 0) call.level = 0;
        if (how == 1) call.level = 4;
        if (how == 2) call.null_text = true;
        if (how == 3) {
          call.null_struct = false;
          call.cb_size = 40;
        }
        if (how == 4) {
          call.null_struct = false;
          call.mask |= 0x8;
        }
        if (how == 5) {
          call.null_struct = false;
          call.mask |= SYNCMGRLOGERROR_ITEMID;
          call.item = -1;
        }
        break;
      case CallbackCall::kDeleteLogError:
      case CallbackCall::kEstablishConnection:
        call.reserved = 1;
        break;
      default:
        break;
    }
  }
  return call;
}

std::string DescribeScript(const HandlerScript& s) {
  std::ostringstream out;
  out << "Initialize -> " << HresultName(s.initialize) << ", PrepareForSync -> "
      << HresultName(s.prepare);
  if (s.prepare == S_OK) {
    out << " completing " << HresultName(s.prepare_completion_hr);
  }
  out << ", " << s.items.size() << " item(s), " << s.calls.size()
      << " callback call(s)";
  return out.str();
}

void FuzzOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = *g_fixture;
  FuzzedDataProvider in(data, size);
  std::vector<std::unique_ptr<GuardedBuffer>> buffers;
  int step = 0;
  while (in.remaining_bytes() > 0 && step < 16) {
    ++step;
    Op op;
    op.kind = static_cast<OpKind>(in.ConsumeIntegralInRange<int>(0, 4));
    op.index = in.ConsumeIntegralInRange<int>(0, kClsids - 1);
    op.clsid = ClsidAt(op.index);
    std::ostringstream text;
    switch (op.kind) {
      case OpKind::kRegister: {
        constexpr DWORD kFlags[] = {0, 1, 2, 4, 7, 8};
        op.flags = in.PickValueInArray(kFlags);
        op.null_description = in.ConsumeBool();
        text << "RegisterSyncMgrHandler(#" << op.index << ", "
             << (op.null_description ? "NULL" : "\"d\"") << ", 0x" << std::hex
             << op.flags << ")";
        break;
      }
      case OpKind::kUnregister:
        op.reserved = in.ConsumeBool() ? 1 : 0;
        text << "UnregisterSyncMgrHandler(#" << op.index << ", " << op.reserved
             << ")";
        break;
      case OpKind::kGetInfo:
        op.null_out = in.ConsumeBool();
        text << "GetHandlerRegistrationInfo(#" << op.index << ", "
             << (op.null_out ? "NULL" : "&flags") << ")";
        break;
      case OpKind::kUpdateItems: {
        if (in.ConsumeBool()) {
          constexpr DWORD kDocumented[] = {0, 2, 4, 6};
          op.flags = in.PickValueInArray(kDocumented);
        } else {
          op.flags = in.ConsumeIntegral<std::uint32_t>();
        }
        const int size_kind = in.ConsumeIntegralInRange<int>(0, 2);
        if (size_kind == 0) {
          op.cb = in.ConsumeIntegralInRange<DWORD>(0, 32);
        } else if (size_kind == 1) {
          constexpr DWORD kEdges[] = {1u << 20, (1u << 20) + 1, 0xFFFFFFFFu};
          op.cb = in.PickValueInArray(kEdges);
        }
        const bool null_cookie = in.ConsumeBool();
        HandlerScript& script = op.script;
        const HRESULT kInit[] = {S_OK, S_OK, S_FALSE, E_FAIL};
        script.initialize = in.PickValueInArray(kInit);
        // PrepareForSync: completes S_OK, completes E_FAIL, or refuses.
        const int kPrepare[] = {0, 0, 1, 2};
        const int prepare = in.PickValueInArray(kPrepare);
        script.prepare = prepare == 2 ? S_FALSE : S_OK;
        script.prepare_completion_hr = prepare == 1 ? E_FAIL : S_OK;
        const Completion kHow[] = {Completion::kInline,
                                   Completion::kOtherThread,
                                   Completion::kDelayed};
        script.prepare_completion = in.PickValueInArray(kHow);
        script.sync_completion = in.PickValueInArray(kHow);
        // Up to two CHECKED items, and a third UNCHECKED one.
        const int items = in.ConsumeIntegralInRange<int>(0, 3);
        for (int i = 0; i < items; ++i) {
          script.items.push_back(
              MakeItem(FuzzGuid(0x78 + i), i < 2 ? SYNCMGRITEMSTATE_CHECKED
                                                 : SYNCMGRITEMSTATE_UNCHECKED));
        }
        const int calls = in.ConsumeIntegralInRange<int>(0, 3);
        for (int i = 0; i < calls; ++i) {
          script.calls.push_back(ConsumeCall(in, items));
        }
        text << "UpdateItems(0x" << std::hex << op.flags << std::dec << ", #"
             << op.index << ", " << op.cb << ", "
             << (null_cookie ? "NULL" : "buf") << ") with "
             << DescribeScript(script);
        // The caller's buffer: cbCookie bytes, up to kBackedCookieBytes,
        // followed by an inaccessible page.
        const std::vector<std::uint8_t> given =
            in.ConsumeBytes<std::uint8_t>(op.cb);
        const size_t length =
            op.cb <= kBackedCookieBytes ? op.cb : given.size();
        const std::string passed = "\n  pCookie passed at step " +
                                   std::to_string(step) + ": " + text.str() +
                                   "\n  plug-in: " + f.plugin_path;
        buffers.push_back(std::make_unique<GuardedBuffer>(
            length,
            length == op.cb
                ? "documented contract: UI-015: the manager read pCookie "
                  "beyond its cbCookie bytes" +
                      passed
                : "reference profile: UI-107: the manager read a cookie "
                  "larger than the cap beyond the bytes the caller backed" +
                      passed));
        BYTE* buffer = buffers.back()->data();
        if (!given.empty()) std::memcpy(buffer, given.data(), given.size());
        if (length > given.size()) {
          std::memset(buffer + given.size(), 0x5A, length - given.size());
        }
        op.buffer = buffer;
        op.cookie = null_cookie ? nullptr : buffer;
        script.expected_cookie = op.cookie;
        script.expected_size = op.cb;
        op.sets_script = true;
        if (op.cookie != nullptr && op.cb > kBackedCookieBytes &&
            f.profile == Profile::kDocumented) {
          continue;  // a caller cannot pass more bytes than it has
        }
        break;
      }
      case OpKind::kUpdateAll:
        op.script.items = {
            MakeItem(FuzzGuid(0x78), SYNCMGRITEMSTATE_CHECKED),
            MakeItem(FuzzGuid(0x7A), SYNCMGRITEMSTATE_UNCHECKED)};
        op.sets_script = true;
        text << "UpdateAll() with " << DescribeScript(op.script);
        break;
    }
    op.text = text.str();
    RunStep(f, step, op);
  }
  // Leave both managers with no registration for the next input.
  for (int i = 0; i < kClsids; ++i) {
    Op op;
    op.kind = OpKind::kUnregister;
    op.index = i;
    op.clsid = ClsidAt(i);
    op.text = "UnregisterSyncMgrHandler(#" + std::to_string(i) + ", 0)";
    // CLSID_NULL only when the plug-in may have taken it, not judged (the
    // reference refuses it, REG-102).
    if (i == 3 && f.model[3].state == Registration::kUnregistered) continue;
    RunStep(f, ++step, op, /*judged=*/i != 3);
  }
  f.tally.EndInput();
  if (f.summary_every > 0 && f.tally.inputs() % f.summary_every == 0) {
    PrintSummary();
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
  syncmgr::fuzz::SetUp(argc, argv);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  syncmgr::fuzz::FuzzOneInput(data, size);
  return 0;
}
