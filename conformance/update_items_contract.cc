// UpdateItems as a registered application and its handler see it: the
// arguments it accepts and refuses, the cookie the handler receives, and the
// return codes (reference/SPEC.md UI-).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::testing::HresultIs;
using ::syncmgr::testing::MakeItem;
using ::testing::_;
using ::testing::Invoke;
using ::testing::IsNull;
using ::testing::Not;
using ::testing::Return;

// Calls UpdateItems through the vtable as C code would, so that the CLSID can
// be a NULL pointer (REFCLSID is a pointer in the ABI).
HRESULT UpdateItemsWithClsidPointer(ISyncMgrSynchronizeInvoke* invoke,
                                    DWORD flags, const GUID* clsid,
                                    DWORD cb_cookie, const BYTE* cookie) {
  using Fn = HRESULT (*)(ISyncMgrSynchronizeInvoke*, DWORD, const GUID*, DWORD,
                         const BYTE*);
  void** vtable = *reinterpret_cast<void***>(invoke);
  return reinterpret_cast<Fn>(vtable[3])(invoke, flags, clsid, cb_cookie,
                                         cookie);
}

// ---- Arguments -------------------------------------------------------------

using UpdateItemsContract = ContractTest;

TEST_F(UpdateItemsContract, DocumentedFlagCombinationsAreAccepted) {
  REQUIREMENT("UI-003");
  for (DWORD flags : {0u, 0x2u, 0x4u, 0x6u}) {
    CHECKS("UI-003");
    EXPECT_THAT(Update(flags), HresultIs(S_OK)) << "dwInvokeFlags " << flags;
  }
  EXPECT_SESSIONS_ENDED(4);
}

TEST_F(UpdateItemsContract, UnknownFlagBitsAreRejected) {
  REQUIREMENT("UI-105");
  for (DWORD flags : {0x1u, 0x3u, 0x7u, 0x8u, 0x100u, 0x80000000u, 0xFFFFFFFFu,
                      0xFFFFFFF9u}) {
    EXPECT_THAT(Update(flags), HresultIs(E_INVALIDARG))
        << "dwInvokeFlags " << flags;
  }
  EXPECT_TRUE(NoHandlerCreated());
}

TEST_F(UpdateItemsContract, NullClsidPointerIsRejected) {
  REQUIREMENT("UI-109");
  EXPECT_THAT(
      UpdateItemsWithClsidPointer(invoke_.Get(), 0, nullptr, 0, nullptr),
      HresultIs(E_INVALIDARG));
  EXPECT_TRUE(NoHandlerCreated());
}

TEST_F(UpdateItemsContract, UnregisteredClsidsAreRejected) {
  REQUIREMENT("UI-002 UI-109");
  const BYTE cookie[] = {1, 2, 3};
  const HRESULT null_clsid = invoke_->UpdateItems(0, CLSID_NULL, 3, cookie);
  const HRESULT unknown =
      invoke_->UpdateItems(0, kUnregisteredClsid, 3, cookie);
  // Creatable through COM but never registered with the manager.
  MockHandler creatable_only;
  syncmgr::testing::RegisteredHandler com_only(kUnregisteredClsid,
                                               &creatable_only);
  const HRESULT creatable =
      invoke_->UpdateItems(0, kUnregisteredClsid, 3, cookie);
  {
    CHECKS("UI-002");  // no update of an application that is not registered
    EXPECT_TRUE(NoHandlerCreated());
    EXPECT_EQ(creatable_only.objects_created(), 0)
        << "the manager created a handler that is not registered with it";
  }
  CHECKS("UI-109");
  EXPECT_THAT(null_clsid, HresultIs(E_INVALIDARG)) << "CLSID_NULL";
  EXPECT_THAT(unknown, HresultIs(E_INVALIDARG)) << "an unknown CLSID";
  EXPECT_THAT(creatable, HresultIs(E_INVALIDARG))
      << "a CLSID creatable through COM but not registered";
}

TEST_F(UpdateItemsContract, NonZeroSizeWithNullCookieIsRejected) {
  REQUIREMENT("UI-103");
  for (DWORD size : {1u, 16u, 0xFFFFFFFFu}) {
    EXPECT_THAT(invoke_->UpdateItems(0, kHandlerClsid, size, nullptr),
                HresultIs(E_INVALIDARG))
        << "cbCookie " << size;
  }
  EXPECT_TRUE(NoHandlerCreated());
}

