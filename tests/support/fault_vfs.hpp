// A sqlite3_vfs shim for fault injection (issue 23): it wraps the default VFS and makes the nth
// write or sync of any file (database, write-ahead log, journal) fail with the code asked for --
// once, as a glitch of the disk, or from then on, as a full disk -- until disarmed. Installed as
// the default VFS, so every SQLite connection the process opens goes through it.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdlib>

namespace houqin::testing {

class FaultVfs {
 public:
  enum class Op { write, sync };

  /// Registers the shim as SQLite's default VFS (once per process) and returns it, disarmed.
  static FaultVfs& install() {
    static FaultVfs shim;
    return shim;
  }

  /// From now on, the nth call of `op` (1 = the next) returns `code`; with `sticky`, so does
  /// every call of `op` after it.
  void arm(Op op, int nth, int code, bool sticky) {
    state().op = op;
    state().code = code;
    state().sticky = sticky;
    state().tripped = false;
    state().countdown = nth;
  }
  void disarm() { state().countdown = 0; }
  /// Whether an armed fault was returned since arm().
  bool tripped() const { return state().tripped; }

 private:
  struct State {
    std::atomic<int> countdown{0};  // 0: disarmed
    std::atomic<bool> tripped{false};
    Op op = Op::write;
    int code = SQLITE_IOERR;
    bool sticky = false;
  };
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
  };

  static State& state() {
    static State s;
    return s;
  }
  static sqlite3_vfs* real_vfs(sqlite3_vfs* v) { return static_cast<sqlite3_vfs*>(v->pAppData); }
  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  /// SQLITE_OK, or the armed code when this call of `op` is the one (or one after it, sticky).
  static int fault(Op op) {
    auto& s = state();
    if (s.op != op) return SQLITE_OK;
    if (s.tripped && s.sticky && s.countdown.load() != 0) return s.code;
    if (s.countdown.load() <= 0) return SQLITE_OK;
    if (--s.countdown == 0) {
      s.tripped = true;
      if (s.sticky) s.countdown = -1;  // armed still: every later call fails too
      return s.code;
    }
    return SQLITE_OK;
  }

  static const sqlite3_io_methods* methods() {
    static const sqlite3_io_methods m = {
        3,
        [](sqlite3_file* f) {
          const int rc = real(f)->pMethods ? real(f)->pMethods->xClose(real(f)) : SQLITE_OK;
          f->pMethods = nullptr;
          return rc;
        },
        [](sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
          return real(f)->pMethods->xRead(real(f), p, n, off);
        },
        [](sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
          if (int rc = fault(Op::write)) return rc;
          return real(f)->pMethods->xWrite(real(f), p, n, off);
        },
        [](sqlite3_file* f, sqlite3_int64 size) {
          return real(f)->pMethods->xTruncate(real(f), size);
        },
        [](sqlite3_file* f, int flags) {
          if (int rc = fault(Op::sync)) return rc;
          return real(f)->pMethods->xSync(real(f), flags);
        },
        [](sqlite3_file* f, sqlite3_int64* size) {
          return real(f)->pMethods->xFileSize(real(f), size);
        },
        [](sqlite3_file* f, int lock) { return real(f)->pMethods->xLock(real(f), lock); },
        [](sqlite3_file* f, int lock) { return real(f)->pMethods->xUnlock(real(f), lock); },
        [](sqlite3_file* f, int* out) {
          return real(f)->pMethods->xCheckReservedLock(real(f), out);
        },
        [](sqlite3_file* f, int op, void* arg) {
          return real(f)->pMethods->xFileControl(real(f), op, arg);
        },
        [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); },
        [](sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); },
        [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
          return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
        },
        [](sqlite3_file* f, int offset, int n, int flags) {
          return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
        },
        [](sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); },
        [](sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); },
        [](sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
          return real(f)->pMethods->xFetch(real(f), off, n, out);
        },
        [](sqlite3_file* f, sqlite3_int64 off, void* p) {
          return real(f)->pMethods->xUnfetch(real(f), off, p);
        },
    };
    return &m;
  }

  FaultVfs() {
    sqlite3_initialize();
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (!base || base->iVersion < 2) std::abort();
    vfs_ = *base;  // time, randomness, sleep and the rest as the real one does them
    vfs_.zName = "houqin-fault";
    vfs_.pAppData = base;
    vfs_.szOsFile = static_cast<int>(sizeof(File)) + base->szOsFile;
    vfs_.pNext = nullptr;
    vfs_.xOpen = [](sqlite3_vfs* v, const char* name, sqlite3_file* f, int flags, int* out) {
      auto* file = reinterpret_cast<File*>(f);
      file->real = reinterpret_cast<sqlite3_file*>(file + 1);
      const int rc = real_vfs(v)->xOpen(real_vfs(v), name, file->real, flags, out);
      file->base.pMethods = file->real->pMethods ? methods() : nullptr;
      return rc;
    };
    vfs_.xDelete = [](sqlite3_vfs* v, const char* name, int sync) {
      return real_vfs(v)->xDelete(real_vfs(v), name, sync);
    };
    vfs_.xAccess = [](sqlite3_vfs* v, const char* name, int flags, int* out) {
      return real_vfs(v)->xAccess(real_vfs(v), name, flags, out);
    };
    vfs_.xFullPathname = [](sqlite3_vfs* v, const char* name, int n, char* out) {
      return real_vfs(v)->xFullPathname(real_vfs(v), name, n, out);
    };
    if (sqlite3_vfs_register(&vfs_, 1) != SQLITE_OK) std::abort();
  }

  sqlite3_vfs vfs_{};
};

}  // namespace houqin::testing
