// The client's address: the direct peer, unless that peer is a trusted proxy, in which case
// X-Forwarded-For (rightmost untrusted hop) or X-Real-IP. Only for logs and audit: no decision
// depends on it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/request_facts.h"
#include "config/config.h"

namespace stepgate::adapters {

std::string ClientAddress(const Request& request, std::string_view peer,
                          const std::vector<config::Cidr>& trusted_proxies);

}  // namespace stepgate::adapters
