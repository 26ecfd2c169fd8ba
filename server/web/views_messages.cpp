// Messages: the list of conversations, starting one with a contact, a conversation's page, and the
// moderation of class and group conversations.
#include "domain/conversations.hpp"
#include "domain/groups.hpp"
#include "web/app.hpp"
#include "web/form_fields.hpp"
#include "web/time_format.hpp"
#include "web/view_data.hpp"

namespace parta::web {

namespace {

using domain::ConversationKind;
using domain::Role;

constexpr std::size_t kPageSize = 30;

std::string conversation_title(Ctx& ctx, const domain::Conversation& v) {
  switch (v.kind) {
    case ConversationKind::klass:
      return ctx.tr(domain::Message{"Class {name}", {{"name", v.name}}});
    case ConversationKind::group:
      return ctx.tr(domain::Message{"Group «{name}»", {{"name", v.name}}});
    case ConversationKind::direct:
      return v.name;
  }
  return v.name;
}

// Loads the conversation and checks the viewer belongs to it (same answer for "none" and "not
// yours", so IDs cannot be probed).
domain::Conversation load(Ctx& ctx) {
  auto v = domain::find_conversation(ctx.db, ctx.req.id("id"), ctx.me());
  if (!v || !domain::is_member(ctx.db, ctx.me(), *v)) throw http::Forbidden();
  return *v;
}

http::Response conversation_page(Ctx& ctx, const domain::Conversation& v, const std::string& error,
                                 int status) {
  std::int64_t before = 0;
  if (auto b = ctx.req.query("before")) before = parse_id(*b).value_or(0);
  auto list = domain::messages_of(ctx.db, v.id, before, kPageSize);
  // The one write a page view makes here: the viewer's own "read up to" mark.
  if (before == 0) note_seen(ctx, [&] { domain::mark_read(ctx.db, v.id, ctx.me().id); });
  bool moderator = domain::can_moderate(ctx.db, ctx.me(), v);
  mstch::array items;
  for (const auto& m : list)
    items.push_back(mstch::map{{"mid", std::to_string(m.id)},
                               {"author", m.author_name},
                               {"mine", m.author_id == ctx.me().id},
                               {"when", format_datetime(m.created_at)},
                               {"body", m.body},
                               {"removed", m.removed},
                               {"can_remove", moderator && !m.removed}});
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  mstch::map data{{"id", std::to_string(v.id)},
                  {"post_url", "/messages/" + std::to_string(v.id)},
                  {"title", conversation_title(ctx, v)},
                  {"messages", items},
                  {"has_messages", !items.empty()},
                  {"can_write", domain::can_write(ctx.db, ctx.me(), v)},
                  {"moderator", moderator},
                  {"closed", v.closed},
                  {"is_group", v.kind != ConversationKind::direct},
                  {"text", f.value("text")},
                  {"max", std::to_string(domain::kMaxMessage)}};
  if (v.kind == ConversationKind::direct && v.other_role)
    data["with_role"] = ctx.tr(role_msgid(*v.other_role));
  if (list.size() == kPageSize) data["older"] = std::to_string(list.front().id);
  if (before != 0) data["newer"] = true;
  if (!error.empty()) data["error"] = error;
  return page(ctx, "conversation", std::move(data), "Messages", status);
}

// Someone the viewer may write to, by the route's {id} (403 for anyone else or nobody).
domain::User recipient(Ctx& ctx) {
  auto to = domain::find_user(ctx.db, ctx.req.id("id"));
  if (!to || !domain::may_message(ctx.db, ctx.me(), *to)) throw http::Forbidden();
  return *to;
}

// A first message to someone: the conversation is made only when it is sent (a POST).
http::Response first_message_page(Ctx& ctx, const domain::User& to, const std::string& error,
                                  int status) {
  static const http::Form kEmpty;
  const http::Form& f = ctx.req.method == "POST" ? ctx.req.form() : kEmpty;
  mstch::map data{{"post_url", "/messages/to/" + std::to_string(to.id)},
                  {"title", to.full_name()},
                  {"with_role", ctx.tr(role_msgid(to.role))},
                  {"messages", mstch::array{}},
                  {"has_messages", false},
                  {"can_write", true},
                  {"text", f.value("text")},
                  {"max", std::to_string(domain::kMaxMessage)}};
  if (!error.empty()) data["error"] = error;
  return page(ctx, "conversation", std::move(data), "Messages", status);
}

}  // namespace

void register_message_views(App& app) {
  app.route("GET", "/messages", kSignedIn, [](Ctx& ctx) {
    // Newest activity first, a page at a time: a teacher writes to many families over a year.
    std::size_t offset = 0;
    if (auto p = ctx.req.query("from")) offset = static_cast<std::size_t>(parse_id(*p).value_or(0));
    offset = std::min<std::size_t>(offset, 100000);
    bool more = false;
    mstch::array list;
    for (const auto& v : domain::conversations_of(ctx.db, ctx.me(), kPageSize, offset, &more)) {
      mstch::map m{{"id", std::to_string(v.id)},
                   {"title", conversation_title(ctx, v)},
                   {"unread", v.unread > 99  ? std::string("99+")
                              : v.unread > 0 ? std::to_string(v.unread)
                                             : std::string()},
                   {"last", v.last_text},
                   {"when", v.last_at ? format_datetime(v.last_at) : std::string()},
                   {"group", v.kind != ConversationKind::direct}};
      list.push_back(m);
    }
    mstch::map data{{"conversations", list}, {"has_conversations", !list.empty()}};
    if (more) data["older"] = std::to_string(offset + kPageSize);
    if (offset > 0) data["newer"] = offset > kPageSize ? std::to_string(offset - kPageSize) : "0";
    return page(ctx, "messages", std::move(data), "Messages");
  });

  // Whom one may write to. Staff pick a class first: a whole school on one page is too long.
  app.route("GET", "/messages/new", kSignedIn, [](Ctx& ctx) {
    const auto& me = ctx.me();
    std::optional<std::int64_t> class_id;
    bool staff = me.role == Role::admin || me.role == Role::teacher;
    mstch::array classes;
    if (staff) {
      if (auto k = ctx.req.query("class")) class_id = parse_id(*k);
      for (const auto& k : domain::viewable_classes(ctx.db, me))
        classes.push_back(mstch::map{
            {"id", std::to_string(k.id)}, {"name", k.name}, {"current", class_id == k.id}});
    }
    mstch::array people;
    for (const auto& c : domain::contacts(ctx.db, me, class_id))
      people.push_back(mstch::map{{"id", std::to_string(c.user.id)},
                                  {"name", c.user.full_name()},
                                  {"role", ctx.tr(role_msgid(c.user.role))},
                                  {"note", c.note}});
    mstch::map data{{"people", people},
                    {"has_people", !people.empty()},
                    {"classes", classes},
                    {"staff", staff},
                    {"all", !class_id}};
    return page(ctx, "messages_new", std::move(data), "New message");
  });

  app.route("GET", "/messages/to/{id}", kSignedIn, [](Ctx& ctx) {
    auto to = recipient(ctx);
    if (auto id = domain::find_direct_conversation(ctx.db, ctx.me().id, to.id))
      return http::Response::redirect("/messages/" + std::to_string(*id));
    return first_message_page(ctx, to, "", 200);
  });

  app.route("POST", "/messages/to/{id}", kSignedIn, [](Ctx& ctx) {
    auto to = recipient(ctx);
    std::string text = field(ctx, "text", 4 * domain::kMaxMessage + 100);
    if (auto err = domain::check_message(text))
      return first_message_page(ctx, to, ctx.tr(*err), 422);
    storage::Transaction tx(ctx.db);
    std::int64_t id = domain::direct_conversation(ctx.db, ctx.me().id, to.id);
    domain::post_message(ctx.db, ctx.clock, id, ctx.me().id, text);
    tx.commit();
    return http::Response::redirect("/messages/" + std::to_string(id) + "#end");
  });

  app.route("GET", "/messages/{id}", kSignedIn,
            [](Ctx& ctx) { return conversation_page(ctx, load(ctx), "", 200); });

  app.route("POST", "/messages/{id}", kSignedIn, [](Ctx& ctx) {
    auto v = load(ctx);
    if (!domain::can_write(ctx.db, ctx.me(), v)) throw http::Forbidden();
    std::string text = field(ctx, "text", 4 * domain::kMaxMessage + 100);
    if (auto err = domain::check_message(text)) return conversation_page(ctx, v, ctx.tr(*err), 422);
    domain::post_message(ctx.db, ctx.clock, v.id, ctx.me().id, text);
    return http::Response::redirect("/messages/" + std::to_string(v.id) + "#end");
  });

  app.route("POST", "/messages/{id}/closed", kSignedIn, [](Ctx& ctx) {
    auto v = load(ctx);
    if (!domain::can_moderate(ctx.db, ctx.me(), v)) throw http::Forbidden();
    domain::set_closed(ctx.db, v.id, ctx.req.form().value("closed") == "1");
    return http::Response::redirect("/messages/" + std::to_string(v.id));
  });

  app.route("POST", "/messages/{id}/remove/{message}", kSignedIn, [](Ctx& ctx) {
    auto v = load(ctx);
    if (!domain::can_moderate(ctx.db, ctx.me(), v)) throw http::Forbidden();
    if (!domain::remove_message(ctx.db, v.id, ctx.req.id("message"))) throw http::NotFound();
    return http::Response::redirect("/messages/" + std::to_string(v.id));
  });

  // The class conversation, for its class teacher (and the admin) from the class page.
  app.route("GET", "/classes/{id}/messages", kAdmin | kTeacher | kStudent, [](Ctx& ctx) {
    auto k = domain::find_class(ctx.db, ctx.req.id("id"));
    const auto& me = ctx.me();
    bool allowed = k && (me.role == Role::admin || k->class_teacher_id == me.id ||
                         (me.role == Role::student &&
                          domain::find_student(ctx.db, me.id).value().class_id == k->id));
    if (!allowed) throw http::Forbidden();
    auto id = domain::class_conversation(ctx.db, k->id);
    if (!id) throw http::NotFound();
    return http::Response::redirect("/messages/" + std::to_string(*id));
  });

  app.route("GET", "/groups/{id}/messages", kSignedIn, [](Ctx& ctx) {
    auto g = domain::find_group(ctx.db, ctx.req.id("id"));
    if (!g || !(domain::can_manage(ctx.me(), *g) || domain::is_in_group(ctx.db, ctx.me(), *g)))
      throw http::Forbidden();
    auto id = domain::group_conversation(ctx.db, g->id);
    if (!id) throw http::NotFound();
    return http::Response::redirect("/messages/" + std::to_string(*id));
  });
}

}  // namespace parta::web
