// Tests of the COM runtime (com.h) and of object.h, one suite per function,
// in the manner of Wine's ole32 tests: exact HRESULTs, out-parameters preset
// to a sentinel to show that the callee cleared them, error messages checked
// for what they must name. The test plug-ins (testdata/) are real shared
// objects built with tools/plugin.bzl; their paths come from --plugin=
// arguments (BUILD.bazel).
#include <dlfcn.h>
#include <elf.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/com/testdata/test_interfaces.h"
#include "reference/com/testdata/test_support.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"

namespace {

using ::syncmgr::FormatGuid;
using ::syncmgr::com::ClassFactory;
using ::syncmgr::com::ComPtr;
using ::syncmgr::com::LiveObjects;
using ::syncmgr::com::Object;
using ::syncmgr::com::OutstandingTaskMemAllocations;
using ::syncmgr::com::testing::PluginPath;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Preset in out-parameters: the callee must overwrite it.
void* const kSentinel = reinterpret_cast<void*>(0xdeadbeef);

// Host-side CLSIDs (no plug-in serves them).
// {5E0B7A61-6C1D-4E0A-8F3B-2D4C5B6A7F01}
DEFINE_GUID(CLSID_HostGreeter, 0x5E0B7A61, 0x6C1D, 0x4E0A, 0x8F, 0x3B, 0x2D,
            0x4C, 0x5B, 0x6A, 0x7F, 0x01);
// {5E0B7A61-6C1D-4E0A-8F3B-2D4C5B6A7F02}
DEFINE_GUID(CLSID_Unregistered, 0x5E0B7A61, 0x6C1D, 0x4E0A, 0x8F, 0x3B, 0x2D,
            0x4C, 0x5B, 0x6A, 0x7F, 0x02);
// An IID nothing implements.
// {5E0B7A61-6C1D-4E0A-8F3B-2D4C5B6A7F03}
DEFINE_GUID(IID_Unimplemented, 0x5E0B7A61, 0x6C1D, 0x4E0A, 0x8F, 0x3B, 0x2D,
            0x4C, 0x5B, 0x6A, 0x7F, 0x03);

// The reference count of `object`, observed with an AddRef/Release pair.
ULONG RefCount(IUnknown* object) {
  object->AddRef();
  return object->Release();
}

std::u16string Utf16(const char* ascii) {
  return std::u16string(ascii, ascii + std::strlen(ascii));
}

// A host COM object with two interfaces.
class HostGreeter final : public Object<ITestGreeter, ITestCounter> {
 public:
  HRESULT STDMETHODCALLTYPE Greet(LPOLESTR* text) override {
    if (text == nullptr) return E_POINTER;
    *text = static_cast<LPOLESTR>(CoTaskMemAlloc(sizeof kTestGreeting));
    if (*text == nullptr) return E_OUTOFMEMORY;
    std::memcpy(*text, kTestGreeting, sizeof kTestGreeting);
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE Increment() override { return ++calls_; }

 private:
  std::atomic<ULONG> calls_{0};
};

// A host class factory that counts its calls. `on_create` (if set) runs at
// the start of CreateInstance, to call back into the runtime.
class CountingFactory final : public Object<IClassFactory> {
 public:
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID riid,
                                           void** ppv) override {
    ++create_calls;
    if (on_create) on_create();
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    return syncmgr::com::CreateObject<HostGreeter>(riid, ppv);
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
    locks += lock ? 1 : -1;
    return S_OK;
  }

  std::atomic<int> create_calls{0};
  std::atomic<int> locks{0};
  std::function<void()> on_create;
};

// Every test starts with no registrations and checks, at the end, that host
// objects and task memory balance.
class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    syncmgr::com::ResetRegistrations();
    objects_at_start_ = LiveObjects();
    allocations_at_start_ = OutstandingTaskMemAllocations();
  }
  void TearDown() override {
    syncmgr::com::ResetRegistrations();
    syncmgr::com::SetTaskMemFailureHook(nullptr);
    EXPECT_EQ(LiveObjects(), objects_at_start_)
        << "host COM objects leaked (or were released once too often)";
    EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_)
        << "CoTaskMemAlloc blocks leaked";
  }

  // The path of a test plug-in (BUILD.bazel passes --plugin=NAME=PATH).
  static std::string Plugin(const std::string& name) {
    const std::string path = PluginPath(name);
    EXPECT_FALSE(path.empty()) << "no --plugin=" << name << "=PATH argument";
    return path;
  }

  static void RegisterServer(REFCLSID clsid, const std::string& plugin) {
    std::string error;
    ASSERT_HR(S_OK,
              syncmgr::com::RegisterInprocServer(clsid, Plugin(plugin), &error))
        << error;
  }

  long objects_at_start_ = 0;
  long allocations_at_start_ = 0;
};

// ---- CoInitializeEx, CoInitialize, CoUninitialize ----

class CoInitializeExTest : public RuntimeTest {};

TEST_F(CoInitializeExTest, CountsPerThread) {
  EXPECT_HR(S_OK, CoInitializeEx(nullptr, COINIT_MULTITHREADED));
  EXPECT_HR(S_FALSE, CoInitializeEx(nullptr, COINIT_MULTITHREADED));
  std::thread([] {
    EXPECT_HR(S_OK, CoInitializeEx(nullptr, COINIT_MULTITHREADED))
        << "a new thread starts uninitialized";
    CoUninitialize();
  }).join();
  CoUninitialize();
  CoUninitialize();
  EXPECT_HR(S_OK, CoInitializeEx(nullptr, COINIT_MULTITHREADED))
      << "two CoUninitialize calls balance two CoInitializeEx calls";
  CoUninitialize();
}

TEST_F(CoInitializeExTest, ReservedMustBeNull) {
  int reserved = 0;
  EXPECT_HR(E_INVALIDARG, CoInitializeEx(&reserved, COINIT_MULTITHREADED));
  EXPECT_HR(S_OK, CoInitializeEx(nullptr, COINIT_MULTITHREADED))
      << "a rejected call must not count";
  CoUninitialize();
}

TEST_F(CoInitializeExTest, CoInitializeCountsWithCoInitializeEx) {
  EXPECT_HR(S_OK, CoInitialize(nullptr));
  EXPECT_HR(S_FALSE, CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED));
  CoUninitialize();
  CoUninitialize();
  int reserved = 0;
  EXPECT_HR(E_INVALIDARG, CoInitialize(&reserved));
}

TEST_F(CoInitializeExTest, UnbalancedCoUninitializeIsHarmless) {
  CoUninitialize();
  EXPECT_HR(S_OK, CoInitializeEx(nullptr, COINIT_MULTITHREADED));
  CoUninitialize();
}

TEST_F(CoInitializeExTest, NotNeededForActivation) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  ComPtr<ITestCounter> counter;
  EXPECT_HR(S_OK,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_ITestCounter, counter.PutVoid()));
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  factory->Release();
}

// ---- CoRegisterClassObject ----

class CoRegisterClassObjectTest : public RuntimeTest {};

TEST_F(CoRegisterClassObjectTest, NullArgumentsAreInvalid) {
  auto* factory = new CountingFactory;
  EXPECT_HR(E_INVALIDARG, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                                CLSCTX_INPROC_SERVER,
                                                REGCLS_MULTIPLEUSE, nullptr));
  EXPECT_EQ(RefCount(factory), 1u) << "a rejected registration holds nothing";
  DWORD cookie = 0xdeadbeef;
  EXPECT_HR(E_INVALIDARG, CoRegisterClassObject(CLSID_HostGreeter, nullptr,
                                                CLSCTX_INPROC_SERVER,
                                                REGCLS_MULTIPLEUSE, &cookie));
  EXPECT_EQ(cookie, 0u);
  factory->Release();
}

TEST_F(CoRegisterClassObjectTest, HoldsAReferenceUntilRevoked) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  EXPECT_EQ(RefCount(factory), 2u);
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  EXPECT_EQ(RefCount(factory), 1u);
  factory->Release();
}

TEST_F(CoRegisterClassObjectTest, CookiesAreUniqueAndNonZero) {
  auto* factory = new CountingFactory;
  std::set<DWORD> cookies;
  for (int i = 0; i < 100; ++i) {
    DWORD cookie = 0;
    ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                          CLSCTX_INPROC_SERVER,
                                          REGCLS_MULTIPLEUSE, &cookie));
    EXPECT_NE(cookie, 0u);
    EXPECT_TRUE(cookies.insert(cookie).second) << "cookie reused: " << cookie;
  }
  EXPECT_EQ(RefCount(factory), 101u);
  for (DWORD cookie : cookies) EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  EXPECT_EQ(RefCount(factory), 1u);
  factory->Release();
}

