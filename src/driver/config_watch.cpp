#include "driver/config_watch.hpp"

#include <sys/inotify.h>

#include <cerrno>
#include <cstring>

#include "util/log.hpp"

namespace portwatch::driver {

namespace fs = std::filesystem;
namespace log = util::log;

ConfigWatch::ConfigWatch(boost::asio::io_context& io, std::function<void()> on_change)
    : io_(io), on_change_(std::move(on_change)), debounce_timer_(io) {}

void ConfigWatch::watch(std::vector<fs::path> const& files) {
    if (closed_) {
        return;
    }
    if (!fd_) {
        int const fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
            log::warn("cannot watch the config for changes (inotify: {}); reload with SIGHUP",
                      std::strerror(errno));
            closed_ = true;
            return;
        }
        fd_.emplace(io_, fd);
        do_read();
    }
    // Names are filtered on each event. A name once watched stays watched: an included list
    // that is emptied (being rewritten) still belongs to the config.
    for (auto const& file : files) {
        auto const abs = fs::absolute(file);
        names_.insert(abs.filename().string());
        auto const dir = abs.parent_path().string();
        if (dirs_.insert(dir).second &&
            ::inotify_add_watch(fd_->native_handle(), dir.c_str(),
                                IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0) {
            log::warn("cannot watch {}: {}", dir, std::strerror(errno));
        }
    }
}

void ConfigWatch::close() {
    closed_ = true;
    debounce_timer_.cancel();
    if (fd_) {
        fd_->close();
    }
}

void ConfigWatch::do_read() {
    fd_->async_read_some(boost::asio::buffer(buffer_),
                         [this](boost::system::error_code ec, std::size_t n) { on_read(ec, n); });
}

void ConfigWatch::on_read(boost::system::error_code ec, std::size_t n) {
    if (ec || closed_) {
        return;
    }
    bool relevant = false;
    for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
        auto const* ev = reinterpret_cast<inotify_event const*>(buffer_.data() + off);
        if (ev->len > 0 && names_.count(ev->name)) {
            relevant = true;
        }
        off += sizeof(inotify_event) + ev->len;
    }
    if (relevant) {
        debounce_timer_.expires_after(debounce);
        debounce_timer_.async_wait([this](boost::system::error_code e) {
            if (!e && !closed_) {
                on_change_();
            }
        });
    }
    do_read();
}

}  // namespace portwatch::driver
