// call_sequence_fuzzer: model-based testing of the reference's state. The
// input is a sequence of operations on CLSID_SyncMgr objects, each checked
// against a small model of what the manager must answer:
//
//   Register / Unregister / GetHandlerRegistrationInfo   (REG-101..103)
//   UpdateItems / UpdateAll                               (UI-1xx, UA-101)
//   create / QueryInterface / Release of manager objects  (REG-105, REG-106)
//   change a handler's behaviour (declines, fails, completes from another
//   thread, twice, never, or keeps its callback)
//   call a callback a handler kept after its session ended (HS-111)
//   Shutdown                                              (UI-110)
//
// The model holds the registrations (process-wide, REG-105), whether the
// manager is shut down, and how many sessions each CLSID must get. Every
// return code must match the model; at the end of the input every accepted
// request must have produced exactly one session (none lost, none
// duplicated, UI-118), each handler object must be gone, and COM objects and
// task memory must be balanced. The first input byte picks the synchronous
// or asynchronous mode (results must not depend on it, UI-101).
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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
using reference::Outcome;

// CLSIDs 0-2 are creatable handlers, 3 has no class object, 4 is
// CLSID_NULL.
constexpr int kCreatable = 3;
constexpr int kClsids = 5;
GUID ClsidAt(int index) {
  return index == 4 ? CLSID_NULL : FuzzGuid(0x20 + index);
}

enum class Behaviour {
  kGood,
  kDeclines,        // Initialize S_FALSE
  kFailsInit,       // Initialize E_FAIL
  kOtherThread,     // completions from another thread
  kNeverCompletes,  // PrepareForSync never completes (timeout)
  kCompletesTwice,  // SynchronizeCompleted twice (HS-108)
  kKeepsCallback,   // hands its callback to the fuzzer (late calls)
  kMax = kKeepsCallback,
};

// Callbacks handed out by kKeepsCallback handlers.
std::mutex g_kept_mu;
std::vector<ComPtr<ISyncMgrSynchronizeCallback>> g_kept;

HandlerScript ScriptFor(Behaviour behaviour) {
  HandlerScript script;
  script.items = {MakeItem(FuzzGuid(0x40), SYNCMGRITEMSTATE_CHECKED)};
  switch (behaviour) {
    case Behaviour::kGood:
      break;
    case Behaviour::kDeclines:
      script.initialize = S_FALSE;
      break;
    case Behaviour::kFailsInit:
      script.initialize = E_FAIL;
      break;
    case Behaviour::kOtherThread:
      script.prepare_completion = Completion::kOtherThread;
      script.sync_completion = Completion::kOtherThread;
      break;
    case Behaviour::kNeverCompletes:
      script.prepare_completion = Completion::kNever;
      break;
    case Behaviour::kCompletesTwice:
      script.sync_completion = Completion::kTwice;
      break;
    case Behaviour::kKeepsCallback:
      script.on_callback = [](ISyncMgrSynchronizeCallback* callback) {
        callback->AddRef();
        std::lock_guard lock(g_kept_mu);
        g_kept.push_back(ComPtr<ISyncMgrSynchronizeCallback>::Adopt(callback));
      };
      break;
  }
  return script;
}

struct Fixture {
  Fixture() {
    for (int i = 0; i < kCreatable; ++i) {
      classes[i] = std::make_unique<HandlerClass>(ClsidAt(i));
    }
    reference::ResetForTesting();
    balance = TakeBalance();
  }
  std::array<std::unique_ptr<HandlerClass>, kCreatable> classes;
  Balance balance;
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

struct Model {
  std::map<int, DWORD> registered;  // CLSID index -> flags
  bool shut_down = false;
  std::array<Behaviour, kClsids> behaviour{};
  std::array<int, kClsids> sessions{};  // expected, per CLSID
  int update_all_sessions = 0;
};

const char* Name(HRESULT hr) { return HresultName(hr); }

void FuzzOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = TheFixture();
  FuzzedDataProvider in(data, size);
  const bool asynchronous = in.ConsumeBool();
  reference::Options options = FuzzOptions();
  if (asynchronous) options.mode = reference::Mode::kAsynchronous;
  reference::Configure(options);
  InstallSessionLog();
  for (auto& c : f.classes) {
    c->SetScript(ScriptFor(Behaviour::kGood));
    c->TakeRecords();
  }

