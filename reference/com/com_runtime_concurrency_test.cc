// The COM runtime under concurrent use (run under ThreadSanitizer:
// `bazel test --config=tsan --test_tag_filters=tsan //reference/...`).
// Eight threads activate plug-in and host objects, register and revoke class
// objects, re-register an in-proc server and allocate task memory, all at
// once; afterwards every reference, lock and block must be balanced.
#include <atomic>
#include <mutex>
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

using ::syncmgr::com::ComPtr;
using ::syncmgr::com::LiveObjects;
using ::syncmgr::com::Object;
using ::syncmgr::com::OutstandingTaskMemAllocations;
using ::syncmgr::com::testing::PluginPath;

constexpr int kThreads = 8;
constexpr int kIterations = 200;

// {3B9F2E41-7A5C-4D8E-B1F0-6C2D3E4F5A01}
DEFINE_GUID(CLSID_Shared, 0x3B9F2E41, 0x7A5C, 0x4D8E, 0xB1, 0xF0, 0x6C, 0x2D,
            0x3E, 0x4F, 0x5A, 0x01);
// Thread i fails to activate CLSID {3B9F2E41-7A5C-4D8E-B1F0-6C2D3E4F5Bii}.
GUID UnregisteredClsid(int thread) {
  return {
      0x3B9F2E41,
      0x7A5C,
      0x4D8E,
      {0xB1, 0xF0, 0x6C, 0x2D, 0x3E, 0x4F, 0x5B, static_cast<BYTE>(thread)}};
}

class Counter final : public Object<ITestCounter> {
 public:
  ULONG STDMETHODCALLTYPE Increment() override { return ++calls_; }

 private:
  std::atomic<ULONG> calls_{0};
};

class CounterFactory final : public Object<IClassFactory> {
 public:
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID riid,
                                           void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    return syncmgr::com::CreateObject<Counter>(riid, ppv);
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL) override { return S_OK; }
};

ULONG RefCount(IUnknown* object) {
  object->AddRef();
  return object->Release();
}

