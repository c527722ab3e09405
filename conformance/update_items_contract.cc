// UpdateItems as a registered application and its handler see it: the
// arguments it accepts and refuses, the cookie the handler receives, and the
// return codes (reference/SPEC.md UI-).
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
using ::testing::NotNull;
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
  REQUIREMENT("UI-003 UI-011");
  for (DWORD flags : {0u, 0x2u, 0x4u, 0x6u}) {
    EXPECT_THAT(Update(flags), HresultIs(S_OK)) << "dwInvokeFlags " << flags;
  }
  EXPECT_TRUE(SessionsEnded(4));
}

TEST_F(UpdateItemsContract, UnknownFlagBitsAreRejected) {
  REQUIREMENT("UI-105");
  for (DWORD flags :
       {0x1u, 0x3u, 0x7u, 0x8u, 0x100u, 0x80000000u, 0xFFFFFFFFu}) {
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
  EXPECT_THAT(invoke_->UpdateItems(0, CLSID_NULL, 3, cookie),
              HresultIs(E_INVALIDARG));
  EXPECT_THAT(invoke_->UpdateItems(0, kUnregisteredClsid, 3, cookie),
              HresultIs(E_INVALIDARG));
  // Creatable through COM but never registered with the manager.
  MockHandler creatable_only;
  syncmgr::testing::RegisteredHandler com_only(kUnregisteredClsid,
                                               &creatable_only);
  EXPECT_THAT(invoke_->UpdateItems(0, kUnregisteredClsid, 3, cookie),
              HresultIs(E_INVALIDARG));
  EXPECT_TRUE(NoHandlerCreated());
  EXPECT_EQ(creatable_only.objects_created(), 0);
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
  EXPECT_TRUE(SessionsEnded(1));
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
  ASSERT_TRUE(SessionsEnded(1));
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
  REQUIREMENT("UI-007 UI-008 UI-108");
  const std::vector<BYTE> expected = {0x00, 0xFF, 0x10, 0x20, 0x00,
                                      0x7F, 0x80, 0x01, 0xC3, 0x3C};
  std::mutex mu;
  std::vector<BYTE> in_initialize, in_synchronize;
  const BYTE* handed = nullptr;
  DWORD handed_size = 0;
  EXPECT_CALL(mock(), Initialize(0, _, _, _))
      .WillOnce(Invoke([&](DWORD, DWORD, DWORD cb, const BYTE* cookie) {
        std::lock_guard lock(mu);
        if (cookie != nullptr) in_initialize.assign(cookie, cookie + cb);
        handed = cookie;
        handed_size = cb;
        return S_OK;
      }));
  EXPECT_CALL(mock(), Synchronize).WillOnce(Invoke([&](HWND) {
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
  ASSERT_TRUE(SessionsEnded(1));
  std::lock_guard lock(mu);
  EXPECT_EQ(handed_size, expected.size());
  EXPECT_EQ(in_initialize, expected);
  EXPECT_EQ(in_synchronize, expected);
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
  ASSERT_TRUE(SessionsEnded(static_cast<int>(cookies.size())));
  std::lock_guard lock(mu);
  // Sessions of one handler run in arrival order (UI-115).
  EXPECT_EQ(received, cookies);
}

TEST_F(CookieContract, EmptyCookieReachesHandlerAsZeroAndNull) {
  REQUIREMENT("UI-102 UI-104 UI-015");
  EXPECT_CALL(mock(), Initialize(0, _, 0, IsNull())).Times(2);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  // cbCookie 0 with a pointer: the pointer must not be read (this one would
  // fault if it were).
  EXPECT_THAT(invoke_->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kHandlerClsid, 0,
                                   reinterpret_cast<const BYTE*>(0x10)),
              HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(2));
}

TEST_F(CookieContract, InitializeGetsTheInvokeEventAndReservedZero) {
  REQUIREMENT("UI-009 UI-114 HS-002");
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
  EXPECT_THAT(Update(0), HresultIs(S_OK));
  ASSERT_TRUE(SessionsEnded(2));
  std::lock_guard lock(mu);
  ASSERT_EQ(flags.size(), 2u);
  for (size_t i = 0; i < flags.size(); ++i) {
    EXPECT_EQ(reserved[i], 0u);
    EXPECT_EQ(flags[i] & SYNCMGRFLAG_EVENTMASK, DWORD{SYNCMGRFLAG_INVOKE})
        << "dwSyncMgrFlags " << flags[i];
    EXPECT_EQ(flags[i] & SYNCMGRFLAG_SETTINGS, 0u);
  }
}

// ---- Return codes decided by the handler -----------------------------------

using ReturnCodeContract = ContractTest;

TEST_F(ReturnCodeContract, SuccessfulSessionReturnsSOk) {
  REQUIREMENT("UI-001 UI-011 UI-118");
  EXPECT_CALL(mock(), PrepareForSync).Times(1);
  EXPECT_CALL(mock(), Synchronize).Times(1);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(1));
  std::this_thread::sleep_for(GetSettings().settle);
  EXPECT_EQ(mock().objects_created(), 1) << "one call, one session";
}

TEST_F(ReturnCodeContract, InitializeFailureIsEFail) {
  REQUIREMENT("UI-012 UI-111");
  EXPECT_CALL(mock(), GetHandlerInfo).Times(0);
  EXPECT_CALL(mock(), PrepareForSync).Times(0);
  int sessions = 0;
  for (HRESULT failure : {E_OUTOFMEMORY, E_UNEXPECTED, E_INVALIDARG}) {
    EXPECT_CALL(mock(), Initialize).WillOnce(Return(failure));
    EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(E_FAIL))
        << "Initialize returned " << DescribeHresult(failure);
    EXPECT_TRUE(SessionsEnded(++sessions));
  }
}

TEST_F(ReturnCodeContract, HandlerThatCannotBeCreatedIsEFail) {
  REQUIREMENT("UI-012 UI-111");
  ASSERT_THAT(register_->RegisterSyncMgrHandler(kUnregisteredClsid, nullptr, 0),
              HresultIs(S_OK));  // registered, but no COM class behind it
  EXPECT_THAT(invoke_->UpdateItems(0, kUnregisteredClsid, 0, nullptr),
              HresultIs(E_FAIL));
  EXPECT_THAT(register_->UnregisterSyncMgrHandler(kUnregisteredClsid, 0),
              HresultIs(S_OK));
}

TEST_F(ReturnCodeContract, DecliningHandlerIsReleasedAndCallSucceeds) {
  REQUIREMENT("UI-112 HS-001");
  EXPECT_CALL(mock(), Initialize).WillOnce(Return(S_FALSE));
  EXPECT_CALL(mock(), GetHandlerInfo).Times(0);
  EXPECT_CALL(mock(), SetProgressCallback).Times(0);
  EXPECT_CALL(mock(), PrepareForSync).Times(0);
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  EXPECT_TRUE(SessionsEnded(1));
}

}  // namespace
}  // namespace syncmgr::conformance