TEST_F(CoRegisterClassObjectTest, ServesCoCreateInstance) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  ComPtr<ITestGreeter> greeter;
  ASSERT_HR(S_OK,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_PPV_ARGS(greeter.Put())));
  EXPECT_EQ(factory->create_calls.load(), 1);
  EXPECT_EQ(LiveObjects(), objects_at_start_ + 2);  // factory + greeter
  greeter.Reset();
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  factory->Release();
}

TEST_F(CoRegisterClassObjectTest, EarliestRegistrationWins) {
  auto* first = new CountingFactory;
  auto* second = new CountingFactory;
  DWORD first_cookie = 0;
  DWORD second_cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, first,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &first_cookie));
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, second,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &second_cookie));
  ComPtr<ITestCounter> counter;
  ASSERT_HR(S_OK,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_PPV_ARGS(counter.Put())));
  EXPECT_EQ(first->create_calls.load(), 1);
  EXPECT_EQ(second->create_calls.load(), 0);
  EXPECT_HR(S_OK, CoRevokeClassObject(first_cookie));
  ASSERT_HR(S_OK,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_PPV_ARGS(counter.Put())));
  EXPECT_EQ(second->create_calls.load(), 1);
  EXPECT_HR(S_OK, CoRevokeClassObject(second_cookie));
  first->Release();
  second->Release();
}

TEST_F(CoRegisterClassObjectTest, ServesOnlyOverlappingContexts) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE,
                                        &cookie));
  ComPtr<ITestCounter> counter;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_PPV_ARGS(counter.Put())));
  EXPECT_HR(S_OK, CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_ALL,
                                   IID_PPV_ARGS(counter.Put())));
  counter.Reset();
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  factory->Release();
}

TEST_F(CoRegisterClassObjectTest, TakesPrecedenceOverAnInprocServer) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_TestGoodServer, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  ComPtr<ITestCounter> counter;
  ASSERT_HR(S_OK, CoCreateInstance(CLSID_TestGoodServer, nullptr,
                                   CLSCTX_INPROC_SERVER,
                                   IID_PPV_ARGS(counter.Put())));
  EXPECT_EQ(factory->create_calls.load(), 1);
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  ASSERT_HR(S_OK, CoCreateInstance(CLSID_TestGoodServer, nullptr,
                                   CLSCTX_INPROC_SERVER,
                                   IID_PPV_ARGS(counter.Put())));
  EXPECT_EQ(factory->create_calls.load(), 1)
      << "after the revocation the plug-in serves the CLSID";
  counter.Reset();
  factory->Release();
}

// ---- CoRevokeClassObject ----

class CoRevokeClassObjectTest : public RuntimeTest {};

TEST_F(CoRevokeClassObjectTest, UnknownCookieIsNotRegistered) {
  EXPECT_HR(CO_E_OBJNOTREG, CoRevokeClassObject(0));
  EXPECT_HR(CO_E_OBJNOTREG, CoRevokeClassObject(12345));
  EXPECT_HR(CO_E_OBJNOTREG, CoRevokeClassObject(0xFFFFFFFF));
}

TEST_F(CoRevokeClassObjectTest, SecondRevocationFails) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  EXPECT_HR(CO_E_OBJNOTREG, CoRevokeClassObject(cookie));
  EXPECT_EQ(RefCount(factory), 1u) << "released once, not twice";
  ComPtr<ITestCounter> counter;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_PPV_ARGS(counter.Put())));
  factory->Release();
}

// A class object whose destructor registers and revokes another one: it runs
// inside the Release of CoRevokeClassObject, which must hold no lock then.
class RegistersWhenDestroyed final : public Object<IClassFactory> {
 public:
  explicit RegistersWhenDestroyed(HRESULT* results) : results_(results) {}
  ~RegistersWhenDestroyed() override {
    auto* other = new CountingFactory;
    DWORD cookie = 0;
    results_[0] =
        CoRegisterClassObject(CLSID_Unregistered, other, CLSCTX_INPROC_SERVER,
                              REGCLS_MULTIPLEUSE, &cookie);
    results_[1] = CoRevokeClassObject(cookie);
    other->Release();
  }
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown*, REFIID,
                                           void** ppv) override {
    if (ppv != nullptr) *ppv = nullptr;
    return E_NOTIMPL;
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL) override { return S_OK; }

 private:
  HRESULT* results_;
};

TEST_F(CoRevokeClassObjectTest, ReleasesWithNoLockHeld) {
  HRESULT results[2] = {E_FAIL, E_FAIL};
  auto* object = new RegistersWhenDestroyed(results);
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, object,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  object->Release();  // the registration holds the last reference
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));  // deadlocks if locked
  EXPECT_HR(S_OK, results[0]);
  EXPECT_HR(S_OK, results[1]);
}

// ---- CoGetClassObject ----

class CoGetClassObjectTest : public RuntimeTest {};

TEST_F(CoGetClassObjectTest, NullPpvIsInvalidArg) {
  EXPECT_HR(E_INVALIDARG,
            CoGetClassObject(CLSID_HostGreeter, CLSCTX_INPROC_SERVER, nullptr,
                             IID_IClassFactory, nullptr));
  EXPECT_THAT(syncmgr::com::LastActivationError(),
              HasSubstr(FormatGuid(CLSID_HostGreeter)));
  EXPECT_THAT(syncmgr::com::LastActivationError(), HasSubstr("ppv is NULL"));
}

TEST_F(CoGetClassObjectTest, UnknownClsidIsNotRegistered) {
  void* object = kSentinel;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoGetClassObject(CLSID_Unregistered, CLSCTX_INPROC_SERVER, nullptr,
                             IID_IClassFactory, &object));
  EXPECT_EQ(object, nullptr);
  EXPECT_THAT(syncmgr::com::LastActivationError(),
              StartsWith("CoGetClassObject(" + FormatGuid(CLSID_Unregistered) +
                         "): REGDB_E_CLASSNOTREG (0x80040154): "));
}

TEST_F(CoGetClassObjectTest, ReturnsTheRegisteredObject) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  void* object = kSentinel;
  ASSERT_HR(S_OK, CoGetClassObject(CLSID_HostGreeter, CLSCTX_INPROC_SERVER,
                                   nullptr, IID_IClassFactory, &object));
  EXPECT_EQ(object, static_cast<IClassFactory*>(factory));
  EXPECT_EQ(RefCount(factory), 3u);  // ours, the registration's, object's
  static_cast<IClassFactory*>(object)->Release();
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  factory->Release();
}

TEST_F(CoGetClassObjectTest, UnsupportedInterfaceIsNoInterface) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  void* object = kSentinel;
  EXPECT_HR(E_NOINTERFACE,
            CoGetClassObject(CLSID_HostGreeter, CLSCTX_INPROC_SERVER, nullptr,
                             IID_Unimplemented, &object));
  EXPECT_EQ(object, nullptr);
  const std::string error = syncmgr::com::LastActivationError();
  EXPECT_THAT(error, HasSubstr("QueryInterface"));
  EXPECT_THAT(error, HasSubstr(FormatGuid(IID_Unimplemented)));
  EXPECT_THAT(error, HasSubstr("cookie " + std::to_string(cookie)));
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  factory->Release();
}

TEST_F(CoGetClassObjectTest, ReturnsThePluginsClassFactory) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  ComPtr<IClassFactory> factory;
  ASSERT_HR(S_OK, CoGetClassObject(CLSID_TestGoodServer, CLSCTX_INPROC_SERVER,
                                   nullptr, IID_PPV_ARGS(factory.Put())));
  ComPtr<ITestCounter> counter;
  EXPECT_HR(
      CLASS_E_NOAGGREGATION,
      factory->CreateInstance(factory.Get(), IID_PPV_ARGS(counter.Put())));
  EXPECT_HR(S_OK,
            factory->CreateInstance(nullptr, IID_PPV_ARGS(counter.Put())));
  EXPECT_EQ(counter->Increment(), 1u);
}

TEST_F(CoGetClassObjectTest, ServerFailurePassesThrough) {
  // good_server.so serves only CLSID_TestGoodServer.
  RegisterServer(CLSID_Unregistered, "good_server");
  void* object = kSentinel;
  EXPECT_HR(CLASS_E_CLASSNOTAVAILABLE,
            CoGetClassObject(CLSID_Unregistered, CLSCTX_INPROC_SERVER, nullptr,
                             IID_IClassFactory, &object));
  EXPECT_EQ(object, nullptr);
  const std::string error = syncmgr::com::LastActivationError();
  EXPECT_THAT(error, HasSubstr("DllGetClassObject"));
  EXPECT_THAT(error, HasSubstr(Plugin("good_server")));
  EXPECT_THAT(error, HasSubstr("CLASS_E_CLASSNOTAVAILABLE (0x80040111)"));
}

