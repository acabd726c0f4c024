#include "store/json_store.hpp"

#include <malloc.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <utility>

#include <fmt/format.h>

#include "store/instance_lock.hpp"
#include "store/json_state_reader.hpp"
#include "util/atomic_file.hpp"

namespace portwatch::store {

namespace fs = std::filesystem;

namespace {

std::string stamp_now() {
    std::time_t const t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    return buf;
}

}  // namespace

util::Result<std::unique_ptr<JsonStore>> JsonStore::open(fs::path path,
                                                         OpenOptions const& options) {
    auto store = std::make_unique<JsonStore>(std::move(path));
    store->keep_key_ = options.keep_key;
    if (options.lock_wait) {
        if (auto r = store->lock(*options.lock_wait); !r) {
            return r.error();
        }
    }
    return store;
}

util::Result<void> JsonStore::lock(std::chrono::milliseconds wait) {
    if (lock_) {
        return {};
    }
    auto l = lock_instance(path_, wait);
    if (!l) {
        return l.error();
    }
    lock_.emplace(std::move(*l));
    return {};
}

util::Result<Loaded> JsonStore::load() {
    // The layout portwatch writes is read line by line, without the file's text in memory.
    if (auto lines = detail::read_state_lines(path_, keep_key_)) {
        outbox_.emplace();
        return std::move(*lines);
    }
    // No size limit: whatever a run wrote, the next one reads back (a list of millions of
    // targets writes hundreds of MB); only memory bounds it.
    auto text = util::read_file(path_, no_read_limit);
    if (!text) {
        if (text.error().code == std::errc::no_such_file_or_directory) {
            outbox_.emplace();
            return Loaded{};
        }
        return text.error();  // permission denied, a directory: leave it for a human
    }
    auto parsed = parse_file(std::move(*text));
    // The parse freed a document as large as the file, in pieces between the state's own
    // allocations: give those pages back now rather than carry them through the run (26 MB
    // of 70 MB resident after loading 100,000 targets; bench/RESULTS.md).
    ::malloc_trim(0);
    if (parsed) {
        if (keep_key_) {
            parsed->left_out = std::erase_if(parsed->state.targets,
                          [this](auto const& t) { return !keep_key_(t.first); });
        }
        outbox_ = parsed->state.outbox;
        return parsed;
    }
    if (parsed.error().code) {
        return parsed.error();  // the second read failed: not a verdict on the content
    }
    // Corrupt: keep it aside for a human, start afresh, and say so loudly.
    fs::path const aside = path_.string() + ".corrupt-" + stamp_now();
    if (std::rename(path_.c_str(), aside.c_str()) != 0) {
        return util::errno_error(
            fmt::format("state file {} is unusable ({}) and cannot be moved "
                        "aside to {}",
                        path_.string(), parsed.error().message, aside.string()),
            errno);
    }
    outbox_.emplace();
    Loaded out;
    out.warnings.push_back(fmt::format(
        "state file {} was unusable ({}); moved it to {} and started from an empty state",
        path_.string(), parsed.error().message, aside.string()));
    return out;
}

util::Result<void> JsonStore::commit(State const& state) {
    if (auto r = util::write_file_atomically(path_, serialize(state)); !r) {
        return r;
    }
    outbox_ = state.outbox;
    claims_.keep_only(state.outbox);
    return {};
}

util::Result<void> JsonStore::commit(Batch const& batch) {
    auto loaded = load();
    if (!loaded) {
        return loaded.error();
    }
    State& state = loaded->state;
    apply_batch(state, batch);
    if (auto r = util::write_file_atomically(path_, serialize(state)); !r) {
        return r;
    }
    outbox_ = std::move(state.outbox);
    claims_.release(batch);
    return {};
}

util::Result<std::vector<OutboxEntry>> JsonStore::claim(std::string const& owner, std::size_t limit,
                                                        std::chrono::milliseconds lease,
                                                        util::TimePoint now) {
    if (!outbox_) {
        if (auto loaded = load(); !loaded) {
            return loaded.error();
        }
    }
    return claims_.claim(*outbox_, owner, limit, lease, now);
}

}  // namespace portwatch::store
