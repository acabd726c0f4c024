// The options of `kind: http`: `url`, `http: {...}` and `tls: {...}`, checked with
// FILE:LINE:COLUMN.
#include "probe/http_options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace portwatch::probe {

namespace {

using config::Diagnostics;
using config::Option;
using config::OptionBag;
using config::OptionNode;

constexpr int max_redirects = 20;

// RFC 9110 token characters (method and header names).
bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        auto const u = static_cast<unsigned char>(c);
        return std::isalnum(u) != 0 ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

bool has_line_break(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Reads the options of one mapping, each through the checker that knows it.
class Reader {
  public:
    Reader(OptionBag const& bag, Diagnostics& out) : bag_(bag), out_(out) {}

    bool failed() const { return out_.size() != before_; }

    void error(OptionNode const& at, std::string const& key, std::string_view what) {
        bag_.error(out_, at, key, what);
    }
    void error(Option const& at, std::string_view what) { bag_.error(out_, at, what); }

    bool scalar(OptionNode const& n, std::string const& key, std::string& to) {
        if (n.type != OptionNode::Type::scalar) {
            error(n, key, "expected a string");
            return false;
        }
        to = n.scalar;
        return true;
    }

    bool integer(OptionNode const& n, std::string const& key, int& to, int low, int high) {
        int v = 0;
        auto const& s = n.scalar;
        auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (n.type != OptionNode::Type::scalar || ec != std::errc() || ptr != s.data() + s.size() ||
            v < low || v > high) {
            error(n, key, fmt::format("expected an integer from {} to {}", low, high));
            return false;
        }
        to = v;
        return true;
    }

    bool boolean(OptionNode const& n, std::string const& key, bool& to) {
        std::string s = n.scalar;
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (n.type == OptionNode::Type::scalar && (s == "true" || s == "false")) {
            to = s == "true";
            return true;
        }
        error(n, key, "expected true or false");
        return false;
    }

    // A mapping's entries, each handed to `one` with its key path; unknown keys are errors.
    template <class F>
    void each(Option const& opt, std::initializer_list<std::string_view> known, F one) {
        if (opt.value.type != OptionNode::Type::map) {
            error(opt, "expected a mapping");
            return;
        }
        for (auto const& e : opt.value.entries) {
            auto const key = opt.key + "." + e.key;
            if (std::find(known.begin(), known.end(), e.key) == known.end()) {
                error(e.value, key, fmt::format("unknown key (known: {})", fmt::join(known, ", ")));
                continue;
            }
            one(e, key);
        }
    }

  private:
    OptionBag const& bag_;
    Diagnostics& out_;
    std::size_t before_ = out_.size();
};

// "200", or a class "2xx".
bool status_item(Reader& r, OptionNode const& n, std::string const& key,
                 std::vector<std::pair<int, int>>& to) {
    auto const& s = n.scalar;
    if (n.type == OptionNode::Type::scalar && s.size() == 3 && s[0] >= '1' && s[0] <= '5' &&
        (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
        int const c = (s[0] - '0') * 100;
        to.emplace_back(c, c + 99);
        return true;
    }
    int code = 0;
    auto const [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
    if (n.type != OptionNode::Type::scalar || ec != std::errc() || ptr != s.data() + s.size() ||
        code < 100 || code > 599) {
        r.error(n, key, "expected a status code (100-599) or a class such as 2xx");
        return false;
    }
    to.emplace_back(code, code);
    return true;
}

void parse_status(Reader& r, Option const& e, std::string const& key, HttpOptions& o) {
    if (e.value.type == OptionNode::Type::list) {
        if (e.value.items.empty()) {
            r.error(e.value, key, "expected at least one status");
        }
        for (std::size_t i = 0; i < e.value.items.size(); ++i) {
            status_item(r, e.value.items[i], fmt::format("{}[{}]", key, i), o.status);
        }
    } else {
        status_item(r, e.value, key, o.status);
    }
}

void parse_headers(Reader& r, Option const& e, std::string const& key, HttpOptions& o) {
    if (e.value.type != OptionNode::Type::map) {
        r.error(e.value, key, "expected a mapping of header names to values");
        return;
    }
    for (auto const& h : e.value.entries) {
        auto const hkey = key + "." + h.key;
        std::string value;
        if (!is_token(h.key)) {
            r.error(h.value, hkey, "not a valid header name");
        } else if (r.scalar(h.value, hkey, value)) {
            if (has_line_break(value)) {
                r.error(h.value, hkey, "a header value may not hold a line break");
            } else {
                o.headers.emplace_back(h.key, value);
            }
        }
    }
}

void parse_http(Reader& r, Option const& opt, HttpOptions& o) {
    r.each(opt, {"method", "status", "body", "headers", "request_body", "follow_redirects"},
           [&](Option const& e, std::string const& key) {
               if (e.key == "method") {
                   if (r.scalar(e.value, key, o.method) && !is_token(o.method)) {
                       r.error(e.value, key, "not a valid HTTP method");
                   }
               } else if (e.key == "status") {
                   parse_status(r, e, key, o);
               } else if (e.key == "body") {
                   if (r.scalar(e.value, key, o.body_pattern)) {
                       try {
                           o.body.emplace(o.body_pattern, std::regex::ECMAScript);
                       } catch (std::regex_error const& err) {
                           r.error(e.value, key, fmt::format("bad regex: {}", err.what()));
                       }
                   }
               } else if (e.key == "headers") {
                   parse_headers(r, e, key, o);
               } else if (e.key == "request_body") {
                   r.scalar(e.value, key, o.request_body);
               } else {
                   r.integer(e.value, key, o.follow_redirects, 0, max_redirects);
               }
           });
}

}  // namespace

bool HttpOptions::status_ok(int code) const {
    if (status.empty()) {
        return code >= 200 && code <= 299;
    }
    return std::any_of(status.begin(), status.end(), [code](auto const& range) {
        return code >= range.first && code <= range.second;
    });
}

std::shared_ptr<HttpOptions const> parse_http_options(OptionBag const& bag, Diagnostics& out) {
    Reader r(bag, out);
    auto o = std::make_shared<HttpOptions>();
    bool has_url = false;
    Option const* tls = nullptr;
    for (auto const& e : bag.entries) {
        if (e.key == "url") {
            std::string text;
            std::string why;
            if (r.scalar(e.value, "url", text)) {
                if (auto url = parse_http_url(text, why)) {
                    o->url = std::move(*url);
                    has_url = true;
                } else {
                    r.error(e.value, "url", why);
                }
            }
        } else if (e.key == "http") {
            parse_http(r, e, *o);
        } else if (e.key == "tls") {
            tls = &e;
        } else {
            r.error(e, "unknown key (known: url, http, tls)");
        }
    }
    if (bag.find("url") == nullptr) {
        out.push_back(
            config::Diagnostic{.file = bag.file,
                               .line = bag.entries.empty() ? 0 : bag.entries.front().line,
                               .message = fmt::format("{}: kind http needs url", bag.path),
                               .column = bag.entries.empty() ? 0 : bag.entries.front().column});
    }
    // The TLS client's options and context, also for an http:// URL (a redirect may go to
    // https); contexts are shared by targets with equal settings.
    o->tls_options = parse_tls_options(bag, tls, out);
    if (r.failed() || !has_url || !o->tls_options) {
        return nullptr;
    }
    return o;
}

}  // namespace portwatch::probe
