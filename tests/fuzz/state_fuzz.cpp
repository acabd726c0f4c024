// libFuzzer target: the state file loader (top-level seed keys + "_portwatch" with the
// outbox). A file written by hand or by an older version must never crash the run, the fast
// reader must agree with the full one, and what loads must survive a save and a reload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "store/json_store.hpp"

using portwatch::store::JsonStore;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string const text(reinterpret_cast<char const*>(data), size);
    auto const loaded = JsonStore::parse(text);
    // The fast reader (common files) and the full one must agree on every input.
    auto const full = JsonStore::parse_full(text);
    if (bool(loaded) != bool(full)) {
        std::abort();
    }
    if (!loaded) {
        return 0;
    }
    if (JsonStore::serialize(loaded->state) != JsonStore::serialize(full->state) ||
        loaded->warnings != full->warnings) {
        std::abort();
    }
    std::string const saved = JsonStore::serialize(loaded->state);
    auto const reloaded = JsonStore::parse(saved);
    if (!reloaded || JsonStore::serialize(reloaded->state) != saved) {
        std::abort();
    }
    return 0;
}
