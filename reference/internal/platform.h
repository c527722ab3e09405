// The thin layer between the reference and its operating system: Linux
// (POSIX) here, Windows in the _WIN32 branches (the MinGW-w64 build of
// windows/, where the reference runs as mobsync.dll under real COM).
//
//   PageSize, MapPages, ProtectNone  the revocable cookie pages (HS-113)
//   WaitFor                          a condition-variable wait that, on
//                                    Windows, keeps the thread's messages
//                                    flowing (handlers that deliver
//                                    callbacks with SendMessage to a window
//                                    of the waiting thread)
//   WorkerThreadScope                what an engine worker thread needs
//                                    (Windows: it joins the MTA)
//   FreeThreadedMarshaler            makes a COM object agile (Windows: it
//                                    aggregates ole32's free-threaded
//                                    marshaler, so a handler that marshals
//                                    the callback to its own threads gets
//                                    the object itself, not a proxy)
//   SessionApartments                where each session's handler lives
//                                    (Windows: a handler that must live in
//                                    an STA, ThreadingModel Apartment or
//                                    none, gets an STA thread of its
//                                    session's own, activation to end,
//                                    which dispatches messages while it
//                                    waits; otherwise, and on Linux, the
//                                    engine's thread that runs the step)
#ifndef SYNCMGR_REFERENCE_INTERNAL_PLATFORM_H_
#define SYNCMGR_REFERENCE_INTERNAL_PLATFORM_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "reference/mobsync/windows_types.h"

#ifdef _WIN32
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace syncmgr::reference::internal {

#ifdef _WIN32

inline size_t PageSize() {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return info.dwPageSize;
}
// Read-write pages, or nullptr.
inline void* MapPages(size_t size) {
  return VirtualAlloc(nullptr, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}
inline void ProtectNone(void* pages, size_t size) {
  DWORD old = 0;
  VirtualProtect(pages, size, PAGE_NOACCESS, &old);
}

// Dispatches the messages waiting for this thread, sent and posted. False
// when it met WM_QUIT (left in the queue for the thread's owner).
inline bool PumpMessages() {
  MSG msg;
  while (PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
    if (msg.message == WM_QUIT) {
      PostQuitMessage(static_cast<int>(msg.wParam));  // keep it for the owner
      return false;
    }
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
  return true;
}

// Waits for `event` (a Win32 event), dispatching this thread's messages
// meanwhile.
inline void WaitPumping(HANDLE event) {
  for (;;) {
    const DWORD r = MsgWaitForMultipleObjectsEx(
        1, &event, INFINITE, QS_ALLINPUT, MWMO_INPUTAVAILABLE);
    if (r == WAIT_OBJECT_0) return;
    if (r != WAIT_OBJECT_0 + 1 || !PumpMessages()) {
      WaitForSingleObject(event, INFINITE);  // no message loop left to run
      return;
    }
  }
}

template <typename Predicate>
bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
             std::chrono::milliseconds timeout, Predicate pred) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    lock.unlock();
    PumpMessages();
    lock.lock();
    if (pred()) break;
    cv.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(5)));
  }
  return true;
}

class FreeThreadedMarshaler {
 public:
  FreeThreadedMarshaler() = default;
  FreeThreadedMarshaler(const FreeThreadedMarshaler&) = delete;
  FreeThreadedMarshaler& operator=(const FreeThreadedMarshaler&) = delete;
  ~FreeThreadedMarshaler() {
    if (inner_ != nullptr) inner_->Release();
  }
  // For Object::QueryOtherInterface of `outer`: IMarshal from the
  // aggregated marshaler, in *ppv without a reference (the caller adds it).
  bool Query(IUnknown* outer, REFIID riid, void** ppv) {
    if (!IsEqualIID(riid, IID_IMarshal)) return false;
    IUnknown* inner = nullptr;
    {
      std::lock_guard lock(mu_);
      if (inner_ == nullptr &&
          FAILED(CoCreateFreeThreadedMarshaler(outer, &inner_))) {
        inner_ = nullptr;
        return false;
      }
      inner = inner_;
    }
    if (FAILED(inner->QueryInterface(riid, ppv))) return false;
    outer->Release();  // the aggregate's QueryInterface added one
    return true;
  }

 private:
  std::mutex mu_;
  IUnknown* inner_ = nullptr;
};

class WorkerThreadScope {
 public:
  WorkerThreadScope()
      : initialized_(SUCCEEDED(CoInitializeEx(nullptr, COINIT_MULTITHREADED))) {
  }
  ~WorkerThreadScope() {
    if (initialized_) CoUninitialize();
  }
  WorkerThreadScope(const WorkerThreadScope&) = delete;
  WorkerThreadScope& operator=(const WorkerThreadScope&) = delete;

 private:
  bool initialized_;
};

// Whether a handler of `clsid` must live in a single-threaded apartment:
// its HKCR\CLSID\{clsid}\InprocServer32 key has ThreadingModel Apartment or
// none. "Both", "Free" and "Neutral" handlers are at home in the MTA, and
// so is a class without that key (a class object registered with
// CoRegisterClassObject, as the conformance suite's mock handlers are).
inline bool NeedsSingleThreadedApartment(const GUID& clsid) {
  wchar_t text[40] = {};
  if (StringFromGUID2(clsid, text, 40) == 0) return false;
  const std::wstring path =
      std::wstring(L"CLSID\\") + text + L"\\InprocServer32";
  HKEY key = nullptr;
  if (RegOpenKeyExW(HKEY_CLASSES_ROOT, path.c_str(), 0, KEY_QUERY_VALUE,
                    &key) != ERROR_SUCCESS) {
    return false;
  }
  wchar_t model[32] = {};
  DWORD type = 0;
  DWORD size = sizeof model - sizeof(wchar_t);  // keeps a terminating 0
  const LONG status = RegQueryValueExW(key, L"ThreadingModel", nullptr, &type,
                                       reinterpret_cast<BYTE*>(model), &size);
  RegCloseKey(key);
  if (status == ERROR_FILE_NOT_FOUND) return true;  // none: apartment-bound
  if (status != ERROR_SUCCESS || type != REG_SZ) return false;
  return _wcsicmp(model, L"Apartment") == 0;
}

