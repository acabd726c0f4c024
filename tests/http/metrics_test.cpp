#include "http/metrics.hpp"

#include <zlib.h>

#include <gtest/gtest.h>

#include <fstream>

#include "http/fixtures.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace portwatch::http {
namespace {

using test::make_snapshot;

bool contains(std::string const& text, std::string const& line) {
    return text.find(line) != std::string::npos;
}

/// Runs `promtool check metrics` on the text; returns its output, empty when it passed.
std::string promtool_problems(std::string const& text) {
    test::TempDir dir;
    auto const file = dir.write("metrics.txt", text);
    auto const r =
        test::run_process({"sh", "-c", "promtool check metrics < \"$0\"", file.string()});
    if (r.exit_code == 0 && r.out.empty() && r.err.empty())
        return "";
    return "exit " + std::to_string(r.exit_code) + ": " + r.out + r.err;
}

TEST(MetricsTest, UpIsOneZeroOrNaN) {
    auto const out = render_metrics(make_snapshot(), MetricsFormat::prometheus);
    EXPECT_TRUE(contains(out,
                         "portwatch_target_up{target=\"web\",host=\"127.0.0.1\",port=\"8080\","
                         "group=\"prod\",team=\"blue\"} 1\n"))
        << out;
    EXPECT_TRUE(contains(out,
                         "portwatch_target_up{target=\"db\",host=\"127.0.0.1\",port=\"5432\","
                         "group=\"prod\"} 0\n"));
    EXPECT_TRUE(contains(out,
                         "portwatch_target_up{target=\"new\",host=\"::1\",port=\"22\","
                         "group=\"staging\"} NaN\n"));
    // Never checked: latency unknown, no age.
    EXPECT_TRUE(contains(out,
                         "portwatch_target_latency_seconds{target=\"new\",host=\"::1\","
                         "port=\"22\",group=\"staging\"} NaN\n"));
    EXPECT_FALSE(contains(out, "portwatch_target_since_seconds{target=\"new\""));
}

/// make_snapshot() with the last check's facts: web answered HTTPS, db's last check passed
/// (though it is still DOWN: thresholds), "new" was never checked.
Snapshot snapshot_with_facts() {
    auto snap = make_snapshot();
    auto& web = snap.targets[0];
    web.probe_success = true;
    web.cert_not_after = 1'752'580'800;  // 2025-07-15T12:00:00Z, 30 days after http_now
    web.tls_version = "TLSv1.3";
    web.http_status = 200;
    web.connect_time = std::chrono::microseconds(1000);
    web.tls_time = std::chrono::microseconds(2500);
    web.first_byte_time = std::chrono::microseconds(4000);
    snap.targets[1].probe_success = true;
    return snap;
}

TEST(MetricsTest, ProbeSuccessIsTheRawCheckAndUpTheThresholdedState) {
    auto const out = render_metrics(snapshot_with_facts(), MetricsFormat::prometheus);
    std::string const db = R"(target="db",host="127.0.0.1",port="5432",group="prod")";
    EXPECT_TRUE(contains(out, "# HELP portwatch_target_up State of the target after thresholds"))
        << out;
    EXPECT_TRUE(contains(out, "# TYPE portwatch_probe_success gauge\n"));
    EXPECT_TRUE(contains(out, "portwatch_target_up{" + db + "} 0\n"));
    EXPECT_TRUE(contains(out, "portwatch_probe_success{" + db + "} 1\n"));
    EXPECT_FALSE(contains(out, "portwatch_probe_success{target=\"new\""));
    EXPECT_EQ(promtool_problems(out), "");
}

TEST(MetricsTest, FactsOfTheLastCheckOnlyWhenPresent) {
    auto const out = render_metrics(snapshot_with_facts(), MetricsFormat::prometheus);
    std::string const web = R"(target="web",host="127.0.0.1",port="8080",group="prod",team="blue")";
    EXPECT_TRUE(contains(out, "portwatch_cert_not_after_seconds{" + web + "} 1752580800\n")) << out;
    EXPECT_TRUE(contains(out, "portwatch_tls_version_info{" + web + ",version=\"TLSv1.3\"} 1\n"));
    EXPECT_TRUE(contains(out, "portwatch_http_status_code{" + web + "} 200\n"));
    EXPECT_TRUE(
        contains(out, "portwatch_probe_phase_seconds{" + web + ",phase=\"connect\"} 0.001\n"));
    EXPECT_TRUE(contains(out, "portwatch_probe_phase_seconds{" + web + ",phase=\"tls\"} 0.0025\n"));
    EXPECT_TRUE(
        contains(out, "portwatch_probe_phase_seconds{" + web + ",phase=\"first_byte\"} 0.004\n"));
    // Never a 0 for "no certificate": db and new have no sample at all.
    for (auto const* name :
         {"portwatch_cert_not_after_seconds{target=\"db\"",
          "portwatch_tls_version_info{target=\"db\"", "portwatch_http_status_code{target=\"db\"",
          "portwatch_probe_phase_seconds{target=\"db\"",
          "portwatch_cert_not_after_seconds{target=\"new\""})
        EXPECT_FALSE(contains(out, name)) << name;
    EXPECT_EQ(promtool_problems(out), "");
    auto const om = render_metrics(snapshot_with_facts(), MetricsFormat::openmetrics);
    EXPECT_TRUE(contains(om, "portwatch_probe_success{" + web + "} 1\n"));
}

TEST(MetricsTest, CountersGaugesAndProcess) {
    auto const out = render_metrics(make_snapshot(), MetricsFormat::prometheus);
    std::string const db = R"(target="db",host="127.0.0.1",port="5432",group="prod")";
    EXPECT_TRUE(contains(out, "# TYPE portwatch_checks_total counter\n"));
    EXPECT_TRUE(contains(out, "portwatch_checks_total{" + db + "} 50\n"));
    EXPECT_TRUE(contains(out, "portwatch_check_failures_total{" + db + ",reason=\"refused\"} 3\n"));
    EXPECT_TRUE(contains(out, "portwatch_check_failures_total{" + db + ",reason=\"timeout\"} 1\n"));
    EXPECT_TRUE(contains(out, "portwatch_state_changes_total{" + db + "} 2\n"));
    EXPECT_TRUE(contains(out, "portwatch_target_since_seconds{" + db + "} 60\n"));
    EXPECT_TRUE(contains(out, "portwatch_target_latency_seconds{" + db + "} 0.0002\n"));
    EXPECT_TRUE(
        contains(out, "portwatch_target_last_change_timestamp_seconds{" + db + "} 1749988740\n"));
    EXPECT_TRUE(contains(out, "portwatch_outbox_size 2\n"));
    EXPECT_TRUE(contains(out, "portwatch_notifications_total{result=\"sent\"} 7\n"));
    EXPECT_TRUE(contains(out, "portwatch_notifications_total{result=\"failed\"} 1\n"));
    EXPECT_TRUE(contains(out, "portwatch_build_info{version=\"0.1.0\"} 1\n"));
    EXPECT_TRUE(contains(out, "portwatch_targets{state=\"down\"} 1\n"));
    EXPECT_TRUE(contains(out, "portwatch_scheduler_lateness_seconds_bucket{le=\"0.0005\"} 5\n"));
    EXPECT_TRUE(contains(out, "portwatch_scheduler_lateness_seconds_count 10\n"));
    EXPECT_FALSE(contains(out, "# EOF"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInf) {
    auto const out =
        render_metrics(make_snapshot(), MetricsFormat::prometheus, {.per_target_histograms = true});
    std::string const web = R"(target="web",host="127.0.0.1",port="8080",group="prod",team="blue")";
    std::string const expected =
        "portwatch_probe_duration_seconds_bucket{" + web + ",le=\"0.0005\"} 0\n" +
        "portwatch_probe_duration_seconds_bucket{" + web + ",le=\"0.001\"} 0\n" +
        "portwatch_probe_duration_seconds_bucket{" + web + ",le=\"0.0025\"} 10\n" +
        "portwatch_probe_duration_seconds_bucket{" + web + ",le=\"0.005\"} 100\n" +
        "portwatch_probe_duration_seconds_bucket{" + web + ",le=\"0.01\"} 120\n";
    EXPECT_TRUE(contains(out, expected)) << out;
    EXPECT_TRUE(
        contains(out, "portwatch_probe_duration_seconds_bucket{" + web + ",le=\"1.0\"} 120\n"));
    EXPECT_TRUE(contains(out, "portwatch_probe_duration_seconds_bucket{" + web +
                                  ",le=\"+Inf\"} 120\n"
                                  "portwatch_probe_duration_seconds_sum{" +
                                  web +
                                  "} 0.5\n"
                                  "portwatch_probe_duration_seconds_count{" +
                                  web + "} 120\n"));
}

struct EscapeCase {
    char const* name;
    std::string value;
    std::string escaped;
};

class LabelEscapeTest : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(LabelEscapeTest, Escapes) {
    std::string out;
    append_escaped_label_value(out, GetParam().value);
    EXPECT_EQ(out, GetParam().escaped);
}

INSTANTIATE_TEST_SUITE_P(Values, LabelEscapeTest,
                         ::testing::Values(EscapeCase{"plain", "web-1", "web-1"},
                                           EscapeCase{"quote", R"(say "hi")", R"(say \"hi\")"},
                                           EscapeCase{"backslash", R"(C:\dir)", R"(C:\\dir)"},
                                           EscapeCase{"newline", "a\nb", R"(a\nb)"},
                                           EscapeCase{"all", "\\\"\n", R"(\\\"\n)"},
                                           EscapeCase{"utf8", "서버 ✓", "서버 ✓"},
                                           EscapeCase{"invalid_utf8",
                                                      "a\xff"
                                                      "b\xc3",
                                                      "a\xef\xbf\xbd"
                                                      "b\xef\xbf\xbd"},
                                           EscapeCase{"tab_kept", "a\tb", "a\tb"}),
                         [](auto const& info) { return std::string(info.param.name); });

struct NameCase {
    char const* name;
    std::string in;
    std::string out;
};

class LabelNameTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(LabelNameTest, Sanitises) {
    EXPECT_EQ(sanitize_label_name(GetParam().in), GetParam().out);
}

INSTANTIATE_TEST_SUITE_P(
    Values, LabelNameTest,
    ::testing::Values(NameCase{"valid", "team_1", "team_1"},
                      NameCase{"dash_dot", "app.kubernetes-io", "app_kubernetes_io"},
                      NameCase{"leading_digit", "1st", "_1st"}, NameCase{"empty", "", "_"},
                      NameCase{"utf8", "팀", "___"}),
    [](auto const& info) { return std::string(info.param.name); });

TEST(MetricsTest, UserLabelsDoNotClashWithFixedOnes) {
    http::Snapshot s = make_snapshot();
    s.targets.resize(1);
    s.targets[0].labels = {{"group", "x"},   {"le", "y"},    {"__name__", "z"},
                           {"a-b", "first"}, {"a_b", "2nd"}, {"quote", "say \"hi\"\n"},
                           {"instance", "i"}};
    auto const out = render_metrics(s, MetricsFormat::prometheus);
    EXPECT_TRUE(contains(out,
                         "portwatch_target_up{target=\"web\",host=\"127.0.0.1\",port=\"8080\","
                         "group=\"prod\",label___name__=\"z\",a_b=\"first\","
                         "label_group=\"x\",label_instance=\"i\",label_le=\"y\","
                         "quote=\"say \\\"hi\\\"\\n\"} 1\n"))
        << out;
    EXPECT_EQ(promtool_problems(out), "");
}

TEST(MetricsTest, OpenMetricsDropsTotalFromCounterFamiliesAndEnds) {
    auto const out = render_metrics(make_snapshot(), MetricsFormat::openmetrics);
    EXPECT_TRUE(contains(out, "# TYPE portwatch_checks counter\n"));
    EXPECT_TRUE(contains(out, "# TYPE portwatch_notifications counter\n"));
    EXPECT_TRUE(contains(out, "portwatch_notifications_total{result=\"sent\"} 7\n"));
    EXPECT_TRUE(out.ends_with("# EOF\n"));
    EXPECT_EQ(negotiate_metrics_format("application/openmetrics-text;version=1.0.0,"
                                       "text/plain;version=0.0.4;q=0.5"),
              MetricsFormat::openmetrics);
    EXPECT_EQ(negotiate_metrics_format("*/*"), MetricsFormat::prometheus);
    EXPECT_EQ(negotiate_metrics_format(""), MetricsFormat::prometheus);
}

TEST(MetricsTest, PromtoolAcceptsTheOutput) {
    auto s = make_snapshot();
    s.targets[0].description = "has \"quotes\" and \\ and\nnewline";
    s.targets[0].name = "we\"b\\\n";
    s.targets[1].failures_by_reason["weird \"reason\""] = 1;
    EXPECT_EQ(promtool_problems(render_metrics(s, MetricsFormat::prometheus)), "");
    EXPECT_EQ(promtool_problems(render_metrics(http::Snapshot{}, MetricsFormat::prometheus)), "");
}

TEST(MetricsTest, FiftyThousandTargets) {
    // No timed assert here: bench/http measures the time. This checks shape and size.
    auto const s = test::make_large_snapshot(50'000);
    auto const out = render_metrics(s, MetricsFormat::prometheus);
    std::size_t ups = 0;
    for (std::size_t pos = 0; (pos = out.find("\nportwatch_target_up{", pos)) != std::string::npos;
         ++pos)
        ++ups;
    EXPECT_EQ(ups, 50'000u);
    EXPECT_TRUE(contains(out, "portwatch_targets{state=\"up\"} 40000\n"));
    // promtool takes ~15 s on the whole; a slice of the same shape is checked instead.
    EXPECT_EQ(promtool_problems(
                  render_metrics(test::make_large_snapshot(2'000), MetricsFormat::prometheus)),
              "");
}

/// Samples (not comments) whose labels name `target="NAME"`.
std::size_t series_of(std::string const& out, std::string const& name) {
    std::size_t n = 0;
    auto const label = "{target=\"" + name + "\",";
    for (std::size_t pos = 0; (pos = out.find(label, pos)) != std::string::npos; ++pos)
        ++n;
    return n;
}

TEST(MetricsTest, DefaultsKeepAtMostTenSeriesPerTargetAndOneHistogram) {
    auto const s = test::make_large_snapshot(1'000);
    auto const out = render_metrics(s, MetricsFormat::prometheus);
    // An up target and a down one (t00016: refused).
    EXPECT_LE(series_of(out, "t00000"), 10u);
    EXPECT_LE(series_of(out, "t00016"), 10u);
    EXPECT_GE(series_of(out, "t00016"), 8u);
    EXPECT_LE(out.size(), 1'000u * 1'500u);
    EXPECT_FALSE(contains(out, "portwatch_probe_duration_seconds_bucket{target="));
    // The process-wide histogram: every target's checks, buckets up to 60 s.
    EXPECT_TRUE(contains(out, "portwatch_probe_duration_seconds_bucket{le=\"0.005\"} 100000\n"));
    EXPECT_TRUE(contains(out, "portwatch_probe_duration_seconds_bucket{le=\"60.0\"} 100000\n"));
    EXPECT_TRUE(contains(out, "portwatch_probe_duration_seconds_count 100000\n"));
    auto const with = render_metrics(s, MetricsFormat::prometheus, {.per_target_histograms = true});
    EXPECT_EQ(series_of(with, "t00000"), series_of(out, "t00000") + 19);
    EXPECT_EQ(promtool_problems(out), "");
}

TEST(MetricsTest, FailureCounterPresentFromZero) {
    auto const out = render_metrics(make_snapshot(), MetricsFormat::prometheus);
    std::string const web = R"(target="web",host="127.0.0.1",port="8080",group="prod",team="blue")";
    std::string const db = R"(target="db",host="127.0.0.1",port="5432",group="prod")";
    EXPECT_TRUE(contains(out, "portwatch_checks_failed_total{" + web + "} 0\n")) << out;
    EXPECT_TRUE(contains(out, "portwatch_checks_failed_total{" + db + "} 4\n"));
}

TEST(MetricsTest, ProcessReloadAndCanaryMetrics) {
    auto s = make_snapshot();
    s.process.last_reload_successful = false;
    s.process.last_reload_success = test::http_now - std::chrono::seconds(60);
    s.process.canaries = 2;
    s.process.connectivity_up = false;
    auto const stats = read_process_stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_GT(stats->open_fds, 2);
    EXPECT_GT(stats->resident_bytes, 0);
    EXPECT_GT(stats->start_time_seconds, 1.7e9);
    auto const out = render_metrics(s, MetricsFormat::prometheus, {.process = stats});
    for (auto const* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                             "process_virtual_memory_bytes ", "process_open_fds ",
                             "process_max_fds ", "process_start_time_seconds "})
        EXPECT_TRUE(contains(out, std::string("\n") + name)) << name;
    EXPECT_TRUE(contains(out, "portwatch_config_last_reload_successful 0\n"));
    EXPECT_TRUE(
        contains(out, "portwatch_config_last_reload_success_timestamp_seconds 1749988740\n"));
    EXPECT_TRUE(contains(out, "portwatch_canaries 2\n"));
    EXPECT_TRUE(contains(out, "portwatch_connectivity_up 0\n"));
    EXPECT_FALSE(contains(render_metrics(s, MetricsFormat::prometheus), "process_open_fds"));
    EXPECT_EQ(promtool_problems(out), "");
}

std::string gunzip(std::string const& in) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    std::string out;
    char buf[65536];
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(buf, sizeof buf - z.avail_out);
    }
    inflateEnd(&z);
    EXPECT_EQ(rc, Z_STREAM_END);
    return out;
}

TEST(MetricsTest, GzipRoundTripAndAcceptEncoding) {
    auto const out = render_metrics(test::make_large_snapshot(1'000), MetricsFormat::prometheus);
    auto const zipped = gzip(out);
    ASSERT_GE(zipped.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(zipped[0]), 0x1f);  // gzip magic
    EXPECT_LT(zipped.size() * 5, out.size());
    EXPECT_EQ(gunzip(zipped), out);
    EXPECT_TRUE(accepts_gzip("gzip"));
    EXPECT_TRUE(accepts_gzip("deflate, GZIP;q=0.5"));
    EXPECT_TRUE(accepts_gzip("br, *"));
    EXPECT_FALSE(accepts_gzip(""));
    EXPECT_FALSE(accepts_gzip("identity"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0"));
    EXPECT_FALSE(accepts_gzip("gzipx"));
}

}  // namespace
}  // namespace portwatch::http
