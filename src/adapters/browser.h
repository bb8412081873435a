// The browser half of the contract: /start, /callback, /logout, /whoami, and the session a
// browser presents to the decision endpoints.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/handler.h"
#include "session/session.h"

namespace stepgate::adapters {

// The sealed session value the request carries: its session cookie, or that cookie's chunks
// joined (session::ReadCookie). nullopt when sessions are off or the cookies are unusable.
std::optional<std::string> SessionCookieValue(const Snapshot& snapshot, const Request& request);

// The session a sealed value holds, if it opens, parses and is current at `now`, with its level
// assigned under this snapshot's levels.
std::optional<session::SessionData> OpenSessionValue(const Snapshot& snapshot,
                                                     std::string_view sealed, std::int64_t now);

// The session in the request's cookies, if it opens, parses and is current.
std::optional<session::SessionData> ReadSession(const Snapshot& snapshot, const Request& request,
                                                std::int64_t now);

// Set-Cookie for a session that nears its expiry, slid forward (never past its absolute
// lifetime); nullopt when no refresh is due or it would not fit one cookie (ingress-nginx
// passes on only the first Set-Cookie of an auth answer).
std::optional<std::string> RefreshSessionCookie(const Snapshot& snapshot,
                                                const session::SessionData& session,
                                                const Request& request, std::int64_t now);

// Who is asking, for audit lines.
struct RequestContext {
    std::string request_id;
    std::string client;  // address, from X-Forwarded-For only behind trusted_proxies
};

void HandleStart(Runtime& runtime, const Snapshot& snapshot, const Request& request,
                 std::string_view query, Response& response, const RequestContext& context);
HandleStatus HandleCallback(Runtime& runtime, std::shared_ptr<const Snapshot> snapshot,
                            const Request& request, std::string_view query, Response& response,
                            DeferredWork* deferred, RequestContext context);
void HandleLogout(Runtime& runtime, const Snapshot& snapshot, const Request& request,
                  std::string_view query, Response& response, const RequestContext& context);
void HandleWhoami(Runtime& runtime, const Snapshot& snapshot, const Request& request,
                  Response& response);

// A small page with fixed text: no external assets, nothing reflected.
void HtmlPage(Response& response, unsigned status, std::string_view title,
              std::string_view message);

}  // namespace stepgate::adapters
