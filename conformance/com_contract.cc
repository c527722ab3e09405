// COM rules of the implementation's objects and module (reference/SPEC.md
// COM-, REG-106, UI-014).
#include <thread>

#include "conformance/testing/contract_test.h"
#include "reference/com/com.h"

namespace syncmgr::conformance {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::HresultIs;
using namespace std::chrono_literals;

using ComContract = ContractTest;

TEST_F(ComContract, QueryInterfaceFollowsComRules) {
  REQUIREMENT("UI-014 COM-001 COM-002 REG-106");
  {
    CHECKS("UI-014");
    ComPtr<ISyncMgrSynchronizeInvoke> same;
    EXPECT_THAT(
        invoke_->QueryInterface(IID_ISyncMgrSynchronizeInvoke, same.PutVoid()),
        HresultIs(S_OK));
  }
  {
    CHECKS("COM-001");
    void* out = reinterpret_cast<void*>(0x1);
    EXPECT_THAT(invoke_->QueryInterface(IID_ISyncMgrSynchronize, &out),
                HresultIs(E_NOINTERFACE));
    EXPECT_EQ(out, nullptr) << "*ppv must be NULL on failure";
    EXPECT_THAT(invoke_->QueryInterface(IID_IUnknown, nullptr),
                HresultIs(E_POINTER));
  }
  {
    // One object, one IUnknown, whichever interface it is asked from (the
    // registrar may be an object of its own: its identity is its own).
    CHECKS("COM-002");
    ComPtr<IUnknown> a, b, c, d;
    ComPtr<ISyncMgrSynchronizeInvoke> again;
    ASSERT_THAT(invoke_->QueryInterface(IID_IUnknown, a.PutVoid()),
                HresultIs(S_OK));
    ASSERT_THAT(
        a->QueryInterface(IID_ISyncMgrSynchronizeInvoke, again.PutVoid()),
        HresultIs(S_OK));
    ASSERT_THAT(again->QueryInterface(IID_IUnknown, b.PutVoid()),
                HresultIs(S_OK));
    EXPECT_EQ(a.Get(), b.Get());
    ASSERT_THAT(register_->QueryInterface(IID_IUnknown, c.PutVoid()),
                HresultIs(S_OK));
    ComPtr<ISyncMgrRegister> reg;
    ASSERT_THAT(c->QueryInterface(IID_ISyncMgrRegister, reg.PutVoid()),
                HresultIs(S_OK));
    ASSERT_THAT(reg->QueryInterface(IID_IUnknown, d.PutVoid()),
                HresultIs(S_OK));
    EXPECT_EQ(c.Get(), d.Get());
    // An ISyncMgrRegister the invoke object hands out belongs to it.
    ComPtr<ISyncMgrRegister> on_invoke;
    if (SUCCEEDED(invoke_->QueryInterface(IID_ISyncMgrRegister,
                                          on_invoke.PutVoid())) &&
        on_invoke) {
      ComPtr<IUnknown> e;
      ASSERT_THAT(on_invoke->QueryInterface(IID_IUnknown, e.PutVoid()),
                  HresultIs(S_OK));
      EXPECT_EQ(a.Get(), e.Get())
          << "IUnknown through the ISyncMgrRegister that the invoke object "
             "handed out is not the invoke object's IUnknown";
    }
  }
  CHECKS("REG-106");
  ComPtr<ISyncMgrRegister> on_invoke;
  EXPECT_THAT(
      invoke_->QueryInterface(IID_ISyncMgrRegister, on_invoke.PutVoid()),
      HresultIs(S_OK))
      << "the CLSID_SyncMgr object does not answer for ISyncMgrRegister";
}

TEST_F(ComContract, ClassObjectServesOnlyClsidSyncMgr) {
  REQUIREMENT("COM-005 COM-007");
  DllGetClassObjectFn get_class_object = nullptr;
  DllCanUnloadNowFn can_unload = nullptr;
  std::string error;
  ASSERT_THAT(
      syncmgr::com::LoadInprocServer(GetSettings().implementation,
                                     &get_class_object, &can_unload, &error),
      HresultIs(S_OK))
      << error;
  ComPtr<IClassFactory> factory;
  {
    CHECKS("COM-005");
    EXPECT_THAT(
        get_class_object(kHandlerClsid, IID_IClassFactory, factory.PutVoid()),
        HresultIs(CLASS_E_CLASSNOTAVAILABLE));
  }
  ASSERT_THAT(
      get_class_object(CLSID_SyncMgr, IID_IClassFactory, factory.PutVoid()),
      HresultIs(S_OK));
  CHECKS("COM-007");
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  EXPECT_THAT(
      factory->CreateInstance(invoke_.Get(), IID_ISyncMgrSynchronizeInvoke,
                              invoke.PutVoid()),
      HresultIs(CLASS_E_NOAGGREGATION));
  EXPECT_THAT(factory->CreateInstance(nullptr, IID_ISyncMgrSynchronizeInvoke,
                                      invoke.PutVoid()),
              HresultIs(S_OK));
}

TEST_F(ComContract, EveryObjectIsReleasedAndTheModuleCanUnload) {
  REQUIREMENT("COM-003 COM-006 UI-118");
  const long host_objects = syncmgr::com::LiveObjects();
  EXPECT_THAT(Update(SYNCMGRINVOKE_STARTSYNC, {1, 2}), HresultIs(S_OK));
  ASSERT_SESSIONS_ENDED(1);
  {
    CHECKS("UI-118");
    EXPECT_EQ(mock().objects_created(), 1) << "one call, one session";
  }
  {
    // The handler's enumerator and everything else the handler created.
    CHECKS("COM-003");
    long left = syncmgr::com::LiveObjects();
    for (int i = 0; i < 200 && left != host_objects; ++i) {
      std::this_thread::sleep_for(10ms);
      left = syncmgr::com::LiveObjects();
    }
    EXPECT_EQ(left, host_objects)
        << "objects the handler handed out were not released";
  }
  const std::string& path = GetSettings().implementation;
  {
    CHECKS("COM-006");
    EXPECT_THAT(syncmgr::com::InprocServerCanUnloadNow(path),
                HresultIs(S_FALSE))
        << "objects of the implementation are alive (this test holds some)";
    register_.Reset();
    invoke_.Reset();
    HRESULT can_unload = S_FALSE;
    for (int i = 0; i < 500 && can_unload != S_OK; ++i) {
      can_unload = syncmgr::com::InprocServerCanUnloadNow(path);
      if (can_unload != S_OK) std::this_thread::sleep_for(10ms);
    }
    EXPECT_THAT(can_unload, HresultIs(S_OK))
        << "DllCanUnloadNow must answer S_OK once every object is released";
  }
  // TearDown needs a manager to unregister the handler.
  ASSERT_THAT(CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                               IID_ISyncMgrRegister, register_.PutVoid()),
              HresultIs(S_OK));
}

}  // namespace
}  // namespace syncmgr::conformance
