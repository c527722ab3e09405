#include "windows/platform/com.h"

#include <atomic>
#include <mutex>
#include <set>
#include <string>

namespace syncmgr::com {
namespace {

thread_local std::string t_last_error;

std::wstring Widen(const std::string& text) {
  if (text.empty()) return {};
  const int n = MultiByteToWideChar(CP_UTF8, 0, text.data(),
                                    static_cast<int>(text.size()), nullptr, 0);
  std::wstring wide(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                      wide.data(), n);
  return wide;
}

HRESULT Fail(HRESULT hr, const std::string& why, std::string* error) {
  t_last_error = why;
  if (error != nullptr) *error = why;
  return hr;
}

std::wstring ClsidKey(REFCLSID clsid) {
  wchar_t text[40] = {};
  StringFromGUID2(clsid, text, 40);
  return std::wstring(L"CLSID\\") + text;
}

bool SetString(HKEY key, const wchar_t* name, const std::wstring& value) {
  return RegSetValueExW(
             key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
             static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t))) ==
         ERROR_SUCCESS;
}

// ---- The task allocator spy ----

class MallocSpy final : public IMallocSpy {
 public:
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    if (IsEqualIID(riid, IID_IUnknown) || IsEqualIID(riid, IID_IMallocSpy)) {
      *ppv = static_cast<IMallocSpy*>(this);
      return S_OK;
    }
    *ppv = nullptr;
    return E_NOINTERFACE;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return 2; }  // static object
  ULONG STDMETHODCALLTYPE Release() override { return 1; }

  SIZE_T STDMETHODCALLTYPE PreAlloc(SIZE_T cb) override {
    if (ShouldFail(cb)) return 0;
    return cb;
  }
  void* STDMETHODCALLTYPE PostAlloc(void* actual) override {
    if (actual != nullptr) {
      ++outstanding;
      Track(actual, true);
    }
    return actual;
  }
  void* STDMETHODCALLTYPE PreFree(void* request, BOOL spyed) override {
    if (request != nullptr && spyed) {
      --outstanding;
      Track(request, false);
    }
    return request;
  }
  void STDMETHODCALLTYPE PostFree(BOOL) override {}
  SIZE_T STDMETHODCALLTYPE PreRealloc(void* request, SIZE_T cb, void** actual,
                                      BOOL spyed) override {
    *actual = request;
    if (ShouldFail(cb)) return 0;
    if (request == nullptr && cb > 0) pending_realloc_alloc = true;
    if (request != nullptr && spyed) Track(request, false);
    return cb;
  }
  void* STDMETHODCALLTYPE PostRealloc(void* actual, BOOL) override {
    if (pending_realloc_alloc.exchange(false) && actual != nullptr) {
      ++outstanding;
    }
    if (actual != nullptr) Track(actual, true);
    return actual;
  }
  void* STDMETHODCALLTYPE PreGetSize(void* request, BOOL) override {
    return request;
  }
  SIZE_T STDMETHODCALLTYPE PostGetSize(SIZE_T actual, BOOL) override {
    return actual;
  }
  void* STDMETHODCALLTYPE PreDidAlloc(void* request, BOOL) override {
    return request;
  }
  int STDMETHODCALLTYPE PostDidAlloc(void*, BOOL, int actual) override {
    return actual;
  }
  void STDMETHODCALLTYPE PreHeapMinimize() override {}
  void STDMETHODCALLTYPE PostHeapMinimize() override {}

  bool ShouldFail(SIZE_T cb) {
    std::lock_guard lock(mu);
    return fail && fail(cb);
  }

  // The blocks allocated since the spy was registered and not yet freed.
  void Track(const void* block, bool live_now) {
    std::lock_guard lock(blocks_mu);
    if (live_now) {
      live.insert(block);
    } else {
      live.erase(block);
    }
  }
  bool IsLive(const void* block) {
    std::lock_guard lock(blocks_mu);
    return live.count(block) > 0;
  }

  std::atomic<long> outstanding{0};
  std::atomic<bool> pending_realloc_alloc{false};
  std::mutex mu;
  std::function<bool(SIZE_T)> fail;
  std::mutex blocks_mu;
  std::set<const void*> live;  // guarded by blocks_mu
};

