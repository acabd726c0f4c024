#include "notify/http_receiver.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace portwatch::test {

HttpReceiver::HttpReceiver() : HttpReceiver("", "") {}

HttpReceiver::HttpReceiver(std::string const& cert, std::string const& key) : tls_(!cert.empty()) {
    auto const script = std::string(PORTWATCH_SOURCE_DIR) + "/tests/notify/http_receiver.py";
    std::vector<std::string> argv{"/usr/bin/python3", script, (dir_ / "port").string(),
                                  (dir_ / "requests").string()};
    if (tls_) {
        argv.push_back(cert);
        argv.push_back(key);
    }
    process_ = std::make_unique<BackgroundProcess>(
        argv, dir_.path(), std::map<std::string, std::string>{}, dir_ / "log");
    poll_until([&] { return std::filesystem::exists(dir_ / "port"); }, std::chrono::seconds(10));
    std::ifstream in(dir_ / "port");
    in >> port_;
}

std::string HttpReceiver::url(std::string_view mode) const {
    return fmt::format("{}://127.0.0.1:{}/{}", tls_ ? "https" : "http", port_, mode);
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
    std::vector<ReceivedRequest> out;
    std::ifstream in(dir_ / "requests");
    std::string line;
    while (std::getline(in, line)) {
        auto const j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded()) {
            continue;  // being written
        }
        ReceivedRequest r{.method = j.at("method"), .path = j.at("path"), .body = j.at("body")};
        for (auto const& [k, v] : j.at("headers").items()) {
            r.headers[k] = v.get<std::string>();
        }
        out.push_back(std::move(r));
    }
    return out;
}

bool HttpReceiver::wait_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    return poll_until([&] { return requests().size() >= n; }, timeout);
}

}  // namespace portwatch::test