TEST_F(CoGetClassObjectTest, NullClassObjectIsUnexpected) {
  RegisterServer(CLSID_TestNullClassObject, "null_factory");
  void* object = kSentinel;
  EXPECT_HR(E_UNEXPECTED,
            CoGetClassObject(CLSID_TestNullClassObject, CLSCTX_INPROC_SERVER,
                             nullptr, IID_IClassFactory, &object));
  EXPECT_EQ(object, nullptr);
  const std::string error = syncmgr::com::LastActivationError();
  EXPECT_THAT(error, HasSubstr(FormatGuid(CLSID_TestNullClassObject)));
  EXPECT_THAT(error, HasSubstr("E_UNEXPECTED (0x8000FFFF)"));
  EXPECT_THAT(error, HasSubstr("DllGetClassObject"));
  EXPECT_THAT(error, HasSubstr("S_OK (0x00000000) with a NULL pointer"));
  EXPECT_THAT(error, HasSubstr(Plugin("null_factory")));
}

TEST_F(CoGetClassObjectTest, ContextWithoutInprocServerIsNotRegistered) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  void* object = kSentinel;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoGetClassObject(CLSID_TestGoodServer, CLSCTX_LOCAL_SERVER, nullptr,
                             IID_IClassFactory, &object));
  EXPECT_EQ(object, nullptr);
  EXPECT_THAT(syncmgr::com::LastActivationError(),
              HasSubstr("CLSCTX_INPROC_SERVER"));
}

// ---- CoCreateInstance ----

class CoCreateInstanceTest : public RuntimeTest {};

TEST_F(CoCreateInstanceTest, NullPpvIsEPointer) {
  RecordProperty("requirements", "COM-004");  // reference/SPEC.md
  RegisterServer(CLSID_TestGoodServer, "good_server");
  EXPECT_HR(E_POINTER,
            CoCreateInstance(CLSID_TestGoodServer, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, nullptr));
  const std::string error = syncmgr::com::LastActivationError();
  EXPECT_THAT(error, HasSubstr(FormatGuid(CLSID_TestGoodServer)));
  EXPECT_THAT(error, HasSubstr("E_POINTER (0x80004003)"));
}

TEST_F(CoCreateInstanceTest, AggregationIsRefused) {
  RecordProperty("requirements", "COM-004");  // reference/SPEC.md
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  void* object = kSentinel;
  EXPECT_HR(CLASS_E_NOAGGREGATION,
            CoCreateInstance(CLSID_HostGreeter, factory, CLSCTX_INPROC_SERVER,
                             IID_IUnknown, &object));
  EXPECT_EQ(object, nullptr);
  EXPECT_EQ(factory->create_calls.load(), 0);
  EXPECT_THAT(syncmgr::com::LastActivationError(), HasSubstr("pUnkOuter"));
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  factory->Release();
}

TEST_F(CoCreateInstanceTest, UnknownClsidIsNotRegistered) {
  RecordProperty("requirements", "COM-004");  // reference/SPEC.md
  void* object = kSentinel;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_Unregistered, nullptr, CLSCTX_INPROC_SERVER,
                             IID_IUnknown, &object));
  EXPECT_EQ(object, nullptr);
  const std::string error = syncmgr::com::LastActivationError();
  EXPECT_EQ(error,
            "CoCreateInstance({5E0B7A61-6C1D-4E0A-8F3B-2D4C5B6A7F02}): "
            "REGDB_E_CLASSNOTREG (0x80040154): no class object or "
            "in-proc server is registered for this CLSID");
}

TEST_F(CoCreateInstanceTest, NeedsTheInprocServerContext) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  struct Case {
    DWORD clsctx;
    HRESULT expected;
  };
  const Case kCases[] = {
      {CLSCTX_INPROC_SERVER, S_OK},
      {CLSCTX_INPROC, S_OK},
      {CLSCTX_SERVER, S_OK},
      {CLSCTX_ALL, S_OK},
      {0, REGDB_E_CLASSNOTREG},
      {CLSCTX_INPROC_HANDLER, REGDB_E_CLASSNOTREG},
      {CLSCTX_LOCAL_SERVER, REGDB_E_CLASSNOTREG},
      {CLSCTX_REMOTE_SERVER, REGDB_E_CLASSNOTREG},
      {CLSCTX_LOCAL_SERVER | CLSCTX_REMOTE_SERVER, REGDB_E_CLASSNOTREG},
  };
  for (const Case& c : kCases) {
    ComPtr<ITestCounter> counter;
    EXPECT_HR(c.expected,
              CoCreateInstance(CLSID_TestGoodServer, nullptr, c.clsctx,
                               IID_PPV_ARGS(counter.Put())))
        << "dwClsContext 0x" << std::hex << c.clsctx;
    EXPECT_EQ(counter.Get() != nullptr, c.expected == S_OK);
  }
}

TEST_F(CoCreateInstanceTest, CreatesPluginObjects) {
  RecordProperty("requirements", "REG-002");  // reference/SPEC.md
  RegisterServer(CLSID_TestGoodServer, "good_server");
  ComPtr<ITestGreeter> greeter;
  ASSERT_HR(S_OK, CoCreateInstance(CLSID_TestGoodServer, nullptr,
                                   CLSCTX_INPROC_SERVER,
                                   IID_PPV_ARGS(greeter.Put())));
  ASSERT_TRUE(greeter);
  ComPtr<ITestCounter> counter;
  ASSERT_HR(S_OK, greeter.As(&counter));
  EXPECT_EQ(counter->Increment(), 1u);
  EXPECT_EQ(counter->Increment(), 2u);
  EXPECT_EQ(LiveObjects(), objects_at_start_)
      << "plug-in objects count in the plug-in's module, not the host's";
}

TEST_F(CoCreateInstanceTest, UnsupportedInterfaceIsNoInterface) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  void* object = kSentinel;
  EXPECT_HR(E_NOINTERFACE,
            CoCreateInstance(CLSID_TestGoodServer, nullptr,
                             CLSCTX_INPROC_SERVER, IID_Unimplemented, &object));
  EXPECT_EQ(object, nullptr);
  EXPECT_THAT(syncmgr::com::LastActivationError(),
              HasSubstr("IClassFactory::CreateInstance(" +
                        FormatGuid(IID_Unimplemented) + ")"));
  EXPECT_HR(S_OK, syncmgr::com::InprocServerCanUnloadNow(Plugin("good_server")))
      << "the class factory was not released";
}

TEST_F(CoCreateInstanceTest, FactoryFailurePassesThrough) {
  RegisterServer(CLSID_TestFailingFactory, "failing_factory");
  void* object = kSentinel;
  EXPECT_HR(E_OUTOFMEMORY,
            CoCreateInstance(CLSID_TestFailingFactory, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object));
  EXPECT_EQ(object, nullptr);
  const std::string error = syncmgr::com::LastActivationError();
  EXPECT_THAT(error, StartsWith("CoCreateInstance(" +
                                FormatGuid(CLSID_TestFailingFactory) +
                                "): E_OUTOFMEMORY (0x8007000E): "));
  EXPECT_THAT(error, HasSubstr("IClassFactory::CreateInstance"));
  EXPECT_THAT(error, HasSubstr(Plugin("failing_factory")));
}

TEST_F(CoCreateInstanceTest, NullObjectFromFactoryIsUnexpected) {
  RecordProperty("requirements", "COM-004");  // reference/SPEC.md
  RegisterServer(CLSID_TestNullObject, "null_factory");
  void* object = kSentinel;
  EXPECT_HR(E_UNEXPECTED,
            CoCreateInstance(CLSID_TestNullObject, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object));
  EXPECT_EQ(object, nullptr);
  const std::string error = syncmgr::com::LastActivationError();
  EXPECT_THAT(error, HasSubstr(FormatGuid(CLSID_TestNullObject)));
  EXPECT_THAT(error, HasSubstr("E_UNEXPECTED (0x8000FFFF)"));
  EXPECT_THAT(error, HasSubstr("IClassFactory::CreateInstance"));
  EXPECT_THAT(error, HasSubstr("with a NULL pointer"));
  EXPECT_THAT(error, HasSubstr(Plugin("null_factory")));
  EXPECT_HR(S_OK,
            syncmgr::com::InprocServerCanUnloadNow(Plugin("null_factory")))
      << "the class factory was not released";
}

TEST_F(CoCreateInstanceTest, FactoryMayCallBackIntoTheRuntime) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  HRESULT revoked = E_FAIL;
  HRESULT nested = E_FAIL;
  // Runs inside CreateInstance: no lock of the runtime may be held.
  factory->on_create = [&] {
    revoked = CoRevokeClassObject(cookie);
    ComPtr<ITestCounter> other;
    nested = CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                              IID_PPV_ARGS(other.Put()));
  };
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  ComPtr<ITestCounter> counter;
  EXPECT_HR(S_OK,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_PPV_ARGS(counter.Put())));
  EXPECT_HR(S_OK, revoked);
  EXPECT_HR(REGDB_E_CLASSNOTREG, nested) << "it was revoked just before";
  EXPECT_EQ(RefCount(factory), 1u)
      << "the registration's reference is released once the activation ends";
  counter.Reset();
  factory->Release();
}

