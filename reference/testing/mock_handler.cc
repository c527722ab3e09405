#include "reference/testing/mock_handler.h"

#include <cstring>
#include <new>
#include <utility>

#include "reference/com/com.h"
#include "reference/testing/item_list_enumerator.h"

namespace syncmgr::testing {

using syncmgr::com::ComPtr;
using ::testing::_;
using ::testing::Invoke;
using ::testing::Return;

SYNCMGRITEM MakeItem(const GUID& id, const WCHAR* name, DWORD state) {
  SYNCMGRITEM item;
  std::memset(&item, 0, sizeof item);
  item.cbSize = sizeof(SYNCMGRITEM);
  item.ItemID = id;
  item.dwItemState = state;
  for (size_t i = 0; i + 1 < MAX_SYNCMGRITEMNAME && name[i] != 0; ++i) {
    item.wszItemName[i] = name[i];
  }
  return item;
}

GUID TestGuid(int n) {
  GUID g = {0x5E570000, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};
  g.Data4[6] = static_cast<BYTE>((n >> 8) & 0xFF);
  g.Data4[7] = static_cast<BYTE>(n & 0xFF);
  return g;
}

HRESULT CreateItemEnumerator(std::vector<SYNCMGRITEM> items,
                             ISyncMgrEnumItems** out) {
  if (out == nullptr) return E_POINTER;
  *out = new (std::nothrow) ItemListEnumerator(std::move(items));
  return *out != nullptr ? S_OK : E_OUTOFMEMORY;
}

// The handler object whose method this thread is in, so that
// HandlerMock::callback() gives a mock action its own session's callback
// when sessions of one mock run at the same time.
thread_local const void* t_current_object = nullptr;

class CurrentObject {
 public:
  explicit CurrentObject(const void* object)
      : previous_(std::exchange(t_current_object, object)) {}
  ~CurrentObject() { t_current_object = previous_; }

 private:
  const void* previous_;
};

// The COM object a session sees; one per CoCreateInstance.
class HandlerObject final : public com::Object<ISyncMgrSynchronize> {
 public:
  explicit HandlerObject(HandlerMock* mock) : mock_(mock) {
    mock_->ObjectCreated(this);
  }
  HRESULT STDMETHODCALLTYPE Initialize(DWORD reserved, DWORD flags, DWORD cb,
                                       const BYTE* cookie) override {
    mock_->Log("Initialize");
    CurrentObject current(this);
    return mock_->Initialize(reserved, flags, cb, cookie);
  }
  HRESULT STDMETHODCALLTYPE GetHandlerInfo(SYNCMGRHANDLERINFO** info) override {
    mock_->Log("GetHandlerInfo");
    CurrentObject current(this);
    return mock_->GetHandlerInfo(info);
  }
  HRESULT STDMETHODCALLTYPE
  EnumSyncMgrItems(ISyncMgrEnumItems** items) override {
    mock_->Log("EnumSyncMgrItems");
    CurrentObject current(this);
    return mock_->EnumSyncMgrItems(items);
  }
  HRESULT STDMETHODCALLTYPE GetItemObject(REFGUID item, REFIID riid,
                                          void** ppv) override {
    mock_->Log("GetItemObject");
    CurrentObject current(this);
    return mock_->GetItemObject(item, riid, ppv);
  }
  HRESULT STDMETHODCALLTYPE ShowProperties(HWND parent, REFGUID item) override {
    mock_->Log("ShowProperties");
    CurrentObject current(this);
    return mock_->ShowProperties(parent, item);
  }
  HRESULT STDMETHODCALLTYPE
  SetProgressCallback(ISyncMgrSynchronizeCallback* callback) override {
    mock_->Log(callback != nullptr ? "SetProgressCallback(callback)"
                                   : "SetProgressCallback(NULL)");
    CurrentObject current(this);
    const HRESULT hr = mock_->SetProgressCallback(callback);
    if (SUCCEEDED(hr)) mock_->StoreCallback(this, callback);
    return hr;
  }
  HRESULT STDMETHODCALLTYPE PrepareForSync(ULONG count, GUID* ids, HWND parent,
                                           DWORD reserved) override {
    mock_->Log("PrepareForSync");
    CurrentObject current(this);
    {
      std::lock_guard lock(mock_->mu_);
      mock_->prepared_.assign(ids, ids + count);
    }
    return mock_->PrepareForSync(count, ids, parent, reserved);
  }
  HRESULT STDMETHODCALLTYPE Synchronize(HWND parent) override {
    mock_->Log("Synchronize");
    CurrentObject current(this);
    return mock_->Synchronize(parent);
  }
  HRESULT STDMETHODCALLTYPE SetItemStatus(REFGUID item, DWORD status) override {
    mock_->Log("SetItemStatus");
    CurrentObject current(this);
    return mock_->SetItemStatus(item, status);
  }
  HRESULT STDMETHODCALLTYPE ShowError(HWND parent, REFGUID error) override {
    mock_->Log("ShowError");
    CurrentObject current(this);
    return mock_->ShowError(parent, error);
  }

