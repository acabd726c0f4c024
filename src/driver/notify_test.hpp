#pragma once

#include <filesystem>
#include <string>

#include "eval/event.hpp"
#include "util/time.hpp"

namespace portwatch::driver {

struct NotifyTestOptions {
    std::filesystem::path config = "portwatch.yaml";
    std::string name;  ///< the notifier (config `name:`) to test
};

/// The synthetic DOWN event of a test message: target "portwatch-test", a description and
/// detail saying it is a test, at `now` (pure).
eval::Event notify_test_event(util::TimePoint now);

/// `portwatch notify-test NAME`: loads the config, builds that one notifier through the
/// registry, sends it the test event rendered with its templates and waits for the outcome
/// (bounded by the notifier's timeout). Prints "NAME: delivered" (exit 0) or
/// "NAME: failed: DETAIL (ERROR, CONDITION)" (exit 1); a config with errors or no notifier of
/// that name is exit 2, an unreadable config exit 4.
int run_notify_test(NotifyTestOptions const& options);

}  // namespace portwatch::driver
