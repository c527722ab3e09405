// File: reference/com/object.h
//
// The one IUnknown implementation every COM object of ours uses: an atomic
// reference count, QueryInterface over a list of interfaces, and a per-module
// count of live objects and server locks behind DllCanUnloadNow. Header only,
// so that plug-ins compile it into themselves (built with hidden visibility,
// each shared object then has its own module counters).
//
// Example:
//   class Handler final
//       : public syncmgr::com::Object<ISyncMgrSynchronize> {
//     ... the ISyncMgrSynchronize methods ...
//   };
//   // A plug-in's entry points:
//   extern "C" HRESULT DllGetClassObject(REFCLSID clsid, REFIID riid,
//                                        void** ppv) {
//     return syncmgr::com::GetClassObjectFor<Handler>(kClsid, clsid, riid,
//                                                     ppv);
//   }
//   extern "C" HRESULT DllCanUnloadNow() {
//     return syncmgr::com::ModuleCanUnloadNow();
//   }
#ifndef SYNCMGR_REFERENCE_COM_OBJECT_H_
#define SYNCMGR_REFERENCE_COM_OBJECT_H_

#include <atomic>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

#include "reference/mobsync/windows_types.h"

// The entry points of an in-proc server (the plug-in contract), declared with
// default visibility: a plug-in compiled with -fvisibility=hidden
// (tools/plugin.bzl) then exports its definitions, which would otherwise be
// hidden and invisible to dlsym.
extern "C" {
__attribute__((visibility("default"))) HRESULT DllGetClassObject(
    REFCLSID rclsid, REFIID riid, LPVOID* ppv);
__attribute__((visibility("default"))) HRESULT DllCanUnloadNow();
__attribute__((visibility("default"))) HRESULT DllRegisterServer();
__attribute__((visibility("default"))) HRESULT DllUnregisterServer();
}  // extern "C"

namespace syncmgr::com {

// Live objects and LockServer locks of the module (shared object or
// executable) this header is compiled into.
struct ModuleCounters {
  std::atomic<long> objects{0};
  std::atomic<long> locks{0};
};
inline ModuleCounters& ThisModule() {
  static ModuleCounters counters;
  return counters;
}
inline long LiveObjects() { return ThisModule().objects.load(); }

// S_OK when no object of this module is alive and no lock is held.
inline HRESULT ModuleCanUnloadNow() {
  return (ThisModule().objects.load() == 0 && ThisModule().locks.load() == 0)
             ? S_OK
             : S_FALSE;
}

// Implements IUnknown for a class deriving from the given interfaces. The
// reference count starts at 1, owned by whoever called `new`.
template <typename... Interfaces>
class Object : public Interfaces... {
  static_assert(sizeof...(Interfaces) > 0, "list at least one interface");

