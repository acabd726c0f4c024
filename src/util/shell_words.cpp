#include "util/shell_words.hpp"

namespace portwatch::util {

Result<std::vector<std::string>> split_command(std::string_view line) {
    std::vector<std::string> out;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char const c = line[i];
        if (quote == '\'') {
            if (c == '\'') {
                quote = 0;
            } else {
                word.push_back(c);
            }
        } else if (quote == '"') {
            if (c == '"') {
                quote = 0;
            } else if (c == '\\' && i + 1 < line.size() &&
                       (line[i + 1] == '"' || line[i + 1] == '\\')) {
                word.push_back(line[++i]);
            } else {
                word.push_back(c);
            }
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < line.size()) {
            word.push_back(line[++i]);
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) {
                out.push_back(std::move(word));
                word.clear();
                in_word = false;
            }
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (quote != 0) {
        return Error{std::string("unterminated ") + quote +
                     " quote in command: " + std::string(line)};
    }
    if (in_word) {
        out.push_back(std::move(word));
    }
    return out;
}

}  // namespace portwatch::util