// ---- RegisterInprocServer, UnregisterInprocServer ----

class RegisterInprocServerTest : public RuntimeTest {};

TEST_F(RegisterInprocServerTest, MissingFileIsDllNotFound) {
  const std::string path = "reference/com/testdata/does_not_exist.so";
  std::string error;
  EXPECT_HR(CO_E_DLLNOTFOUND, syncmgr::com::RegisterInprocServer(
                                  CLSID_TestGoodServer, path, &error));
  EXPECT_THAT(error, StartsWith("RegisterInprocServer(" +
                                FormatGuid(CLSID_TestGoodServer) +
                                "): CO_E_DLLNOTFOUND (0x800401F8): "));
  EXPECT_THAT(error, HasSubstr(path));
  EXPECT_THAT(error, HasSubstr("No such file or directory"));  // dlerror()
  EXPECT_THAT(error, Not(HasSubstr("\n")));
  EXPECT_EQ(error, syncmgr::com::LastActivationError());
  void* object = kSentinel;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_TestGoodServer, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object))
      << "a failed registration registers nothing";
}

TEST_F(RegisterInprocServerTest, TextFileIsDllNotFound) {
  RecordProperty("requirements", "COM-004");  // reference/SPEC.md
  const std::string path = Plugin("not_a_plugin");
  std::string error;
  EXPECT_HR(CO_E_DLLNOTFOUND, syncmgr::com::RegisterInprocServer(
                                  CLSID_TestGoodServer, path, &error));
  EXPECT_THAT(error, HasSubstr(path));
  EXPECT_THAT(error, HasSubstr("invalid ELF header"));  // dlerror()
}

TEST_F(RegisterInprocServerTest, EmptyPathIsDllNotFound) {
  std::string error;
  EXPECT_HR(CO_E_DLLNOTFOUND, syncmgr::com::RegisterInprocServer(
                                  CLSID_TestGoodServer, "", &error));
  EXPECT_THAT(error, HasSubstr("empty path"));
}

TEST_F(RegisterInprocServerTest, NoDllGetClassObjectIsErrorInDll) {
  RecordProperty("requirements", "COM-004 REG-002");  // reference/SPEC.md
  const std::string path = Plugin("no_entry_point");
  std::string error;
  EXPECT_HR(CO_E_ERRORINDLL, syncmgr::com::RegisterInprocServer(
                                 CLSID_TestGoodServer, path, &error));
  EXPECT_THAT(error, StartsWith("RegisterInprocServer(" +
                                FormatGuid(CLSID_TestGoodServer) +
                                "): CO_E_ERRORINDLL (0x800401F9): "));
  EXPECT_THAT(error, HasSubstr(path));
  EXPECT_THAT(error, HasSubstr("does not export DllGetClassObject"));
}

TEST_F(RegisterInprocServerTest, NullErrorIsAllowed) {
  EXPECT_HR(CO_E_DLLNOTFOUND,
            syncmgr::com::RegisterInprocServer(
                CLSID_TestGoodServer, "/nonexistent/plugin.so", nullptr));
  EXPECT_THAT(syncmgr::com::LastActivationError(),
              HasSubstr("/nonexistent/plugin.so"));
}

TEST_F(RegisterInprocServerTest, ReRegisteringReplacesThePath) {
  // good_server.so does not serve CLSID_TestFailingFactory.
  RegisterServer(CLSID_TestFailingFactory, "good_server");
  void* object = kSentinel;
  EXPECT_HR(CLASS_E_CLASSNOTAVAILABLE,
            CoCreateInstance(CLSID_TestFailingFactory, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object));
  EXPECT_THAT(syncmgr::com::LastActivationError(),
              HasSubstr(Plugin("good_server")));
  RegisterServer(CLSID_TestFailingFactory, "failing_factory");
  EXPECT_HR(E_OUTOFMEMORY,
            CoCreateInstance(CLSID_TestFailingFactory, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object));
  EXPECT_THAT(syncmgr::com::LastActivationError(),
              HasSubstr(Plugin("failing_factory")));
}

TEST_F(RegisterInprocServerTest, UnregisterSaysWhetherItWasRegistered) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  EXPECT_HR(S_OK, syncmgr::com::UnregisterInprocServer(CLSID_TestGoodServer));
  EXPECT_HR(S_FALSE,
            syncmgr::com::UnregisterInprocServer(CLSID_TestGoodServer));
  EXPECT_HR(S_FALSE, syncmgr::com::UnregisterInprocServer(CLSID_Unregistered));
  void* object = kSentinel;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_TestGoodServer, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object));
}

// ---- InprocServerCanUnloadNow ----

class InprocServerCanUnloadNowTest : public RuntimeTest {};

TEST_F(InprocServerCanUnloadNowTest, NeverLoadedIsDllNotFound) {
  EXPECT_HR(CO_E_DLLNOTFOUND,
            syncmgr::com::InprocServerCanUnloadNow("never/loaded.so"));
  std::string error;
  ASSERT_HR(CO_E_DLLNOTFOUND,
            syncmgr::com::RegisterInprocServer(CLSID_TestGoodServer,
                                               Plugin("not_a_plugin"), &error));
  EXPECT_HR(CO_E_DLLNOTFOUND,
            syncmgr::com::InprocServerCanUnloadNow(Plugin("not_a_plugin")));
}

TEST_F(InprocServerCanUnloadNowTest, FollowsLiveObjectsAndLocks) {
  RecordProperty("requirements", "COM-006");  // reference/SPEC.md
  const std::string path = Plugin("good_server");
  RegisterServer(CLSID_TestGoodServer, "good_server");
  EXPECT_HR(S_OK, syncmgr::com::InprocServerCanUnloadNow(path));

  ComPtr<ITestCounter> counter;
  ASSERT_HR(S_OK, CoCreateInstance(CLSID_TestGoodServer, nullptr,
                                   CLSCTX_INPROC_SERVER,
                                   IID_PPV_ARGS(counter.Put())));
  EXPECT_HR(S_FALSE, syncmgr::com::InprocServerCanUnloadNow(path))
      << "an object is alive";
  counter.Reset();
  EXPECT_HR(S_OK, syncmgr::com::InprocServerCanUnloadNow(path));

  ComPtr<IClassFactory> factory;
  ASSERT_HR(S_OK, CoGetClassObject(CLSID_TestGoodServer, CLSCTX_INPROC_SERVER,
                                   nullptr, IID_PPV_ARGS(factory.Put())));
  EXPECT_HR(S_OK, factory->LockServer(TRUE));
  factory.Reset();
  EXPECT_HR(S_FALSE, syncmgr::com::InprocServerCanUnloadNow(path))
      << "the server is locked";
  ASSERT_HR(S_OK, CoGetClassObject(CLSID_TestGoodServer, CLSCTX_INPROC_SERVER,
                                   nullptr, IID_PPV_ARGS(factory.Put())));
  EXPECT_HR(S_OK, factory->LockServer(FALSE));
  factory.Reset();
  EXPECT_HR(S_OK, syncmgr::com::InprocServerCanUnloadNow(path));
}

TEST_F(InprocServerCanUnloadNowTest, NoExportIsSFalse) {
  RegisterServer(CLSID_TestFailingFactory, "failing_factory");
  EXPECT_HR(S_FALSE,
            syncmgr::com::InprocServerCanUnloadNow(Plugin("failing_factory")));
}

// ---- LoadInprocServer ----

class LoadInprocServerTest : public RuntimeTest {};

TEST_F(LoadInprocServerTest, ReturnsTheEntryPoints) {
  DllGetClassObjectFn get_class_object = nullptr;
  DllCanUnloadNowFn can_unload = nullptr;
  std::string error;
  ASSERT_HR(S_OK,
            syncmgr::com::LoadInprocServer(
                Plugin("good_server"), &get_class_object, &can_unload, &error))
      << error;
  ASSERT_NE(get_class_object, nullptr);
  ASSERT_NE(can_unload, nullptr);
  ComPtr<IClassFactory> factory;
  EXPECT_HR(S_OK, get_class_object(CLSID_TestGoodServer,
                                   IID_PPV_ARGS(factory.Put())));
  EXPECT_HR(S_FALSE, can_unload());
  factory.Reset();
  EXPECT_HR(S_OK, can_unload());

  void* object = kSentinel;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_TestGoodServer, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object))
      << "loading registers no CLSID";
}

