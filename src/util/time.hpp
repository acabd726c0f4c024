#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace portwatch::util {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

/// Seconds since the epoch, with microseconds, as stored in state files.
double to_epoch_seconds(TimePoint t);
TimePoint from_epoch_seconds(double s);

/// "YYYY.MM.DD HH:MM:SS" in local time: the seed script's message time format.
std::string format_seed_time(TimePoint t);

/// "YYYY-MM-DDTHH:MM:SS.mmm+ZZZZ" in local time, for log lines and environment variables.
std::string format_iso_local(TimePoint t);

/// "YYYY-MM-DD HH:MM:SS.mmm" in local time, for log lines.
std::string format_log_time(TimePoint t);

}  // namespace portwatch::util
