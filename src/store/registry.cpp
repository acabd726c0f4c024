#include "store/registry.hpp"

#include <array>

#include <fmt/format.h>

#include "store/error.hpp"
#include "store/json_store.hpp"
#include "store/sqlite.hpp"

namespace portwatch::store {

namespace {

template <typename Backend>
util::Result<std::unique_ptr<Store>> open_as(std::filesystem::path const& path,
                                             OpenOptions const& options) {
    auto opened = Backend::open(path, options);
    if (!opened) {
        return opened.error();
    }
    return std::unique_ptr<Store>(std::move(*opened));
}

constexpr std::array registered = {
    Backend{"json", &open_as<JsonStore>},
    Backend{"sqlite", &open_as<SqliteStore>},
};

std::string scheme_list() {
    std::string out;
    for (auto const& b : registered) {
        out += out.empty() ? "" : " or ";
        out += fmt::format("{}:PATH", b.scheme);
    }
    return out;
}

}  // namespace

std::span<Backend const> backends() {
    return registered;
}

util::Result<StoreUrl> parse_store_url(std::string const& url) {
    auto const colon = url.find(':');
    if (colon != std::string::npos && colon + 1 < url.size()) {
        auto const scheme = url.substr(0, colon);
        for (auto const& b : registered) {
            if (b.scheme == scheme) {
                return StoreUrl{scheme, url.substr(colon + 1)};
            }
        }
    }
    return util::Error{fmt::format("bad store URL '{}': expected {}", url, scheme_list()),
                       make_error_code(StoreError::bad_url)};
}

util::Result<std::unique_ptr<Store>> open_store(std::string const& url,
                                                OpenOptions const& options) {
    auto parsed = parse_store_url(url);
    if (!parsed) {
        return parsed.error();
    }
    for (auto const& b : registered) {
        if (b.scheme == parsed->scheme) {
            return b.open(parsed->path, options);
        }
    }
    return util::Error{fmt::format("bad store URL '{}': expected {}", url, scheme_list()),
                       make_error_code(StoreError::bad_url)};
}

}  // namespace portwatch::store