 public:
  Object() { ThisModule().objects.fetch_add(1, std::memory_order_relaxed); }
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    if (IsEqualIID(riid, IID_IUnknown)) {
      *ppv = static_cast<IUnknown*>(static_cast<First*>(this));
    } else if (!(Match<Interfaces>(riid, ppv) || ...) &&
               !QueryOtherInterface(riid, ppv)) {
      return E_NOINTERFACE;
    }
    AddRef();
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE AddRef() override {
    return refs_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  ULONG STDMETHODCALLTYPE Release() override {
    const ULONG left = refs_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if (left == 0) delete this;
    return left;
  }

 protected:
  virtual ~Object() {
    ThisModule().objects.fetch_sub(1, std::memory_order_relaxed);
  }
  // Override to answer QueryInterface for IIDs beyond the listed interfaces.
  // Set *ppv without AddRef; return true if found.
  virtual bool QueryOtherInterface(REFIID /*riid*/, void** /*ppv*/) {
    return false;
  }

 private:
  using First = std::tuple_element_t<0, std::tuple<Interfaces...>>;
  template <typename I>
  bool Match(REFIID riid, void** ppv) {
    if (!IsEqualIID(riid, InterfaceId<I>::value())) return false;
    *ppv = static_cast<I*>(this);
    return true;
  }
  std::atomic<ULONG> refs_{1};
};

// Creates a T (default-constructed) and returns the requested interface.
template <typename T>
HRESULT CreateObject(REFIID riid, void** ppv) {
  if (ppv == nullptr) return E_POINTER;
  *ppv = nullptr;
  T* object = new (std::nothrow) T();
  if (object == nullptr) return E_OUTOFMEMORY;
  const HRESULT hr = object->QueryInterface(riid, ppv);
  object->Release();
  return hr;
}

// A class factory whose objects come from `create()`: a new object holding
// one reference (its own), or nullptr when memory ran out. Aggregation is
// refused; LockServer counts in ThisModule().locks.
//   ComPtr<IClassFactory>::Adopt(NewClassFactory([state] {
//     return new (std::nothrow) Handler(state);
//   }));
template <typename Create>
class CreatorFactory final : public Object<IClassFactory> {
 public:
  explicit CreatorFactory(Create create = Create())
      : create_(std::move(create)) {}
  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID riid,
                                           void** ppv) override {
    if (ppv == nullptr) return E_POINTER;
    *ppv = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    auto* object = create_();
    if (object == nullptr) return E_OUTOFMEMORY;
    const HRESULT hr = object->QueryInterface(riid, ppv);
    object->Release();
    return hr;
  }
  HRESULT STDMETHODCALLTYPE LockServer(BOOL lock) override {
    if (lock) {
      ThisModule().locks.fetch_add(1);
    } else {
      ThisModule().locks.fetch_sub(1);
    }
    return S_OK;
  }

 private:
  Create create_;
};

template <typename Create>
CreatorFactory<Create>* NewClassFactory(Create create) {
  return new (std::nothrow) CreatorFactory<Create>(std::move(create));
}

// Creates a default-constructed T, for ClassFactory<T>.
template <typename T>
struct NewObject {
  T* operator()() const { return new (std::nothrow) T(); }
};

// A class factory that creates T with `new T()`.
template <typename T>
using ClassFactory = CreatorFactory<NewObject<T>>;

// The body of a one-class plug-in's DllGetClassObject.
template <typename T>
HRESULT GetClassObjectFor(REFCLSID served, REFCLSID clsid, REFIID riid,
                          void** ppv) {
  if (ppv == nullptr) return E_POINTER;
  *ppv = nullptr;
  if (!IsEqualCLSID(clsid, served)) return CLASS_E_CLASSNOTAVAILABLE;
  return CreateObject<ClassFactory<T>>(riid, ppv);
}

// An owning interface pointer (the role of WRL's ComPtr).
template <typename T>
class ComPtr {
 public:
  ComPtr() = default;
  ComPtr(std::nullptr_t) {}
  // Adopts a reference the caller already owns.
  static ComPtr Adopt(T* p) {
    ComPtr c;
    c.p_ = p;
    return c;
  }
  ComPtr(const ComPtr& other) : p_(other.p_) {
    if (p_ != nullptr) p_->AddRef();
  }
  ComPtr(ComPtr&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  ComPtr& operator=(ComPtr other) noexcept {
    std::swap(p_, other.p_);
    return *this;
  }
  ~ComPtr() { Reset(); }

  T* Get() const { return p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  // Releases the held reference.
  void Reset() {
    if (T* p = std::exchange(p_, nullptr)) p->Release();
  }
  // Gives up ownership without Release.
  T* Detach() { return std::exchange(p_, nullptr); }
  // For out-parameters: releases the current pointer first.
  T** Put() {
    Reset();
    return &p_;
  }
  void** PutVoid() { return reinterpret_cast<void**>(Put()); }

  template <typename U>
  HRESULT As(ComPtr<U>* out) const {
    if (p_ == nullptr) return E_POINTER;
    return p_->QueryInterface(InterfaceId<U>::value(), out->PutVoid());
  }

 private:
  T* p_ = nullptr;
};

}  // namespace syncmgr::com

#endif  // SYNCMGR_REFERENCE_COM_OBJECT_H_
