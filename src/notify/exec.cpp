#include "notify/exec.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "notify/child.hpp"
#include "notify/process.hpp"
#include "notify/registry.hpp"
#include "util/shell_words.hpp"
#include "util/time.hpp"

namespace portwatch::notify {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

/// "reminder" for a repeated failure message, else the kind ("down", "up", "cert-expiring"...).
char const* event_name(eval::Event const& e) {
    return e.reminder && e.kind == eval::EventKind::down ? "reminder"
                                                         : eval::event_kind_name(e.kind);
}

/// RFC 3339 in local time: "2023-11-14T22:13:20.250+00:00" (the offset with a colon).
std::string rfc3339(util::TimePoint t) {
    auto s = util::format_iso_local(t);
    s.insert(s.size() - 2, ":");
    return s;
}

/// The labels as one JSON object ({} without any); bytes that are not UTF-8 become U+FFFD.
std::string labels_json(std::map<std::string, std::string> const& labels) {
    return nlohmann::json(labels).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

struct ExecNotifier::Impl {
    Impl(asio::io_context& io_, ExecOptions options_) : io(io_), options(std::move(options_)) {}

    ~Impl() {
        // Kill and reap what still runs.
        detail::abandon_all(*in_flight);
    }

    /// Posts a failure: `done` never runs inside deliver().
    void fail(Completion done, DeliveryError error, std::string detail) {
        asio::post(io, [done = std::move(done), error, detail = std::move(detail)]() mutable {
            done(DeliveryResult{error, std::move(detail), {}});
        });
    }

    /// Moves `done` out only once its delivery is committed to run it.
    void deliver(Notification const& n, std::chrono::milliseconds timeout, Completion& done) {
        if (options.argv.empty()) {
            fail(std::move(done), DeliveryError::misconfigured, "no notifier command configured");
            return;
        }
        auto const& e = n.event;
        detail::SpawnSpec spec;
        spec.argv = options.argv;
        spec.argv.push_back(n.message);
        spec.env = detail::make_environment({
            {"PORTWATCH_EVENT", event_name(e)},
            {"PORTWATCH_HOST", e.host},
            {"PORTWATCH_PORT", std::to_string(e.port)},
            {"PORTWATCH_DESCRIPTION", e.description},
            {"PORTWATCH_REASON", e.reason},
            {"PORTWATCH_DETAIL", e.detail},
            {"PORTWATCH_TIME", rfc3339(e.time)},
            {"PORTWATCH_KEY", e.key},
            {"PORTWATCH_MESSAGE", n.message},
            {"PORTWATCH_EVENT_ID", e.id},
            {"PORTWATCH_NAME", e.name.empty() ? e.key : e.name},
            {"PORTWATCH_GROUP", e.group},
            {"PORTWATCH_LABELS", labels_json(e.labels)},
        });
        spec.cwd = options.cwd.string();
        auto spawned = detail::spawn(spec);
        if (!spawned) {
            fail(std::move(done), DeliveryError::cannot_start,
                 fmt::format("cannot start {}: {}: {}", options.argv[0], spawned.error().message,
                             spawned.error().code.message()));
            return;
        }
        // From here the child exists: its ChildDelivery reaps it whatever happens.
        // Clamped so that the deadline cannot overflow the clock.
        auto const limit = std::chrono::milliseconds(std::chrono::hours(24 * 365));
        timeout = std::clamp(timeout, std::chrono::milliseconds(0), limit);
        detail::start_child(io, in_flight, std::move(*spawned),
                            detail::ChildSettings{.program = options.argv[0],
                                                  .cwd = spec.cwd,
                                                  .output_cap = options.output_cap,
                                                  .timeout = timeout},
                            std::move(done));
    }

    asio::io_context& io;
    ExecOptions options;
    std::shared_ptr<detail::InFlight> in_flight = std::make_shared<detail::InFlight>();
};

ExecNotifier::ExecNotifier(asio::io_context& io, ExecOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {}

ExecNotifier::~ExecNotifier() = default;

std::string const& ExecNotifier::name() const {
    return impl_->options.name;
}

void ExecNotifier::deliver(Notification const& n, std::chrono::milliseconds timeout,
                           Completion done) {
    try {
        impl_->deliver(n, timeout, done);
    } catch (std::exception const& ex) {
        // Out of memory or a failing Asio setup: report it, never throw into the loop. If
        // `done` was already moved into a Delivery, that Delivery reports instead.
        if (done) {
            impl_->fail(std::move(done), DeliveryError::cannot_start,
                        fmt::format("cannot start notifier: {}", ex.what()));
        }
    }
}

std::vector<std::string> default_notify_command(fs::path const& dir) {
    std::error_code ec;
    fs::path script = fs::absolute(dir / "push_msg.py", ec).lexically_normal();
    if (ec) {
        script = dir / "push_msg.py";
    }
    // Missing: run the path itself, so that each delivery fails with the clearest message
    // ("cannot execute DIR/push_msg.py: No such file or directory") and the event stays
    // pending, rather than python3's "can't open file" exit status 2.
    if (!fs::exists(script, ec)) {
        return {script.string()};
    }
    // Run directly only what the kernel can exec: executable by us and a "#!" script or an
    // ELF binary. A push_msg.py without a shebang (the seed ran `python push_msg.py`) goes
    // through python3 even when its x bit is set.
    if (::access(script.c_str(), X_OK) == 0 && fs::is_regular_file(script, ec)) {
        std::ifstream in(script, std::ios::binary);
        char head[4] = {};
        in.read(head, sizeof head);
        std::string_view const magic(head, static_cast<std::size_t>(in.gcount()));
        if (magic.starts_with("#!") || magic == std::string_view("\x7f"
                                                                 "ELF",
                                                                 4)) {
            return {script.string()};
        }
    }
    return {"python3", script.string()};
}

namespace {

/// The `command` option as argv: a list as written, a string split like sh would (no
/// expansion); empty when absent; an error message when it cannot be used.
util::Result<std::vector<std::string>> exec_command(config::NotifierSpec const& spec) {
    auto const it = spec.options.find("command");
    if (it == spec.options.end()) {
        return std::vector<std::string>{};
    }
    auto const& o = it->second;
    std::vector<std::string> argv;
    if (o.list) {
        argv = o.values;
    } else {
        auto words = util::split_command(o.values.empty() ? "" : o.values.front());
        if (!words) {
            return words.error();
        }
        argv = std::move(*words);
    }
    if (argv.empty()) {
        return util::Error{"empty command", std::make_error_code(std::errc::invalid_argument)};
    }
    return argv;
}

/// Why `program` cannot be run from `dir` (the notifier's working directory): a path that is
/// not an executable file, or a bare name not found on PATH; empty when it can.
std::string missing_program(std::string const& program, fs::path const& dir) {
    auto const runnable = [](fs::path const& p) {
        std::error_code ec;
        return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
    };
    if (program.find('/') != std::string::npos) {
        fs::path const path = fs::path(program).is_absolute() ? fs::path(program) : dir / program;
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            return fmt::format("command not found: {}", path.string());
        }
        return runnable(path) ? std::string() : fmt::format("not executable: {}", path.string());
    }
    char const* env = std::getenv("PATH");
    std::string_view search = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        auto const colon = search.find(':');
        auto const entry = search.substr(0, colon);
        if (runnable((entry.empty() ? fs::path(".") : fs::path(entry)) / program)) {
            return {};
        }
        if (colon == std::string_view::npos) {
            break;
        }
        search.remove_prefix(colon + 1);
    }
    return fmt::format("command not found on PATH: {}", program);
}

}  // namespace

void validate_exec(config::NotifierSpec const& spec, std::vector<config::Diagnostic>& out) {
    reject_unknown_options(spec, {"command"}, out);
    auto argv = exec_command(spec);
    if (!argv) {
        out.push_back(config::option_error(spec, "command", argv.error().message));
    } else if (!argv->empty()) {
        if (auto why = missing_program(argv->front(), fs::path(spec.file).parent_path());
            !why.empty()) {
            out.push_back(config::option_error(spec, "command", why));
        }
    }
}

std::vector<std::string> exec_argv(config::NotifierSpec const& spec) {
    auto argv = exec_command(spec);
    return argv ? std::move(*argv) : std::vector<std::string>{};
}

std::unique_ptr<Notifier> create_exec(asio::io_context& io, config::NotifierSpec const& spec,
                                      NotifierContext const& context) {
    auto argv = exec_argv(spec);
    ExecOptions options{
        .name = spec.name,
        .argv = !argv.empty() ? std::move(argv) : default_notify_command(context.base_dir),
        .cwd = context.base_dir};
    return std::make_unique<ExecNotifier>(io, std::move(options));
}

}  // namespace portwatch::notify
