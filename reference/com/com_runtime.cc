// The COM runtime of com.h: activation, class object and in-proc server
// registration, the task allocator and GUID text.
//
// Locking: the registries (internal/class_registry.h,
// internal/module_loader.h) only hold their locks while they copy entries in
// or out. Every call into a COM object or a plug-in (DllGetClassObject,
// IUnknown, IClassFactory, dlopen's constructors) happens with no lock held,
// so such code may call back into this runtime.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SYNCMGR_HAVE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(SYNCMGR_HAVE_ASAN)
#define SYNCMGR_HAVE_ASAN 1
#endif
#if defined(SYNCMGR_HAVE_ASAN)
#include <sanitizer/asan_interface.h>
#endif

#include "reference/com/com.h"
#include "reference/com/internal/class_registry.h"
#include "reference/com/internal/module_loader.h"
#include "reference/mobsync/guid.h"
#include "reference/mobsync/hresult.h"

namespace {

using syncmgr::com::internal::AdoptClassObject;
using syncmgr::com::internal::ClassObjectRef;
using syncmgr::com::internal::ClassRegistry;
using syncmgr::com::internal::InprocServer;
using syncmgr::com::internal::ModuleEntryPoints;

// ---- Activation errors ----

thread_local std::string t_last_activation_error;

// Records "<api>(<clsid>): <HRESULT>: <reason>" as this thread's last
// activation error (and in *error if not null) and returns hr.
HRESULT Fail(const char* api, REFCLSID clsid, HRESULT hr,
             const std::string& reason, std::string* error = nullptr) {
  std::string line = syncmgr::com::internal::OneLine(
      std::string(api) + "(" + syncmgr::FormatGuid(clsid) +
      "): " + syncmgr::DescribeHresult(hr) + ": " + reason);
  if (error != nullptr) *error = line;
  t_last_activation_error = std::move(line);
  return hr;
}

std::string Hex(DWORD value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%X", static_cast<unsigned>(value));
  return text;
}

// What served a CLSID: a class object (by cookie) or an in-proc server (by
// path). Its text is built only when a message needs it, so that a
// successful activation allocates nothing for messages.
struct Source {
  DWORD cookie = 0;
  std::string path;  // empty for a class object
  std::string Describe() const {
    return path.empty() ? "the class object registered with cookie " +
                              std::to_string(cookie)
                        : "the in-proc server " + path;
  }
};

// Checks what `method`(riid), called on `source`, returned in *ppv: a
// failure leaves *ppv NULL, and a success must come with an object.
HRESULT CheckReturnedObject(const char* api, REFCLSID clsid, HRESULT hr,
                            void** ppv, const char* method, REFIID riid,
                            const Source& source) {
  if (SUCCEEDED(hr) && *ppv != nullptr) return hr;
  const std::string call =
      std::string(method) + "(" + syncmgr::FormatGuid(riid) + ")";
  if (FAILED(hr)) {
    // A non-NULL pointer next to a failure breaks the COM rules; it is not
    // ours to release (its reference count is unknown), only to drop.
    *ppv = nullptr;
    return Fail(api, clsid, hr, call + " of " + source.Describe() + " failed");
  }
  return Fail(api, clsid, E_UNEXPECTED,
              call + " of " + source.Describe() + " returned " +
                  syncmgr::DescribeHresult(hr) + " with a NULL pointer");
}

// CoGetClassObject without the argument checks; `source` receives a
// description of what served the CLSID (for later messages).
HRESULT GetClassObject(const char* api, REFCLSID clsid, DWORD clsctx,
                       REFIID riid, void** ppv, Source* source) {
  if ((clsctx & CLSCTX_INPROC_SERVER) == 0) {
    return Fail(api, clsid, REGDB_E_CLASSNOTREG,
                "dwClsContext " + Hex(clsctx) +
                    " lacks CLSCTX_INPROC_SERVER, and only in-process "
                    "servers exist here");
  }
  ClassRegistry& registry = ClassRegistry::Instance();
  DWORD cookie = 0;
  // `object` is dropped at the end of this block, unlocked: if it was
  // revoked meanwhile, that is where its registration's reference goes.
  if (ClassObjectRef object =
          registry.FindClassObject(clsid, clsctx, &cookie)) {
    source->cookie = cookie;
    const HRESULT hr = object->QueryInterface(riid, ppv);
    return CheckReturnedObject(api, clsid, hr, ppv, "IUnknown::QueryInterface",
                               riid, *source);
  }
  InprocServer server;
  if (registry.FindInprocServer(clsid, &server)) {
    source->path = server.path;
    const HRESULT hr = server.get_class_object(clsid, riid, ppv);
    return CheckReturnedObject(api, clsid, hr, ppv, "DllGetClassObject", riid,
                               *source);
  }
  return Fail(api, clsid, REGDB_E_CLASSNOTREG,
              "no class object or in-proc server is registered for this "
              "CLSID");
}

// ---- CoInitializeEx ----

thread_local long t_initialize_count = 0;

// ---- The task allocator ----

std::atomic<long> g_outstanding_task_memory{0};

// Each block starts with a 16-byte header (keeping malloc's alignment) whose
// first 8 bytes are a tag made from the block's address, so that
// CoTaskMemFree and IsTaskMemBlock tell the task allocator's blocks from
// anyone else's (a handler that hands over malloc'd memory breaks HS-006).
constexpr size_t kTaskMemHeader = 16;

std::uint64_t TaskMemTag(const void* block) {
  return 0x5441534B4D454D31ull ^ reinterpret_cast<std::uintptr_t>(block);
}

void* TagTaskMemBlock(void* block) {
  const std::uint64_t tag = TaskMemTag(block);
  std::memcpy(block, &tag, sizeof tag);
  return static_cast<BYTE*>(block) + kTaskMemHeader;
}

using FailureHook = std::function<bool(SIZE_T)>;
struct TaskMemFailureHook {
  std::mutex mutex;
  std::shared_ptr<const FailureHook> fail;  // guarded by mutex
  std::atomic<bool> set{false};             // fast path: no hook
};

TaskMemFailureHook& Hook() {
  static TaskMemFailureHook* const hook = new TaskMemFailureHook;
  return *hook;
}

// Asks the failure hook, called with no lock held (it may allocate).
bool ShouldFail(SIZE_T cb) {
  TaskMemFailureHook& hook = Hook();
  if (!hook.set.load(std::memory_order_acquire)) return false;
  std::shared_ptr<const FailureHook> fail;
  {
    std::lock_guard<std::mutex> lock(hook.mutex);
    fail = hook.fail;
  }
  return fail != nullptr && (*fail)(cb);
}

// ---- GUID text ----

constexpr int kGuidTextChars = 38;  // without the NUL

enum class GuidText { kOk, kWrongLength, kMalformed };

// Reads `text` (NUL-terminated, never beyond kGuidTextChars + 1 characters)
// as a braced GUID.
GuidText ReadGuidText(LPCOLESTR text, GUID* guid) {
  std::string narrow;
  for (int i = 0; i <= kGuidTextChars; ++i) {
    const char16_t c = text[i];
    if (c == u'\0') break;
    narrow.push_back(c < 0x80 ? static_cast<char>(c) : '\x7f');
  }
  if (narrow.size() != static_cast<size_t>(kGuidTextChars)) {
    return GuidText::kWrongLength;
  }
  // 0x7F stands for every non-ASCII character: never a hex digit.
  if (narrow.front() != '{' || !syncmgr::ParseGuid(narrow, guid, nullptr)) {
    return GuidText::kMalformed;
  }
  return GuidText::kOk;
}

}  // namespace

