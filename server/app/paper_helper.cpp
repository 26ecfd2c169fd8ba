#include "app/paper_helper.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "app/log.hpp"
#include "domain/paper.hpp"

extern char** environ;

namespace parta::app {

namespace {

using Clock = std::chrono::steady_clock;

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer reserves terabytes of address space for its shadow memory: a helper built
// with it (the sanitizer CI build) cannot start under RLIMIT_AS at all.
constexpr bool kLimitAddressSpace = false;
#else
constexpr bool kLimitAddressSpace = true;
#endif

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    // Close-on-exec: another thread's helper must not inherit this one's pipes.
    if (pipe2(fd, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe: " + std::string(strerror(errno)));
  }
  ~Pipe() { close_end(0), close_end(1); }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

// The child's whole life between fork and exec: only async-signal-safe calls (partad has many
// threads; one of them may hold malloc's lock at the moment of the fork).
[[noreturn]] void become_helper(pid_t parent, int in, int out, const HelperLimits& limits,
                                int priority, char* const* argv, char* const* envp) {
  setpgid(0, 0);  // its own group: a timeout kills whatever it started too
  // Dies with partad. (Strictly: with the thread that forked; every caller waits for its helper,
  // so that thread outlives it.)
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // partad died before the line above
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0) _exit(127);
  // Nothing of partad's but stdin, stdout and stderr (the journal): not its database, its
  // listening socket or another helper's pipes.
  close_range(3, ~0u, 0);
  // partad blocks SIGTERM and SIGINT for its sigwait and ignores SIGPIPE; the helper must not
  // inherit either.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, nullptr);
  struct rlimit as {
    limits.memory_bytes, limits.memory_bytes
  };
  if (kLimitAddressSpace) setrlimit(RLIMIT_AS, &as);
  struct rlimit no_core {
    0, 0
  };
  setrlimit(RLIMIT_CORE, &no_core);  // a dump would hold a child's scan
  setpriority(PRIO_PROCESS, 0, priority);
  execve(argv[0], argv, envp);
  _exit(127);
}

const char* signal_name(int sig) {
  const char* s = sigabbrev_np(sig);
  return s ? s : "?";
}

}  // namespace

const char* HelperRun::reason() const {
  switch (fate) {
    case Fate::done:
      return "";
    case Fate::crashed:
      return "The paper helper crashed.";
    case Fate::timed_out:
      return "The paper helper ran out of time.";
    case Fate::bad_answer:
      return "The paper helper gave an answer that cannot be read.";
    case Fate::not_started:
      return "The paper helper cannot be started.";
    case Fate::cancelled:
      return domain::kInterrupted;
  }
  return "The paper helper crashed.";
}

HelperRun PaperHelper::run(const printer::Job& job, int units, const std::atomic<bool>* cancel,
                           const FollowUp& then) const {
  HelperRun r;
  // One job per line: the helper answers each with a line.
  std::string input = printer::job_to_json(job) + "\n";
  // Everything the child needs is made before the fork.
  std::string path = limits_.path;
  std::vector<char*> argv{path.data(), nullptr};
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e)
    if (std::strncmp(*e, "MALLOC_ARENA_MAX=", 17) != 0) env_strings.emplace_back(*e);
  // Few malloc arenas: each reserves 64 MiB of address space, which RLIMIT_AS counts.
  env_strings.emplace_back("MALLOC_ARENA_MAX=2");
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  errno = 0;
  int priority = getpriority(PRIO_PROCESS, 0);
  if (errno != 0) priority = 0;
  priority = std::min(priority + limits_.nice, 19);

