#pragma once
// A student's paper packet as a PDF (A4, black and white, Cyrillic through pango with Debian's
// fonts): a cover sheet, the assignment text, the printable materials (PDF pages merged in),
// and answer pages (lined or grid). Every page carries two QR codes (top right, bottom left) with
// the page's identity, four corner marks for straightening photos, and the identity in small
// text for people.
#include <string>
#include <vector>

#include "printer/qr_payload.hpp"

namespace parta::printer {

enum class Ruling { lined, grid };

struct Material {
  std::string path, name;  // a PDF file, and its name for people
  // "pdf", or "article": a reference article partad wrote out for the packet — `path` is its
  // article.json (title, source, blocks of text and pictures named by files beside it).
  std::string kind = "pdf";
};

// A quiz on paper (issue 18): each question printed with numbered answer boxes or a frame to write
// in. `position` and an option's `index` are the quiz's own numbering (the student's shuffled
// order is the order of the list), so every box read maps back to the quiz whatever the shuffle.
struct PaperQuestion {
  enum class Form { one, many, line, frame };  // one option, several, a word or number, free text
  int position = 0;
  Form form = Form::one;
  std::string text;
  std::vector<std::pair<int, std::string>> options;  // (index, text) in the student's order
  double points = 1;
};

// Where the renderer put a quiz's answer places on a packet's pages, in points from the page's top
// left corner (the layout registration.hpp maps onto a scan).
struct AnswerBox {
  static constexpr int kWriteIn = -1;  // `option` of a frame to write an answer in
  static constexpr int kBlock = -2;    // `option` of a whole question (what a teacher is shown)
  int page = 0;                        // 1-based page of the packet
  int question = 0;                    // PaperQuestion::position
  int option = 0;                      // an option's index, kWriteIn or kBlock
  bool many = false;                   // kBlock: several options may be chosen
  double x = 0, y = 0, w = 0, h = 0;
};

struct PacketInfo {
  std::string school, class_name, student_name, student_no, subject, teacher, title, due;
  std::string how_to_return;
  std::string body_markdown;
  // Printable materials, in order. One that is not a readable PDF is left out and named on the
  // cover, so a broken file does not stop a whole class's packets.
  std::vector<Material> materials;
  int answer_pages = 2;
  Ruling ruling = Ruling::lined;
  PagePayload id;  // assignment, student and run; page and pages are set per page
  // A quiz of the assignment: its pages follow the assignment's text.
  std::string quiz_title;
  std::vector<PaperQuestion> quiz;
};

// Pages the packet will have (cover + text + materials + answer pages).
int packet_pages(const PacketInfo& p);
// Writes the packets, one after another, into one PDF at `path`; returns the pages written.
// Throws std::runtime_error when cairo cannot write (disk full).
// `boxes`, when given, gets each packet's answer places (empty for a packet without a quiz).
int render_packets(const std::vector<PacketInfo>& packets, const std::string& path,
                   std::vector<std::vector<AnswerBox>>* boxes = nullptr);

// The shared page furniture, also used by the login cards.
struct PageGeometry {
  static constexpr double kWidth = 595.276, kHeight = 841.89;  // A4 in points
  static constexpr double kMargin = 42.5;                      // 15 mm
  static constexpr double kCode = 62.4;                        // 22 mm QR code
  // Corner marks: solid squares, 5 mm, 8 mm from the edges (scans are registered by them).
  static constexpr double kMarkInset = 22.7, kMarkSide = 14.2;
  // A quiz's answer box: a 4.2 mm square, its line 0.8 pt.
  static constexpr double kBox = 12, kBoxLine = 0.8;
};

}  // namespace parta::printer
