#pragma once

#include <string_view>

namespace portwatch::util {

/// Test hook: when the environment variable PORTWATCH_FAULT names a point ("before-rename",
/// "before-dirsync", "after-commit", ...), the process is killed with SIGKILL when it reaches
/// it. Reads the environment once.
void fault_point(std::string_view name);

}  // namespace portwatch::util
