// A small disk that fills up: a tmpfs of a few hundred kilobytes mounted on a fresh folder, and a
// filler file that takes all of it but what a test leaves free. Writes beyond it fail with ENOSPC
// as on a real full disk (short writes included). Mounting needs root (CAP_SYS_ADMIN), as
// ./dev.sh test runs; elsewhere mounted() is false and the tests that need it say so and skip.
#pragma once

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace houqin::testing {

class SmallDisk {
 public:
  explicit SmallDisk(std::size_t bytes) {
    static int n = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("houqin-disk-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
    std::string options = "size=" + std::to_string(bytes) + ",mode=0777";
    if (::geteuid() == 0 &&
        ::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0)
      mounted_ = true;
    else
      why_ = std::strerror(errno);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  bool mounted() const { return mounted_; }
  /// Why the tmpfs could not be mounted (for the skip message).
  const std::string& why() const { return why_; }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path filler() const { return path_ / "filler"; }

  /// Bytes the file system still gives out.
  std::size_t free_bytes() const {
    struct statvfs st {};
    if (::statvfs(path_.c_str(), &st) != 0) return 0;
    return static_cast<std::size_t>(st.f_bavail) * st.f_frsize;
  }
  /// Writes the filler until the disk is full, then gives `leave` bytes back (rounded up to the
  /// file system's pages).
  void fill(std::size_t leave) {
    int fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    std::vector<char> chunk(64 << 10, 'x');
    std::size_t step = chunk.size();
    while (step > 0) {  // halves the chunk at each refusal: the last pages fill too
      if (::write(fd, chunk.data(), step) < static_cast<ssize_t>(step)) step /= 2;
    }
    off_t size = ::lseek(fd, 0, SEEK_END);
    off_t keep = size > static_cast<off_t>(leave) ? size - static_cast<off_t>(leave) : 0;
    if (::ftruncate(fd, keep) != 0) {
      // the disk stays full; the test finds out when its first write is refused
    }
    ::close(fd);
  }
  /// Frees the disk again.
  void make_room() {
    std::error_code ec;
    std::filesystem::remove(filler(), ec);
  }

 private:
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace houqin::testing
