#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace portwatch::test {

/// A fresh directory under $TMPDIR, removed with its content at the end of the test.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;

    std::filesystem::path const& path() const { return path_; }
    std::filesystem::path operator/(std::string_view name) const { return path_ / name; }
    /// Writes a file inside the directory (mode 0644, or 0755 when executable).
    std::filesystem::path write(std::string_view name, std::string_view content,
                                bool executable = false) const;
    std::string read(std::string_view name) const;

  private:
    std::filesystem::path path_;
};

}  // namespace portwatch::test
