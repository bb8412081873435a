// An adapters::Response as HTTP/1.1 bytes: the status line, the handler's fields,
// Content-Length, the Connection field the answer's persistence needs, the body.
#pragma once

#include <string>

#include "adapters/http_message.h"

namespace stepgate::http {

// Replaces `out` (its capacity is reused). `keep_alive` is whether the connection stays open
// after this answer: HTTP/1.1 then says nothing and otherwise "Connection: close"; HTTP/1.0
// says "Connection: keep-alive" when it stays open. Content-Length and Connection fields the
// handler set are ignored: these two are the server's.
void WriteResponse(const adapters::Response& response, bool keep_alive, std::string& out);

}  // namespace stepgate::http
