# Turns help2man's reading of `portwatch --help-all` into proper man sections: each subcommand
# under SUBCOMMANDS gets its own .SS, and the examples (aligned columns in --help) stay
# preformatted. Usage: cmake -DIN=raw.1 -DOUT=portwatch.1 -P tidy_man.cmake
file(READ "${IN}" man)
string(REPLACE ".PP\nSubcommands:\n" ".SH SUBCOMMANDS\n" man "${man}")
string(REGEX REPLACE "\n([a-z]+)\n\\.IP\n([^\n]*)\nOptions:\n" "\n.SS \\1\n\\2\n" man "${man}")
string(FIND "${man}" ".SH EXAMPLES\n" from)
string(FIND "${man}" ".SS \"Crontab" to)
if(from GREATER -1 AND to GREATER from)
    math(EXPR body_from "${from} + 13")
    math(EXPR body_len "${to} - ${body_from}")
    string(SUBSTRING "${man}" ${body_from} ${body_len} examples)
    string(REGEX REPLACE "\\.TP\n([^\n]*)\n([^\n]*)\n" "\\1\n    \\2\n" examples
           "${examples}")
    string(REPLACE ".IP\n" "" examples "\n${examples}")
    string(SUBSTRING "${man}" 0 ${body_from} head)
    string(SUBSTRING "${man}" ${to} -1 tail)
    set(man "${head}.nf${examples}.fi\n${tail}")
endif()
file(WRITE "${OUT}" "${man}")
