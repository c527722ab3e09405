// The cost of the reference Sync Manager's dispatch, each figure
// beside the baseline it is read against (bench/README.md):
//
//   BM_UpdateItemsSync         vs BM_VirtualCalls (as many plain virtual
//                              calls as one session makes), BM_HandlerDirect
//   BM_UpdateItemsRejected     vs BM_MutexLockUnlock
//   BM_UpdateItemsAsync        vs BM_CondvarPingPong
//   BM_UpdateItemsCookie/N     vs BM_CookieMemcpy/N
//   BM_UpdateItemsHandlers/N   vs itself at N = 1 (Complexity)
//   BM_RegistryLookup          vs BM_MutexLockUnlock, and across threads
//   BM_ReadersWriters          UpdateItems readers with and without
//                              Register/Unregister writers
//
// Every thread of a multi-threaded run has its own handler CLSID, because
// the manager runs one session per CLSID at a time (SPEC.md UI-115).
//
// Flags besides Google Benchmark's: --quick (smaller sweeps, fewer threads:
// the CI race check under --config=tsan). The exit status is 1 when a
// benchmark reported an error (a call failed, a session did not complete).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/allocation_counter.h"
#include "bench/baseline_callee.h"
#include "reference/com/com.h"
#include "reference/com/object.h"
#include "reference/mobsync/mobsync.h"
#include "reference/sync_manager.h"
#include "reference/testing/fake_handler.h"

namespace syncmgr::bench {
namespace {

using ::syncmgr::com::ComPtr;
using ::syncmgr::testing::FakeHandler;
using namespace std::chrono_literals;

// Calls made after a timed loop to count allocations per call.
constexpr int kAllocationSamples = 64;
constexpr DWORD kMaxCookie = 1u << 20;  // Options::max_cookie_bytes default

GUID MakeGuid(std::uint32_t data1, std::uint32_t n) {
  GUID g = {data1, 0xBE4C, 0x4D11, {0x80, 0, 0, 0, 0, 0, 0, 0}};
  g.Data4[4] = static_cast<BYTE>(n >> 24);
  g.Data4[5] = static_cast<BYTE>(n >> 16);
  g.Data4[6] = static_cast<BYTE>(n >> 8);
  g.Data4[7] = static_cast<BYTE>(n);
  return g;
}
// The handler of benchmark thread `index`.
GUID ThreadClsid(int index) { return MakeGuid(0xBE4C0001, index); }
// Registered with the manager only (never activated): the handler sweep's
// and the writers' CLSIDs.
GUID FillerClsid(std::uint32_t n) { return MakeGuid(0xBE4C0002, n); }

struct Globals {
  bool quick = false;
  int max_threads = 8;
  ComPtr<ISyncMgrSynchronizeInvoke> invoke;
  ComPtr<ISyncMgrRegister> registrar;
  std::vector<std::unique_ptr<FakeHandler>> handlers;  // by thread index
  ComPtr<ISyncMgrSynchronizeCallback> noop_callback;
  std::vector<BYTE> cookie = std::vector<BYTE>(kMaxCookie, 0xC0);
  int lifecycle_calls = 0;  // calls one session makes across objects
};
Globals& G() {
  static Globals* globals = new Globals();
  return *globals;
}

std::atomic<int> g_errors{0};

// Reports a broken run (the exit status becomes 1).
void Fail(benchmark::State& state, const std::string& message) {
  g_errors.fetch_add(1);
  state.SkipWithError(message.c_str());
}

std::string Hex(HRESULT hr) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(hr));
  return text;
}

void ConfigureMode(reference::Mode mode) {
  reference::Options options;
  options.mode = mode;
  reference::Configure(options);
}
void SetUpSynchronous(const benchmark::State&) {
  ConfigureMode(reference::Mode::kSynchronous);
}
void SetUpAsynchronous(const benchmark::State&) {
  ConfigureMode(reference::Mode::kAsynchronous);
}
void WaitUntilIdle(const benchmark::State&) { reference::WaitForIdle(30s); }

