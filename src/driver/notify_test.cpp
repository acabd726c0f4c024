#include "driver/notify_test.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "config/yaml.hpp"
#include "driver/exit_code.hpp"
#include "notify/message.hpp"
#include "notify/registry.hpp"
#include "probe/registry.hpp"

namespace portwatch::driver {

namespace fs = std::filesystem;

namespace {

/// A notifier's outcome arrives at the latest shortly after its timeout; this is the slack.
constexpr std::chrono::seconds outcome_slack{10};

void print_diagnostics(std::vector<config::Diagnostic> const& diagnostics) {
    for (auto const& d : diagnostics) {
        std::cerr << d.to_string() << '\n';
    }
}

std::string known_names(std::vector<config::NotifierSpec> const& specs) {
    std::vector<std::string> names;
    for (auto const& s : specs) {
        names.push_back(s.name);
    }
    return names.empty() ? std::string("it has no notifiers: section")
                         : fmt::format("it has: {}", fmt::join(names, ", "));
}

}  // namespace

eval::Event notify_test_event(util::TimePoint now) {
    auto const us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch());
    return eval::Event{
        .id = fmt::format("{}-notify-test-portwatch-test", us.count()),
        .kind = eval::EventKind::down,
        .key = "portwatch-test:0",
        .host = "portwatch-test",
        .port = 0,
        .description = "[TEST] portwatch notify-test 테스트 메시지 (not an outage)",
        .reason = "test",
        .detail = "a test message sent by `portwatch notify-test`; no target is down",
        .time = now,
        .name = "portwatch-test",
        .down_since = now,
    };
}

int run_notify_test(NotifyTestOptions const& options) {
    auto loaded = config::load_config(options.config, probe::schema(), notify::notifier_schema());
    if (!loaded) {
        std::cerr << fmt::format(
            "portwatch: cannot read config {}: {}\n", options.config.string(),
            loaded.error().code ? loaded.error().code.message() : loaded.error().message);
        return exit_no_input;
    }
    print_diagnostics(loaded->diagnostics);
    if (loaded->has_errors()) {
        std::cerr << fmt::format("portwatch: {} has errors; nothing sent\n",
                                 options.config.string());
        return exit_config_errors;
    }
    auto const& specs = loaded->config.notifiers;
    auto const spec = std::find_if(specs.begin(), specs.end(),
                                   [&](auto const& s) { return s.name == options.name; });
    if (spec == specs.end()) {
        std::cerr << fmt::format("portwatch: no notifier named '{}' in {} ({})\n", options.name,
                                 options.config.string(), known_names(specs));
        return exit_config_errors;
    }

    boost::asio::io_context io;
    auto const base_dir = fs::absolute(options.config).parent_path();
    auto notifier = notify::make_notifier(io, *spec, notify::NotifierContext{.base_dir = base_dir});
    if (!notifier) {
        std::cerr << fmt::format("portwatch: notifier '{}' has an unknown type '{}'\n",
                                 options.name, spec->type);
        return exit_config_errors;
    }
    auto const event = notify_test_event(util::Clock::now());
    notify::Notification const n{.event = event,
                                 .message = notify::render(event, notify::templates_of(*spec))};
    std::optional<notify::DeliveryResult> result;
    notifier->deliver(n, spec->timeout, [&](notify::DeliveryResult r) { result = std::move(r); });
    auto const deadline = std::chrono::steady_clock::now() + spec->timeout + outcome_slack;
    while (!result && std::chrono::steady_clock::now() < deadline) {
        if (io.run_one_until(deadline) == 0) {
            // Nothing to run (the loop stopped): do not spin while waiting.
            io.restart();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    // The notifier goes first: it cancels what still runs (a child, a transfer).
    notifier.reset();
    if (!result) {
        std::cout << fmt::format(
            "{}: failed: no outcome within {} s\n", options.name,
            std::chrono::duration_cast<std::chrono::seconds>(spec->timeout + outcome_slack)
                .count());
        return 1;
    }
    if (result->ok()) {
        std::cout << fmt::format("{}: delivered\n", options.name);
        return exit_ok;
    }
    auto const& e = result->error;
    std::cout << fmt::format(
        "{}: failed: {} ({}, {})\n", options.name, result->detail,
        e.category() == notify::delivery_category()
            ? notify::delivery_error_name(static_cast<notify::DeliveryError>(e.value()))
            : e.message(),
        e.default_error_condition().message());
    return 1;
}

}  // namespace portwatch::driver
