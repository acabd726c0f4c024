// Times the pure renderers on large hand-made snapshots: /metrics (both formats, default
// settings and with per-target histograms; size, series per target, gzip) and one page of
// /api/v1/targets. Built with -DPORTWATCH_BUILD_BENCH=ON; run by bench/http/run.sh.
#include <chrono>
#include <cstdio>
#include <string>

#include "http/api.hpp"
#include "http/fixtures.hpp"
#include "http/metrics.hpp"

namespace pw = portwatch;

template <class F>
double best_ms(int runs, F f) {
    double best = 1e18;
    for (int i = 0; i < runs; ++i) {
        auto const t0 = std::chrono::steady_clock::now();
        f();
        auto const ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        best = std::min(best, ms);
    }
    return best;
}

int main() {
    for (std::size_t n : {10'000u, 50'000u, 100'000u}) {
        auto const snap = pw::test::make_large_snapshot(n);
        std::size_t bytes = 0;
        std::size_t lines = 0;
        std::string text;
        double const prom = best_ms(5, [&] {
            text = pw::http::render_metrics(snap, pw::http::MetricsFormat::prometheus,
                                            {.process = pw::http::read_process_stats()});
            bytes = text.size();
        });
        for (std::size_t pos = 0; (pos = text.find("{target=\"", pos)) != std::string::npos; ++pos)
            ++lines;
        std::size_t zipped = 0;
        double const gz = best_ms(3, [&] { zipped = pw::http::gzip(text).size(); });
        std::size_t hist_bytes = 0;
        double const hist = best_ms(3, [&] {
            hist_bytes = pw::http::render_metrics(snap, pw::http::MetricsFormat::prometheus,
                                                  {.per_target_histograms = true})
                             .size();
        });
        double const om = best_ms(
            5, [&] { (void)pw::http::render_metrics(snap, pw::http::MetricsFormat::openmetrics); });
        pw::http::TargetQuery const q{.limit = 100};
        double const api = best_ms(20, [&] {
            auto const page = pw::http::select_targets(snap, q);
            (void)pw::http::render_targets(snap, q, page, {});
        });
        std::printf(
            "targets=%zu metrics_prometheus_ms=%.1f metrics_openmetrics_ms=%.1f "
            "metrics_bytes=%zu bytes_per_target=%.0f series_per_target=%.2f gzip_ms=%.1f "
            "gzip_bytes=%zu gzip_ratio=%.1f per_target_histograms_ms=%.1f "
            "per_target_histograms_bytes=%zu api_page100_ms=%.2f\n",
            n, prom, om, bytes, static_cast<double>(bytes) / static_cast<double>(n),
            static_cast<double>(lines) / static_cast<double>(n), gz, zipped,
            static_cast<double>(bytes) / static_cast<double>(zipped), hist, hist_bytes, api);
    }
}