MallocSpy& Spy() {
  static MallocSpy* spy = [] {
    auto* s = new MallocSpy();
    CoRegisterMallocSpy(s);
    return s;
  }();
  return *spy;
}

}  // namespace

HRESULT LoadInprocServer(const std::string& path,
                         DllGetClassObjectFn* get_class_object,
                         DllCanUnloadNowFn* can_unload, std::string* error) {
  HMODULE module = LoadLibraryW(Widen(path).c_str());
  if (module == nullptr) {
    return Fail(CO_E_DLLNOTFOUND,
                path + ": LoadLibrary failed (error " +
                    std::to_string(GetLastError()) + ")",
                error);
  }
  auto get = reinterpret_cast<DllGetClassObjectFn>(
      reinterpret_cast<void*>(GetProcAddress(module, "DllGetClassObject")));
  if (get == nullptr) {
    return Fail(CO_E_ERRORINDLL, path + ": no DllGetClassObject export", error);
  }
  if (get_class_object != nullptr) *get_class_object = get;
  if (can_unload != nullptr) {
    *can_unload = reinterpret_cast<DllCanUnloadNowFn>(
        reinterpret_cast<void*>(GetProcAddress(module, "DllCanUnloadNow")));
  }
  return S_OK;
}

HRESULT RegisterInprocServer(REFCLSID clsid, const std::string& path,
                             std::string* error) {
  if (HRESULT hr = LoadInprocServer(path, nullptr, nullptr, error);
      FAILED(hr)) {
    return hr;
  }
  wchar_t full[MAX_PATH * 4];
  const std::wstring wide = Widen(path);
  if (GetFullPathNameW(wide.c_str(), MAX_PATH * 4, full, nullptr) == 0) {
    wcsncpy(full, wide.c_str(), MAX_PATH * 4 - 1);
    full[MAX_PATH * 4 - 1] = 0;
  }
  const std::wstring name = ClsidKey(clsid) + L"\\InprocServer32";
  // Already registered to this DLL (by its own DllRegisterServer): kept as
  // it is, with the handler's own ThreadingModel.
  wchar_t current[MAX_PATH * 4] = {};
  DWORD size = sizeof current;
  if (RegGetValueW(HKEY_CLASSES_ROOT, name.c_str(), nullptr, RRF_RT_REG_SZ,
                   nullptr, current, &size) == ERROR_SUCCESS &&
      _wcsicmp(current, full) == 0) {
    return S_OK;
  }
  HKEY key = nullptr;
  if (RegCreateKeyExW(HKEY_CLASSES_ROOT, name.c_str(), 0, nullptr, 0, KEY_WRITE,
                      nullptr, &key, nullptr) != ERROR_SUCCESS) {
    return Fail(REGDB_E_WRITEREGDB, "cannot write HKCR\\CLSID", error);
  }
  const bool ok = SetString(key, nullptr, full) &&
                  SetString(key, L"ThreadingModel", L"Both");
  RegCloseKey(key);
  return ok ? S_OK
            : Fail(REGDB_E_WRITEREGDB, "cannot write InprocServer32", error);
}

HRESULT UnregisterInprocServer(REFCLSID clsid) {
  return RegDeleteTreeW(HKEY_CLASSES_ROOT, ClsidKey(clsid).c_str()) ==
                 ERROR_SUCCESS
             ? S_OK
             : S_FALSE;
}

HRESULT InprocServerCanUnloadNow(const std::string& path) {
  HMODULE module = GetModuleHandleW(Widen(path).c_str());
  if (module == nullptr) return CO_E_DLLNOTFOUND;
  auto can_unload = reinterpret_cast<DllCanUnloadNowFn>(
      reinterpret_cast<void*>(GetProcAddress(module, "DllCanUnloadNow")));
  return can_unload == nullptr ? S_FALSE : can_unload();
}

std::string LastActivationError() { return t_last_error; }

long OutstandingTaskMemAllocations() { return Spy().outstanding.load(); }

bool IsLiveTaskMemBlock(const void* pv) {
  return pv != nullptr && Spy().IsLive(pv);
}

void SetTaskMemFailureHook(std::function<bool(SIZE_T)> fail) {
  MallocSpy& spy = Spy();
  std::lock_guard lock(spy.mu);
  spy.fail = std::move(fail);
}

}  // namespace syncmgr::com
