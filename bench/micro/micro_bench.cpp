// Micro-benchmarks of the pure pieces that scale with the list: list parsing, the JSON state
// (serialize and parse), message rendering. Build: -DPORTWATCH_BUILD_BENCH=ON, then run
// build/bench/micro/pw_micro_bench. The end-to-end benchmark is bench/run.sh.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "config/lst.hpp"
#include "notify/message.hpp"
#include "store/json_store.hpp"
#include "store/state_index.hpp"

namespace pw = portwatch;

namespace {

std::string host(int i) {
    return "127." + std::to_string(1 + i % 250) + "." + std::to_string((i / 250) % 256) + "." +
           std::to_string(1 + i / 64000);
}

std::string list_text(int n) {
    std::string text = "# generated\n";
    for (int i = 0; i < n; ++i) {
        text += host(i) + " " + std::to_string(20000 + i % 100) + " service number " +
                std::to_string(i) + "\n";
    }
    return text;
}

pw::store::State state(int n) {
    pw::store::State s;
    s.targets.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        pw::eval::TargetState t;
        t.status = i % 5 == 0 ? pw::eval::Status::down : pw::eval::Status::up;
        t.reason = i % 5 == 0 ? "refused" : "";
        t.since = pw::util::Clock::now();
        t.last_check = t.since;
        t.consecutive_failures = i % 5 == 0 ? 1 : 0;
        t.consecutive_successes = i % 5 == 0 ? 0 : 1;
        s.targets.emplace_back(host(i) + ":" + std::to_string(20000 + i % 100), t);
    }
    return s;
}

void BM_ParseList(benchmark::State& st) {
    std::string const text = list_text(static_cast<int>(st.range(0)));
    for (auto _ : st) {
        auto list = pw::config::parse_list(text, "bench.lst");
        benchmark::DoNotOptimize(list);
    }
    st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_ParseList)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_StateSerialize(benchmark::State& st) {
    auto const s = state(static_cast<int>(st.range(0)));
    for (auto _ : st) {
        auto text = pw::store::JsonStore::serialize(s);
        benchmark::DoNotOptimize(text);
    }
    st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_StateSerialize)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// `parse` (the fast reader for the common file) against `parse_full` (the DOM callback reader
// it falls back to), in the same run.
template <typename Parse>
void BM_StateParse(benchmark::State& st, Parse parse) {
    std::string const text = pw::store::JsonStore::serialize(state(static_cast<int>(st.range(0))));
    for (auto _ : st) {
        auto loaded = parse(text);
        benchmark::DoNotOptimize(loaded);
    }
    st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK_CAPTURE(BM_StateParse, fast, &pw::store::JsonStore::parse)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StateParse, full, &pw::store::JsonStore::parse_full)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

// The evaluation's lookup of each listed target in the previous state: store::StateIndex
// against the hinted scan it replaced (kept here as the baseline), in the same run. Orders:
// 0 = the state's own order (the steady cron run), 1 = shuffled, 2 = keys the state does not
// hold (a list of new targets: a full scan per key for the baseline).
pw::eval::TargetState const* scan_find(pw::store::State const& s, std::string const& key) {
    static std::size_t hint = 0;
    std::size_t const n = s.targets.size();
    for (std::size_t step = 0, i = hint < n ? hint : 0; step < n;
         ++step, i = i + 1 < n ? i + 1 : 0) {
        if (s.targets[i].first == key) {
            hint = i + 1;
            return &s.targets[i].second;
        }
    }
    return nullptr;
}

std::vector<std::string> lookup_keys(pw::store::State const& s, int order) {
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < s.targets.size(); ++i) {
        keys.push_back(order == 2 ? "192.0.2." + std::to_string(i) + ":1" : s.targets[i].first);
    }
    if (order == 1) {
        std::shuffle(keys.begin(), keys.end(), std::mt19937(1));
    }
    return keys;
}

template <bool Indexed>
void BM_StateLookup(benchmark::State& st) {
    auto const s = state(static_cast<int>(st.range(0)));
    auto const keys = lookup_keys(s, static_cast<int>(st.range(1)));
    for (auto _ : st) {
        if constexpr (Indexed) {
            pw::store::StateIndex index(s);
            for (auto const& k : keys) {
                benchmark::DoNotOptimize(index.find(k));
            }
        } else {
            for (auto const& k : keys) {
                benchmark::DoNotOptimize(scan_find(s, k));
            }
        }
    }
    st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK_TEMPLATE(BM_StateLookup, true)
    ->ArgsProduct({{10000, 100000}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_StateLookup, false)
    ->ArgsProduct({{10000}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond);

void BM_RenderMessage(benchmark::State& st) {
    pw::eval::Event ev{.id = "id",
                       .kind = pw::eval::EventKind::down,
                       .key = "127.0.0.1:22",
                       .host = "127.0.0.1",
                       .port = 22,
                       .description = "ssh on the build box",
                       .reason = "refused",
                       .detail = "connect to 127.0.0.1:22: Connection refused",
                       .time = pw::util::Clock::now()};
    for (auto _ : st) {
        auto m = pw::notify::render_message(ev);
        benchmark::DoNotOptimize(m);
    }
}
BENCHMARK(BM_RenderMessage);

}  // namespace

BENCHMARK_MAIN();
