// The daemon's store: opened by URL through the store registry (which takes the one-instance
// lock), watched for being deleted or replaced while running, and written anew from memory
// when it was (issue 17 item 9).
#include <sys/stat.h>

#include "driver/daemon_impl.hpp"
#include "driver/delivery.hpp"
#include "store/registry.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace log = util::log;
using namespace std::chrono_literals;

namespace {

/// The inode of `path`, or 0 when it does not exist.
ino_t inode_of(std::filesystem::path const& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

int Daemon::Impl::open_store(std::string const& url) {
    auto opened = parts.open_store(url, store::OpenOptions{.lock_wait = 2s});
    if (!opened) {
        log::error("cannot open store: {}", opened.error().message);
        return opened.error().code == std::errc::timed_out ? exit_locked : exit_store_error;
    }
    db = std::move(*opened);
    stop_leftover_notifiers(url);
    if (auto parsed = store::parse_store_url(url)) {
        store_file = parsed->path;
        store_inode = inode_of(store_file);
    }
    return exit_ok;
}

void Daemon::Impl::check_store_file() {
    if (store_inode == 0 || inode_of(store_file) == store_inode) {
        return;
    }
    log::error(
        "{} was deleted or replaced while running: writing a new one from memory (target "
        "states and pending messages; the history before now is lost)",
        db->describe());
    recreate_store();
}

void Daemon::Impl::recreate_store() {
    // What is queued still goes to the old file; everything it held is rewritten below.
    writer->stop();
    auto opened = parts.open_store(config.store, store::OpenOptions{});  // our lock stands
    if (!opened) {
        log::error("cannot create {}: {}; retrying", config.store, opened.error().message);
        writer = std::make_unique<store::Writer>(*db);
        return;
    }
    retired_stores.push_back(std::move(db));
    db = std::move(*opened);
    store_inode = inode_of(store_file);
    writer = std::make_unique<store::Writer>(*db);

    store::Batch full;
    full.complete_states = true;
    for (auto const slot : table.view_order()) {
        if (table[slot].state) {
            full.states.emplace_back(table[slot].key, table[slot].saved);
        }
    }
    if (outbox) {  // none once shutting down (finish_shutdown checks the file before that)
        full.complete_outbox = true;
        full.outbox_put = outbox->entries();
    }
    writer->submit(std::move(full));
    publisher.mark_stale();
}

}  // namespace portwatch::driver
