#include "probe/tls_fixture.hpp"

#include <cstdio>
#include <ctime>
#include <vector>

#include "support/process.hpp"

namespace portwatch::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Runs the openssl CLI (or faketime with it); "" or what went wrong.
std::string run(std::vector<std::string> argv) {
    auto const r = run_process(argv, {.timeout = 30s});
    if (r.exit_code != 0) {
        return argv[0] + " " + argv[1] + " failed: " + r.err;
    }
    return {};
}

std::string make_ca(fs::path const& dir, std::string const& name, CertPair& out) {
    out = {dir / (name + ".pem"), dir / (name + ".key")};
    return run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", out.key.string(), "-out",
                out.cert.string(), "-days", "30", "-subj", "/CN=portwatch test " + name});
}

// A leaf for `cn` with `san`, signed by `ca`, valid `days` from now minus `back_days`.
std::string make_leaf(fs::path const& dir, std::string const& name, CertPair const& ca,
                      std::string const& cn, std::string const& san, int days, int back_days,
                      CertPair& out) {
    out = {dir / (name + ".pem"), dir / (name + ".key")};
    auto const csr = dir / (name + ".csr");
    auto const ext = dir / (name + ".ext");
    if (auto e = run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", out.key.string(), "-out",
                      csr.string(), "-subj", "/CN=" + cn});
        !e.empty()) {
        return e;
    }
    std::vector<std::string> argv;
    if (back_days > 0) {
        argv = {"faketime", "-f", "-" + std::to_string(back_days) + "d"};
    }
    for (auto const& a :
         {std::string("openssl"), std::string("x509"), std::string("-req"), std::string("-in"),
          csr.string(), std::string("-CA"), ca.cert.string(), std::string("-CAkey"),
          ca.key.string(), std::string("-CAcreateserial"), std::string("-out"), out.cert.string(),
          std::string("-days"), std::to_string(days), std::string("-extfile"), ext.string()}) {
        argv.push_back(a);
    }
    FILE* f = std::fopen(ext.c_str(), "w");
    if (f == nullptr) {
        return "cannot write " + ext.string();
    }
    std::fprintf(f, "subjectAltName=%s\n", san.c_str());
    std::fclose(f);
    return run(argv);
}

}  // namespace

TestCerts make_test_certs(fs::path const& dir) {
    TestCerts t;
    CertPair ca;
    CertPair other;
    std::string const local = "DNS:localhost,IP:127.0.0.1,IP:::1";
    for (auto const& e : {
             make_ca(dir, "ca", ca),
             make_ca(dir, "other-ca", other),
             make_leaf(dir, "valid", ca, "localhost", local, 30, 0, t.valid),
             make_leaf(dir, "soon", ca, "localhost", local, 5, 0, t.soon),
             make_leaf(dir, "expired", ca, "localhost", local, 5, 10, t.expired),
             make_leaf(dir, "wrong-host", ca, "wrong.example", "DNS:wrong.example", 30, 0,
                       t.wrong_host),
             make_leaf(dir, "untrusted", other, "localhost", local, 30, 0, t.untrusted),
             make_leaf(dir, "client", ca, "pwtest client", "DNS:client.invalid", 30, 0, t.client),
         }) {
        if (!e.empty() && t.error.empty()) {
            t.error = e;
        }
    }
    t.ca = ca.cert;
    return t;
}

std::int64_t not_after_of(fs::path const& cert) {
    auto const r = run_process(
        {"openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in", cert.string()},
        {.timeout = 30s});
    // "notAfter=2026-12-05 00:40:55Z"
    auto const eq = r.out.find('=');
    if (r.exit_code != 0 || eq == std::string::npos) {
        return 0;
    }
    std::tm tm{};
    if (::strptime(r.out.c_str() + eq + 1, "%Y-%m-%d %H:%M:%S", &tm) == nullptr) {
        return 0;
    }
    return static_cast<std::int64_t>(::timegm(&tm));
}

StreamServer::StreamServer(std::string const& mode, CertPair const& pair, fs::path const& ca) {
    std::vector<std::string> argv{
        "/usr/bin/python3", std::string(PORTWATCH_SOURCE_DIR) + "/tests/probe/stream_server.py",
        mode};
    if (!pair.cert.empty()) {
        argv.push_back(pair.cert.string());
        argv.push_back(pair.key.string());
    }
    if (!ca.empty()) {
        argv.push_back(ca.string());
    }
    auto const log = dir_ / "server.log";
    process_ = std::make_unique<BackgroundProcess>(argv, dir_.path(),
                                                   std::map<std::string, std::string>{}, log);
    poll_until(
        [&] {
            auto const text = dir_.read("server.log");
            auto const at = text.find("PORT ");
            if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::stoi(text.substr(at + 5)));
                return true;
            }
            return process_->exited();
        },
        10s);
    if (port_ == 0) {
        error_ = "stream_server.py " + mode + " did not start: " + dir_.read("server.log");
    }
}

}  // namespace portwatch::test
