// update_items_fuzzer: one UpdateItems call per input into the linked-in
// reference (synchronous mode) with a recording handler, against an exact
// oracle (reference/SPEC.md UI-102 ... UI-113; docs/api-facts.md#open-points).
//
// The input chooses, in this order (FuzzedDataProvider: numbers from the
// end of the input, byte strings from the front):
//   dwInvokeFlags   a documented value (0, 2, 4, 6) or any 32-bit value
//   CLSID           registered / registered but not creatable / creatable
//                   but not registered / CLSID_NULL / NULL pointer / 16
//                   bytes from the input
//   cookie cap      Options::max_cookie_bytes: 4096, 0, 16, 1 MiB (the
//                   default; last, as megabyte cookies are slow)
//   cbCookie        small, an edge around the cap, any 32-bit value, or 0
//   pCookie         NULL or a buffer; the buffer holds cbCookie bytes (the
//                   input's bytes, then a pattern) when the manager may read
//                   them, and only the input's bytes when cbCookie is over
//                   the cap, so ASan catches any read the manager must not do
//   Initialize      what the handler answers
//   allocation      whether the cookie copy's CoTaskMemAlloc fails
//   items           0-3 items, CHECKED or not
//
// Invariants, checked on every input (abort with a message otherwise):
//   - the HRESULT is the one the spec gives for these arguments;
//   - rejected calls create no handler and no session;
//   - an accepted call creates exactly one handler, Initialize gets
//     dwReserved 0, the INVOKE event code, and exactly the cookie bytes in a
//     private copy (NULL for an empty cookie), and exactly one session is
//     reported, with the expected outcome and no unexpected violation;
//   - every handler is destroyed, and COM objects, task memory and session
//     counts are back where they were.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <memory>
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

// Registered with the manager and creatable.
const GUID kRegistered = FuzzGuid(1);
// Registered with the manager, but no class object: creation fails.
const GUID kNotCreatable = FuzzGuid(2);
// Creatable, but not registered with the manager.
const GUID kUnregistered = FuzzGuid(3);

constexpr DWORD kDocumentedFlags[] = {
    0, SYNCMGRINVOKE_STARTSYNC, SYNCMGRINVOKE_MINIMIZED,
    SYNCMGRINVOKE_STARTSYNC | SYNCMGRINVOKE_MINIMIZED};
constexpr DWORD kCaps[] = {4096, 0, 16, 1u << 20};  // 1 MiB: the default
const HRESULT kInitializeResults[] = {
    S_OK,         S_OK,          S_FALSE,
    E_FAIL,       E_OUTOFMEMORY, E_INVALIDARG,
    E_UNEXPECTED, E_NOTIMPL,     S_SYNCMGR_MISSINGITEMS};

enum class ClsidKind {
  kRegistered,
  kNotCreatable,
  kUnregistered,
  kNull,
  kNullPointer,
  kRandom,
  kMax = kRandom
};

struct Fixture {
  Fixture() : creatable(kRegistered), unregistered(kUnregistered) {
    reference::ResetForTesting();
    reference::Configure(FuzzOptions());
    InstallSessionLog();
    ComPtr<ISyncMgrRegister> reg;
    if (FAILED(reference::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                            invoke.PutVoid())) ||
        FAILED(invoke.As(&reg)) ||
        FAILED(reg->RegisterSyncMgrHandler(kRegistered, u"fuzz", 0)) ||
        FAILED(reg->RegisterSyncMgrHandler(kNotCreatable, u"fuzz", 0))) {
      FUZZ_CHECK(false, "cannot set up the reference");
    }
    com::SetTaskMemFailureHook([this](SIZE_T) {
      const bool fail = fail_next_allocation;
      fail_next_allocation = false;
      return fail;
    });
    balance = TakeBalance();
  }

  void SetCap(DWORD cap) {
    if (cap == current_cap) return;
    reference::Options options = FuzzOptions();
    options.max_cookie_bytes = cap;
    reference::Configure(options);
    current_cap = cap;
  }

  HandlerClass creatable;
  HandlerClass unregistered;
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  Balance balance;
  DWORD current_cap = 1u << 20;
  bool fail_next_allocation = false;
};

Fixture& TheFixture() {
  static Fixture* fixture = new Fixture();
  return *fixture;
}

// Calls UpdateItems through the vtable as C code would, so that the CLSID
// can be a NULL pointer (REFCLSID is a pointer in the ABI).
HRESULT CallUpdateItems(ISyncMgrSynchronizeInvoke* invoke, DWORD flags,
                        const GUID* clsid, DWORD cb, const BYTE* cookie) {
  using Fn = HRESULT (*)(ISyncMgrSynchronizeInvoke*, DWORD, const GUID*, DWORD,
                         const BYTE*);
  void** vtable = *reinterpret_cast<void***>(invoke);
  return reinterpret_cast<Fn>(vtable[3])(invoke, flags, clsid, cb, cookie);
}

void FuzzOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = TheFixture();
  FuzzedDataProvider in(data, size);

  const DWORD flags = in.ConsumeBool() ? in.PickValueInArray(kDocumentedFlags)
                                       : in.ConsumeIntegral<std::uint32_t>();
  const auto kind = static_cast<ClsidKind>(
      in.ConsumeIntegralInRange<int>(0, static_cast<int>(ClsidKind::kMax)));
  GUID clsid_value = CLSID_NULL;
  switch (kind) {
    case ClsidKind::kRegistered:
      clsid_value = kRegistered;
      break;
    case ClsidKind::kNotCreatable:
      clsid_value = kNotCreatable;
      break;
    case ClsidKind::kUnregistered:
      clsid_value = kUnregistered;
      break;
    case ClsidKind::kRandom: {
      const std::vector<std::uint8_t> bytes = in.ConsumeBytes<std::uint8_t>(16);
      if (!bytes.empty()) std::memcpy(&clsid_value, bytes.data(), bytes.size());
      break;
    }
    default:
      break;
  }
  const GUID* clsid = kind == ClsidKind::kNullPointer ? nullptr : &clsid_value;
  const DWORD cap = in.PickValueInArray(kCaps);
  f.SetCap(cap);
  DWORD cb = 0;
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      cb = in.ConsumeIntegralInRange<DWORD>(0, 300);
      break;
    case 1: {
      const DWORD edges[] = {cap - 1,     cap,         cap + 1,
                             0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu};
      cb = in.PickValueInArray(edges);
      break;
    }
    case 2:
      cb = in.ConsumeIntegral<std::uint32_t>();
      break;
    default:
      break;
  }
  const bool null_cookie = in.ConsumeBool();
  HandlerScript script;
  script.initialize = in.PickValueInArray(kInitializeResults);
  const bool fail_allocation = in.ConsumeBool();
  const int item_count = in.ConsumeIntegralInRange<int>(0, 3);
  const std::uint8_t states = in.ConsumeIntegral<std::uint8_t>();
  int checked = 0;
  for (int i = 0; i < item_count; ++i) {
    const DWORD state = (states >> i) & 1;
    checked += static_cast<int>(state);
    script.items.push_back(MakeItem(FuzzGuid(0x10 + i), state));
  }

  // The caller's buffer: exactly as many bytes as the manager may read.
  const bool readable = cb <= cap;
  const std::vector<std::uint8_t> given = in.ConsumeBytes<std::uint8_t>(cb);
  const size_t buffer_size = readable ? cb : given.size();
  std::unique_ptr<BYTE[]> buffer(new BYTE[buffer_size == 0 ? 1 : buffer_size]);
  if (!given.empty()) std::memcpy(buffer.get(), given.data(), given.size());
  // Past the input's bytes: a fill byte (memset: no per-byte instrumentation
  // on megabyte cookies).
  if (buffer_size > given.size()) {
    std::memset(buffer.get() + given.size(), 0xA5, buffer_size - given.size());
  }
  const BYTE* cookie = null_cookie ? nullptr : buffer.get();
  script.expected_cookie = cookie;
  script.expected_size = cb;
  f.creatable.SetScript(script);

  // The oracle (UI-113 order: flags, CLSID, pointer/size, cap, allocation,
  // creation, Initialize).
  const bool manager_registered =
      clsid != nullptr && (IsEqualCLSID(*clsid, kRegistered) ||
                           IsEqualCLSID(*clsid, kNotCreatable));
  const bool creatable = clsid != nullptr && IsEqualCLSID(*clsid, kRegistered);
  const bool initialize_ok =
      script.initialize == S_OK || script.initialize == S_FALSE;
  HRESULT expected = S_OK;
  if ((flags & ~DWORD{SYNCMGRINVOKE_STARTSYNC | SYNCMGRINVOKE_MINIMIZED}) !=
      0) {
    expected = E_INVALIDARG;  // UI-105
  } else if (!manager_registered) {
    expected = E_INVALIDARG;  // UI-109
  } else if (cb > 0 && cookie == nullptr) {
    expected = E_INVALIDARG;  // UI-103
  } else if (cb > cap) {
    expected = E_OUTOFMEMORY;  // UI-107
  } else if (cb > 0 && fail_allocation) {
    expected = E_OUTOFMEMORY;  // UI-107
  } else if (!creatable || !initialize_ok) {
    expected = E_FAIL;  // UI-111
  }
  const bool session_expected = expected == S_OK || expected == E_FAIL;

  f.fail_next_allocation = fail_allocation && cb > 0;
  const HRESULT hr = CallUpdateItems(f.invoke.Get(), flags, clsid, cb, cookie);
  f.fail_next_allocation = false;
  JoinHandlerThreads();

  FUZZ_CHECK(
      hr == expected, "UpdateItems(flags=0x", std::hex, flags, std::dec,
      ", clsid=", clsid == nullptr ? std::string("NULL") : FormatGuid(*clsid),
      ", cb=", cb, ", cookie=", cookie == nullptr ? "NULL" : "buffer",
      ", cap=", cap, ", Initialize->", Hr(script.initialize),
      ", alloc fails=", fail_allocation, ") returned ", Hr(hr),
      "; the spec requires ", Hr(expected));

  const auto records = f.creatable.TakeRecords();
  const auto stray = f.unregistered.TakeRecords();
  const auto sessions = TakeSessions();
  FUZZ_CHECK(stray.empty(), "a handler whose CLSID is not registered with ",
             "the manager was created (UI-002)");
  if (!session_expected) {
    FUZZ_CHECK(records.empty() && sessions.empty(), "a rejected call (", Hr(hr),
               ") created ", records.size(), " handler(s) and ",
               sessions.size(), " session(s) (UI-103/105/107/109)");
  } else {
    FUZZ_CHECK(sessions.size() == 1, "an accepted call produced ",
               sessions.size(), " sessions, not 1 (UI-118)");
    const SessionSummary& session = sessions[0];
    FUZZ_CHECK(session.final_release == 0, "the final Release returned ",
               session.final_release, " (COM-003)");
    if (!creatable) {
      FUZZ_CHECK(records.empty() && session.outcome == Outcome::kCreateFailed,
                 "uncreatable handler: ", DescribeSession(session));
    } else {
      FUZZ_CHECK(records.size() == 1, records.size(),
                 " handler objects for one call (UI-115)");
      const HandlerRecord& r = *records[0];
      FUZZ_CHECK(r.destroyed, "the handler was never destroyed (COM-003)");
      FUZZ_CHECK(r.initialize_calls == 1, "Initialize called ",
                 r.initialize_calls, " times (HS-003)");
      FUZZ_CHECK(r.reserved == 0, "Initialize got dwReserved ", r.reserved,
                 " (HS-002)");
      FUZZ_CHECK(
          (r.flags & SYNCMGRFLAG_EVENTMASK) == SYNCMGRFLAG_INVOKE &&
              (r.flags &
               ~DWORD{SYNCMGRFLAG_EVENTMASK | SYNCMGRFLAG_MAYBOTHERUSER}) == 0,
          "Initialize got flags 0x", std::hex, r.flags, " (UI-009, UI-114)");
      FUZZ_CHECK(r.cb_cookie == cb, "Initialize got cbCookie ", r.cb_cookie,
                 " for ", cb, " (UI-008)");
      FUZZ_CHECK(r.cookie_null == (cb == 0), "Initialize got lpCookie ",
                 r.cookie_null ? "NULL" : "non-NULL", " for cbCookie ", cb,
                 " (UI-102/UI-104)");
      FUZZ_CHECK(cb == 0 || r.cookie_pointer != cookie,
                 "Initialize got the caller's own buffer, not a copy (UI-108)");
      FUZZ_CHECK(r.cookie_matches, "the cookie the handler received differs ",
                 "from the ", cb, " bytes passed (UI-008)");
      FUZZ_CHECK(session.cookie_size == cb && session.cookie == r.cookie,
                 "the session report's cookie differs from Initialize's");
      Outcome outcome = Outcome::kCompleted;
      if (script.initialize == S_FALSE) {
        outcome = Outcome::kDeclined;
      } else if (!initialize_ok) {
        outcome = Outcome::kInitializeFailed;
      } else if (checked == 0) {
        outcome = Outcome::kNothingSelected;
      }
      FUZZ_CHECK(session.outcome == outcome, "expected outcome ",
                 reference::OutcomeName(outcome), ", got ",
                 DescribeSession(session));
      const bool undocumented = script.initialize != S_OK &&
                                script.initialize != S_FALSE &&
                                script.initialize != E_OUTOFMEMORY &&
                                script.initialize != E_INVALIDARG &&
                                script.initialize != E_UNEXPECTED;
      for (const std::string& v : session.violations) {
        FUZZ_CHECK(undocumented && v == "HS-105",
                   "a well-behaved handler was charged with a violation: ",
                   DescribeSession(session));
      }
      if (outcome == Outcome::kCompleted) {
        FUZZ_CHECK(r.prepare_calls == 1 && r.synchronize_calls == 1,
                   "PrepareForSync x", r.prepare_calls, ", Synchronize x",
                   r.synchronize_calls, " for a completed session");
        FUZZ_CHECK(r.callback_reset,
                   "no SetProgressCallback(NULL) before Release (HS-010)");
      } else {
        FUZZ_CHECK(r.prepare_calls == 0 && r.synchronize_calls == 0,
                   "PrepareForSync/Synchronize called in a session that ",
                   "ended early: ", DescribeSession(session));
      }
    }
  }
  CheckBalanced(f.balance, "after UpdateItems");
}

}  // namespace
}  // namespace syncmgr::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  syncmgr::fuzz::FuzzOneInput(data, size);
  return 0;
}
