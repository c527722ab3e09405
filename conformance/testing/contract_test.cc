#include "conformance/testing/contract_test.h"

#include <gtest/gtest-spi.h>

#include <thread>

#ifndef _WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif

#include <cstdlib>
#include <sstream>

#include "reference/com/com.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"

namespace syncmgr::conformance {

using syncmgr::testing::HresultIs;

namespace {

// The suite's CLSIDs carry the process ID: on Windows, registrations with
// the Sync Manager live in the registry, shared by the tests that run at
// the same time in other processes, and one test's UpdateAll must not see
// another's handlers.
GUID SuiteClsid(BYTE last) {
#ifdef _WIN32
  const unsigned long pid = GetCurrentProcessId();
#else
  const unsigned long pid = static_cast<unsigned long>(getpid());
#endif
  return {0x5E57C0DE,
          0x0001,
          0x4000,
          {0x80, 0, static_cast<BYTE>(pid >> 24), static_cast<BYTE>(pid >> 16),
           static_cast<BYTE>(pid >> 8), static_cast<BYTE>(pid), 0, last}};
}

}  // namespace

const GUID kHandlerClsid = SuiteClsid(0x01);
const GUID kUnregisteredClsid = SuiteClsid(0xFF);

GUID ExtraHandlerClsid(int n) {
  GUID g = kHandlerClsid;
  g.Data4[6] = 0x10;
  g.Data4[7] = static_cast<BYTE>(n);
  return g;
}

GuardedBytes::GuardedBytes(size_t size) : size_(size) {
#ifdef _WIN32
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  const size_t page = info.dwPageSize;
#else
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
#endif
  const size_t data_pages = (size + page - 1) / page;
  mapped_ = (data_pages + 1) * page;
#ifdef _WIN32
  pages_ =
      VirtualAlloc(nullptr, mapped_, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  DWORD old = 0;
  if (pages_ != nullptr) {
    VirtualProtect(static_cast<BYTE*>(pages_) + data_pages * page, page,
                   PAGE_NOACCESS, &old);
  }
#else
  pages_ = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages_ == MAP_FAILED) pages_ = nullptr;
  if (pages_ != nullptr) {
    mprotect(static_cast<BYTE*>(pages_) + data_pages * page, page, PROT_NONE);
  }
#endif
  if (pages_ == nullptr) std::abort();  // the test cannot go on
  data_ = static_cast<BYTE*>(pages_) + data_pages * page - size;
}

GuardedBytes::~GuardedBytes() {
#ifdef _WIN32
  VirtualFree(pages_, 0, MEM_RELEASE);
#else
  munmap(pages_, mapped_);
#endif
}

Settings& GetSettings() {
  static Settings settings;
  return settings;
}

bool LoadImplementation(const std::string& path, std::string* error) {
  if (FAILED(syncmgr::com::RegisterInprocServer(CLSID_SyncMgr, path, error))) {
    return false;
  }
  syncmgr::com::ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  const HRESULT hr =
      CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                       IID_ISyncMgrSynchronizeInvoke, invoke.PutVoid());
  if (FAILED(hr) || !invoke) {
    *error = path +
             ": CoCreateInstance(CLSID_SyncMgr, "
             "IID_ISyncMgrSynchronizeInvoke) failed: " +
             syncmgr::com::LastActivationError();
    return false;
  }
  return true;
}

namespace {

// Mocks whose objects the implementation never released: they must outlive
// the test (the implementation may still call them), so they are kept here,
// reachable, until the process ends.
std::vector<std::unique_ptr<MockHandler>>& Graveyard() {
  static auto* graveyard = new std::vector<std::unique_ptr<MockHandler>>();
  return *graveyard;
}

}  // namespace

void ContractTest::SetUp() {
  {
    CHECKS("UI-014");
    ASSERT_THAT(
        CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                         IID_ISyncMgrSynchronizeInvoke, invoke_.PutVoid()),
        HresultIs(S_OK))
        << syncmgr::com::LastActivationError();
  }
  // The pages do not say which object exposes ISyncMgrRegister: the
  // CLSID_SyncMgr object itself (the reference's decision, REG-106), or an
  // object of its own that CLSID_SyncMgr creates for IID_ISyncMgrRegister.
  if (FAILED(invoke_.As(&register_)) || !register_) {
    register_.Reset();
    CoCreateInstance(CLSID_SyncMgr, nullptr, CLSCTX_INPROC_SERVER,
                     IID_ISyncMgrRegister, register_.PutVoid());
  }
  if (!register_) {
    GTEST_SKIP() << "the implementation offers no ISyncMgrRegister, neither "
                    "on its CLSID_SyncMgr object nor as a CLSID_SyncMgr "
                    "object of its own: no handler can be registered";
  }
  Add(kHandlerClsid, 0);
}

