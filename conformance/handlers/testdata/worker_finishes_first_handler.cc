// A correct handler: the sample, but Synchronize returns only once its
// worker has finished the whole pass (Progress for every item and
// SynchronizeCompleted), or after 100 ms if the worker is still busy. That
// is the schedule a worker with no real work often gets (under Wine, for
// one): it runs to its end before the thread that started it returns. The
// pages allow it (a completion may come before the method returns).
//
// certify's skip_item scenario must still observe HS-020 on it every time:
// the reference Sync Manager holds the worker's callback calls until it has
// sent SetItemStatus(SKIPPED) (Options::skip_items), so the worker waits in
// its first Progress call, Synchronize returns after 100 ms, the skip is
// sent and the worker skips the item (//conformance:certify_test,
// CertifySkip.ObservedWhenTheWorkerFinishesFirst).
#include <chrono>
#include <future>
#include <memory>
#include <system_error>
#include <thread>

#include "conformance/handlers/sample_handler.h"

namespace syncmgr::sample {
namespace {

using syncmgr::com::ComPtr;

class WorkerFinishesFirst final : public SampleHandler {
 public:
  HRESULT STDMETHODCALLTYPE Synchronize(HWND) override {
    ComPtr<ISyncMgrSynchronizeCallback> callback = Callback();
    if (!callback) return E_UNEXPECTED;
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> finished = done->get_future();
    AddRef();  // the thread holds the object until it is done
    try {
      std::thread([this, callback, done] {
        SynchronizeItems(callback);
        done->set_value();
        Release();
      }).detach();
    } catch (const std::system_error&) {
      Release();
      return E_OUTOFMEMORY;
    }
    finished.wait_for(std::chrono::milliseconds(100));
    return S_OK;
  }
};

}  // namespace
}  // namespace syncmgr::sample

extern "C" HRESULT DllGetClassObject(REFCLSID rclsid, REFIID riid,
                                     LPVOID* ppv) {
  return syncmgr::com::GetClassObjectFor<syncmgr::sample::WorkerFinishesFirst>(
      syncmgr::sample::kSampleHandlerClsid, rclsid, riid, ppv);
}

extern "C" HRESULT DllCanUnloadNow() {
  return syncmgr::com::ModuleCanUnloadNow();
}
