#include "e2e/e2e_support.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <sstream>
#include <stdexcept>

#include "support/listener.hpp"
#include "util/utf8.hpp"

namespace portwatch::test {

OpenPort::OpenPort(bool ipv6) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (ipv6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    }
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
        ::listen(fd_, 4096) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        throw std::runtime_error("cannot open a loopback listener");
    }
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

OpenPort::~OpenPort() {
    close();
}

void OpenPort::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

std::uint16_t closed_port() {
    // Held (bound, not listening) until the test process exits, so no one else takes it.
    static std::vector<std::unique_ptr<ClosedPort>> held;
    held.push_back(std::make_unique<ClosedPort>());
    return held.back()->port();
}

namespace {

// Records each call as one line: the hex of every argument, then PORTWATCH_* values, tab
// separated (hex keeps any byte, including invalid UTF-8, intact).
constexpr char const* recorder = R"(
import os, sys
def rec():
    fields = [a.encode('utf-8', 'surrogateescape').hex() for a in sys.argv[1:]]
    env = [os.environb.get(k.encode(), b'').hex() for k in
           ('PORTWATCH_EVENT', 'PORTWATCH_HOST', 'PORTWATCH_REASON')]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'calls.log'), 'a') as f:
        f.write(str(len(fields)) + '\t' + '\t'.join(fields + env) + '\n')
)";

std::string unhex(std::string const& h) {
    std::string out;
    util::from_hex(h, out);
    return out;
}

}  // namespace

SeedDir::SeedDir() {
    notifier("");
}

void SeedDir::notifier(std::string const& body) const {
    write("push_msg.py", std::string(recorder) + "\n" + body + "\nrec()\n");
}

std::vector<Call> SeedDir::calls() const {
    std::vector<Call> out;
    std::istringstream in(read("calls.log"));
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::istringstream ls(line);
        std::string f;
        while (std::getline(ls, f, '\t'))
            fields.push_back(f);
        if (line.back() == '\t')
            fields.push_back("");
        std::size_t const n = std::stoul(fields.at(0));
        Call c;
        for (std::size_t i = 0; i < n; ++i)
            c.args.push_back(unhex(fields.at(1 + i)));
        c.event = unhex(fields.at(1 + n));
        c.host = unhex(fields.at(2 + n));
        c.reason = fields.size() > 3 + n ? unhex(fields.at(3 + n)) : "";
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<std::string> SeedDir::messages() const {
    std::vector<std::string> out;
    for (auto const& c : calls()) {
        out.push_back(c.args.size() == 1 ? c.args[0]
                                         : "<" + std::to_string(c.args.size()) + " args>");
    }
    return out;
}

ProcessResult SeedDir::check(std::vector<std::string> extra, ProcessOptions options) const {
    std::vector<std::string> args{"-C", path().string(), "check"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_portwatch(args, options);
}

bool has_seed_time_suffix(std::string const& message, std::string const& prefix) {
    // "(YYYY.MM.DD HH:MM:SS)", checked by hand: std::regex trips GCC 12's
    // -Wmaybe-uninitialized under ASan at -O2, which broke the sanitize build.
    std::string_view const shape = "(dddd.dd.dd dd:dd:dd)";
    if (message.rfind(prefix, 0) != 0 || message.size() != prefix.size() + shape.size()) {
        return false;
    }
    for (std::size_t i = 0; i < shape.size(); ++i) {
        char const c = message[prefix.size() + i];
        if (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace portwatch::test
