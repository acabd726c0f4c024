# Writes OUT: a C++ file that holds each of FILES (paths separated by |) as a std::string_view named after
# the file ("status.css" -> asset_status_css), so the page needs nothing from outside.
set(body "// Generated from src/http/assets by embed.cmake; do not edit.\n#include <string_view>\n\nnamespace portwatch::http::assets {\n")
string(REPLACE "|" ";" files "${FILES}")
foreach(f IN LISTS files)
    get_filename_component(name "${f}" NAME)
    string(MAKE_C_IDENTIFIER "asset_${name}" id)
    file(READ "${f}" content)
    string(APPEND body "extern std::string_view const ${id};\nstd::string_view const ${id} = R\"pw_asset(${content})pw_asset\";\n")
endforeach()
string(APPEND body "}  // namespace portwatch::http::assets\n")
file(WRITE "${OUT}.tmp" "${body}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
