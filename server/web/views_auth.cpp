// Sign-in, sign-out, one's own profile and password, language switch and static files.
#include "domain/accounts.hpp"
#include "domain/hash_slots.hpp"
#include "domain/sign_in.hpp"
#include "domain/validate.hpp"
#include "web/app.hpp"
#include "web/static_assets.hpp"

namespace parta::web {

namespace {

// Only local paths: never redirect a child's phone to another site after sign-in.
std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')))
    return "/";
  for (char c : next)
    if (static_cast<unsigned char>(c) < 0x20) return "/";
  return next;
}

http::Response login_page(Ctx& ctx, const std::string& next, const std::string& login,
                          const std::string& error, int status) {
  if (ctx.csrf.empty()) ctx.csrf = domain::random_token();
  mstch::map data{{"next", next}, {"login", login}};
  if (!error.empty()) data["error"] = error;
  auto resp = page(ctx, "login", std::move(data), "Sign in", status);
  if (!ctx.req.cookie(kAnonCsrfCookie)) resp.cookie(kAnonCsrfCookie, ctx.csrf);
  return resp;
}

http::Response profile_page(Ctx& ctx, const std::string& error, int status) {
  const auto& me = ctx.me();
  mstch::map data{{"name", me.full_name()},
                  {"login", me.login},
                  {"password", me.secret_kind == domain::SecretKind::password}};
  if (!error.empty()) data["error"] = error;
  if (error.empty() && ctx.req.query("changed"))
    data["notice"] = ctx.tr("The password is changed.");
  return page(ctx, "profile", std::move(data), "Profile", status);
}

std::string normalize_login(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The device token this request carries for `login` ("" when none).
std::string device_token(const Ctx& ctx, const std::string& login) {
  if (!domain::valid_login(login)) return "";
  return ctx.req.cookie(device_cookie_name(login)).value_or("");
}

// Keeps this device trusted for the account: long-lived, and sent only to this site's own pages.
void remember_device(http::Response& resp, const std::string& login, const std::string& token) {
  resp.cookie(device_cookie_name(login), token, kDeviceCookieLifetime, "Strict");
}

// The words for a refused attempt, naming what the person can do about it.
std::string refusal_text(Ctx& ctx, const domain::SecretCheck& r) {
  std::string minutes = std::to_string((r.wait + 59) / 60);
  if (r.refusal == domain::LoginLimiter::Refusal::account)
    return ctx.tr(domain::Message{
        "Too many failed attempts at this account from new devices. Try again in {minutes} min, "
        "or sign in on a phone or computer you have signed in on before.",
        {{"minutes", minutes}}});
  return ctx.tr(domain::Message{"Too many failed attempts. Try again in {minutes} min.",
                                {{"minutes", minutes}}});
}

}  // namespace

void register_auth_views(App& app) {
  app.route("GET", "/login", kPublic, [](Ctx& ctx) {
    std::string next = safe_next(ctx.req.query("next").value_or("/"));
    if (ctx.user) return http::Response::redirect(next);
    return login_page(ctx, next, "", "", 200);
  });

  app.route("POST", "/login", kPublic, [&app](Ctx& ctx) {
    const auto& f = ctx.req.form();
    std::string login = normalize_login(f.value("login"));
    std::string secret = f.value("secret");
    std::string next = safe_next(f.value("next"));
    if (login.empty() || secret.empty())
      return login_page(ctx, next, login, ctx.tr("Enter your login and password or PIN."), 422);
    if (login.size() > 64 || secret.size() > 256)
      return login_page(ctx, next, "", ctx.tr("Wrong login or password."), 401);
    domain::SecretCheck r;
    try {
      r = domain::check_secret(ctx.db, app.limiter(), app.device_key(), login, secret,
                               ctx.req.remote_addr, device_token(ctx, login));
    } catch (const domain::HashBusy&) {
      // Every hashing slot is taken: the form stays filled in, one more tap in a moment works.
      auto resp = login_page(ctx, next, login, ctx.tr(kBusyMsgid), 503);
      resp.header("Retry-After", "5");
      return resp;
    }
    if (r.outcome == domain::SecretCheck::Outcome::locked) {
      auto resp = login_page(ctx, next, login, refusal_text(ctx, r), 429);
      resp.header("Retry-After", std::to_string(r.wait));
      return resp;
    }
    if (r.outcome != domain::SecretCheck::Outcome::ok)
      return login_page(ctx, next, login, ctx.tr("Wrong login or password."), 401);
    // A fresh token on every sign-in: a token planted before sign-in is worth nothing after.
    std::string token = domain::create_session(ctx.db, ctx.clock, r.user->id);
    auto resp = http::Response::redirect(next);
    resp.cookie(kSessionCookie, token, domain::kSessionLifetime);
    remember_device(resp, r.user->login, r.device_token);
    return resp;
  });

  app.route("POST", "/logout", kSignedIn, [](Ctx& ctx) {
    if (auto token = ctx.req.cookie(kSessionCookie)) domain::end_session(ctx.db, *token);
    auto resp = http::Response::redirect("/");
    resp.cookie(kSessionCookie, "", 0);
    return resp;
  });

  app.route("GET", "/profile", kSignedIn, [](Ctx& ctx) { return profile_page(ctx, "", 200); });

  // One's own password (a student's PIN stays with the admin: small children lose them).
  app.route("POST", "/profile/password", kSignedIn, [&app](Ctx& ctx) {
    const auto& me = ctx.me();
    if (me.secret_kind != domain::SecretKind::password)
      return profile_page(ctx, ctx.tr("A PIN is changed by the school's administrator."), 422);
    const auto& f = ctx.req.form();
    std::string current = f.value("current"), fresh = f.value("new");
    if (current.empty() || fresh.empty())
      return profile_page(ctx, ctx.tr("Enter the current password and the new one."), 422);
    if (fresh.size() < 8 || fresh.size() > 128)
      return profile_page(ctx, ctx.tr("The new password must be 8 to 128 characters long."), 422);
    if (fresh != f.value("repeat"))
      return profile_page(ctx, ctx.tr("The two new passwords differ."), 422);
    // The current password is a sign-in in disguise: the same device token and limits.
    if (current.size() > 256)
      return profile_page(ctx, ctx.tr("The current password is wrong."), 422);
    auto r = domain::check_secret(ctx.db, app.limiter(), app.device_key(), me.login, current,
                                  ctx.req.remote_addr, device_token(ctx, me.login));
    if (r.outcome == domain::SecretCheck::Outcome::locked) {
      auto resp = profile_page(ctx, refusal_text(ctx, r), 429);
      resp.header("Retry-After", std::to_string(r.wait));
      return resp;
    }
    if (r.outcome != domain::SecretCheck::Outcome::ok)
      return profile_page(ctx, ctx.tr("The current password is wrong."), 422);
    domain::set_secret(ctx.db, me.id, domain::SecretKind::password, fresh);  // ends all sessions
    if (ctx.settings)
      domain::forget_first_admin_password(me, ctx.settings->first_admin_password_file);
    // This device stays signed in; the others sign in again with the new password.
    auto resp = http::Response::redirect("/profile?changed=1");
    resp.cookie(kSessionCookie, domain::create_session(ctx.db, ctx.clock, me.id),
                domain::kSessionLifetime);
    remember_device(resp, me.login, r.device_token);
    return resp;
  });

  app.route("GET", "/lang/{code}", kPublic, [](Ctx& ctx) {
    const std::string& code = ctx.req.params.at("code");
    if (code != "ru" && code != "en") throw http::NotFound();
    auto resp = http::Response::redirect(safe_next(ctx.req.query("next").value_or("/")));
    resp.cookie(kLangCookie, code, 365L * 24 * 3600);
    return resp;
  });
}

void register_static_views(App& app) {
  app.route("GET", "/static/{file}", kPublic, [](Ctx& ctx) {
    const Asset* a = StaticAssets::instance().by_url(ctx.req.path);
    if (!a) throw http::NotFound();
    http::Response r;
    r.content_type = a->content_type;
    r.header("Cache-Control", "public, max-age=31536000, immutable");
    r.header("ETag", a->etag);
    if (ctx.req.header("if-none-match") == a->etag) {
      r.status = 304;
      return r;
    }
    if (ctx.req.accepts_gzip()) {
      r.body = a->gzipped;
      r.header("Content-Encoding", "gzip");
      r.header("Vary", "Accept-Encoding");
    } else {
      r.body = a->body;
    }
    return r;
  });
  app.route("GET", "/favicon.ico", kPublic, [](Ctx&) {
    http::Response r;
    r.status = 204;
    r.header("Cache-Control", "public, max-age=86400");
    return r;
  });
}

}  // namespace parta::web
