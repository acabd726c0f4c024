#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.hpp"

namespace portwatch::test {

/// Loopback listeners on distinct ports, served by one thread that accepts and closes at once
/// (so a probe's graceful close ends quickly).
class AcceptingPorts {
  public:
    explicit AcceptingPorts(std::size_t n);
    ~AcceptingPorts();
    AcceptingPorts(AcceptingPorts const&) = delete;
    AcceptingPorts& operator=(AcceptingPorts const&) = delete;
    std::vector<std::uint16_t> const& ports() const { return ports_; }

  private:
    std::vector<int> fds_;
    std::vector<std::uint16_t> ports_;
    int epoll_ = -1;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

/// A tmpfs mounted on a fresh directory for one test (root only), unmounted at the end.
class Tmpfs {
  public:
    explicit Tmpfs(std::string const& size);
    ~Tmpfs();
    Tmpfs(Tmpfs const&) = delete;
    Tmpfs& operator=(Tmpfs const&) = delete;
    bool ok() const { return ok_; }
    std::string const& error() const { return error_; }
    std::filesystem::path const& path() const { return dir_.path(); }
    bool remount_read_only();

  private:
    TempDir dir_;
    bool ok_ = false;
    std::string error_;
};

/// The state file as JSON.
nlohmann::json read_state(std::filesystem::path const& path);

/// Writes an executable /bin/sh script.
std::filesystem::path write_script(TempDir const& dir, std::string const& name,
                                   std::string const& body);

/// Whether a process is alive (and not a zombie).
bool process_alive(int pid);

}  // namespace portwatch::test