  Model model;
  std::vector<ComPtr<IUnknown>> managers;
  auto manager = [&](int index) -> ComPtr<IUnknown> {
    if (managers.empty()) {
      ComPtr<IUnknown> object;
      const HRESULT hr =
          reference::CreateSyncManager(IID_IUnknown, object.PutVoid());
      FUZZ_CHECK(hr == S_OK, "CreateSyncManager returned ", Hr(hr));
      managers.push_back(object);
    }
    return managers[static_cast<size_t>(index) % managers.size()];
  };

  int step = 0;
  while (in.remaining_bytes() > 0 && step < 64) {
    ++step;
    const int op = in.ConsumeIntegralInRange<int>(0, 9);
    const int which = in.ConsumeIntegralInRange<int>(0, 3);
    switch (op) {
      case 0: {  // RegisterSyncMgrHandler
        const int index = in.ConsumeIntegralInRange<int>(0, kClsids - 1);
        constexpr DWORD kFlags[] = {0, 1, 2, 4, 7, 8, 0x80000000u};
        const DWORD flags = in.PickValueInArray(kFlags);
        const bool null_description = in.ConsumeBool();
        ComPtr<ISyncMgrRegister> reg;
        manager(which).As(&reg);
        const HRESULT hr = reg->RegisterSyncMgrHandler(
            ClsidAt(index), null_description ? nullptr : u"fuzz handler",
            flags);
        HRESULT expected = S_OK;
        if (model.shut_down) {
          expected = E_UNEXPECTED;
        } else if (index == 4 || (flags & ~DWORD{SYNCMGRREGISTERFLAGS_MASK})) {
          expected = E_INVALIDARG;
        } else {
          model.registered[index] = flags;
        }
        FUZZ_CHECK(hr == expected, "step ", step, ": RegisterSyncMgrHandler(#",
                   index, ", flags 0x", std::hex, flags, ") returned ",
                   Name(hr), ", model says ", Name(expected), " (REG-101)");
        break;
      }
      case 1: {  // UnregisterSyncMgrHandler
        const int index = in.ConsumeIntegralInRange<int>(0, kClsids - 1);
        const DWORD reserved = in.ConsumeBool() ? 1 : 0;
        ComPtr<ISyncMgrRegister> reg;
        manager(which).As(&reg);
        const HRESULT hr =
            reg->UnregisterSyncMgrHandler(ClsidAt(index), reserved);
        HRESULT expected = S_OK;
        if (model.shut_down) {
          expected = E_UNEXPECTED;
        } else if (index == 4 || reserved != 0) {
          expected = E_INVALIDARG;
        } else {
          model.registered.erase(index);
        }
        FUZZ_CHECK(hr == expected, "step ", step,
                   ": UnregisterSyncMgrHandler(#", index, ", ", reserved,
                   ") returned ", Name(hr), ", model says ", Name(expected),
                   " (REG-102)");
        break;
      }
      case 2: {  // GetHandlerRegistrationInfo
        const int index = in.ConsumeIntegralInRange<int>(0, kClsids - 1);
        const bool null_out = in.ConsumeBool();
        ComPtr<ISyncMgrRegister> reg;
        manager(which).As(&reg);
        DWORD flags = 0xDEADBEEF;
        const HRESULT hr = reg->GetHandlerRegistrationInfo(
            ClsidAt(index), null_out ? nullptr : &flags);
        HRESULT expected = S_FALSE;
        DWORD expected_flags = 0;
        if (model.shut_down) {
          expected = E_UNEXPECTED;
          expected_flags = 0xDEADBEEF;
        } else if (null_out) {
          expected = E_INVALIDARG;
        } else if (auto it = model.registered.find(index);
                   it != model.registered.end()) {
          expected = S_OK;
          expected_flags = it->second;
        }
        FUZZ_CHECK(hr == expected, "step ", step,
                   ": GetHandlerRegistrationInfo(#", index, ") returned ",
                   Name(hr), ", model says ", Name(expected), " (REG-103)");
        FUZZ_CHECK(null_out || flags == expected_flags, "step ", step,
                   ": GetHandlerRegistrationInfo(#", index, ") gave flags 0x",
                   std::hex, flags, ", model says 0x", expected_flags,
                   " (REG-009, REG-103)");
        break;
      }
      case 3: {  // UpdateItems
        constexpr DWORD kFlags[] = {0, 2, 4, 6, 1, 8};
        const DWORD flags = in.PickValueInArray(kFlags);
        const int index = in.ConsumeIntegralInRange<int>(0, kClsids - 1);
        const DWORD cb = in.ConsumeIntegralInRange<DWORD>(0, 8);
        const bool null_cookie = in.ConsumeBool();
        const BYTE bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        ComPtr<ISyncMgrSynchronizeInvoke> invoke;
        manager(which).As(&invoke);
        const HRESULT hr = invoke->UpdateItems(flags, ClsidAt(index), cb,
                                               null_cookie ? nullptr : bytes);
        HRESULT expected = S_OK;
        const bool registered = model.registered.count(index) > 0;
        if (model.shut_down) {
          expected = E_UNEXPECTED;
        } else if (flags & ~DWORD{6} || !registered ||
                   (cb > 0 && null_cookie)) {
          expected = E_INVALIDARG;
        } else if (index >= kCreatable ||
                   model.behaviour[index] == Behaviour::kFailsInit) {
          expected = E_FAIL;
        }
        if (expected == S_OK || expected == E_FAIL) ++model.sessions[index];
        FUZZ_CHECK(hr == expected, "step ", step, ": UpdateItems(0x", std::hex,
                   flags, ", #", std::dec, index, ", cb ", cb,
                   null_cookie ? ", NULL" : "", ") returned ", Name(hr),
                   ", model says ", Name(expected));
        break;
      }
      case 4: {  // UpdateAll
        ComPtr<ISyncMgrSynchronizeInvoke> invoke;
        manager(which).As(&invoke);
        const HRESULT hr = invoke->UpdateAll();
        const HRESULT expected = model.shut_down ? E_UNEXPECTED : S_OK;
        if (!model.shut_down) {
          for (const auto& [index, flags] : model.registered) {
            ++model.sessions[index];
            ++model.update_all_sessions;
          }
        }
        FUZZ_CHECK(hr == expected, "step ", step, ": UpdateAll returned ",
                   Name(hr), ", model says ", Name(expected), " (UA-101)");
        break;
      }
      case 5:  // Release a manager object
        if (!managers.empty()) {
          managers.erase(managers.begin() + which % managers.size());
        }
        break;
      case 6: {  // A new manager object through the class factory
        ComPtr<IClassFactory> factory;
        HRESULT hr = reference::GetSyncManagerClassObject(
            CLSID_SyncMgr, IID_IClassFactory, factory.PutVoid());
        FUZZ_CHECK(hr == S_OK, "GetSyncManagerClassObject returned ", Hr(hr));
        const IID* kIids[] = {&IID_IUnknown, &IID_ISyncMgrSynchronizeInvoke,
                              &IID_ISyncMgrRegister, &IID_ISyncMgrSynchronize};
        const IID& iid = *kIids[which];
        ComPtr<IUnknown> object;
        hr = factory->CreateInstance(nullptr, iid, object.PutVoid());
        const HRESULT expected = which == 3 ? E_NOINTERFACE : S_OK;
        FUZZ_CHECK(hr == expected, "step ", step, ": CreateInstance(IID #",
                   which, ") returned ", Name(hr), ", model says ",
                   Name(expected), " (REG-106)");
        if (object) managers.push_back(object);
        break;
      }
      case 7: {  // A handler changes its behaviour
        const int index = which % kCreatable;
        const auto behaviour =
            static_cast<Behaviour>(in.ConsumeIntegralInRange<int>(
                0, static_cast<int>(Behaviour::kMax)));
        model.behaviour[index] = behaviour;
        f.classes[index]->SetScript(ScriptFor(behaviour));
        break;
      }
      case 8: {                   // A kept callback is called after its session
        if (asynchronous) break;  // the session may still be running
        JoinHandlerThreads();
        ComPtr<ISyncMgrSynchronizeCallback> kept;
        {
          std::lock_guard lock(g_kept_mu);
          if (!g_kept.empty()) kept = g_kept[which % g_kept.size()];
        }
        if (!kept) break;
        const HRESULT hr = kept->SynchronizeCompleted(S_OK);
        FUZZ_CHECK(hr == E_UNEXPECTED, "step ", step,
                   ": a completion after the session ended returned ", Name(hr),
                   " (HS-111, CB-101)");
        break;
      }
      case 9:  // Shutdown (UI-110)
        if (in.ConsumeBool()) {
          reference::Shutdown();
          model.shut_down = true;
        }
        break;
    }
  }