 private:
  ~HandlerObject() override { mock_->ObjectDestroyed(this); }
  HandlerMock* mock_;
};

HandlerMock::HandlerMock() {
  ON_CALL(*this, Initialize).WillByDefault(Return(S_OK));
  ON_CALL(*this, GetHandlerInfo)
      .WillByDefault(Invoke([this](SYNCMGRHANDLERINFO** out) {
        auto* info = static_cast<SYNCMGRHANDLERINFO*>(
            CoTaskMemAlloc(sizeof(SYNCMGRHANDLERINFO)));
        if (info == nullptr) return E_OUTOFMEMORY;
        std::memset(info, 0, sizeof *info);
        info->cbSize = sizeof *info;
        for (size_t i = 0; i + 1 < MAX_SYNCMGRHANDLERNAME && i < name.size();
             ++i) {
          info->wszHandlerName[i] = name[i];
        }
        *out = info;
        return S_OK;
      }));
  ON_CALL(*this, EnumSyncMgrItems)
      .WillByDefault(Invoke([this](ISyncMgrEnumItems** out) {
        return CreateItemEnumerator(items, out);
      }));
  ON_CALL(*this, GetItemObject).WillByDefault(Return(E_NOTIMPL));
  ON_CALL(*this, ShowProperties).WillByDefault(Return(S_OK));
  ON_CALL(*this, SetProgressCallback).WillByDefault(Return(S_OK));
  ON_CALL(*this, PrepareForSync)
      .WillByDefault(Invoke([this](ULONG, GUID*, HWND, DWORD) {
        if (auto cb = callback()) cb->PrepareForSyncCompleted(S_OK);
        return S_OK;
      }));
  ON_CALL(*this, Synchronize).WillByDefault(Invoke([this](HWND) {
    if (auto cb = callback()) cb->SynchronizeCompleted(S_OK);
    return S_OK;
  }));
  ON_CALL(*this, SetItemStatus).WillByDefault(Return(S_OK));
  ON_CALL(*this, ShowError).WillByDefault(Invoke([this](HWND, const GUID&) {
    if (auto cb = callback()) cb->ShowErrorCompleted(S_OK, 0, nullptr);
    return S_OK;
  }));
  items = {MakeItem(TestGuid(1), WSTR("First item")),
           MakeItem(TestGuid(2), WSTR("Second item"))};
}

HandlerMock::~HandlerMock() {
  JoinThreads();
  callback_.Reset();
}

ComPtr<ISyncMgrSynchronizeCallback> HandlerMock::callback() {
  std::lock_guard lock(mu_);
  if (t_current_object != nullptr) {
    auto it = callbacks_.find(t_current_object);
    if (it != callbacks_.end()) return it->second;
  }
  return callback_;
}

std::vector<GUID> HandlerMock::prepared_items() {
  std::lock_guard lock(mu_);
  return prepared_;
}

IUnknown* HandlerMock::last_object() {
  std::lock_guard lock(mu_);
  return last_object_;
}

int HandlerMock::current_object_number() {
  std::lock_guard lock(mu_);
  auto it = numbers_.find(t_current_object);
  return it == numbers_.end() ? 0 : it->second;
}

int HandlerMock::objects_created() {
  std::lock_guard lock(mu_);
  return created_;
}

int HandlerMock::objects_alive() {
  std::lock_guard lock(mu_);
  return alive_;
}

bool HandlerMock::WaitUntilDestroyed(std::chrono::milliseconds timeout,
                                     int created) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout,
                      [&] { return created_ >= created && alive_ == 0; });
}

void HandlerMock::RunOnThread(std::function<void()> work) {
  std::lock_guard lock(mu_);
  threads_.emplace_back(std::move(work));
}

void HandlerMock::JoinThreads() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

std::vector<std::string> HandlerMock::calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

void HandlerMock::Log(const char* call) {
  std::lock_guard lock(mu_);
  calls_.push_back(call);
}

void HandlerMock::ObjectCreated(IUnknown* object) {
  Log("Created");
  Created();
  std::lock_guard lock(mu_);
  last_object_ = object;
  ++created_;
  numbers_[object] = created_;
  ++alive_;
}

void HandlerMock::ObjectDestroyed(const void* object) {
  ComPtr<ISyncMgrSynchronizeCallback> released, own;
  {
    std::lock_guard lock(mu_);
    // A handler releases its callback when it is destroyed.
    if (callback_owner_ == object) {
      released = std::move(callback_);
      callback_owner_ = nullptr;
    }
    auto it = callbacks_.find(object);
    if (it != callbacks_.end()) {
      own = std::move(it->second);
      callbacks_.erase(it);
    }
    numbers_.erase(object);
  }
  released.Reset();
  own.Reset();
  Log("Destroyed");
  Destroyed();
  std::lock_guard lock(mu_);
  if (last_object_ == object) last_object_ = nullptr;
  --alive_;
  cv_.notify_all();
}

void HandlerMock::StoreCallback(const void* object,
                                ISyncMgrSynchronizeCallback* callback) {
  ComPtr<ISyncMgrSynchronizeCallback> old;
  std::lock_guard lock(mu_);
  if (callback != nullptr) callback->AddRef();
  old = std::move(callback_);
  callback_ = ComPtr<ISyncMgrSynchronizeCallback>::Adopt(callback);
  callback_owner_ = callback != nullptr ? object : nullptr;
  if (callback != nullptr) {
    callbacks_[object] = callback_;
  } else {
    callbacks_.erase(object);
  }
}

RegisteredHandler::RegisteredHandler(const GUID& clsid, HandlerMock* mock) {
  ComPtr<IClassFactory> factory =
      ComPtr<IClassFactory>::Adopt(com::NewClassFactory(
          [mock] { return new (std::nothrow) HandlerObject(mock); }));
  const HRESULT hr = CoRegisterClassObject(
      clsid, factory.Get(), CLSCTX_INPROC_SERVER, REGCLS_MULTIPLEUSE, &cookie_);
  EXPECT_EQ(hr, S_OK) << "CoRegisterClassObject";
}

RegisteredHandler::~RegisteredHandler() {
  if (cookie_ != 0) CoRevokeClassObject(cookie_);
}

}  // namespace syncmgr::testing
