#include "probe/resolver.hpp"

#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include <boost/asio/posix/stream_descriptor.hpp>

namespace portwatch::probe {

namespace asio = boost::asio;
namespace ip = boost::asio::ip;
using Clock = std::chrono::steady_clock;

struct Resolver::Entry {
    Resolver* owner = nullptr;
    std::string host;
    bool pending = false;
    Clock::time_point expires{};
    std::shared_ptr<Resolution const> result;
    std::vector<std::weak_ptr<ResolveWaiter>> waiters;
};

// One c-ares socket. c-ares owns the descriptor: we watch it and release() it, never close.
struct Resolver::Watch {
    Watch(asio::io_context& io, int fd_) : sd(io), fd(fd_) {}
    asio::posix::stream_descriptor sd;
    int fd;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
    bool closed = false;
};

namespace {

ares_channel as_channel(void* p) {
    return static_cast<ares_channel>(p);
}

// Happy eyeballs order (RFC 8305): IPv6 first, then alternate the families.
void interleave_families(std::vector<ip::address>& addrs) {
    std::vector<ip::address> v6;
    std::vector<ip::address> v4;
    for (auto const& a : addrs) {
        (a.is_v6() ? v6 : v4).push_back(a);
    }
    if (v6.empty() || v4.empty()) {
        return;
    }
    addrs.clear();
    for (std::size_t i = 0; i < std::max(v6.size(), v4.size()); ++i) {
        if (i < v6.size()) {
            addrs.push_back(v6[i]);
        }
        if (i < v4.size()) {
            addrs.push_back(v4[i]);
        }
    }
}

std::shared_ptr<Resolution const> make_resolution(std::string const& host, int status,
                                                  ares_addrinfo* res) {
    auto r = std::make_shared<Resolution>();
    if (status == ARES_SUCCESS && res != nullptr) {
        for (auto* n = res->nodes; n != nullptr; n = n->ai_next) {
            ip::address a;
            if (n->ai_family == AF_INET && n->ai_addr != nullptr) {
                auto const* sin = reinterpret_cast<sockaddr_in const*>(n->ai_addr);
                ip::address_v4::bytes_type b;
                std::memcpy(b.data(), &sin->sin_addr, b.size());
                a = ip::address_v4(b);
            } else if (n->ai_family == AF_INET6 && n->ai_addr != nullptr) {
                auto const* sin6 = reinterpret_cast<sockaddr_in6 const*>(n->ai_addr);
                ip::address_v6::bytes_type b;
                std::memcpy(b.data(), &sin6->sin6_addr, b.size());
                a = ip::address_v6(b, sin6->sin6_scope_id);
            } else {
                continue;
            }
            if (std::find(r->addresses.begin(), r->addresses.end(), a) == r->addresses.end()) {
                r->addresses.push_back(a);
            }
        }
    }
    interleave_families(r->addresses);
    if (status == ARES_SUCCESS && r->addresses.empty()) {
        status = ARES_ENODATA;
    }
    switch (status) {
        case ARES_SUCCESS:
            break;
        case ARES_ENOTFOUND:
        case ARES_ENODATA:
            r->error = ProbeError::dns_nxdomain;
            break;
        case ARES_ETIMEOUT:
        case ARES_ECANCELLED:  // abandoned after its probes timed out: not cached either
            r->error = ProbeError::dns_timeout;
            break;
        default:
            r->error = ProbeError::dns_failure;
            break;
    }
    if (r->error != ProbeError::none) {
        r->detail = "resolve " + host + ": " + ares_strerror(status);
    }
    return r;
}

}  // namespace

Resolver::Resolver(asio::io_context& io, Options options)
    : io_(io), options_(options), timer_(io) {}

Resolver::~Resolver() {
    destroying_ = true;
    timer_.cancel();
    if (channel_ != nullptr) {
        // Calls the pending callbacks (ignored while destroying) and closes c-ares sockets.
        ares_destroy(as_channel(channel_));
        channel_ = nullptr;
    }
    for (auto& [fd, w] : watches_) {
        w->closed = true;
        w->sd.release();
    }
}

bool Resolver::ensure_channel(std::string& error_out) {
    if (channel_ != nullptr) {
        return true;
    }
    static std::once_flag once;
    static int init_status = ARES_SUCCESS;
    std::call_once(once, [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
    if (init_status != ARES_SUCCESS) {
        error_out = std::string("c-ares init: ") + ares_strerror(init_status);
        return false;
    }
    ares_options opts{};
    opts.sock_state_cb = [](void* data, ares_socket_t fd, int readable, int writable) {
        sock_state_cb(data, static_cast<int>(fd), readable, writable);
    };
    opts.sock_state_cb_data = this;
    opts.timeout = static_cast<int>(options_.try_timeout.count());
    opts.tries = options_.tries;
    char lookups[] = "fb";  // /etc/hosts first, then DNS
    opts.lookups = lookups;
    int const mask =
        ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
    ares_channel ch = nullptr;
    int const st = ares_init_options(&ch, &opts, mask);
    if (st != ARES_SUCCESS) {
        error_out = std::string("c-ares init: ") + ares_strerror(st);
        return false;
    }
    channel_ = ch;
    return true;
}

std::shared_ptr<Resolution const> Resolver::resolve(std::string const& host,
                                                    std::weak_ptr<ResolveWaiter> waiter) {
    auto& slot = cache_[host];
    if (!slot) {
        slot = std::make_unique<Entry>();
        slot->owner = this;
        slot->host = host;
    }
    Entry& entry = *slot;
    if (!entry.pending && entry.result && Clock::now() < entry.expires) {
        return entry.result;
    }
    if (!entry.pending) {
        std::string err;
        if (!ensure_channel(err)) {
            auto r = std::make_shared<Resolution>();
            r->error = ProbeError::dns_failure;
            r->detail = "resolve " + host + ": " + err;
            return r;
        }
        entry.pending = true;
        entry.result.reset();
        start_lookup(entry);
        if (!entry.pending) {
            // Answered synchronously (e.g. from /etc/hosts).
            return entry.result;
        }
    }
    entry.waiters.push_back(std::move(waiter));
    if (cache_.size() >= sweep_at_) {
        sweep();
    }
    return nullptr;
}

std::shared_ptr<Resolution const> Resolver::cached(std::string const& host) const {
    auto const it = cache_.find(host);
    if (it == cache_.end() || it->second->pending || Clock::now() >= it->second->expires) {
        return nullptr;
    }
    return it->second->result;
}

void Resolver::start_lookup(Entry& entry) {
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = ARES_AI_NOSORT;  // the prober orders families itself; sorting costs sockets
    ares_getaddrinfo(as_channel(channel_), entry.host.c_str(), nullptr, &hints, &lookup_cb, &entry);
    update_timer();
}

void Resolver::lookup_cb(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
    auto* entry = static_cast<Entry*>(arg);
    Resolver* self = entry->owner;
    if (!self->destroying_) {
        entry->result = make_resolution(entry->host, status, res);
        entry->pending = false;
        auto const ttl = entry->result->error == ProbeError::none ? self->options_.ttl
                         : entry->result->error == ProbeError::dns_timeout
                             ? std::chrono::seconds(0)
                             : self->options_.negative_ttl;
        entry->expires = Clock::now() + ttl;
        self->completed_.push_back(entry);
    }
    if (res != nullptr) {
        ares_freeaddrinfo(res);
    }
}

// Waiters run outside c-ares calls, so they may start new lookups.
void Resolver::deliver_completed() {
    ++delivering_;
    while (!completed_.empty()) {
        std::vector<Entry*> done;
        done.swap(completed_);
        for (Entry* e : done) {
            auto waiters = std::move(e->waiters);
            e->waiters.clear();
            auto const result = e->result;
            for (auto& w : waiters) {
                if (auto p = w.lock()) {
                    p->on_resolved(result);
                }
            }
        }
    }
    --delivering_;
}

void Resolver::cancel() {
    if (channel_ != nullptr) {
        ares_cancel(as_channel(channel_));
        update_timer();
        deliver_completed();
    }
}

void Resolver::sock_state_cb(void* data, int fd, int readable, int writable) {
    static_cast<Resolver*>(data)->on_sock_state(fd, readable != 0, writable != 0);
}

void Resolver::on_sock_state(int fd, bool readable, bool writable) {
    if (!readable && !writable) {
        // c-ares is about to close it: stop watching without closing.
        auto it = watches_.find(fd);
        if (it != watches_.end()) {
            it->second->closed = true;
            it->second->sd.release();
            watches_.erase(it);
        }
        return;
    }
    auto& w = watches_[fd];
    if (!w) {
        w = std::make_shared<Watch>(io_, fd);
        boost::system::error_code ec;
        w->sd.assign(fd, ec);
        if (ec) {
            // Cannot watch it: c-ares will time the query out through the timer.
            watches_.erase(fd);
            return;
        }
    }
    w->want_read = readable;
    w->want_write = writable;
    if (!destroying_) {
        arm(w);
    }
}

void Resolver::arm(std::shared_ptr<Watch> const& w) {
    if (w->closed) {
        return;
    }
    auto const self = weak_from_this();
    if (w->want_read && !w->reading) {
        w->reading = true;
        w->sd.async_wait(asio::posix::stream_descriptor::wait_read,
                         [self, w](boost::system::error_code ec) {
                             w->reading = false;
                             if (ec || w->closed) {
                                 return;
                             }
                             if (auto r = self.lock()) {
                                 r->on_ready(w, true);
                             }
                         });
    }
    if (w->want_write && !w->writing) {
        w->writing = true;
        w->sd.async_wait(asio::posix::stream_descriptor::wait_write,
                         [self, w](boost::system::error_code ec) {
                             w->writing = false;
                             if (ec || w->closed) {
                                 return;
                             }
                             if (auto r = self.lock()) {
                                 r->on_ready(w, false);
                             }
                         });
    }
}

void Resolver::on_ready(std::shared_ptr<Watch> const& w, bool read) {
    ares_socket_t const fd = w->fd;
    ares_process_fd(as_channel(channel_), read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
    arm(w);
    update_timer();
    deliver_completed();
}

void Resolver::update_timer() {
    if (channel_ == nullptr || destroying_) {
        return;
    }
    timeval tv{};
    if (ares_timeout(as_channel(channel_), nullptr, &tv) == nullptr) {
        timer_.cancel();
        return;
    }
    auto const wait = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec) +
                      std::chrono::milliseconds(1);
    timer_.expires_after(wait);
    timer_.async_wait([self = weak_from_this()](boost::system::error_code ec) {
        if (ec) {
            return;
        }
        if (auto r = self.lock()) {
            r->on_timer();
        }
    });
}

void Resolver::on_timer() {
    ares_process_fd(as_channel(channel_), ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    update_timer();
    deliver_completed();
}

void Resolver::sweep() {
    // Entries may be referenced by completed_ or by a delivery in progress.
    if (delivering_ > 0 || !completed_.empty()) {
        return;
    }
    auto const now = Clock::now();
    for (auto it = cache_.begin(); it != cache_.end();) {
        if (!it->second->pending && it->second->expires <= now) {
            it = cache_.erase(it);
        } else {
            ++it;
        }
    }
    sweep_at_ = std::max<std::size_t>(256, cache_.size() * 2);
}

}  // namespace portwatch::probe