ContractTest::Handler& ContractTest::Add(const GUID& clsid,
                                         DWORD register_flags) {
  Handler handler;
  handler.clsid = clsid;
  handler.mock = std::make_unique<MockHandler>();
  handler.registration = std::make_unique<syncmgr::testing::RegisteredHandler>(
      clsid, handler.mock.get());
  CHECKS("REG-003");
  EXPECT_THAT(register_->RegisterSyncMgrHandler(
                  clsid, WSTR("Conformance handler"), register_flags),
              HresultIs(S_OK))
      << "RegisterSyncMgrHandler(" << clsid << ")";
  handlers_.push_back(std::move(handler));
  return handlers_.back();
}

MockHandler& ContractTest::AddHandler(int n, DWORD register_flags) {
  return *Add(ExtraHandlerClsid(n), register_flags).mock;
}

void ContractTest::TearDown() {
  // A test that already waited its limit for a session does not wait again.
  const auto deadline =
      std::chrono::steady_clock::now() +
      (waited_out_ ? GetSettings().settle : GetSettings().session_timeout);
  for (Handler& handler : handlers_) {
    if (register_) register_->UnregisterSyncMgrHandler(handler.clsid, 0);
    handler.registration.reset();  // revokes the class object
    const auto left = std::max(deadline - std::chrono::steady_clock::now(),
                               std::chrono::steady_clock::duration::zero());
    if (!handler.mock->WaitUntilDestroyed(
            std::chrono::duration_cast<std::chrono::milliseconds>(left), 0)) {
      CHECKS("COM-003");
      if (!allow_unfinished_) {
        std::ostringstream what;
        what << handler.mock->objects_alive() << " object(s) of handler "
             << handler.clsid
             << " were never released by the implementation (COM-003)";
        syncmgr::testing::RecordWaitedOut(what.str());
        ADD_FAILURE() << what.str();
      }
      handler.mock->JoinThreads();
      Graveyard().push_back(std::move(handler.mock));
    }
  }
  handlers_.clear();
  register_.Reset();
  invoke_.Reset();
}

HRESULT ContractTest::Update(DWORD flags, const std::vector<BYTE>& cookie) {
  return invoke_->UpdateItems(flags, kHandlerClsid,
                              static_cast<DWORD>(cookie.size()),
                              cookie.empty() ? nullptr : cookie.data());
}

ContractTest::SessionWait ContractTest::WaitForSessions(int sessions) {
  return WaitForSessions(mock(), sessions);
}

ContractTest::SessionWait ContractTest::WaitForSessions(MockHandler& handler,
                                                        int sessions) {
  handler.WaitUntilDestroyed(GetSettings().session_timeout, sessions);
  SessionWait wait;
  wait.expected = sessions;
  wait.created = handler.objects_created();
  wait.alive = handler.objects_alive();
  return wait;
}

::testing::AssertionResult ContractTest::SessionsStarted(
    const SessionWait& wait) {
  if (wait.started()) return ::testing::AssertionSuccess();
  const std::string what =
      "after " + std::to_string(GetSettings().session_timeout.count()) +
      " ms, " + std::to_string(wait.created) +
      " handler object(s) were created (" + std::to_string(wait.expected) +
      " expected): the manager did not start the session(s) it accepted";
  syncmgr::testing::RecordWaitedOut(what);
  waited_out_ = true;
  {
    ::testing::TestPartResultArray dropped;
    ::testing::ScopedFakeTestPartResultReporter quiet(
        ::testing::ScopedFakeTestPartResultReporter::
            INTERCEPT_ONLY_CURRENT_THREAD,
        &dropped);
    for (Handler& handler : handlers_) {
      ::testing::Mock::VerifyAndClearExpectations(handler.mock.get());
    }
  }
  return ::testing::AssertionFailure() << what;
}

::testing::AssertionResult ContractTest::SessionsReleased(
    const SessionWait& wait) {
  if (wait.alive == 0) return ::testing::AssertionSuccess();
  const std::string what =
      "after " + std::to_string(GetSettings().session_timeout.count()) +
      " ms, " + std::to_string(wait.alive) + " of " +
      std::to_string(wait.created) +
      " handler object(s) are still alive: the manager never released them "
      "(the session did not end)";
  syncmgr::testing::RecordWaitedOut(what);
  waited_out_ = true;
  return ::testing::AssertionFailure() << what;
}

::testing::AssertionResult ContractTest::SessionsEnded(int sessions) {
  return SessionsEnded(mock(), sessions);
}

::testing::AssertionResult ContractTest::SessionsEnded(MockHandler& handler,
                                                       int sessions) {
  const SessionWait wait = WaitForSessions(handler, sessions);
  if (wait.started() && wait.alive == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "after " << GetSettings().session_timeout.count() << " ms, "
         << wait.created << " handler object(s) were created (" << sessions
         << " expected) and " << wait.alive
         << " are still alive: the session did not end";
}

::testing::AssertionResult ContractTest::NoHandlerCreated() {
  std::this_thread::sleep_for(GetSettings().settle);
  for (const Handler& handler : handlers_) {
    if (handler.mock->objects_created() != 0) {
      return ::testing::AssertionFailure()
             << "handler " << handler.clsid << " was created "
             << handler.mock->objects_created() << " time(s)";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace syncmgr::conformance
