#include "store/open.hpp"

#include <fmt/format.h>

#include "store/json_store.hpp"
#include "store/sqlite.hpp"

namespace portwatch::store {

util::Result<StoreUrl> parse_store_url(std::string const& url) {
    auto const colon = url.find(':');
    if (colon != std::string::npos && colon + 1 < url.size()) {
        auto const scheme = url.substr(0, colon);
        if (scheme == "json" || scheme == "sqlite") {
            return StoreUrl{scheme, url.substr(colon + 1)};
        }
    }
    return util::Error{fmt::format("bad store URL '{}': expected json:PATH or sqlite:PATH", url)};
}

util::Result<std::unique_ptr<Store>> open_store(std::string const& url) {
    auto parsed = parse_store_url(url);
    if (!parsed) {
        return parsed.error();
    }
    if (parsed->scheme == "json") {
        return std::unique_ptr<Store>(std::make_unique<JsonStore>(parsed->path));
    }
    auto sqlite = SqliteStore::open(parsed->path);
    if (!sqlite) {
        return sqlite.error();
    }
    return std::unique_ptr<Store>(std::move(*sqlite));
}

}  // namespace portwatch::store
