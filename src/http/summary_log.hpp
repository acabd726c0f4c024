#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace portwatch::http {

/// Warnings that an attacker can trigger at will (failed logins, connection limits), kept
/// from flooding the log: the first event of a period gives a line at once, the others are
/// counted and summarised in one line when the period is over (`flush`). Pure: time is passed.
class SummaryLog {
  public:
    using Clock = std::chrono::steady_clock;

    explicit SummaryLog(std::string what, std::chrono::seconds period = std::chrono::seconds(60))
        : what_(std::move(what)), period_(period) {}

    /// One event from `peer`: the line to log now, if any.
    std::optional<std::string> note(std::string_view peer, Clock::time_point now) {
        ++total_;
        if (auto line = flush(now); line || !open_) {
            open_ = true;
            started_ = now;
            return line ? *line + "; " + first_line(peer) : first_line(peer);
        }
        ++suppressed_;
        if (peers_.size() < max_peers) {
            peers_.emplace(peer);
        }
        return std::nullopt;
    }

    /// The summary of the period when it is over and something was held back.
    std::optional<std::string> flush(Clock::time_point now) {
        if (!open_ || now - started_ < period_) {
            return std::nullopt;
        }
        open_ = false;
        if (suppressed_ == 0) {
            return std::nullopt;
        }
        std::string line = "http: " + std::to_string(suppressed_) + " more " + what_ + " in " +
                           std::to_string(period_.count()) + " s from";
        for (auto const& p : peers_) {
            line += " " + p;
        }
        if (peers_.size() >= max_peers) {
            line += " ...";
        }
        suppressed_ = 0;
        peers_.clear();
        return line;
    }

    /// Events so far.
    std::size_t total() const { return total_; }

  private:
    static constexpr std::size_t max_peers = 8;

    std::string first_line(std::string_view peer) const {
        return "http: " + what_ + " from " + std::string(peer);
    }

    std::string what_;
    std::chrono::seconds period_;
    bool open_ = false;
    Clock::time_point started_;
    std::size_t suppressed_ = 0;
    std::size_t total_ = 0;
    std::set<std::string, std::less<>> peers_;
};

}  // namespace portwatch::http
