#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace portwatch::driver {

/// Watches the config file and the lists it includes (inotify on their directories, since
/// editors replace files by rename) and calls `on_change` once per burst of events, after a
/// quiet time. Without inotify it logs that SIGHUP is the way to reload.
class ConfigWatch {
  public:
    ConfigWatch(boost::asio::io_context& io, std::function<void()> on_change);

    /// Also watches these files from now on (a reload may add includes).
    void watch(std::vector<std::filesystem::path> const& files);
    void close();

    static constexpr std::chrono::milliseconds debounce{200};

  private:
    void do_read();
    void on_read(boost::system::error_code ec, std::size_t n);

    boost::asio::io_context& io_;
    std::function<void()> on_change_;
    std::optional<boost::asio::posix::stream_descriptor> fd_;
    boost::asio::steady_timer debounce_timer_;
    std::array<char, 4096> buffer_{};
    std::unordered_set<std::string> names_;
    std::unordered_set<std::string> dirs_;
    bool closed_ = false;
};

}  // namespace portwatch::driver
