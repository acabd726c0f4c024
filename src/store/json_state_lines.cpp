// The state file read line by line (see read_state_lines in json_state_reader.hpp): the
// layout JsonStore::serialize writes is recognised one line at a time, and anything off it
// hands the file to the whole-text readers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "store/json_state_reader.hpp"
#include "util/utf8.hpp"

namespace portwatch::store::detail {

namespace {

using Targets = std::vector<std::pair<std::string, eval::TargetState>>;

/// The keys of the state being built, as indexes into its targets: each key is stored once.
struct KeyHash {
    using is_transparent = void;
    Targets const* targets;
    std::size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
    std::size_t operator()(std::size_t i) const { return (*this)((*targets)[i].first); }
};
struct KeyEq {
    using is_transparent = void;
    Targets const* targets;
    std::string_view key(std::size_t i) const { return (*targets)[i].first; }
    bool operator()(std::size_t a, std::size_t b) const { return key(a) == key(b); }
    bool operator()(std::string_view a, std::size_t b) const { return a == key(b); }
    bool operator()(std::size_t a, std::string_view b) const { return key(a) == b; }
};

/// What a target's _portwatch entry said its status was.
enum class Said : std::uint8_t { nothing, up, down, other };

constexpr std::string_view top_indent = "    ";
constexpr std::string_view entry_indent = "            ";

/// A JSON string at the start of `s` whose text needs no unescaping: its bytes, with `s`
/// advanced past the closing quote; nullopt for an escape, a control character or bytes that
/// are not UTF-8 (the whole-text readers decide what those mean).
std::optional<std::string_view> plain_string(std::string_view& s) {
    if (s.empty() || s.front() != '"') {
        return std::nullopt;
    }
    std::size_t i = 1;
    while (i < s.size() && s[i] != '"') {
        auto const c = static_cast<unsigned char>(s[i]);
        if (c == '\\' || c < 0x20) {
            return std::nullopt;
        }
        ++i;
    }
    if (i == s.size()) {
        return std::nullopt;
    }
    std::string_view const text = s.substr(1, i - 1);
    if (!util::is_valid_utf8(text)) {
        return std::nullopt;
    }
    s.remove_prefix(i + 1);
    return text;
}

/// Removes a trailing comma from `s`; true when there was one.
bool strip_comma(std::string_view& s) {
    if (!s.empty() && s.back() == ',') {
        s.remove_suffix(1);
        return true;
    }
    return false;
}

bool take(std::string_view& s, std::string_view prefix) {
    if (s.substr(0, prefix.size()) != prefix) {
        return false;
    }
    s.remove_prefix(prefix.size());
    return true;
}

class LineReader {
  public:
    LineReader(std::size_t expected, std::function<bool(std::string_view)> const& keep)
        : keep_(keep), index_(16, KeyHash{&targets_}, KeyEq{&targets_}) {
        targets_.reserve(expected);  // pages are touched only as targets arrive
        said_.reserve(expected);
    }

    /// One line, without its newline; false: not the layout.
    bool line(std::string_view l) {
        switch (at_) {
            case At::start:
                if (l == "{}") {
                    at_ = At::done;
                    return true;
                }
                at_ = At::top;
                return l == "{";
            case At::top:
                return top_line(l);
            case At::version:
                at_ = At::targets;
                return take(l, "        \"version\": ") && strip_comma(l) && !l.empty() &&
                       l.find_first_not_of("0123456789") == std::string_view::npos;
            case At::targets:
                if (l == "        \"targets\": {},") {
                    at_ = At::outbox;
                    return true;
                }
                at_ = At::entries;
                members_ = 0;
                comma_ = false;
                return l == "        \"targets\": {";
            case At::entries:
                if (l == "        },") {
                    at_ = At::outbox;
                    return members_ > 0 && !comma_;
                }
                return entry_line(l);
            case At::outbox:
                at_ = At::section_end;
                return l == "        \"outbox\": []";
            case At::section_end:
                at_ = At::last;
                return l == "    }";
            case At::last:
                at_ = At::done;
                return l == "}";
            case At::done:
                return false;
        }
        return false;
    }

    /// The state, once the last line was read; nullopt when the file ended early.
    std::optional<Loaded> finish() {
        if (at_ != At::done) {
            return std::nullopt;
        }
        // As the whole-text readers assemble it: the top level gives the status; an entry
        // that disagrees with it (the original script rewrote the top level) keeps only its
        // times and reason.
        Loaded out;
        for (std::size_t i = 0; i < targets_.size(); ++i) {
            auto& s = targets_[i].second;
            auto const status = s.status;
            Said const said = said_[i];
            if (said == Said::nothing || !section_) {
                s = eval::TargetState{};
                s.status = status;
            } else if (said != (status == eval::Status::up ? Said::up : Said::down)) {
                s.consecutive_failures = status == eval::Status::down ? 1 : 0;
                s.consecutive_successes = status == eval::Status::up ? 1 : 0;
                s.recent_failures = 0;
                s.last_alert = {};
                s.cert_warned = 0;
                s.cert_warned_at = {};
            }
        }
        out.state.targets = std::move(targets_);
        out.left_out = left_out_;
        return out;
    }

  private:
    enum class At : std::uint8_t {
        start,
        top,
        version,
        targets,
        entries,
        outbox,
        section_end,
        last,
        done
    };

