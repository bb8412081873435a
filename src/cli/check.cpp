#include <openssl/evp.h>
#include <openssl/rand.h>

#include <iostream>

#include "cli/commands.h"
#include "config/config.h"

namespace stepgate::cli {

int RunCheck(const std::string& config_path) {
    auto loaded = config::LoadConfigFile(config_path);
    if (!loaded) {
        for (const auto& error : loaded.error()) std::cerr << error.Format() << "\n";
        return 1;
    }
    const auto& config = **loaded;
    std::cout << config_path << ": valid (" << config.policy.levels.size() << " levels, "
              << config.policy.rules.size() << " rules)\n";
    return 0;
}

int RunSecret() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        std::cerr << "stepgate: the random generator failed\n";
        return 1;
    }
    unsigned char encoded[64] = {};
    EVP_EncodeBlock(encoded, bytes, sizeof bytes);
    const std::string out(reinterpret_cast<const char*>(encoded));
    OPENSSL_cleanse(bytes, sizeof bytes);
    std::cout << out << "\n";
    return 0;
}

}  // namespace stepgate::cli