TEST(ComRuntimeConcurrency,
     ActivationRegistrationAndAllocationFromEightThreads) {
  const std::string good_server = PluginPath("good_server");
  ASSERT_FALSE(good_server.empty()) << "no --plugin=good_server=PATH";
  syncmgr::com::ResetRegistrations();
  const long objects_at_start = LiveObjects();
  const long allocations_at_start = OutstandingTaskMemAllocations();

  std::vector<CounterFactory*> factories;
  for (int i = 0; i < kThreads; ++i) factories.push_back(new CounterFactory);

  std::mutex cookies_mutex;
  std::set<DWORD> live_cookies;  // registered right now, by any thread
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};

  auto work = [&](int thread) {
    while (!go.load()) std::this_thread::yield();
    const GUID unregistered = UnregisteredClsid(thread);
    for (int i = 0; i < kIterations; ++i) {
      // Racing loads of one plug-in and re-registrations of its CLSID.
      std::string error;
      HRESULT hr = syncmgr::com::RegisterInprocServer(CLSID_TestGoodServer,
                                                      good_server, &error);
      if (hr != S_OK) {
        ++failures;
        ADD_FAILURE() << "RegisterInprocServer: " << error;
      }

      // A plug-in object, allocating with the host's task allocator.
      ComPtr<ITestGreeter> greeter;
      hr = CoCreateInstance(CLSID_TestGoodServer, nullptr, CLSCTX_INPROC_SERVER,
                            IID_PPV_ARGS(greeter.Put()));
      if (hr != S_OK) {
        ++failures;
        ADD_FAILURE() << syncmgr::com::LastActivationError();
        continue;
      }
      LPOLESTR text = nullptr;
      if (greeter->Greet(&text) != S_OK) ++failures;
      CoTaskMemFree(text);
      greeter.Reset();

      // A class object of this thread under a CLSID all threads share: the
      // CLSID is served (by someone's registration) while ours is live, even
      // if the registration found is revoked during the activation.
      DWORD cookie = 0;
      hr = CoRegisterClassObject(CLSID_Shared, factories[thread],
                                 CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE,
                                 &cookie);
      if (hr != S_OK || cookie == 0) {
        ++failures;
        ADD_FAILURE() << "CoRegisterClassObject: "
                      << syncmgr::DescribeHresult(hr);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(cookies_mutex);
        if (!live_cookies.insert(cookie).second) {
          ++failures;
          ADD_FAILURE() << "cookie " << cookie << " handed out twice";
        }
      }
      ComPtr<ITestCounter> counter;
      hr = CoCreateInstance(CLSID_Shared, nullptr, CLSCTX_INPROC_SERVER,
                            IID_PPV_ARGS(counter.Put()));
      if (hr != S_OK || counter->Increment() != 1) {
        ++failures;
        ADD_FAILURE() << syncmgr::com::LastActivationError();
      }
      counter.Reset();
      {
        std::lock_guard<std::mutex> lock(cookies_mutex);
        live_cookies.erase(cookie);
      }
      hr = CoRevokeClassObject(cookie);
      if (hr != S_OK) {
        ++failures;
        ADD_FAILURE() << "CoRevokeClassObject: "
                      << syncmgr::DescribeHresult(hr);
      }

      // Errors stay with their thread.
      void* none = nullptr;
      if (CoCreateInstance(unregistered, nullptr, CLSCTX_INPROC_SERVER,
                           IID_IUnknown, &none) != REGDB_E_CLASSNOTREG) {
        ++failures;
      }
      const std::string last = syncmgr::com::LastActivationError();
      if (last.find(syncmgr::FormatGuid(unregistered)) == std::string::npos) {
        ++failures;
        ADD_FAILURE() << "thread " << thread
                      << " sees another's error: " << last;
      }
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(work, i);
  go = true;
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(failures.load(), 0);
  for (CounterFactory* factory : factories) {
    EXPECT_EQ(RefCount(factory), 1u) << "registrations released exactly once";
    factory->Release();
  }
  EXPECT_EQ(LiveObjects(), objects_at_start);
  EXPECT_EQ(OutstandingTaskMemAllocations(), allocations_at_start);
  EXPECT_EQ(syncmgr::com::InprocServerCanUnloadNow(good_server), S_OK)
      << "every plug-in object and class factory was released";
  syncmgr::com::ResetRegistrations();
}

// Revocations racing activations of the very registration being revoked:
// an activation either wins (S_OK) or finds nothing (REGDB_E_CLASSNOTREG),
// and the class object is released once, after its last use. Each activator
// first activates once while the class object is surely registered, then
// keeps activating while the main thread revokes and re-registers it.
TEST(ComRuntimeConcurrency, RevokeWhileActivating) {
  syncmgr::com::ResetRegistrations();
  const long objects_at_start = LiveObjects();
  auto* factory = new CounterFactory;
  constexpr int kActivators = kThreads - 1;
  constexpr int kActivations = 10 * kIterations;
  std::atomic<int> ready{0};
  std::atomic<int> finished{0};
  std::atomic<int> created{0};
  std::atomic<int> not_registered{0};
  std::atomic<int> unexpected{0};

  auto activate = [&] {
    ComPtr<ITestCounter> counter;
    const HRESULT hr =
        CoCreateInstance(CLSID_Shared, nullptr, CLSCTX_INPROC_SERVER,
                         IID_PPV_ARGS(counter.Put()));
    if (hr == S_OK && counter->Increment() == 1) {
      ++created;
    } else if (hr == REGDB_E_CLASSNOTREG) {
      ++not_registered;
    } else {
      ++unexpected;
      ADD_FAILURE() << syncmgr::com::LastActivationError();
    }
    return hr;
  };

  DWORD cookie = 0;
  ASSERT_HR(S_OK,
            CoRegisterClassObject(CLSID_Shared, factory, CLSCTX_INPROC_SERVER,
                                  REGCLS_MULTIPLEUSE, &cookie));
  std::vector<std::thread> activators;
  for (int i = 0; i < kActivators; ++i) {
    activators.emplace_back([&] {
      EXPECT_HR(S_OK, activate()) << "registered at this point";
      ++ready;
      for (int j = 0; j < kActivations; ++j) activate();
      ++finished;
    });
  }
  while (ready.load() < kActivators) std::this_thread::yield();
  int cycles = 0;
  while (finished.load() < kActivators) {
    EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
    std::this_thread::yield();
    EXPECT_HR(S_OK,
              CoRegisterClassObject(CLSID_Shared, factory, CLSCTX_INPROC_SERVER,
                                    REGCLS_MULTIPLEUSE, &cookie));
    std::this_thread::yield();
    ++cycles;
  }
  for (std::thread& t : activators) t.join();
  EXPECT_HR(S_OK, CoRevokeClassObject(cookie));
  ::testing::Test::RecordProperty("revocations", cycles);
  ::testing::Test::RecordProperty("created", created.load());
  ::testing::Test::RecordProperty("not_registered", not_registered.load());

  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(created.load() + not_registered.load(),
            kActivators * (kActivations + 1));
  EXPECT_EQ(RefCount(factory), 1u) << "registrations released exactly once";
  factory->Release();
  EXPECT_EQ(LiveObjects(), objects_at_start);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleMock(&argc, argv);
  syncmgr::com::testing::SetPluginPathsFromArgs(argc, argv);
  return RUN_ALL_TESTS();
}
