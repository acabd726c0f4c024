#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/listener.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::test {

/// A listening TCP socket on loopback (the kernel completes handshakes from its backlog,
/// no accept needed); close() turns its port into a refused one.
class OpenPort {
  public:
    explicit OpenPort(bool ipv6 = false);
    ~OpenPort();
    OpenPort(OpenPort const&) = delete;
    OpenPort& operator=(OpenPort const&) = delete;
    std::uint16_t port() const { return port_; }
    void close();

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/// A port on 127.0.0.1 where connects are refused, reserved for the rest of the process.
std::uint16_t closed_port();

/// One recorded notifier call: its arguments and PORTWATCH_* environment.
struct Call {
    std::vector<std::string> args;
    std::string event;   ///< PORTWATCH_EVENT
    std::string host;    ///< PORTWATCH_HOST
    std::string reason;  ///< PORTWATCH_REASON
};

/// A working directory laid out as the seed's users have it: port_check.lst and a
/// push_msg.py that records every call (argv and environment) into calls.log.
class SeedDir : public TempDir {
  public:
    SeedDir();
    void list(std::string const& text) const { write("port_check.lst", text); }
    /// Replaces push_msg.py with a script that runs `body` (python) before recording.
    void notifier(std::string const& body) const;
    std::vector<Call> calls() const;
    std::vector<std::string> messages() const;
    ProcessResult check(std::vector<std::string> extra = {}, ProcessOptions options = {}) const;
};

/// True when `message` is `prefix` + "(YYYY.MM.DD HH:MM:SS)".
bool has_seed_time_suffix(std::string const& message, std::string const& prefix);

}  // namespace portwatch::test
