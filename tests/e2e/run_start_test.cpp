// `portwatch run` that cannot start (issue 13 item 5): `run --help` tells run's own exit codes;
// a store that cannot be opened is exit 6 (5 is only "another daemon holds it"); an HTTP port
// in use or a missing TLS file stops the start before "running:" is logged, with exit 2.
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e/e2e_support.hpp"

namespace portwatch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool has(std::string const& text, std::string const& part) {
    return text.find(part) != std::string::npos;
}

/// A config with one loopback target, the store and `extra` (YAML) as given.
ProcessResult run_with(TempDir const& dir, std::string const& store, std::string const& extra) {
    OpenPort target;
    dir.write("portwatch.yaml", "store: " + store + "\ntargets:\n  - {host: 127.0.0.1, port: " +
                                    std::to_string(target.port()) + "}\n" + extra);
    // A daemon that did start would run until killed: the timeout marks that as a failure.
    return run_portwatch({"run", "-c", (dir / "portwatch.yaml").string()}, {.timeout = 20s});
}

TEST(RunStart, HelpShowsRunsOwnExitCodes) {
    auto const r = run_portwatch({"run", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(has(r.out, "Exit codes of run:")) << r.out;
    EXPECT_TRUE(has(r.out, "5   another daemon holds the store")) << r.out;
    EXPECT_TRUE(has(r.out, "6   the store cannot be opened")) << r.out;
    // Not check's table (list lines, pending notifications).
    EXPECT_FALSE(has(r.out, "the list has bad lines")) << r.out;
    EXPECT_FALSE(has(r.out, "some notifications are pending")) << r.out;
}

TEST(RunStart, StoreThatCannotBeOpenedIsExitSix) {
    TempDir dir;
    // The store's directory is a regular file: neither the lock nor the database can exist.
    dir.write("not-a-dir", "x");
    auto r = run_with(dir, "sqlite:" + (dir / "not-a-dir" / "db.sqlite").string(), "");
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
    EXPECT_TRUE(has(r.err + r.out, "Not a directory")) << r.err;
    EXPECT_FALSE(has(r.err + r.out, "running:"));
    // Its lock file cannot be opened for writing (a directory stands there).
    fs::create_directory(dir / "db.sqlite.lock");
    r = run_with(dir, "sqlite:" + (dir / "db.sqlite").string(), "");
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
    EXPECT_TRUE(has(r.err + r.out, "db.sqlite.lock")) << r.err;
}

TEST(RunStart, HttpPortInUseStopsBeforeRunning) {
    TempDir dir;
    OpenPort taken;
    auto const r = run_with(dir, "sqlite:" + (dir / "db.sqlite").string(),
                            "http: {listen: \"127.0.0.1:" + std::to_string(taken.port()) + "\"}\n");
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(has(r.err + r.out, "http.listen")) << r.err;
    EXPECT_FALSE(has(r.err + r.out, "running:")) << r.err;
}

TEST(RunStart, MissingTlsCertIsNamed) {
    TempDir dir;
    auto const missing = (dir / "missing-cert.pem").string();
    auto const r = run_with(dir, "sqlite:" + (dir / "db.sqlite").string(),
                            "http:\n  listen: 127.0.0.1:0\n  tls: {cert: " + missing +
                                ", key: " + (dir / "missing-key.pem").string() + "}\n");
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0) << r.out << r.err;
    auto const text = r.err + r.out;
    EXPECT_TRUE(has(text, missing + ": No such file or directory")) << text;
    EXPECT_FALSE(has(text, "asio.ssl")) << text;
    EXPECT_FALSE(has(text, "running:")) << text;
}

}  // namespace
}  // namespace portwatch::test
