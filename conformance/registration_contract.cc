// ISyncMgrRegister and the process-wide registry (reference/SPEC.md REG-).
#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HresultIs;
using ::testing::Invoke;

using RegistrationContract = ContractTest;

TEST_F(RegistrationContract, RegisterQueryUnregister) {
  REQUIREMENT("REG-001 REG-003 REG-004 REG-006 REG-008 REG-009 REG-104");
  const GUID clsid = ExtraHandlerClsid(0x40);
  DWORD flags = 0xDEADBEEF;
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
              HresultIs(S_FALSE));
  EXPECT_THAT(register_->RegisterSyncMgrHandler(
                  clsid, nullptr,
                  SYNCMGRREGISTERFLAG_CONNECT | SYNCMGRREGISTERFLAG_IDLE),
              HresultIs(S_OK));
  flags = 0xDEADBEEF;
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
              HresultIs(S_OK));
  EXPECT_EQ(flags,
            DWORD{SYNCMGRREGISTERFLAG_CONNECT | SYNCMGRREGISTERFLAG_IDLE});
  EXPECT_THAT(register_->UnregisterSyncMgrHandler(clsid, 0), HresultIs(S_OK));
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
              HresultIs(S_FALSE));
}

TEST_F(RegistrationContract, NotRegisteredClearsTheFlags) {
  REQUIREMENT("REG-103");
  DWORD flags = 0xDEADBEEF;
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(kUnregisteredClsid, &flags),
              HresultIs(S_FALSE));
  EXPECT_EQ(flags, 0u);
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(kHandlerClsid, nullptr),
              HresultIs(E_INVALIDARG));
}

TEST_F(RegistrationContract, ReRegisteringReplacesFlags) {
  REQUIREMENT("REG-101");
  const GUID clsid = ExtraHandlerClsid(0x41);
  EXPECT_THAT(register_->RegisterSyncMgrHandler(clsid, WSTR("one"), 1),
              HresultIs(S_OK));
  EXPECT_THAT(register_->RegisterSyncMgrHandler(clsid, WSTR("two"), 2),
              HresultIs(S_OK));
  DWORD flags = 0;
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
              HresultIs(S_OK));
  EXPECT_EQ(flags, 2u);
  EXPECT_THAT(register_->UnregisterSyncMgrHandler(clsid, 0), HresultIs(S_OK));
}

TEST_F(RegistrationContract, BadArgumentsAreRejected) {
  REQUIREMENT("REG-005 REG-010 REG-101 REG-102");
  const GUID clsid = ExtraHandlerClsid(0x42);
  EXPECT_THAT(register_->RegisterSyncMgrHandler(CLSID_NULL, nullptr, 0),
              HresultIs(E_INVALIDARG));
  for (DWORD flags : {0x8u, 0x10u, 0x80000000u, 0xFFFFFFFFu}) {
    EXPECT_THAT(register_->RegisterSyncMgrHandler(clsid, nullptr, flags),
                HresultIs(E_INVALIDARG))
        << "flags " << flags;
  }
  DWORD flags = 0;
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
              HresultIs(S_FALSE))
      << "a refused registration registered something";
  EXPECT_THAT(register_->UnregisterSyncMgrHandler(kHandlerClsid, 1),
              HresultIs(E_INVALIDARG));
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(kHandlerClsid, &flags),
              HresultIs(S_OK))
      << "a refused unregistration unregistered";
  EXPECT_THAT(register_->UnregisterSyncMgrHandler(kUnregisteredClsid, 0),
              HresultIs(S_OK));
}

TEST_F(RegistrationContract, EveryManagerObjectSeesTheSameRegistry) {
  REQUIREMENT("REG-105");
  ComPtr<ISyncMgrRegister> second;
  ASSERT_THAT(CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                               IID_ISyncMgrRegister, second.PutVoid()),
              HresultIs(S_OK));
  const GUID clsid = ExtraHandlerClsid(0x43);
  EXPECT_THAT(second->RegisterSyncMgrHandler(clsid, WSTR("x"), 4),
              HresultIs(S_OK));
  DWORD flags = 0;
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
              HresultIs(S_OK));
  EXPECT_EQ(flags, 4u);
  EXPECT_THAT(second->UnregisterSyncMgrHandler(clsid, 0), HresultIs(S_OK));
  EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
              HresultIs(S_FALSE));
}

TEST_F(RegistrationContract, HandlerUnregisteredDuringItsSession) {
  REQUIREMENT("REG-102 REG-006");
  EXPECT_CALL(mock(), Synchronize).WillOnce(Invoke([&](HWND) {
    EXPECT_THAT(register_->UnregisterSyncMgrHandler(kHandlerClsid, 0),
                HresultIs(S_OK));
    mock().callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_TRUE(SessionsEnded(1));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(E_INVALIDARG));
}

}  // namespace
}  // namespace syncmgr::conformance