TEST_F(UpdateItemsContract, CookieLargerThanTheCapIsOutOfMemory) {
  REQUIREMENT("UI-107");
  std::vector<BYTE> cookie((1u << 20) + 1, 0x5A);
  EXPECT_THAT(
      invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid,
                           static_cast<DWORD>(cookie.size()), cookie.data()),
      HresultIs(E_OUTOFMEMORY));
  EXPECT_TRUE(NoHandlerCreated());
  EXPECT_THAT(invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid,
                                   1u << 20, cookie.data()),
              HresultIs(S_OK));
  EXPECT_SESSIONS_ENDED(1);
}

TEST_F(UpdateItemsContract, FailedCookieAllocationIsOutOfMemory) {
  REQUIREMENT("UI-107");
  // Only observable when the implementation copies cookies with the COM
  // task allocator, which the host can make fail.
  long during_initialize = 0;
  const long before = syncmgr::com::OutstandingTaskMemAllocations();
  EXPECT_CALL(mock(), Initialize)
      .WillOnce(Invoke([&](DWORD, DWORD, DWORD, const BYTE*) {
        during_initialize = syncmgr::com::OutstandingTaskMemAllocations();
        return S_OK;
      }));
  ASSERT_THAT(Update(SYNCMGRINVOKE_STARTSYNC, {1, 2, 3}), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  if (during_initialize <= before) {
    GTEST_SKIP() << "the implementation does not copy cookies with "
                    "CoTaskMemAlloc: allocation failure cannot be injected";
  }
  syncmgr::com::SetTaskMemFailureHook([](SIZE_T size) { return size == 3; });
  const HRESULT hr = Update(SYNCMGRINVOKE_STARTSYNC, {4, 5, 6});
  syncmgr::com::SetTaskMemFailureHook(nullptr);
  EXPECT_THAT(hr, HresultIs(E_OUTOFMEMORY));
  std::this_thread::sleep_for(GetSettings().settle);
  EXPECT_EQ(mock().objects_created(), 1) << "a handler was created anyway";
}

TEST_F(UpdateItemsContract, FirstFailingCheckDecides) {
  REQUIREMENT("UI-113");
  std::vector<BYTE> big((1u << 20) + 1, 1);
  const DWORD big_size = static_cast<DWORD>(big.size());
  // Flags before the CLSID, the CLSID before the cookie, the pointer check
  // before the size cap.
  EXPECT_THAT(invoke_->UpdateItems(0x1, kUnregisteredClsid, big_size, nullptr),
              HresultIs(E_INVALIDARG));
  EXPECT_THAT(invoke_->UpdateItems(0, kUnregisteredClsid, big_size, big.data()),
              HresultIs(E_INVALIDARG));
  EXPECT_THAT(invoke_->UpdateItems(0, kHandlerClsid, big_size, nullptr),
              HresultIs(E_INVALIDARG));
  EXPECT_THAT(invoke_->UpdateItems(0x1, kHandlerClsid, big_size, big.data()),
              HresultIs(E_INVALIDARG));
  EXPECT_TRUE(NoHandlerCreated());
}

// ---- The cookie
// --------------------------------------------------------------

using CookieContract = ContractTest;

TEST_F(CookieContract, HandlerReceivesExactBytesAfterCallerFreedThem) {
  REQUIREMENT("UI-007 UI-006 UI-008 UI-108");
  const std::vector<BYTE> expected = {0x00, 0xFF, 0x10, 0x20, 0x00,
                                      0x7F, 0x80, 0x01, 0xC3, 0x3C};
  std::mutex mu;
  std::vector<BYTE> in_initialize, in_synchronize;
  const BYTE* handed = nullptr;
  DWORD handed_size = 0;
  EXPECT_CALL(mock(), Initialize)
      .WillOnce(Invoke([&](DWORD, DWORD, DWORD cb, const BYTE* cookie) {
        std::lock_guard lock(mu);
        if (cookie != nullptr) in_initialize.assign(cookie, cookie + cb);
        handed = cookie;
        handed_size = cb;
        return S_OK;
      }));
  std::atomic<bool> freed{false};
  ON_CALL(mock(), Synchronize).WillByDefault(Invoke([&](HWND) {
    // A session that runs after UpdateItems returned reads only once the
    // caller's buffer is gone (one that runs inside the call would wait
    // here for nothing: bounded).
    for (int i = 0; i < 100 && !freed; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    {
      // UI-108: the copy stays valid and unchanged until the handler is
      // released, long after the caller's buffer is gone.
      std::lock_guard lock(mu);
      if (handed != nullptr)
        in_synchronize.assign(handed, handed + handed_size);
    }
    mock().callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  auto* buffer = new BYTE[expected.size()];
  std::memcpy(buffer, expected.data(), expected.size());
  EXPECT_THAT(invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid,
                                   static_cast<DWORD>(expected.size()), buffer),
              HresultIs(S_OK));
  std::memset(buffer, 0xEE, expected.size());  // the caller reuses it...
  delete[] buffer;                             // ...and frees it at once
  freed = true;
  ASSERT_SESSIONS_ENDED(1);
  std::lock_guard lock(mu);
  {
    CHECKS("UI-007");
    ASSERT_NE(handed, nullptr) << "Initialize got no cookie";
  }
  {
    CHECKS("UI-006");  // cbCookie bytes: exactly the size the caller gave
    ASSERT_EQ(handed_size, expected.size());
  }
  {
    CHECKS("UI-008");
    ASSERT_EQ(in_initialize, expected);
  }
  CHECKS("UI-108");
  EXPECT_EQ(in_synchronize, expected)
      << "the cookie changed between Initialize and Synchronize";
}

TEST_F(CookieContract, EveryByteValueAndSizes) {
  REQUIREMENT("UI-006 UI-008");
  std::vector<std::vector<BYTE>> cookies;
  for (size_t size : {1u, 2u, 16u, 256u, 4096u, 65536u}) {
    std::vector<BYTE> cookie(size);
    for (size_t i = 0; i < size; ++i) {
      cookie[i] = static_cast<BYTE>((i * 7 + size) & 0xFF);
    }
    cookies.push_back(cookie);
  }
  std::mutex mu;
  std::vector<std::vector<BYTE>> received;
  ON_CALL(mock(), Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD cb, const BYTE* cookie) {
        std::lock_guard lock(mu);
        received.emplace_back(cookie, cookie + (cookie ? cb : 0));
        return S_OK;
      }));
  for (const auto& cookie : cookies) {
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC, cookie), HresultIs(S_OK));
  }
  ASSERT_SESSIONS_ENDED(static_cast<int>(cookies.size()));
  std::lock_guard lock(mu);
  // Sessions may run in any order (the pages say nothing about it).
  auto sizes = [](std::vector<std::vector<BYTE>> list) {
    std::vector<size_t> out;
    for (const auto& c : list) out.push_back(c.size());
    std::sort(out.begin(), out.end());
    return out;
  };
  auto sorted = [](std::vector<std::vector<BYTE>> list) {
    std::sort(list.begin(), list.end());
    return list;
  };
  {
    CHECKS("UI-006");  // the sizes first: a wrong one is UI-006's alone
    ASSERT_EQ(sizes(received), sizes(cookies));
  }
  {
    CHECKS("UI-008");
    ASSERT_EQ(sorted(received), sorted(cookies));
  }
  // Sessions of one handler run in arrival order (UI-115).
  CHECKS("UI-115");
  EXPECT_EQ(received, cookies);
}

