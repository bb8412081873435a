#include "adapters/session_cache.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>
#include <map>

#include "adapters/browser.h"
#include "session/cookies.h"

namespace stepgate::adapters {
namespace {

namespace bhttp = boost::beast::http;
constexpr std::int64_t kNow = 1'800'000'000;

session::SessionData Alice(std::int64_t expires_at = kNow + 100) {
    session::SessionData data;
    data.id = "sid";
    data.issued_at = kNow - 100;
    data.expires_at = expires_at;
    data.identity.kind = core::CredentialKind::kSession;
    data.identity.subject = "alice";
    data.identity.expires_at = expires_at;
    return data;
}

TEST(SessionCache, HitsOnlyForTheSameValueAndSnapshotWhileTheSessionIsCurrent) {
    SessionCache cache(4, 1 << 20);
    auto snapshot = std::make_shared<int>(1);
    cache.Insert("sealed", Alice(kNow + 100), snapshot);
    const session::SessionData* hit = cache.Find("sealed", snapshot.get(), kNow);
    ASSERT_NE(hit, nullptr);
    EXPECT_EQ(hit->identity.subject, "alice");
    EXPECT_EQ(hit->expires_at, kNow + 100);
    EXPECT_EQ(cache.Find("sealed2", snapshot.get(), kNow), nullptr);
    EXPECT_EQ(cache.Find("seale", snapshot.get(), kNow), nullptr);
    // session::OpenSession refuses a session whose expiry is not after now; so does the cache.
    EXPECT_NE(cache.Find("sealed", snapshot.get(), kNow + 99), nullptr);
    EXPECT_EQ(cache.Find("sealed", snapshot.get(), kNow + 100), nullptr);
    EXPECT_EQ(cache.size(), 0u);  // and forgotten
    EXPECT_EQ(cache.bytes(), 0u);
}

TEST(SessionCache, AnotherSnapshotMissesAndEmptiesTheCache) {
    SessionCache cache(4, 1 << 20);
    auto snapshot = std::make_shared<int>(1);
    cache.Insert("a", Alice(), snapshot);
    cache.Insert("b", Alice(), snapshot);
    auto reloaded = std::make_shared<int>(2);
    EXPECT_EQ(cache.Find("a", reloaded.get(), kNow), nullptr);
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.Find("b", snapshot.get(), kNow), nullptr);
    // Inserting under the new snapshot rebinds the cache to it.
    cache.Insert("a", Alice(), snapshot);
    cache.Insert("c", Alice(), reloaded);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(cache.Find("a", reloaded.get(), kNow), nullptr);
    EXPECT_NE(cache.Find("c", reloaded.get(), kNow), nullptr);
}

TEST(SessionCache, StaysWithinItsEntryAndByteBounds) {
    SessionCache by_entries(3, 1 << 20);
    auto owner = std::make_shared<int>(0);
    for (int i = 0; i < 100; ++i) by_entries.Insert("v" + std::to_string(i), Alice(), owner);
    EXPECT_EQ(by_entries.size(), 3u);

    SessionCache by_bytes(1000, 8 * 1024);
    const std::string big(1000, 'x');
    for (int i = 0; i < 100; ++i) by_bytes.Insert(big + std::to_string(i), Alice(), owner);
    EXPECT_LE(by_bytes.bytes(), 8u * 1024);
    EXPECT_GT(by_bytes.size(), 2u);
    EXPECT_LT(by_bytes.size(), 10u);

    // Values above the limit (and an entry larger than the whole budget) are not kept.
    SessionCache cache(10, 1 << 20);
    cache.Insert(std::string(kSessionCacheMaxValueBytes + 1, 'x'), Alice(), owner);
    EXPECT_EQ(cache.size(), 0u);
    SessionCache tiny(10, 100);
    tiny.Insert("v", Alice(), owner);
    EXPECT_EQ(tiny.size(), 0u);
}

TEST(SessionCache, AFloodOfOneOffCookiesDoesNotPushOutEveryNewOne) {
    SessionCache cache(64, 1 << 20);
    auto owner = std::make_shared<int>(0);
    for (int i = 0; i < 1000; ++i) cache.Insert("flood" + std::to_string(i), Alice(), owner);
    int kept = 0;
    for (int i = 0; i < 32; ++i) {
        const std::string live = "live" + std::to_string(i);
        cache.Insert(live, Alice(), owner);
        cache.Insert("flood-more" + std::to_string(i), Alice(), owner);
        if (cache.Find(live, owner.get(), kNow) != nullptr) ++kept;
    }
    EXPECT_GT(kept, 16);
}

// The cache as /auth uses it: one per thread, bound to the runtime's snapshot.
const char* kConfig = R"(public_url: https://auth.example.com/stepgate
provider:
  issuer: https://idp.example.com
  client_id: stepgate
session:
  secret: MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=
  lifetime: 1h
levels:
  - name: basic
    acr: ["1"]
  - name: mfa
    acr: ["2"]
rules:
  - name: payments
    paths: ["/checkout/**"]
    require: { level: mfa, max_age: 5m }
default: { require: { level: basic } }
)";

