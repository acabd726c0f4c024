#include "notify/alertmanager.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "notify/error.hpp"
#include "notify/http_notifier.hpp"
#include "notify/http_receiver.hpp"
#include "notify/kind_support.hpp"
#include "notify/loop.hpp"
#include "notify/transfer.hpp"
#include "support/background_process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::notify {
namespace {

using namespace std::chrono_literals;
using eval::EventKind;
using test::sample;

TEST(AlertmanagerPayload, LabelsFromTheTargetEndsAtOnRecovery) {
    AlertmanagerOptions const o{.labels = {{"severity", "page"}, {"alertname", "ignored"}}};
    test::expect_golden("alertmanager_down.json", alertmanager_payload(sample(EventKind::down), o));
    test::expect_golden("alertmanager_up.json", alertmanager_payload(sample(EventKind::up), o));
    test::expect_golden("alertmanager_cert_expiring.json",
                        alertmanager_payload(sample(EventKind::cert_expiring)));
    auto n = sample(EventKind::down);
    n.event.labels = {{"team-name", "a"}, {"1st", "b"}};
    auto const j = nlohmann::json::parse(alertmanager_alert(n));
    EXPECT_EQ(j["labels"]["team_name"], "a");
    EXPECT_EQ(j["labels"]["_1st"], "b");
}

TEST(AlertmanagerConfig, OptionsAreChecked) {
    EXPECT_EQ(test::errors_of("notifiers:\n  - type: alertmanager\n    labels: {bad-name: x}\n"
                              "    resend_interval: 5m\n"),
              (std::vector<std::string>{
                  "/etc/pw.yaml:2:5: notifiers.alertmanager.url: missing",
                  "/etc/pw.yaml:3:5: notifiers.alertmanager.labels: 'bad-name' is not a label "
                  "name ([a-zA-Z_][a-zA-Z0-9_]*)",
                  "/etc/pw.yaml:4:5: notifiers.alertmanager.resend_interval: expected a "
                  "duration from 100ms to 60s"}));
    auto const spec = test::spec_of(
        "notifiers:\n  - {type: alertmanager, url: 'http://127.0.0.1:9093', labels: {a: b}}\n");
    auto const& labels = spec.options.at("labels");
    EXPECT_TRUE(labels.mapping);
    EXPECT_EQ(labels.entries, (std::map<std::string, std::string>{{"a", "b"}}));
    EXPECT_EQ(labels.line, 2);
    EXPECT_EQ(labels.column, 56);
}

TEST(AlertmanagerResend, FiringAlertsAreResentUntilResolved) {
    test::HttpReceiver receiver;
    ASSERT_TRUE(receiver.ok());
    boost::asio::io_context io;
    auto notifier = test::make(io, "notifiers:\n  - {type: alertmanager, url: '" +
                                       receiver.url("ok") + "', resend_interval: 100ms}\n");
    auto* am = dynamic_cast<AlertmanagerNotifier*>(notifier.get());
    ASSERT_NE(am, nullptr);
    EXPECT_TRUE(test::deliver(io, *notifier, sample(EventKind::down)).ok());
    EXPECT_EQ(am->firing(), 1u);
    // Re-sent on the loop while DOWN.
    ASSERT_TRUE(test::run_until(
        io, [&] { return receiver.requests().size() >= 3; }, 10s));
    auto const firing = alertmanager_payload(sample(EventKind::down));
    for (auto const& r : receiver.requests()) {
        EXPECT_EQ(r.path, "/ok/api/v2/alerts");
        EXPECT_EQ(r.body, firing);
    }
    EXPECT_TRUE(test::deliver(io, *notifier, sample(EventKind::up)).ok());
    EXPECT_EQ(am->firing(), 0u);
    auto const count = receiver.requests().size();
    EXPECT_EQ(receiver.requests().back().body, alertmanager_payload(sample(EventKind::up)));
    // Nothing more after the resolve (several intervals later).
    test::run_until(
        io, [] { return false; }, 500ms);
    EXPECT_EQ(receiver.requests().size(), count);
}

TEST(AlertmanagerResend, ANotifierMadeAgainOnReloadKeepsResending) {
    test::HttpReceiver receiver;
    ASSERT_TRUE(receiver.ok());
    boost::asio::io_context io;
    auto const yaml = "notifiers:\n  - {name: am, type: alertmanager, url: '" + receiver.url("ok") +
                      "', resend_interval: 100ms}\n";
    {
        auto first = test::make(io, yaml);
        EXPECT_TRUE(test::deliver(io, *first, sample(EventKind::down)).ok());
    }
    auto const before = receiver.requests().size();
    auto again = test::make(io, yaml);
    EXPECT_EQ(dynamic_cast<AlertmanagerNotifier&>(*again).firing(), 1u);
    ASSERT_TRUE(test::run_until(
        io, [&] { return receiver.requests().size() >= before + 2; }, 10s));
    EXPECT_EQ(receiver.requests().back().body, alertmanager_payload(sample(EventKind::down)));
    // Another destination's set is its own.
    auto other = test::make(
        io, "notifiers:\n  - {name: am2, type: alertmanager, url: '" + receiver.url("ok") + "'}\n");
    EXPECT_EQ(dynamic_cast<AlertmanagerNotifier&>(*other).firing(), 0u);
}

TEST(AlertmanagerResend, AnAlertRefusedForGoodIsNotResent) {
    test::HttpReceiver receiver;
    ASSERT_TRUE(receiver.ok());
    boost::asio::io_context io;
    auto notifier = test::make(io, "notifiers:\n  - {type: alertmanager, url: '" +
                                       receiver.url("bad") + "', resend_interval: 100ms}\n");
    auto& am = dynamic_cast<AlertmanagerNotifier&>(*notifier);
    auto const r = test::deliver(io, *notifier, sample(EventKind::down));
    EXPECT_EQ(r.error, DeliveryCondition::permanent) << r.detail;
    EXPECT_EQ(am.firing(), 0u);
    // Several intervals later, still only the one refused POST.
    test::run_until(
        io, [] { return false; }, 500ms);
    EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(AlertmanagerResend, AlertsRestoredAtStartAreResent) {
    test::HttpReceiver receiver;
    ASSERT_TRUE(receiver.ok());
    boost::asio::io_context io;
    auto notifier = test::make(io, "notifiers:\n  - {type: alertmanager, url: '" +
                                       receiver.url("ok") + "', resend_interval: 100ms}\n");
    auto& am = dynamic_cast<AlertmanagerNotifier&>(*notifier);
    notifier->restore_firing(sample(EventKind::up));  // nothing fires for an UP
    EXPECT_EQ(am.firing(), 0u);
    notifier->restore_firing(sample(EventKind::down));
    EXPECT_EQ(am.firing(), 1u);
    EXPECT_TRUE(receiver.requests().empty());  // nothing sent by the call itself
    ASSERT_TRUE(test::run_until(
        io, [&] { return receiver.requests().size() >= 2; }, 10s));
    EXPECT_EQ(receiver.requests().back().body, alertmanager_payload(sample(EventKind::down)));
    EXPECT_TRUE(test::deliver(io, *notifier, sample(EventKind::up)).ok());
    EXPECT_EQ(am.firing(), 0u);
}

/// A free port on 127.0.0.1 (bound, read, closed).
int free_port() {
    int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

std::optional<HttpResponse> get(boost::asio::io_context& io, std::string const& url) {
    std::optional<HttpResponse> got;
    // The client lives as long as someone holds it: keep it until the answer.
    auto const client = TransferClient::of(io);
    client->http(HttpRequest{.method = "GET", .url = url, .timeout = 5s},
                 [&](HttpResponse r) { got = std::move(r); });
    test::run_until(
        io, [&] { return got.has_value(); }, 10s);
    return got;
}

TEST(AlertmanagerReal, AlertAppearsThenResolves) {
    char const* binary = "/usr/bin/prometheus-alertmanager";
    if (!std::filesystem::exists(binary)) {
        GTEST_SKIP() << binary << " is not installed (Debian package prometheus-alertmanager)";
    }
    test::TempDir dir;
    dir.write("am.yml", "route:\n  receiver: none\nreceivers:\n  - name: none\n");
    auto const port = free_port();
    auto const base = fmt::format("http://127.0.0.1:{}", port);
    test::BackgroundProcess am(
        {binary, "--config.file=" + (dir / "am.yml").string(),
         fmt::format("--web.listen-address=127.0.0.1:{}", port),
         "--storage.path=" + (dir / "data").string(), "--cluster.listen-address="},
        dir.path(), {}, dir / "log");
    boost::asio::io_context io;
    ASSERT_TRUE(test::run_until(
        io,
        [&] {
            auto const r = get(io, base + "/-/ready");
            return r && r->status == 200;
        },
        20s))
        << dir.read("log");

    auto notifier = test::make(io, "notifiers:\n  - {type: alertmanager, url: '" + base + "/'}\n");
    auto down = sample(EventKind::down);
    down.event.time = std::chrono::system_clock::now();
    down.event.down_since = down.event.time - 1min;
    auto const sent = test::deliver(io, *notifier, down);
    ASSERT_TRUE(sent.ok()) << sent.detail;

    auto find = [&]() -> std::optional<nlohmann::json> {
        auto const r = get(io, base + "/api/v2/alerts");
        if (!r || r->status != 200) {
            return std::nullopt;
        }
        for (auto const& a : nlohmann::json::parse(r->body)) {
            if (a["labels"].value("alertname", "") == "PortwatchTargetDown" &&
                a["labels"].value("key", "") == "db1.example:5432") {
                return a;
            }
        }
        return nlohmann::json();
    };
    std::optional<nlohmann::json> alert;
    ASSERT_TRUE(test::run_until(
        io,
        [&] {
            alert = find();
            return alert && !alert->is_null() && (*alert)["status"]["state"] == "active";
        },
        20s))
        << dir.read("log");
    EXPECT_EQ((*alert)["labels"]["target"], "db");
    EXPECT_EQ((*alert)["labels"]["group"], "core");
    EXPECT_EQ((*alert)["labels"]["env"], "prod");
    EXPECT_EQ((*alert)["annotations"]["summary"], down.message);

    auto up = sample(EventKind::up);
    up.event.down_since = down.event.down_since;
    up.event.time = std::chrono::system_clock::now() - 1s;
    auto const resolved = test::deliver(io, *notifier, up);
    ASSERT_TRUE(resolved.ok()) << resolved.detail;
    // Resolved: gone from the active list, or listed with endsAt in the past.
    EXPECT_TRUE(test::run_until(
        io,
        [&] {
            auto const a = find();
            if (!a) {
                return false;
            }
            if (a->is_null()) {
                return true;
            }
            return (*a)["status"]["state"] != "active" ||
                   (*a)["endsAt"].get<std::string>() < iso_utc(std::chrono::system_clock::now());
        },
        20s));
}

}  // namespace
}  // namespace portwatch::notify
