// File: reference/testing/fake_handler.h
//
// A fast, hand-written sync handler (no gMock) for benchmarks, fuzzers and
// tests that need many sessions. Constructing a FakeHandler registers a class
// object for its CLSID with the host COM runtime (CoRegisterClassObject);
// every CoCreateInstance of that CLSID then hands out a fresh
// ISyncMgrSynchronize that:
//   - accepts Initialize (S_OK) and keeps nothing of the cookie but its size,
//   - returns a handler info allocated with CoTaskMemAlloc,
//   - enumerates `items` CHECKED items,
//   - completes PrepareForSync and Synchronize with S_OK, either inside the
//     call or from a completion thread owned by the FakeHandler.
// It never calls Progress or LogError. Registering the CLSID with a Sync
// Manager (ISyncMgrRegister) is the caller's job. The class object is
// revoked, and the completion thread joined, on destruction: destroy the
// FakeHandler only when no session of it is running (WaitForIdle).
//
// Example:
//   syncmgr::testing::FakeHandler handler(kClsid);   // 1 item, inline
//   register->RegisterSyncMgrHandler(kClsid, u"fake", 0);
//   invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, kClsid, 0, nullptr);
//   handler.WaitForSynchronizeCompleted(1, std::chrono::seconds(5));
//
//   FakeHandler::Options options;
//   options.completion = FakeHandler::Completion::kOtherThread;
//   options.items = 10;
//   syncmgr::testing::FakeHandler threaded(kOtherClsid, options);
#ifndef SYNCMGR_REFERENCE_TESTING_FAKE_HANDLER_H_
#define SYNCMGR_REFERENCE_TESTING_FAKE_HANDLER_H_

#include <chrono>
#include <cstdint>
#include <memory>

#include "reference/mobsync/mobsync.h"

namespace syncmgr::testing {

class FakeHandler {
 public:
  enum class Completion {
    kInsideCall,   // PrepareForSyncCompleted / SynchronizeCompleted are
                   // called before PrepareForSync / Synchronize return
    kOtherThread,  // they are called by the FakeHandler's completion thread
  };
  struct Options {
    Completion completion = Completion::kInsideCall;
    // Items enumerated, all SYNCMGRITEMSTATE_CHECKED (0: the session ends
    // after enumeration with nothing selected).
    int items = 1;
    // Count every call the manager makes into the handler, its enumerator
    // and its class factory (calls()). Off by default: the count is an
    // atomic increment per call.
    bool count_calls = false;
  };

  explicit FakeHandler(const GUID& clsid);
  FakeHandler(const GUID& clsid, const Options& options);
  ~FakeHandler();
  FakeHandler(const FakeHandler&) = delete;
  FakeHandler& operator=(const FakeHandler&) = delete;

  const GUID& clsid() const;
  // What CoRegisterClassObject returned (S_OK when usable).
  HRESULT registration_result() const;

  // Handler objects created, and still alive.
  std::int64_t objects_created() const;
  std::int64_t objects_alive() const;
  // Successful SynchronizeCompleted calls (the manager answered S_OK).
  std::int64_t synchronize_completed() const;
  // Completion calls the manager refused (answered with an error).
  std::int64_t completions_refused() const;
  // cbCookie of the last Initialize.
  DWORD last_cookie_size() const;
  // With Options::count_calls: calls received (IUnknown methods included)
  // plus calls made into the progress callback.
  std::int64_t calls() const;

  // Blocks until synchronize_completed() >= count. False on timeout.
  bool WaitForSynchronizeCompleted(std::int64_t count,
                                   std::chrono::milliseconds timeout);

  struct State;  // shared with the COM objects; defined in the .cc

 private:
  std::shared_ptr<State> state_;
  DWORD cookie_ = 0;
  HRESULT registration_hr_ = E_FAIL;
};

}  // namespace syncmgr::testing

#endif  // SYNCMGR_REFERENCE_TESTING_FAKE_HANDLER_H_
