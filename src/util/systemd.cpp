#include "util/systemd.hpp"

#include <dlfcn.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
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

namespace portwatch::util {

std::optional<std::chrono::microseconds> systemd_watchdog_interval(char const* usec,
                                                                   char const* pid) {
    auto const number = [](char const* s) -> std::optional<unsigned long long> {
        if (s == nullptr || *s < '0' || *s > '9') {
            return std::nullopt;
        }
        char* end = nullptr;
        errno = 0;
        unsigned long long const v = std::strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0') {
            return std::nullopt;
        }
        return v;
    };
    auto const us = number(usec);
    if (!us || *us == 0) {
        return std::nullopt;
    }
    if (pid != nullptr) {
        auto const p = number(pid);
        if (!p || *p != static_cast<unsigned long long>(::getpid())) {
            return std::nullopt;  // meant for another process (a parent's setting)
        }
    }
    return std::chrono::microseconds(*us);
}

std::optional<std::chrono::microseconds> systemd_watchdog_interval() {
    return systemd_watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"));
}

}  // namespace portwatch::util
