#pragma once

#include <string_view>
#include <vector>

#include "probe/expect.hpp"

// The STARTTLS dialogues: what to send and what reply says "go on with TLS", per protocol.
namespace portwatch::probe {

/// The dialogue of `protocol` ("smtp", "imap", "pop3", "ftp", "postgres") as steps for
/// run_stream, or null for an unknown name.
std::vector<ExpectStep> const* starttls_dialogue(std::string_view protocol);

/// The names starttls_dialogue knows, for diagnostics: "smtp, imap, pop3, ftp, postgres".
std::string_view starttls_names();

}  // namespace portwatch::probe
