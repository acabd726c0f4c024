#include "notify/transfer.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "notify/http_receiver.hpp"
#include "notify/loop.hpp"
#include "support/background_process.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;
using test::HttpReceiver;
using test::run_until;

class TransferTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(receiver.ok()) << "http_receiver.py did not start"; }

    HttpResponse post(std::string const& url, std::string body = "{}",
                      std::chrono::milliseconds timeout = 10s, std::size_t max_body = 64 * 1024) {
        std::optional<HttpResponse> got;
        client->http(HttpRequest{.url = url,
                                 .headers = {{"Content-Type", "application/json"}},
                                 .body = std::move(body),
                                 .timeout = timeout,
                                 .max_response_bytes = max_body},
                     [&](HttpResponse r) { got = std::move(r); });
        EXPECT_TRUE(run_until(io, [&] { return got.has_value(); }));
        return got.value_or(HttpResponse{.transport_error = "no completion"});
    }

    boost::asio::io_context io;
    std::shared_ptr<TransferClient> client = TransferClient::of(io);
    HttpReceiver receiver;
};

TEST_F(TransferTest, PostsBodyAndHeadersAndReadsTheAnswer) {
    auto const r = post(receiver.url("ok/hook"), R"({"text":"héllo"})");
    EXPECT_EQ(r.transport_error, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"ok":true})");
    auto const reqs = receiver.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].path, "/ok/hook");
    EXPECT_EQ(reqs[0].body, R"({"text":"héllo"})");
    EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
    EXPECT_FALSE(reqs[0].headers.contains("expect"));
}

TEST_F(TransferTest, OtherMethodsCarryTheirBody) {
    std::optional<HttpResponse> got;
    client->http(HttpRequest{.method = "PUT", .url = receiver.url("ok"), .body = "put-body"},
                 [&](HttpResponse r) { got = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return got.has_value(); }));
    EXPECT_EQ(got->status, 200);
    auto const reqs = receiver.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "PUT");
    EXPECT_EQ(reqs[0].body, "put-body");
}

TEST_F(TransferTest, CompletionNeverRunsInsideTheCall) {
    bool inside = true;
    bool ran_inside = false;
    bool done = false;
    client->http(HttpRequest{.url = "http://127.0.0.1:1/unused"}, [&](HttpResponse) {
        ran_inside = inside;
        done = true;
    });
    inside = false;
    ASSERT_TRUE(run_until(io, [&] { return done; }));
    EXPECT_FALSE(ran_inside);
}

TEST_F(TransferTest, ErrorStatusesAndTheirBodies) {
    auto const bad = post(receiver.url("bad"));
    EXPECT_EQ(bad.transport_error, "");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body, "invalid_payload: missing text");
    EXPECT_FALSE(bad.retry_after.has_value());
    auto const err = post(receiver.url("500"));
    EXPECT_EQ(err.status, 500);
}

TEST_F(TransferTest, RetryAfterInSeconds) {
    auto const r = post(receiver.url("429"));
    EXPECT_EQ(r.status, 429);
    ASSERT_TRUE(r.retry_after.has_value());
    EXPECT_EQ(*r.retry_after, 7s);
}

TEST_F(TransferTest, RetryAfterAsHttpDate) {
    auto const r = post(receiver.url("429date"));
    EXPECT_EQ(r.status, 429);
    ASSERT_TRUE(r.retry_after.has_value());
    // 60 s ahead when sent; the date has whole seconds.
    EXPECT_GE(*r.retry_after, 30s);
    EXPECT_LE(*r.retry_after, 61s);
}

TEST_F(TransferTest, ResponseBodyIsBounded) {
    auto const r = post(receiver.url("big"), "{}", 10s, 1000);
    EXPECT_EQ(r.transport_error, "");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, std::string(1000, 'x'));
}

TEST_F(TransferTest, HangingServerTimesOut) {
    auto const r = post(receiver.url("hang"), "{}", 300ms);
    EXPECT_TRUE(r.timed_out);
    EXPECT_NE(r.transport_error, "");
    EXPECT_EQ(r.status, 0);
}

TEST_F(TransferTest, ClosedWithoutAnswerIsATransportError) {
    auto const r = post(receiver.url("close"));
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.transport_error, "");
    EXPECT_EQ(r.status, 0);
}

TEST_F(TransferTest, RefusedConnectionIsATransportError) {
    // A port bound but not listening refuses.
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    auto const r = post(fmt::format("http://127.0.0.1:{}/x", ntohs(a.sin_port)));
    ::close(fd);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.transport_error, "");
}

TEST_F(TransferTest, ManyTransfersAtOnce) {
    int done = 0;
    for (int i = 0; i < 50; ++i) {
        client->http(HttpRequest{.url = receiver.url(i % 2 ? "ok" : "bad"), .body = "x"},
                     [&, i](HttpResponse r) {
                         EXPECT_EQ(r.status, i % 2 ? 200 : 400);
                         ++done;
                     });
    }
    EXPECT_EQ(client->active(), 50u);
    ASSERT_TRUE(run_until(
        io, [&] { return done == 50; }, 30s));
    EXPECT_EQ(client->active(), 0u);
    EXPECT_EQ(receiver.requests().size(), 50u);
}

TEST_F(TransferTest, OneClientPerIoContext) {
    EXPECT_EQ(TransferClient::of(io), client);
    boost::asio::io_context other;
    EXPECT_NE(TransferClient::of(other), client);
}

