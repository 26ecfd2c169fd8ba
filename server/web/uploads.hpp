#pragma once
// Files people upload (submissions, assignment materials, library items): which types are
// accepted, a check that the bytes match the type, and the move into the blob store.
#include <cstdint>
#include <string>
#include <vector>

#include "domain/coursework.hpp"
#include "domain/paper.hpp"
#include "web/app.hpp"

namespace parta::web {

// Checks every file of the form field and moves them into the blob store. Returns the files, or
// fills `error` in the user's language (nothing is stored then). Empty "no file chosen" parts
// are skipped.
std::vector<domain::FileRef> take_uploads(Ctx& ctx, const char* field_name, std::string* error);

// A scan upload: the files that are a PDF, JPEG or PNG by their first bytes are moved into the
// blob store and returned; every other one (a HEIC photo, an empty file, a document) is left
// where it is and named in `left_out` with why, so one bad file does not cost the good ones.
std::vector<domain::FileRef> take_scans(Ctx& ctx, const char* field_name,
                                        std::vector<domain::LeftOutFile>* left_out);

}  // namespace parta::web