class NoProvider final : public KeySource {
 public:
    std::shared_ptr<const jose::KeySet> Keys() const override { return nullptr; }
};

class SessionCacheHandlerTest : public ::testing::Test {
 protected:
    SessionCacheHandlerTest() : clock_(kNow) {
        observability::SetLogLevel(observability::LogLevel::kOff);
        ThisThreadSessionCache().Clear();
        snapshot_ = Build(kConfig);
        runtime_ = std::make_unique<Runtime>(snapshot_, provider_, clock_);
    }
    ~SessionCacheHandlerTest() override { ThisThreadSessionCache().Clear(); }

    static std::shared_ptr<Snapshot> Build(const std::string& text) {
        auto config = config::LoadConfigText(text, "test.yaml");
        EXPECT_TRUE(config);
        auto snapshot = Snapshot::Build(*config);
        EXPECT_TRUE(snapshot);
        return *snapshot;
    }

    // A session value as /callback would have sealed it (cookie value only).
    std::string Sealed(std::string acr = "1", std::int64_t expires_at = kNow + 3000) {
        session::SessionData data;
        data.id = session::NewSessionId();
        data.issued_at = kNow - 100;
        data.expires_at = expires_at;
        data.identity.subject = "alice";
        data.identity.email = "alice@example.com";
        data.identity.acr = std::move(acr);
        data.identity.auth_time = kNow - 10;
        return snapshot_->session_sealer->Seal(session::EncodeSession(data), "_stepgate");
    }

    Response Auth(const std::string& cookie, std::string url = "https://app.example.com/home") {
        Request request{bhttp::verb::get, "/auth", 11};
        request.insert("X-Original-URL", url);
        request.insert("X-Original-Method", "GET");
        request.insert(bhttp::field::cookie, cookie);
        Response response;
        EXPECT_EQ(HandleRequest(*runtime_, request, response, {"127.0.0.1"}, true),
                  HandleStatus::kDone);
        return response;
    }

    bool Cached(std::string_view sealed) {
        return ThisThreadSessionCache().Find(sealed, runtime_->GetSnapshot().get(), clock_.Now()) !=
               nullptr;
    }

    FixedClock clock_;
    NoProvider provider_;
    std::shared_ptr<Snapshot> snapshot_;
    std::unique_ptr<Runtime> runtime_;
};

TEST_F(SessionCacheHandlerTest, ACachedSessionGetsTheSameAnswerAndIdentity) {
    const std::string sealed = Sealed();
    Response first = Auth("_stepgate=" + sealed);
    ASSERT_EQ(first.result(), bhttp::status::ok);
    EXPECT_TRUE(Cached(sealed));
    Response second = Auth("_stepgate=" + sealed);
    EXPECT_EQ(second.result(), bhttp::status::ok);
    EXPECT_EQ(second["X-Auth-Request-User"], "alice");
    EXPECT_EQ(second["X-Auth-Request-Email"], first["X-Auth-Request-Email"]);
    EXPECT_EQ(second["X-Auth-Request-Level"], "basic");
    EXPECT_EQ(ThisThreadSessionCache().size(), 1u);
    // The requirement is still decided per request: the same cached session is too weak here.
    EXPECT_EQ(Auth("_stepgate=" + sealed, "https://app.example.com/checkout/x").result(),
              bhttp::status::unauthorized);
}