  if (access(path.c_str(), X_OK) != 0) {
    r.detail = "cannot run " + path + ": " + strerror(errno);
    return r;
  }
  // A helper that stops reading its job early must not take partad down with SIGPIPE: blocked in
  // this thread while it writes (partad ignores it anyway; tests and tools may not).
  sigset_t pipe_only, old_mask;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  struct Restore {
    sigset_t pipe_only, old_mask;
    ~Restore() {
      sigset_t pending;
      sigpending(&pending);
      // A SIGPIPE this thread raised is taken back before the old mask returns.
      if (sigismember(&pending, SIGPIPE) && !sigismember(&old_mask, SIGPIPE)) {
        timespec zero{0, 0};
        sigtimedwait(&pipe_only, nullptr, &zero);
      }
      pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    }
  } restore{pipe_only, old_mask};
  Pipe in, out;
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    r.detail = std::string("fork: ") + strerror(errno);
    return r;
  }
  if (pid == 0)
    become_helper(parent, in.fd[0], out.fd[1], limits_, priority, argv.data(), envp.data());
  in.close_end(0);
  out.close_end(1);
  fcntl(in.fd[1], F_SETFL, O_NONBLOCK);

  auto deadline = Clock::now() + limits_.timeout * std::max(units, 1);
  std::size_t written = 0;
  std::string answer;
  // The kind whose answer is awaited; with `then`, its first answer is taken line by line.
  printer::JobKind kind = job.kind;
  bool asking = static_cast<bool>(then);
  std::optional<printer::JobResult> settled;  // the first answer, when no follow-up came of it
  bool too_much = false, timed_out = false, cancelled = false, nonsense = false;
  std::string why_nonsense;
  int status = 0;
  bool reaped = false;
  auto kill_it = [&] {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  };
  // The first answer has come (a whole line): ask for the follow-up and send it, or close the
  // helper's stdin so that it ends.
  auto follow_up = [&](std::string_view line) {
    asking = false;
    auto first = printer::parse_result(kind, line, &why_nonsense);
    if (!first) {
      nonsense = true;
      kill_it();
      return;
    }
    std::optional<printer::Job> next;
    try {
      next = then(*first);
    } catch (...) {
      kill_it();
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      throw;
    }
    if (!next) {
      settled = std::move(*first);
      in.close_end(1);
      return;
    }
    input = printer::job_to_json(*next) + "\n";
    written = 0;
    kind = next->kind;
    deadline += limits_.timeout;
  };
  while (true) {
    if (Clock::now() >= deadline) {
      timed_out = true;
      kill_it();
      break;
    }
    if (cancel && *cancel) {
      cancelled = true;
      kill_it();
      break;
    }
    pollfd fds[2];
    int n = 0;
    // (Once its job is written, stdin stays open only while a follow-up may still come.)
    if (in.fd[1] >= 0 && written < input.size()) fds[n++] = {in.fd[1], POLLOUT, 0};
    if (out.fd[0] >= 0) fds[n++] = {out.fd[0], POLLIN, 0};
    if (n == 0) {
      // Both pipes done: wait for it to exit (it may hang after answering).
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int ready = poll(fds, static_cast<nfds_t>(n),
                     static_cast<int>(std::clamp<long long>(left.count(), 0, 200)));
    if (ready < 0 && errno != EINTR) {
      kill_it();
      r.detail = std::string("poll: ") + strerror(errno);
      break;
    }
    for (int i = 0; i < n && ready > 0; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in.fd[1]) {
        ssize_t w = write(in.fd[1], input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        // Done, or it stopped reading (EPIPE: it died or refused early): either way, no more.
        if ((written == input.size() && !asking) || (w < 0 && errno != EAGAIN && errno != EINTR))
          in.close_end(1);
      } else {
        char buf[65536];
        ssize_t got = read(out.fd[0], buf, sizeof buf);
        if (got > 0) {
          answer.append(buf, static_cast<std::size_t>(got));
          if (answer.size() > printer::kMaxResultBytes) {
            too_much = true;
            kill_it();
          } else if (std::size_t nl; asking && (nl = answer.find('\n')) != std::string::npos) {
            std::string line = answer.substr(0, nl);
            answer.erase(0, nl + 1);
            follow_up(line);
          }
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          out.close_end(0);
        }
      }
    }
    if (too_much || nonsense) break;
  }
  if (!reaped)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }

  const std::string what = std::string(printer::kind_name(kind)) + " job";
  if (cancelled) {
    r.fate = HelperRun::Fate::cancelled;
    r.detail = what + ": stopped with partad";
  } else if (timed_out) {
    r.fate = HelperRun::Fate::timed_out;
    r.detail = what + ": killed after " +
               std::to_string((limits_.timeout * std::max(units, 1)).count()) + " ms";
  } else if (nonsense) {
    r.fate = HelperRun::Fate::bad_answer;
    r.detail = what + ": " + why_nonsense;
  } else if (too_much) {
    r.fate = HelperRun::Fate::bad_answer;
    r.detail = what + ": the answer is larger than " + std::to_string(printer::kMaxResultBytes);
  } else if (WIFSIGNALED(status)) {
    r.fate = HelperRun::Fate::crashed;
    r.detail = what + ": killed by signal " + std::to_string(WTERMSIG(status)) + " (SIG" +
               signal_name(WTERMSIG(status)) + ")";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && answer.empty()) {
    r.fate = HelperRun::Fate::not_started;
    r.detail = what + ": " + path + " could not be executed";
  } else if (settled && WIFEXITED(status) &&
             (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2)) {
    r.fate = HelperRun::Fate::done;
    r.result = std::move(*settled);
  } else if (asking) {
    // It ended without a whole first answer line (or without waiting for the follow-up).
    r.fate = HelperRun::Fate::crashed;
    r.detail = what + ": exited with " + std::to_string(WEXITSTATUS(status)) +
               " before its first answer was whole";
  } else if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2)) {
    std::string why;
    if (auto parsed = printer::parse_result(kind, answer, &why)) {
      r.fate = HelperRun::Fate::done;
      r.result = std::move(*parsed);
    } else {
      r.fate = HelperRun::Fate::bad_answer;
      r.detail = what + ": " + why;
    }
  } else {
    r.fate = HelperRun::Fate::crashed;
    r.detail = what + ": exited with " + std::to_string(WEXITSTATUS(status));
  }
  return r;
}

std::optional<printer::JobResult> PaperHelper::answer(const printer::Job& job) const {
  HelperRun r = run(job);
  if (r.fate == HelperRun::Fate::done) return std::move(r.result);
  log::error("paper helper: " + r.detail);
  return std::nullopt;
}

std::string find_paper_helper() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "parta-paper";
  // (The build tree's CLI is in tools/, its helper beside partad in server/.)
  for (const fs::path& p :
       {self.parent_path() / "parta-paper", self.parent_path() / "../lib/parta/parta-paper",
        self.parent_path() / "../server/parta-paper"})
    if (access(p.c_str(), X_OK) == 0) return p.lexically_normal().string();
  return (self.parent_path() / "parta-paper").string();
}

}  // namespace parta::app
