// File: conformance/testing/contract_test.h
//
// The fixture of every conformance test. The implementation under test is a
// plug-in loaded through the host's COM runtime as the in-proc server of
// CLSID_SyncMgr; the fixture reaches it only with CoCreateInstance and the
// mobsync interfaces. It registers a GoogleMock handler under a test CLSID,
// both with the host's COM runtime (so that the implementation's
// CoCreateInstance finds it) and with the implementation's
// ISyncMgrRegister, and unregisters it afterwards.
//
// What a test may judge is what a client and a handler can observe: return
// codes, the calls the handler receives, the handler's final Release and
// DllCanUnloadNow. A session is over when every handler object created for
// it has been destroyed; tests wait for that with a bounded wait
// (SessionsEnded), never assuming UpdateItems ran the session before it
// returned.
//
// Example:
//   TEST_F(UpdateItemsContract, UnknownFlagBitsAreRejected) {
//     REQUIREMENT("UI-105");
//     EXPECT_THAT(Update(0x1), HresultIs(E_INVALIDARG));
//     EXPECT_TRUE(NoHandlerCreated());
//   }
//
// A test that checks several requirements gives each check its own
// CHECKS("...") scope (reference/testing/requirement.h), so that a failure
// names exactly one rule.
//   }
#ifndef SYNCMGR_CONFORMANCE_TESTING_CONTRACT_TEST_H_
#define SYNCMGR_CONFORMANCE_TESTING_CONTRACT_TEST_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"
#include "reference/testing/hresult_matchers.h"
#include "reference/testing/mock_handler.h"
#include "reference/testing/requirement.h"

namespace syncmgr::conformance {

struct Settings {
  std::string implementation;  // the plug-in's path
  // How long a test waits for a session to end (the implementation's own
  // completion timeouts must be shorter for the timeout tests to pass).
  std::chrono::milliseconds session_timeout{30000};
  // How long a rejected call is watched for a handler being created anyway.
  std::chrono::milliseconds settle{100};
};
Settings& GetSettings();

// Registers `path` as the in-proc server of CLSID_SyncMgr and checks that
// CoCreateInstance(CLSID_SyncMgr) gives an ISyncMgrSynchronizeInvoke.
bool LoadImplementation(const std::string& path, std::string* error);

// The handler CLSIDs the suite uses.
extern const GUID kHandlerClsid;
GUID ExtraHandlerClsid(int n);  // n = 0, 1, ...
extern const GUID kUnregisteredClsid;

// `size` bytes (at least one) that end flush against an inaccessible page:
// whoever reads past them faults, with or without a sanitizer.
class GuardedBytes {
 public:
  explicit GuardedBytes(size_t size);
  ~GuardedBytes();
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  BYTE* data() { return data_; }
  size_t size() const { return size_; }

 private:
  void* pages_ = nullptr;
  size_t mapped_ = 0;
  BYTE* data_ = nullptr;
  size_t size_ = 0;
};

using MockHandler = ::testing::NiceMock<syncmgr::testing::HandlerMock>;

class ContractTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  MockHandler& mock() { return *handlers_.front().mock; }
  // Registers one more mock handler under ExtraHandlerClsid(n) (host COM
  // runtime and the implementation); unregistered in TearDown.
  MockHandler& AddHandler(int n, DWORD register_flags = 0);

  HRESULT Update(DWORD flags, const std::vector<BYTE>& cookie = {});

  // Waits, up to the session timeout, until `sessions` handler objects of
  // `handler` were created and all were destroyed. Tests judge the result
  // through ASSERT_SESSIONS_ENDED / EXPECT_SESSIONS_ENDED: fewer objects
  // than sessions is a failure of start_requirement() (the manager did not
  // start an update it accepted), objects left alive one of COM-003 (every
  // object released in the end).
  struct SessionWait {
    int expected = 0;
    int created = 0;
    int alive = 0;
    bool started() const { return created >= expected; }
  };
  SessionWait WaitForSessions(int sessions = 1);
  SessionWait WaitForSessions(MockHandler& handler, int sessions);
  // On failure also drops the mocks' expectations (the calls a session that
  // never started could not make are not failures of the rules they serve).
  ::testing::AssertionResult SessionsStarted(const SessionWait& wait);
  ::testing::AssertionResult SessionsReleased(const SessionWait& wait);
  // The rule that makes the manager start the sessions a test waits for:
  // UI-001 (UpdateItems), UA-001 in the UpdateAll tests.
  const char* start_requirement() const { return start_requirement_; }
  const char* start_requirement_ = "UI-001";
  // True if the sessions started and ended (WaitForSessions), for tests that
  // judge it themselves.
  ::testing::AssertionResult SessionsEnded(int sessions = 1);
  ::testing::AssertionResult SessionsEnded(MockHandler& handler, int sessions);
  // The test knows a session may never end (the subject waits for a
  // completion for ever): TearDown then does not count the handler it left
  // alive against COM-003.
  void AllowUnfinishedSessions() { allow_unfinished_ = true; }
  // True if no handler object of any registered mock was created during the
  // settle period.
  ::testing::AssertionResult NoHandlerCreated();

  syncmgr::com::ComPtr<ISyncMgrSynchronizeInvoke> invoke_;
  syncmgr::com::ComPtr<ISyncMgrRegister> register_;

 private:
  struct Handler {
    GUID clsid;
    std::unique_ptr<MockHandler> mock;
    std::unique_ptr<syncmgr::testing::RegisteredHandler> registration;
  };
  Handler& Add(const GUID& clsid, DWORD register_flags);
  std::vector<Handler> handlers_;
  bool allow_unfinished_ = false;
  bool waited_out_ = false;  // a wait for sessions ran to its limit
};

}  // namespace syncmgr::conformance

// The sessions started and ended (WaitForSessions' arguments), whatever
// requirement the surrounding test checks: a session never started is a
// failure of start_requirement() that ends the test (nothing it checks
// after this could be observed), an object never released one of COM-003.
#define SYNCMGR_SESSIONS_ENDED_(assertion, ...)                     \
  do {                                                              \
    const SessionWait syncmgr_wait_ = WaitForSessions(__VA_ARGS__); \
    {                                                               \
      CHECKS(start_requirement());                                  \
      ASSERT_TRUE(SessionsStarted(syncmgr_wait_));                  \
    }                                                               \
    {                                                               \
      CHECKS("COM-003");                                            \
      assertion(SessionsReleased(syncmgr_wait_));                   \
    }                                                               \
  } while (0)
#define ASSERT_SESSIONS_ENDED(...) \
  SYNCMGR_SESSIONS_ENDED_(ASSERT_TRUE, __VA_ARGS__)
#define EXPECT_SESSIONS_ENDED(...) \
  SYNCMGR_SESSIONS_ENDED_(EXPECT_TRUE, __VA_ARGS__)

#endif  // SYNCMGR_CONFORMANCE_TESTING_CONTRACT_TEST_H_
