-- Stepgate for HAProxy 2.6+ (Lua, core.httpclient).
--
-- Two actions:
--
--   http-request  lua.stepgate_auth <auth-url> <start-url>
--   http-response lua.stepgate_set_cookies
--
-- stepgate_auth asks Stepgate's /auth about the request, the way nginx
-- auth_request does: X-Original-URL, X-Original-Method, the client's Cookie
-- and Authorization, nothing else of the client's. <auth-url> is Stepgate's
-- /auth; its query pins the requirement for the routes the action runs on
-- (http://10.0.0.10:4180/auth?level=mfa&max_age=300, or ?policy=admin).
-- <start-url> is Stepgate's /start as browsers reach it
-- (https://auth.example.com/stepgate/start); the action adds rd= and the pins.
--
--   Stepgate 200  allow: the client's own X-Auth-Request-* headers (and their
--                 underscore spellings) are removed, Stepgate's identity
--                 headers are set on the request, and Stepgate's Set-Cookie
--                 (a refreshed session) is kept for stepgate_set_cookies.
--   Stepgate 401  an API call (Authorization: Bearer): 401 with Stepgate's
--                 WWW-Authenticate (RFC 6750 / RFC 9470 challenge);
--                 a caller that asks for JSON: 401 with {"start_url": ...};
--                 a browser: 302 to <start-url>?rd=<absolute URL>&<pins>.
--   Stepgate 403  403 (with Stepgate's WWW-Authenticate, if any).
--   else          500: any other answer, a timeout or a refused connection
--                 denies (fail closed).
--
-- Only an allow sets txn.stepgate_allowed. HAProxy goes on with the request
-- when a Lua action fails (a runtime error, at least), so follow the action
-- with a rule that answers 500 when the variable is missing (haproxy.cfg):
--   http-request return status 500 if !{ var(txn.stepgate_allowed) -m found }
--
-- The scheme of the original URL is https when the client connection is TLS
-- (ssl_fc); behind a TLS-terminating load balancer, set the variable
-- txn.stepgate_scheme first, e.g.
--   http-request set-var(txn.stepgate_scheme) str(https)
--
-- HAProxy's httpclient resolves host names through its default resolvers
-- (from /etc/resolv.conf); an IP address always works.

local CHECK_TIMEOUT_MS = 5000
local COOKIE_VAR = "txn.stepgate_set_cookie"
-- Set on allow only. haproxy.cfg answers 500 when it is missing after the
-- action: a Lua runtime error in an action lets HAProxy carry on with the
-- request, so the config must fail closed on its own.
local ALLOWED_VAR = "txn.stepgate_allowed"

-- Headers only Stepgate may set on the request that reaches the application.
local function is_identity_header(name)
    local n = string.lower(name):gsub("_", "-")
    return string.sub(n, 1, 15) == "x-auth-request-"
end

-- RFC 3986 percent-encoding of everything but the unreserved characters.
local function percent_encode(s)
    return (string.gsub(s, "[^A-Za-z0-9%-%._~]", function(c)
        return string.format("%%%02X", string.byte(c))
    end))
end

-- A header table (name -> {[0] = v1, [1] = v2, ...}, as HAProxy 2.6 returns
-- them) as a plain Lua list, in order.
local function values(headers, name)
    local out = {}
    local vs = headers and headers[name]
    if vs == nil then return out end
    local i = 0
    while vs[i] ~= nil do
        out[#out + 1] = vs[i]
        i = i + 1
    end
    -- tolerate 1-based lists (other HAProxy versions)
    if #out == 0 then
        for _, v in ipairs(vs) do out[#out + 1] = v end
    end
    return out
end

local function first(headers, name)
    return values(headers, name)[1]
end

local function reply(status, headers, body)
    headers["cache-control"] = { "no-store" }
    if body ~= nil and headers["content-type"] == nil then
        headers["content-type"] = { "text/plain; charset=utf-8" }
    end
    return { status = status, headers = headers, body = body or "" }
end

local function deny_headers(answer)
    local h = {}
    local cookies = values(answer and answer.headers, "set-cookie")
    if #cookies > 0 then h["set-cookie"] = cookies end
    return h
end

-- A Host that is a name or an IP literal, with an optional port: anything else
-- ("a.example.com/public?", "a@b", a fragment) would change the meaning of the
-- URL Stepgate decides on.
local function valid_host(host)
    return string.match(host, "^[%w%.%-]+$") ~= nil
        or string.match(host, "^[%w%.%-]+:%d+$") ~= nil
        or string.match(host, "^%[[%x:%.]+%]$") ~= nil
        or string.match(host, "^%[[%x:%.]+%]:%d+$") ~= nil
end

local function original_scheme(txn)
    local configured = txn:get_var("txn.stepgate_scheme")
    if configured == "https" or configured == "http" then return configured end
    local tls = txn.f:ssl_fc()
    if tls == true or tls == 1 then return "https" end
    return "http"
end

-- The decision for one request: nil when allowed (the request is then
-- rewritten), else the reply to send.
local function decide(txn, auth_url, start_url)
    local req = txn.http:req_get_headers()

    local hosts = values(req, "host")
    if #hosts ~= 1 or not valid_host(hosts[1]) then
        return reply(400, {}, "bad request\n")
    end
    local host = hosts[1]
    local original = original_scheme(txn) .. "://" .. host .. txn.sf:pathq()

    local authorization = values(req, "authorization")
    local cookie = values(req, "cookie")
    local check = {
        ["x-original-url"] = { original },
        ["x-original-method"] = { txn.sf:method() },
        ["x-forwarded-for"] = { txn.sf:src() },
    }
    if #authorization > 0 then check["authorization"] = authorization end
    -- Several Cookie headers (HTTP/2 sends crumbs) are one list (RFC 9113 §8.2.3).
    if #cookie > 0 then check["cookie"] = { table.concat(cookie, "; ") } end
    local request_id = txn.sf:unique_id()
    if request_id ~= nil and request_id ~= "" then check["x-request-id"] = { request_id } end

    local ok, answer = pcall(function()
        return core.httpclient():get{ url = auth_url, headers = check, timeout = CHECK_TIMEOUT_MS }
    end)
    local status = ok and answer and tonumber(answer.status) or 0

    if status == 200 then
        for name, _ in pairs(req) do
            if is_identity_header(name) then txn.http:req_del_header(name) end
        end
        for name, _ in pairs(answer.headers or {}) do
            if is_identity_header(name) then
                local v = values(answer.headers, name)
                txn.http:req_set_header(name, table.concat(v, ", "))
            end
        end
        local cookies = values(answer.headers, "set-cookie")
        if #cookies > 0 then txn:set_var(COOKIE_VAR, table.concat(cookies, "\n")) end
        txn:set_var(ALLOWED_VAR, 1)
        return nil
    end

    if status == 401 then
        local bearer = false
        for _, a in ipairs(authorization) do
            if string.lower(string.sub(a, 1, 7)) == "bearer " or string.lower(a) == "bearer" then bearer = true end
        end
        local h = deny_headers(answer)
        if bearer then
            -- An API call is never redirected: it gets the challenge.
            local challenge = first(answer.headers, "www-authenticate")
            if challenge ~= nil then h["www-authenticate"] = { challenge } end
            return reply(401, h, "unauthorized\n")
        end
        local pins = string.match(auth_url, "%?(.*)$")
        local sep = string.find(start_url, "?", 1, true) and "&" or "?"
        local start = start_url .. sep .. "rd=" .. percent_encode(original)
        if pins ~= nil and pins ~= "" then start = start .. "&" .. pins end
        local accept = string.lower(table.concat(values(req, "accept"), ","))
        if string.find(accept, "application/json", 1, true) and not string.find(accept, "text/html", 1, true) then
            h["content-type"] = { "application/json" }
            return reply(401, h, '{"error":"authentication_required","start_url":"' ..
                string.gsub(start, '["\\]', "") .. '"}\n')
        end
        h["location"] = { start }
        return reply(302, h, nil)
    end

    if status == 403 then
        local h = deny_headers(answer)
        local challenge = first(answer.headers, "www-authenticate")
        if challenge ~= nil then h["www-authenticate"] = { challenge } end
        return reply(403, h, "forbidden\n")
    end

    -- Anything else, Stepgate unreachable or confused: deny.
    if ok then
        txn:Warning("stepgate: unexpected answer " .. tostring(status) .. " from " .. auth_url)
    else
        txn:Warning("stepgate: check failed: " .. tostring(answer))
    end
    return reply(500, {}, "internal server error\n")
end

local function stepgate_auth(txn, auth_url, start_url)
    local ok, result = pcall(decide, txn, auth_url, start_url)
    if not ok then
        txn:Warning("stepgate: " .. tostring(result))
        result = reply(500, {}, "internal server error\n")
    end
    if result ~= nil then txn:done(result) end
end

-- Passes on every Set-Cookie of an allowing answer (a refreshed session).
local function stepgate_set_cookies(txn)
    local joined = txn:get_var(COOKIE_VAR)
    if joined == nil or joined == "" then return end
    for cookie in string.gmatch(joined, "[^\n]+") do
        txn.http:res_add_header("set-cookie", cookie)
    end
end

core.register_action("stepgate_auth", { "http-req" }, stepgate_auth, 2)
core.register_action("stepgate_set_cookies", { "http-res" }, stepgate_set_cookies, 0)
