// Without libFuzzer (gcc builds, CI): replays the seed corpus, then runs a fixed number of
// deterministic random mutations of it through the same LLVMFuzzerTestOneInput, so every fuzz
// target also runs as a quick smoke test. Usage: fuzz_X CORPUS_DIR [ITERATIONS]
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  long iterations = argc > 2 ? std::stol(argv[2]) : 10000;
  std::vector<std::string> seeds;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    seeds.push_back(s.str());
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "no seeds in %s\n", argv[1]);
    return 2;
  }
  for (const auto& s : seeds)
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  std::mt19937_64 rng(20261122);
  const std::string interesting[] = {"\"", ";", ",", "\r\n", "\n",     "%",
                                     "%0", "=", "&", "\xd0", "\xff",   "--",
                                     "\0", "{", "}", "\\",   "msgid ", "msgstr "};
  for (long i = 0; i < iterations; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits; ++k) {
      std::size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
      switch (rng() % 5) {
        case 0:
          if (!s.empty() && pos < s.size()) s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
          break;
        case 1:
          s.insert(pos, interesting[rng() % std::size(interesting)]);
          break;
        case 2:
          if (pos < s.size()) s.erase(pos, 1 + rng() % 16);
          break;
        case 3:
          s.resize(pos);
          break;
        case 4:
          if (!s.empty()) s.insert(pos, s.substr(rng() % s.size(), 1 + rng() % 32));
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("fuzz smoke: %zu seeds and %ld mutations ran without a crash\n", seeds.size(),
              iterations);
  return 0;
}