// A thread in a single-threaded apartment of its own that runs the calls
// given to it, one at a time, and dispatches its messages in between.
class ApartmentThread {
 public:
  // Throws std::system_error when no thread can be started.
  ApartmentThread()
      : wake_(CreateEventW(nullptr, FALSE, FALSE, nullptr)),
        done_(CreateEventW(nullptr, FALSE, FALSE, nullptr)) {
    if (wake_ == nullptr || done_ == nullptr) {
      CloseEvents();
      throw std::system_error(std::make_error_code(std::errc::io_error));
    }
    try {
      thread_ = std::thread([this] { Loop(); });
    } catch (...) {
      CloseEvents();
      throw;
    }
  }
  ~ApartmentThread() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    SetEvent(wake_);
    thread_.join();
    CloseEvents();
  }
  ApartmentThread(const ApartmentThread&) = delete;
  ApartmentThread& operator=(const ApartmentThread&) = delete;

  // Runs `call(context)` on the thread and returns when it has, dispatching
  // the calling thread's messages meanwhile. One caller at a time.
  void Call(void (*call)(void*), void* context) {
    {
      std::lock_guard lock(mu_);
      call_ = call;
      context_ = context;
    }
    SetEvent(wake_);
    WaitPumping(done_);
  }

 private:
  void Loop() {
    const HRESULT init = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED);
    for (;;) {
      WaitPumping(wake_);
      void (*call)(void*) = nullptr;
      void* context = nullptr;
      bool stop;
      {
        std::lock_guard lock(mu_);
        call = std::exchange(call_, nullptr);
        context = context_;
        stop = stop_;
      }
      if (call != nullptr) {
        call(context);
        SetEvent(done_);
      }
      if (stop) break;
    }
    if (SUCCEEDED(init)) CoUninitialize();
  }
  void CloseEvents() {
    if (wake_ != nullptr) CloseHandle(wake_);
    if (done_ != nullptr) CloseHandle(done_);
  }

  HANDLE wake_;
  HANDLE done_;
  std::mutex mu_;
  void (*call_)(void*) = nullptr;
  void* context_ = nullptr;
  bool stop_ = false;
  std::thread thread_;
};

// The STA threads of the sessions whose handler needs one, by session.
// A session's steps (activation, the run, abandoning it) go through Run;
// Leave ends its thread once the session has ended.
class SessionApartments {
 public:
  // Before session `key` (a handler of `clsid`) is activated. Without a
  // thread (none could be started) the session runs where it is called.
  void Enter(const void* key, const GUID& clsid) {
    if (!NeedsSingleThreadedApartment(clsid)) return;
    try {
      auto thread = std::make_unique<ApartmentThread>();
      std::lock_guard lock(mu_);
      threads_[key] = std::move(thread);
    } catch (...) {
    }
  }
  // Runs `step` on the session's STA thread, or here when it has none.
  template <typename Step>
  void Run(const void* key, Step&& step) {
    ApartmentThread* thread = nullptr;
    {
      std::lock_guard lock(mu_);
      auto it = threads_.find(key);
      if (it != threads_.end()) thread = it->second.get();
    }
    if (thread == nullptr) {
      step();
      return;
    }
    using StepType = std::remove_reference_t<Step>;
    thread->Call([](void* s) { (*static_cast<StepType*>(s))(); }, &step);
  }
  // Session `key` has ended: its thread (if any) ends too.
  void Leave(const void* key) {
    std::unique_ptr<ApartmentThread> thread;
    {
      std::lock_guard lock(mu_);
      auto it = threads_.find(key);
      if (it == threads_.end()) return;
      thread = std::move(it->second);
      threads_.erase(it);
    }
  }

 private:
  std::mutex mu_;
  std::unordered_map<const void*, std::unique_ptr<ApartmentThread>> threads_;
};

#else  // Linux

inline size_t PageSize() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
inline void* MapPages(size_t size) {
  void* pages = mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return pages == MAP_FAILED ? nullptr : pages;
}
inline void ProtectNone(void* pages, size_t size) {
  mprotect(pages, size, PROT_NONE);
}

template <typename Predicate>
bool WaitFor(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
             std::chrono::milliseconds timeout, Predicate pred) {
  return cv.wait_for(lock, timeout, pred);
}

class FreeThreadedMarshaler {
 public:
  bool Query(IUnknown*, REFIID, void**) { return false; }
};

class WorkerThreadScope {};

// Handlers have no apartments here: every step runs where it is called.
class SessionApartments {
 public:
  void Enter(const void*, const GUID&) {}
  template <typename Step>
  void Run(const void*, Step&& step) {
    step();
  }
  void Leave(const void*) {}
};

#endif  // _WIN32

}  // namespace syncmgr::reference::internal

#endif  // SYNCMGR_REFERENCE_INTERNAL_PLATFORM_H_