TEST_F(SessionCacheHandlerTest, ChunkedSessionsAreCachedByTheirJoinedValue) {
    const std::string sealed = Sealed();
    const std::size_t half = sealed.size() / 2;
    const std::string cookie =
        "_stepgate_0=" + sealed.substr(0, half) + "; _stepgate_1=" + sealed.substr(half);
    EXPECT_EQ(Auth(cookie).result(), bhttp::status::ok);
    EXPECT_TRUE(Cached(sealed));
    EXPECT_EQ(Auth(cookie).result(), bhttp::status::ok);
    // A missing chunk is no session, whatever is cached.
    EXPECT_EQ(Auth("_stepgate_0=" + sealed.substr(0, half)).result(), bhttp::status::unauthorized);
}

TEST_F(SessionCacheHandlerTest, AnExpiredSessionIsNotServedFromTheCache) {
    const std::string sealed = Sealed("1", kNow + 60);
    ASSERT_EQ(Auth("_stepgate=" + sealed).result(), bhttp::status::ok);
    ASSERT_TRUE(Cached(sealed));
    clock_.Set(kNow + 59);
    EXPECT_EQ(Auth("_stepgate=" + sealed).result(), bhttp::status::ok);
    clock_.Set(kNow + 60);
    EXPECT_EQ(Auth("_stepgate=" + sealed).result(), bhttp::status::unauthorized);
    EXPECT_FALSE(Cached(sealed));
}

TEST_F(SessionCacheHandlerTest, AReloadWithARotatedSecretMissesTheCache) {
    const std::string sealed = Sealed();
    ASSERT_EQ(Auth("_stepgate=" + sealed).result(), bhttp::status::ok);
    ASSERT_TRUE(Cached(sealed));
    std::string rotated = kConfig;
    const std::string old_secret = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";
    rotated.replace(rotated.find(old_secret), old_secret.size(),
                    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=");
    runtime_->Swap(Build(rotated));
    EXPECT_EQ(Auth("_stepgate=" + sealed).result(), bhttp::status::unauthorized);
    EXPECT_EQ(ThisThreadSessionCache().size(), 0u);
}

TEST_F(SessionCacheHandlerTest, AReloadThatChangesLevelsIsNotAnsweredWithTheOldLevel) {
    const std::string sealed = Sealed("1");
    ASSERT_EQ(Auth("_stepgate=" + sealed)["X-Auth-Request-Level"], "basic");
    // Same secret, but acr "1" no longer meets any level.
    std::string stricter = kConfig;
    stricter.replace(stricter.find("acr: [\"1\"]"), 10, "acr: [\"9\"]");
    runtime_->Swap(Build(stricter));
    EXPECT_EQ(Auth("_stepgate=" + sealed).result(), bhttp::status::unauthorized);
}

TEST_F(SessionCacheHandlerTest, TamperedCookiesAreNeverCached) {
    const std::string sealed = Sealed();
    std::string tampered = sealed;
    tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
    EXPECT_EQ(Auth("_stepgate=" + tampered).result(), bhttp::status::unauthorized);
    EXPECT_EQ(ThisThreadSessionCache().size(), 0u);
    // Not even once the genuine value is cached.
    ASSERT_EQ(Auth("_stepgate=" + sealed).result(), bhttp::status::ok);
    EXPECT_EQ(Auth("_stepgate=" + tampered).result(), bhttp::status::unauthorized);
    EXPECT_EQ(Auth("_stepgate=" + sealed.substr(0, sealed.size() - 1)).result(),
              bhttp::status::unauthorized);
    EXPECT_EQ(ThisThreadSessionCache().size(), 1u);
    EXPECT_FALSE(Cached(tampered));
}

TEST_F(SessionCacheHandlerTest, SlidingRefreshStillHappensForACachedSession) {
    const std::string sealed = Sealed("1", kNow + 3000);
    ASSERT_EQ(Auth("_stepgate=" + sealed).count(bhttp::field::set_cookie), 0u);
    ASSERT_TRUE(Cached(sealed));
    clock_.Set(kNow + 2500);  // 500 s left of a 1 h lifetime: refresh due
    Response response = Auth("_stepgate=" + sealed);
    EXPECT_EQ(response.result(), bhttp::status::ok);
    ASSERT_EQ(response.count(bhttp::field::set_cookie), 1u);
    const std::string set_cookie(response[bhttp::field::set_cookie]);
    EXPECT_EQ(set_cookie.rfind("_stepgate=", 0), 0u);
    EXPECT_NE(set_cookie.find("Max-Age=3600;"), std::string::npos);
}

}  // namespace
}  // namespace stepgate::adapters
