// The daemon in-process, built from fakes through DaemonParts: a wall clock ten years ahead,
// a store that counts its commits around the real one, a recording notifier and the
// registry's probe kinds. What it announces and stores must come from those parts.
#include "driver/daemon.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "probe/registry.hpp"
#include "store/registry.hpp"
#include "support/listener.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::driver {
namespace {

using namespace std::chrono_literals;

constexpr auto ahead = std::chrono::hours(24 * 3650);

/// Delivers by remembering: every notification, with the name it was made under.
struct Recorder {
    std::mutex mutex;
    std::vector<notify::Notification> seen;
    std::vector<std::string> made;

    std::size_t count() {
        std::lock_guard lock(mutex);
        return seen.size();
    }
};

class RecordingNotifier final : public notify::Notifier {
  public:
    RecordingNotifier(boost::asio::io_context& io, std::string name, Recorder& r)
        : io_(io), name_(std::move(name)), recorder_(r) {}
    std::string const& name() const override { return name_; }
    void deliver(notify::Notification const& n, std::chrono::milliseconds,
                 Completion done) override {
        {
            std::lock_guard lock(recorder_.mutex);
            recorder_.seen.push_back(n);
        }
        boost::asio::post(io_, [done = std::move(done)] { done(notify::DeliveryResult{}); });
    }

  private:
    boost::asio::io_context& io_;
    std::string name_;
    Recorder& recorder_;
};

/// The real store, with its commits counted.
class CountingStore final : public store::Store {
  public:
    CountingStore(std::unique_ptr<store::Store> inner, std::atomic<int>& commits)
        : inner_(std::move(inner)), commits_(commits) {}
    util::Result<store::Loaded> load() override { return inner_->load(); }
    util::Result<void> commit(store::Batch const& batch) override {
        ++commits_;
        return inner_->commit(batch);
    }
    util::Result<std::vector<store::OutboxEntry>> claim(std::string const& owner, std::size_t limit,
                                                        std::chrono::milliseconds lease,
                                                        util::TimePoint now) override {
        return inner_->claim(owner, limit, lease, now);
    }
    util::Result<void> prune(util::TimePoint before) override { return inner_->prune(before); }
    store::HistoryReader* history() override { return inner_->history(); }
    util::Result<void> lock(std::chrono::milliseconds wait) override { return inner_->lock(wait); }
    std::string describe() const override { return "counting " + inner_->describe(); }

  private:
    std::unique_ptr<store::Store> inner_;
    std::atomic<int>& commits_;
};

template <typename Pred>
bool wait_for(Pred pred, std::chrono::milliseconds limit) {
    auto const end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    return pred();
}

TEST(DaemonInProcess, RunsOnTheClockStoreAndNotifiersItIsGiven) {
    test::TempDir dir;
    test::ClosedPort closed;
    ASSERT_TRUE(closed.ok());
    dir.write("portwatch.yaml",
              fmt::format("defaults:\n  interval: 200ms\n  timeout: 500ms\n"
                          "store: sqlite:{}\n"
                          "notifiers:\n  - {{name: rec, type: exec, command: [\"true\"]}}\n"
                          "targets:\n  - {{name: gone, host: 127.0.0.1, port: {}}}\n",
                          (dir / "pw.db").string(), closed.port()));
    Recorder recorder;
    std::atomic<int> commits{0};
    std::vector<std::string> urls;
    DaemonParts parts{
        .clock = [] { return util::Clock::now() + ahead; },
        .open_store = [&](std::string const& url, store::OpenOptions const& o)
            -> util::Result<std::unique_ptr<store::Store>> {
            urls.push_back(url);
            auto inner = store::open_store(url, o);
            if (!inner) {
                return inner.error();
            }
            return std::unique_ptr<store::Store>(
                std::make_unique<CountingStore>(std::move(*inner), commits));
        },
        .kinds = probe::kinds(),
        .make_notifier =
            [&](boost::asio::io_context& io, config::NotifierSpec const& spec,
                notify::NotifierContext const&) {
                recorder.made.push_back(spec.name);
                return std::make_unique<RecordingNotifier>(io, spec.name, recorder);
            },
    };
    Daemon daemon(RunOptions{.config = dir / "portwatch.yaml"}, std::move(parts));
    int rc = -1;
    std::thread runner([&] { rc = daemon.run(); });
    bool const announced = wait_for([&] { return recorder.count() >= 1; }, 20s);
    daemon.request_stop();
    runner.join();

    ASSERT_TRUE(announced) << "no notification reached the recording notifier";
    EXPECT_EQ(rc, exit_ok);
    ASSERT_EQ(recorder.made, std::vector<std::string>{"rec"});  // the factory made it, not exec
    ASSERT_EQ(urls.size(), 1u);
    EXPECT_EQ(urls[0], "sqlite:" + (dir / "pw.db").string());
    EXPECT_GT(commits.load(), 0);  // the daemon wrote through the store it was given
    std::lock_guard lock(recorder.mutex);
    auto const& first = recorder.seen.front();
    EXPECT_EQ(first.event.kind, eval::EventKind::down);
    // The event's time is the given clock's: ten years ahead of the real one.
    EXPECT_GT(first.event.time, util::Clock::now() + ahead - std::chrono::hours(1));
    EXPECT_NE(first.message.find("장애"), std::string::npos) << first.message;
}

}  // namespace
}  // namespace portwatch::driver
