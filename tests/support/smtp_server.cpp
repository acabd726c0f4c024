#include "support/smtp_server.hpp"

#include <fstream>
#include <sstream>

#include "support/process.hpp"

namespace portwatch::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string read_all(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string unhex(std::string const& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return out;
}

std::size_t count_messages(fs::path const& dir) {
    std::size_t n = 0;
    while (fs::exists(dir / ("msg-" + std::to_string(n + 1) + ".txt"))) {
        ++n;
    }
    return n;
}

}  // namespace

std::optional<TestCert> make_test_cert(fs::path const& dir, std::string const& name,
                                       std::string& error) {
    TestCert c{dir / (name + ".pem"), dir / (name + ".key")};
    auto const r =
        run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                     c.key.string(), "-out", c.cert.string(), "-days", "1", "-subj", "/CN=" + name,
                     "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
                    {.timeout = 60s});
    if (r.exit_code != 0) {
        error = r.err;
        return std::nullopt;
    }
    return c;
}

SmtpServer::SmtpServer(SmtpServerOptions options) : options_(std::move(options)) {
    using Mode = SmtpServerOptions::Mode;
    auto const script = fs::path(PORTWATCH_SOURCE_DIR) / "tests/support/smtp_server.py";
    std::vector<std::string> argv = {"/usr/bin/python3", script.string(), "--out",
                                     dir_.path().string(), "--mode"};
    argv.push_back(options_.mode == Mode::plain      ? "plain"
                   : options_.mode == Mode::starttls ? "starttls"
                                                     : "smtps");
    if (options_.mode != Mode::plain) {
        argv.insert(argv.end(),
                    {"--cert", options_.cert.cert.string(), "--key", options_.cert.key.string()});
    }
    if (!options_.user.empty()) {
        argv.insert(argv.end(), {"--user", options_.user, "--password", options_.password});
    }
    for (auto const& m : options_.exclude_auth) {
        argv.insert(argv.end(), {"--exclude-auth", m});
    }
    for (auto const& r : options_.reject_rcpt) {
        argv.insert(argv.end(), {"--reject-rcpt", r});
    }
    if (!options_.data_reply.empty()) {
        argv.insert(argv.end(), {"--data-reply", options_.data_reply});
    }
    process_ = std::make_unique<BackgroundProcess>(
        argv, dir_.path(), std::map<std::string, std::string>{}, dir_.path() / "server.log");
    auto const port_file = dir_.path() / "port";
    if (poll_until([&] { return fs::exists(port_file) || process_->exited(); }, 20s) &&
        fs::exists(port_file)) {
        port_ = static_cast<std::uint16_t>(std::stoi(read_all(port_file)));
    }
}

SmtpServer::~SmtpServer() = default;

std::string SmtpServer::error() const {
    return read_all(dir_.path() / "server.log");
}

std::string SmtpServer::url() const {
    auto const scheme = options_.mode == SmtpServerOptions::Mode::smtps ? "smtps" : "smtp";
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_);
}

bool SmtpServer::wait_received(std::size_t n, std::chrono::milliseconds timeout) const {
    return poll_until([&] { return count_messages(dir_.path()) >= n; }, timeout);
}

std::vector<ReceivedMail> SmtpServer::received() const {
    std::vector<ReceivedMail> out;
    for (std::size_t i = 1, n = count_messages(dir_.path()); i <= n; ++i) {
        auto const base = dir_.path() / ("msg-" + std::to_string(i));
        ReceivedMail m;
        m.raw = read_all(base.string() + ".eml");
        std::istringstream lines(read_all(base.string() + ".txt"));
        std::string key, hex;
        while (lines >> key) {
            std::getline(lines, hex);
            auto const value = unhex(hex.empty() ? hex : hex.substr(1));
            if (key == "mail_from") {
                m.mail_from = value;
            } else if (key == "rcpt_to") {
                m.rcpt_to.push_back(value);
            } else if (key == "tls") {
                m.tls = value == "yes";
            } else if (key == "auth_mechanism") {
                m.auth_mechanism = value;
            } else if (key == "auth_login") {
                m.auth_login = value;
            } else if (key == "subject") {
                m.subject = value;
            } else if (key == "body") {
                m.body = value;
            }
        }
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace portwatch::test
