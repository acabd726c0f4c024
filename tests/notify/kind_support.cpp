#include "notify/kind_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/yaml.hpp"
#include "notify/loop.hpp"
#include "notify/message.hpp"
#include "notify/registry.hpp"

namespace portwatch::test {

eval::Event sample_event(eval::EventKind kind) {
    using namespace std::chrono;
    eval::Event e;
    e.id = "ev-42";
    e.kind = kind;
    e.key = "db1.example:5432";
    e.host = "db1.example";
    e.port = 5432;
    e.description = "DB \"main\" <primary> & 백업";
    e.name = "db";
    e.group = "core";
    e.labels = {{"env", "prod"}, {"team", "dba"}};
    e.down_since = util::TimePoint(seconds(1764892800));  // 2025-12-05T00:00:00Z
    e.time = e.down_since + seconds(kind == eval::EventKind::down ? 0 : 185);
    if (kind == eval::EventKind::down) {
        e.reason = "refused";
        e.detail = "connect: Connection refused <tcp> & \"retry\"";
    }
    if (kind == eval::EventKind::cert_expiring || kind == eval::EventKind::cert_renewed) {
        e.cert_not_after = 1766102400;  // 2025-12-19T00:00:00Z
        e.down_since = {};
        e.time = util::TimePoint(seconds(1764892800));
    }
    return e;
}

notify::Notification sample(eval::EventKind kind) {
    auto e = sample_event(kind);
    // A message without local time in it, so that goldens do not depend on TZ.
    auto const message = notify::render_template("{description} ({host}:{port}) {status}", e);
    return notify::Notification{std::move(e), message};
}

void expect_golden(std::string_view name, std::string const& actual) {
    auto const path =
        std::string(PORTWATCH_SOURCE_DIR) + "/tests/notify/golden/" + std::string(name);
    if (char const* update = std::getenv("PORTWATCH_UPDATE_GOLDEN"); update && *update == '1') {
        std::ofstream(path, std::ios::binary) << actual;
        return;
    }
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << "missing golden file " << path;
    std::ostringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(actual, ss.str()) << "golden " << name;
}

config::NotifierSpec spec_of(std::string_view yaml) {
    auto const f =
        config::parse_config(yaml, "/etc/pw.yaml", config::Schema{}, notify::notifier_schema());
    for (auto const& d : f.diagnostics) {
        ADD_FAILURE() << d.to_string();
    }
    EXPECT_EQ(f.config.notifiers.size(), 1u);
    return f.config.notifiers.empty() ? config::NotifierSpec{} : f.config.notifiers.at(0);
}

std::vector<std::string> errors_of(std::string_view yaml) {
    auto const f =
        config::parse_config(yaml, "/etc/pw.yaml", config::Schema{}, notify::notifier_schema());
    std::vector<std::string> out;
    for (auto const& d : f.diagnostics) {
        out.push_back(d.to_string());
    }
    return out;
}

notify::DeliveryResult deliver(boost::asio::io_context& io, notify::Notifier& notifier,
                               notify::Notification const& n, std::chrono::milliseconds timeout) {
    std::optional<notify::DeliveryResult> got;
    notifier.deliver(n, timeout, [&](notify::DeliveryResult r) { got = std::move(r); });
    EXPECT_TRUE(run_until(
        io, [&] { return got.has_value(); }, timeout + std::chrono::seconds(5)));
    return got.value_or(notify::DeliveryResult{.detail = "no completion"});
}

std::unique_ptr<notify::Notifier> make(boost::asio::io_context& io, std::string_view yaml) {
    auto const spec = spec_of(yaml);
    auto n = notify::make_notifier(io, spec, notify::NotifierContext{.base_dir = "/etc"});
    EXPECT_NE(n, nullptr);
    return n;
}

}  // namespace portwatch::test
