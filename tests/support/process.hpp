#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace portwatch::test {

struct ProcessResult {
    int exit_code = -1;  ///< exit status, or -1 when killed by a signal
    int signal = 0;      ///< the signal that ended it, 0 when it exited
    bool timed_out = false;
    std::string out;  ///< stdout
    std::string err;  ///< stderr
    std::chrono::milliseconds elapsed{0};
};

struct ProcessOptions {
    std::filesystem::path cwd;                 ///< empty: inherit
    std::map<std::string, std::string> env;    ///< added to (or overriding) the environment
    std::chrono::milliseconds timeout{60000};  ///< killed (SIGKILL to its group) past this
};

/// Runs argv (no shell), waits for it within the timeout, captures stdout and stderr.
ProcessResult run_process(std::vector<std::string> const& argv, ProcessOptions const& options = {});

/// Runs the built portwatch binary with the given arguments.
ProcessResult run_portwatch(std::vector<std::string> const& args,
                            ProcessOptions const& options = {});

/// Path of the built portwatch binary.
std::string portwatch_binary();

}  // namespace portwatch::test
