#include "support/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "support/process.hpp"

namespace portwatch::test {

namespace {

constexpr std::chrono::milliseconds tool_timeout{10000};

std::string run_text(ProcessResult const& r) {
    std::string s = r.err.empty() ? r.out : r.err;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    if (r.timed_out) {
        s += " (timed out)";
    }
    return s + " (exit " + std::to_string(r.exit_code) + ")";
}

bool run_ok(std::vector<std::string> const& argv, std::string& error) {
    auto const r = run_process(argv, ProcessOptions{.timeout = tool_timeout});
    if (r.exit_code != 0) {
        error = argv[0];
        for (std::size_t i = 1; i < argv.size() && i < 6; ++i) {
            error += " " + argv[i];
        }
        error += ": " + run_text(r);
        return false;
    }
    return true;
}

}  // namespace

NetNs::NetNs() {
    static std::atomic<int> counter{0};
    name_ = "pw-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    if (::geteuid() != 0) {
        error_ = "not root: creating a network namespace needs CAP_SYS_ADMIN";
        return;
    }
    if (!run_ok({"ip", "netns", "add", name_}, error_)) {
        return;
    }
    ok_ = true;
    if (!run_ok({"ip", "-n", name_, "link", "set", "lo", "up"}, error_)) {
        ok_ = false;
    }
}

NetNs::~NetNs() {
    if (!name_.empty()) {
        std::string ignored;
        run_ok({"ip", "netns", "del", name_}, ignored);
    }
}

bool NetNs::drop(std::string const& address, std::uint16_t port) {
    if (!ok_) {
        return false;
    }
    bool const v6 = address.find(':') != std::string::npos;
    std::string const family = v6 ? "ip6" : "ip";
    std::string const port_s = std::to_string(port);
    // Dropped on input, after the SYN left the socket: the connect just waits.
    std::vector<std::string> const exec{"ip", "netns", "exec", name_};
    auto with = [&](std::vector<std::string> tail) {
        auto v = exec;
        v.insert(v.end(), tail.begin(), tail.end());
        return v;
    };
    std::string nft_error;
    bool nft = run_ok(with({"nft", "add", "table", "inet", "pwtest"}), nft_error) &&
               run_ok(with({"nft", "add", "chain", "inet", "pwtest", "in",
                            "{ type filter hook input priority 0 ; policy accept ; }"}),
                      nft_error) &&
               run_ok(with({"nft", "add", "rule", "inet", "pwtest", "in", family, "daddr", address,
                            "tcp", "dport", port_s, "drop"}),
                      nft_error);
    if (nft) {
        return true;
    }
    std::string ipt_error;
    if (run_ok(with({v6 ? "ip6tables" : "iptables", "-I", "INPUT", "-p", "tcp", "-d", address,
                     "--dport", port_s, "-j", "DROP"}),
               ipt_error)) {
        return true;
    }
    error_ = nft_error + "; " + ipt_error;
    return false;
}

bool NetNs::nft(std::string const& script) {
    return ok_ && run_ok({"ip", "netns", "exec", name_, "nft", script}, error_);
}

bool NetNs::run(std::function<void()> const& fn) {
    if (!ok_) {
        return false;
    }
    std::string const path = "/run/netns/" + name_;
    bool entered = false;
    std::string thread_error;
    std::thread t([&] {
        int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            thread_error = "open " + path + ": " + std::strerror(errno);
            return;
        }
        // Only this thread moves into the namespace.
        if (::setns(fd, CLONE_NEWNET) != 0) {
            thread_error = std::string("setns: ") + std::strerror(errno);
            ::close(fd);
            return;
        }
        ::close(fd);
        entered = true;
        fn();
    });
    t.join();
    if (!entered) {
        error_ = thread_error;
    }
    return entered;
}

bool netns_supported(std::string* why) {
    NetNs ns;
    if (!ns.ok() && why != nullptr) {
        *why = ns.error();
    }
    return ns.ok();
}

}  // namespace portwatch::test