TEST_F(TransferTest, DestroyedClientDropsItsCompletions) {
    boost::asio::io_context io2;
    bool ran = false;
    {
        auto c = TransferClient::of(io2);
        c->http(HttpRequest{.url = receiver.url("hang"), .timeout = 5s},
                [&](HttpResponse) { ran = true; });
        io2.run_for(100ms);
    }
    io2.restart();
    io2.run_for(100ms);
    EXPECT_FALSE(ran);
}

/// `openssl s_server -www` on 127.0.0.1 with a certificate for IP 127.0.0.1.
class TlsServer {
  public:
    TlsServer() {
        auto const r = test::run_process(
            {"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1", "-keyout",
             (dir / "key.pem").string(), "-out", (dir / "cert.pem").string()},
            {.timeout = 30s});
        if (r.exit_code != 0) {
            return;
        }
        server = std::make_unique<test::BackgroundProcess>(
            std::vector<std::string>{"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0",
                                     "-cert", (dir / "cert.pem").string(), "-key",
                                     (dir / "key.pem").string(), "-www"},
            dir.path(), std::map<std::string, std::string>{}, dir / "log");
        test::poll_until(
            [&] {
                auto const log = dir.read("log");
                auto const at = log.find("ACCEPT 127.0.0.1:");
                if (at == std::string::npos || log.find('\n', at) == std::string::npos) {
                    return false;
                }
                port = std::stoi(log.substr(at + 17));
                return true;
            },
            10s);
    }
    std::string cert() const { return (dir / "cert.pem").string(); }

    test::TempDir dir;
    std::unique_ptr<test::BackgroundProcess> server;
    int port = 0;
};

TEST_F(TransferTest, TlsVerification) {
    TlsServer tls;
    ASSERT_NE(tls.port, 0) << "openssl s_server did not start: " << tls.dir.read("log");
    auto const url = fmt::format("https://127.0.0.1:{}/", tls.port);
    auto get = [&](TransferTls t) {
        std::optional<HttpResponse> got;
        client->http(HttpRequest{.method = "GET", .url = url, .timeout = 10s, .tls = t},
                     [&](HttpResponse r) { got = std::move(r); });
        EXPECT_TRUE(run_until(io, [&] { return got.has_value(); }));
        return got.value_or(HttpResponse{});
    };
    // Self-signed: refused against the system CAs, accepted with its own CA file or
    // without verification.
    auto const untrusted = get({});
    EXPECT_NE(untrusted.transport_error, "");
    EXPECT_EQ(untrusted.status, 0);
    auto const trusted = get({.ca_file = tls.cert()});
    EXPECT_EQ(trusted.transport_error, "");
    EXPECT_EQ(trusted.status, 200);
    auto const unverified = get({.verify = false});
    EXPECT_EQ(unverified.transport_error, "");
    EXPECT_EQ(unverified.status, 200);
}

/// Debian's aiosmtpd on 127.0.0.1, saving each mail to the directory.
TEST(TransferMail, SendsToSeveralRecipients) {
    test::TempDir dir;
    dir.write("smtp.py", R"(import sys, time, os
from aiosmtpd.controller import Controller
class H:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("nobody@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"
    async def handle_DATA(self, server, session, envelope):
        with open(sys.argv[1] + "/mail", "w") as f:
            f.write(envelope.mail_from + "\n" + ",".join(envelope.rcpt_tos) + "\n")
            f.write(envelope.content.decode())
        return "250 accepted"
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
c = Controller(H(), hostname="127.0.0.1", port=port)
c.start()
with open(sys.argv[1] + "/port.tmp", "w") as f:
    f.write(str(port))
os.rename(sys.argv[1] + "/port.tmp", sys.argv[1] + "/port")
time.sleep(600)
)");
    test::BackgroundProcess smtp({"/usr/bin/python3", (dir / "smtp.py").string(), dir.path()},
                                 dir.path(), {}, dir / "log");
    ASSERT_TRUE(test::poll_until([&] { return std::filesystem::exists(dir / "port"); }, 10s))
        << dir.read("log");
    auto const url = fmt::format("smtp://127.0.0.1:{}", dir.read("port"));
    boost::asio::io_context io;
    auto client = TransferClient::of(io);
    auto send = [&](std::vector<std::string> to) {
        std::optional<MailResult> got;
        client->mail(MailRequest{.url = url,
                                 .starttls = false,
                                 .from = "pw@example.com",
                                 .to = std::move(to),
                                 .message = "Subject: hi\r\n\r\nbody line\r\n",
                                 .timeout = 10s},
                     [&](MailResult r) { got = std::move(r); });
        EXPECT_TRUE(run_until(io, [&] { return got.has_value(); }));
        return got.value_or(MailResult{.error = "no completion"});
    };
    auto const ok = send({"a@example.com", "b@example.com"});
    EXPECT_EQ(ok.error, "");
    EXPECT_EQ(ok.smtp_code, 250);
    auto const mail = dir.read("mail");
    EXPECT_NE(mail.find("pw@example.com\na@example.com,b@example.com\n"), std::string::npos)
        << mail;
    EXPECT_NE(mail.find("body line"), std::string::npos);
    auto const refused = send({"nobody@example.com"});
    EXPECT_NE(refused.error, "");
    EXPECT_EQ(refused.smtp_code, 550);
    // STARTTLS required but not offered: refused rather than sent in clear.
    std::optional<MailResult> tls;
    client->mail(MailRequest{.url = url,
                             .starttls = true,
                             .from = "pw@example.com",
                             .to = {"a@example.com"},
                             .message = "Subject: x\r\n\r\ny\r\n",
                             .timeout = 10s},
                 [&](MailResult r) { tls = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return tls.has_value(); }));
    EXPECT_NE(tls->error, "");
}

}  // namespace
}  // namespace portwatch::notify
