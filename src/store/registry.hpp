#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "store/store.hpp"
#include "util/result.hpp"

namespace portwatch::store {

/// A store URL split in two: "json:/var/lib/pw/state.json" -> {"json", "/var/lib/pw/..."}.
struct StoreUrl {
    std::string scheme;  ///< a registered backend's scheme ("json", "sqlite")
    std::filesystem::path path;
};

/// One store backend: the URL scheme that names it and how to open it.
struct Backend {
    std::string_view scheme;
    util::Result<std::unique_ptr<Store>> (*open)(std::filesystem::path const& path,
                                                 OpenOptions const& options);
};

/// Every registered backend, in one table (adding a backend is one line there).
std::span<Backend const> backends();

/// Parses `SCHEME:PATH` for a registered scheme; an error names the URL and the schemes.
util::Result<StoreUrl> parse_store_url(std::string const& url);

/// Opens the store a URL names, with the backend its scheme chooses.
util::Result<std::unique_ptr<Store>> open_store(std::string const& url,
                                                OpenOptions const& options = {});

}  // namespace portwatch::store
