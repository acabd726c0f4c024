// portwatch: parse the command line, wire the layers, map the outcome to an exit code.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "cli/help_text.hpp"
#include "config/lst.hpp"
#include "config/yaml.hpp"
#include "driver/check.hpp"
#include "driver/daemon.hpp"
#include "driver/notify_test.hpp"
#include "notify/registry.hpp"
#include "probe/registry.hpp"
#include "util/log.hpp"
#include "util/shell_words.hpp"

namespace pw = portwatch;
using pw::driver::ExitCode;

namespace {

std::chrono::milliseconds seconds_to_ms(double s) {
    return std::chrono::milliseconds(static_cast<long long>(std::llround(s * 1000.0)));
}

std::size_t open_fds() {
    std::error_code ec;
    std::size_t n = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        ++n;
    }
    return n - 1;  // the iterator's own descriptor
}

std::size_t fds_at_start = 0;

}  // namespace

int main(int argc, char** argv) {
    // Test hook (tests/reliability): report open descriptors at start and at exit.
    if (std::getenv("PORTWATCH_TEST_FD_REPORT") != nullptr) {
        fds_at_start = open_fds();
        std::atexit([] {
            std::fprintf(stderr, "portwatch: open fds at start %zu, at exit %zu\n", fds_at_start,
                         open_fds());
        });
    }
    CLI::App app{"portwatch: TCP port monitor, a drop-in for the port_check.lst cron script"};
    app.footer(pw::cli::top_footer);
    app.set_version_flag("--version", std::string("portwatch ") + PORTWATCH_VERSION);
    app.set_help_all_flag("--help-all", "Print this help with every subcommand's options");
    app.require_subcommand(1);
    std::string chdir_to;
    app.add_option("-C,--directory", chdir_to, "Change to DIR before doing anything");

    pw::driver::CheckOptions opt;
    std::string list = "port_check.lst";
    std::string state;
    double timeout_s = 5.0;
    double notify_timeout_s = 30.0;
    double lock_timeout_s = 60.0;
    double max_age_days = 7.0;
    std::string notify_cmd;
    std::string down_template;
    std::string up_template;

    std::string config_file;
    std::string log_level;
    auto* check =
        app.add_subcommand("check", "Check every target once, notify changes, save state");
    check->footer(pw::cli::check_footer);
    check->add_option("-c,--config", config_file,
                      "portwatch.yaml: targets, notifier, store and canaries from it");
    check->add_option("-l,--list", list, "Target list (HOST PORT [DESCRIPTION] lines)")
        ->capture_default_str();
    check->add_option("-s,--state", state,
                      "State file (default: port_check_status.json beside the list)");
    check
        ->add_option("-t,--timeout", timeout_s,
                     "Connect timeout per target, seconds (DNS included)")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 3600.0));
    check->add_option("-j,--concurrency", opt.concurrency, "Most probes in flight at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    check->add_option("--notify-cmd", notify_cmd,
                      "Notifier command; the message is added as its last argument. Split into "
                      "words like sh would, but never run by a shell (default: push_msg.py "
                      "beside the list, with python3 unless executable)");
    check->add_option("--notify-timeout", notify_timeout_s, "Seconds before a notifier is killed")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 86400.0));
    check
        ->add_option("--notify-concurrency", opt.delivery.concurrency,
                     "Notifier processes at once (never two for one target)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    check
        ->add_option("--max-age", max_age_days,
                     "Days an undelivered notification is retried before it is dropped")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 3650.0));
    check
        ->add_option("--max-pending", opt.max_pending,
                     "Most undelivered notifications kept; beyond it the oldest are dropped, "
                     "with an error")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000000));
    check->add_flag("--notify-first-up", opt.notify_first_up,
                    "Announce a first-seen UP target as a recovery (the seed script's behaviour)");
    check->add_option("--down-template", down_template,
                      "Failure message; placeholders {description} {host} {port} {key} {time} "
                      "{reason} {status}");
    check->add_option("--up-template", up_template, "Recovery message (same placeholders)");
    check->add_option("--lock-timeout", lock_timeout_s, "Seconds to wait for another run to finish")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 86400.0));
    check->add_flag("-n,--dry-run", opt.dry_run, "Probe and report; save nothing, notify nothing");
    check->add_flag("--json", opt.json, "Print a JSON report on stdout instead of log lines");
    check->add_flag("-q,--quiet", opt.quiet, "Log only changes, notifications and problems");

    auto* validate = app.add_subcommand("validate", "Check a list file for errors; exit 2 if any");
    validate->footer(pw::cli::validate_footer);
    auto* validate_list =
        validate->add_option("-l,--list", list, "Target list")->capture_default_str();
    validate->add_option("-c,--config", config_file,
                         "A portwatch.yaml to check instead (-l is then ignored)");

    auto* run = app.add_subcommand(
        "run", "Run as a daemon: schedule checks, keep history, reload on SIGHUP, stop on SIGTERM");
    run->footer(pw::cli::run_footer);
    run->add_option("-c,--config", config_file, "portwatch.yaml")->default_str("portwatch.yaml");
    run->add_option("--log-level", log_level, "debug | info | warn | error (overrides the config)")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    std::string log_format;
    run->add_option("--log-format", log_format,
                    "text (TIME LEVEL message) | journal (<N> priority prefixes) | json (an "
                    "object per line); default: journal when stderr is the journal, else text")
        ->check(CLI::IsMember({"text", "journal", "json"}));

    std::string notifier_name;
    auto* notify_test = app.add_subcommand(
        "notify-test",
        "Send a test message through one notifier of the config and print the outcome: exit 0 "
        "delivered, 1 failed, 2 no such notifier or config errors.");
    notify_test->footer(pw::cli::notify_test_footer);
    notify_test->add_option("NAME", notifier_name, "The notifier's name: in the config")
        ->required();
    notify_test->add_option("-c,--config", config_file, "portwatch.yaml")
        ->default_str("portwatch.yaml");

    std::string help_on;
    auto* help = app.add_subcommand("help", "Print this help, or one subcommand's help");
    help->footer(pw::cli::help_footer);
    help->add_option("SUBCOMMAND", help_on, "check | validate | run | notify-test");

    try {
        app.parse(argc, argv);
    } catch (CLI::ParseError const& e) {
        int const rc = app.exit(e);
        return rc == 0 ? 0 : ExitCode::exit_usage;
    }

    if (*help) {
        if (help_on.empty()) {
            std::cout << app.get_formatter()->make_help(&app, app.get_name(),
                                                        CLI::AppFormatMode::Normal);
            return ExitCode::exit_ok;
        }
        for (auto const* sub : app.get_subcommands({})) {
            if (sub->get_name() == help_on) {
                std::cout << sub->help(argv[0]);
                return ExitCode::exit_ok;
            }
        }
        std::cerr << fmt::format(
            "portwatch help: no subcommand '{}' (check, validate, run, "
            "notify-test)\n",
            help_on);
        return ExitCode::exit_usage;
    }

    if (*run) {
        // The daemon's lines carry a level (docs/logging.md); check's stay the seed's.
        pw::util::log::Format f = pw::util::log::Format::text;
        if (!pw::util::log::parse_format(log_format, f) &&
            pw::util::log::stderr_is_journal(std::getenv("JOURNAL_STREAM"))) {
            f = pw::util::log::Format::journal;
        }
        pw::util::log::set_format(f);
    }

    if (!chdir_to.empty() && ::chdir(chdir_to.c_str()) != 0) {
        pw::util::log::error("cannot change to directory {}: {}", chdir_to, std::strerror(errno));
        return ExitCode::exit_no_input;
    }

    if (*run) {
        return pw::driver::run_daemon(
            pw::driver::RunOptions{.config = config_file.empty() ? "portwatch.yaml" : config_file,
                                   .log_level = log_level,
                                   .log_format = log_format});
    }

    if (*notify_test) {
        return pw::driver::run_notify_test(pw::driver::NotifyTestOptions{
            .config = config_file.empty() ? "portwatch.yaml" : config_file, .name = notifier_name});
    }

    if (*validate) {
        if (!config_file.empty() && validate_list->count() > 0) {
            std::cerr << fmt::format(
                "portwatch validate: warning: -l {} is ignored with -c (the config names its "
                "own lists)\n",
                list);
        }
        // The same report for a seed list and a portwatch.yaml.
        auto report = [](std::string const& file, auto const& loaded, std::size_t targets) {
            if (!loaded) {
                pw::util::log::error("{}: {}", loaded.error().message,
                                     loaded.error().code.message());
                return int{ExitCode::exit_no_input};
            }
            for (auto const& d : loaded->diagnostics) {
                std::cerr << d.to_string() << '\n';
            }
            std::cout << fmt::format("{}: {} target(s), {} problem(s)\n", file, targets,
                                     loaded->diagnostics.size());
            return int{loaded->has_errors() ? ExitCode::exit_config_errors : ExitCode::exit_ok};
        };
        if (!config_file.empty()) {
            auto loaded = pw::config::load_config(config_file, pw::probe::schema(),
                                                  pw::notify::notifier_schema());
            return report(config_file, loaded, loaded ? loaded->config.targets.size() : 0);
        }
        auto loaded = pw::config::load_list(list);
        return report(list, loaded, loaded ? loaded->targets.size() : 0);
    }

    opt.list = list;
    opt.config = config_file;
    opt.state = state;
    opt.timeout = seconds_to_ms(timeout_s);
    opt.delivery.timeout = seconds_to_ms(notify_timeout_s);
    opt.lock_timeout = seconds_to_ms(lock_timeout_s);
    opt.delivery.retry.max_age = std::chrono::seconds(std::llround(max_age_days * 86400.0));
    if (!notify_cmd.empty()) {
        auto words = pw::util::split_command(notify_cmd);
        if (!words || words->empty()) {
            pw::util::log::error("--notify-cmd: {}",
                                 words ? "empty command" : words.error().message);
            return ExitCode::exit_usage;
        }
        opt.notify_cmd = std::move(*words);
    }
    if (!down_template.empty()) {
        opt.templates.down = opt.templates.down_bare = down_template;
    }
    if (!up_template.empty()) {
        opt.templates.up = opt.templates.up_bare = up_template;
    }
    opt.concurrency_given = check->count("--concurrency") > 0;
    return pw::driver::run_check(opt);
}