// ---- ole32 entry points ----

extern "C" {

HRESULT CoInitializeEx(LPVOID pvReserved, DWORD /*dwCoInit*/) {
  if (pvReserved != nullptr) return E_INVALIDARG;
  return t_initialize_count++ == 0 ? S_OK : S_FALSE;
}

HRESULT CoInitialize(LPVOID pvReserved) {
  return CoInitializeEx(pvReserved, COINIT_APARTMENTTHREADED);
}

void CoUninitialize(void) {
  if (t_initialize_count > 0) --t_initialize_count;
}

HRESULT CoCreateInstance(REFCLSID rclsid, LPUNKNOWN pUnkOuter,
                         DWORD dwClsContext, REFIID riid, LPVOID* ppv) {
  static constexpr char kApi[] = "CoCreateInstance";
  if (ppv == nullptr) return Fail(kApi, rclsid, E_POINTER, "ppv is NULL");
  *ppv = nullptr;
  if (pUnkOuter != nullptr) {
    return Fail(kApi, rclsid, CLASS_E_NOAGGREGATION,
                "pUnkOuter is not NULL; aggregation is not supported");
  }
  IClassFactory* factory = nullptr;
  Source source;
  HRESULT hr = GetClassObject(kApi, rclsid, dwClsContext, IID_IClassFactory,
                              reinterpret_cast<void**>(&factory), &source);
  if (FAILED(hr)) return hr;
  hr = factory->CreateInstance(nullptr, riid, ppv);
  factory->Release();
  return CheckReturnedObject(kApi, rclsid, hr, ppv,
                             "IClassFactory::CreateInstance", riid, source);
}

HRESULT CoGetClassObject(REFCLSID rclsid, DWORD dwClsContext,
                         LPVOID /*pvReserved*/, REFIID riid, LPVOID* ppv) {
  static constexpr char kApi[] = "CoGetClassObject";
  if (ppv == nullptr) return Fail(kApi, rclsid, E_INVALIDARG, "ppv is NULL");
  *ppv = nullptr;
  Source source;
  return GetClassObject(kApi, rclsid, dwClsContext, riid, ppv, &source);
}

HRESULT CoRegisterClassObject(REFCLSID rclsid, LPUNKNOWN pUnk,
                              DWORD dwClsContext, DWORD /*flags*/,
                              LPDWORD lpdwRegister) {
  if (lpdwRegister == nullptr) return E_INVALIDARG;
  *lpdwRegister = 0;
  if (pUnk == nullptr) return E_INVALIDARG;
  pUnk->AddRef();  // before any lock is taken
  *lpdwRegister = ClassRegistry::Instance().AddClassObject(
      rclsid, dwClsContext, AdoptClassObject(pUnk));
  return S_OK;
}

HRESULT CoRevokeClassObject(DWORD dwRegister) {
  ClassObjectRef object =
      ClassRegistry::Instance().RemoveClassObject(dwRegister);
  if (object == nullptr) return CO_E_OBJNOTREG;
  object.reset();  // Release, unless an activation still uses it
  return S_OK;
}

LPVOID CoTaskMemAlloc(SIZE_T cb) {
  if (ShouldFail(cb)) return nullptr;
  if (cb > SIZE_MAX - kTaskMemHeader) return nullptr;
  // malloc(0) may return NULL; one byte makes every block unique.
  void* const block = std::malloc(kTaskMemHeader + (cb == 0 ? 1 : cb));
  if (block == nullptr) return nullptr;
  g_outstanding_task_memory.fetch_add(1);
  return TagTaskMemBlock(block);
}

LPVOID CoTaskMemRealloc(LPVOID pv, SIZE_T cb) {
  if (pv == nullptr) return CoTaskMemAlloc(cb);
  if (cb == 0) {
    // Freeing cannot fail, so the failure hook is not asked.
    CoTaskMemFree(pv);
    return nullptr;
  }
  if (ShouldFail(cb)) return nullptr;
  if (!syncmgr::com::IsTaskMemBlock(pv)) return std::realloc(pv, cb);
  if (cb > SIZE_MAX - kTaskMemHeader) return nullptr;
  void* const block = std::realloc(static_cast<BYTE*>(pv) - kTaskMemHeader,
                                   kTaskMemHeader + cb);
  return block == nullptr ? nullptr : TagTaskMemBlock(block);  // NULL: pv kept
}

void CoTaskMemFree(LPVOID pv) {
  if (pv == nullptr) return;
  if (!syncmgr::com::IsTaskMemBlock(pv)) {
    // Not from CoTaskMemAlloc (HS-006): most likely malloc's.
    std::free(pv);
    return;
  }
  BYTE* const block = static_cast<BYTE*>(pv) - kTaskMemHeader;
  std::memset(block, 0, sizeof(std::uint64_t));  // a freed block is not ours
  std::free(block);
  g_outstanding_task_memory.fetch_sub(1);
}

int StringFromGUID2(REFGUID rguid, LPOLESTR lpsz, int cchMax) {
  if (lpsz == nullptr || cchMax < kGuidTextChars + 1) return 0;
  const std::string text = syncmgr::FormatGuid(rguid);
  for (int i = 0; i < kGuidTextChars; ++i) lpsz[i] = text[i];
  lpsz[kGuidTextChars] = u'\0';
  return kGuidTextChars + 1;
}

HRESULT CLSIDFromString(LPCOLESTR lpsz, LPCLSID pclsid) {
  if (pclsid == nullptr) return E_INVALIDARG;
  if (lpsz == nullptr) {
    *pclsid = CLSID_NULL;
    return S_OK;
  }
  GUID guid;
  if (ReadGuidText(lpsz, &guid) != GuidText::kOk) {
    *pclsid = CLSID_NULL;
    return CO_E_CLASSSTRING;
  }
  *pclsid = guid;
  return S_OK;
}

HRESULT IIDFromString(LPCOLESTR lpsz, LPIID lpiid) {
  if (lpiid == nullptr) return E_INVALIDARG;
  if (lpsz == nullptr) {
    *lpiid = IID_NULL;
    return S_OK;
  }
  GUID guid;
  switch (ReadGuidText(lpsz, &guid)) {
    case GuidText::kOk:
      *lpiid = guid;
      return S_OK;
    case GuidText::kWrongLength:
      return E_INVALIDARG;
    case GuidText::kMalformed:
      break;
  }
  *lpiid = IID_NULL;
  return CO_E_IIDSTRING;
}

}  // extern "C"

