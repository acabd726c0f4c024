#include "notify/grouping.hpp"

#include <array>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace portwatch::notify {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string group_message(std::span<Notification const> items, int max_lines) {
    // down (reminders included), up, cert-expiring, cert-renewed: in the seed's words.
    std::array<std::size_t, 4> counts{};
    constexpr std::array<char const*, 4> words{"장애", "복구", "인증서 만료 임박", "인증서 갱신"};
    for (auto const& n : items) {
        ++counts[static_cast<std::size_t>(n.event.kind)];
    }
    std::string out = "portwatch:";
    char const* sep = " ";
    for (std::size_t k = 0; k < counts.size(); ++k) {
        if (counts[k] > 0) {
            out += fmt::format("{}{} {}", sep, words[k], counts[k]);
            sep = ", ";
        }
    }
    std::size_t const shown = std::min<std::size_t>(items.size(), std::max(1, max_lines));
    for (std::size_t i = 0; i < shown; ++i) {
        out += '\n';
        out += items[i].message;
    }
    if (items.size() > shown) {
        out += fmt::format("\n+{} more", items.size() - shown);
    }
    return out;
}

struct GroupingNotifier::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& io_, std::unique_ptr<Notifier> inner_, GroupOptions o)
        : io(io_), inner(std::move(inner_)), options(o), timer(io_) {}

    struct Held {
        Notification n;
        Completion done;
    };

    void deliver(Notification const& n, std::chrono::milliseconds timeout, Completion done);
    void on_window_end();
    void flush();

    asio::io_context& io;
    std::unique_ptr<Notifier> inner;
    GroupOptions options;
    asio::steady_timer timer;
    bool window_open = false;
    Clock::time_point window_end{};
    int sent_alone = 0;
    std::vector<Held> held;
    std::chrono::milliseconds held_timeout{0};
};

void GroupingNotifier::Impl::deliver(Notification const& n, std::chrono::milliseconds timeout,
                                     Completion done) {
    auto const now = Clock::now();
    if (!window_open) {
        window_open = true;
        window_end = now + options.window;
        sent_alone = 0;
        timer.expires_at(window_end);
        timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) {
                self->on_window_end();
            }
        });
    }
    if (held.empty() && sent_alone < options.after) {
        ++sent_alone;
        inner->deliver(n, timeout, std::move(done));
        return;
    }
    held.push_back(Held{n, std::move(done)});
    held_timeout = std::max(held_timeout, timeout);
    if (held.size() >= options.max_batch) {
        flush();
    }
}

// A window ends: what it held goes out as one message, and the storm goes on grouping in a
// new window; a window that ends with nothing held closes, and the next event goes alone.
void GroupingNotifier::Impl::on_window_end() {
    if (held.empty()) {
        window_open = false;
        return;
    }
    flush();
    window_end = Clock::now() + options.window;
    sent_alone = options.after;
    timer.expires_at(window_end);
    timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) {
            self->on_window_end();
        }
    });
}

void GroupingNotifier::Impl::flush() {
    auto items = std::move(held);
    held.clear();
    auto const timeout = std::exchange(held_timeout, std::chrono::milliseconds(0));
    if (items.size() == 1) {
        inner->deliver(items[0].n, timeout, std::move(items[0].done));
        return;
    }
    std::vector<Notification> notes;
    std::vector<Completion> dones;
    notes.reserve(items.size());
    dones.reserve(items.size());
    for (auto& h : items) {
        notes.push_back(std::move(h.n));
        dones.push_back(std::move(h.done));
    }
    Notification grouped{notes.front().event, group_message(notes, options.max_lines), {}};
    grouped.grouped.reserve(notes.size());
    for (auto& n : notes) {
        grouped.grouped.push_back(std::move(n.event));
    }
    inner->deliver(grouped, timeout, [dones = std::move(dones)](DeliveryResult r) {
        for (auto const& d : dones) {
            d(r);
        }
    });
}

GroupingNotifier::GroupingNotifier(asio::io_context& io, std::unique_ptr<Notifier> inner,
                                   GroupOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(inner), options)) {}

GroupingNotifier::~GroupingNotifier() {
    impl_->timer.cancel();
    for (auto& h : impl_->held) {
        asio::post(impl_->io, [done = std::move(h.done)] {
            done(DeliveryResult{.error = DeliveryError::cancelled,
                                .detail = "cancelled: notifier shut down"});
        });
    }
    impl_->held.clear();
}

std::string const& GroupingNotifier::name() const {
    return impl_->inner->name();
}

void GroupingNotifier::deliver(Notification const& n, std::chrono::milliseconds timeout,
                               Completion done) {
    impl_->deliver(n, timeout, std::move(done));
}

}  // namespace portwatch::notify