TEST_F(LoadInprocServerTest, CanUnloadIsNullWithoutTheExport) {
  DllGetClassObjectFn get_class_object = nullptr;
  auto can_unload = reinterpret_cast<DllCanUnloadNowFn>(kSentinel);
  ASSERT_HR(S_OK, syncmgr::com::LoadInprocServer(Plugin("failing_factory"),
                                                 &get_class_object, &can_unload,
                                                 nullptr));
  EXPECT_NE(get_class_object, nullptr);
  EXPECT_EQ(can_unload, nullptr);
  get_class_object = nullptr;
  EXPECT_HR(S_OK,
            syncmgr::com::LoadInprocServer(Plugin("good_server"),
                                           &get_class_object, nullptr, nullptr))
      << "can_unload may be null";
  EXPECT_NE(get_class_object, nullptr);
}

TEST_F(LoadInprocServerTest, Failures) {
  struct Case {
    std::string path;
    HRESULT expected;
    const char* reason;
  };
  const Case kCases[] = {
      {"reference/com/testdata/missing.so", CO_E_DLLNOTFOUND,
       "No such file or directory"},
      {Plugin("not_a_plugin"), CO_E_DLLNOTFOUND, "invalid ELF header"},
      {Plugin("no_entry_point"), CO_E_ERRORINDLL,
       "does not export DllGetClassObject"},
  };
  for (const Case& c : kCases) {
    auto get_class_object = reinterpret_cast<DllGetClassObjectFn>(kSentinel);
    auto can_unload = reinterpret_cast<DllCanUnloadNowFn>(kSentinel);
    std::string error;
    EXPECT_HR(c.expected, syncmgr::com::LoadInprocServer(
                              c.path, &get_class_object, &can_unload, &error))
        << c.path;
    EXPECT_EQ(get_class_object, nullptr) << c.path;
    EXPECT_EQ(can_unload, nullptr) << c.path;
    EXPECT_THAT(error, HasSubstr(c.path));
    EXPECT_THAT(error, HasSubstr(c.reason));
  }
}

TEST_F(LoadInprocServerTest, NullGetClassObjectOutIsEPointer) {
  EXPECT_HR(E_POINTER, syncmgr::com::LoadInprocServer(
                           Plugin("good_server"), nullptr, nullptr, nullptr));
}

// ---- ResetRegistrations ----

class ResetRegistrationsTest : public RuntimeTest {};

TEST_F(ResetRegistrationsTest, ReleasesClassObjectsAndForgetsServers) {
  auto* factory = new CountingFactory;
  DWORD cookie = 0;
  ASSERT_HR(S_OK, CoRegisterClassObject(CLSID_HostGreeter, factory,
                                        CLSCTX_INPROC_SERVER,
                                        REGCLS_MULTIPLEUSE, &cookie));
  RegisterServer(CLSID_TestGoodServer, "good_server");
  syncmgr::com::ResetRegistrations();
  EXPECT_EQ(RefCount(factory), 1u);
  EXPECT_HR(CO_E_OBJNOTREG, CoRevokeClassObject(cookie));
  void* object = kSentinel;
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                             IID_IUnknown, &object));
  EXPECT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_TestGoodServer, nullptr,
                             CLSCTX_INPROC_SERVER, IID_IUnknown, &object));
  EXPECT_HR(S_OK, syncmgr::com::InprocServerCanUnloadNow(Plugin("good_server")))
      << "the shared object stays loaded";
  factory->Release();
}

// ---- LastActivationError ----

class LastActivationErrorTest : public RuntimeTest {};

TEST_F(LastActivationErrorTest, SuccessDoesNotClearIt) {
  void* object = kSentinel;
  ASSERT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_Unregistered, nullptr, CLSCTX_INPROC_SERVER,
                             IID_IUnknown, &object));
  const std::string error = syncmgr::com::LastActivationError();
  RegisterServer(CLSID_TestGoodServer, "good_server");
  ComPtr<ITestCounter> counter;
  ASSERT_HR(S_OK, CoCreateInstance(CLSID_TestGoodServer, nullptr,
                                   CLSCTX_INPROC_SERVER,
                                   IID_PPV_ARGS(counter.Put())));
  EXPECT_EQ(syncmgr::com::LastActivationError(), error);
}

TEST_F(LastActivationErrorTest, IsPerThread) {
  void* object = kSentinel;
  ASSERT_HR(REGDB_E_CLASSNOTREG,
            CoCreateInstance(CLSID_Unregistered, nullptr, CLSCTX_INPROC_SERVER,
                             IID_IUnknown, &object));
  const std::string mine = syncmgr::com::LastActivationError();
  std::string fresh = "unset";
  std::string theirs;
  std::thread([&] {
    fresh = syncmgr::com::LastActivationError();
    void* other = kSentinel;
    CoCreateInstance(CLSID_HostGreeter, nullptr, CLSCTX_INPROC_SERVER,
                     IID_IUnknown, &other);
    theirs = syncmgr::com::LastActivationError();
  }).join();
  EXPECT_EQ(fresh, "") << "a new thread has no error yet";
  EXPECT_THAT(theirs, HasSubstr(FormatGuid(CLSID_HostGreeter)));
  EXPECT_EQ(syncmgr::com::LastActivationError(), mine);
  EXPECT_THAT(mine, HasSubstr(FormatGuid(CLSID_Unregistered)));
}

// ---- CoTaskMemAlloc, CoTaskMemRealloc, CoTaskMemFree ----

class CoTaskMemTest : public RuntimeTest {};

TEST_F(CoTaskMemTest, AllocAndFreeAreCounted) {
  void* block = CoTaskMemAlloc(100);
  ASSERT_NE(block, nullptr);
  std::memset(block, 0xAB, 100);  // all of it is usable (ASan checks)
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 1);
  CoTaskMemFree(block);
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_);
}

// The task allocator knows its own blocks (HS-006: the manager checks the
// handler info it is handed); CoTaskMemFree of another allocator's block
// frees it without counting it.
TEST_F(CoTaskMemTest, KnowsItsOwnBlocks) {
  RecordProperty("requirements", "HS-006");  // reference/SPEC.md
  void* own = CoTaskMemAlloc(24);
  void* grown = CoTaskMemRealloc(CoTaskMemAlloc(8), 4096);
  void* foreign = std::malloc(24);
  ASSERT_NE(own, nullptr);
  ASSERT_NE(grown, nullptr);
  ASSERT_NE(foreign, nullptr);
  EXPECT_TRUE(syncmgr::com::IsTaskMemBlock(own));
  EXPECT_TRUE(syncmgr::com::IsTaskMemBlock(grown));
  EXPECT_FALSE(syncmgr::com::IsTaskMemBlock(foreign));
  EXPECT_FALSE(syncmgr::com::IsTaskMemBlock(nullptr));
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 2);
  CoTaskMemFree(foreign);  // freed, not counted
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 2);
  CoTaskMemFree(own);
  CoTaskMemFree(grown);
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_);
}

TEST_F(CoTaskMemTest, ZeroBytesGiveUniqueBlocks) {
  void* a = CoTaskMemAlloc(0);
  void* b = CoTaskMemAlloc(0);
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 2);
  CoTaskMemFree(a);
  CoTaskMemFree(b);
}

TEST_F(CoTaskMemTest, FreeNullDoesNothing) {
  CoTaskMemFree(nullptr);
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_);
}

TEST_F(CoTaskMemTest, ReallocFollowsRealloc) {
  auto* text = static_cast<char*>(CoTaskMemRealloc(nullptr, 4));
  ASSERT_NE(text, nullptr) << "Realloc(NULL, n) allocates";
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 1);
  std::memcpy(text, "abc", 4);
  text = static_cast<char*>(CoTaskMemRealloc(text, 4096));
  ASSERT_NE(text, nullptr);
  EXPECT_STREQ(text, "abc") << "the contents move with the block";
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 1);
  EXPECT_EQ(CoTaskMemRealloc(text, 0), nullptr) << "Realloc(p, 0) frees";
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_);
}

TEST_F(CoTaskMemTest, FailureHookFailsChosenSizes) {
  std::vector<SIZE_T> asked;
  syncmgr::com::SetTaskMemFailureHook([&asked](SIZE_T size) {
    asked.push_back(size);
    return size == 13;
  });
  EXPECT_EQ(CoTaskMemAlloc(13), nullptr);
  void* block = CoTaskMemAlloc(12);
  ASSERT_NE(block, nullptr);
  std::memcpy(block, "hello world", 12);
  EXPECT_EQ(CoTaskMemRealloc(block, 13), nullptr);
  EXPECT_STREQ(static_cast<char*>(block), "hello world")
      << "a failed Realloc leaves the block alone";
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 1);
  EXPECT_EQ(CoTaskMemRealloc(nullptr, 13), nullptr);
  EXPECT_THAT(asked, ::testing::ElementsAre(13u, 12u, 13u, 13u));

  syncmgr::com::SetTaskMemFailureHook(nullptr);
  void* bigger = CoTaskMemRealloc(block, 13);
  ASSERT_NE(bigger, nullptr) << "a cleared hook fails nothing";
  CoTaskMemFree(bigger);
  EXPECT_EQ(asked.size(), 4u) << "a cleared hook is not called";
}

