// ISyncMgrRegister and the process-wide registry (reference/SPEC.md REG-).
// The fixture finds ISyncMgrRegister wherever the implementation offers it
// (conformance/testing/contract_test.h).
#include <atomic>
#include <thread>
#include <vector>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HresultIs;
using ::testing::AnyOf;
using ::testing::Invoke;

using RegistrationContract = ContractTest;

// What the three methods may return besides their documented successes
// (REG-005).
auto DocumentedRegisterResult(HRESULT success) {
  return AnyOf(HresultIs(success), HresultIs(E_INVALIDARG),
               HresultIs(E_UNEXPECTED), HresultIs(E_OUTOFMEMORY));
}

TEST_F(RegistrationContract, RegisterQueryUnregister) {
  REQUIREMENT("REG-001 REG-003 REG-004 REG-104 REG-008 REG-009 REG-006");
  const GUID clsid = ExtraHandlerClsid(0x40);
  const GUID no_description = ExtraHandlerClsid(0x44);
  const GUID flags_only = ExtraHandlerClsid(0x45);
  {
    CHECKS("REG-001");
    ComPtr<ISyncMgrRegister> same;
    EXPECT_THAT(register_->QueryInterface(IID_ISyncMgrRegister, same.PutVoid()),
                HresultIs(S_OK));
  }
  DWORD flags = 0xDEADBEEF;
  HRESULT unknown = E_PENDING;  // can the query tell "not registered"?
  {
    CHECKS("REG-008");
    unknown = register_->GetHandlerRegistrationInfo(clsid, &flags);
    EXPECT_THAT(unknown, HresultIs(S_FALSE));
  }
  {
    CHECKS("REG-003");
    ASSERT_THAT(register_->RegisterSyncMgrHandler(
                    clsid, WSTR("Registration test"),
                    SYNCMGRREGISTERFLAG_CONNECT | SYNCMGRREGISTERFLAG_IDLE),
                HresultIs(S_OK));
  }
  {
    CHECKS("REG-004");
    EXPECT_THAT(register_->RegisterSyncMgrHandler(no_description, nullptr, 0),
                HresultIs(S_OK));
    register_->UnregisterSyncMgrHandler(no_description, 0);
  }
  {
    // dwSyncMgrRegisterFlags takes SYNCMGRREGISTERFLAGS values, also with
    // no description.
    CHECKS("REG-104");
    EXPECT_THAT(register_->RegisterSyncMgrHandler(
                    flags_only, nullptr,
                    SYNCMGRREGISTERFLAG_CONNECT | SYNCMGRREGISTERFLAG_IDLE),
                HresultIs(S_OK));
    register_->UnregisterSyncMgrHandler(flags_only, 0);
  }
  flags = 0xDEADBEEF;
  HRESULT registered = E_PENDING;
  {
    CHECKS("REG-008");
    registered = register_->GetHandlerRegistrationInfo(clsid, &flags);
    EXPECT_THAT(registered, HresultIs(S_OK));
  }
  if (registered == S_OK) {
    CHECKS("REG-009");
    EXPECT_EQ(flags,
              DWORD{SYNCMGRREGISTERFLAG_CONNECT | SYNCMGRREGISTERFLAG_IDLE});
  }
  CHECKS("REG-006");
  EXPECT_THAT(register_->UnregisterSyncMgrHandler(clsid, 0), HresultIs(S_OK));
  if (unknown == S_FALSE) {  // else REG-008's failure, not this one
    EXPECT_THAT(register_->GetHandlerRegistrationInfo(clsid, &flags),
                HresultIs(S_FALSE))
        << "still registered after UnregisterSyncMgrHandler";
  }
}