TEST_F(CookieContract, EmptyCookieReachesHandlerAsZeroAndNull) {
  REQUIREMENT("UI-015 UI-102 UI-104");
  std::mutex mu;
  std::vector<std::pair<DWORD, const BYTE*>> seen;
  ON_CALL(mock(), Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD cb, const BYTE* cookie) {
        std::lock_guard lock(mu);
        seen.emplace_back(cb, cookie);
        return S_OK;
      }));
  SessionWait wait;
  HRESULT null_cookie = E_PENDING, unread_pointer = E_PENDING;
  {
    // A NULL cookie is legal; with cbCookie 0 the pointer is never read
    // (this one would fault if it were, also later in a session).
    CHECKS("UI-015");
    null_cookie = Update(SYNCMGRINVOKE_STARTSYNC);
    EXPECT_THAT(null_cookie, Not(HresultIs(E_INVALIDARG)))
        << "pCookie NULL with cbCookie 0";
    unread_pointer =
        invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid, 0,
                             reinterpret_cast<const BYTE*>(0x10));
    wait = WaitForSessions(2);
  }
  {
    CHECKS(start_requirement());
    ASSERT_TRUE(SessionsStarted(wait));
  }
  {
    CHECKS("COM-003");
    ASSERT_TRUE(SessionsReleased(wait));
  }
  std::lock_guard lock(mu);
  if (seen.size() < 2) {
    const std::string why = "Initialize was called " +
                            std::to_string(seen.size()) +
                            " time(s) for 2 sessions";
    NOT_OBSERVED("UI-102", why);
    NOT_OBSERVED("UI-104", why);
    return;
  }
  {
    CHECKS("UI-102");
    EXPECT_THAT(null_cookie, HresultIs(S_OK)) << "pCookie NULL with cbCookie 0";
    EXPECT_EQ(seen[0].first, 0u);
    EXPECT_EQ(seen[0].second, nullptr);
  }
  CHECKS("UI-104");
  EXPECT_THAT(unread_pointer, HresultIs(S_OK))
      << "a pCookie that is never read, with cbCookie 0";
  EXPECT_EQ(seen[1].first, 0u);
  EXPECT_EQ(seen[1].second, nullptr);
}