    bool top_line(std::string_view l) {
        if (l == "}") {
            at_ = At::done;
            return !comma_;
        }
        if (members_ > 0 && !comma_) {
            return false;
        }
        ++members_;
        if (l == "    \"_portwatch\": {") {
            section_ = true;
            at_ = At::version;
            return true;
        }
        if (!take(l, top_indent)) {
            return false;
        }
        auto const key = plain_string(l);
        if (!key || *key == "_portwatch") {
            return false;
        }
        comma_ = strip_comma(l);
        eval::Status status;
        if (l == ": \"UP\"") {
            status = eval::Status::up;
        } else if (l == ": \"DOWN\"") {
            status = eval::Status::down;
        } else {
            return false;
        }
        if (keep_ && !keep_(*key)) {
            ++left_out_;
            return true;  // not wanted: its entry will find no key and count for nothing
        }
        // A repeated key keeps its first place and takes the last value, as in a DOM.
        if (auto const it = index_.find(*key); it != index_.end()) {
            targets_[*it].second.status = status;
            return true;
        }
        targets_.emplace_back(std::string(*key), eval::TargetState{.status = status});
        said_.push_back(Said::nothing);
        index_.insert(targets_.size() - 1);
        return true;
    }

    bool entry_line(std::string_view l) {
        if (members_ > 0 && !comma_) {
            return false;
        }
        ++members_;
        if (!take(l, entry_indent)) {
            return false;
        }
        auto const key = plain_string(l);
        if (!key || !take(l, ": ")) {
            return false;
        }
        comma_ = strip_comma(l);
        // As the whole-text fast reader: a \u escape is the full reader's (the two libraries
        // differ on a lone surrogate).
        if (l.find("\\u") != std::string_view::npos) {
            return false;
        }
        EntryFields fields;
        if (!parse_entry(l, fields)) {
            return false;
        }
        std::size_t i = next_;
        if (i >= targets_.size() || targets_[i].first != *key) {
            auto const it = index_.find(*key);
            if (it == index_.end()) {
                return true;  // an entry for a key the top level lacks counts for nothing
            }
            i = *it;
        }
        next_ = i + 1;
        Extra extra = fields.to_extra();
        auto const status = targets_[i].second.status;
        targets_[i].second = std::move(extra.fields);
        targets_[i].second.status = status;
        said_[i] = extra.status == "UP"     ? Said::up
                   : extra.status == "DOWN" ? Said::down
                                            : Said::other;
        return true;
    }

    /// One entry's object: scalars only (anything nested is off the common shape).
    bool parse_entry(std::string_view text, EntryFields& fields) {
        if (text.empty() || text.front() != '{') {
            return false;
        }
        padded_.reserve(text.size() + simdjson::SIMDJSON_PADDING);
        padded_.assign(text);
        simdjson::dom::element root;
        simdjson::dom::object object;
        if (parser_.parse(padded_.data(), padded_.size(), false).get(root) != simdjson::SUCCESS ||
            root.get_object().get(object) != simdjson::SUCCESS) {
            return false;
        }
        using Type = simdjson::dom::element_type;
        for (auto const [name, v] : object) {
            switch (v.type()) {
                case Type::STRING: {
                    std::string value{v.get_string().value_unsafe()};
                    fields.set(name, std::nullopt, &value);
                    break;
                }
                case Type::INT64:
                    fields.set(name, static_cast<double>(v.get_int64().value_unsafe()), nullptr);
                    break;
                case Type::UINT64:
                    fields.set(name, static_cast<double>(v.get_uint64().value_unsafe()), nullptr);
                    break;
                case Type::DOUBLE:
                    fields.set(name, v.get_double().value_unsafe(), nullptr);
                    break;
                case Type::BOOL:
                case Type::NULL_VALUE:
                    fields.set(name, std::nullopt, nullptr);
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    std::function<bool(std::string_view)> const& keep_;
    At at_ = At::start;
    std::size_t members_ = 0;  ///< of the object being read (top level, or targets)
    bool comma_ = false;       ///< the last member's line ended with a comma
    bool section_ = false;     ///< a _portwatch object was read
    std::size_t next_ = 0;
    std::size_t left_out_ = 0;     ///< the target after the last entry's: the likely next key
    Targets targets_;
    std::vector<Said> said_;
    std::unordered_set<std::size_t, KeyHash, KeyEq> index_;
    simdjson::dom::parser parser_;
    std::string padded_;
};

}  // namespace

std::optional<Loaded> read_state_lines(std::filesystem::path const& path,
                                       std::function<bool(std::string_view)> const& keep) {
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return std::nullopt;
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } const closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    // A target takes a line of at least 20 bytes, so this bounds the count.
    LineReader reader(static_cast<std::size_t>(st.st_size) / 20 + 16, keep);
    constexpr std::size_t block = 1 << 20;
    std::vector<char> buf(block);
    std::string carry;  // a line split between two reads
    for (;;) {
        ssize_t const n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            break;
        }
        std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
        for (;;) {
            auto const nl = chunk.find('\n');
            if (nl == std::string_view::npos) {
                carry.append(chunk);
                break;
            }
            bool ok = false;
            if (carry.empty()) {
                ok = reader.line(chunk.substr(0, nl));
            } else {
                carry.append(chunk.substr(0, nl));
                ok = reader.line(carry);
                carry.clear();
            }
            if (!ok) {
                return std::nullopt;
            }
            chunk.remove_prefix(nl + 1);
        }
        if (carry.size() > block) {
            return std::nullopt;  // no line of ours is that long
        }
    }
    if (!carry.empty() && !reader.line(carry)) {
        return std::nullopt;
    }
    return reader.finish();
}

}  // namespace portwatch::store::detail
