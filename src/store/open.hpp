#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "store/store.hpp"
#include "util/result.hpp"

namespace portwatch::store {

/// A store URL split in two: "json:/var/lib/pw/state.json" -> {"json", "/var/lib/pw/..."}.
struct StoreUrl {
    std::string scheme;  ///< "json" or "sqlite"
    std::filesystem::path path;
};

/// Parses `json:PATH` or `sqlite:PATH`; an error names the URL.
util::Result<StoreUrl> parse_store_url(std::string const& url);

/// Opens the store a URL names (the registry of backends).
util::Result<std::unique_ptr<Store>> open_store(std::string const& url);

}  // namespace portwatch::store
