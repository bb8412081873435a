// Turns fuzzer bytes into the request the server would hand to the adapters, by running them
// through the server's own request parser with the server's limits (so that only requests a
// real connection can deliver are built).
//
// Input format, one item per line ('\n' or "\r\n"):
//   line 1:    METHOD TARGET   (or just TARGET: the method is then GET)
//   lines 2..: header lines, `Name: value`, as sent
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "adapters/request_facts.h"

namespace stepgate::fuzz {

struct HttpInput {
    adapters::Request request;
    std::string wire;  // the bytes the parser read
};

// nullopt when the parser refuses the bytes (as a connection would, with 400 or 431).
std::optional<HttpInput> ParseHttpInput(std::string_view data);

}  // namespace stepgate::fuzz
