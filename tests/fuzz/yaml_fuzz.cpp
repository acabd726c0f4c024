// libFuzzer target: the portwatch.yaml parser. Any text yields a config and diagnostics,
// never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/yaml.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    // A path that does not exist: relative includes resolve to nothing readable.
    auto const file = portwatch::config::parse_config(text, "/nonexistent/portwatch/fuzz.yaml");
    (void)file;
    return 0;
}
