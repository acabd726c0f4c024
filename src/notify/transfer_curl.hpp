#pragma once

// libcurl for transfer.cpp (and only for it), loaded on first use with dlopen: a run that
// sends nothing over HTTP or SMTP (every seed-list `check`) never maps libcurl and the two
// dozen libraries it pulls in, whose loading tripled a seed-sized check's start-up.

#define CURL_DISABLE_TYPECHECK  // calls go through the table below, not curl's macros
#include <curl/curl.h>
#include <dlfcn.h>

#include <mutex>
#include <string>

namespace portwatch::notify::curl {

/// The libcurl functions transfer.cpp uses.
struct Api {
    decltype(&::curl_global_init) global_init = nullptr;
    decltype(&::curl_getdate) getdate = nullptr;
    decltype(&::curl_easy_init) easy_init = nullptr;
    decltype(&::curl_easy_setopt) easy_setopt = nullptr;
    decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
    decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
    decltype(&::curl_easy_strerror) easy_strerror = nullptr;
    decltype(&::curl_multi_init) multi_init = nullptr;
    decltype(&::curl_multi_setopt) multi_setopt = nullptr;
    decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
    decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
    decltype(&::curl_multi_socket_action) multi_socket_action = nullptr;
    decltype(&::curl_multi_info_read) multi_info_read = nullptr;
    decltype(&::curl_multi_strerror) multi_strerror = nullptr;
    decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
    decltype(&::curl_slist_append) slist_append = nullptr;
    decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

namespace detail {

struct Loaded {
    Api api;
    std::string error;  ///< why it could not be loaded; empty when it was
};

inline Loaded load() {
    Loaded out;
    // RTLD_LOCAL: nothing of it joins the global scope. The binary keeps its own static
    // OpenSSL out of its dynamic symbols (src/notify/CMakeLists.txt), so libcurl binds to
    // the libssl.so.3 it depends on.
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        char const* why = ::dlerror();
        out.error = std::string("cannot load libcurl.so.4 (install libcurl4): ") +
                    (why != nullptr ? why : "unknown error");
        return out;
    }
    auto sym = [&](auto& slot, char const* name) {
        if (out.error.empty()) {
            slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(::dlsym(lib, name));
            if (slot == nullptr) {
                out.error = std::string("libcurl.so.4 has no ") + name;
            }
        }
    };
    Api& a = out.api;
    sym(a.global_init, "curl_global_init");
    sym(a.getdate, "curl_getdate");
    sym(a.easy_init, "curl_easy_init");
    sym(a.easy_setopt, "curl_easy_setopt");
    sym(a.easy_getinfo, "curl_easy_getinfo");
    sym(a.easy_cleanup, "curl_easy_cleanup");
    sym(a.easy_strerror, "curl_easy_strerror");
    sym(a.multi_init, "curl_multi_init");
    sym(a.multi_setopt, "curl_multi_setopt");
    sym(a.multi_add_handle, "curl_multi_add_handle");
    sym(a.multi_remove_handle, "curl_multi_remove_handle");
    sym(a.multi_socket_action, "curl_multi_socket_action");
    sym(a.multi_info_read, "curl_multi_info_read");
    sym(a.multi_strerror, "curl_multi_strerror");
    sym(a.multi_cleanup, "curl_multi_cleanup");
    sym(a.slist_append, "curl_slist_append");
    sym(a.slist_free_all, "curl_slist_free_all");
    if (out.error.empty()) {
        a.global_init(CURL_GLOBAL_DEFAULT);
    }
    return out;
}

inline Loaded const& loaded() {
    static Loaded const l = load();  // thread-safe, once per process
    return l;
}

}  // namespace detail

/// The library, loading it on the first call; "" in `error()` when it is there.
inline std::string const& load_error() {
    return detail::loaded().error;
}

/// The functions; only after load_error() said "" (a TransferClient exists).
inline Api const& lib() {
    return detail::loaded().api;
}

}  // namespace portwatch::notify::curl