TEST_F(CoTaskMemTest, PluginsUseTheHostsAllocator) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  ComPtr<ITestGreeter> greeter;
  ASSERT_HR(S_OK, CoCreateInstance(CLSID_TestGoodServer, nullptr,
                                   CLSCTX_INPROC_SERVER,
                                   IID_PPV_ARGS(greeter.Put())));
  LPOLESTR text = nullptr;
  ASSERT_HR(S_OK, greeter->Greet(&text));
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_ + 1)
      << "the plug-in's CoTaskMemAlloc is the host's";
  EXPECT_EQ(std::u16string(text), kTestGreeting);
  CoTaskMemFree(text);
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start_);

  syncmgr::com::SetTaskMemFailureHook([](SIZE_T) { return true; });
  text = reinterpret_cast<LPOLESTR>(kSentinel);
  EXPECT_HR(E_OUTOFMEMORY, greeter->Greet(&text))
      << "the host's failure hook applies to the plug-in";
  EXPECT_EQ(text, nullptr);
}

// ---- StringFromGUID2 ----

// {6295DF27-35EE-11D1-8707-00C04FD93327}
DEFINE_GUID(CLSID_SyncMgrForTest, 0x6295DF27, 0x35EE, 0x11D1, 0x87, 0x07, 0x00,
            0xC0, 0x4F, 0xD9, 0x33, 0x27);
constexpr char kSyncMgrText[] = "{6295DF27-35EE-11D1-8707-00C04FD93327}";

TEST(StringFromGUID2Test, WritesRegistryFormatAndCountsTheNul) {
  std::u16string buffer(64, u'\xFFFF');
  EXPECT_EQ(StringFromGUID2(CLSID_SyncMgrForTest, buffer.data(), 64), 39);
  EXPECT_EQ(buffer.substr(0, 38), Utf16(kSyncMgrText));
  EXPECT_EQ(buffer[38], u'\0');
  EXPECT_EQ(buffer[39], u'\xFFFF') << "nothing written past the NUL";
}

TEST(StringFromGUID2Test, ExactBufferIsEnough) {
  char16_t buffer[39];
  EXPECT_EQ(StringFromGUID2(CLSID_SyncMgrForTest, buffer, 39), 39);
  EXPECT_EQ(std::u16string(buffer), Utf16(kSyncMgrText));
}

TEST(StringFromGUID2Test, TooSmallBufferGivesZero) {
  for (int cch : {38, 1, 0, -1}) {
    std::u16string buffer(64, u'\xFFFF');
    EXPECT_EQ(StringFromGUID2(CLSID_SyncMgrForTest, buffer.data(), cch), 0)
        << "cchMax " << cch;
    EXPECT_EQ(buffer, std::u16string(64, u'\xFFFF')) << "cchMax " << cch;
  }
  EXPECT_EQ(StringFromGUID2(CLSID_SyncMgrForTest, nullptr, 39), 0);
}

// ---- CLSIDFromString, IIDFromString ----

// A GUID sentinel: the callee must overwrite (or keep) it as documented.
// {01234567-89AB-CDEF-0123-456789ABCDEF}
DEFINE_GUID(GUID_Sentinel, 0x01234567, 0x89AB, 0xCDEF, 0x01, 0x23, 0x45, 0x67,
            0x89, 0xAB, 0xCD, 0xEF);

// 38 characters each, but not a braced GUID.
const char16_t* const kMalformed38[] = {
    u"(6295DF27-35EE-11D1-8707-00C04FD93327)",
    u"{6295DF27-35EE-11D1-8707-00C04FD93327)",
    u"{6295DF27+35EE-11D1-8707-00C04FD93327}",
    u"{6295DF2G-35EE-11D1-8707-00C04FD93327}",
    u"{6295DF27-35EE-11D1-870700-C04FD93327}",
    u" 6295DF27-35EE-11D1-8707-00C04FD93327 ",
    // U+0130 and U+0141 truncate to '0' and 'A' as chars: still malformed.
    u"{6295DF27-35EE-11D1-8707-\u0130\u0130C04FD93327}",
    u"{6295DF27-35EE-11D1-8707-00C04FD9332\u0141}",
};
// Not 38 characters.
const char16_t* const kWrongLength[] = {
    u"",
    u"{",
    u"6295DF27-35EE-11D1-8707-00C04FD93327",
    u"{6295DF27-35EE-11D1-8707-00C04FD93327",
    u"{6295DF27-35EE-11D1-8707-00C04FD93327}x",
    u"{6295DF27-35EE-11D1-8707-00C04FD933270}",
    u"{{6295DF27-35EE-11D1-8707-00C04FD93327}}",
};

TEST(CLSIDFromStringTest, ReadsRegistryFormat) {
  CLSID clsid = GUID_Sentinel;
  const std::u16string text = Utf16(kSyncMgrText);
  EXPECT_HR(S_OK, CLSIDFromString(text.c_str(), &clsid));
  EXPECT_EQ(clsid, CLSID_SyncMgrForTest);
  clsid = GUID_Sentinel;
  EXPECT_HR(S_OK,
            CLSIDFromString(u"{6295df27-35ee-11d1-8707-00c04fd93327}", &clsid))
      << "hex digits of either case";
  EXPECT_EQ(clsid, CLSID_SyncMgrForTest);
}

TEST(CLSIDFromStringTest, RoundTripsStringFromGUID2) {
  const GUID guids[] = {
      GUID_NULL,
      GUID_Sentinel,
      IID_IUnknown,
      CLSID_TestGoodServer,
      {0xFFFFFFFF, 0xFFFF, 0xFFFF, {255, 255, 255, 255, 255, 255, 255, 255}}};
  for (const GUID& guid : guids) {
    char16_t text[39];
    ASSERT_EQ(StringFromGUID2(guid, text, 39), 39);
    CLSID clsid = GUID_Sentinel;
    EXPECT_HR(S_OK, CLSIDFromString(text, &clsid)) << guid;
    EXPECT_EQ(clsid, guid);
  }
}

TEST(CLSIDFromStringTest, MalformedTextIsClassString) {
  for (size_t i = 0; i < std::size(kMalformed38); ++i) {
    CLSID clsid = GUID_Sentinel;
    EXPECT_HR(CO_E_CLASSSTRING, CLSIDFromString(kMalformed38[i], &clsid))
        << "kMalformed38[" << i << "]";
    EXPECT_EQ(clsid, CLSID_NULL) << "kMalformed38[" << i << "]";
  }
  for (size_t i = 0; i < std::size(kWrongLength); ++i) {
    CLSID clsid = GUID_Sentinel;
    EXPECT_HR(CO_E_CLASSSTRING, CLSIDFromString(kWrongLength[i], &clsid))
        << "kWrongLength[" << i << "]";
    EXPECT_EQ(clsid, CLSID_NULL) << "kWrongLength[" << i << "]";
  }
}

TEST(CLSIDFromStringTest, NullArguments) {
  CLSID clsid = GUID_Sentinel;
  EXPECT_HR(S_OK, CLSIDFromString(nullptr, &clsid));
  EXPECT_EQ(clsid, CLSID_NULL);
  EXPECT_HR(E_INVALIDARG, CLSIDFromString(u"{}", nullptr));
}

TEST(IIDFromStringTest, ReadsRegistryFormat) {
  IID iid = GUID_Sentinel;
  EXPECT_HR(S_OK,
            IIDFromString(u"{00000001-0000-0000-c000-000000000046}", &iid));
  EXPECT_EQ(iid, IID_IClassFactory);
}

TEST(IIDFromStringTest, MalformedTextIsIidString) {
  for (size_t i = 0; i < std::size(kMalformed38); ++i) {
    IID iid = GUID_Sentinel;
    EXPECT_HR(CO_E_IIDSTRING, IIDFromString(kMalformed38[i], &iid))
        << "kMalformed38[" << i << "]";
    EXPECT_EQ(iid, IID_NULL) << "kMalformed38[" << i << "]";
  }
}

TEST(IIDFromStringTest, WrongLengthIsInvalidArg) {
  for (size_t i = 0; i < std::size(kWrongLength); ++i) {
    IID iid = GUID_Sentinel;
    EXPECT_HR(E_INVALIDARG, IIDFromString(kWrongLength[i], &iid))
        << "kWrongLength[" << i << "]";
    EXPECT_EQ(iid, GUID_Sentinel) << "kWrongLength[" << i << "] left alone";
  }
}

