#include "reliability/reliability_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace portwatch::test {

namespace fs = std::filesystem;

AcceptingPorts::AcceptingPorts(std::size_t n) {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < n; ++i) {
        int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(fd, 1024) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
            throw std::runtime_error("cannot open a loopback listener");
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
        fds_.push_back(fd);
        ports_.push_back(ntohs(a.sin_port));
    }
    thread_ = std::thread([this] {
        epoll_event events[64];
        while (!stop_) {
            int const n = ::epoll_wait(epoll_, events, 64, 20);
            for (int i = 0; i < n; ++i) {
                int c;
                while ((c = ::accept4(events[i].data.fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
                    ::close(c);
                }
            }
        }
    });
}

AcceptingPorts::~AcceptingPorts() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_)
        ::close(fd);
    ::close(epoll_);
}

Tmpfs::Tmpfs(std::string const& size) {
    std::string const opts = "size=" + size + ",mode=0755";
    if (::mount("portwatch-test", dir_.path().c_str(), "tmpfs", 0, opts.c_str()) != 0) {
        error_ = std::string("cannot mount a tmpfs (needs root): ") + std::strerror(errno);
        return;
    }
    ok_ = true;
}

Tmpfs::~Tmpfs() {
    if (ok_) {
        ::umount2(dir_.path().c_str(), MNT_DETACH);
    }
}

bool Tmpfs::remount_read_only() {
    return ::mount(nullptr, dir_.path().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0;
}

nlohmann::json read_state(fs::path const& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

fs::path write_script(TempDir const& dir, std::string const& name, std::string const& body) {
    return dir.write(name, "#!/bin/sh\n" + body + "\n", true);
}

bool process_alive(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) {
        return false;
    }
    auto const close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

}  // namespace portwatch::test
