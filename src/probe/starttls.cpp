#include "probe/starttls.hpp"

#include <array>
#include <utility>

namespace portwatch::probe {

namespace {

// A step whose `expect` finds a complete reply and whose `accept` says it is the good one.
ExpectStep reply(std::string send, char const* complete, char const* accept) {
    return ExpectStep{.send = std::move(send),
                      .expect = std::regex(complete),
                      .expect_text = complete,
                      .accept = std::regex(accept)};
}

// SMTP and FTP replies may span lines ("250-...", then "250 ..."): the last line ends them;
// a first line that is no reply at all (another service) ends them too, and is refused.
constexpr char const* final_line = "(^|\\n)([0-9]{3}( [^\\n]*|\\r)?|[^0-9][^\\n]*)\\n";
// IMAP and POP3: the greeting is one line.
constexpr char const* first_line = "^[^\\n]*\\n";

std::vector<ExpectStep> smtp() {
    return {reply("", final_line, "(^|\\n)220( |\\r?\\n)"),
            reply("EHLO portwatch\r\n", final_line, "(^|\\n)250( |\\r?\\n)"),
            reply("STARTTLS\r\n", final_line, "(^|\\n)220( |\\r?\\n)")};
}

std::vector<ExpectStep> imap() {
    return {reply("", first_line, "^\\* OK"),
            reply("a1 STARTTLS\r\n", "(^|\\n)a1 [^\\n]*\\n", "(^|\\n)a1 OK")};
}

std::vector<ExpectStep> pop3() {
    return {reply("", first_line, "^\\+OK"), reply("STLS\r\n", first_line, "^\\+OK")};
}

std::vector<ExpectStep> ftp() {
    return {reply("", final_line, "(^|\\n)220( |\\r?\\n)"),
            reply("AUTH TLS\r\n", final_line, "(^|\\n)234( |\\r?\\n)")};
}

// SSLRequest: length 8, code 80877103; the server answers one byte, 'S' (go on) or 'N'.
std::vector<ExpectStep> postgres() {
    return {reply(std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8), "^[\\s\\S]", "^S")};
}

}  // namespace

std::vector<ExpectStep> const* starttls_dialogue(std::string_view protocol) {
    static std::array<std::pair<std::string_view, std::vector<ExpectStep>>, 5> const table{{
        {"smtp", smtp()},
        {"imap", imap()},
        {"pop3", pop3()},
        {"ftp", ftp()},
        {"postgres", postgres()},
    }};
    for (auto const& [name, steps] : table) {
        if (name == protocol) {
            return &steps;
        }
    }
    return nullptr;
}

std::string_view starttls_names() {
    return "smtp, imap, pop3, ftp, postgres";
}

}  // namespace portwatch::probe
