// Unit tests of the class object and in-proc server tables: cookies,
// lookup order, and who releases a class object when.
#include "reference/com/internal/class_registry.h"

#include <atomic>

#include "gtest/gtest.h"
#include "reference/com/object.h"
#include "reference/com/testdata/test_interfaces.h"

namespace syncmgr::com::internal {
namespace {

// {0D8A5B2C-1E3F-4A5B-9C6D-7E8F9A0B1C01}
DEFINE_GUID(CLSID_A, 0x0D8A5B2C, 0x1E3F, 0x4A5B, 0x9C, 0x6D, 0x7E, 0x8F, 0x9A,
            0x0B, 0x1C, 0x01);
// {0D8A5B2C-1E3F-4A5B-9C6D-7E8F9A0B1C02}
DEFINE_GUID(CLSID_B, 0x0D8A5B2C, 0x1E3F, 0x4A5B, 0x9C, 0x6D, 0x7E, 0x8F, 0x9A,
            0x0B, 0x1C, 0x02);

class Counter final : public Object<ITestCounter> {
 public:
  ULONG STDMETHODCALLTYPE Increment() override { return ++calls_; }

 private:
  std::atomic<ULONG> calls_{0};
};

// A new object, adopted (reference count 1, held by the returned ref).
ClassObjectRef NewObject() { return AdoptClassObject(new Counter); }

HRESULT FakeGetClassObject(REFCLSID, REFIID, LPVOID* ppv) {
  *ppv = nullptr;
  return CLASS_E_CLASSNOTAVAILABLE;
}

TEST(ClassRegistry, CookiesCountUpFromOne) {
  ClassRegistry registry;
  EXPECT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            1u);
  EXPECT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            2u);
  EXPECT_NE(registry.RemoveClassObject(1), nullptr);
  EXPECT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            3u)
      << "a revoked cookie is not reused right away";
  registry.Clear();
}

TEST(ClassRegistry, CookiesWrapAroundSkippingZeroAndCookiesInUse) {
  ClassRegistry registry;
  ASSERT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            1u);
  ASSERT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            2u);
  registry.SetNextCookieForTesting(0xFFFFFFFF);
  EXPECT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            0xFFFFFFFFu);
  EXPECT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            3u)
      << "0 is never a cookie, and 1 and 2 are in use";
  registry.SetNextCookieForTesting(0);
  EXPECT_NE(registry.RemoveClassObject(1), nullptr);
  EXPECT_EQ(registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject()),
            1u);
  EXPECT_EQ(registry.Clear().size(), 4u);
}

TEST(ClassRegistry, RemoveHandsBackTheLastReference) {
  const long objects = LiveObjects();
  ClassRegistry registry;
  const DWORD cookie =
      registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject());
  ClassObjectRef removed = registry.RemoveClassObject(cookie);
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(LiveObjects(), objects + 1) << "alive until the caller drops it";
  removed.reset();
  EXPECT_EQ(LiveObjects(), objects);
  EXPECT_EQ(registry.RemoveClassObject(cookie), nullptr);
}

TEST(ClassRegistry, FoundObjectsOutliveTheirRegistration) {
  const long objects = LiveObjects();
  ClassRegistry registry;
  const DWORD cookie =
      registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject());
  DWORD found_cookie = 0;
  ClassObjectRef found =
      registry.FindClassObject(CLSID_A, CLSCTX_ALL, &found_cookie);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found_cookie, cookie);
  registry.RemoveClassObject(cookie).reset();
  EXPECT_EQ(LiveObjects(), objects + 1) << "still in use";
  found.reset();
  EXPECT_EQ(LiveObjects(), objects) << "released by the last user";
}

TEST(ClassRegistry, FindMatchesClsidAndContext) {
  ClassRegistry registry;
  const DWORD local =
      registry.AddClassObject(CLSID_A, CLSCTX_LOCAL_SERVER, NewObject());
  const DWORD inproc =
      registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject());
  DWORD cookie = 0;
  EXPECT_NE(registry.FindClassObject(CLSID_A, CLSCTX_INPROC_SERVER, &cookie),
            nullptr);
  EXPECT_EQ(cookie, inproc);
  EXPECT_NE(registry.FindClassObject(CLSID_A, CLSCTX_ALL, &cookie), nullptr);
  EXPECT_EQ(cookie, local) << "the earliest registration wins";
  EXPECT_EQ(registry.FindClassObject(CLSID_B, CLSCTX_ALL, &cookie), nullptr);
  EXPECT_EQ(registry.FindClassObject(CLSID_A, CLSCTX_REMOTE_SERVER, &cookie),
            nullptr);
  registry.Clear();
}

TEST(ClassRegistry, InprocServersAreReplacedAndRemoved) {
  ClassRegistry registry;
  InprocServer server;
  EXPECT_FALSE(registry.FindInprocServer(CLSID_A, &server));
  registry.SetInprocServer(CLSID_A, {"first.so", &FakeGetClassObject});
  registry.SetInprocServer(CLSID_A, {"second.so", &FakeGetClassObject});
  ASSERT_TRUE(registry.FindInprocServer(CLSID_A, &server));
  EXPECT_EQ(server.path, "second.so");
  EXPECT_EQ(server.get_class_object, &FakeGetClassObject);
  EXPECT_FALSE(registry.FindInprocServer(CLSID_B, &server));
  EXPECT_TRUE(registry.RemoveInprocServer(CLSID_A));
  EXPECT_FALSE(registry.RemoveInprocServer(CLSID_A));
  EXPECT_FALSE(registry.FindInprocServer(CLSID_A, &server));
}

TEST(ClassRegistry, ClearForgetsEverything) {
  const long objects = LiveObjects();
  ClassRegistry registry;
  registry.AddClassObject(CLSID_A, CLSCTX_INPROC_SERVER, NewObject());
  registry.SetInprocServer(CLSID_B, {"server.so", &FakeGetClassObject});
  std::vector<ClassObjectRef> released = registry.Clear();
  EXPECT_EQ(released.size(), 1u);
  EXPECT_EQ(LiveObjects(), objects + 1) << "the caller releases them";
  released.clear();
  EXPECT_EQ(LiveObjects(), objects);
  InprocServer server;
  EXPECT_FALSE(registry.FindInprocServer(CLSID_B, &server));
  EXPECT_EQ(registry.FindClassObject(CLSID_A, CLSCTX_ALL, nullptr), nullptr);
}

TEST(ClassRegistry, AdoptingNullGivesNull) {
  EXPECT_EQ(AdoptClassObject(nullptr), nullptr);
}

}  // namespace
}  // namespace syncmgr::com::internal
