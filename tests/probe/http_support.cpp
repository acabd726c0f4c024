#include "probe/http_support.hpp"

#include <time.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "support/process.hpp"

namespace portwatch::probe::http_test {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr char const* server_py = R"PY(
import http.server, socket, socketserver, ssl, sys, time, threading
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        got = self.rfile.read(n) if n else b""
        p = self.path
        if p == "/ok": self.send(200, b'{"status":"ok"}')
        elif p == "/empty":
            self.send_response(204); self.end_headers()
        elif p == "/fail": self.send(500, b"boom")
        elif p == "/wrong": self.send(200, b'{"status":"degraded"}')
        elif p == "/big": self.send(200, b"x" * (1 << 20) + b"MARKER")
        elif p.startswith("/r/"):
            left = int(p[3:])
            self.send(302, headers=[("Location", "/r/%d" % (left - 1) if left > 1 else "/ok")])
        elif p.startswith("/to?"):
            to = p[4:] if ":" in p[4:] else "127.0.0.1:" + p[4:]
            self.send(302, headers=[("Location", "http://%s/ok" % to)])
        elif p == "/see": self.send(303, headers=[("Location", "echo")])
        elif p == "/echo":
            self.send(200, ("method=%s probe=%s body=%s" % (self.command,
                      self.headers.get("X-Probe"), got.decode())).encode())
        elif p == "/slow":
            self.send_response(200); self.send_header("Content-Length", "100"); self.end_headers()
            self.wfile.write(b"x" * 50); self.wfile.flush(); time.sleep(3)
        elif p == "/garbage":
            self.wfile.write(b"HTTX/9 what\r\n\r\n"); self.close_connection = True
        else: self.send(404, b"no")
    do_GET = do_POST = do_HEAD = do_PUT = answer
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
srv = S((sys.argv[2], 0), H)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(sys.argv[1] + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(120, lambda: os._exit(0)).start()
srv.serve_forever()
)PY";

}  // namespace

PyServer::PyServer(test::TempDir const& dir, std::string const& name, fs::path const& cert,
                   fs::path const& key, std::string const& address) {
    auto const script = dir.write("server.py", server_py);
    auto const port_file = dir / (name + ".port");
    std::vector<std::string> argv{"/usr/bin/python3", script.string(), port_file.string(), address};
    if (!cert.empty()) {
        argv.push_back(cert.string());
        argv.push_back(key.string());
    }
    proc_ = std::make_unique<test::BackgroundProcess>(
        argv, dir.path(), std::map<std::string, std::string>{}, dir / (name + ".log"));
    if (test::poll_until([&] { return fs::exists(port_file); }, 10s)) {
        port_ = static_cast<std::uint16_t>(std::stoi(dir.read(name + ".port")));
    }
}

namespace {

bool openssl(std::vector<std::string> args, fs::path const& cwd) {
    args.insert(args.begin(), "openssl");
    auto const r = test::run_process(args, {.cwd = cwd, .timeout = 30s});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0;
}

}  // namespace

// A CA, a leaf for 127.0.0.1 under it (10 days), a leaf under it for another name, and a
// self-signed leaf for 127.0.0.1.
bool make_certificates(fs::path const& d) {
    std::vector<std::string> const ec{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                      "-nodes"};
    auto with = [](std::vector<std::string> a, std::vector<std::string> const& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    std::ofstream(d / "ip.ext") << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n";
    std::ofstream(d / "name.ext") << "subjectAltName=DNS:wrong.example\n";
    return openssl(with(with({"req", "-x509"}, ec),
                        {"-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj",
                         "/CN=portwatch test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                         "-addext", "keyUsage=keyCertSign,cRLSign"}),
                   d) &&
           openssl(with(with({"req"}, ec),
                        {"-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"}),
                   d) &&
           openssl({"x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", "leaf.pem", "-days", "10", "-extfile", "ip.ext"},
                   d) &&
           openssl({"x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", "other.pem", "-days", "10", "-extfile", "name.ext"},
                   d) &&
           openssl(with(with({"req", "-x509"}, ec),
                        {"-keyout", "self.key", "-out", "self.pem", "-days", "10", "-subj",
                         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"}),
                   d);
}

// The certificate's notAfter in Unix seconds, as the openssl CLI reads it.
std::int64_t not_after(fs::path const& pem) {
    auto const r =
        test::run_process({"openssl", "x509", "-noout", "-enddate", "-in", pem.string()});
    struct tm tm {};
    auto const text = r.out.substr(r.out.find('=') + 1);
    if (::strptime(text.c_str(), "%b %d %H:%M:%S %Y GMT", &tm) == nullptr) {
        return -1;
    }
    return static_cast<std::int64_t>(::timegm(&tm));
}

config::OptionNode scalar(std::string s) {
    return {
        .type = config::OptionNode::Type::scalar, .scalar = std::move(s), .line = 1, .column = 1};
}
config::OptionNode map(std::vector<config::Option> entries) {
    return {.type = config::OptionNode::Type::map,
            .entries = std::move(entries),
            .line = 1,
            .column = 1};
}
config::OptionNode list(std::vector<config::OptionNode> items) {
    return {
        .type = config::OptionNode::Type::list, .items = std::move(items), .line = 1, .column = 1};
}
config::Option opt(std::string key, config::OptionNode value) {
    return {.key = std::move(key), .value = std::move(value), .line = 1, .column = 1};
}

}  // namespace portwatch::probe::http_test