// The allocations of one call of `call`, averaged over kAllocationSamples,
// as a counter on thread 0 of single-threaded runs only (the count is
// process-wide).
template <typename Call>
void CountAllocations(benchmark::State& state, Call&& call) {
  if (state.threads() != 1 || !AllocationCountingAvailable()) return;
  StartCountingAllocations();
  for (int i = 0; i < kAllocationSamples; ++i) {
    if (!call()) {
      StopCountingAllocations();
      return;
    }
  }
  const std::uint64_t n = StopCountingAllocations();
  state.counters["allocs_per_call"] =
      static_cast<double>(n) / kAllocationSamples;
}

const BYTE* CookieOf(DWORD size) {
  return size == 0 ? nullptr : G().cookie.data();
}

// ---- Baselines ----

void BM_VirtualCalls(benchmark::State& state) {
  Callee* callee = NoopCallee();
  benchmark::DoNotOptimize(callee);
  const int calls = G().lifecycle_calls;
  int sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < calls; ++i) sum += callee->Call(i);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["calls_per_iteration"] = calls;
}

void BM_MutexLockUnlock(benchmark::State& state) {
  std::mutex mu;  // one per thread: uncontended
  for (auto _ : state) {
    mu.lock();
    benchmark::ClobberMemory();
    mu.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CookieMemcpy(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  std::vector<BYTE> destination(std::max<size_t>(size, 1));
  const BYTE* source = G().cookie.data();
  for (auto _ : state) {
    std::memcpy(destination.data(), source, size);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// A round trip to another thread and back through a mutex and a condition
// variable: the hand-off the asynchronous mode makes.
void BM_CondvarPingPong(benchmark::State& state) {
  std::mutex mu;
  std::condition_variable cv;
  int turn = 0;  // 1: the partner's turn
  bool stop = false;
  std::thread partner([&] {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stop || turn == 1; });
      if (stop) return;
      turn = 0;
      cv.notify_all();
    }
  });
  for (auto _ : state) {
    std::unique_lock lock(mu);
    turn = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return turn == 0; });
  }
  {
    std::lock_guard lock(mu);
    stop = true;
  }
  cv.notify_all();
  partner.join();
  state.SetItemsProcessed(state.iterations());
}

