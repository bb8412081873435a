#include "jose/json_lexer.h"

#include <locale.h>  // newlocale, strtod_l (POSIX, glibc)

#include <clocale>
#include <cstdlib>

namespace stepgate::jose::detail {

double JsonNumberToDouble(std::string_view text) {
    // The C locale whatever the process's is ('.' as the decimal point), as nlohmann arranges
    // by rewriting '.' to the current locale's decimal point before calling strtod.
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
    char small[64];
    std::string large;
    const char* terminated = small;
    if (text.size() < sizeof(small)) {
        std::memcpy(small, text.data(), text.size());
        small[text.size()] = '\0';
    } else {
        large.assign(text);
        terminated = large.c_str();
    }
    if (c_locale == locale_t{}) return std::strtod(terminated, nullptr);
    return strtod_l(terminated, nullptr, c_locale);
}

}  // namespace stepgate::jose::detail