// At most cbCookie bytes are read: the cookie ends flush against an
// inaccessible page, so an implementation that reads past it faults (while
// this check is open) whether or not it was built with a sanitizer.
TEST_F(CookieContract, NothingIsReadPastTheCookie) {
  REQUIREMENT("UI-015");
  std::vector<std::unique_ptr<GuardedBytes>> cookies;
  SessionWait wait;
  {
    CHECKS("UI-015");
    for (size_t size : {1u, 7u, 4096u}) {
      cookies.push_back(std::make_unique<GuardedBytes>(size));
      std::memset(cookies.back()->data(), 0x5A, size);
      EXPECT_THAT(invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid,
                                       static_cast<DWORD>(size),
                                       cookies.back()->data()),
                  HresultIs(S_OK))
          << "cbCookie " << size;
    }
    wait = WaitForSessions(3);
  }
  {
    CHECKS(start_requirement());
    EXPECT_TRUE(SessionsStarted(wait));
  }
  CHECKS("COM-003");
  EXPECT_TRUE(SessionsReleased(wait));
}

TEST_F(CookieContract, InitializeGetsTheInvokeEventAndReservedZero) {
  REQUIREMENT("HS-002 UI-009 UI-114");
  std::vector<DWORD> reserved, flags;
  std::mutex mu;
  ON_CALL(mock(), Initialize)
      .WillByDefault(Invoke([&](DWORD r, DWORD f, DWORD, const BYTE*) {
        std::lock_guard lock(mu);
        reserved.push_back(r);
        flags.push_back(f);
        return S_OK;
      }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC, {1, 2, 3}), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  EXPECT_THAT(Update(0), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(2);
  std::lock_guard lock(mu);
  if (flags.size() < 2) {
    const std::string why = "Initialize was called " +
                            std::to_string(flags.size()) +
                            " time(s) for 2 sessions";
    for (const char* id : {"HS-002", "UI-009", "UI-114"}) {
      NOT_OBSERVED(id, why);
    }
    return;
  }
  {
    CHECKS("HS-002");
    EXPECT_EQ(reserved[0], 0u);
    EXPECT_EQ(reserved[1], 0u);
  }
  const bool with_cookie_is_invoke =
      (flags[0] & SYNCMGRFLAG_EVENTMASK) == SYNCMGRFLAG_INVOKE;
  {
    // The cookie means something only with the INVOKE event.
    CHECKS("UI-009");
    EXPECT_TRUE(with_cookie_is_invoke)
        << "a session with a cookie got dwSyncMgrFlags " << flags[0];
  }
  if (with_cookie_is_invoke) {
    CHECKS("UI-114");
    for (size_t i = 0; i < flags.size(); ++i) {
      EXPECT_EQ(flags[i] & SYNCMGRFLAG_EVENTMASK, DWORD{SYNCMGRFLAG_INVOKE})
          << "dwSyncMgrFlags " << flags[i];
      EXPECT_EQ(flags[i] & SYNCMGRFLAG_SETTINGS, 0u);
    }
  }
}

// ---- Return codes decided by the handler -----------------------------------

using ReturnCodeContract = ContractTest;

TEST_F(ReturnCodeContract, SuccessfulSessionReturnsSOk) {
  REQUIREMENT("UI-011 UI-001 UI-118");
  {
    CHECKS("UI-011");
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  }
  ASSERT_SESSIONS_ENDED(1);
  {
    CHECKS("UI-001");  // started: synchronized (how often is HS-024's)
    const std::vector<std::string> calls = mock().calls();
    EXPECT_GE(std::count(calls.begin(), calls.end(), "Synchronize"), 1)
        << ::testing::PrintToString(calls);
  }
  std::this_thread::sleep_for(GetSettings().settle);
  CHECKS("UI-118");
  EXPECT_EQ(mock().objects_created(), 1) << "one call, one session";
}

// Whether the manager created and initialized the handler inside
// UpdateItems (the reference's decision, UI-101) decides whether a handler
// failure can show in UpdateItems' result at all. Timing alone cannot tell:
// a manager that initializes on its own thread may do so before UpdateItems
// returns. So Initialize holds for a while: a manager whose UpdateItems
// waits for it stays in the call all along; one that does not returns.
TEST_F(ReturnCodeContract, InitializeFailureIsEFail) {
  REQUIREMENT("UI-012 UI-111 UI-101");
  std::atomic<bool> in_call{false};
  std::atomic<int> initialized_in_call{0};
  std::atomic<HRESULT> failure{E_OUTOFMEMORY};
  ON_CALL(mock(), Initialize)
      .WillByDefault(Invoke([&](DWORD, DWORD, DWORD, const BYTE*) {
        const auto until =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(250);
        while (in_call && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (in_call) ++initialized_in_call;
        return failure.load();
      }));
  std::vector<HRESULT> results;
  int sessions = 0;
  for (HRESULT error : {E_OUTOFMEMORY, E_UNEXPECTED, E_INVALIDARG}) {
    failure = error;
    in_call = true;
    results.push_back(Update(SYNCMGRINVOKE_STARTSYNC));
    in_call = false;
    ASSERT_SESSIONS_ENDED(++sessions);
  }
  const std::vector<std::string> calls = mock().calls();
  {
    CHECKS("UI-111");  // released with no further call
    EXPECT_EQ(std::count(calls.begin(), calls.end(), "GetHandlerInfo"), 0)
        << ::testing::PrintToString(calls);
    EXPECT_EQ(
        std::count(calls.begin(), calls.end(), "SetProgressCallback(callback)"),
        0);
    EXPECT_EQ(
        std::count(calls.begin(), calls.end(), "SetProgressCallback(NULL)"), 0);
    EXPECT_EQ(std::count(calls.begin(), calls.end(), "PrepareForSync"), 0);
  }
  {
    CHECKS("UI-101");
    EXPECT_EQ(initialized_in_call, 3)
        << "UpdateItems returned while Initialize was still running";
  }
  if (initialized_in_call != 3) {
    NOT_APPLICABLE("UI-012",
                   "the manager initialized the handler after UpdateItems "
                   "returned, so UpdateItems cannot report its failure");
    return;
  }
  CHECKS("UI-012");
  for (HRESULT hr : results) EXPECT_THAT(hr, HresultIs(E_FAIL));
}

TEST_F(ReturnCodeContract, HandlerThatCannotBeCreatedIsEFail) {
  REQUIREMENT("UI-012 UI-101");
  {
    CHECKS("REG-003");
    ASSERT_THAT(register_->RegisterSyncMgrHandler(kUnregisteredClsid,
                                                  WSTR("Cannot be created"), 0),
                HresultIs(S_OK));  // registered, but no COM class behind it
  }
  const HRESULT hr = invoke_->UpdateItems(0, kUnregisteredClsid, 0, nullptr);
  register_->UnregisterSyncMgrHandler(kUnregisteredClsid, 0);
  {
    CHECKS("UI-101");  // creation happens inside the call
    EXPECT_NE(hr, S_OK)
        << "UpdateItems returned S_OK for a handler that cannot be created";
  }
  if (hr == S_OK) {
    NOT_APPLICABLE("UI-012",
                   "UpdateItems accepted the request before creating the "
                   "handler, so it cannot report that creation failed");
    return;
  }
  CHECKS("UI-012");
  EXPECT_THAT(hr, HresultIs(E_FAIL));
}

TEST_F(ReturnCodeContract, DecliningHandlerIsReleasedAndCallSucceeds) {
  REQUIREMENT("HS-001 UI-112");
  EXPECT_CALL(mock(), Initialize).WillOnce(Return(S_FALSE));
  const HRESULT hr = Update(SYNCMGRINVOKE_STARTSYNC);
  ASSERT_SESSIONS_ENDED(1);
  const std::vector<std::string> calls = mock().calls();
  {
    CHECKS("HS-001");  // S_FALSE: the handler takes no part
    EXPECT_EQ(std::count(calls.begin(), calls.end(), "PrepareForSync"), 0)
        << ::testing::PrintToString(calls);
    EXPECT_EQ(std::count(calls.begin(), calls.end(), "Synchronize"), 0);
  }
  CHECKS("UI-112");
  EXPECT_THAT(hr, HresultIs(S_OK));
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "GetHandlerInfo"), 0)
      << ::testing::PrintToString(calls);
  EXPECT_EQ(
      std::count(calls.begin(), calls.end(), "SetProgressCallback(callback)"),
      0);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "SetProgressCallback(NULL)"),
            0);
}

}  // namespace
}  // namespace syncmgr::conformance
