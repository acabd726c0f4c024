#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/notifier.hpp"
#include "notify/notifier.hpp"

namespace portwatch::test {

/// A fixed event of `kind` for target "db" (db1.example:5432, group core, labels env=prod
/// and team=dba), with characters that need escaping in its description and detail.
eval::Event sample_event(eval::EventKind kind);
/// The event with its seed-rendered message.
notify::Notification sample(eval::EventKind kind);

/// Compares `actual` with tests/notify/golden/NAME byte for byte. With
/// PORTWATCH_UPDATE_GOLDEN=1 in the environment it writes the file instead (then review it).
void expect_golden(std::string_view name, std::string const& actual);

/// The one notifier spec of a YAML config that must validate (the file is /etc/pw.yaml).
config::NotifierSpec spec_of(std::string_view yaml);
/// The diagnostics of a YAML config, as "FILE:LINE:COLUMN: message".
std::vector<std::string> errors_of(std::string_view yaml);

/// Makes the notifier of a one-notifier YAML config, delivers `n` and waits (bounded) for
/// its result.
notify::DeliveryResult deliver(boost::asio::io_context& io, notify::Notifier& notifier,
                               notify::Notification const& n,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));
std::unique_ptr<notify::Notifier> make(boost::asio::io_context& io, std::string_view yaml);

}  // namespace portwatch::test
