#pragma once
// Named HTTP errors. Handlers throw them; the router turns each into a page in the user's language
// (the message is an English msgid translated by the web layer).
#include <stdexcept>
#include <string>

namespace parta::http {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string msgid) : std::runtime_error(msgid), status_(status) {}
  int status() const { return status_; }
  const char* msgid() const { return what(); }

 private:
  int status_;
};

struct BadRequest : HttpError {
  explicit BadRequest(std::string msgid = "The request is malformed.")
      : HttpError(400, std::move(msgid)) {}
};
struct Unauthorized : HttpError {
  Unauthorized() : HttpError(401, "Please sign in.") {}
};
struct Forbidden : HttpError {
  explicit Forbidden(std::string msgid = "You do not have access to this page.")
      : HttpError(403, std::move(msgid)) {}
};
struct NotFound : HttpError {
  NotFound() : HttpError(404, "There is no such page.") {}
};
struct MethodNotAllowed : HttpError {
  MethodNotAllowed() : HttpError(405, "This action is not allowed here.") {}
};
struct PayloadTooLarge : HttpError {
  PayloadTooLarge() : HttpError(413, "The file or form is too large.") {}
};
struct TooManyRequests : HttpError {
  explicit TooManyRequests(std::string msgid) : HttpError(429, std::move(msgid)) {}
};
// The box is busy for a moment (a long write holds the database): the answer says to come back
// in a few seconds (Retry-After), never "server error".
struct ServiceUnavailable : HttpError {
  explicit ServiceUnavailable(
      std::string msgid = "The box is busy for a moment. Try again in a few seconds.")
      : HttpError(503, std::move(msgid)) {}
};
struct InsufficientStorage : HttpError {
  InsufficientStorage()
      : HttpError(507,
                  "The box's memory card is full: nothing was saved. Tell the school's "
                  "administrator.") {}
};

}  // namespace parta::http
