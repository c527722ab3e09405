// File: reference/com/testdata/test_interfaces.h
//
// The interfaces and CLSIDs shared by the test plug-ins of this directory and
// the tests that load them. Header only: plug-ins compile it in.
//
// Example:
//   ITestGreeter* greeter = nullptr;
//   CoCreateInstance(CLSID_TestGoodServer, nullptr, CLSCTX_INPROC_SERVER,
//                    IID_PPV_ARGS(&greeter));
//   LPOLESTR text = nullptr;
//   greeter->Greet(&text);  // allocated by the host's CoTaskMemAlloc
//   CoTaskMemFree(text);
//   greeter->Release();
#ifndef SYNCMGR_REFERENCE_COM_TESTDATA_TEST_INTERFACES_H_
#define SYNCMGR_REFERENCE_COM_TESTDATA_TEST_INTERFACES_H_

#include "reference/mobsync/windows_types.h"

// {7C1E5E10-3D2A-4F57-9B1E-0A2F6C3D4E01}
DEFINE_GUID(IID_ITestGreeter, 0x7C1E5E10, 0x3D2A, 0x4F57, 0x9B, 0x1E, 0x0A,
            0x2F, 0x6C, 0x3D, 0x4E, 0x01);
// {7C1E5E10-3D2A-4F57-9B1E-0A2F6C3D4E02}
DEFINE_GUID(IID_ITestCounter, 0x7C1E5E10, 0x3D2A, 0x4F57, 0x9B, 0x1E, 0x0A,
            0x2F, 0x6C, 0x3D, 0x4E, 0x02);

// Served by good_server.so.
// {7C1E5E10-3D2A-4F57-9B1E-0A2F6C3D4E10}
DEFINE_GUID(CLSID_TestGoodServer, 0x7C1E5E10, 0x3D2A, 0x4F57, 0x9B, 0x1E, 0x0A,
            0x2F, 0x6C, 0x3D, 0x4E, 0x10);
// Served by null_factory.so: its class factory's CreateInstance returns S_OK
// with a NULL object.
// {7C1E5E10-3D2A-4F57-9B1E-0A2F6C3D4E11}
DEFINE_GUID(CLSID_TestNullObject, 0x7C1E5E10, 0x3D2A, 0x4F57, 0x9B, 0x1E, 0x0A,
            0x2F, 0x6C, 0x3D, 0x4E, 0x11);
// Served by null_factory.so: its DllGetClassObject returns S_OK with a NULL
// class object.
// {7C1E5E10-3D2A-4F57-9B1E-0A2F6C3D4E12}
DEFINE_GUID(CLSID_TestNullClassObject, 0x7C1E5E10, 0x3D2A, 0x4F57, 0x9B, 0x1E,
            0x0A, 0x2F, 0x6C, 0x3D, 0x4E, 0x12);
// Served by failing_factory.so: CreateInstance returns E_OUTOFMEMORY.
// {7C1E5E10-3D2A-4F57-9B1E-0A2F6C3D4E13}
DEFINE_GUID(CLSID_TestFailingFactory, 0x7C1E5E10, 0x3D2A, 0x4F57, 0x9B, 0x1E,
            0x0A, 0x2F, 0x6C, 0x3D, 0x4E, 0x13);

// Returns a greeting allocated with CoTaskMemAlloc; the caller frees it
// with CoTaskMemFree. E_OUTOFMEMORY if the allocation fails.
class ITestGreeter : public IUnknown {
 public:
  virtual HRESULT STDMETHODCALLTYPE Greet(LPOLESTR* text) = 0;
};
SYNCMGR_DECLARE_IID(ITestGreeter, IID_ITestGreeter);

// Counts calls (a second interface, for QueryInterface identity checks).
class ITestCounter : public IUnknown {
 public:
  virtual ULONG STDMETHODCALLTYPE Increment() = 0;
};
SYNCMGR_DECLARE_IID(ITestCounter, IID_ITestCounter);

// The greeting every ITestGreeter of the tests returns.
inline constexpr char16_t kTestGreeting[] = u"hello from a COM object";

#endif  // SYNCMGR_REFERENCE_COM_TESTDATA_TEST_INTERFACES_H_
