// libFuzzer target: the state file loader (top-level seed keys + "_portwatch" with the
// outbox). A file written by hand or by an older version must never crash the run, the fast
// reader must agree with the full one, the line-by-line reader (read_state_lines) must either
// pass a file on or agree too, and what loads must survive a save and a reload.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "store/json_state_reader.hpp"
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
    // The line reader reads a file: a memfd, named through /proc.
    int const fd = ::memfd_create("state", MFD_CLOEXEC);
    if (fd >= 0) {
        bool const written =
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        auto const lines =
            portwatch::store::detail::read_state_lines("/proc/self/fd/" + std::to_string(fd));
        ::close(fd);
        if (written && lines &&
            (JsonStore::serialize(lines->state) != JsonStore::serialize(full->state) ||
             lines->warnings != full->warnings)) {
            std::abort();
        }
    }
    std::string const saved = JsonStore::serialize(loaded->state);
    auto const reloaded = JsonStore::parse(saved);
    if (!reloaded || JsonStore::serialize(reloaded->state) != saved) {
        std::abort();
    }
    return 0;
}
