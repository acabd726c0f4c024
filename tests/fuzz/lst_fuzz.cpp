// libFuzzer target: the seed's list parser. Besides memory safety (ASan+UBSan), it checks
// what the parser promises: every target is valid, unique, and renders back to a line that
// parses to the same target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "config/lst.hpp"

namespace cfg = portwatch::config;

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto const list = cfg::parse_list(text, "fuzz.lst");
    std::set<std::string> keys;
    for (auto const& t : list.targets) {
        if (t.port == 0 || !cfg::check_host(t.host).empty() || !keys.insert(t.key()).second) {
            std::abort();
        }
        // A target written back as a line parses to itself (as a second line: a BOM is only
        // stripped at the start of a file, and a host may start with one elsewhere).
        std::string line = "\n" + t.host + " " + std::to_string(t.port);
        if (!t.description.empty()) {
            line += " " + t.description;
        }
        auto const again = cfg::parse_list(line, "again.lst");
        if (again.targets.size() != 1 || again.targets[0].host != t.host ||
            again.targets[0].port != t.port || again.targets[0].description != t.description) {
            std::abort();
        }
    }
    for (auto const& d : list.diagnostics) {
        if (d.line < 1 || d.message.empty()) {
            std::abort();
        }
    }
    return 0;
}