TEST(IIDFromStringTest, NullArguments) {
  IID iid = GUID_Sentinel;
  EXPECT_HR(S_OK, IIDFromString(nullptr, &iid));
  EXPECT_EQ(iid, IID_NULL);
  EXPECT_HR(E_INVALIDARG, IIDFromString(u"{}", nullptr));
}

// ---- object.h: Object<> ----

class ObjectTest : public RuntimeTest {};

TEST_F(ObjectTest, QueryInterfaceFindsEveryListedInterface) {
  auto* object = new HostGreeter;
  void* greeter = kSentinel;
  void* counter = kSentinel;
  ASSERT_HR(S_OK, object->QueryInterface(IID_ITestGreeter, &greeter));
  ASSERT_HR(S_OK, object->QueryInterface(IID_ITestCounter, &counter));
  EXPECT_EQ(greeter, static_cast<ITestGreeter*>(object));
  EXPECT_EQ(counter, static_cast<ITestCounter*>(object));
  EXPECT_EQ(RefCount(static_cast<ITestGreeter*>(object)), 3u)
      << "each successful QueryInterface adds a reference";
  static_cast<ITestGreeter*>(greeter)->Release();
  static_cast<ITestCounter*>(counter)->Release();
  EXPECT_EQ(static_cast<ITestGreeter*>(object)->Release(), 0u);
}

TEST_F(ObjectTest, UnknownInterfaceIsNoInterface) {
  RecordProperty("requirements", "COM-001");  // reference/SPEC.md
  ComPtr<ITestGreeter> object = ComPtr<ITestGreeter>::Adopt(new HostGreeter);
  void* out = kSentinel;
  EXPECT_HR(E_NOINTERFACE, object->QueryInterface(IID_IClassFactory, &out));
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(RefCount(object.Get()), 1u) << "no reference added";
}

TEST_F(ObjectTest, NullPpvIsEPointer) {
  RecordProperty("requirements", "COM-001");  // reference/SPEC.md
  ComPtr<ITestGreeter> object = ComPtr<ITestGreeter>::Adopt(new HostGreeter);
  EXPECT_HR(E_POINTER, object->QueryInterface(IID_ITestCounter, nullptr));
  EXPECT_HR(E_POINTER, object->QueryInterface(IID_IUnknown, nullptr));
}

// COM identity: IUnknown from any interface is one pointer.
void ExpectIUnknownIdentity(ITestGreeter* greeter, ITestCounter* counter) {
  ASSERT_NE(static_cast<void*>(greeter), static_cast<void*>(counter))
      << "two interfaces of one object live at different addresses";
  ComPtr<IUnknown> from_greeter;
  ComPtr<IUnknown> from_counter;
  ASSERT_HR(S_OK, greeter->QueryInterface(IID_PPV_ARGS(from_greeter.Put())));
  ASSERT_HR(S_OK, counter->QueryInterface(IID_PPV_ARGS(from_counter.Put())));
  EXPECT_EQ(from_greeter.Get(), from_counter.Get());
}

TEST_F(ObjectTest, IUnknownIdentity) {
  RecordProperty("requirements", "COM-002");  // reference/SPEC.md
  ComPtr<ITestGreeter> greeter = ComPtr<ITestGreeter>::Adopt(new HostGreeter);
  ComPtr<ITestCounter> counter;
  ASSERT_HR(S_OK, greeter.As(&counter));
  ExpectIUnknownIdentity(greeter.Get(), counter.Get());
}

TEST_F(ObjectTest, IUnknownIdentityOfPluginObjects) {
  RegisterServer(CLSID_TestGoodServer, "good_server");
  ComPtr<ITestGreeter> greeter;
  ASSERT_HR(S_OK, CoCreateInstance(CLSID_TestGoodServer, nullptr,
                                   CLSCTX_INPROC_SERVER,
                                   IID_PPV_ARGS(greeter.Put())));
  ComPtr<ITestCounter> counter;
  ASSERT_HR(S_OK, greeter.As(&counter));
  ExpectIUnknownIdentity(greeter.Get(), counter.Get());
}

// {5E0B7A61-6C1D-4E0A-8F3B-2D4C5B6A7F04}
DEFINE_GUID(IID_ITestCounterAlias, 0x5E0B7A61, 0x6C1D, 0x4E0A, 0x8F, 0x3B, 0x2D,
            0x4C, 0x5B, 0x6A, 0x7F, 0x04);

class WithAlias final : public Object<ITestCounter> {
 public:
  ULONG STDMETHODCALLTYPE Increment() override { return 7; }

 protected:
  bool QueryOtherInterface(REFIID riid, void** ppv) override {
    if (!IsEqualIID(riid, IID_ITestCounterAlias)) return false;
    *ppv = static_cast<ITestCounter*>(this);
    return true;
  }
};

TEST_F(ObjectTest, QueryOtherInterfaceAnswersExtraIids) {
  ComPtr<ITestCounter> object = ComPtr<ITestCounter>::Adopt(new WithAlias);
  void* alias = kSentinel;
  ASSERT_HR(S_OK, object->QueryInterface(IID_ITestCounterAlias, &alias));
  EXPECT_EQ(alias, object.Get());
  EXPECT_EQ(RefCount(object.Get()), 2u) << "QueryInterface added a reference";
  static_cast<ITestCounter*>(alias)->Release();
  void* other = kSentinel;
  EXPECT_HR(E_NOINTERFACE, object->QueryInterface(IID_Unimplemented, &other));
  EXPECT_EQ(other, nullptr);
}

TEST_F(ObjectTest, CountsReferencesAndLiveObjects) {
  RecordProperty("requirements", "COM-003");  // reference/SPEC.md
  auto* object = new HostGreeter;
  EXPECT_EQ(LiveObjects(), objects_at_start_ + 1);
  ITestGreeter* greeter = object;
  EXPECT_EQ(greeter->AddRef(), 2u);
  EXPECT_EQ(greeter->AddRef(), 3u);
  EXPECT_EQ(greeter->Release(), 2u);
  EXPECT_EQ(greeter->Release(), 1u);
  EXPECT_EQ(LiveObjects(), objects_at_start_ + 1);
  EXPECT_EQ(greeter->Release(), 0u);
  EXPECT_EQ(LiveObjects(), objects_at_start_) << "deleted at zero";
}

TEST_F(ObjectTest, CreateObjectChecksItsArguments) {
  EXPECT_HR(E_POINTER,
            syncmgr::com::CreateObject<HostGreeter>(IID_ITestGreeter, nullptr));
  void* out = kSentinel;
  EXPECT_HR(E_NOINTERFACE,
            syncmgr::com::CreateObject<HostGreeter>(IID_Unimplemented, &out));
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(LiveObjects(), objects_at_start_) << "the new object was freed";
  ASSERT_HR(S_OK,
            syncmgr::com::CreateObject<HostGreeter>(IID_ITestCounter, &out));
  EXPECT_EQ(static_cast<ITestCounter*>(out)->Release(), 0u)
      << "the caller holds the only reference";
}

// ---- object.h: ClassFactory<>, GetClassObjectFor<>, ModuleCanUnloadNow ----

class ClassFactoryTest : public RuntimeTest {};

TEST_F(ClassFactoryTest, CreateInstanceChecksItsArguments) {
  RecordProperty("requirements", "COM-007");  // reference/SPEC.md
  ComPtr<IClassFactory> factory =
      ComPtr<IClassFactory>::Adopt(new ClassFactory<HostGreeter>);
  void* out = kSentinel;
  EXPECT_HR(CLASS_E_NOAGGREGATION,
            factory->CreateInstance(factory.Get(), IID_IUnknown, &out));
  EXPECT_EQ(out, nullptr);
  EXPECT_HR(E_POINTER, factory->CreateInstance(nullptr, IID_IUnknown, nullptr));
  ComPtr<ITestGreeter> greeter;
  EXPECT_HR(S_OK,
            factory->CreateInstance(nullptr, IID_PPV_ARGS(greeter.Put())));
  EXPECT_TRUE(greeter);
}

TEST_F(ClassFactoryTest, LockServerHoldsTheModule) {
  RecordProperty("requirements", "COM-006");  // reference/SPEC.md
  ASSERT_EQ(LiveObjects(), 0) << "the host module must start empty";
  EXPECT_HR(S_OK, syncmgr::com::ModuleCanUnloadNow());
  ComPtr<IClassFactory> factory =
      ComPtr<IClassFactory>::Adopt(new ClassFactory<HostGreeter>);
  EXPECT_HR(S_FALSE, syncmgr::com::ModuleCanUnloadNow()) << "factory alive";
  EXPECT_HR(S_OK, factory->LockServer(TRUE));
  factory.Reset();
  EXPECT_HR(S_FALSE, syncmgr::com::ModuleCanUnloadNow()) << "locked";
  factory = ComPtr<IClassFactory>::Adopt(new ClassFactory<HostGreeter>);
  EXPECT_HR(S_OK, factory->LockServer(FALSE));
  factory.Reset();
  EXPECT_HR(S_OK, syncmgr::com::ModuleCanUnloadNow());
}

