#include "util/systemd.hpp"

#include <dlfcn.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <mutex>

namespace portwatch::util {

namespace {

using NotifyFn = decltype(&::sd_notify);

NotifyFn load_sd_notify() {
    void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    return lib == nullptr ? nullptr : reinterpret_cast<NotifyFn>(::dlsym(lib, "sd_notify"));
}

}  // namespace

int systemd_notify(char const* state) {
    if (std::getenv("NOTIFY_SOCKET") == nullptr) {
        return 0;
    }
    static std::once_flag once;
    static NotifyFn fn = nullptr;
    std::call_once(once, [] { fn = load_sd_notify(); });
    return fn == nullptr ? 0 : fn(0, state);
}

}  // namespace portwatch::util
