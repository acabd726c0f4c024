#include "probe/dns_reply.hpp"

#include <ares.h>

#include <array>
#include <cstdint>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>

namespace portwatch::probe::dns {

namespace {

constexpr std::array<std::pair<std::string_view, int>, 9> types{{
    {"A", 1},
    {"NS", 2},
    {"CNAME", 5},
    {"SOA", 6},
    {"PTR", 12},
    {"MX", 15},
    {"TXT", 16},
    {"AAAA", 28},
    {"SRV", 33},
}};

constexpr std::array<std::string_view, 11> rcodes{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                  "NXRRSET", "NOTAUTH", "NOTZONE"};

// A cursor over the message; every read is bounds-checked.
class Reader {
  public:
    explicit Reader(std::span<unsigned char const> m) : m_(m) {}

    bool ok() const { return ok_; }
    std::size_t pos() const { return pos_; }
    void seek(std::size_t p) {
        if (p > m_.size()) {
            ok_ = false;
            return;
        }
        pos_ = p;
    }

    std::uint32_t number(std::size_t bytes) {
        if (!ok_ || m_.size() - pos_ < bytes) {
            ok_ = false;
            return 0;
        }
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < bytes; ++i) {
            v = v << 8 | m_[pos_++];
        }
        return v;
    }

    // A (possibly compressed) name, through c-ares.
    std::string name() {
        if (!ok_ || pos_ >= m_.size()) {
            ok_ = false;
            return {};
        }
        char* out = nullptr;
        long len = 0;
        if (ares_expand_name(m_.data() + pos_, m_.data(), static_cast<int>(m_.size()), &out,
                             &len) != ARES_SUCCESS) {
            ok_ = false;
            return {};
        }
        std::string s(out);
        ares_free_string(out);
        pos_ += static_cast<std::size_t>(len);
        return s;
    }

    std::string bytes(std::size_t n) {
        if (!ok_ || m_.size() - pos_ < n) {
            ok_ = false;
            return {};
        }
        std::string s(reinterpret_cast<char const*>(m_.data() + pos_), n);
        pos_ += n;
        return s;
    }

  private:
    std::span<unsigned char const> m_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

// The record data at the reader, `len` bytes, as text.
std::string render(Reader& r, int type, std::size_t len) {
    auto const end = r.pos() + len;
    std::string out;
    switch (type) {
        case 1: {
            auto const a = r.bytes(4);
            if (len == 4 && r.ok()) {
                auto const* b = reinterpret_cast<unsigned char const*>(a.data());
                out = fmt::format("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
            }
            break;
        }
        case 28: {
            auto const a = r.bytes(16);
            if (len == 16 && r.ok()) {
                boost::asio::ip::address_v6::bytes_type b;
                std::copy(a.begin(), a.end(), b.begin());
                out = boost::asio::ip::address_v6(b).to_string();
            }
            break;
        }
        case 2:
        case 5:
        case 12:
            out = r.name();
            break;
        case 15: {
            auto const pref = r.number(2);
            out = fmt::format("{} {}", pref, r.name());
            break;
        }
        case 16:
            while (r.ok() && r.pos() < end) {
                out += r.bytes(r.number(1));
            }
            break;
        case 6: {
            auto const mname = r.name();
            auto const rname = r.name();
            out = fmt::format("{} {}", mname, rname);
            for (int i = 0; i < 5; ++i) {
                out += fmt::format(" {}", r.number(4));
            }
            break;
        }
        case 33: {
            auto const prio = r.number(2);
            auto const weight = r.number(2);
            auto const port = r.number(2);
            out = fmt::format("{} {} {} {}", prio, weight, port, r.name());
            break;
        }
        default:
            break;
    }
    r.seek(end);
    return out;
}

}  // namespace

std::string upper(std::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::optional<std::string> reverse_name(std::string_view text) {
    boost::system::error_code ec;
    auto const a = boost::asio::ip::make_address(std::string(text), ec);
    if (ec) {
        return std::nullopt;
    }
    if (a.is_v4()) {
        auto const b = a.to_v4().to_bytes();
        return fmt::format("{}.{}.{}.{}.in-addr.arpa", b[3], b[2], b[1], b[0]);
    }
    auto const b = a.to_v6().to_bytes();
    std::string out;
    for (auto it = b.rbegin(); it != b.rend(); ++it) {
        out += fmt::format("{:x}.{:x}.", *it & 0x0f, *it >> 4);
    }
    return out + "ip6.arpa";
}

int type_code(std::string_view name) {
    auto const u = upper(name);
    for (auto const& [n, code] : types) {
        if (n == u) {
            return code;
        }
    }
    return 0;
}

int rcode_code(std::string_view name) {
    auto const u = upper(name);
    for (std::size_t i = 0; i < rcodes.size(); ++i) {
        if (rcodes[i] == u) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

std::string rcode_name(int rcode) {
    if (rcode >= 0 && static_cast<std::size_t>(rcode) < rcodes.size()) {
        return std::string(rcodes[static_cast<std::size_t>(rcode)]);
    }
    return fmt::format("RCODE{}", rcode);
}

std::optional<Reply> parse_reply(std::span<unsigned char const> message, int type) {
    Reader r(message);
    r.number(2);  // id
    auto const flags = r.number(2);
    auto const qdcount = r.number(2);
    auto const ancount = r.number(2);
    r.number(4);  // nscount, arcount
    Reply reply{.rcode = static_cast<int>(flags & 0x0f), .truncated = (flags & 0x0200) != 0};
    for (std::uint32_t i = 0; i < qdcount && r.ok(); ++i) {
        r.name();
        r.number(4);  // type, class
    }
    for (std::uint32_t i = 0; i < ancount && r.ok(); ++i) {
        r.name();
        auto const rtype = static_cast<int>(r.number(2));
        r.number(6);  // class, ttl
        auto const len = r.number(2);
        if (!r.ok()) {
            break;
        }
        if (rtype == type) {
            reply.answers.push_back(render(r, rtype, len));
        } else {
            r.seek(r.pos() + len);
        }
    }
    if (!r.ok()) {
        return std::nullopt;
    }
    return reply;
}

}  // namespace portwatch::probe::dns