  // Every accepted request has ended, exactly once.
  FUZZ_CHECK(reference::WaitForIdle(std::chrono::seconds(10)),
             "sessions still running 10 s after the last call (hang)");
  JoinHandlerThreads();
  const reference::Statistics stats = reference::GetStatistics();
  const std::vector<SessionSummary> sessions = TakeSessions();
  std::array<int, kClsids> seen{};
  std::set<std::uint64_t> ids;
  int from_update_all = 0;
  for (const SessionSummary& s : sessions) {
    FUZZ_CHECK(ids.insert(s.id).second, "session ", s.id,
               " reported twice (UI-118)");
    int index = -1;
    for (int i = 0; i < kClsids; ++i) {
      if (IsEqualCLSID(s.clsid, ClsidAt(i))) index = i;
    }
    FUZZ_CHECK(index >= 0,
               "a session for a CLSID never used: ", DescribeSession(s));
    ++seen[index];
    if (s.from_update_all) ++from_update_all;
    FUZZ_CHECK(s.final_release == 0, "final Release returned ", s.final_release,
               ": ", DescribeSession(s));
  }
  for (int i = 0; i < kClsids; ++i) {
    FUZZ_CHECK(seen[i] == model.sessions[i], "CLSID #", i, " got ", seen[i],
               " sessions, the model expects ", model.sessions[i],
               " (UI-118: none lost or duplicated)");
  }
  FUZZ_CHECK(from_update_all == model.update_all_sessions, from_update_all,
             " sessions from UpdateAll, the model expects ",
             model.update_all_sessions, " (UA-101)");
  FUZZ_CHECK(stats.sessions_started == stats.sessions_ended &&
                 stats.sessions_ended == sessions.size(),
             "statistics: ", stats.sessions_started, " started, ",
             stats.sessions_ended, " ended, ", sessions.size(), " reported");
  for (int i = 0; i < kCreatable; ++i) {
    for (const auto& record : f.classes[i]->TakeRecords()) {
      FUZZ_CHECK(record->destroyed, "a handler of CLSID #", i,
                 " was never released (COM-003)");
      FUZZ_CHECK(!record->destroyed_without_reset, "a handler of CLSID #", i,
                 " was released without SetProgressCallback(NULL) (HS-010)");
    }
  }
  {
    std::lock_guard lock(g_kept_mu);
    g_kept.clear();
  }
  managers.clear();
  reference::ResetForTesting();
  CheckBalanced(f.balance, "after the call sequence");
}

}  // namespace
}  // namespace syncmgr::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  syncmgr::fuzz::FuzzOneInput(data, size);
  return 0;
}