// The handler's own share of a session: the calls the manager makes, made
// directly, with a callback that does nothing.
void BM_HandlerDirect(benchmark::State& state) {
  const GUID clsid = ThreadClsid(state.thread_index());
  ISyncMgrSynchronizeCallback* callback = G().noop_callback.Get();
  auto lifecycle = [&] {
    ISyncMgrSynchronize* handler = nullptr;
    if (FAILED(CoCreateInstance(clsid, nullptr, CLSCTX_INPROC_SERVER,
                                IID_ISyncMgrSynchronize,
                                reinterpret_cast<void**>(&handler)))) {
      return false;
    }
    handler->Initialize(0, SYNCMGRFLAG_INVOKE, 0, nullptr);
    SYNCMGRHANDLERINFO* info = nullptr;
    handler->GetHandlerInfo(&info);
    CoTaskMemFree(info);
    ISyncMgrEnumItems* items = nullptr;
    handler->EnumSyncMgrItems(&items);
    SYNCMGRITEM batch[16];
    ULONG fetched = 0;
    items->Next(16, batch, &fetched);
    items->Release();
    handler->SetProgressCallback(callback);
    GUID id = batch[0].ItemID;
    handler->PrepareForSync(1, &id, nullptr, 0);
    handler->Synchronize(nullptr);
    handler->SetProgressCallback(nullptr);
    handler->Release();
    return true;
  };
  for (auto _ : state) {
    if (!lifecycle()) {
      Fail(state, "CoCreateInstance of the fake handler failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  CountAllocations(state, lifecycle);
}

// ---- The reference ----

// UpdateItems in synchronous mode: the whole session runs inside the call.
void BM_UpdateItemsSync(benchmark::State& state) {
  const auto size = static_cast<DWORD>(state.range(0));
  FakeHandler& handler = *G().handlers[state.thread_index()];
  ISyncMgrSynchronizeInvoke* invoke = G().invoke.Get();
  const GUID clsid = handler.clsid();
  const std::int64_t before = handler.synchronize_completed();
  auto call = [&] {
    const HRESULT hr = invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, clsid, size,
                                           CookieOf(size));
    if (hr != S_OK) {
      Fail(state, "UpdateItems returned " + Hex(hr));
      return false;
    }
    return true;
  };
  for (auto _ : state) {
    if (!call()) break;
  }
  if (handler.synchronize_completed() - before !=
          static_cast<std::int64_t>(state.iterations()) &&
      !state.error_occurred()) {
    Fail(state, "not every session reached SynchronizeCompleted");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  CountAllocations(state, call);
}

// The validation-only path: rejected with E_INVALIDARG after every check but
// the allocation (UI-103: a cookie size with a NULL cookie).
void BM_UpdateItemsRejected(benchmark::State& state) {
  ISyncMgrSynchronizeInvoke* invoke = G().invoke.Get();
  const GUID clsid = ThreadClsid(state.thread_index());
  auto call = [&] {
    const HRESULT hr =
        invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, clsid, 16, nullptr);
    if (hr != E_INVALIDARG) {
      Fail(state, "UpdateItems returned " + Hex(hr) + ", not E_INVALIDARG");
      return false;
    }
    return true;
  };
  for (auto _ : state) {
    if (!call()) break;
  }
  state.SetItemsProcessed(state.iterations());
  CountAllocations(state, call);
}

// The asynchronous mode: from UpdateItems until the caller sees the
// handler's SynchronizeCompleted (made on an engine worker).
void BM_UpdateItemsAsync(benchmark::State& state) {
  FakeHandler& handler = *G().handlers[state.thread_index()];
  ISyncMgrSynchronizeInvoke* invoke = G().invoke.Get();
  const GUID clsid = handler.clsid();
  auto call = [&] {
    const std::int64_t next = handler.synchronize_completed() + 1;
    const HRESULT hr =
        invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, clsid, 0, nullptr);
    if (hr != S_OK) {
      Fail(state, "UpdateItems returned " + Hex(hr));
      return false;
    }
    if (!handler.WaitForSynchronizeCompleted(next, 10s)) {
      Fail(state, "SynchronizeCompleted did not come within 10 s");
      return false;
    }
    return true;
  };
  for (auto _ : state) {
    if (!call()) break;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.threads() == 1 && AllocationCountingAvailable() &&
      !state.error_occurred()) {
    // Sessions end on the workers after the completion: count up to idle.
    reference::WaitForIdle(30s);
    StartCountingAllocations();
    bool ok = true;
    for (int i = 0; i < kAllocationSamples && ok; ++i) ok = call();
    reference::WaitForIdle(30s);
    const std::uint64_t n = StopCountingAllocations();
    if (ok) {
      state.counters["allocs_per_call"] =
          static_cast<double>(n) / kAllocationSamples;
    }
  }
}

// UpdateItems with N handlers registered (N - 1 never activated).
void RegisterFillers(const benchmark::State& state) {
  ConfigureMode(reference::Mode::kSynchronous);
  for (std::int64_t i = 0; i + 1 < state.range(0); ++i) {
    G().registrar->RegisterSyncMgrHandler(
        FillerClsid(static_cast<std::uint32_t>(i)), u"filler", 0);
  }
}
void UnregisterFillers(const benchmark::State& state) {
  for (std::int64_t i = 0; i + 1 < state.range(0); ++i) {
    G().registrar->UnregisterSyncMgrHandler(
        FillerClsid(static_cast<std::uint32_t>(i)), 0);
  }
}
void BM_UpdateItemsHandlers(benchmark::State& state) {
  ISyncMgrSynchronizeInvoke* invoke = G().invoke.Get();
  const GUID clsid = ThreadClsid(0);
  for (auto _ : state) {
    const HRESULT hr =
        invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, clsid, 0, nullptr);
    if (hr != S_OK) {
      Fail(state, "UpdateItems returned " + Hex(hr));
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetComplexityN(state.range(0));
}

// The registry alone, through ISyncMgrRegister (a shared lock per call).
void BM_RegistryLookup(benchmark::State& state) {
  ISyncMgrRegister* registrar = G().registrar.Get();
  const GUID clsid = ThreadClsid(state.thread_index());
  for (auto _ : state) {
    DWORD flags = 0;
    const HRESULT hr = registrar->GetHandlerRegistrationInfo(clsid, &flags);
    if (hr != S_OK) {
      Fail(state, "GetHandlerRegistrationInfo returned " + Hex(hr));
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// The first range(0) threads register and unregister CLSIDs of their own
// (writers); the others call UpdateItems (readers). items/s counts readers.
void BM_ReadersWriters(benchmark::State& state) {
  const bool writer = state.thread_index() < state.range(0);
  std::int64_t writes = 0;
  if (writer) {
    ISyncMgrRegister* registrar = G().registrar.Get();
    const GUID clsid = FillerClsid(
        0x00F00000u + static_cast<std::uint32_t>(state.thread_index()));
    for (auto _ : state) {
      HRESULT hr = registrar->RegisterSyncMgrHandler(clsid, u"writer", 0);
      if (hr == S_OK) hr = registrar->UnregisterSyncMgrHandler(clsid, 0);
      if (hr != S_OK) {
        Fail(state, "Register/Unregister returned " + Hex(hr));
        break;
      }
      writes += 2;
    }
    state.counters["writes"] = benchmark::Counter(static_cast<double>(writes),
                                                  benchmark::Counter::kIsRate);
    return;
  }
  ISyncMgrSynchronizeInvoke* invoke = G().invoke.Get();
  const GUID clsid = ThreadClsid(state.thread_index());
  for (auto _ : state) {
    const HRESULT hr =
        invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, clsid, 0, nullptr);
    if (hr != S_OK) {
      Fail(state, "UpdateItems returned " + Hex(hr));
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["writes"] = benchmark::Counter(0, benchmark::Counter::kIsRate);
}

// ---- Setup ----

// A callback for BM_HandlerDirect: accepts everything.
class NoopCallback final : public com::Object<ISyncMgrSynchronizeCallback> {
 public:
  HRESULT STDMETHODCALLTYPE ShowPropertiesCompleted(HRESULT) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE PrepareForSyncCompleted(HRESULT) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE SynchronizeCompleted(HRESULT) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE ShowErrorCompleted(HRESULT, ULONG,
                                               const GUID*) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE EnableModeless(BOOL) override { return S_OK; }
  HRESULT STDMETHODCALLTYPE Progress(REFGUID,
                                     const SYNCMGRPROGRESSITEM*) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE LogError(DWORD, LPCWSTR,
                                     const SYNCMGRLOGERRORINFO*) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE DeleteLogError(REFGUID, DWORD) override {
    return S_OK;
  }
  HRESULT STDMETHODCALLTYPE EstablishConnection(LPCWSTR, DWORD) override {
    return S_OK;
  }
};

bool SetUpGlobals() {
  Globals& g = G();
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  g.max_threads = g.quick ? 4 : std::max(8, cores);
  ConfigureMode(reference::Mode::kSynchronous);
  if (FAILED(reference::CreateSyncManager(IID_ISyncMgrSynchronizeInvoke,
                                          g.invoke.PutVoid())) ||
      FAILED(g.invoke.As(&g.registrar))) {
    std::fprintf(stderr, "cannot create the reference Sync Manager\n");
    return false;
  }
  for (int i = 0; i < g.max_threads; ++i) {
    g.handlers.push_back(std::make_unique<FakeHandler>(ThreadClsid(i)));
    if (g.handlers.back()->registration_result() != S_OK ||
        g.registrar->RegisterSyncMgrHandler(ThreadClsid(i), u"bench", 0) !=
            S_OK) {
      std::fprintf(stderr, "cannot register handler %d\n", i);
      return false;
    }
  }
  g.noop_callback =
      ComPtr<ISyncMgrSynchronizeCallback>::Adopt(new NoopCallback());

  // How many calls one session makes between the manager and the handler.
  const GUID counted = MakeGuid(0xBE4C0003, 0);
  FakeHandler::Options options;
  options.count_calls = true;
  {
    FakeHandler handler(counted, options);
    g.registrar->RegisterSyncMgrHandler(counted, u"counted", 0);
    const std::int64_t before = handler.calls();
    const HRESULT hr =
        g.invoke->UpdateItems(SYNCMGRINVOKE_STARTSYNC, counted, 0, nullptr);
    g.lifecycle_calls = static_cast<int>(handler.calls() - before);
    g.registrar->UnregisterSyncMgrHandler(counted, 0);
    if (hr != S_OK || handler.synchronize_completed() != 1) {
      std::fprintf(stderr, "the calibration session failed: %s\n",
                   Hex(hr).c_str());
      return false;
    }
  }
  return true;
}

void RegisterBenchmarks() {
  const Globals& g = G();
  const int max_threads = g.max_threads;
  auto threaded = [&](benchmark::internal::Benchmark* b) {
    b->ThreadRange(1, max_threads)->UseRealTime();
  };
  const std::vector<std::int64_t> cookie_sizes = {0, 64, 4 << 10, 64 << 10,
                                                  kMaxCookie};

  threaded(benchmark::RegisterBenchmark("BM_VirtualCalls", BM_VirtualCalls));
  threaded(
      benchmark::RegisterBenchmark("BM_MutexLockUnlock", BM_MutexLockUnlock));
  threaded(
      benchmark::RegisterBenchmark("BM_CondvarPingPong", BM_CondvarPingPong));
  threaded(benchmark::RegisterBenchmark("BM_HandlerDirect", BM_HandlerDirect));
  threaded(
      benchmark::RegisterBenchmark("BM_UpdateItemsSync", BM_UpdateItemsSync)
          ->Arg(0)
          ->Setup(SetUpSynchronous));
  threaded(benchmark::RegisterBenchmark("BM_UpdateItemsRejected",
                                        BM_UpdateItemsRejected)
               ->Setup(SetUpSynchronous));
  threaded(
      benchmark::RegisterBenchmark("BM_UpdateItemsAsync", BM_UpdateItemsAsync)
          ->Setup(SetUpAsynchronous)
          ->Teardown(WaitUntilIdle));
  threaded(
      benchmark::RegisterBenchmark("BM_RegistryLookup", BM_RegistryLookup));

  auto* memcpy_sweep =
      benchmark::RegisterBenchmark("BM_CookieMemcpy", BM_CookieMemcpy);
  auto* cookie_sweep =
      benchmark::RegisterBenchmark("BM_UpdateItemsCookie", BM_UpdateItemsSync)
          ->Setup(SetUpSynchronous);
  for (std::int64_t size : cookie_sizes) {
    if (g.quick && size > (64 << 10)) continue;
    memcpy_sweep->Arg(size);
    cookie_sweep->Arg(size);
  }

  benchmark::RegisterBenchmark("BM_UpdateItemsHandlers", BM_UpdateItemsHandlers)
      ->RangeMultiplier(10)
      ->Range(1, g.quick ? 1000 : 100000)
      ->Setup(RegisterFillers)
      ->Teardown(UnregisterFillers)
      ->Complexity();

  auto* readers_writers =
      benchmark::RegisterBenchmark("BM_ReadersWriters", BM_ReadersWriters)
          ->ArgName("writers")
          ->Setup(SetUpSynchronous)
          ->UseRealTime();
  readers_writers->Arg(0)->Arg(1);
  for (int threads = 2; threads <= std::min(max_threads, 8); threads *= 2) {
    readers_writers->Threads(threads);
  }
}

}  // namespace
}  // namespace syncmgr::bench

int main(int argc, char** argv) {
  using syncmgr::bench::G;
  // Our own flag first; Google Benchmark rejects flags it does not know.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      G().quick = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!syncmgr::bench::SetUpGlobals()) return 1;
  benchmark::AddCustomContext("lifecycle_calls",
                              std::to_string(G().lifecycle_calls));
  benchmark::AddCustomContext(
      "hardware_concurrency",
      std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext(
      "allocation_counting",
      syncmgr::bench::AllocationCountingAvailable() ? "on" : "off");
  syncmgr::bench::RegisterBenchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  syncmgr::reference::WaitForIdle(std::chrono::seconds(30));
  const int errors = syncmgr::bench::g_errors.load();
  if (errors != 0) {
    std::fprintf(stderr, "%d benchmark run(s) reported an error\n", errors);
    return 1;
  }
  return 0;
}
