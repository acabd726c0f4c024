#include "driver/store_writer.hpp"

#include "util/atomic_file.hpp"
#include "util/log.hpp"

namespace portwatch::driver {

namespace log = util::log;
using namespace std::chrono_literals;

StoreWriter::StoreWriter(store::SqliteStore& store) : store_(store), thread_([this] { loop(); }) {}

void StoreWriter::submit(store::Batch batch, Done done) {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{std::move(batch), std::move(done), {}});
    cv_.notify_one();
}

void StoreWriter::prune(util::TimePoint before) {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{{}, {}, before});
    cv_.notify_one();
}

void StoreWriter::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
        cv_.notify_one();
    }
    thread_.join();
}

void StoreWriter::loop() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;
            }
            job = std::move(queue_.front());
            queue_.pop_front();
        }
        if (job.prune_before) {
            if (auto r = store_.prune(*job.prune_before); !r) {
                log::warn("cannot prune history: {}", r.error().message);
            }
            continue;
        }
        bool ok = false;
        for (int attempt = 0;; ++attempt) {
            auto r = store_.apply(job.batch);
            if (r) {
                ok = true;
                break;
            }
            healthy_ = false;
            log::error("cannot write {}: {} (retrying)", store_.describe(), r.error().message);
            bool stopping = false;
            {
                std::unique_lock lock(mutex_);
                cv_.wait_for(lock, 1s, [this] { return stopping_; });
                stopping = stopping_;
            }
            if (stopping && attempt >= 3) {
                break;
            }
        }
        healthy_ = ok;
        if (ok && !job.batch.outbox_put.empty()) {
            util::fault_point("daemon-after-commit");  // tests: kill -9 before any send
        }
        if (job.done) {
            job.done(ok);
        }
    }
}

}  // namespace portwatch::driver
