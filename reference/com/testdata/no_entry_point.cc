// no_entry_point.so: a shared object that loads but is no in-proc server (it
// has no DllGetClassObject). Loading it must fail with CO_E_ERRORINDLL.
#include "reference/com/object.h"

STDAPI DllCanUnloadNow() { return S_OK; }