TEST_F(RegistrationContract, NotRegisteredClearsTheFlags) {
  REQUIREMENT("REG-008 REG-103");
  DWORD flags = 0xDEADBEEF;
  HRESULT hr = E_PENDING;
  {
    CHECKS("REG-008");
    hr = register_->GetHandlerRegistrationInfo(kUnregisteredClsid, &flags);
    EXPECT_THAT(hr, HresultIs(S_FALSE));
  }
  CHECKS("REG-103");
  if (hr == S_FALSE) {
    EXPECT_EQ(flags, 0u);
  }
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
  struct Answer {
    const char* what;
    HRESULT success;  // the method's documented success code
    HRESULT ours;     // what the reference answers (REG-101, REG-102)
    const char* ours_requirement;
    HRESULT got;
  };
  std::vector<Answer> answers;
  answers.push_back(
      {"Register(CLSID_NULL)", S_OK, E_INVALIDARG, "REG-101",
       register_->RegisterSyncMgrHandler(CLSID_NULL, nullptr, 0)});
  bool registered_bad_flags = false;
  for (DWORD flags : {0x8u, 0x10u, 0x80000000u, 0xFFFFFFFFu}) {
    const HRESULT hr = register_->RegisterSyncMgrHandler(clsid, nullptr, flags);
    answers.push_back({"Register with flags outside the mask", S_OK,
                       E_INVALIDARG, "REG-101", hr});
    DWORD got = 0;
    if (hr == S_OK &&
        register_->GetHandlerRegistrationInfo(clsid, &got) == S_OK) {
      registered_bad_flags |= (got & ~DWORD{SYNCMGRREGISTERFLAGS_MASK}) != 0;
    }
  }
  {
    CHECKS("REG-010");
    EXPECT_FALSE(registered_bad_flags)
        << "flag bits outside SYNCMGRREGISTERFLAGS_MASK were registered";
  }
  DWORD flags = 0;
  const HRESULT after_refusals =
      register_->GetHandlerRegistrationInfo(clsid, &flags);
  register_->UnregisterSyncMgrHandler(clsid, 0);
  answers.push_back({"Unregister with dwReserved 1", S_OK, E_INVALIDARG,
                     "REG-102",
                     register_->UnregisterSyncMgrHandler(kHandlerClsid, 1)});
  const HRESULT still_registered =
      register_->GetHandlerRegistrationInfo(kHandlerClsid, &flags);
  answers.push_back(
      {"Unregister of a CLSID never registered", S_OK, S_OK, "REG-102",
       register_->UnregisterSyncMgrHandler(kUnregisteredClsid, 0)});
  // The pages name no code for a bad argument: REG-005 judges a success
  // code (only the method's own), and the failure for the one call whose
  // arguments are valid; which failure a bad argument gets is ours.
  const size_t valid_arguments = answers.size() - 1;
  for (size_t i = 0; i < answers.size(); ++i) {
    const Answer& a = answers[i];
    bool documented = true;
    if (SUCCEEDED(a.got) || i == valid_arguments) {
      CHECKS("REG-005");
      EXPECT_THAT(a.got, DocumentedRegisterResult(a.success)) << a.what;
      documented = a.got == a.success || a.got == E_INVALIDARG ||
                   a.got == E_UNEXPECTED || a.got == E_OUTOFMEMORY;
    }
    if (documented) {
      CHECKS(a.ours_requirement);
      EXPECT_THAT(a.got, HresultIs(a.ours)) << a.what;
    }
  }
  {
    CHECKS("REG-101");  // refused: nothing registered
    if (answers[1].got == E_INVALIDARG) {
      EXPECT_THAT(after_refusals, HresultIs(S_FALSE))
          << "a refused registration registered something";
    }
  }
  CHECKS("REG-102");  // refused: nothing unregistered
  if (answers[5].got == E_INVALIDARG) {
    EXPECT_THAT(still_registered, HresultIs(S_OK))
        << "a refused unregistration unregistered";
  }
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
  REQUIREMENT("REG-006 UI-002 REG-102");
  std::atomic<HRESULT> unregistered{E_PENDING};
  ON_CALL(mock(), Synchronize).WillByDefault(Invoke([&](HWND) {
    unregistered = register_->UnregisterSyncMgrHandler(kHandlerClsid, 0);
    mock().callback()->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  DWORD flags = 0;
  const HRESULT registered =
      register_->GetHandlerRegistrationInfo(kHandlerClsid, &flags);
  // Only a query that says S_FALSE for a CLSID never registered (REG-008)
  // can tell whether the unregistration took effect.
  const bool query_tells = register_->GetHandlerRegistrationInfo(
                               kUnregisteredClsid, &flags) == S_FALSE;
  {
    CHECKS("REG-006");
    EXPECT_THAT(unregistered.load(), HresultIs(S_OK));
    if (query_tells) {
      EXPECT_THAT(registered, HresultIs(S_FALSE))
          << "GetHandlerRegistrationInfo still finds the handler after "
             "UnregisterSyncMgrHandler";
    }
  }
  if (query_tells && registered == S_OK) {  // REG-006's failure
    const std::string why = "the handler is still registered (REG-006)";
    NOT_OBSERVED("UI-002", why);
    NOT_OBSERVED("REG-102", why);
    return;
  }
  const HRESULT later = Update(SYNCMGRINVOKE_STARTSYNC);
  std::this_thread::sleep_for(GetSettings().settle);
  {
    CHECKS("UI-002");  // no longer registered: never run again
    EXPECT_EQ(mock().objects_created(), 1);
  }
  CHECKS("REG-102");
  EXPECT_THAT(later, HresultIs(E_INVALIDARG));
}

}  // namespace
}  // namespace syncmgr::conformance