// ---- Extensions ----

namespace syncmgr::com {

HRESULT RegisterInprocServer(REFCLSID clsid, const std::string& path,
                             std::string* error) {
  ModuleEntryPoints entry_points;
  std::string reason;
  const HRESULT hr = internal::OpenModule(path, &entry_points, &reason);
  if (FAILED(hr)) return Fail("RegisterInprocServer", clsid, hr, reason, error);
  ClassRegistry::Instance().SetInprocServer(
      clsid, InprocServer{path, entry_points.get_class_object});
  return S_OK;
}

HRESULT UnregisterInprocServer(REFCLSID clsid) {
  return ClassRegistry::Instance().RemoveInprocServer(clsid) ? S_OK : S_FALSE;
}

HRESULT InprocServerCanUnloadNow(const std::string& path) {
  ModuleEntryPoints entry_points;
  if (!internal::FindOpenedModule(path, &entry_points)) {
    return CO_E_DLLNOTFOUND;
  }
  if (entry_points.can_unload_now == nullptr) return S_FALSE;
  return entry_points.can_unload_now();
}

HRESULT LoadInprocServer(const std::string& path,
                         DllGetClassObjectFn* get_class_object,
                         DllCanUnloadNowFn* can_unload, std::string* error) {
  if (get_class_object == nullptr) return E_POINTER;
  *get_class_object = nullptr;
  if (can_unload != nullptr) *can_unload = nullptr;
  ModuleEntryPoints entry_points;
  const HRESULT hr = internal::OpenModule(path, &entry_points, error);
  if (FAILED(hr)) return hr;
  *get_class_object = entry_points.get_class_object;
  if (can_unload != nullptr) *can_unload = entry_points.can_unload_now;
  return S_OK;
}

void ResetRegistrations() {
  // Dropped here, after the registry's lock was released: each Release may
  // run plug-in code.
  std::vector<ClassObjectRef> released = ClassRegistry::Instance().Clear();
  released.clear();
}

std::string LastActivationError() { return t_last_activation_error; }

bool IsLiveTaskMemBlock(const void* pv) { return IsTaskMemBlock(pv); }

bool IsTaskMemBlock(const void* pv) {
  if (pv == nullptr) return false;
  const BYTE* const block = static_cast<const BYTE*>(pv) - kTaskMemHeader;
#if defined(SYNCMGR_HAVE_ASAN)
  // Another allocator's block: its left redzone, which ASan would report.
  if (__asan_region_is_poisoned(const_cast<BYTE*>(block), kTaskMemHeader)) {
    return false;
  }
#endif
  std::uint64_t tag = 0;
  std::memcpy(&tag, block, sizeof tag);
  return tag == TaskMemTag(block);
}

long OutstandingTaskMemAllocations() {
  return g_outstanding_task_memory.load();
}

void SetTaskMemFailureHook(std::function<bool(SIZE_T)> fail) {
  TaskMemFailureHook& hook = Hook();
  std::shared_ptr<const FailureHook> replaced;  // destroyed unlocked
  std::lock_guard<std::mutex> lock(hook.mutex);
  replaced = std::move(hook.fail);
  if (fail) hook.fail = std::make_shared<const FailureHook>(std::move(fail));
  hook.set.store(hook.fail != nullptr, std::memory_order_release);
}

}  // namespace syncmgr::com
