#pragma once
// Named HTTP errors. Handlers throw them; the router turns each into a page in the user's language
// (the message is an English msgid translated by the web layer).
#include <stdexcept>
#include <string>

namespace parta::http {

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string msgid, int retry_after = 0)
      : std::runtime_error(msgid), status_(status), retry_after_(retry_after) {}
  int status() const { return status_; }
  const char* msgid() const { return what(); }
  int retry_after() const { return retry_after_; }  // seconds for Retry-After; 0 = none

 private:
  int status_;
  int retry_after_;
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
struct UnsupportedMediaType : HttpError {
  explicit UnsupportedMediaType(
      std::string msgid = "The form was sent in a format the server does not accept.")
      : HttpError(415, std::move(msgid)) {}
};
struct InsufficientStorage : HttpError {
  InsufficientStorage()
      : HttpError(507,
                  "The box's storage is almost full, so the file was not saved. Tell the school's "
                  "administrator.") {}
};
// Busy for a moment (every password-hashing slot taken, or a long write holding the database):
// the phone may try again shortly (Retry-After), never "server error".
struct ServiceUnavailable : HttpError {
  explicit ServiceUnavailable(
      std::string msgid = "The box is busy for a moment. Try again in a few seconds.",
      int retry_after = 5)
      : HttpError(503, std::move(msgid), retry_after) {}
};
struct TooManyRequests : HttpError {
  explicit TooManyRequests(std::string msgid) : HttpError(429, std::move(msgid)) {}
};

}  // namespace parta::http
