// Properties of a normalized path (CONTRACT "Paths"), shared by the URL-reading targets.
#pragma once

#include <string>
#include <string_view>

#include "policy/url.h"

namespace stepgate::fuzz {

// Empty when `normalized` (the result of NormalizePath(raw, case_insensitive)) is sound, else
// the id of the violated property:
//  path-shape      path and match_path start with '/', hold no "//", no "." or ".." segment
//                  (also `..;x`), no NUL, control character or backslash;
//  path-match-empty-segment  match_path holds "//" (an empty segment) where path does not;
//  path-idempotent normalizing `path` again (its '%' escaped, since it is decoded once)
//                  gives the same path and match_path, and normalizing match_path again gives
//                  match_path.
std::string PathViolation(const policy::NormalizedPath& normalized, bool case_insensitive);

// '%' -> "%25": the spelling of an already decoded path that decodes back to it.
std::string EscapePercent(std::string_view decoded);

// Empty when `host` (a NormalizeHost result) is sound, else the property id:
//  host-trailing-dot  the host ends with '.', so that host rules cannot match it;
//  host-shape         empty, upper-case, a port, or normalizing it again changes it.
std::string HostViolation(std::string_view host);

}  // namespace stepgate::fuzz
