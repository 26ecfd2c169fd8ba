// parta: the admin command line. Everything lives in the parta_cli library.
#include <clocale>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  std::setlocale(LC_CTYPE, "C.UTF-8");
  return parta::cli::run(std::vector<std::string>(argv + 1, argv + argc));
}