TEST_F(ClassFactoryTest, GetClassObjectForServesOneClsid) {
  RecordProperty("requirements", "COM-005");  // reference/SPEC.md
  void* out = kSentinel;
  EXPECT_HR(
      CLASS_E_CLASSNOTAVAILABLE,
      syncmgr::com::GetClassObjectFor<HostGreeter>(
          CLSID_HostGreeter, CLSID_Unregistered, IID_IClassFactory, &out));
  EXPECT_EQ(out, nullptr);
  EXPECT_HR(E_POINTER, syncmgr::com::GetClassObjectFor<HostGreeter>(
                           CLSID_HostGreeter, CLSID_HostGreeter,
                           IID_IClassFactory, nullptr));
  ComPtr<IClassFactory> factory;
  EXPECT_HR(S_OK, syncmgr::com::GetClassObjectFor<HostGreeter>(
                      CLSID_HostGreeter, CLSID_HostGreeter,
                      IID_PPV_ARGS(factory.Put())));
  EXPECT_TRUE(factory);
}

// ---- object.h: ComPtr<> ----

class ComPtrTest : public RuntimeTest {};

TEST_F(ComPtrTest, AdoptTakesOverAndDestructorReleases) {
  {
    ComPtr<ITestGreeter> p = ComPtr<ITestGreeter>::Adopt(new HostGreeter);
    EXPECT_EQ(RefCount(p.Get()), 1u);
    EXPECT_EQ(LiveObjects(), objects_at_start_ + 1);
  }
  EXPECT_EQ(LiveObjects(), objects_at_start_);
}

TEST_F(ComPtrTest, CopyAddsAReferenceMoveDoesNot) {
  ComPtr<ITestGreeter> a = ComPtr<ITestGreeter>::Adopt(new HostGreeter);
  ComPtr<ITestGreeter> b = a;
  EXPECT_EQ(a.Get(), b.Get());
  EXPECT_EQ(RefCount(a.Get()), 2u);
  ComPtr<ITestGreeter> c = std::move(b);
  EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(RefCount(a.Get()), 2u);
  c = nullptr;
  EXPECT_EQ(RefCount(a.Get()), 1u);
  ComPtr<ITestGreeter>& same = a;
  a = same;  // self-assignment keeps the reference
  EXPECT_EQ(RefCount(a.Get()), 1u);
}

TEST_F(ComPtrTest, ResetDetachAndPut) {
  ComPtr<ITestGreeter> p = ComPtr<ITestGreeter>::Adopt(new HostGreeter);
  ITestGreeter* raw = p.Detach();
  EXPECT_FALSE(p);
  EXPECT_EQ(RefCount(raw), 1u) << "Detach does not release";
  p = ComPtr<ITestGreeter>::Adopt(raw);
  ITestGreeter** slot = p.Put();
  EXPECT_EQ(*slot, nullptr) << "Put releases the old pointer first";
  EXPECT_EQ(LiveObjects(), objects_at_start_);
  *slot = new HostGreeter;
  EXPECT_TRUE(p);
  p.Reset();
  EXPECT_FALSE(p);
  EXPECT_EQ(LiveObjects(), objects_at_start_);
}

TEST_F(ComPtrTest, AsQueriesForTheTargetInterface) {
  ComPtr<ITestGreeter> greeter = ComPtr<ITestGreeter>::Adopt(new HostGreeter);
  ComPtr<ITestCounter> counter;
  EXPECT_HR(S_OK, greeter.As(&counter));
  EXPECT_EQ(counter->Increment(), 1u);
  ComPtr<IClassFactory> factory;
  EXPECT_HR(E_NOINTERFACE, greeter.As(&factory));
  EXPECT_FALSE(factory);
  ComPtr<ITestGreeter> empty;
  EXPECT_HR(E_POINTER, empty.As(&counter));
}

// ---- The plug-in contract (tools/plugin.bzl) ----

// Global symbols of an ELF shared object's dynamic symbol table.
struct DynamicSymbols {
  std::set<std::string> defined;
  std::set<std::string> undefined;
};

template <typename T>
bool ReadAt(const std::string& file, uint64_t offset, T* out) {
  if (offset > file.size() || file.size() - offset < sizeof(T)) return false;
  std::memcpy(out, file.data() + offset, sizeof(T));
  return true;
}

::testing::AssertionResult ReadDynamicSymbols(const std::string& path,
                                              DynamicSymbols* symbols) {
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  Elf64_Ehdr header;
  if (!ReadAt(file, 0, &header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != ELFCLASS64) {
    return ::testing::AssertionFailure() << path << " is not an ELF64 file";
  }
  for (int i = 0; i < header.e_shnum; ++i) {
    Elf64_Shdr section;
    if (!ReadAt(file, header.e_shoff + uint64_t{header.e_shentsize} * i,
                &section)) {
      return ::testing::AssertionFailure() << path << ": bad section header";
    }
    if (section.sh_type != SHT_DYNSYM) continue;
    Elf64_Shdr strings;
    if (!ReadAt(file,
                header.e_shoff + uint64_t{header.e_shentsize} * section.sh_link,
                &strings)) {
      return ::testing::AssertionFailure() << path << ": bad string table";
    }
    for (uint64_t offset = section.sh_offset + sizeof(Elf64_Sym);
         offset + sizeof(Elf64_Sym) <= section.sh_offset + section.sh_size;
         offset += sizeof(Elf64_Sym)) {
      Elf64_Sym symbol;
      if (!ReadAt(file, offset, &symbol) ||
          strings.sh_offset + symbol.st_name >= file.size()) {
        return ::testing::AssertionFailure() << path << ": bad symbol";
      }
      if (ELF64_ST_BIND(symbol.st_info) == STB_LOCAL) continue;
      const std::string name =
          file.c_str() + strings.sh_offset + symbol.st_name;
      if (symbol.st_shndx == SHN_UNDEF) {
        symbols->undefined.insert(name);
      } else {
        symbols->defined.insert(name);
      }
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << path << " has no .dynsym";
}

class PluginContractTest : public RuntimeTest {};

TEST_F(PluginContractTest, PluginsExportOnlyTheirEntryPoints) {
  using Names = std::set<std::string>;
  const struct {
    const char* plugin;
    Names exports;
  } kCases[] = {
      {"good_server",
       {"DllCanUnloadNow", "DllGetClassObject", "DllRegisterServer",
        "DllUnregisterServer"}},
      {"no_entry_point", {"DllCanUnloadNow"}},
      {"null_factory", {"DllCanUnloadNow", "DllGetClassObject"}},
      {"failing_factory", {"DllGetClassObject"}},
  };
  for (const auto& c : kCases) {
    DynamicSymbols symbols;
    ASSERT_TRUE(ReadDynamicSymbols(Plugin(c.plugin), &symbols));
    EXPECT_EQ(symbols.defined, c.exports) << c.plugin;
  }
}

TEST_F(PluginContractTest, PluginsLeaveCoFunctionsUndefined) {
  DynamicSymbols symbols;
  ASSERT_TRUE(ReadDynamicSymbols(Plugin("good_server"), &symbols));
  EXPECT_THAT(symbols.undefined, ::testing::Contains("CoTaskMemAlloc"));
  for (const std::string& name : symbols.defined) {
    EXPECT_THAT(name, Not(StartsWith("Co"))) << "the runtime was linked in";
  }
}

TEST_F(PluginContractTest, HostExportsCoFunctions) {
  // What a plug-in may call by name: all must be in the host's dynamic
  // symbol table (-rdynamic when linked statically).
  for (const char* name :
       {"CoInitializeEx", "CoInitialize", "CoUninitialize", "CoCreateInstance",
        "CoGetClassObject", "CoRegisterClassObject", "CoRevokeClassObject",
        "CoTaskMemAlloc", "CoTaskMemRealloc", "CoTaskMemFree",
        "StringFromGUID2", "CLSIDFromString", "IIDFromString"}) {
    dlerror();
    const void* address = dlsym(RTLD_DEFAULT, name);
    const char* error = dlerror();
    EXPECT_NE(address, nullptr) << name << ": " << (error ? error : "");
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  syncmgr::com::testing::SetPluginPathsFromArgs(argc, argv);
  return RUN_ALL_TESTS();
}
