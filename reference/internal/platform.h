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
#ifndef SYNCMGR_REFERENCE_INTERNAL_PLATFORM_H_
#define SYNCMGR_REFERENCE_INTERNAL_PLATFORM_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "reference/mobsync/windows_types.h"

#ifndef _WIN32
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

// Dispatches the messages waiting for this thread, sent and posted.
inline void PumpMessages() {
  MSG msg;
  while (PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) {
    if (msg.message == WM_QUIT) {
      PostQuitMessage(static_cast<int>(msg.wParam));  // keep it for the owner
      return;
    }
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
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

#endif  // _WIN32

}  // namespace syncmgr::reference::internal

#endif  // SYNCMGR_REFERENCE_INTERNAL_PLATFORM_H_
